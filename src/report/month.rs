//! The calendar month a report covers, in Japan time: the city's books, its committee
//! and its auditors count months from midnight in Tokyo, not in UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;

/// A month, e.g. `2026-11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a parsed month is valid")
    }

    /// Midnight at the start of the month in Japan, as UTC.
    pub fn start(self) -> DateTime<Utc> {
        let midnight = self
            .first_day()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        // Japan has no daylight saving time, so local midnight is never ambiguous.
        Tokyo
            .from_local_datetime(&midnight)
            .single()
            .expect("Tokyo midnight is unambiguous")
            .with_timezone(&Utc)
    }

    /// Midnight at the start of the next month in Japan, as UTC (exclusive end).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        let next = self.next().first_day();
        u32::try_from((next - self.first_day()).num_days()).expect("a month has under 32 days")
    }

    /// Japanese label, e.g. `2026年11月`.
    pub fn label_ja(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Why a `--month` value was refused.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a month: expected YYYY-MM, e.g. 2026-11")]
pub struct MonthError(String);

impl FromStr for Month {
    type Err = MonthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || MonthError(s.to_owned());
        let (year, month) = s.split_once('-').ok_or_else(error)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let month: u32 = month.parse().map_err(|_| error())?;
        let parsed = Month { year, month };
        NaiveDate::from_ymd_opt(year, month, 1)
            .filter(|d| d.year() >= 1970)
            .map(|_| parsed)
            .ok_or_else(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_at_midnight_in_tokyo() {
        let m: Month = "2026-11".parse().unwrap();
        assert_eq!(m.start().to_rfc3339(), "2026-10-31T15:00:00+00:00");
        assert_eq!(m.end().to_rfc3339(), "2026-11-30T15:00:00+00:00");
        assert_eq!(m.days(), 30);
        assert_eq!(m.label_ja(), "2026年11月");
    }

    #[test]
    fn previous_month_crosses_the_year() {
        let m: Month = "2026-01".parse().unwrap();
        assert_eq!(m.previous().to_string(), "2025-12");
        assert_eq!(m.previous().days(), 31);
        assert_eq!(m.previous().end(), m.start());
    }

    #[test]
    fn malformed_months_are_refused() {
        for bad in [
            "2026-13", "2026-1", "26-11", "2026/11", "", "2026-00", "abcd-ef",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
