//! Correlations: windowed state per group, kept across batches.
//!
//! A [`Correlator`] runs one correlation. The engine feeds it the matches of the rules
//! the correlation references, in event-time order within each batch; the correlator
//! keys them by the group-by values, slides a [`Window`] per group and reports a
//! [`Firing`] when the condition holds, then empties that group's window.
//!
//! Memory is bounded three ways: entries per window (`max_entries`), groups per
//! correlation (`max_groups`; when full, expired groups go first, then the group idle
//! longest), and time (a group whose newest event is older than the watermark minus
//! `timespan` and the late tolerance is dropped). The watermark is the newest event
//! time seen; an event older than the watermark minus the tolerance is counted as late
//! and ignored, so a replayed day of logs cannot reopen windows that already closed.
//!
//! Correlations chain (Sigma v2: a correlation's `rules` may name another correlation):
//! a [`Cascade`] holds the correlator of every correlation of a rule set and feeds each
//! firing, as one event, to the correlations that reference the one that fired.

mod chain;
pub mod window;

use std::collections::{HashMap, VecDeque};

use sanso_ingest::zones::Zone;

pub use self::chain::Cascade;
pub use self::window::{Entry, Window};
use crate::ir::{CorrelationIr, Number};
use crate::sigma::{CmpOp, CorrelationKind};

/// Limits shared by all correlators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How far behind the newest event an event may be and still count, microseconds.
    pub allowed_lateness: i64,
    /// Groups kept per correlation.
    pub max_groups: usize,
    /// Entries kept per group window.
    pub max_entries: usize,
    /// Raw lines kept per group as evidence.
    pub evidence_lines: usize,
}

/// One matched event, as a correlator sees it: a row a referenced rule matched, or the
/// firing of a referenced correlation.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Event time, UTC microseconds; for a firing, the end of its window (the moment
    /// its condition was met).
    pub time: i64,
    /// Position of the matching rule in the correlation's `rules`.
    pub rule: usize,
    /// The group key ([`group_key`] of `values`).
    pub group: &'a str,
    /// The group-by values, in `group-by` order; `None` for a null.
    pub values: &'a [Option<&'a str>],
    /// The counted value, for `value_count`.
    pub value: Option<&'a str>,
    /// The summed amount, for `value_sum`.
    pub amount: Option<f64>,
    /// The zone of the reporting device.
    pub zone: Option<Zone>,
    /// The lines kept as evidence.
    pub lines: Lines<'a>,
}

/// The evidence an event brings: its own line, or a firing's lines.
#[derive(Debug, Clone, Copy)]
pub enum Lines<'a> {
    /// A matched row.
    One {
        /// Where the line came from.
        source: &'a str,
        /// The raw line.
        raw: &'a str,
    },
    /// A referenced correlation's firing: its `(source, raw)` evidence.
    Many(&'a [(String, String)]),
}

/// The group key alerts carry: the value for one group-by field, `name=value, ...` for
/// several, `""` for none; a null value is the empty string.
pub fn group_key(names: &[String], values: &[Option<&str>]) -> String {
    match values {
        [] => String::new(),
        [single] => single.unwrap_or_default().to_owned(),
        many => names
            .iter()
            .zip(many)
            .map(|(n, v)| format!("{n}={}", v.unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The amount a `value_sum` correlation adds for a counted value: the value read as a
/// number; `None` for other correlation types and for text that is not a number.
pub fn amount(kind: CorrelationKind, value: Option<&str>) -> Option<f64> {
    match (kind, value.and_then(Number::parse)) {
        (CorrelationKind::ValueSum, Some(Number::Int(i))) => Some(i as f64),
        (CorrelationKind::ValueSum, Some(Number::Float(f))) => Some(f),
        _ => None,
    }
}

/// A correlation whose condition held for a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    /// The group key.
    pub group: String,
    /// The group-by values, in `group-by` order; `None` for a null.
    pub values: Vec<Option<String>>,
    /// First event time in the window.
    pub window_start: i64,
    /// Newest event time in the window.
    pub window_end: i64,
    /// What the condition tested: events, distinct values, the sum, or rules seen.
    pub measure: f64,
    /// Zone of the group's first event.
    pub zone: Option<Zone>,
    /// Up to `evidence_lines` `(source, raw)` of the window's latest events.
    pub evidence: Vec<(String, String)>,
}

#[derive(Debug)]
struct Group {
    window: Window,
    values: Vec<Option<String>>,
    newest: i64,
    zone: Option<Zone>,
    evidence: VecDeque<(String, String)>,
}

/// The state of one correlation.
#[derive(Debug)]
pub struct Correlator {
    kind: CorrelationKind,
    rules: usize,
    timespan: i64,
    condition: Vec<(CmpOp, f64)>,
    limits: Limits,
    groups: HashMap<String, Group>,
    watermark: i64,
    last_sweep: i64,
    late: u64,
    evicted: u64,
}

impl Correlator {
    /// Empty state for a correlation.
    pub fn new(ir: &CorrelationIr, limits: Limits) -> Correlator {
        Correlator {
            kind: ir.kind,
            rules: ir.rules.len(),
            timespan: ir.timespan,
            condition: ir.condition.clone(),
            limits,
            groups: HashMap::new(),
            watermark: i64::MIN,
            last_sweep: i64::MIN,
            late: 0,
            evicted: 0,
        }
    }

    /// Events ignored because they were later than the tolerance.
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Groups dropped to stay within `max_groups`.
    pub fn evicted_groups(&self) -> u64 {
        self.evicted
    }

    /// Groups currently held.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    fn holds(&self, measure: f64) -> bool {
        if self.condition.is_empty() {
            // Temporal correlations without a condition: every rule seen.
            return measure >= self.rules as f64;
        }
        self.condition
            .iter()
            .all(|(op, threshold)| op.test(measure, *threshold))
    }

    /// Feeds one event; returns a firing when the group's window meets the condition.
    ///
    /// An event without a value is ignored by `value_count` and `value_sum`: there is
    /// nothing to count or add.
    pub fn push(&mut self, event: Event<'_>) -> Option<Firing> {
        let counted = matches!(
            self.kind,
            CorrelationKind::ValueCount | CorrelationKind::ValueSum
        );
        if counted && event.value.is_none() {
            return None;
        }
        if self.watermark != i64::MIN
            && event.time < self.watermark.saturating_sub(self.limits.allowed_lateness)
        {
            self.late += 1;
            return None;
        }
        self.watermark = self.watermark.max(event.time);
        self.sweep();
        if !self.groups.contains_key(event.group) && self.groups.len() >= self.limits.max_groups {
            self.make_room();
        }
        let (kind, rules) = (self.kind, self.rules);
        let group = self
            .groups
            .entry(event.group.to_owned())
            .or_insert_with(|| Group {
                window: Window::new(kind, rules),
                values: event.values.iter().map(|v| v.map(str::to_owned)).collect(),
                newest: event.time,
                zone: event.zone,
                evidence: VecDeque::new(),
            });
        group.newest = group.newest.max(event.time);
        let entry = Entry {
            time: event.time,
            rule: event.rule,
            value: event.value,
            amount: event.amount,
        };
        group
            .window
            .push(entry, group.newest, self.timespan, self.limits.max_entries);
        let keep = self.limits.evidence_lines;
        let mut remember = |source: &str, raw: &str| {
            if keep == 0 {
                return;
            }
            if group.evidence.len() == keep {
                group.evidence.pop_front();
            }
            group
                .evidence
                .push_back((source.to_owned(), raw.to_owned()));
        };
        match event.lines {
            Lines::One { source, raw } => remember(source, raw),
            Lines::Many(lines) => {
                // Only the last `keep` lines can stay.
                let skip = lines.len().saturating_sub(keep);
                for (source, raw) in &lines[skip..] {
                    remember(source, raw);
                }
            }
        }
        let measure = group.window.measure();
        if !self.holds(measure) {
            return None;
        }
        let group = self.groups.get_mut(event.group)?;
        let firing = Firing {
            group: event.group.to_owned(),
            values: group.values.clone(),
            window_start: group.window.start().unwrap_or(event.time),
            window_end: group.newest,
            measure,
            zone: group.zone,
            evidence: group.evidence.drain(..).collect(),
        };
        group.window.reset();
        Some(firing)
    }

    /// Drops groups whose window closed, at most once per `timespan` of event time.
    fn sweep(&mut self) {
        if self.last_sweep != i64::MIN && self.watermark - self.last_sweep < self.timespan {
            return;
        }
        self.last_sweep = self.watermark;
        let horizon = self
            .watermark
            .saturating_sub(self.timespan)
            .saturating_sub(self.limits.allowed_lateness);
        self.groups.retain(|_, g| g.newest > horizon);
    }

    /// Evicts the group idle longest.
    ///
    /// # Performance
    ///
    /// O(groups); it runs only when the table is full of live groups.
    fn make_room(&mut self) {
        let oldest = self
            .groups
            .iter()
            .min_by_key(|(_, g)| g.newest)
            .map(|(k, _)| k.clone());
        if let Some(key) = oldest {
            self.groups.remove(&key);
            self.evicted += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Reference;
    use crate::sigma::Meta;

    fn correlator(
        kind: CorrelationKind,
        condition: Vec<(CmpOp, f64)>,
        max_groups: usize,
    ) -> Correlator {
        let ir = CorrelationIr {
            meta: Meta::default(),
            kind,
            rules: vec![Reference::Rule(0)],
            sources: Vec::new(),
            chained: Vec::new(),
            group_by: vec!["user".into()],
            timespan: 100,
            condition,
            generate: false,
            alerts: true,
        };
        Correlator::new(
            &ir,
            Limits {
                allowed_lateness: 10,
                max_groups,
                max_entries: 1000,
                evidence_lines: 2,
            },
        )
    }

    fn event(time: i64, group: &str) -> Event<'_> {
        Event {
            time,
            rule: 0,
            group,
            values: &[],
            value: None,
            amount: None,
            zone: None,
            lines: Lines::One {
                source: "test",
                raw: "line",
            },
        }
    }

    #[test]
    fn fires_once_per_crossing_and_keeps_groups_apart() {
        let mut c = correlator(CorrelationKind::EventCount, vec![(CmpOp::Gte, 3.0)], 10);
        assert!(c.push(event(1, "a")).is_none());
        assert!(c.push(event(2, "b")).is_none());
        assert!(c.push(event(3, "a")).is_none());
        let f = c.push(event(4, "a")).unwrap();
        assert_eq!(
            (f.group.as_str(), f.window_start, f.window_end, f.measure),
            ("a", 1, 4, 3.0)
        );
        assert_eq!(f.evidence.len(), 2);
        assert!(c.push(event(5, "a")).is_none(), "the window was emptied");
    }

    #[test]
    fn late_events_are_counted_and_ignored() {
        let mut c = correlator(CorrelationKind::EventCount, vec![(CmpOp::Gte, 2.0)], 10);
        c.push(event(1000, "a"));
        assert!(c.push(event(500, "a")).is_none());
        assert_eq!(c.late_events(), 1);
        assert!(c.push(event(995, "a")).is_some(), "within the tolerance");
    }

    #[test]
    fn groups_are_bounded_and_expire() {
        let mut c = correlator(CorrelationKind::EventCount, vec![(CmpOp::Gte, 5.0)], 2);
        c.push(event(1, "a"));
        c.push(event(2, "b"));
        c.push(event(3, "c"));
        assert_eq!((c.groups(), c.evicted_groups()), (2, 1));
        c.push(event(10_000, "d"));
        assert_eq!(c.groups(), 1, "a sweep dropped the closed windows");
    }
}
