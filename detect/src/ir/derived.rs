//! Derived fields: values a rule tests that no log line carries, computed per batch from
//! the columns that are there.
//!
//! The policy rules ask questions of time and of configured tuples that a plain column
//! cannot answer: "outside business hours or on a public holiday" (OMZ-21), "outside the
//! maintenance window" (OMZ-17), "device clock more than 60 s off" (OMZ-22), "on the core
//! allowlist of (address, protocol/port) tuples" (OMZ-01, OMZ-03). Each is a field name a
//! rule uses like any other; the lowering resolves it to a [`Derived`] target, and the
//! evaluator computes its column once per batch (one pass over the time or address
//! buffers), after which the ordinary kernels test it: a derived field costs what a
//! column costs.
//!
//! | field | tables | type | value |
//! |---|---|---|---|
//! | `jst_hour` | all | integer | hour of `time` in Japan Standard Time (UTC+9, no DST), 0–23 |
//! | `jst_weekday` | all | string | `mon` … `sun`, in JST |
//! | `jst_holiday` | all | boolean | the JST date is a Japanese public holiday (国民の祝日, 振替休日, 国民の休日) |
//! | `jst_business_hours` | all | boolean | inside a `%business_hours%` window on a day that is neither a holiday nor a `%closed_days%` day |
//! | `jst_maintenance_window` | all | boolean | inside a `%maintenance_windows%` window |
//! | `clock_skew_secs` | all | integer | whole seconds between `time` and `received_at`, either way |
//! | `core_allowlisted` | network | boolean | (`dst_ip`, `protocol`, `dst_port`) matches a `%core_allowlist%` tuple |
//! | `core_allowlist_host` | network | boolean | `dst_ip` is inside a `%core_allowlist%` tuple's range, whatever the port |
//!
//! Holidays come from the `jpholiday` crate, which computes them from the Act on
//! National Holidays (equinoxes included) rather than from a typed list.
//!
//! `%closed_days%` lists the days a city office is closed beyond the national holidays,
//! as `MM-DD` (the year-end closure, 年末年始: `12-29` … `01-03`).
//!
//! Windows are written `DAYS HH:MM-HH:MM`: `DAYS` is `daily`, a day (`mon`), a range
//! (`mon-fri`) or a comma list of those (`sat,sun`); the end may be `24:00`, and an end
//! before the start runs past midnight into the next day (`fri 22:00-02:00`).
//! A `%core_allowlist%` tuple is `CIDR PROTO/PORT`, `CIDR PROTO/FIRST-LAST` or
//! `CIDR any` (`203.0.113.0/28 tcp/443`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{Datelike, NaiveDate};
use jpholiday::jpholiday::JPHoliday;
use sanso_ingest::schema::{Table, col};

use super::expr::{IpRange, parse_ip_key};
use super::placeholders::Placeholders;
use crate::error::{CompileErrorKind, EvalError};

/// Japan Standard Time, seconds east of UTC. Japan has kept no daylight saving time
/// since 1951, so a fixed offset is exact for every log sanso will see.
const JST_OFFSET_SECS: i64 = 9 * 3600;
const MICROS_PER_SEC: i64 = 1_000_000;
const MINUTES_PER_WEEK: usize = 7 * 24 * 60;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A field computed from other columns (see the module documentation for the list).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Derived {
    /// `jst_hour`.
    JstHour,
    /// `jst_weekday`.
    JstWeekday,
    /// `jst_holiday`.
    JstHoliday,
    /// `jst_business_hours`: these windows, on days that are neither holidays nor
    /// closing days (`(month, day)`).
    BusinessHours(WeekMinutes, Arc<[(u32, u32)]>),
    /// `jst_maintenance_window`.
    MaintenanceWindow(WeekMinutes),
    /// `clock_skew_secs`.
    ClockSkewSecs,
    /// `core_allowlisted`.
    Allowlisted(Arc<[FlowTuple]>),
    /// `core_allowlist_host`.
    AllowlistHost(Arc<[FlowTuple]>),
}

impl Derived {
    /// The field name rules use.
    pub fn name(&self) -> &'static str {
        match self {
            Derived::JstHour => "jst_hour",
            Derived::JstWeekday => "jst_weekday",
            Derived::JstHoliday => "jst_holiday",
            Derived::BusinessHours(..) => "jst_business_hours",
            Derived::MaintenanceWindow(_) => "jst_maintenance_window",
            Derived::ClockSkewSecs => "clock_skew_secs",
            Derived::Allowlisted(_) => "core_allowlisted",
            Derived::AllowlistHost(_) => "core_allowlist_host",
        }
    }

    /// The derived field a rule's field name denotes on `table`, `None` when the name is
    /// not one; an error when its placeholder is missing or malformed.
    pub fn resolve(
        field: &str,
        table: Table,
        placeholders: &Placeholders,
    ) -> Result<Option<Derived>, CompileErrorKind> {
        let list = |name: &str| {
            placeholders
                .get(name)
                .ok_or_else(|| CompileErrorKind::MissingPlaceholder {
                    field: field.to_owned(),
                    name: name.to_owned(),
                })
        };
        let invalid = |reason: String| CompileErrorKind::InvalidValue {
            field: field.to_owned(),
            reason,
        };
        let has_time = table.schema().field_with_name(col::RECEIVED_AT).is_ok();
        let derived = match field {
            "jst_hour" => Derived::JstHour,
            "jst_weekday" => Derived::JstWeekday,
            "jst_holiday" => Derived::JstHoliday,
            "clock_skew_secs" => Derived::ClockSkewSecs,
            "jst_business_hours" => Derived::BusinessHours(
                WeekMinutes::parse(list("business_hours")?).map_err(invalid)?,
                list("closed_days")?
                    .iter()
                    .map(|d| month_day(d).ok_or_else(|| format!("closing day `{d}` is not MM-DD")))
                    .collect::<Result<_, _>>()
                    .map_err(invalid)?,
            ),
            "jst_maintenance_window" => Derived::MaintenanceWindow(
                WeekMinutes::parse(list("maintenance_windows")?).map_err(invalid)?,
            ),
            "core_allowlisted" | "core_allowlist_host" if table == Table::Network => {
                let tuples = list("core_allowlist")?
                    .iter()
                    .map(|t| FlowTuple::parse(t))
                    .collect::<Result<Arc<[FlowTuple]>, String>>()
                    .map_err(invalid)?;
                if field == "core_allowlisted" {
                    Derived::Allowlisted(tuples)
                } else {
                    Derived::AllowlistHost(tuples)
                }
            }
            _ => return Ok(None),
        };
        Ok(has_time.then_some(derived))
    }

    /// The field's values for every row of `batch`.
    ///
    /// # Performance
    ///
    /// One pass over the `time` buffer (and `received_at` for the skew), holidays looked
    /// up once per distinct JST date; the allowlist tests parse each distinct address
    /// once through the dictionary when the column is one.
    pub fn evaluate(&self, table: Table, batch: &RecordBatch) -> Result<ArrayRef, EvalError> {
        let micros = |name: &str| -> Result<Vec<Option<i64>>, EvalError> {
            let array = batch
                .column_by_name(name)
                .ok_or_else(|| EvalError::MissingColumn {
                    table,
                    column: name.to_owned(),
                })?;
            // The event tables' timestamps are already microseconds: read them in place
            // rather than copying the column once per derived field and batch.
            if let Some(times) = array.as_primitive_opt::<TimestampMicrosecondType>() {
                return Ok(times.iter().collect());
            }
            let array = cast(array, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            Ok(array
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .collect())
        };
        let local_minutes = || -> Result<Vec<Option<i64>>, EvalError> {
            Ok(micros(col::TIME)?
                .into_iter()
                .map(|t| t.map(|t| t.div_euclid(MICROS_PER_SEC * 60) + JST_OFFSET_SECS / 60))
                .collect())
        };
        Ok(match self {
            Derived::JstHour => Arc::new(Int64Array::from_iter(
                local_minutes()?
                    .into_iter()
                    .map(|m| m.map(|m| m.rem_euclid(24 * 60) / 60)),
            )),
            Derived::JstWeekday => Arc::new(StringArray::from_iter(
                local_minutes()?
                    .into_iter()
                    .map(|m| m.map(|m| WEEKDAYS[minute_of_week(m) / (24 * 60)])),
            )),
            Derived::JstHoliday => {
                let mut holidays = Holidays::new();
                Arc::new(BooleanArray::from_iter(
                    local_minutes()?
                        .into_iter()
                        .map(|m| m.map(|m| holidays.contains(m))),
                ))
            }
            Derived::BusinessHours(windows, closed) => {
                let mut holidays = Holidays::new();
                Arc::new(BooleanArray::from_iter(local_minutes()?.into_iter().map(
                    |m| {
                        m.map(|m| {
                            windows.contains(minute_of_week(m))
                                && !holidays.contains(m)
                                && !date_of(m)
                                    .is_some_and(|d| closed.contains(&(d.month(), d.day())))
                        })
                    },
                )))
            }
            Derived::MaintenanceWindow(windows) => Arc::new(BooleanArray::from_iter(
                local_minutes()?
                    .into_iter()
                    .map(|m| m.map(|m| windows.contains(minute_of_week(m)))),
            )),
            Derived::ClockSkewSecs => {
                let received = micros(col::RECEIVED_AT)?;
                Arc::new(Int64Array::from_iter(
                    micros(col::TIME)?.into_iter().zip(received).map(|(t, r)| {
                        Some(t?.abs_diff(r?) / MICROS_PER_SEC as u64)
                            .map(|s| i64::try_from(s).unwrap_or(i64::MAX))
                    }),
                ))
            }
            Derived::Allowlisted(tuples) | Derived::AllowlistHost(tuples) => {
                let ports_matter = matches!(self, Derived::Allowlisted(_));
                allowlist(table, batch, tuples, ports_matter)?
            }
        })
    }
}

/// JST minutes since the epoch to minutes since Monday 00:00 (1970-01-01 was a Thursday).
fn minute_of_week(local_minutes: i64) -> usize {
    const THURSDAY: i64 = 3 * 24 * 60;
    (local_minutes + THURSDAY).rem_euclid(MINUTES_PER_WEEK as i64) as usize
}

/// `MM-DD` to `(month, day)`.
fn month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.trim().split_once('-')?;
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    // 2024 is a leap year, so 02-29 is accepted.
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

/// The JST date of JST minutes since the epoch.
fn date_of(local_minutes: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::TimeDelta::days(local_minutes.div_euclid(24 * 60)))
}

/// Japanese public holidays by JST day number, computed once per day seen.
struct Holidays {
    calendar: JPHoliday<'static>,
    days: HashMap<i64, bool>,
}

impl Holidays {
    fn new() -> Holidays {
        Holidays {
            calendar: JPHoliday::new(),
            days: HashMap::new(),
        }
    }

    fn contains(&mut self, local_minutes: i64) -> bool {
        let day = local_minutes.div_euclid(24 * 60);
        let calendar = &self.calendar;
        *self.days.entry(day).or_insert_with(|| {
            date_of(local_minutes).is_some_and(|date| {
                // jpholiday 0.1 pins its own chrono; ask it through its date type.
                jpholiday::chrono::NaiveDate::from_ymd_opt(date.year(), date.month(), date.day())
                    .is_some_and(|d| calendar.is_holiday(&d))
            })
        })
    }
}

/// A set of minutes of the week (Monday 00:00 is minute 0), as a bitmap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeekMinutes(Arc<[u64]>);

impl WeekMinutes {
    /// The union of windows written `DAYS HH:MM-HH:MM` (see the module documentation).
    pub fn parse(windows: &[String]) -> Result<WeekMinutes, String> {
        let mut bits = vec![0u64; MINUTES_PER_WEEK.div_ceil(64)];
        for window in windows {
            let bad = |why: &str| format!("window `{window}`: {why}");
            let (days, times) = window
                .trim()
                .split_once(char::is_whitespace)
                .ok_or_else(|| bad("expected `DAYS HH:MM-HH:MM`, e.g. `mon-fri 08:30-17:15`"))?;
            let (start, end) = times
                .trim()
                .split_once('-')
                .ok_or_else(|| bad("expected HH:MM-HH:MM"))?;
            let (start, end) = (
                clock(start).ok_or_else(|| bad("bad start time"))?,
                clock(end).ok_or_else(|| bad("bad end time"))?,
            );
            let length = if end > start {
                end - start
            } else {
                end + 24 * 60 - start
            };
            for day in
                weekdays(days).ok_or_else(|| bad("bad days; use daily, mon, mon-fri or sat,sun"))?
            {
                for minute in 0..length {
                    let at = (day * 24 * 60 + start + minute) % MINUTES_PER_WEEK;
                    bits[at / 64] |= 1 << (at % 64);
                }
            }
        }
        Ok(WeekMinutes(bits.into()))
    }

    /// Whether minute `m` of the week is inside.
    pub fn contains(&self, m: usize) -> bool {
        self.0.get(m / 64).is_some_and(|w| w & (1 << (m % 64)) != 0)
    }
}

/// `HH:MM` to minutes of the day; `24:00` is allowed as an end.
fn clock(text: &str) -> Option<usize> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (usize, usize) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// `daily`, `mon`, `mon-fri`, `sat,sun` to day indices (Monday 0).
fn weekdays(text: &str) -> Option<Vec<usize>> {
    if text.eq_ignore_ascii_case("daily") {
        return Some((0..7).collect());
    }
    let day = |d: &str| {
        WEEKDAYS
            .iter()
            .position(|w| w.eq_ignore_ascii_case(d.trim()))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    out.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => out.push(day(part)?),
        }
    }
    Some(out)
}

/// One allowlist tuple: an address range, and a protocol and port range (any when
/// `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowTuple {
    /// Destination addresses.
    pub range: IpRange,
    /// `tcp`, `udp`, ... with the inclusive port range; `None` is any protocol and port.
    pub service: Option<(String, u16, u16)>,
}

impl FlowTuple {
    /// Parses `CIDR PROTO/PORT`, `CIDR PROTO/FIRST-LAST` or `CIDR any`.
    pub fn parse(text: &str) -> Result<FlowTuple, String> {
        let bad = |why: &str| {
            format!("allowlist tuple `{text}`: {why} (expected e.g. `203.0.113.0/28 tcp/443`)")
        };
        let (cidr, service) = text
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("missing protocol/port"))?;
        let range = IpRange::parse(cidr).ok_or_else(|| bad("bad CIDR"))?;
        let service = service.trim();
        if service.eq_ignore_ascii_case("any") {
            return Ok(FlowTuple {
                range,
                service: None,
            });
        }
        let (proto, ports) = service
            .split_once('/')
            .ok_or_else(|| bad("bad protocol/port"))?;
        let port = |p: &str| p.trim().parse::<u16>().map_err(|_| bad("bad port"));
        let (first, last) = match ports.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(ports)?, port(ports)?),
        };
        Ok(FlowTuple {
            range,
            service: Some((proto.trim().to_ascii_lowercase(), first, last)),
        })
    }

    fn admits(&self, ip: u128, proto: Option<&str>, port: Option<i64>, ports_matter: bool) -> bool {
        if !self.range.contains(ip) {
            return false;
        }
        match (&self.service, ports_matter) {
            (None, _) | (_, false) => true,
            (Some((want, first, last)), true) => {
                proto.is_some_and(|p| p.eq_ignore_ascii_case(want))
                    && port.is_some_and(|p| (i64::from(*first)..=i64::from(*last)).contains(&p))
            }
        }
    }
}

fn allowlist(
    table: Table,
    batch: &RecordBatch,
    tuples: &[FlowTuple],
    ports_matter: bool,
) -> Result<ArrayRef, EvalError> {
    let text = |name: &str| -> Result<StringArray, EvalError> {
        let array = batch
            .column_by_name(name)
            .ok_or_else(|| EvalError::MissingColumn {
                table,
                column: name.to_owned(),
            })?;
        Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
    };
    let (ip, proto) = (text(col::DST_IP)?, text("protocol")?);
    let port = cast(
        batch
            .column_by_name("dst_port")
            .ok_or_else(|| EvalError::MissingColumn {
                table,
                column: "dst_port".to_owned(),
            })?,
        &DataType::Int64,
    )?;
    let port = port.as_primitive::<arrow::datatypes::Int64Type>();
    let mut keys: HashMap<&str, Option<u128>> = HashMap::new();
    let values = (0..batch.num_rows()).map(|row| {
        let addr = ip.is_valid(row).then(|| ip.value(row))?;
        let key = (*keys.entry(addr).or_insert_with(|| parse_ip_key(addr)))?;
        let proto = proto.is_valid(row).then(|| proto.value(row));
        let port = port.is_valid(row).then(|| port.value(row));
        Some(
            tuples
                .iter()
                .any(|t| t.admits(key, proto, port, ports_matter)),
        )
    });
    Ok(Arc::new(BooleanArray::from_iter(values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(list: &[&str]) -> WeekMinutes {
        WeekMinutes::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn windows_cover_days_and_wrap_past_midnight() {
        let w = windows(&["mon-fri 08:30-17:15"]);
        assert!(w.contains(8 * 60 + 30));
        assert!(!w.contains(8 * 60 + 29));
        assert!(!w.contains(17 * 60 + 15));
        assert!(w.contains(4 * 24 * 60 + 17 * 60 + 14));
        assert!(!w.contains(5 * 24 * 60 + 9 * 60));
        let night = windows(&["sun 22:00-02:00"]);
        assert!(night.contains(6 * 24 * 60 + 23 * 60));
        assert!(night.contains(60), "Sunday night runs into Monday");
        assert!(!night.contains(3 * 60));
        assert!(windows(&["sat,sun 00:00-24:00"]).contains(5 * 24 * 60));
        assert!(windows(&["fri-mon 10:00-11:00"]).contains(10 * 60));
        for bad in ["mon-fri", "xyz 08:00-09:00", "mon 25:00-26:00", "mon 08:00"] {
            assert!(
                WeekMinutes::parse(&[bad.to_owned()]).is_err(),
                "{bad} should not parse"
            );
        }
    }

    #[test]
    fn minute_of_week_starts_on_monday() {
        // 2025-11-17T00:00 JST was a Monday: 2025-11-16T15:00Z.
        let utc_minutes = 1_763_305_200 / 60;
        assert_eq!(minute_of_week(utc_minutes + JST_OFFSET_SECS / 60), 0);
    }

    #[test]
    fn holidays_come_from_the_calendar() {
        let mut h = Holidays::new();
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days()
                * 24
                * 60
        };
        assert!(h.contains(day(2025, 11, 3)), "文化の日");
        assert!(h.contains(day(2025, 11, 24)), "勤労感謝の日の振替休日");
        assert!(h.contains(day(2026, 3, 20)), "春分の日");
        assert!(!h.contains(day(2025, 11, 20)));
    }

    #[test]
    fn closing_days_parse() {
        assert_eq!(month_day("12-29"), Some((12, 29)));
        assert_eq!(month_day("02-29"), Some((2, 29)));
        assert_eq!(month_day("13-01"), None);
        assert_eq!(month_day("1229"), None);
        let day = NaiveDate::from_ymd_opt(2025, 12, 29).unwrap();
        let minutes = day
            .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days()
            * 24
            * 60
            + 600;
        assert_eq!(date_of(minutes), Some(day));
    }

    #[test]
    fn tuples_parse_and_admit() {
        let t = FlowTuple::parse("203.0.113.0/28 tcp/443").unwrap();
        let ip = parse_ip_key("203.0.113.5").unwrap();
        assert!(t.admits(ip, Some("TCP"), Some(443), true));
        assert!(!t.admits(ip, Some("tcp"), Some(80), true));
        assert!(t.admits(ip, Some("tcp"), Some(80), false));
        assert!(!t.admits(
            parse_ip_key("203.0.113.16").unwrap(),
            Some("tcp"),
            Some(443),
            true
        ));
        let any = FlowTuple::parse("172.16.0.0/12 any").unwrap();
        assert!(any.admits(parse_ip_key("172.20.0.1").unwrap(), None, None, true));
        let range = FlowTuple::parse("10.0.0.1 udp/1812-1813").unwrap();
        assert!(range.admits(
            parse_ip_key("10.0.0.1").unwrap(),
            Some("udp"),
            Some(1813),
            true
        ));
        for bad in [
            "10.0.0.1",
            "10.0.0.0/33 tcp/1",
            "10.0.0.1 tcp/x",
            "10.0.0.1 tcp",
        ] {
            assert!(FlowTuple::parse(bad).is_err(), "{bad}");
        }
    }
}
