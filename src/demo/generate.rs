//! The run: ordinary traffic with the planned attack bursts merged in, in time order.

use std::iter::Peekable;
use std::vec;

use chrono::{DateTime, Utc};

use super::line::DemoLine;
use super::ordinary::Ordinary;
use super::queue::Queue;
use super::scenario::{Instance, plan};

/// What to generate. The output is a pure function of these three values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSpec {
    /// Seed of every random choice.
    pub seed: u64,
    /// Exactly how many lines to generate, over all devices.
    pub events: usize,
    /// When the traffic starts. The traffic keeps a steady pace around the clock; staff
    /// on core and lgwan keep office hours, so whatever the start, only the labelled
    /// scenarios do after-hours work.
    pub start: DateTime<Utc>,
}

/// Generates the run described by `spec`: exactly `spec.events` lines in time order
/// (ties keep generation order), ordinary traffic with the labelled attack scenarios
/// inside it.
///
/// # Performance
///
/// Lines are produced lazily, about a microsecond each in a release build (a million
/// lines a second), and memory stays flat whatever
/// `events` is: only the attack instances (a few thousand drafted lines at most) and the
/// lines already generated but not yet due (sessions still open, tunnels still up) are
/// held.
pub fn generate(spec: &DemoSpec) -> impl ExactSizeIterator<Item = DemoLine> + use<> {
    let plan = plan(spec);
    Demo {
        ordinary: Ordinary::new(spec.seed, spec.start, &plan.reserved),
        ordinary_left: plan.ordinary,
        ordinary_index: 0,
        lookahead: None,
        pending: plan.instances.into_iter().peekable(),
        attacks: Queue::default(),
        remaining: spec.events,
    }
}

/// The merge of the ordinary stream and the attack bursts.
///
/// An instance is rendered when the ordinary line it is anchored to is drawn, at that
/// line's time. All its lines are at or after that time and everything emitted so far is
/// at or before it, so a two-way merge of the (ordered) ordinary stream and the attack
/// queue stays in order.
struct Demo {
    ordinary: Ordinary,
    /// Ordinary lines still to draw.
    ordinary_left: usize,
    /// Index of the next ordinary line to draw.
    ordinary_index: usize,
    /// The next ordinary line, drawn but not yet emitted.
    lookahead: Option<DemoLine>,
    /// Instances not yet rendered, by anchor.
    pending: Peekable<vec::IntoIter<Instance>>,
    attacks: Queue,
    remaining: usize,
}

impl Iterator for Demo {
    type Item = DemoLine;

    fn next(&mut self) -> Option<DemoLine> {
        if self.remaining == 0 {
            return None;
        }
        if self.lookahead.is_none() && self.ordinary_left > 0 {
            let line = self.ordinary.next_line();
            let index = self.ordinary_index;
            while let Some(instance) = self.pending.next_if(|i| i.anchor <= index) {
                let scenario = instance.scenario;
                for step in instance.steps {
                    let at = line.time + step.offset;
                    self.attacks.push(step.render(scenario, at));
                }
            }
            self.ordinary_index += 1;
            self.ordinary_left -= 1;
            self.lookahead = Some(line);
        }
        let attack_first = match (&self.lookahead, self.attacks.peek_time()) {
            (Some(line), Some(t)) => t < line.time,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let line = if attack_first {
            self.attacks.pop_until(DateTime::<Utc>::MAX_UTC)
        } else {
            self.lookahead.take()
        };
        if line.is_some() {
            self.remaining -= 1;
        }
        line
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Demo {}
