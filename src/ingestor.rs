//! The synchronous heart shared by `sanso run` and `sanso import`: parse lines into
//! batches, buffer them in the lake writer, and flush by rows or by age.
//!
//! It runs on a thread of its own, away from the async runtime that does network I/O,
//! because parsing and Parquet encoding are CPU-bound.
//!
//! Every flush writes all buffered partitions at once. That keeps the lake and the
//! checkpoints of followed files consistent: a checkpoint taken with a flush covers
//! exactly the lines whose rows that flush made visible (see [`crate::checkpoint`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use arrow::array::RecordBatch;
use sanso_detect::{Alert, Engine, alerts_to_batch};
use sanso_ingest::batch::{Batches, Common, RowCounts};
use sanso_ingest::event::Micros;
use sanso_ingest::line::{LineParser, RawLine};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use sanso_query::LakeWriter;
use sanso_query::lake::FlushStats;

use crate::checkpoint::{Checkpoints, FilePosition};
use crate::metrics::{BatchMetrics, Metrics};

/// Rows collected before the builders are drained into a record batch.
const BATCH_ROWS: usize = 8192;

/// When buffered rows are written to the lake.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    /// Flush once this many rows are buffered.
    pub rows: usize,
    /// Flush once the oldest buffered row has waited this long.
    pub interval: Duration,
}

/// Parses lines and writes the resulting rows to the lake.
pub struct Ingestor {
    batches: Batches,
    writer: LakeWriter,
    policy: FlushPolicy,
    metrics: Metrics,
    batch_metrics: BatchMetrics,
    checkpoints: Option<Checkpoints>,
    detection: Option<Engine>,
    positions: BTreeMap<PathBuf, FilePosition>,
    totals: RowCounts,
    lines: u64,
}

impl Ingestor {
    /// An ingestor writing into the lake at `data`; with `checkpoints`, every flush also
    /// commits the positions reported through [`Ingestor::advance`]; with `detection`,
    /// every batch is evaluated and its alerts are written to the `alerts` table.
    pub fn new(
        data: &Path,
        policy: FlushPolicy,
        zones: Arc<ZoneMap>,
        metrics: Metrics,
        checkpoints: Option<Checkpoints>,
        detection: Option<Engine>,
    ) -> anyhow::Result<Self> {
        Ok(Ingestor {
            batches: Batches::new(zones),
            writer: LakeWriter::new(data)
                .with_context(|| format!("opening the lake at {}", data.display()))?,
            policy,
            batch_metrics: BatchMetrics::new(metrics.clone()),
            metrics,
            checkpoints,
            detection,
            positions: BTreeMap::new(),
            totals: RowCounts::default(),
            lines: 0,
        })
    }

    /// Parses one line; drains the builders when a batch is full. The caller counts the
    /// line in `sanso_lines_received_total`, once per chunk rather than per line.
    pub fn ingest(&mut self, parser: &mut LineParser, line: &RawLine<'_>) {
        parser.parse_into(line, &mut self.batches);
        self.lines += 1;
        if self.batches.pending().total() as usize >= BATCH_ROWS {
            self.drain();
        }
    }

    /// Records input that never became a line, such as an unreadable chunk of a binary
    /// file, as one `unparsed` row with `reason`, so that it does not vanish. It counts
    /// as a line: lines in still equal rows out.
    pub fn ingest_unparsed(&mut self, common: &Common<'_>, reason: &str) {
        self.batches.push_unparsed(common, reason, common.format);
        self.lines += 1;
        if self.batches.pending().total() as usize >= BATCH_ROWS {
            self.drain();
        }
    }

    /// Whether the buffered rows have reached the flush threshold; callers that ingest
    /// in a loop check it to bound memory between ticks.
    pub fn is_full(&self) -> bool {
        self.writer.pending_rows() >= self.policy.rows
    }

    /// Notes that every line of `file` before `position` has been ingested; the next
    /// flush commits it.
    pub fn advance(&mut self, file: &Path, position: FilePosition) {
        self.positions.insert(file.to_owned(), position);
    }

    /// Lines parsed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Rows produced so far, per table.
    pub fn rows(&self) -> RowCounts {
        let pending = self.batches.pending();
        RowCounts {
            network: self.totals.network + pending.network,
            http: self.totals.http + pending.http,
            auth: self.totals.auth + pending.auth,
            mail: self.totals.mail + pending.mail,
            unparsed: self.totals.unparsed + pending.unparsed,
        }
    }

    /// Flushes when the policy says so: enough rows buffered, or the oldest too old.
    pub fn flush_if_due(&mut self) -> anyhow::Result<()> {
        self.drain();
        let full = self.writer.pending_rows() >= self.policy.rows;
        let aged = self
            .writer
            .oldest_pending()
            .is_some_and(|t| t.elapsed() >= self.policy.interval);
        if full || aged { self.flush() } else { Ok(()) }
    }

    /// Writes everything buffered, with the file positions it covers.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.drain();
        let result = self.commit();
        if result.is_err() {
            self.metrics.lake_write_errors.inc();
        }
        result
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let prepared = self.writer.prepare_all()?;
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.stage(&self.positions, prepared.paths())?;
        }
        let stats = prepared.commit()?;
        if let Some(checkpoints) = &mut self.checkpoints {
            checkpoints.promote(&self.positions)?;
        }
        self.record(&stats);
        self.batch_metrics.committed(started.elapsed());
        Ok(())
    }

    fn drain(&mut self) {
        let pending = self.batches.pending();
        for (table, batch) in self.batches.finish() {
            self.batch_metrics.record(table, &batch);
            // Batches come from our own builders, so their schema always matches.
            self.writer
                .append(table, &batch)
                .expect("batches from the builders have their table's schema");
            self.detect(table, &batch);
        }
        self.totals.network += pending.network;
        self.totals.http += pending.http;
        self.totals.auth += pending.auth;
        self.totals.mail += pending.mail;
        self.totals.unparsed += pending.unparsed;
    }

    /// Lets the rules see time pass without events. A live pipeline calls this on every
    /// tick with the wall clock, so that a source falling silent (OMZ-22) is noticed
    /// without waiting for other traffic to move event time on.
    pub fn watch(&mut self, now: Micros) {
        let Some(engine) = &mut self.detection else {
            return;
        };
        let alerts = engine.tick(now);
        self.write_alerts(&alerts);
    }

    /// Ends a finite input (an import): the rules decide every match still waiting for
    /// an absence window to close (OMZ-14's MFA success), since nothing more can arrive
    /// to confirm it, and everything is written.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        self.drain();
        if let Some(engine) = &mut self.detection {
            let alerts = engine.finish();
            self.write_alerts(&alerts);
        }
        self.flush()
    }

    /// Runs the rules over a batch; alerts go to the `alerts` table in the same flush as
    /// the events that raised them.
    fn detect(&mut self, table: Table, batch: &RecordBatch) {
        let Some(engine) = &mut self.detection else {
            return;
        };
        let alerts = match engine.process(table, batch) {
            Ok(alerts) => alerts,
            Err(err) => {
                tracing::error!(%err, %table, "detection failed on a batch");
                return;
            }
        };
        self.write_alerts(&alerts);
    }

    fn write_alerts(&mut self, alerts: &[Alert]) {
        if alerts.is_empty() {
            return;
        }
        for alert in alerts {
            self.metrics.record_alert(alert);
        }
        match alerts_to_batch(alerts) {
            Ok(batch) => self
                .writer
                .append(Table::Alerts, &batch)
                .expect("alert batches have the alerts schema"),
            Err(err) => tracing::error!(%err, "alerts could not be laid out as a batch"),
        }
    }

    fn record(&self, stats: &FlushStats) {
        self.metrics.lake_files.inc_by(stats.files);
        self.metrics.lake_bytes.inc_by(stats.bytes);
    }
}
