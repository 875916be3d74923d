//! Resolving zone-less and year-less header stamps to UTC.
//!
//! RFC 3164 stamps (`Oct 11 22:14:15`) carry neither a year nor a zone. They are read in
//! the configured zone (Asia/Tokyo by default) and the year comes from the time the line
//! was received.
//!
//! # Performance
//!
//! Asking chrono-tz for the offset of a local time walks the zone's transition table,
//! which is too slow to do for every line at a million lines per second. Logs arrive in
//! time order, so consecutive lines nearly always fall in the same local hour:
//! [`TimeContext`] keeps a 16-slot direct-mapped cache from a local hour to its UTC offset
//! and asks chrono-tz only on a miss. An hour is cached only when its first and last second
//! have the same single offset, so hours that contain a DST transition (ambiguous or
//! skipped local times) always take the exact path. The cache lives in `Cell`s inside the
//! context: parsing takes `&TimeContext`, a context is meant to be owned by one parsing
//! thread (it is `Send`, not `Sync`), and a clone starts with its own copy of the cache.

use std::cell::Cell;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::timestamp::{LocalTime, Stamp, is_valid_date, year_from_days};
use crate::event::Micros;

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_HOUR: i64 = 3_600;

/// How far in the future of the receive time a year-less stamp may lie before it is read
/// as last year's: device clocks drift, and a line stamped `Jan  1 00:00:03` that arrives
/// at 23:59:58 on 31 December belongs to the next year.
const FUTURE_TOLERANCE_SECONDS: i64 = 7 * 86_400;

/// Bounds on real UTC offsets (Etc/GMT+12 to Etc/GMT-14, with room for historical local
/// mean times), used to rule candidate years in or out without a zone lookup.
const MAX_EAST_SECONDS: i64 = 15 * SECONDS_PER_HOUR;
const MAX_WEST_SECONDS: i64 = 13 * SECONDS_PER_HOUR;

const CACHE_SLOTS: usize = 16;

/// The zone and receive time that complete year-less and zone-less header stamps.
///
/// Build one per parsing thread with [`TimeContext::new`] and update
/// [`received_at`](Self::received_at) as lines arrive; the zone can be changed too (the
/// offset cache notices and starts over).
///
/// # Year inference
///
/// A stamp without a year gets the latest year (of the receive year plus one, the receive
/// year, the year before) that puts it no more than seven days after `received_at`. So
/// `Dec 31 23:59:59` received on 2 January is last year's, `Jan  1 00:00:03` received just
/// before midnight on 31 December is next year's, and a file of last spring's logs
/// imported in winter lands in last spring. A stamp whose day does not exist in the
/// chosen year (`Feb 29` in 2025, `Feb 30` ever) resolves to no time at all.
///
/// # Local times that do not exist or exist twice
///
/// In zones with daylight saving, a local time in the hour skipped in spring is read with
/// the offset in force before the change (so `02:30` becomes `03:30`), and a local time
/// repeated in autumn takes the earlier of its two instants.
#[derive(Clone)]
pub struct TimeContext {
    /// Zone for stamps that do not carry one.
    pub tz: Tz,
    /// When the line was received, microseconds since the epoch, UTC.
    pub received_at: Micros,
    cache: OffsetCache,
}

impl TimeContext {
    /// A context for lines from devices whose clocks run in `tz`, received at `received_at`.
    pub fn new(tz: Tz, received_at: Micros) -> Self {
        TimeContext {
            tz,
            received_at,
            cache: OffsetCache::new(tz),
        }
    }

    /// Resolves a parsed stamp to microseconds since the epoch, UTC.
    pub(crate) fn resolve(&self, stamp: Stamp) -> Option<Micros> {
        match stamp {
            Stamp::Utc(micros) => Some(micros),
            Stamp::Local(local) => self.resolve_local(&local),
            Stamp::Invalid => None,
        }
    }

    fn resolve_local(&self, local: &LocalTime) -> Option<Micros> {
        let year = match local.year {
            Some(year) => year,
            None => self.infer_year(local),
        };
        if !is_valid_date(year, local.month, local.day) {
            return None;
        }
        let naive = local.naive_seconds(year);
        let offset = self.offset_of_local(naive)?;
        Some((naive - i64::from(offset)) * MICROS_PER_SECOND + i64::from(local.micros))
    }

    /// The latest year that puts `local` at most [`FUTURE_TOLERANCE_SECONDS`] after the
    /// receive time.
    ///
    /// The receive time's UTC year may differ from its local year around New Year, which
    /// is why three candidates are tried. Most candidates are settled by comparing naive
    /// seconds against the bounds on UTC offsets; only one within a day of the limit needs
    /// the zone.
    fn infer_year(&self, local: &LocalTime) -> i32 {
        let received = self.received_at.div_euclid(MICROS_PER_SECOND);
        let limit = received.saturating_add(FUTURE_TOLERANCE_SECONDS);
        let received_year = year_from_days(received.div_euclid(86_400));
        for candidate in [received_year + 1, received_year, received_year - 1] {
            let Ok(year) = i32::try_from(candidate) else {
                continue;
            };
            let naive = local.naive_seconds(year);
            if naive - MAX_EAST_SECONDS > limit {
                continue;
            }
            if naive + MAX_WEST_SECONDS <= limit {
                return year;
            }
            let offset = self.offset_of_local(naive).map_or(0, i64::from);
            if naive - offset <= limit {
                return year;
            }
        }
        i32::try_from(received_year - 1).unwrap_or(i32::MIN)
    }

    /// UTC offset, in seconds east, of the local time `naive` (seconds since the epoch read
    /// as if local time were UTC).
    fn offset_of_local(&self, naive: i64) -> Option<i32> {
        let hour = naive.div_euclid(SECONDS_PER_HOUR);
        if let Some(offset) = self.cache.get(self.tz, hour) {
            return Some(offset);
        }
        let start = naive_date_time(hour * SECONDS_PER_HOUR)?;
        let end = naive_date_time(hour * SECONDS_PER_HOUR + SECONDS_PER_HOUR - 1)?;
        let first = self.tz.offset_from_local_datetime(&start).single();
        let last = self.tz.offset_from_local_datetime(&end).single();
        if let (Some(first), Some(last)) = (first, last) {
            let (first, last) = (first.fix().local_minus_utc(), last.fix().local_minus_utc());
            if first == last {
                self.cache.put(self.tz, hour, first);
                return Some(first);
            }
        }
        // A transition falls inside this hour: resolve this exact second, uncached.
        let exact = naive_date_time(naive)?;
        match self.tz.offset_from_local_datetime(&exact).earliest() {
            Some(offset) => Some(offset.fix().local_minus_utc()),
            None => {
                // Skipped by a spring-forward: use the offset in force well before the gap
                // (26 hours earlier is before it for any real offset, and no zone has two
                // transitions that close together).
                let before = naive_date_time(naive - 26 * SECONDS_PER_HOUR)?;
                Some(
                    self.tz
                        .offset_from_utc_datetime(&before)
                        .fix()
                        .local_minus_utc(),
                )
            }
        }
    }
}

impl fmt::Debug for TimeContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeContext")
            .field("tz", &self.tz)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

fn naive_date_time(seconds: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc())
}

/// Direct-mapped cache from a local hour (hours since the epoch, read as if local time were
/// UTC) to that hour's UTC offset.
#[derive(Clone)]
struct OffsetCache {
    /// The zone the slots were filled for; a different zone empties them.
    tz: Cell<Tz>,
    slots: [Cell<Slot>; CACHE_SLOTS],
}

#[derive(Clone, Copy)]
struct Slot {
    hour: i64,
    offset: i32,
}

const EMPTY: Slot = Slot {
    hour: i64::MIN,
    offset: 0,
};

impl OffsetCache {
    fn new(tz: Tz) -> Self {
        OffsetCache {
            tz: Cell::new(tz),
            slots: std::array::from_fn(|_| Cell::new(EMPTY)),
        }
    }

    fn get(&self, tz: Tz, hour: i64) -> Option<i32> {
        if self.tz.get() != tz {
            for slot in &self.slots {
                slot.set(EMPTY);
            }
            self.tz.set(tz);
            return None;
        }
        let slot = self.slots[hour.rem_euclid(CACHE_SLOTS as i64) as usize].get();
        (slot.hour == hour).then_some(slot.offset)
    }

    fn put(&self, tz: Tz, hour: i64, offset: i32) {
        debug_assert!(self.tz.get() == tz);
        self.slots[hour.rem_euclid(CACHE_SLOTS as i64) as usize].set(Slot { hour, offset });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{LocalResult, NaiveDate};
    use chrono_tz::{America, Asia, Australia, Europe, UTC};

    fn micros(s: &str) -> Micros {
        DateTime::parse_from_rfc3339(s).expect(s).timestamp_micros()
    }

    fn bsd(month: u8, day: u8, hour: u8) -> LocalTime {
        LocalTime {
            year: None,
            month,
            day,
            hour,
            minute: 0,
            second: 0,
            micros: 0,
        }
    }

    #[test]
    fn tokyo_has_no_dst() {
        let ctx = TimeContext::new(Asia::Tokyo, micros("2024-06-01T00:00:00Z"));
        assert_eq!(
            ctx.resolve_local(&bsd(5, 31, 9)),
            Some(micros("2024-05-31T00:00:00Z"))
        );
    }

    #[test]
    fn year_wraps_at_new_year() {
        // Received early January: December stamps are last year's.
        let ctx = TimeContext::new(Asia::Tokyo, micros("2025-01-02T00:00:00+09:00"));
        assert_eq!(
            ctx.resolve_local(&bsd(12, 31, 23)),
            Some(micros("2024-12-31T23:00:00+09:00"))
        );
        assert_eq!(
            ctx.resolve_local(&bsd(1, 1, 10)),
            Some(micros("2025-01-01T10:00:00+09:00"))
        );
        // A few days of clock drift into the future stay in this year.
        assert_eq!(
            ctx.resolve_local(&bsd(1, 8, 10)),
            Some(micros("2025-01-08T10:00:00+09:00"))
        );
        assert_eq!(
            ctx.resolve_local(&bsd(1, 10, 10)),
            Some(micros("2024-01-10T10:00:00+09:00"))
        );
        // Received on New Year's Eve, a stamp just past midnight is next year's (the
        // receive time's UTC date is still 31 December, so this also checks that the
        // candidate years are taken around the UTC year).
        let ctx = TimeContext::new(Asia::Tokyo, micros("2024-12-31T23:59:58+09:00"));
        assert_eq!(
            ctx.resolve_local(&bsd(1, 1, 0)),
            Some(micros("2025-01-01T00:00:00+09:00"))
        );
        assert_eq!(
            ctx.resolve_local(&bsd(12, 31, 23)),
            Some(micros("2024-12-31T23:00:00+09:00"))
        );
        // Old logs imported later land in the past year.
        let ctx = TimeContext::new(Asia::Tokyo, micros("2025-02-20T00:00:00Z"));
        assert_eq!(
            ctx.resolve_local(&bsd(3, 5, 12)),
            Some(micros("2024-03-05T12:00:00+09:00"))
        );
    }

    #[test]
    fn nonexistent_days_resolve_to_none() {
        let ctx = TimeContext::new(Asia::Tokyo, micros("2025-06-01T00:00:00Z"));
        assert_eq!(ctx.resolve_local(&bsd(2, 29, 12)), None);
        assert_eq!(ctx.resolve_local(&bsd(2, 30, 12)), None);
        let ctx = TimeContext::new(Asia::Tokyo, micros("2024-06-01T00:00:00Z"));
        assert_eq!(
            ctx.resolve_local(&bsd(2, 29, 12)),
            Some(micros("2024-02-29T12:00:00+09:00"))
        );
    }

    #[test]
    fn dst_gaps_and_overlaps() {
        let ctx = TimeContext::new(Europe::Paris, micros("2024-12-01T00:00:00Z"));
        // 2024-03-31 02:30 does not exist in Paris: read with the winter offset.
        assert_eq!(
            ctx.resolve_local(&bsd(3, 31, 2)),
            Some(micros("2024-03-31T02:00:00+01:00"))
        );
        let half_past = LocalTime {
            minute: 30,
            ..bsd(3, 31, 2)
        };
        assert_eq!(
            ctx.resolve_local(&half_past),
            Some(micros("2024-03-31T02:30:00+01:00"))
        );
        // 2024-10-27 02:30 happens twice: the earlier instant (summer time) wins.
        let twice = LocalTime {
            minute: 30,
            ..bsd(10, 27, 2)
        };
        assert_eq!(
            ctx.resolve_local(&twice),
            Some(micros("2024-10-27T02:30:00+02:00"))
        );
        // Around them the cache serves each side with its own offset.
        assert_eq!(
            ctx.resolve_local(&bsd(10, 27, 1)),
            Some(micros("2024-10-27T01:00:00+02:00"))
        );
        assert_eq!(
            ctx.resolve_local(&bsd(10, 27, 3)),
            Some(micros("2024-10-27T03:00:00+01:00"))
        );
    }

    #[test]
    fn changing_the_zone_empties_the_cache() {
        let mut ctx = TimeContext::new(Asia::Tokyo, micros("2024-06-01T00:00:00Z"));
        assert_eq!(
            ctx.resolve_local(&bsd(5, 31, 9)),
            Some(micros("2024-05-31T09:00:00+09:00"))
        );
        ctx.tz = UTC;
        assert_eq!(
            ctx.resolve_local(&bsd(5, 31, 9)),
            Some(micros("2024-05-31T09:00:00Z"))
        );
    }

    #[test]
    fn cached_offsets_match_chrono_tz() {
        // Naive oracle: ask chrono-tz for every probe; the cache must never disagree.
        for tz in [
            Asia::Tokyo,
            Europe::Paris,
            America::New_York,
            Australia::Lord_Howe,
            America::Sao_Paulo,
        ] {
            let ctx = TimeContext::new(tz, micros("2024-06-01T00:00:00Z"));
            let start = NaiveDate::from_ymd_opt(2023, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            for step in 0..(2 * 366 * 24 * 4) {
                let probe = start + chrono::Duration::minutes(15 * step + (step % 7));
                let naive = probe.and_utc().timestamp();
                let got = ctx.offset_of_local(naive);
                match tz.offset_from_local_datetime(&probe) {
                    LocalResult::Single(o) => {
                        assert_eq!(got, Some(o.fix().local_minus_utc()), "{tz} {probe}")
                    }
                    LocalResult::Ambiguous(a, _) => {
                        assert_eq!(got, Some(a.fix().local_minus_utc()), "{tz} {probe}")
                    }
                    LocalResult::None => assert!(got.is_some(), "{tz} {probe}"),
                }
            }
        }
    }
}
