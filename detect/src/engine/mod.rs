//! The stateful side: matches to alerts, with correlations and suppression.
//!
//! [`Engine`] owns a shared [`Detector`] and everything that must survive from one
//! batch to the next: one [`Correlator`] per correlation and the [`Suppressor`]. For
//! each batch it
//!
//! 1. evaluates the detector (stateless, vectorised);
//! 2. turns the matches of rules that generate alerts into one alert per rule and
//!    group key (the rule's `group-by` extension; no key means one per rule and batch);
//! 3. feeds the matches of correlated rules, in event-time order, to the correlators,
//!    which raise an alert when a group's window meets the condition (and pass the
//!    firing on to the correlations that chain onto it, see [`Cascade`]);
//! 4. feeds the matches of rules with the sanso extensions `absence` and `silence` to
//!    the [`watch`] state, which raises an alert once event time shows that something
//!    expected did not happen;
//! 5. drops alerts that repeat a `(rule, group)` within the suppression period.

mod evidence;
mod suppress;
mod watch;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use sanso_ingest::schema::{Table, col};
use sanso_ingest::zones::Zone;

pub use self::evidence::alert_id;
pub(crate) use self::evidence::evidence;
pub use self::suppress::Suppressor;
use self::watch::{Heard, Watches};
use crate::alert::{Alert, Severity};
use crate::correlate::{self, Cascade, Correlator, Event, Firing, Limits, Lines};
use crate::detector::{Detector, Match};
use crate::error::EvalError;
use crate::eval::{self, Scratch};
use crate::ir::{CorrelationIr, RuleIr, Target};
use crate::sigma::Meta;

/// Tunables of the [`Engine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Alerts for the same rule and group within this period (event time,
    /// microseconds) after one that went out are suppressed. Default 10 minutes.
    pub suppress_for: i64,
    /// How late an event may be (behind the newest seen) and still count in a
    /// correlation, microseconds. Default 60 s.
    pub allowed_lateness: i64,
    /// Groups kept per correlation. Default 100 000.
    pub max_groups: usize,
    /// Entries kept per correlation window (counts are exact up to this). Default 100 000.
    pub max_entries: usize,
    /// `(rule, group)` keys the suppressor remembers. Default 100 000.
    pub max_suppression_keys: usize,
    /// Raw lines quoted in an alert's evidence. Default 5.
    pub evidence_lines: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            suppress_for: 600_000_000,
            allowed_lateness: 60_000_000,
            max_groups: 100_000,
            max_entries: 100_000,
            max_suppression_keys: 100_000,
            evidence_lines: 5,
        }
    }
}

/// Counters of what the engine left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Alerts held back by suppression.
    pub suppressed: u64,
    /// Correlated events ignored as too late.
    pub late_events: u64,
    /// Correlation groups evicted to stay within bounds.
    pub evicted_groups: u64,
    /// Correlation groups held now, across all correlations.
    pub groups: usize,
}

/// Detection with state: turns batches into alerts.
///
/// ```
/// # use std::sync::Arc;
/// # use sanso_detect::{Detector, Engine, EngineConfig, FieldMapping, Placeholders, sigma};
/// let text = "title: Root\nid: R-1\nlevel: high\nlogsource: {product: linux, service: sshd}\n\
///             detection:\n  sel: {user: root}\n  condition: sel\n";
/// let set = sigma::parse_str(text, "r.yml".as_ref()).into_result().unwrap();
/// let (mapping, placeholders) = (FieldMapping::default(), Placeholders::default());
/// let detector = Detector::compile(&set, &mapping, &placeholders).unwrap();
/// let mut engine = Engine::new(Arc::new(detector), EngineConfig::default());
/// // for (table, batch) in batches { alerts.extend(engine.process(table, &batch)?); }
/// # let _ = &mut engine;
/// ```
#[derive(Debug)]
pub struct Engine {
    detector: Arc<Detector>,
    config: EngineConfig,
    cascade: Cascade,
    suppressor: Suppressor,
    watches: Watches,
    scratch: Scratch,
}

/// The common columns of a batch that alerts quote.
struct Rows {
    time: Vec<i64>,
    raw: StringArray,
    source: StringArray,
    zone: Option<StringArray>,
}

impl Rows {
    fn new(table: Table, batch: &RecordBatch) -> Result<Rows, EvalError> {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| EvalError::MissingColumn {
                    table,
                    column: name.to_owned(),
                })
        };
        let time = column(col::TIME)?;
        let time = cast(
            &time,
            &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        )?;
        let time = time
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .to_vec();
        let text = |array: ArrayRef| -> Result<StringArray, EvalError> {
            Ok(cast(&array, &DataType::Utf8)?.as_string::<i32>().clone())
        };
        let zone = batch
            .column_by_name(col::ZONE)
            .cloned()
            .map(text)
            .transpose()?;
        Ok(Rows {
            time,
            raw: text(column(col::RAW)?)?,
            source: text(column(col::SOURCE)?)?,
            zone,
        })
    }

    fn line(&self, row: usize) -> (String, String) {
        (
            self.source.value(row).to_owned(),
            self.raw.value(row).to_owned(),
        )
    }

    fn zone(&self, row: usize) -> Option<Zone> {
        let zone = self.zone.as_ref()?;
        zone.is_valid(row)
            .then(|| Zone::from_str(zone.value(row)).ok())
            .flatten()
    }
}

/// Text of each row for some targets, cast once per batch.
fn texts(
    table: Table,
    batch: &RecordBatch,
    targets: &[Target],
) -> Result<Vec<StringArray>, EvalError> {
    targets
        .iter()
        .map(|t| {
            let array = eval::column(table, batch, t)?;
            Ok(cast(&array, &DataType::Utf8)?.as_string::<i32>().clone())
        })
        .collect()
}

/// The group key of a row ([`correlate::group_key`]).
fn group_key(names: &[String], columns: &[StringArray], row: usize) -> String {
    let values: Vec<Option<&str>> = columns
        .iter()
        .map(|c| c.is_valid(row).then(|| c.value(row)))
        .collect();
    correlate::group_key(names, &values)
}

fn rule_id(meta: &Meta) -> String {
    meta.rule_id().to_owned()
}

impl Engine {
    /// An engine with empty state.
    pub fn new(detector: Arc<Detector>, config: EngineConfig) -> Engine {
        let limits = Limits {
            allowed_lateness: config.allowed_lateness,
            max_groups: config.max_groups,
            max_entries: config.max_entries,
            evidence_lines: config.evidence_lines,
        };
        let cascade = Cascade::new(detector.correlations(), limits);
        let watches = Watches::new(
            detector.rules(),
            config.allowed_lateness,
            config.max_entries,
            config.max_groups,
        );
        Engine {
            suppressor: Suppressor::new(config.suppress_for, config.max_suppression_keys),
            watches,
            detector,
            config,
            cascade,
            scratch: Scratch::default(),
        }
    }

    /// The detector the engine runs.
    pub fn detector(&self) -> &Arc<Detector> {
        &self.detector
    }

    /// What was left out so far.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            suppressed: self.suppressor.suppressed(),
            late_events: self.correlators().map(Correlator::late_events).sum(),
            evicted_groups: self
                .correlators()
                .map(Correlator::evicted_groups)
                .sum::<u64>()
                + self.watches.evicted(),
            groups: self.correlators().map(Correlator::groups).sum(),
        }
    }

    fn correlators(&self) -> impl Iterator<Item = &Correlator> {
        self.cascade.correlators().iter()
    }

    /// Runs one batch of `table` and returns the alerts it raised, in event-time order.
    pub fn process(&mut self, table: Table, batch: &RecordBatch) -> Result<Vec<Alert>, EvalError> {
        let matches = self
            .detector
            .evaluate_with(table, batch, &mut self.scratch)?;
        let mut alerts = Vec::new();
        if !matches.is_empty() {
            let rows = Rows::new(table, batch)?;
            for m in &matches {
                let rule = &self.detector.rules()[m.rule];
                if self.watches.wants(m.rule) {
                    self.watch(table, batch, &rows, m)?;
                } else if rule.generate {
                    self.rule_alerts(table, batch, &rows, rule, m, &mut alerts)?;
                }
            }
            self.correlate(table, batch, &rows, &matches, &mut alerts)?;
        }
        if !self.watches.is_empty() {
            if let Some((oldest, newest)) = time_range(table, batch)? {
                // The first call starts the clocks of listed sources at the oldest event.
                self.watches.advance(oldest);
                self.watches.advance(newest);
            }
            self.watches.due(self.detector.rules(), false, &mut alerts);
        }
        Ok(self.admit(alerts))
    }

    /// For a live pipeline, called now and then with the clock (UTC microseconds): lets
    /// `silence` rules notice sources that stopped while every source is quiet, when
    /// no event moves event time. Replays of old logs must not call it.
    pub fn tick(&mut self, now: i64) -> Vec<Alert> {
        if self.watches.is_empty() {
            return Vec::new();
        }
        self.watches.advance(now);
        let mut alerts = Vec::new();
        self.watches.due(self.detector.rules(), false, &mut alerts);
        self.admit(alerts)
    }

    /// At the end of a finite input (a file import, a test): decides every match that
    /// still waits for an `absence` window to close, since nothing more can confirm it.
    pub fn finish(&mut self) -> Vec<Alert> {
        let mut alerts = Vec::new();
        self.watches.due(self.detector.rules(), true, &mut alerts);
        self.admit(alerts)
    }

    /// Sorts alerts by time and drops those the suppressor holds back.
    fn admit(&mut self, mut alerts: Vec<Alert>) -> Vec<Alert> {
        alerts.sort_by(|a, b| {
            (a.time, &a.rule_id, &a.group_key).cmp(&(b.time, &b.rule_id, &b.group_key))
        });
        alerts.retain(|a| {
            self.suppressor
                .admit(&a.rule_id, a.group_key.as_deref().unwrap_or(""), a.time)
        });
        alerts
    }

    /// Feeds a watched rule's matches (see [`watch`]) with their group keys.
    fn watch(
        &mut self,
        table: Table,
        batch: &RecordBatch,
        rows: &Rows,
        m: &Match,
    ) -> Result<(), EvalError> {
        let rule = &self.detector.rules()[m.rule];
        let targets = rule
            .group_by
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[][..], |(_, g)| g.as_slice());
        let columns = texts(table, batch, targets)?;
        for &row in &m.rows {
            let row = row as usize;
            let group = group_key(&rule.meta.group_by, &columns, row);
            self.watches.hear(
                m.rule,
                Heard {
                    table,
                    time: rows.time[row],
                    group,
                    zone: rows.zone(row),
                    line: (rows.source.value(row), rows.raw.value(row)),
                },
            );
        }
        Ok(())
    }

    fn rule_alerts(
        &self,
        table: Table,
        batch: &RecordBatch,
        rows: &Rows,
        rule: &RuleIr,
        m: &Match,
        alerts: &mut Vec<Alert>,
    ) -> Result<(), EvalError> {
        let targets = rule
            .group_by
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[][..], |(_, g)| g.as_slice());
        let columns = texts(table, batch, targets)?;
        let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for &row in &m.rows {
            let row = row as usize;
            let key = (!columns.is_empty()).then(|| group_key(&rule.meta.group_by, &columns, row));
            groups.entry(key).or_default().push(row);
        }
        for (key, members) in groups {
            let times = members.iter().map(|&r| rows.time[r]);
            let (start, end) = (times.clone().min().unwrap_or(0), times.max().unwrap_or(0));
            let first = members
                .iter()
                .copied()
                .min_by_key(|&r| rows.time[r])
                .unwrap_or(0);
            let lines: Vec<_> = members
                .iter()
                .take(self.config.evidence_lines)
                .map(|&r| rows.line(r))
                .collect();
            let id = rule_id(&rule.meta);
            alerts.push(Alert {
                alert_id: alert_id(&id, key.as_deref().unwrap_or(""), start),
                rule_id: id,
                title: rule.meta.title.clone(),
                severity: rule.meta.level.unwrap_or(Severity::Medium),
                zone: rows.zone(first),
                time: start,
                window_start: Some(start),
                window_end: Some(end),
                group_key: key,
                event_count: members.len() as u64,
                policy_ref: rule.meta.policy_ref.clone(),
                evidence: Some(evidence::evidence(table, members.len() as u64, &lines)),
            });
        }
        Ok(())
    }

    /// Feeds the matches of every correlated rule to the correlations, in event-time
    /// order across correlations, so that a firing reaches a correlation chained onto it
    /// between the events around it.
    fn correlate(
        &mut self,
        table: Table,
        batch: &RecordBatch,
        rows: &Rows,
        matches: &[Match],
        alerts: &mut Vec<Alert>,
    ) -> Result<(), EvalError> {
        let detector = Arc::clone(&self.detector);
        let correlations = detector.correlations();
        // (time, correlation, rule position, row, columns) for every matched row of a
        // referenced rule.
        let mut events = Vec::new();
        let mut columns = Vec::new();
        for (index, ir) in correlations.iter().enumerate() {
            for source in ir.sources.iter().filter(|s| s.table == table) {
                let Some(m) = matches.iter().find(|m| m.rule == source.rule) else {
                    continue;
                };
                let group = texts(table, batch, &source.group_by)?;
                let field = texts(table, batch, source.field.as_slice())?;
                let slot = columns.len();
                columns.push((group, field));
                events.extend(m.rows.iter().map(|&row| {
                    let row = row as usize;
                    (rows.time[row], index, source.position, row, slot)
                }));
            }
        }
        if events.is_empty() {
            return Ok(());
        }
        events.sort_unstable();
        let mut firings = Vec::new();
        let mut values = Vec::new();
        for (time, index, position, row, slot) in events {
            let ir = &correlations[index];
            let (group_columns, field) = &columns[slot];
            values.clear();
            values.extend(
                group_columns
                    .iter()
                    .map(|c| c.is_valid(row).then(|| c.value(row))),
            );
            let key = correlate::group_key(&ir.group_by, &values);
            let value = field
                .first()
                .filter(|f| f.is_valid(row))
                .map(|f| f.value(row));
            let event = Event {
                time,
                rule: position,
                group: &key,
                values: &values,
                value,
                amount: correlate::amount(ir.kind, value),
                zone: rows.zone(row),
                lines: Lines::One {
                    source: rows.source.value(row),
                    raw: rows.raw.value(row),
                },
            };
            self.cascade.push(index, event, &mut firings);
        }
        for (index, firing) in firings {
            let ir = &correlations[index];
            if ir.alerts {
                alerts.push(correlation_alert(ir, table, firing));
            }
        }
        Ok(())
    }
}

/// The oldest and newest event time of a batch, `None` when it has no rows.
fn time_range(table: Table, batch: &RecordBatch) -> Result<Option<(i64, i64)>, EvalError> {
    let time = batch
        .column_by_name(col::TIME)
        .ok_or_else(|| EvalError::MissingColumn {
            table,
            column: col::TIME.to_owned(),
        })?;
    let time = cast(
        time,
        &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
    )?;
    let time = time.as_primitive::<TimestampMicrosecondType>();
    Ok(arrow::compute::min(time).zip(arrow::compute::max(time)))
}

/// The alert for a correlation's firing; `table` is the table of the event that made it
/// fire.
pub(crate) fn correlation_alert(ir: &CorrelationIr, table: Table, firing: Firing) -> Alert {
    let id = rule_id(&ir.meta);
    let count = firing.measure.max(0.0).round() as u64;
    Alert {
        alert_id: alert_id(&id, &firing.group, firing.window_start),
        rule_id: id,
        title: ir.meta.title.clone(),
        severity: ir.meta.level.unwrap_or(Severity::Medium),
        zone: firing.zone,
        time: firing.window_start,
        window_start: Some(firing.window_start),
        window_end: Some(firing.window_end),
        group_key: (!ir.group_by.is_empty()).then_some(firing.group),
        event_count: count,
        policy_ref: ir.meta.policy_ref.clone(),
        evidence: Some(evidence::evidence(table, count, &firing.evidence)),
    }
}
