//! The SQL back end: the same rules, run over the lake for `sanso hunt`.
//!
//! Streaming detection sees each event once, as it arrives. Hunting asks the same
//! question of history: which of these rules would have fired last week? Rather than
//! re-reading the lake through the streaming engine, each rule becomes one DataFusion
//! query, so the scan prunes partitions by date, pushes the predicates into Parquet and
//! runs on every core.
//!
//! Both back ends read the same [`crate::ir`], so a rule means the same thing in both;
//! a differential test (`detect/tests/sql_differential.rs`) holds them to identical
//! alerts.
//!
//! * A detection rule becomes `SELECT … GROUP BY group_key`: one alert per rule, table
//!   and group over the hunted range, with its first and last event and the count.
//! * A correlation becomes a query for the events of the rules it references, with
//!   their group-by values and counted value. Window functions over those events
//!   (`count`, `count(DISTINCT …)`, `sum` `OVER (PARTITION BY group_key ORDER BY time
//!   RANGE …)`) keep only the groups whose sliding window could meet the condition.
//!   The surviving events, in event-time order, then go through the engine's own
//!   correlator, because Sigma's semantics (fire, then start an empty window) is a
//!   sequential scan that window functions cannot express: each window starts where
//!   the previous alert left off. That way window start and end, count and group key
//!   are the engine's by construction, and SQL does the heavy part (scan, filter,
//!   pruning).
//! * A chained correlation (one whose `rules` name another correlation) becomes one
//!   query for the events of every correlation in its chain, each row tagged with the
//!   correlation it feeds; the replay runs the whole chain through the engine's
//!   [`crate::correlate::Cascade`], so firings reach the correlations that reference
//!   them exactly as they do when streaming. No window bound can be put on those
//!   events, so the whole hunted range is replayed.
//!
//! What cannot be written in SQL (a column the table lacks, an integer beyond 64 bits)
//! is a [`Rejected`] entry with the reason; rules that did not lower at all are
//! reported the same way. Nothing is left out in silence.
//!
//! Known differences, none of which the rules in sanso's packs depend on: `ILIKE` and
//! `lower` fold case for all of Unicode where the kernels fold ASCII only; events of
//! one group with the same microsecond are ordered by rule position and `source` here
//! and by arrival in the engine; and hunting reads history in order, so nothing is a
//! late event.

mod expr;
mod replay;

use std::fmt;

use sanso_ingest::schema::{Table, col};

pub use self::expr::{ident, predicate, quote, text};
pub use self::replay::{Hunt, ReplayError};
use crate::ir::{CorrelationIr, Lowered, Target};
use crate::sigma::{CmpOp, CorrelationKind, RuleLabel};

/// Why a rule or correlation cannot be written in SQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The rule reads a column the lake table does not have.
    #[error("table {table} has no column `{column}`")]
    UnknownColumn {
        /// The table.
        table: Table,
        /// The column.
        column: String,
    },
    /// The rule has no expression on this table.
    #[error("the rule does not run on table {0}")]
    NotOnTable(Table),
    /// An integer literal that DataFusion's 64-bit integers cannot hold.
    #[error("integer {0} is outside SQL's 64-bit range")]
    IntegerRange(i128),
}

/// The half-open event-time range `[since, until)` to hunt in, UTC microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// First instant included; `None` for the start of the lake.
    pub since: Option<i64>,
    /// First instant excluded; `None` for no end.
    pub until: Option<i64>,
}

impl TimeRange {
    /// SQL conditions for the range: on `time`, and on the `date` partition (the UTC
    /// day, as the lake writes it) so that folders outside the range are never opened.
    fn conditions(&self) -> Vec<String> {
        let mut out = Vec::new();
        let timestamp =
            |micros: i64| format!("arrow_cast({micros}, 'Timestamp(Microsecond, Some(\"UTC\"))')");
        let day = |micros: i64| {
            chrono::DateTime::from_timestamp_micros(micros)
                .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
        };
        if let Some(since) = self.since {
            out.push(format!("{} >= {}", ident(col::TIME), timestamp(since)));
            if let Some(day) = day(since) {
                out.push(format!("\"date\" >= {}", quote(&day)));
            }
        }
        if let Some(until) = self.until {
            out.push(format!("{} < {}", ident(col::TIME), timestamp(until)));
            if let Some(day) = day(until) {
                out.push(format!("\"date\" <= {}", quote(&day)));
            }
        }
        out
    }
}

/// What a query computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A detection rule on one table: index into [`Lowered::rules`].
    Rule {
        /// The rule.
        rule: usize,
        /// The table.
        table: Table,
    },
    /// A correlation: index into [`Lowered::correlations`].
    Correlation(usize),
}

/// One query of a hunt.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntQuery {
    /// What it computes.
    pub subject: Subject,
    /// The rule id, for messages.
    pub rule_id: String,
    /// The SQL.
    pub sql: String,
}

/// A rule or correlation that the hunt cannot run, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// Which document.
    pub rule: RuleLabel,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.reason)
    }
}

/// The queries of a hunt, and what could not be turned into one.
#[derive(Debug, Clone, Default)]
pub struct HuntPlan {
    /// One query per (rule, table) that raises alerts, and one per correlation.
    pub queries: Vec<HuntQuery>,
    /// Documents left out, each with the reason.
    pub rejected: Vec<Rejected>,
}

/// The group key as the engine writes it: the value for one field, `name=value, …` for
/// several, `''` for none; a null value is the empty string.
fn group_key(table: Table, names: &[String], targets: &[Target]) -> Result<String, SqlError> {
    let texts: Vec<String> = targets
        .iter()
        .map(|t| Ok(format!("coalesce({}, '')", text(table, t)?)))
        .collect::<Result<_, SqlError>>()?;
    Ok(match texts.as_slice() {
        [] => "''".to_owned(),
        [single] => single.clone(),
        many => {
            let parts: Vec<String> = names
                .iter()
                .zip(many)
                .map(|(name, value)| format!("{}, {value}", quote(&format!("{name}="))))
                .collect();
            format!("concat({})", parts.join(", ', ', "))
        }
    })
}

/// The SQL of a detection rule on one table: one row per group.
pub fn rule_sql(
    lowered: &Lowered,
    rule: usize,
    table: Table,
    range: TimeRange,
) -> Result<String, SqlError> {
    let ir = &lowered.rules[rule];
    let expr = ir
        .tables
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, e)| e)
        .ok_or(SqlError::NotOnTable(table))?;
    let targets = ir
        .group_by
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(&[][..], |(_, g)| g.as_slice());
    let key = if targets.is_empty() {
        "CAST(NULL AS VARCHAR)".to_owned()
    } else {
        group_key(table, &ir.meta.group_by, targets)?
    };
    let zone = text(table, &Target::Column(col::ZONE.to_owned()))?;
    let mut conditions = range.conditions();
    conditions.push(predicate(table, expr)?);
    Ok(format!(
        "SELECT {key} AS group_key, min(\"time\") AS window_start, \
         max(\"time\") AS window_end, count(*) AS event_count, \
         first_value({zone} ORDER BY \"time\") AS zone, \
         first_value(\"source\" ORDER BY \"time\") AS source, \
         first_value(\"raw\" ORDER BY \"time\") AS raw \
         FROM {} WHERE {} GROUP BY 1 ORDER BY window_start, group_key",
        ident(table.name()),
        conditions.join(" AND ")
    ))
}

/// The smallest measure a group's sliding window must reach for the correlation to be
/// able to fire in it, as SQL (`measure >= 3 AND …`), or `None` when the condition has
/// no lower bound (`lt`, `lte`) and every group must be replayed.
fn lower_bound(ir: &CorrelationIr) -> Option<String> {
    if ir.condition.is_empty() {
        // `temporal` without a condition: every referenced rule seen.
        return Some(format!("measure >= {}", ir.rules.len()));
    }
    let bounds: Vec<String> = ir
        .condition
        .iter()
        .filter_map(|(op, threshold)| match op {
            CmpOp::Gt => Some(format!("measure > {threshold:?}")),
            // The window that fires is inside the sliding one, so its measure is at
            // most the sliding measure: `==` needs at least the threshold there.
            CmpOp::Gte | CmpOp::Eq => Some(format!("measure >= {threshold:?}")),
            CmpOp::Lt | CmpOp::Lte => None,
        })
        .collect();
    (bounds.len() == ir.condition.len()).then(|| bounds.join(" AND "))
}

/// The correlations whose events a correlation's query must return: itself and every
/// correlation it chains onto, directly or not, in ascending index order (a referenced
/// correlation before those that reference it).
pub(crate) fn chain_members(lowered: &Lowered, correlation: usize) -> Vec<usize> {
    let mut members = vec![correlation];
    let mut next = 0;
    while let Some(&at) = members.get(next) {
        next += 1;
        for source in &lowered.correlations[at].chained {
            if !members.contains(&source.correlation) {
                members.push(source.correlation);
            }
        }
    }
    members.sort_unstable();
    members
}

/// How many group-value columns (`g0`, `g1`, …) a correlation's query returns: the
/// longest `group-by` among the correlations it reads events for.
pub(crate) fn group_width(lowered: &Lowered, members: &[usize]) -> usize {
    members
        .iter()
        .map(|&c| lowered.correlations[c].group_by.len())
        .max()
        .unwrap_or(0)
}

/// The SQL of a correlation: the events of its rules (and of the rules of every
/// correlation it chains onto), in the order the correlators want them, limited (when
/// nothing is chained) to the groups whose sliding window can meet the condition.
///
/// Each row names the correlation it feeds (`node`), the rule's position in that
/// correlation's `rules` (`rule`) and the group-by values (`g0`, `g1`, …); the group key
/// is made from those in the replay, as the engine makes it.
pub fn correlation_sql(
    lowered: &Lowered,
    correlation: usize,
    range: TimeRange,
) -> Result<String, SqlError> {
    let members = chain_members(lowered, correlation);
    let width = group_width(lowered, &members);
    let mut parts = Vec::new();
    for &node in &members {
        let ir = &lowered.correlations[node];
        let counted = matches!(
            ir.kind,
            CorrelationKind::ValueCount | CorrelationKind::ValueSum
        );
        for source in &ir.sources {
            let table = source.table;
            let rule = &lowered.rules[source.rule];
            let Some((_, expr)) = rule.tables.iter().find(|(t, _)| *t == table) else {
                continue;
            };
            let key = group_key(table, &ir.group_by, &source.group_by)?;
            let mut groups = String::new();
            for i in 0..width {
                let value = match source.group_by.get(i) {
                    Some(target) => text(table, target)?,
                    None => "CAST(NULL AS VARCHAR)".to_owned(),
                };
                groups.push_str(&format!(", {value} AS g{i}"));
            }
            let value = match (&source.field, counted) {
                (Some(field), true) => text(table, field)?,
                _ => "CAST(NULL AS VARCHAR)".to_owned(),
            };
            let mut conditions = range.conditions();
            conditions.push(predicate(table, expr)?);
            if counted {
                // The correlator has nothing to count or add for these.
                conditions.push(format!("{value} IS NOT NULL"));
            }
            parts.push(format!(
                "SELECT \"time\", CAST({node} AS BIGINT) AS node, \
                 CAST({position} AS BIGINT) AS rule, {key} AS group_key{groups}, \
                 {value} AS value, {zone} AS zone, \"source\", \"raw\", {name} AS \"table\" \
                 FROM {table_ident} WHERE {conditions}",
                position = source.position,
                zone = text(table, &Target::Column(col::ZONE.to_owned()))?,
                name = quote(table.name()),
                table_ident = ident(table.name()),
                conditions = conditions.join(" AND "),
            ));
        }
    }
    let events = parts.join(" UNION ALL ");
    let order = "ORDER BY \"time\", node, rule, \"source\"";
    let ir = &lowered.correlations[correlation];
    // A chained correlation counts firings, which only the replay makes: no bound on
    // its events' sliding windows says anything about them.
    let bound = if members.len() == 1 {
        lower_bound(ir)
    } else {
        None
    };
    let Some(bound) = bound else {
        return Ok(format!(
            "WITH events AS ({events}) SELECT * FROM events {order}"
        ));
    };
    let measure = match ir.kind {
        CorrelationKind::EventCount => "count(*)",
        CorrelationKind::ValueCount => "count(DISTINCT value)",
        // Only the positive amounts: a negative one can shrink the sum of the sliding
        // window below that of the window that fires.
        CorrelationKind::ValueSum => "sum(greatest(try_cast(trim(value) AS DOUBLE), 0.0))",
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered => "count(DISTINCT rule)",
    };
    // The engine's window is (newest - timespan, newest]; RANGE frames are inclusive.
    let preceding = (ir.timespan - 1).max(0);
    Ok(format!(
        "WITH events AS ({events}), \
         candidates AS (SELECT DISTINCT group_key FROM (\
         SELECT group_key, {measure} OVER (PARTITION BY group_key ORDER BY \"time\" \
         RANGE BETWEEN INTERVAL '{preceding} microseconds' PRECEDING AND CURRENT ROW) \
         AS measure FROM events) WHERE {bound}) \
         SELECT * FROM events WHERE group_key IN (SELECT group_key FROM candidates) \
         {order}"
    ))
}

/// Plans the queries for every lowered rule that raises alerts and every correlation.
pub fn plan(lowered: &Lowered, range: TimeRange) -> HuntPlan {
    let mut out = HuntPlan {
        queries: Vec::new(),
        rejected: lowered
            .errors
            .iter()
            .map(|e| Rejected {
                rule: e.rule.clone(),
                reason: e.kind.to_string(),
            })
            .collect(),
    };
    for (index, rule) in lowered.rules.iter().enumerate() {
        // Both extensions decide on events that did not happen (a confirmation, a
        // heartbeat), which the per-rule GROUP BY cannot see.
        let unsupported = if rule.absence.is_some() {
            Some("the sanso `absence` extension (alert on a confirmation that did not come)")
        } else if rule.silence.is_some() {
            Some("the sanso `silence` extension (alert on a source that went quiet)")
        } else {
            None
        };
        if let Some(feature) = unsupported {
            out.rejected.push(Rejected {
                rule: rule.meta.label(),
                reason: format!("not hunted: {feature} has no SQL form yet"),
            });
            continue;
        }
        if !rule.generate {
            continue;
        }
        for (table, _) in &rule.tables {
            match rule_sql(lowered, index, *table, range) {
                Ok(sql) => out.queries.push(HuntQuery {
                    subject: Subject::Rule {
                        rule: index,
                        table: *table,
                    },
                    rule_id: rule.meta.rule_id().to_owned(),
                    sql,
                }),
                Err(e) => out.rejected.push(Rejected {
                    rule: rule.meta.label(),
                    reason: format!("not expressible in SQL: {e}"),
                }),
            }
        }
    }
    // A correlation that only feeds others is replayed inside their queries.
    for (index, correlation) in lowered
        .correlations
        .iter()
        .enumerate()
        .filter(|(_, c)| c.alerts)
    {
        match correlation_sql(lowered, index, range) {
            Ok(sql) => out.queries.push(HuntQuery {
                subject: Subject::Correlation(index),
                rule_id: correlation.meta.rule_id().to_owned(),
                sql,
            }),
            Err(e) => out.rejected.push(Rejected {
                rule: correlation.meta.label(),
                reason: format!("not expressible in SQL: {e}"),
            }),
        }
    }
    out
}
