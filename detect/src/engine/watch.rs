//! The sanso extensions that wait for time to pass: `absence` and `silence`.
//!
//! Both answer a question about what did *not* happen, which no count over the events
//! that did can answer, so neither is a Sigma correlation:
//!
//! * **absence** (OMZ-14, a core logon without an MFA success within ±60 s): a match of
//!   the rule is held as *pending* until event time has passed it by `within` plus the
//!   allowed lateness; it then alerts unless the confirming rule matched the same group
//!   key within `within` of it, before or after. Confirmations are kept per group only
//!   as long as a pending match could still use them.
//! * **silence** (OMZ-22, a source silent past its expected interval): every match is a
//!   heartbeat of its group; when the watermark passes a group's last heartbeat by more
//!   than the group's interval, one alert goes out, and the next heartbeat re-arms it.
//!
//! Time is the engine's watermark: the newest event time seen in any table, so that a
//! replayed file gives the same alerts as the live stream did. A live pipeline also
//! calls [`crate::Engine::tick`] with the clock, because when every source falls silent
//! no event moves the watermark. At the end of a finite input
//! [`crate::Engine::finish`] decides every pending match: nothing more can confirm it.
//!
//! Memory is bounded like the correlators': pending matches by `max_entries` per rule,
//! confirmations by `max_entries` per group and by time (dropped once no pending match
//! can reach them), heartbeat groups by `max_groups`; what is dropped for size is
//! counted as evicted.

use std::collections::{HashMap, VecDeque};

use sanso_ingest::schema::Table;
use sanso_ingest::zones::Zone;

use super::evidence;
use crate::alert::{Alert, Severity};
use crate::ir::{AbsenceIr, RuleIr, SilenceIr};

/// One matched row as the watches see it.
pub(super) struct Heard<'a> {
    pub table: Table,
    pub time: i64,
    pub group: String,
    pub zone: Option<Zone>,
    pub line: (&'a str, &'a str),
}

#[derive(Debug)]
struct Pending {
    table: Table,
    time: i64,
    group: String,
    zone: Option<Zone>,
    line: (String, String),
}

#[derive(Debug)]
struct AbsenceState {
    rule: usize,
    ir: AbsenceIr,
    pending: VecDeque<Pending>,
    confirmations: HashMap<String, VecDeque<i64>>,
}

#[derive(Debug)]
struct Beat {
    table: Option<Table>,
    last: i64,
    alerted: bool,
    zone: Option<Zone>,
    line: Option<(String, String)>,
}

#[derive(Debug)]
struct SilenceState {
    rule: usize,
    ir: SilenceIr,
    groups: HashMap<String, Beat>,
}

/// Watch state for every rule with `absence` or `silence`.
#[derive(Debug)]
pub(super) struct Watches {
    absences: Vec<AbsenceState>,
    silences: Vec<SilenceState>,
    watermark: i64,
    lateness: i64,
    max_entries: usize,
    max_groups: usize,
    evicted: u64,
}

impl Watches {
    pub fn new(rules: &[RuleIr], lateness: i64, max_entries: usize, max_groups: usize) -> Watches {
        let absences = rules
            .iter()
            .enumerate()
            .filter_map(|(rule, ir)| {
                Some(AbsenceState {
                    rule,
                    ir: ir.absence.clone()?,
                    pending: VecDeque::new(),
                    confirmations: HashMap::new(),
                })
            })
            .collect();
        let silences = rules
            .iter()
            .enumerate()
            .filter_map(|(rule, ir)| {
                Some(SilenceState {
                    rule,
                    ir: ir.silence.clone()?,
                    groups: HashMap::new(),
                })
            })
            .collect();
        Watches {
            absences,
            silences,
            watermark: i64::MIN,
            lateness,
            max_entries,
            max_groups,
            evicted: 0,
        }
    }

    /// Whether any rule is watched (when none is, the engine skips all of this).
    pub fn is_empty(&self) -> bool {
        self.absences.is_empty() && self.silences.is_empty()
    }

    /// Whether `rule`'s matches are fed to the watches rather than alerting directly.
    pub fn wants(&self, rule: usize) -> bool {
        self.absences
            .iter()
            .any(|a| a.rule == rule || a.ir.confirm == rule)
            || self.silences.iter().any(|s| s.rule == rule)
    }

    /// Pending matches, confirmations and heartbeats dropped to stay within bounds.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Moves the watermark forward (never back). The first time, groups named in a
    /// silence list start their clocks.
    pub fn advance(&mut self, time: i64) {
        if self.watermark == i64::MIN {
            for state in &mut self.silences {
                for (group, _) in &state.ir.expected {
                    state.groups.entry(group.clone()).or_insert(Beat {
                        table: None,
                        last: time,
                        alerted: false,
                        zone: None,
                        line: None,
                    });
                }
            }
        }
        self.watermark = self.watermark.max(time);
    }

    /// Records a match of `rule`.
    pub fn hear(&mut self, rule: usize, heard: Heard<'_>) {
        let max_entries = self.max_entries;
        for state in &mut self.absences {
            if state.ir.confirm == rule {
                let times = state.confirmations.entry(heard.group.clone()).or_default();
                let at = times.partition_point(|&t| t <= heard.time);
                times.insert(at, heard.time);
                if times.len() > max_entries {
                    times.pop_front();
                    self.evicted += 1;
                }
            }
            if state.rule == rule {
                state.pending.push_back(Pending {
                    table: heard.table,
                    time: heard.time,
                    group: heard.group.clone(),
                    zone: heard.zone,
                    line: (heard.line.0.to_owned(), heard.line.1.to_owned()),
                });
                if state.pending.len() > max_entries {
                    state.pending.pop_front();
                    self.evicted += 1;
                }
            }
        }
        for state in self.silences.iter_mut().filter(|s| s.rule == rule) {
            if !state.groups.contains_key(&heard.group) && state.groups.len() >= self.max_groups {
                self.evicted += 1;
                continue;
            }
            let beat = state.groups.entry(heard.group.clone()).or_insert(Beat {
                table: None,
                last: heard.time,
                alerted: false,
                zone: None,
                line: None,
            });
            if heard.time >= beat.last {
                beat.last = heard.time;
                beat.alerted = false;
                beat.table = Some(heard.table);
                beat.zone = heard.zone;
                beat.line = Some((heard.line.0.to_owned(), heard.line.1.to_owned()));
            }
        }
    }

    /// Alerts for every pending match whose window has closed (all of them when
    /// `closing`) and every group that has gone silent.
    pub fn due(&mut self, rules: &[RuleIr], closing: bool, alerts: &mut Vec<Alert>) {
        let watermark = self.watermark;
        for state in &mut self.absences {
            let within = state.ir.within;
            let meta = &rules[state.rule].meta;
            let mut waiting = VecDeque::with_capacity(state.pending.len());
            for p in state.pending.drain(..) {
                let closes = p.time.saturating_add(within).saturating_add(self.lateness);
                if !closing && closes > watermark {
                    waiting.push_back(p);
                    continue;
                }
                let confirmed = state.confirmations.get(&p.group).is_some_and(|times| {
                    let from = times.partition_point(|&t| t < p.time.saturating_sub(within));
                    times
                        .get(from)
                        .is_some_and(|&t| t <= p.time.saturating_add(within))
                });
                if !confirmed {
                    let lines = [p.line];
                    let id = meta.rule_id().to_owned();
                    alerts.push(Alert {
                        alert_id: evidence::alert_id(&id, &p.group, p.time),
                        rule_id: id,
                        title: meta.title.clone(),
                        severity: meta.level.unwrap_or(Severity::Medium),
                        zone: p.zone,
                        time: p.time,
                        window_start: Some(p.time.saturating_sub(within)),
                        window_end: Some(p.time.saturating_add(within)),
                        group_key: Some(p.group),
                        event_count: 1,
                        policy_ref: meta.policy_ref.clone(),
                        evidence: Some(evidence::evidence(p.table, 1, &lines)),
                    });
                }
            }
            state.pending = waiting;
            // A confirmation older than every pending match's reach is of no more use.
            let oldest = state
                .pending
                .iter()
                .map(|p| p.time)
                .min()
                .unwrap_or(watermark);
            let horizon = oldest
                .min(watermark)
                .saturating_sub(within.saturating_mul(2));
            state.confirmations.retain(|_, times| {
                while times.front().is_some_and(|&t| t < horizon) {
                    times.pop_front();
                }
                !times.is_empty()
            });
        }
        if watermark == i64::MIN {
            return;
        }
        for state in &mut self.silences {
            let meta = &rules[state.rule].meta;
            for (group, beat) in &mut state.groups {
                let interval = state
                    .ir
                    .expected
                    .iter()
                    .find(|(g, _)| g == group)
                    .map(|(_, i)| *i)
                    .or(state.ir.default);
                let Some(interval) = interval else { continue };
                let overdue = beat.last.saturating_add(interval);
                if beat.alerted || watermark <= overdue {
                    continue;
                }
                beat.alerted = true;
                let lines: Vec<(String, String)> = beat.line.iter().cloned().collect();
                let id = meta.rule_id().to_owned();
                alerts.push(Alert {
                    alert_id: evidence::alert_id(&id, group, overdue),
                    rule_id: id,
                    title: meta.title.clone(),
                    severity: meta.level.unwrap_or(Severity::Medium),
                    zone: beat.zone,
                    time: overdue,
                    window_start: Some(beat.last),
                    window_end: Some(watermark),
                    group_key: Some(group.clone()),
                    event_count: 0,
                    policy_ref: meta.policy_ref.clone(),
                    evidence: beat
                        .table
                        .or(rules[state.rule].tables.first().map(|(t, _)| *t))
                        .map(|table| evidence::evidence(table, 0, &lines)),
                });
            }
        }
    }
}
