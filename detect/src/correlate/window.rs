//! The sliding window of one group, one variant per correlation type.
//!
//! The window ends at the newest event time seen for the group and reaches back
//! `timespan`; older entries are dropped as newer ones arrive. Entries are kept sorted
//! by time, so events that arrive a little late (within the engine's tolerance) slot
//! into place.

use std::collections::{HashMap, VecDeque};

/// Per-group window state.
#[derive(Debug, Clone)]
pub enum Window {
    /// `event_count`: the event times.
    Count(VecDeque<i64>),
    /// `value_count`: the values in arrival-time order, and how often each occurs in
    /// the window; the number of keys is the distinct count.
    Distinct {
        /// `(time, value)`, sorted by time.
        order: VecDeque<(i64, String)>,
        /// Occurrences of each value inside the window.
        counts: HashMap<String, u32>,
    },
    /// `value_sum`: times and amounts.
    Sum(VecDeque<(i64, f64)>),
    /// `temporal`: for each referenced rule, the last time it matched.
    Temporal(Vec<Option<i64>>),
    /// `temporal_ordered`: `chain[i]` is the latest start time of a sequence that has
    /// matched rules `0..=i` in order.
    Ordered(Vec<Option<i64>>),
}

/// One event as a window sees it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Event time.
    pub time: i64,
    /// Position of the rule that matched, in the correlation's `rules`.
    pub rule: usize,
    /// The counted value (`value_count`).
    pub value: Option<&'a str>,
    /// The summed amount (`value_sum`).
    pub amount: Option<f64>,
}

impl Window {
    /// A new, empty window of the given type for `rules` referenced rules.
    pub fn new(kind: crate::sigma::CorrelationKind, rules: usize) -> Window {
        use crate::sigma::CorrelationKind as K;
        match kind {
            K::EventCount => Window::Count(VecDeque::new()),
            K::ValueCount => Window::Distinct {
                order: VecDeque::new(),
                counts: HashMap::new(),
            },
            K::ValueSum => Window::Sum(VecDeque::new()),
            K::Temporal => Window::Temporal(vec![None; rules]),
            K::TemporalOrdered => Window::Ordered(vec![None; rules]),
        }
    }

    /// Adds an event, then forgets what fell out of the window ending at `newest`, and
    /// beyond `max_entries` the oldest entries (so memory per group is bounded; counts
    /// are exact up to that bound).
    ///
    /// # Performance
    ///
    /// Amortised O(1) for events arriving in time order; a late event costs a shift of
    /// the entries newer than it.
    pub fn push(&mut self, entry: Entry<'_>, newest: i64, timespan: i64, max_entries: usize) {
        let horizon = newest - timespan;
        match self {
            Window::Count(times) => {
                let at = times.partition_point(|&t| t <= entry.time);
                times.insert(at, entry.time);
                while times.front().is_some_and(|&t| t <= horizon) || times.len() > max_entries {
                    times.pop_front();
                }
            }
            Window::Distinct { order, counts } => {
                if let Some(value) = entry.value {
                    let at = order.partition_point(|(t, _)| *t <= entry.time);
                    order.insert(at, (entry.time, value.to_owned()));
                    *counts.entry(value.to_owned()).or_default() += 1;
                }
                while order.front().is_some_and(|(t, _)| *t <= horizon) || order.len() > max_entries
                {
                    if let Some((_, value)) = order.pop_front()
                        && let Some(n) = counts.get_mut(&value)
                    {
                        *n -= 1;
                        if *n == 0 {
                            counts.remove(&value);
                        }
                    }
                }
            }
            Window::Sum(items) => {
                if let Some(amount) = entry.amount {
                    let at = items.partition_point(|&(t, _)| t <= entry.time);
                    items.insert(at, (entry.time, amount));
                }
                while items.front().is_some_and(|&(t, _)| t <= horizon) || items.len() > max_entries
                {
                    items.pop_front();
                }
            }
            Window::Temporal(seen) => {
                if let Some(slot) = seen.get_mut(entry.rule) {
                    *slot = Some(slot.map_or(entry.time, |t| t.max(entry.time)));
                }
                for slot in seen.iter_mut() {
                    if slot.is_some_and(|t| t <= horizon) {
                        *slot = None;
                    }
                }
            }
            Window::Ordered(chain) => {
                let started = if entry.rule == 0 {
                    Some(entry.time)
                } else {
                    chain
                        .get(entry.rule - 1)
                        .copied()
                        .flatten()
                        .filter(|&start| entry.time - start < timespan)
                };
                if let (Some(start), Some(slot)) = (started, chain.get_mut(entry.rule)) {
                    *slot = Some(slot.map_or(start, |s| s.max(start)));
                }
                for slot in chain.iter_mut() {
                    if slot.is_some_and(|t| t <= horizon) {
                        *slot = None;
                    }
                }
            }
        }
    }

    /// The measure the condition tests: events, distinct values, the sum, or the number
    /// of rules seen (for `temporal_ordered`: the rules of the longest chain).
    pub fn measure(&self) -> f64 {
        match self {
            Window::Count(times) => times.len() as f64,
            Window::Distinct { counts, .. } => counts.len() as f64,
            Window::Sum(items) => items.iter().map(|(_, a)| a).sum(),
            Window::Temporal(seen) => seen.iter().filter(|s| s.is_some()).count() as f64,
            Window::Ordered(chain) => chain
                .iter()
                .rposition(Option::is_some)
                .map_or(0.0, |i| (i + 1) as f64),
        }
    }

    /// Earliest time inside the window.
    pub fn start(&self) -> Option<i64> {
        match self {
            Window::Count(times) => times.front().copied(),
            Window::Distinct { order, .. } => order.front().map(|(t, _)| *t),
            Window::Sum(items) => items.front().map(|(t, _)| *t),
            Window::Temporal(seen) => seen.iter().flatten().min().copied(),
            Window::Ordered(chain) => chain.iter().flatten().min().copied(),
        }
    }

    /// Empties the window after it fired, so the next alert needs a fresh crossing.
    pub fn reset(&mut self) {
        match self {
            Window::Count(times) => times.clear(),
            Window::Distinct { order, counts } => {
                order.clear();
                counts.clear();
            }
            Window::Sum(items) => items.clear(),
            Window::Temporal(seen) | Window::Ordered(seen) => {
                seen.iter_mut().for_each(|s| *s = None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(time: i64, rule: usize) -> Entry<'static> {
        Entry {
            time,
            rule,
            value: None,
            amount: None,
        }
    }

    #[test]
    fn counts_slide() {
        let mut w = Window::Count(VecDeque::new());
        for t in [0, 5, 10] {
            w.push(e(t, 0), t, 10, 100);
        }
        assert_eq!(w.measure(), 2.0, "0 fell out of (0, 10]");
        w.push(e(7, 0), 10, 10, 100);
        assert_eq!((w.measure(), w.start()), (3.0, Some(5)));
    }

    #[test]
    fn distinct_values_slide_and_are_bounded() {
        let mut w = Window::new(crate::sigma::CorrelationKind::ValueCount, 1);
        for (t, v) in [(1, "a"), (2, "b"), (3, "a"), (4, "c")] {
            w.push(
                Entry {
                    time: t,
                    rule: 0,
                    value: Some(v),
                    amount: None,
                },
                t,
                100,
                100,
            );
        }
        assert_eq!(w.measure(), 3.0);
        w.push(
            Entry {
                time: 102,
                rule: 0,
                value: Some("c"),
                amount: None,
            },
            102,
            100,
            100,
        );
        assert_eq!(w.measure(), 2.0, "a@1 and b@2 fell out; a@3 and c remain");
        let mut w = Window::new(crate::sigma::CorrelationKind::ValueCount, 1);
        for (t, v) in [(1, "a"), (2, "b"), (3, "c")] {
            w.push(
                Entry {
                    time: t,
                    rule: 0,
                    value: Some(v),
                    amount: None,
                },
                t,
                100,
                2,
            );
        }
        assert_eq!(w.measure(), 2.0, "only two entries are kept");
    }

    #[test]
    fn ordered_chains_need_order() {
        let mut w = Window::Ordered(vec![None; 2]);
        w.push(e(5, 1), 5, 100, 100);
        assert_eq!(
            w.measure(),
            0.0,
            "second step before the first does not count"
        );
        w.push(e(6, 0), 6, 100, 100);
        w.push(e(7, 1), 7, 100, 100);
        assert_eq!((w.measure(), w.start()), (2.0, Some(6)));
        let mut w = Window::Ordered(vec![None; 2]);
        w.push(e(0, 0), 0, 10, 100);
        w.push(e(20, 1), 20, 10, 100);
        assert_eq!(w.measure(), 0.0, "too far apart");
    }

    #[test]
    fn temporal_and_sum() {
        let mut w = Window::Temporal(vec![None; 2]);
        w.push(e(1, 1), 1, 10, 100);
        w.push(e(3, 0), 3, 10, 100);
        assert_eq!(w.measure(), 2.0);
        w.reset();
        assert_eq!(w.measure(), 0.0);
        let mut w = Window::Sum(VecDeque::new());
        w.push(
            Entry {
                time: 1,
                rule: 0,
                value: None,
                amount: Some(2.5),
            },
            1,
            10,
            100,
        );
        w.push(
            Entry {
                time: 2,
                rule: 0,
                value: None,
                amount: Some(4.0),
            },
            2,
            10,
            100,
        );
        assert_eq!(w.measure(), 6.5);
    }
}
