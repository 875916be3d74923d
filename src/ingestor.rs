//! The synchronous heart shared by `sanso run` and `sanso import`: parse lines into
//! batches and hand full batches to the lake writer.
//!
//! It runs on a thread of its own, away from the async runtime that does network I/O,
//! because parsing and Parquet encoding are CPU-bound.

use std::path::Path;
use std::sync::Arc;

use sanso_ingest::batch::{Batches, RowCounts};
use sanso_ingest::line::{LineParser, RawLine};
use sanso_ingest::zones::ZoneMap;
use sanso_query::lake::FlushStats;
use sanso_query::{LakeError, LakeWriter, WriterOptions};

use crate::metrics::Metrics;

/// Rows collected before the builders are drained into a record batch.
const BATCH_ROWS: usize = 8192;

/// Parses lines and writes the resulting rows to the lake.
pub struct Ingestor {
    batches: Batches,
    writer: LakeWriter,
    metrics: Metrics,
    totals: RowCounts,
    lines: u64,
}

impl Ingestor {
    /// An ingestor writing into the lake at `data`.
    pub fn new(data: &Path, options: WriterOptions, zones: Arc<ZoneMap>, metrics: Metrics) -> Result<Self, LakeError> {
        Ok(Ingestor {
            batches: Batches::new(zones),
            writer: LakeWriter::new(data, options)?,
            metrics,
            totals: RowCounts::default(),
            lines: 0,
        })
    }

    /// Parses one line; drains the builders when a batch is full.
    pub fn ingest(&mut self, parser: &mut LineParser, line: &RawLine<'_>, source_label: &str) -> Result<(), LakeError> {
        parser.parse_into(line, &mut self.batches);
        self.lines += 1;
        self.metrics.lines_received.with_label_values(&[source_label]).inc();
        if self.batches.pending().total() as usize >= BATCH_ROWS {
            self.drain()?;
        }
        Ok(())
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
            unparsed: self.totals.unparsed + pending.unparsed,
        }
    }

    /// Periodic work: drain partial batches and write partitions that waited too long.
    pub fn tick(&mut self) -> Result<(), LakeError> {
        self.drain()?;
        let stats = self.writer.flush_expired();
        self.record(stats)
    }

    /// Writes everything buffered; called at shutdown and at the end of an import.
    pub fn flush(&mut self) -> Result<(), LakeError> {
        self.drain()?;
        let stats = self.writer.flush_all();
        self.record(stats)
    }

    fn drain(&mut self) -> Result<(), LakeError> {
        let pending = self.batches.pending();
        for (table, batch) in self.batches.finish() {
            self.metrics.rows.with_label_values(&[table.name()]).inc_by(batch.num_rows() as u64);
            let stats = self.writer.append(table, &batch);
            self.record(stats)?;
        }
        self.totals.network += pending.network;
        self.totals.http += pending.http;
        self.totals.auth += pending.auth;
        self.totals.unparsed += pending.unparsed;
        Ok(())
    }

    fn record(&self, stats: Result<FlushStats, LakeError>) -> Result<(), LakeError> {
        match stats {
            Ok(stats) => {
                self.metrics.lake_files.inc_by(stats.files);
                self.metrics.lake_bytes.inc_by(stats.bytes);
                Ok(())
            }
            Err(err) => {
                self.metrics.lake_write_errors.inc();
                Err(err)
            }
        }
    }
}
