//! A time-ordered queue of rendered lines.
//!
//! Activities and scenarios produce lines ahead of time (a session's logout, a tunnel that
//! Squid logs when it closes); the queue hands them back earliest first. Lines with the same
//! time come out in the order they went in, so the output never depends on heap internals.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

use super::line::DemoLine;

#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Reverse<Queued>>,
    seq: u64,
}

#[derive(Debug)]
struct Queued {
    time: DateTime<Utc>,
    seq: u64,
    line: DemoLine,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

impl Queue {
    pub(crate) fn push(&mut self, line: DemoLine) {
        self.seq += 1;
        self.heap.push(Reverse(Queued {
            time: line.time,
            seq: self.seq,
            line,
        }));
    }

    /// The time of the earliest line, if any.
    pub(crate) fn peek_time(&self) -> Option<DateTime<Utc>> {
        self.heap.peek().map(|Reverse(q)| q.time)
    }

    /// The earliest line, if it is not later than `horizon`.
    pub(crate) fn pop_until(&mut self, horizon: DateTime<Utc>) -> Option<DemoLine> {
        if self.peek_time()? <= horizon {
            self.heap.pop().map(|Reverse(q)| q.line)
        } else {
            None
        }
    }
}
