//! Deduplication and suppression of alerts per rule and group, by event time.

use std::collections::HashMap;

/// Remembers the last alert per `(rule, group)` and holds back repeats within the
/// period.
///
/// Time is event time, not wall-clock time, so replaying a day of logs suppresses the
/// same way as live traffic. Memory is bounded by `max_keys`: past it, keys whose
/// period has ended are forgotten first, then the oldest.
#[derive(Debug)]
pub struct Suppressor {
    period: i64,
    max_keys: usize,
    last: HashMap<(String, String), i64>,
    newest: i64,
    suppressed: u64,
}

impl Suppressor {
    /// Suppresses repeats within `period` microseconds.
    pub fn new(period: i64, max_keys: usize) -> Suppressor {
        Suppressor {
            period,
            max_keys,
            last: HashMap::new(),
            newest: i64::MIN,
            suppressed: 0,
        }
    }

    /// Alerts held back so far.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// Whether an alert for `(rule, group)` at `time` goes out; records it if so.
    pub fn admit(&mut self, rule: &str, group: &str, time: i64) -> bool {
        self.newest = self.newest.max(time);
        let key = (rule.to_owned(), group.to_owned());
        if let Some(&last) = self.last.get(&key)
            && time >= last
            && time - last < self.period
        {
            self.suppressed += 1;
            return false;
        }
        if self.last.len() >= self.max_keys && !self.last.contains_key(&key) {
            let horizon = self.newest.saturating_sub(self.period);
            self.last.retain(|_, t| *t > horizon);
            if self.last.len() >= self.max_keys
                && let Some(oldest) = self
                    .last
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| k.clone())
            {
                self.last.remove(&oldest);
            }
        }
        let slot = self.last.entry(key).or_insert(time);
        *slot = (*slot).max(time);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_back_repeats_within_the_period() {
        let mut s = Suppressor::new(100, 10);
        assert!(s.admit("r", "a", 0));
        assert!(!s.admit("r", "a", 50));
        assert!(s.admit("r", "b", 50), "another group");
        assert!(s.admit("q", "a", 50), "another rule");
        assert!(s.admit("r", "a", 100), "the period ended");
        assert_eq!(s.suppressed(), 1);
    }

    #[test]
    fn stays_bounded() {
        let mut s = Suppressor::new(10, 2);
        for (i, g) in ["a", "b", "c", "d"].iter().enumerate() {
            assert!(s.admit("r", g, i as i64));
        }
        assert!(s.last.len() <= 2);
    }
}
