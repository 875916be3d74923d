//! Address functions: `cidr_contains`, `zone_of`, `ip_to_int`.

use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use sanso_ingest::zones::{Cidr, ZoneMap};

/// Whether a type is some kind of string (plain, large, view or dictionary of strings).
fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// The argument as a plain UTF-8 array of `rows` rows.
fn text_array(value: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    Ok(cast(&value.to_array(rows)?, &DataType::Utf8)?)
}

/// `cidr_contains(ip, cidr)`: whether the address lies in the range. Null when either is
/// null or not an address/range.
///
/// # Performance
///
/// A constant range (the usual case) is parsed once per batch; each address is then
/// parsed and compared as a 128-bit integer.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CidrContains {
    signature: Signature,
}

impl CidrContains {
    pub fn new() -> Self {
        CidrContains {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for CidrContains {
    fn name(&self) -> &str {
        "cidr_contains"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !args.iter().all(is_text) {
            return plan_err!("cidr_contains(ip, cidr) takes two strings, got {args:?}");
        }
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let ips = text_array(&args.args[0], rows)?;
        let ips = ips.as_string::<i32>();
        let result: BooleanArray = match &args.args[1] {
            ColumnarValue::Scalar(scalar) => {
                let cidr = match scalar {
                    ScalarValue::Utf8(Some(text))
                    | ScalarValue::LargeUtf8(Some(text))
                    | ScalarValue::Utf8View(Some(text)) => match Cidr::parse(text) {
                        Some(cidr) => Some(cidr),
                        None => {
                            return exec_err!(
                                "cidr_contains: `{text}` is not a range such as 10.0.0.0/8"
                            );
                        }
                    },
                    _ => None,
                };
                ips.iter()
                    .map(|ip| Some(cidr?.contains(ip?.parse::<IpAddr>().ok()?)))
                    .collect()
            }
            ColumnarValue::Array(_) => {
                let cidrs = text_array(&args.args[1], rows)?;
                let cidrs = cidrs.as_string::<i32>();
                ips.iter()
                    .zip(cidrs.iter())
                    .map(|(ip, cidr)| {
                        Some(Cidr::parse(cidr?)?.contains(ip?.parse::<IpAddr>().ok()?))
                    })
                    .collect()
            }
        };
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

/// `zone_of(ip)`: the zone the configuration gives an address.
#[derive(Debug)]
pub struct ZoneOf {
    signature: Signature,
    zones: Arc<ZoneMap>,
}

impl ZoneOf {
    pub fn new(zones: Arc<ZoneMap>) -> Self {
        ZoneOf {
            signature: Signature::any(1, Volatility::Immutable),
            zones,
        }
    }
}

// The zone map is part of the session, not of the expression: two `zone_of` functions
// are the same function whichever map they hold.
impl PartialEq for ZoneOf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.zones, &other.zones)
    }
}

impl Eq for ZoneOf {}

impl std::hash::Hash for ZoneOf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        "zone_of".hash(state);
    }
}

impl ScalarUDFImpl for ZoneOf {
    fn name(&self) -> &str {
        "zone_of"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !args.iter().all(is_text) {
            return plan_err!("zone_of(ip) takes a string, got {args:?}");
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ips = text_array(&args.args[0], args.number_rows)?;
        let zones: StringArray = ips
            .as_string::<i32>()
            .iter()
            .map(|ip| Some(self.zones.zone_of_ip_str(ip?)?.as_str()))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(zones)))
    }
}

/// `ip_to_int(ip)`: an IPv4 address as its 32-bit number; null for IPv6 and non-addresses.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IpToInt {
    signature: Signature,
}

impl IpToInt {
    pub fn new() -> Self {
        IpToInt {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for IpToInt {
    fn name(&self) -> &str {
        "ip_to_int"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if !args.iter().all(is_text) {
            return plan_err!("ip_to_int(ip) takes a string, got {args:?}");
        }
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let ips = text_array(&args.args[0], args.number_rows)?;
        let numbers: Int64Array = ips
            .as_string::<i32>()
            .iter()
            .map(|ip| match ip?.parse::<IpAddr>().ok()? {
                IpAddr::V4(v4) => Some(i64::from(u32::from(v4))),
                IpAddr::V6(_) => None,
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(numbers)))
    }
}
