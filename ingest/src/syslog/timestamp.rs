//! Header timestamps: RFC 3339 (strict for RFC 5424, loose for RFC 3164) and the BSD
//! `Mmm dd hh:mm:ss` stamp.
//!
//! Parsing only reads digits and checks ranges; it never calls into chrono. A stamp that
//! carries its own zone is converted to UTC here with integer calendar arithmetic
//! ([`days_from_civil`]). A stamp without a zone or year comes back as [`Stamp::Local`]
//! and is resolved by [`TimeContext`](super::TimeContext), which owns the time zone and the
//! offset cache.
//!
//! Leap seconds (`:60`) are accepted and, as in POSIX time, land on the following second.

use crate::event::Micros;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A header timestamp before it is resolved to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// The stamp carried a zone (`Z`, `+09:00`): microseconds since the epoch, UTC.
    Utc(Micros),
    /// Wall-clock time without a zone, perhaps without a year: read in the configured zone.
    Local(LocalTime),
    /// Well formed but not a real date-time (`Feb 30`, `25:00:00`).
    Invalid,
}

/// A wall-clock date-time whose zone, and perhaps year, come from the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalTime {
    /// `None` for the usual BSD stamp; the year is then inferred from the receive time.
    pub year: Option<i32>,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
}

impl LocalTime {
    /// Whether the time of day is in range (a leap second `:60` included). The date is
    /// checked once the year is known ([`is_valid_date`]).
    fn has_valid_time(&self) -> bool {
        self.hour <= 23 && self.minute <= 59 && self.second <= 60
    }

    /// Seconds since the epoch of this wall-clock time read as if it were UTC.
    ///
    /// A day past the end of the month (`Feb 30`) rolls into the next month; callers that
    /// need a real date check [`is_valid_date`] first.
    pub(crate) fn naive_seconds(&self, year: i32) -> i64 {
        days_from_civil(i64::from(year), u32::from(self.month), u32::from(self.day)) * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// How strictly [`rfc3339`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// RFC 5424 `TIMESTAMP`: upper-case `T` and `Z`, 1-6 fractional digits, a zone, and
    /// each digit checked against its field's range so errors point at the bad digit.
    Rfc5424,
    /// What RFC 3164 senders write: `t`/`z`/space accepted, any number of fractional
    /// digits (truncated to microseconds), `+hhmm` and `+hh` zones, or no zone at all.
    Loose,
}

/// Parses an RFC 3339 timestamp at `pos`.
///
/// Returns the stamp and the offset just after it, or the column of the first byte that
/// breaks the grammar. A strict parse returns [`Stamp::Utc`] or, for a day that does not
/// exist in its month, [`Stamp::Invalid`].
pub(crate) fn rfc3339(
    b: &[u8],
    pos: usize,
    strictness: Strictness,
) -> Result<(Stamp, usize), usize> {
    let strict = strictness == Strictness::Rfc5424;
    let year = number(b, pos, 4)? as i32;
    expect(b, pos + 4, b'-')?;
    let month = two_digits(b, pos + 5, strict, 1, 1, 12)?;
    expect(b, pos + 7, b'-')?;
    let day = two_digits(b, pos + 8, strict, 3, 1, 31)?;
    let mut p = pos + 10;
    match b.get(p) {
        Some(b'T') => {}
        Some(b't' | b' ') if !strict => {}
        _ => return Err(p),
    }
    let hour = two_digits(b, p + 1, strict, 2, 0, 23)?;
    expect(b, p + 3, b':')?;
    let minute = two_digits(b, p + 4, strict, 5, 0, 59)?;
    expect(b, p + 6, b':')?;
    let second = two_digits(b, p + 7, strict, 6, 0, 60)?;
    p += 9;

    let mut micros = 0u32;
    if b.get(p) == Some(&b'.') {
        let (value, end) = fraction(b, p + 1, strict)?;
        micros = value;
        p = end;
    }

    let offset = match b.get(p) {
        Some(b'Z') => {
            p += 1;
            Some(0)
        }
        Some(b'z') if !strict => {
            p += 1;
            Some(0)
        }
        Some(&sign @ (b'+' | b'-')) if strict || b.get(p + 1).is_some_and(u8::is_ascii_digit) => {
            let (seconds, end) = zone_offset(b, p + 1, strict)?;
            p = end;
            Some(if sign == b'-' { -seconds } else { seconds })
        }
        _ if strict => return Err(p),
        _ => None,
    };

    let local = LocalTime {
        year: Some(year),
        month,
        day,
        hour,
        minute,
        second,
        micros,
    };
    let stamp = match offset {
        _ if !local.has_valid_time() || !is_valid_date(year, month, day) => Stamp::Invalid,
        Some(offset) => Stamp::Utc(
            (local.naive_seconds(year) - i64::from(offset)) * MICROS_PER_SECOND + i64::from(micros),
        ),
        None => Stamp::Local(local),
    };
    Ok((stamp, p))
}

/// Parses a BSD (RFC 3164) stamp at `pos`: `Mmm dd hh:mm:ss` with the variants devices
/// write.
///
/// Accepted: any case of the month (`AUG`), a day of one or two digits after one or more
/// spaces (`Jun 8`, `Jun  8`, `Jun 08`), a year before the time (`Mar  7 2008 19:06:53`,
/// Cisco ASA) or after it (`Aug 10 22:18:24 2009`), and fractional seconds. The stamp must
/// end at whitespace, `:` or the end of the line. Returns `None` when the shape does not
/// match, so the caller can try the next form.
pub(crate) fn bsd(b: &[u8], pos: usize) -> Option<(Stamp, usize)> {
    let month = month(b.get(pos..pos + 3)?)?;
    let mut p = pos + 3;
    if b.get(p) != Some(&b' ') {
        return None;
    }
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    let mut day = digit(b, p).ok()?;
    p += 1;
    if let Ok(d) = digit(b, p) {
        day = day * 10 + d;
        p += 1;
    }
    if b.get(p) != Some(&b' ') {
        return None;
    }
    p += 1;

    let mut year = None;
    if let Ok(y) = number(b, p, 4)
        && b.get(p + 4) == Some(&b' ')
    {
        year = Some(y as i32);
        p += 5;
    }
    let hour = two_digits(b, p, false, 9, 0, 99).ok()?;
    expect(b, p + 2, b':').ok()?;
    let minute = two_digits(b, p + 3, false, 9, 0, 99).ok()?;
    expect(b, p + 5, b':').ok()?;
    let second = two_digits(b, p + 6, false, 9, 0, 99).ok()?;
    p += 8;
    let mut micros = 0;
    if b.get(p) == Some(&b'.') {
        let (value, end) = fraction(b, p + 1, false).ok()?;
        micros = value;
        p = end;
    }
    // A trailing year only counts as one when it stands alone, so a host name made of four
    // digits followed by more header is the only thing this can misread.
    if year.is_none()
        && b.get(p) == Some(&b' ')
        && let Ok(y) = number(b, p + 1, 4)
        && b.get(p + 5).is_none_or(|&c| is_space(c))
    {
        year = Some(y as i32);
        p += 5;
    }
    if !b.get(p).is_none_or(|&c| is_space(c) || c == b':') {
        return None;
    }

    let local = LocalTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        micros,
    };
    // Whether the day exists in its month waits for the year, which may be inferred.
    let stamp = if (1..=31).contains(&day) && local.has_valid_time() {
        Stamp::Local(local)
    } else {
        Stamp::Invalid
    };
    Some((stamp, p))
}

/// Month number for a three-letter English abbreviation in any case (`Jan`, `JAN`, `jan`).
///
/// Folding with `| 0x20` maps only ASCII letters onto lower-case letters, so no other
/// byte can alias a month name.
pub(crate) fn month(name: &[u8]) -> Option<u8> {
    let [a, b, c] = name else { return None };
    Some(match [a | 0x20, b | 0x20, c | 0x20] {
        [b'j', b'a', b'n'] => 1,
        [b'f', b'e', b'b'] => 2,
        [b'm', b'a', b'r'] => 3,
        [b'a', b'p', b'r'] => 4,
        [b'm', b'a', b'y'] => 5,
        [b'j', b'u', b'n'] => 6,
        [b'j', b'u', b'l'] => 7,
        [b'a', b'u', b'g'] => 8,
        [b's', b'e', b'p'] => 9,
        [b'o', b'c', b't'] => 10,
        [b'n', b'o', b'v'] => 11,
        [b'd', b'e', b'c'] => 12,
        _ => return None,
    })
}

/// Whether `b` separates header fields (space or tab).
pub(crate) fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
///
/// Pure integer arithmetic, valid for any year; a day past the end of its month carries
/// into the next month.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Gregorian year of a day counted from 1970-01-01 (inverse of [`days_from_civil`]).
pub(crate) fn year_from_days(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400;
    // The era counts from March: January and February belong to the next civil year.
    if mp >= 10 { year + 1 } else { year }
}

/// Whether `year-month-day` exists in the Gregorian calendar.
pub(crate) fn is_valid_date(year: i32, month: u8, day: u8) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digit(b: &[u8], pos: usize) -> Result<u8, usize> {
    match b.get(pos) {
        Some(&d @ b'0'..=b'9') => Ok(d - b'0'),
        _ => Err(pos),
    }
}

fn expect(b: &[u8], pos: usize, byte: u8) -> Result<(), usize> {
    if b.get(pos) == Some(&byte) {
        Ok(())
    } else {
        Err(pos)
    }
}

/// `n` decimal digits at `pos`.
fn number(b: &[u8], pos: usize, n: usize) -> Result<u32, usize> {
    (pos..pos + n).try_fold(0u32, |acc, i| Ok(acc * 10 + u32::from(digit(b, i)?)))
}

/// Two digits at `pos`. In strict mode the first digit must not exceed `first_max` and the
/// value must lie in `min..=max`; the error column is the digit that breaks the rule.
fn two_digits(
    b: &[u8],
    pos: usize,
    strict: bool,
    first_max: u8,
    min: u8,
    max: u8,
) -> Result<u8, usize> {
    let d1 = digit(b, pos)?;
    if strict && d1 > first_max {
        return Err(pos);
    }
    let value = d1 * 10 + digit(b, pos + 1)?;
    if strict && !(min..=max).contains(&value) {
        return Err(pos + 1);
    }
    Ok(value)
}

/// Fractional-second digits at `pos` (just after the `.`), as microseconds.
///
/// Strict mode allows 1 to 6 digits and reports the seventh; loose mode truncates any
/// number of digits to microseconds.
fn fraction(b: &[u8], pos: usize, strict: bool) -> Result<(u32, usize), usize> {
    let mut micros = 0u32;
    let mut p = pos;
    while let Some(&d @ b'0'..=b'9') = b.get(p) {
        let n = p - pos;
        if n == 6 && strict {
            return Err(p);
        }
        if n < 6 {
            micros = micros * 10 + u32::from(d - b'0');
        }
        p += 1;
    }
    let n = p - pos;
    if n == 0 {
        return Err(p);
    }
    Ok((micros * 10u32.pow(6u32.saturating_sub(n as u32)), p))
}

/// A zone offset after its sign: `hh:mm`, or in loose mode also `hhmm` and `hh`.
/// Returns seconds east of UTC.
fn zone_offset(b: &[u8], pos: usize, strict: bool) -> Result<(i32, usize), usize> {
    let hours = two_digits(b, pos, strict, 2, 0, 23)?;
    let mut p = pos + 2;
    let mut minutes = 0;
    if strict {
        expect(b, p, b':')?;
        minutes = two_digits(b, p + 1, true, 5, 0, 59)?;
        p += 3;
    } else {
        let colon = usize::from(b.get(p) == Some(&b':'));
        if let Ok(m) = two_digits(b, p + colon, false, 9, 0, 99) {
            minutes = m;
            p += colon + 2;
        }
    }
    Ok((i32::from(hours) * 3_600 + i32::from(minutes) * 60, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    fn strict(s: &str) -> Result<(Stamp, usize), usize> {
        rfc3339(s.as_bytes(), 0, Strictness::Rfc5424)
    }

    fn loose(s: &str) -> Result<(Stamp, usize), usize> {
        rfc3339(s.as_bytes(), 0, Strictness::Loose)
    }

    fn utc(s: &str) -> Micros {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect(s)
            .timestamp_micros()
    }

    #[test]
    fn civil_days_match_chrono() {
        for days in (-800_000..800_000).step_by(97) {
            let date = NaiveDate::from_num_days_from_ce_opt(719_163 + days).unwrap();
            assert_eq!(
                days_from_civil(i64::from(date.year()), date.month(), date.day()),
                i64::from(days)
            );
            assert_eq!(
                year_from_days(i64::from(days)),
                i64::from(date.year()),
                "{date}"
            );
        }
    }

    #[test]
    fn strict_offsets_and_fractions() {
        for s in [
            "2003-10-11T22:14:15.003Z",
            "2003-08-24T05:14:15.000003-07:00",
            "2018-12-31T23:59:59.999999-23:59",
            "2016-02-21T04:32:57+00:00",
            "1969-12-03T23:58:58+00:00",
            "2012-12-19T01:45:54.001234+11:30",
        ] {
            assert_eq!(strict(s), Ok((Stamp::Utc(utc(s)), s.len())), "{s}");
        }
    }

    #[test]
    fn leap_second_is_the_next_second() {
        let (stamp, _) = strict("2016-12-31T23:59:60-04:00").unwrap();
        assert_eq!(stamp, Stamp::Utc(utc("2017-01-01T00:00:00-04:00")));
    }

    #[test]
    fn strict_rejects_at_the_offending_byte() {
        for (s, col) in [
            ("2006-01-02t15:04:05Z", 10),
            ("2006-01-02T15:04:05z", 19),
            ("2018-112-22", 7),
            ("2018-02-32", 9),
            ("2018-02-01:25:15Z", 10),
            ("2003-09-29T22:99:16Z", 14),
            ("2003-09-29T22:09:99Z", 17),
            ("2003-09-29T22:09:01.000000000009Z", 26),
            ("2003-09-29T22:09:01.Z", 20),
            ("2003-09-29T22:09:01.", 20),
            ("2003-09-29T22:09:01A", 19),
            ("2003-08-24T05:14:15.000003-24:00", 28),
            ("2003-08-24T05:14:15.000003-60:00", 27),
            ("2003-08-24T05:14:15.000003-07:61", 30),
            ("2003-11-02T23:12:46.012345", 26),
            ("201", 3),
        ] {
            assert_eq!(strict(s), Err(col), "{s}");
        }
    }

    #[test]
    fn nonexistent_days_are_invalid() {
        assert_eq!(
            strict("2003-09-31T22:14:15.003Z").map(|r| r.0),
            Ok(Stamp::Invalid)
        );
        assert_eq!(
            strict("2018-02-29T22:14:16+01:00").map(|r| r.0),
            Ok(Stamp::Invalid)
        );
        assert!(matches!(
            strict("2016-02-29T22:14:16+01:00"),
            Ok((Stamp::Utc(_), _))
        ));
    }

    #[test]
    fn loose_accepts_what_3164_senders_write() {
        let (stamp, end) = loose("2020-10-11t22:14:15.123456789z host").unwrap();
        assert_eq!(stamp, Stamp::Utc(utc("2020-10-11T22:14:15.123456Z")));
        assert_eq!(end, 30);
        let (stamp, _) = loose("2020-10-11T22:14:15+0900").unwrap();
        assert_eq!(stamp, Stamp::Utc(utc("2020-10-11T22:14:15+09:00")));
        let (stamp, end) = loose("2020-10-11 22:14:15 host").unwrap();
        assert!(matches!(
            stamp,
            Stamp::Local(LocalTime {
                year: Some(2020),
                month: 10,
                hour: 22,
                ..
            })
        ));
        assert_eq!(end, 19);
    }

    #[test]
    fn bsd_variants() {
        let local = |s: &str| match bsd(s.as_bytes(), 0) {
            Some((Stamp::Local(t), end)) => Some((
                t.year, t.month, t.day, t.hour, t.minute, t.second, t.micros, end,
            )),
            _ => None,
        };
        assert_eq!(
            local("Oct 11 22:14:15 host"),
            Some((None, 10, 11, 22, 14, 15, 0, 15))
        );
        assert_eq!(
            local("Aug  7 06:30:00 x"),
            Some((None, 8, 7, 6, 30, 0, 0, 15))
        );
        assert_eq!(
            local("Jun 8 11:54:08 master"),
            Some((None, 6, 8, 11, 54, 8, 0, 14))
        );
        assert_eq!(
            local("AUG 10 22:18:24 host"),
            Some((None, 8, 10, 22, 18, 24, 0, 15))
        );
        assert_eq!(
            local("Mar 07 19:06:53"),
            Some((None, 3, 7, 19, 6, 53, 0, 15))
        );
        assert_eq!(
            local("Mar 7 2008 19:06:53: example"),
            Some((Some(2008), 3, 7, 19, 6, 53, 0, 19))
        );
        assert_eq!(
            local("Aug 10 22:18:24 2009  netips"),
            Some((Some(2009), 8, 10, 22, 18, 24, 0, 20))
        );
        assert_eq!(
            local("Jul 14 12:17:01.234 precision"),
            Some((None, 7, 14, 12, 17, 1, 234_000, 19))
        );
        assert_eq!(
            local("Jan  6 2009 15:22:26"),
            Some((Some(2009), 1, 6, 15, 22, 26, 0, 20))
        );
        // Four digits are a year only as a whole token; a host named `2009` is misread.
        assert_eq!(
            local("Aug 10 22:18:24 2009host"),
            Some((None, 8, 10, 22, 18, 24, 0, 15))
        );
        assert_eq!(
            local("Aug 10 22:18:24 2009 x").map(|t| t.0),
            Some(Some(2009))
        );
        assert_eq!(
            bsd(b"Feb 30 12:00:00", 0).map(|r| r.0),
            Some(Stamp::Local(LocalTime {
                year: None,
                month: 2,
                day: 30,
                hour: 12,
                minute: 0,
                second: 0,
                micros: 0,
            }))
        );
        assert_eq!(
            bsd(b"Feb 45 12:00:00", 0).map(|r| r.0),
            Some(Stamp::Invalid)
        );
        for s in [
            "Foo 11 22:14:15",
            "Oct 11 22:14",
            "Oct11 22:14:15",
            "Oct 11 22:14:15x",
            "Oct 111 22:14:15",
        ] {
            assert_eq!(bsd(s.as_bytes(), 0), None, "{s}");
        }
    }

    #[test]
    fn month_names_in_any_case_and_nothing_else() {
        assert_eq!(month(b"Jan"), Some(1));
        assert_eq!(month(b"DEC"), Some(12));
        assert_eq!(month(b"sEp"), Some(9));
        assert_eq!(month(b"J@n"), None);
        assert_eq!(month(b"Ja"), None);
        for a in 0..=255u8 {
            for c in [b'n', b'N'] {
                let expected = matches!(a, b'j' | b'J').then_some(1);
                assert_eq!(month(&[a, b'a', c]), expected);
            }
        }
    }
}
