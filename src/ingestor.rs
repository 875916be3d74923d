//! The synchronous heart shared by `sanso run` and `sanso import`: parse lines into
//! batches, buffer them in the lake writer, and flush by rows or by age.
//!
//! It runs on a thread of its own, away from the async runtime that does network I/O,
//! because parsing and Parquet encoding are CPU-bound.
//!
//! Every flush writes all buffered partitions at once. That keeps the lake and the
//! checkpoints of followed files consistent: a checkpoint taken with a flush covers
//! exactly the lines whose rows that flush made visible (see [`crate::checkpoint`]).
//!
//! Encoding the Parquet files, about half the work of a line, runs on a thread of its
//! own while ingest parses the next lines. One flush at a time is in flight, and each is
//! made visible before the next starts, so flushes still appear in order.
//!
//! A flush that fails (a full disk) loses nothing: the rows stay buffered, or stay in
//! the hidden files already written for them, and the next flush tries again.
//! [`Ingestor::wait_for_lake`] holds ingest meanwhile, so that a lake that cannot take
//! writes stops the sources instead of filling memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
use sanso_query::lake::LakeLocation;
use sanso_query::lake::{FlushStats, PreparedFlush};

use crate::causes::Causes;
use crate::checkpoint::{Checkpoints, FilePosition};
use crate::metrics::{BatchMetrics, Metrics};
use crate::run_state::RunState;
use crate::sinks::kafka::KafkaSink;
use crate::sources::kafka::FlushOffsets;
use sanso_query::lake::offsets::OffsetRanges;

/// Rows collected before the builders are drained into a record batch.
const BATCH_ROWS: usize = 8192;

/// How long ingest waits before trying a failed lake write again.
const RETRY: Duration = Duration::from_secs(1);

/// When buffered rows are written to the lake.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    /// Flush once this many rows are buffered.
    pub rows: usize,
    /// Flush once the oldest buffered row has waited this long.
    pub interval: Duration,
    /// Bytes of Parquet written per second at most: after a flush, ingest waits until the
    /// flush's bytes fit under the rate, leaving disk bandwidth to others on a shared disk.
    pub max_write_rate: Option<u64>,
}

/// What a flush covers besides its rows, kept with it until its files are visible.
struct Covered {
    /// The file positions its checkpoint commits.
    positions: BTreeMap<PathBuf, FilePosition>,
    /// The Kafka offsets its files record.
    kafka: Option<OffsetRanges>,
    /// Network lines (which cannot be replayed) it holds, for the run state.
    unreplayable_lines: u64,
    started: Instant,
    /// When it started, Unix microseconds: lines received before are in it.
    started_at: Micros,
}

/// Whether collecting a flush in flight waits for its files.
#[derive(Clone, Copy)]
enum Wait {
    Yes,
    No,
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
    /// Files written for a flush that could not be staged or made visible in full, with
    /// what they cover: they hold the only copy of their rows, so they wait for the next
    /// try.
    unstaged: Option<(PreparedFlush, Covered)>,
    /// What the flush being encoded in the background covers.
    in_flight: Option<Covered>,
    run_state: Option<RunState>,
    /// Kafka offsets ingested since the last flush, which the flush records in the lake.
    kafka: Option<FlushOffsets>,
    /// Network lines received since the last flush started.
    unreplayable_lines: u64,
    /// Where alerts go besides the `alerts` table.
    sinks: Vec<KafkaSink>,
    totals: RowCounts,
    lines: u64,
}

impl Ingestor {
    /// An ingestor writing into the lake at `data`; with `checkpoints`, every flush also
    /// commits the positions reported through [`Ingestor::advance`]; with `detection`,
    /// every batch is evaluated and its alerts are written to the `alerts` table.
    pub fn new(
        data: &LakeLocation,
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
            unstaged: None,
            in_flight: None,
            unreplayable_lines: 0,
            run_state: None,
            kafka: None,
            sinks: Vec::new(),
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

    /// Commits what is buffered under the current checkpoints, then makes later flushes
    /// commit the positions reported through [`Ingestor::advance`] to `checkpoints`.
    pub fn switch_checkpoints(&mut self, checkpoints: Option<Checkpoints>) -> anyhow::Result<()> {
        self.flush()?;
        self.checkpoints = checkpoints;
        self.positions.clear();
        Ok(())
    }

    /// Keeps `run` (the record of `sanso run` for the next start) up to date with every
    /// flush and tick.
    pub fn record_run_state(&mut self, run: RunState) {
        self.run_state = Some(run);
    }

    /// Records the Kafka offsets of every flush in its files (see
    /// [`crate::sources::kafka`]).
    pub fn record_kafka(&mut self, offsets: FlushOffsets) {
        self.kafka = Some(offsets);
    }

    /// Sends every alert to `sink` too.
    pub fn record_sink(&mut self, sink: KafkaSink) {
        self.sinks.push(sink);
    }

    /// Notes that Kafka messages `first..=last` of a partition were ingested; the next
    /// flush records them.
    pub fn consumed(&mut self, topic: &str, partition: i32, first: i64, last: i64) {
        if let Some(kafka) = &mut self.kafka {
            kafka.consumed(topic, partition, first, last);
        }
    }

    /// Notes lines taken from a source that cannot replay them (syslog over the network),
    /// so that the run state can say how many a crash would lose.
    pub fn received_unreplayable(&mut self, lines: u64) {
        self.unreplayable_lines += lines;
        if let Some(run) = &mut self.run_state {
            run.received(lines);
        }
    }

    /// Marks the run as stopped cleanly; call after the last flush succeeded.
    pub fn stopped(&mut self) -> anyhow::Result<()> {
        match &mut self.run_state {
            Some(run) => run.stopped(),
            None => Ok(()),
        }
    }

    /// After `err`, a failed flush, holds ingest until a flush succeeds, retrying every
    /// second: taking more lines while the lake cannot take writes would only grow the
    /// buffer, whereas not taking them holds the sources back (TCP senders wait, file
    /// followers pause, UDP datagrams are dropped and counted). The failure is logged,
    /// counted, and shown by `/health` until it clears. Gives up, with the error, once
    /// `stop` is set: the rows still buffered are then lost to the lake, except those of
    /// followed files, which are read again from their checkpoints.
    pub fn wait_for_lake(
        &mut self,
        mut err: anyhow::Error,
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        tracing::error!(
            "writing to the lake failed; ingest is paused and the write retried every {}s: {}",
            RETRY.as_secs(),
            Causes(&err)
        );
        loop {
            self.metrics.set_lake_error(Some(Causes(&err).to_string()));
            if stop.load(Ordering::Relaxed) {
                return Err(err.context(format!(
                    "stopping with {} rows the lake did not take",
                    self.writer.pending_rows()
                )));
            }
            std::thread::sleep(RETRY);
            match self.flush() {
                Ok(()) => {
                    self.metrics.set_lake_error(None);
                    tracing::info!("the lake takes writes again; ingest resumes");
                    return Ok(());
                }
                Err(next) => {
                    tracing::debug!("writing to the lake failed again: {}", Causes(&next));
                    err = next;
                }
            }
        }
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
    /// The files are encoded on a thread of their own while ingest goes on, and appear
    /// at a later call; an error returned is that of an earlier flush, whose rows are
    /// buffered again.
    pub fn flush_if_due(&mut self) -> anyhow::Result<()> {
        self.drain();
        let result = self.collect(Wait::No).and_then(|()| {
            let full = self.writer.pending_rows() >= self.policy.rows;
            let aged = self
                .writer
                .oldest_pending()
                .is_some_and(|t| t.elapsed() >= self.policy.interval);
            if full || aged {
                self.start_flush()
            } else {
                Ok(())
            }
        });
        self.count_failure(result)
    }

    /// Starts writing everything buffered, as [`Ingestor::flush_if_due`] does when a
    /// flush is due.
    pub fn flush_in_background(&mut self) -> anyhow::Result<()> {
        self.drain();
        let result = self.start_flush();
        self.count_failure(result)
    }

    /// Writes everything buffered, with the file positions it covers, and returns once
    /// it is in the lake.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.drain();
        let result = self.start_flush().and_then(|()| self.collect(Wait::Yes));
        self.count_failure(result)
    }

    fn count_failure(&self, result: anyhow::Result<()>) -> anyhow::Result<()> {
        if result.is_err() {
            self.metrics.lake_write_errors.inc();
        }
        result
    }

    /// Hands what is buffered to the writer's encoding thread, once the flush before it
    /// is in the lake: flushes appear in the order they started, which checkpoints and
    /// Kafka offsets rely on.
    fn start_flush(&mut self) -> anyhow::Result<()> {
        self.collect(Wait::Yes)?;
        let kafka = self
            .kafka
            .as_mut()
            .and_then(|k| k.take(self.writer.pending_files()));
        let (offsets, metadata) = match kafka {
            Some((offsets, marker)) => (Some(offsets), vec![marker]),
            None => (None, Vec::new()),
        };
        self.writer.start_prepare(metadata);
        self.in_flight = Some(Covered {
            positions: self.positions.clone(),
            kafka: offsets,
            unreplayable_lines: std::mem::take(&mut self.unreplayable_lines),
            started: Instant::now(),
            started_at: chrono::Utc::now().timestamp_micros(),
        });
        Ok(())
    }

    /// Makes the flush in flight visible once its files are written: at once, or after
    /// waiting for them. A flush that failed has its rows buffered again and its Kafka
    /// offsets put back, for the next flush to cover.
    fn collect(&mut self, wait: Wait) -> anyhow::Result<()> {
        if let Some((prepared, covered)) = self.unstaged.take() {
            self.publish(prepared, covered)?;
        }
        let outcome = match wait {
            Wait::Yes => self.writer.finish_prepare(),
            Wait::No => self.writer.poll_prepare(),
        };
        let Some(outcome) = outcome else {
            return Ok(());
        };
        let covered = self
            .in_flight
            .take()
            .expect("every flush handed to the writer is covered");
        match outcome {
            Ok(prepared) => self.publish(prepared, covered),
            Err(err) => {
                if let (Some(tracker), Some(offsets)) = (&mut self.kafka, &covered.kafka) {
                    tracker.restore(offsets);
                }
                self.unreplayable_lines += covered.unreplayable_lines;
                Err(err.into())
            }
        }
    }

    /// Stages the checkpoint of prepared files, makes them visible and promotes it.
    ///
    /// A flush that could not be staged or made visible in full is kept, and the next
    /// flush tries it again first: none may become visible before it, or its Kafka
    /// offsets would be passed over and the rows it could not write lost.
    fn publish(&mut self, mut prepared: PreparedFlush, covered: Covered) -> anyhow::Result<()> {
        let started = Instant::now();
        if let Some(checkpoints) = &self.checkpoints
            && let Err(err) = checkpoints.stage(&covered.positions, prepared.paths())
        {
            self.unstaged = Some((prepared, covered));
            return Err(err);
        }
        let stats = match prepared.commit() {
            Ok(stats) => stats,
            Err(err) => {
                self.unstaged = Some((prepared, covered));
                return Err(err.into());
            }
        };
        if let Some(checkpoints) = &mut self.checkpoints {
            checkpoints.promote(&covered.positions)?;
        }
        if let (Some(tracker), Some(offsets)) = (&self.kafka, &covered.kafka) {
            tracker.committed(offsets);
        }
        self.record(&stats);
        self.batch_metrics.committed(covered.started.elapsed());
        if let Some(run) = &mut self.run_state {
            run.flushed(covered.started_at, covered.unreplayable_lines);
        }
        if let Some(rate) = self.policy.max_write_rate.filter(|&rate| rate > 0) {
            let due = Duration::from_secs_f64(stats.bytes as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
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
        if let Some(run) = &mut self.run_state {
            run.alive();
        }
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
        for sink in &self.sinks {
            sink.send(alerts);
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

#[cfg(test)]
mod tests {
    use std::fs;

    use parquet::file::metadata::ParquetMetaDataReader;
    use sanso_ingest::zones::{Zone, ZoneConfig};
    use sanso_query::lake::offsets::Ledger;

    use super::*;
    use crate::sources::kafka::LakeOffsets;

    const DAY: Micros = 86_400_000_000;
    const T0: Micros = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z

    /// The files under `dir` whose names start with a dot (`hidden`) or do not.
    fn files(dir: &Path, hidden: bool) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(files(&path, hidden));
            } else if path.file_name().unwrap().to_string_lossy().starts_with('.') == hidden {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn a_flush_made_visible_in_part_is_finished_before_any_other() {
        let lake = tempfile::tempdir().unwrap();
        let core = ZoneConfig::default();
        let zones = Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap());
        let policy = FlushPolicy {
            rows: usize::MAX,
            interval: Duration::from_secs(3600),
            max_write_rate: None,
        };
        let mut ingestor = Ingestor::new(
            &LakeLocation::from(lake.path()),
            policy,
            zones,
            Metrics::new(),
            None,
            None,
        )
        .unwrap();
        ingestor.record_kafka(FlushOffsets::new(Arc::new(LakeOffsets::default())));
        let ingest = |ingestor: &mut Ingestor, offset: i64| {
            let source = format!("kafka:fw/0@{offset}");
            let raw = format!("message {offset}");
            let common = Common {
                time: T0 + (offset % 2) * DAY,
                received_at: T0,
                zone: Some(Zone::Core),
                device: Some("fw"),
                format: None,
                source: &source,
                raw: &raw,
                raw_bytes: None,
            };
            ingestor.ingest_unparsed(&common, "test line");
            ingestor.consumed("fw", 0, offset, offset);
        };
        for offset in 0..10 {
            ingest(&mut ingestor, offset);
        }

        // The flush writes one file per day. Block the final name of the second day's
        // file, so that its rename fails after the first day's has succeeded.
        ingestor.flush_in_background().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut hidden = Vec::new();
        while hidden.len() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the background flush wrote {hidden:?}"
            );
            std::thread::yield_now();
            hidden = files(lake.path(), true);
        }
        hidden.sort();
        let blocked = hidden[1].with_file_name(
            hidden[1].file_name().unwrap().to_string_lossy()[1..].trim_end_matches(".tmp"),
        );
        fs::create_dir(&blocked).unwrap();
        assert!(ingestor.flush().is_err(), "the second rename fails");

        // Messages that came after wait behind the flush cut short.
        for offset in 10..14 {
            ingest(&mut ingestor, offset);
        }
        assert!(ingestor.flush().is_err(), "still blocked");
        // The writer commits the two files in no fixed order: the first day's may be
        // visible already, or still wait with the blocked one.
        let (visible, waiting) = (files(lake.path(), false), files(lake.path(), true));
        assert!(
            waiting.contains(&hidden[1]),
            "the blocked file waits: {waiting:?}"
        );
        assert_eq!(
            visible.len() + waiting.len(),
            2,
            "nothing was written after the flush cut short: {visible:?} {waiting:?}"
        );

        fs::remove_dir(&blocked).unwrap();
        ingestor.flush().unwrap();
        let ledger = Ledger::scan(lake.path()).unwrap();
        assert_eq!(ledger.incomplete().count(), 0);
        assert_eq!(
            ledger.resume_offsets().get(&("fw".to_owned(), 0)).copied(),
            Some(14),
            "every message is in the lake"
        );
        let left = files(lake.path(), true);
        assert!(left.is_empty(), "no temporary file is left: {left:?}");
        let rows: i64 = files(lake.path(), false)
            .iter()
            .map(|path| {
                let file = fs::File::open(path).unwrap();
                let metadata = ParquetMetaDataReader::new()
                    .parse_and_finish(&file)
                    .unwrap();
                metadata.file_metadata().num_rows()
            })
            .sum();
        assert_eq!(rows, 14, "every message has its row, once");
    }
}
