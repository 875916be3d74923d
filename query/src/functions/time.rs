//! Japan Standard Time functions: `jst`, `jst_date`, `jst_hour`, `jst_bucket`.
//!
//! Japan has kept UTC+9 without daylight saving since 1952, so every function here is
//! integer arithmetic on the UTC microseconds with a fixed offset, not a timezone lookup.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Date32Array, Int32Array, TimestampMicrosecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, IntervalMonthDayNano, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
/// UTC+9, in microseconds.
const JST_OFFSET: i64 = 9 * MICROS_PER_HOUR;
const JST: &str = "Asia/Tokyo";

fn is_timestamp(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Timestamp(..) | DataType::Null)
}

/// The argument as UTC microseconds.
fn micros(value: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Ok(cast(&value.to_array(rows)?, &utc)?)
}

fn jst_timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(JST.into()))
}

macro_rules! unary_time_function {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            signature: Signature,
        }

        impl $name {
            pub fn new() -> Self {
                $name {
                    signature: Signature::any(1, Volatility::Immutable),
                }
            }
        }
    };
}

unary_time_function!(
    Jst,
    "`jst(ts)`: the same instant, displayed in Japan Standard Time."
);
unary_time_function!(JstDate, "`jst_date(ts)`: the calendar day in Japan.");
unary_time_function!(
    JstHour,
    "`jst_hour(ts)`: the hour of the day (0–23) in Japan."
);

fn check_timestamp(name: &str, args: &[DataType]) -> Result<()> {
    if args.len() != 1 || !is_timestamp(&args[0]) {
        return plan_err!("{name}(ts) takes a timestamp, got {args:?}");
    }
    Ok(())
}

impl ScalarUDFImpl for Jst {
    fn name(&self) -> &str {
        "jst"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        check_timestamp(self.name(), args)?;
        Ok(jst_timestamp_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let utc = micros(&args.args[0], args.number_rows)?;
        let shown = utc
            .as_primitive::<TimestampMicrosecondType>()
            .clone()
            .with_timezone(JST);
        Ok(ColumnarValue::Array(Arc::new(shown)))
    }
}

impl ScalarUDFImpl for JstDate {
    fn name(&self) -> &str {
        "jst_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        check_timestamp(self.name(), args)?;
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let utc = micros(&args.args[0], args.number_rows)?;
        let days: Date32Array = utc
            .as_primitive::<TimestampMicrosecondType>()
            .unary_opt(|t| i32::try_from((t + JST_OFFSET).div_euclid(MICROS_PER_DAY)).ok());
        Ok(ColumnarValue::Array(Arc::new(days)))
    }
}

impl ScalarUDFImpl for JstHour {
    fn name(&self) -> &str {
        "jst_hour"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        check_timestamp(self.name(), args)?;
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let utc = micros(&args.args[0], args.number_rows)?;
        let hours: Int32Array = utc
            .as_primitive::<TimestampMicrosecondType>()
            .unary(|t| ((t + JST_OFFSET).div_euclid(MICROS_PER_HOUR).rem_euclid(24)) as i32);
        Ok(ColumnarValue::Array(Arc::new(hours)))
    }
}

/// `jst_bucket(interval, ts)`: the start of the bucket of width `interval` (an interval
/// or text such as `'15 minutes'`) holding `ts`, with buckets aligned to midnight in Japan
/// and counted from a Monday, so that buckets of whole weeks start on Mondays.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JstBucket {
    signature: Signature,
}

impl JstBucket {
    pub fn new() -> Self {
        JstBucket {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

/// The width of a bucket in microseconds; months have no fixed width and are refused.
fn bucket_width(interval: &ScalarValue) -> Result<i64> {
    let interval = interval.cast_to(&DataType::Interval(
        arrow::datatypes::IntervalUnit::MonthDayNano,
    ))?;
    let ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano {
        months,
        days,
        nanoseconds,
    })) = interval
    else {
        return exec_err!("jst_bucket: the interval must not be null");
    };
    if months != 0 {
        return exec_err!("jst_bucket: months and years have no fixed length; use days");
    }
    let Some(width) = i64::from(days)
        .checked_mul(MICROS_PER_DAY)
        .and_then(|days| days.checked_add(nanoseconds / 1_000))
    else {
        return exec_err!("jst_bucket: the interval is longer than timestamps reach");
    };
    if width <= 0 {
        return exec_err!("jst_bucket: the interval must be positive");
    }
    Ok(width)
}

/// Where buckets are counted from, in Japan's local time: Monday 1970-01-05, midnight.
/// The Unix epoch fell on a Thursday, and weekly buckets counted from it would start on
/// Thursdays.
const BUCKET_ORIGIN: i64 = 4 * MICROS_PER_DAY;

impl ScalarUDFImpl for JstBucket {
    fn name(&self) -> &str {
        "jst_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        let interval_ok = matches!(
            args.first(),
            Some(DataType::Interval(_) | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        );
        if args.len() != 2 || !interval_ok || !is_timestamp(&args[1]) {
            return plan_err!(
                "jst_bucket(interval, ts) takes an interval and a timestamp, got {args:?}"
            );
        }
        Ok(jst_timestamp_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ColumnarValue::Scalar(interval) = &args.args[0] else {
            return exec_err!("jst_bucket: the interval must be a constant");
        };
        let width = bucket_width(interval)?;
        let utc = micros(&args.args[1], args.number_rows)?;
        let starts: TimestampMicrosecondArray =
            utc.as_primitive::<TimestampMicrosecondType>().unary(|t| {
                let local = t + JST_OFFSET - BUCKET_ORIGIN;
                local.div_euclid(width) * width + BUCKET_ORIGIN - JST_OFFSET
            });
        Ok(ColumnarValue::Array(Arc::new(starts.with_timezone(JST))))
    }
}
