//! Correlation chaining: the firings of one correlation as events of another.
//!
//! Sigma v2 lets a correlation's `rules` name another correlation ("ten failed logons
//! for an account, followed by a successful one": a `temporal_ordered` over an
//! `event_count`). A firing becomes one event of each correlation that references it:
//!
//! * its time is the end of its window, the moment the condition was met, so that
//!   "followed by" means after the burst, not after its first event;
//! * its group-by values are those of the firing's group, picked by name: the
//!   referencing correlation groups by (a subset of) the referenced one's `group-by`,
//!   through `aliases` where the names differ; `value_count` and `value_sum` count one
//!   of those values too;
//! * its evidence is the firing's lines, so the final alert quotes the burst as well.
//!
//! Lowering ([`crate::ir::lower`]) orders correlations so that a referenced one comes
//! before those that reference it and rejects cycles, so a firing only ever travels to
//! later correlations and the recursion in [`Cascade::push`] ends.

use super::{Correlator, Event, Firing, Limits, Lines, amount, group_key};
use crate::ir::CorrelationIr;
use crate::sigma::CorrelationKind;

/// Where one correlation's firings go: a correlation that references it.
#[derive(Debug, Clone)]
struct Feed {
    /// Index of the referencing correlation.
    consumer: usize,
    /// Position of the referenced correlation in the consumer's `rules`.
    position: usize,
    /// For each of the consumer's group-by fields, the index of the value in the
    /// firing's group-by values.
    group_by: Vec<usize>,
    /// The value counted or summed, likewise.
    field: Option<usize>,
}

/// The correlators of every correlation of a rule set, wired so that a firing reaches
/// the correlations that reference the one that fired.
#[derive(Debug)]
pub struct Cascade {
    correlators: Vec<Correlator>,
    feeds: Vec<Vec<Feed>>,
    group_by: Vec<Vec<String>>,
    kinds: Vec<CorrelationKind>,
}

impl Cascade {
    /// Empty state for `correlations` (as lowered: a referenced correlation precedes
    /// the correlations that reference it).
    pub fn new(correlations: &[CorrelationIr], limits: Limits) -> Cascade {
        let mut feeds = vec![Vec::new(); correlations.len()];
        for (consumer, ir) in correlations.iter().enumerate() {
            for source in &ir.chained {
                if let Some(list) = feeds.get_mut(source.correlation) {
                    list.push(Feed {
                        consumer,
                        position: source.position,
                        group_by: source.group_by.clone(),
                        field: source.field,
                    });
                }
            }
        }
        Cascade {
            correlators: correlations
                .iter()
                .map(|c| Correlator::new(c, limits))
                .collect(),
            feeds,
            group_by: correlations.iter().map(|c| c.group_by.clone()).collect(),
            kinds: correlations.iter().map(|c| c.kind).collect(),
        }
    }

    /// The correlators, in the order of the correlations.
    pub fn correlators(&self) -> &[Correlator] {
        &self.correlators
    }

    /// Feeds an event to correlation `index`. Every firing it causes, there and in the
    /// correlations downstream, is appended to `out` with the index of the correlation
    /// that fired; a downstream firing comes before the one that caused it.
    pub fn push(&mut self, index: usize, event: Event<'_>, out: &mut Vec<(usize, Firing)>) {
        let Some(firing) = self.correlators.get_mut(index).and_then(|c| c.push(event)) else {
            return;
        };
        // Cloned so that the recursion may borrow `self` mutably; firings are rare.
        let feeds = self.feeds[index].clone();
        let mut values = Vec::new();
        for feed in feeds {
            values.clear();
            values.extend(
                feed.group_by
                    .iter()
                    .map(|&i| firing.values.get(i).and_then(Option::as_deref)),
            );
            let key = group_key(&self.group_by[feed.consumer], &values);
            let value = feed
                .field
                .and_then(|i| firing.values.get(i).and_then(Option::as_deref));
            let event = Event {
                time: firing.window_end,
                rule: feed.position,
                group: &key,
                values: &values,
                value,
                amount: amount(self.kinds[feed.consumer], value),
                zone: firing.zone,
                lines: Lines::Many(&firing.evidence),
            };
            self.push(feed.consumer, event, out);
        }
        out.push((index, firing));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{ChainedSource, Reference};
    use crate::sigma::{CmpOp, Meta};

    fn correlation(group_by: &[&str], chained: Vec<ChainedSource>) -> CorrelationIr {
        CorrelationIr {
            meta: Meta::default(),
            kind: CorrelationKind::EventCount,
            rules: vec![Reference::Rule(0)],
            sources: Vec::new(),
            chained,
            group_by: group_by.iter().map(|g| (*g).to_owned()).collect(),
            timespan: 100,
            condition: vec![(CmpOp::Gte, 2.0)],
            generate: false,
            alerts: true,
        }
    }

    fn event<'a>(time: i64, values: &'a [Option<&'a str>], key: &'a str) -> Event<'a> {
        Event {
            time,
            rule: 0,
            group: key,
            values,
            value: None,
            amount: None,
            zone: None,
            lines: Lines::One {
                source: "test",
                raw: "line",
            },
        }
    }

    /// Pairs of events per (user, src) fire the inner correlation; two of its firings
    /// for one src, whatever the user, fire the outer one, keyed by src alone.
    #[test]
    fn firings_feed_the_correlations_that_reference_them() {
        let inner = correlation(&["user", "src"], Vec::new());
        let outer = correlation(
            &["src"],
            vec![ChainedSource {
                correlation: 0,
                position: 0,
                group_by: vec![1],
                field: None,
            }],
        );
        let limits = Limits {
            allowed_lateness: 10,
            max_groups: 10,
            max_entries: 10,
            evidence_lines: 3,
        };
        let mut cascade = Cascade::new(&[inner, outer], limits);
        let mut out = Vec::new();
        let rows = [
            (1, "tanaka", "10.0.0.1"),
            (2, "tanaka", "10.0.0.1"),
            (3, "suzuki", "10.0.0.1"),
            (4, "sato", "10.0.0.2"),
            (5, "suzuki", "10.0.0.1"),
        ];
        for (time, user, src) in rows {
            let values = [Some(user), Some(src)];
            let key = group_key(&["user".into(), "src".into()], &values);
            cascade.push(0, event(time, &values, &key), &mut out);
        }
        let fired: Vec<(usize, &str, i64, i64)> = out
            .iter()
            .map(|(i, f)| (*i, f.group.as_str(), f.window_start, f.window_end))
            .collect();
        assert_eq!(
            fired,
            [
                (0, "user=tanaka, src=10.0.0.1", 1, 2),
                (1, "10.0.0.1", 2, 5),
                (0, "user=suzuki, src=10.0.0.1", 3, 5),
            ],
            "the outer firing comes before the inner one that caused it"
        );
        let (_, outer_firing) = &out[1];
        assert_eq!(outer_firing.values, [Some("10.0.0.1".to_owned())]);
        assert_eq!(
            outer_firing.evidence.len(),
            3,
            "the firings' lines, up to the limit"
        );
    }
}
