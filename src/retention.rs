//! `sanso retention [--dry-run]`, and the same run periodically inside `sanso run`.
//!
//! The lake's retention ([`sanso_query::lake::retention`]) deletes expired date
//! partitions; this module supplies what it must spare. An incident under legal hold
//! protects, for each of its alerts, the alert's own partition of the `alerts` table and
//! every partition of the alert's event table on the days its window spans, all zones.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use prometheus::{GaugeVec, IntCounter, Opts};
use sanso_detect::sql::quote;
use sanso_ingest::schema::Table;
use sanso_query::Lake;
use sanso_query::incidents::IncidentStore;
use sanso_query::lake::retention::{self, Holds, RetentionPolicy, RetentionReport};

use crate::causes::Causes;
use crate::config::Config;
use crate::metrics::Metrics;

/// `sanso retention`.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Report what would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs retention once from the command line and prints what it did.
pub fn command(config: &Config, data: &Path, args: &RetentionArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lake = runtime.block_on(Lake::open_with_limits(
        data,
        Arc::new(config.zone_map()),
        config.query.limits(),
    ))?;
    let policy = config.retention.policy();
    let report = runtime.block_on(enforce(
        &lake,
        &policy,
        Utc::now().date_naive(),
        args.dry_run,
    ))?;
    let (verb, summary) = if args.dry_run {
        ("would delete", "would be deleted")
    } else {
        ("deleted", "deleted")
    };
    for partition in &report.deleted {
        println!(
            "{verb} {}/date={}/zone={}",
            partition.table, partition.date, partition.zone
        );
    }
    for (partition, incidents) in &report.held {
        println!(
            "kept {}/date={}/zone={} (legal hold: {})",
            partition.table,
            partition.date,
            partition.zone,
            incidents.join(", ")
        );
    }
    println!(
        "{} expired partitions {summary}, {} kept for legal holds",
        report.deleted.len(),
        report.held.len()
    );
    Ok(())
}

/// Works out the holds from the incident log and the alerts, then applies the policy.
pub async fn enforce(
    lake: &Lake,
    policy: &RetentionPolicy,
    today: NaiveDate,
    dry_run: bool,
) -> anyhow::Result<RetentionReport> {
    let holds = holds(lake).await?;
    let root = lake.root().to_owned();
    let policy = policy.clone();
    tokio::task::spawn_blocking(move || retention::enforce(&root, &policy, today, &holds, dry_run))
        .await?
        .context("applying retention")
}

/// The days each held incident's evidence lives in.
async fn holds(lake: &Lake) -> anyhow::Result<Holds> {
    let store = IncidentStore::new(lake.root());
    let ledger = tokio::task::spawn_blocking(move || store.load()).await??;
    let mut holds = Holds::default();
    let mut held_by: Vec<(String, String)> = Vec::new();
    for incident in ledger.incidents.values().filter(|i| i.on_hold) {
        for alert in &incident.alerts {
            held_by.push((alert.clone(), incident.id.clone()));
        }
    }
    if held_by.is_empty() {
        return Ok(holds);
    }
    let ids: Vec<String> = held_by.iter().map(|(alert, _)| quote(alert)).collect();
    let query = format!(
        "SELECT alert_id, date, time, window_start, window_end, evidence FROM alerts \
         WHERE alert_id IN ({})",
        ids.join(", ")
    );
    let (_, batches) = lake.sql(&query).await.context("looking up held alerts")?;
    for batch in &batches {
        for (alert, date, days, table) in alert_days(batch)? {
            for (_, incident) in held_by.iter().filter(|(a, _)| *a == alert) {
                holds.hold(Table::Alerts, date, incident);
                if let Some(table) = table {
                    for day in &days {
                        holds.hold(table, *day, incident);
                    }
                }
            }
        }
    }
    Ok(holds)
}

/// Per alert row: its id, its partition date, the days its window spans, and the table
/// its evidence names.
type AlertDays = (String, NaiveDate, Vec<NaiveDate>, Option<Table>);

fn alert_days(batch: &RecordBatch) -> anyhow::Result<Vec<AlertDays>> {
    let text = |i: usize| -> anyhow::Result<_> { Ok(cast(batch.column(i), &DataType::Utf8)?) };
    let stamp = |i: usize| -> anyhow::Result<_> {
        Ok(cast(
            batch.column(i),
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )?)
    };
    let (ids, dates, evidence) = (text(0)?, text(1)?, text(5)?);
    let (ids, dates, evidence) = (
        ids.as_string::<i32>(),
        dates.as_string::<i32>(),
        evidence.as_string::<i32>(),
    );
    let (time, start, end) = (stamp(2)?, stamp(3)?, stamp(4)?);
    let (time, start, end) = (
        time.as_primitive::<TimestampMicrosecondType>(),
        start.as_primitive::<TimestampMicrosecondType>(),
        end.as_primitive::<TimestampMicrosecondType>(),
    );
    let day = |micros: i64| {
        DateTime::<Utc>::from_timestamp_micros(micros)
            .unwrap_or_default()
            .date_naive()
    };
    let mut out = Vec::new();
    for row in 0..batch.num_rows() {
        let at = time.value(row);
        let first = day(if start.is_valid(row) {
            start.value(row).min(at)
        } else {
            at
        });
        let last = day(if end.is_valid(row) {
            end.value(row).max(at)
        } else {
            at
        });
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let table = evidence
            .is_valid(row)
            .then(|| serde_json::from_str::<serde_json::Value>(evidence.value(row)).ok())
            .flatten()
            .and_then(|e| e["table"].as_str().and_then(Table::from_name));
        let date = dates
            .value(row)
            .parse()
            .with_context(|| format!("alert partition date `{}`", dates.value(row)))?;
        out.push((ids.value(row).to_owned(), date, days, table));
    }
    Ok(out)
}

/// Retention's metrics: the days each table and zone keeps, and partitions deleted.
#[derive(Clone)]
pub struct RetentionMetrics {
    retained_days: GaugeVec,
    deleted: IntCounter,
    held: GaugeVec,
}

impl RetentionMetrics {
    /// Creates the metrics and registers them with `metrics`.
    pub fn register(metrics: &Metrics) -> anyhow::Result<Self> {
        let retention = RetentionMetrics {
            retained_days: GaugeVec::new(
                Opts::new(
                    "sanso_retention_days",
                    "Days of history searchable, per table and zone: oldest partition kept to today",
                ),
                &["table", "zone"],
            )?,
            deleted: IntCounter::new(
                "sanso_retention_deleted_partitions_total",
                "Expired date partitions deleted by retention",
            )?,
            held: GaugeVec::new(
                Opts::new(
                    "sanso_retention_held_partitions",
                    "Expired partitions kept because an incident under legal hold needs them",
                ),
                &["table"],
            )?,
        };
        metrics.register(Box::new(retention.retained_days.clone()))?;
        metrics.register(Box::new(retention.deleted.clone()))?;
        metrics.register(Box::new(retention.held.clone()))?;
        Ok(retention)
    }

    fn record(&self, report: &RetentionReport) {
        self.retained_days.reset();
        for ((table, zone), days) in &report.retained_days {
            self.retained_days
                .with_label_values(&[table.name(), zone])
                .set(f64::from(*days));
        }
        self.deleted.inc_by(report.deleted.len() as u64);
        self.held.reset();
        for (partition, _) in &report.held {
            self.held.with_label_values(&[partition.table.name()]).inc();
        }
    }
}

/// Inside `sanso run`: applies retention now and then every `interval`, until the task
/// is dropped. A failed run is logged and retried at the next interval.
pub async fn periodically(
    lake: Lake,
    policy: RetentionPolicy,
    interval: Duration,
    metrics: RetentionMetrics,
) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        match enforce(&lake, &policy, Utc::now().date_naive(), false).await {
            Ok(report) => {
                for partition in &report.deleted {
                    tracing::info!(
                        table = %partition.table,
                        date = %partition.date,
                        zone = %partition.zone,
                        "retention deleted an expired partition"
                    );
                }
                if !report.held.is_empty() {
                    tracing::info!(
                        partitions = report.held.len(),
                        "retention kept expired partitions for legal holds"
                    );
                }
                metrics.record(&report);
            }
            Err(err) => tracing::error!("retention failed; will retry: {}", Causes(&err)),
        }
    }
}
