//! Query results to alerts: the last step of a hunt.

use std::str::FromStr;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use arrow::error::ArrowError;
use sanso_ingest::schema::Table;
use sanso_ingest::zones::Zone;

use super::{HuntPlan, HuntQuery, Subject, TimeRange, chain_members, group_width};
use crate::alert::{Alert, Severity};
use crate::correlate::{self, Cascade, Event, Limits, Lines};
use crate::engine::{EngineConfig, Suppressor, alert_id, correlation_alert};
use crate::ir::{FieldMapping, Lowered, Placeholders, lower};
use crate::sigma::RuleSet;

/// A query result that is not what the hunt's own SQL returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A column is missing from the result.
    #[error("the result of the query for {rule} has no column `{column}`")]
    MissingColumn {
        /// The rule the query was for.
        rule: String,
        /// The column.
        column: String,
    },
    /// A row names a correlation the hunt's rule set does not have.
    #[error("the result of the query for {rule} names an unknown correlation #{node}")]
    UnknownCorrelation {
        /// The rule the query was for.
        rule: String,
        /// What the row said.
        node: i64,
    },
    /// A row names a table sanso does not have.
    #[error("the result of the query for {rule} names an unknown table `{table}`")]
    UnknownTable {
        /// The rule the query was for.
        rule: String,
        /// What the row said.
        table: String,
    },
    /// A column could not be read as the type the hunt expects.
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
}

/// A rule set lowered for hunting, with the engine settings its alerts follow
/// (suppression period, correlation bounds, evidence lines).
#[derive(Debug, Clone)]
pub struct Hunt {
    lowered: Lowered,
    config: EngineConfig,
}

/// A result batch, read by column name.
struct Columns<'a> {
    batch: &'a RecordBatch,
    rule: &'a str,
}

impl Columns<'_> {
    fn get(&self, name: &str) -> Result<&ArrayRef, ReplayError> {
        self.batch
            .column_by_name(name)
            .ok_or_else(|| ReplayError::MissingColumn {
                rule: self.rule.to_owned(),
                column: name.to_owned(),
            })
    }

    fn text(&self, name: &str) -> Result<StringArray, ReplayError> {
        Ok(cast(self.get(name)?, &DataType::Utf8)?
            .as_string::<i32>()
            .clone())
    }

    fn micros(&self, name: &'static str) -> Result<Vec<i64>, ReplayError> {
        let array = cast(
            self.get(name)?,
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )?;
        Ok(array
            .as_primitive::<TimestampMicrosecondType>()
            .values()
            .to_vec())
    }

    fn int(&self, name: &'static str) -> Result<Vec<i64>, ReplayError> {
        let array = cast(self.get(name)?, &DataType::Int64)?;
        Ok(array.as_primitive::<Int64Type>().values().to_vec())
    }
}

fn value(array: &StringArray, row: usize) -> Option<&str> {
    array.is_valid(row).then(|| array.value(row))
}

impl Hunt {
    /// Lowers `set`; documents that do not lower are reported by [`Hunt::plan`].
    pub fn new(
        set: &RuleSet,
        mapping: &FieldMapping,
        placeholders: &Placeholders,
        config: EngineConfig,
    ) -> Hunt {
        Hunt {
            lowered: lower(set, mapping, placeholders),
            config,
        }
    }

    /// The lowered rules.
    pub fn lowered(&self) -> &Lowered {
        &self.lowered
    }

    /// The queries for `range`, and what cannot be hunted.
    pub fn plan(&self, range: TimeRange) -> HuntPlan {
        super::plan(&self.lowered, range)
    }

    /// The alerts in one query's result, before suppression.
    pub fn alerts(
        &self,
        query: &HuntQuery,
        batches: &[RecordBatch],
    ) -> Result<Vec<Alert>, ReplayError> {
        match query.subject {
            Subject::Rule { rule, table } => self.rule_alerts(rule, table, &query.rule_id, batches),
            Subject::Correlation(index) => self.correlation_alerts(index, &query.rule_id, batches),
        }
    }

    /// Orders alerts by time, rule and group and drops those the engine's suppression
    /// would have held back.
    pub fn suppress(&self, alerts: &mut Vec<Alert>) {
        alerts.sort_by(|a, b| {
            (a.time, &a.rule_id, &a.group_key).cmp(&(b.time, &b.rule_id, &b.group_key))
        });
        let mut suppressor =
            Suppressor::new(self.config.suppress_for, self.config.max_suppression_keys);
        alerts
            .retain(|a| suppressor.admit(&a.rule_id, a.group_key.as_deref().unwrap_or(""), a.time));
    }

    fn rule_alerts(
        &self,
        index: usize,
        table: Table,
        rule_id: &str,
        batches: &[RecordBatch],
    ) -> Result<Vec<Alert>, ReplayError> {
        let rule = &self.lowered.rules[index];
        let mut alerts = Vec::new();
        for batch in batches {
            let columns = Columns {
                batch,
                rule: rule_id,
            };
            let key = columns.text("group_key")?;
            let start = columns.micros("window_start")?;
            let end = columns.micros("window_end")?;
            let count = columns.int("event_count")?;
            let zone = columns.text("zone")?;
            let source = columns.text("source")?;
            let raw = columns.text("raw")?;
            for row in 0..batch.num_rows() {
                let key = value(&key, row).map(str::to_owned);
                let count = u64::try_from(count[row]).unwrap_or(0);
                let lines = [(
                    value(&source, row).unwrap_or_default().to_owned(),
                    value(&raw, row).unwrap_or_default().to_owned(),
                )];
                alerts.push(Alert {
                    alert_id: alert_id(rule_id, key.as_deref().unwrap_or(""), start[row]),
                    rule_id: rule_id.to_owned(),
                    title: rule.meta.title.clone(),
                    severity: rule.meta.level.unwrap_or(Severity::Medium),
                    zone: value(&zone, row).and_then(|z| Zone::from_str(z).ok()),
                    time: start[row],
                    window_start: Some(start[row]),
                    window_end: Some(end[row]),
                    group_key: key,
                    event_count: count,
                    policy_ref: rule.meta.policy_ref.clone(),
                    evidence: Some(crate::engine::evidence(table, count, &lines)),
                });
            }
        }
        Ok(alerts)
    }

    /// Replays a correlation's events (and those of the correlations it chains onto)
    /// through the engine's correlators.
    fn correlation_alerts(
        &self,
        index: usize,
        rule_id: &str,
        batches: &[RecordBatch],
    ) -> Result<Vec<Alert>, ReplayError> {
        let correlations = &self.lowered.correlations;
        let ir = &correlations[index];
        let width = group_width(&self.lowered, &chain_members(&self.lowered, index));
        let mut cascade = Cascade::new(
            correlations,
            Limits {
                allowed_lateness: self.config.allowed_lateness,
                max_groups: self.config.max_groups,
                max_entries: self.config.max_entries,
                evidence_lines: self.config.evidence_lines,
            },
        );
        let mut alerts = Vec::new();
        let mut firings = Vec::new();
        for batch in batches {
            let columns = Columns {
                batch,
                rule: rule_id,
            };
            let time = columns.micros("time")?;
            let node = columns.int("node")?;
            let position = columns.int("rule")?;
            let groups = (0..width)
                .map(|i| columns.text(&format!("g{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            let counted = columns.text("value")?;
            let zone = columns.text("zone")?;
            let source = columns.text("source")?;
            let raw = columns.text("raw")?;
            let tables = columns.text("table")?;
            let mut values = Vec::with_capacity(width);
            for row in 0..batch.num_rows() {
                let name = value(&tables, row).unwrap_or_default();
                let table = Table::from_name(name).ok_or_else(|| ReplayError::UnknownTable {
                    rule: rule_id.to_owned(),
                    table: name.to_owned(),
                })?;
                let unknown = || ReplayError::UnknownCorrelation {
                    rule: rule_id.to_owned(),
                    node: node[row],
                };
                let at = usize::try_from(node[row]).map_err(|_| unknown())?;
                let feeds = correlations.get(at).ok_or_else(unknown)?;
                values.clear();
                values.extend(
                    groups
                        .iter()
                        .take(feeds.group_by.len())
                        .map(|g| value(g, row)),
                );
                let key = correlate::group_key(&feeds.group_by, &values);
                let counted = value(&counted, row);
                let event = Event {
                    time: time[row],
                    rule: usize::try_from(position[row]).unwrap_or(0),
                    group: &key,
                    values: &values,
                    value: counted,
                    amount: correlate::amount(feeds.kind, counted),
                    zone: value(&zone, row).and_then(|z| Zone::from_str(z).ok()),
                    lines: Lines::One {
                        source: value(&source, row).unwrap_or_default(),
                        raw: value(&raw, row).unwrap_or_default(),
                    },
                };
                cascade.push(at, event, &mut firings);
                for (fired, firing) in firings.drain(..) {
                    if fired == index {
                        alerts.push(correlation_alert(ir, table, firing));
                    }
                }
            }
        }
        Ok(alerts)
    }
}
