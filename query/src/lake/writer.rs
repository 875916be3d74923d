//! Buffers record batches per partition and writes them as Parquet files, atomically.
//!
//! Rows are grouped by [`Partition`] as they arrive and held until the partition reaches
//! [`WriterOptions::flush_rows`] rows or its oldest rows have waited
//! [`WriterOptions::flush_interval`]. A flush concatenates the partition's batches, sorts
//! them by event time (so row-group statistics on `time` prune well), and writes one file:
//!
//! 1. write to a hidden `.part-….parquet.tmp` in the partition folder;
//! 2. `fsync` the file;
//! 3. rename it to its final name, which readers pick up;
//! 4. `fsync` the folder, so the rename itself survives a crash.
//!
//! A reader therefore sees a file completely or not at all. Files are zstd-compressed,
//! carry column statistics, and have bloom filters on the columns analysts look up by
//! exact value (addresses and users).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::{SortOptions, concat_batches, sort_to_indices, take_record_batch};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use sanso_ingest::schema::{Table, col};

use super::layout::{FILE_EXTENSION, Partition};
use crate::error::LakeError;

/// Columns that get a bloom filter, where the table has them.
const BLOOM_COLUMNS: [&str; 6] = ["src_ip", "dst_ip", "user", "url_host", "nat_src_ip", "group_key"];

/// When buffered rows are written out.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// A partition is written once it holds this many rows.
    pub flush_rows: usize,
    /// A partition is written once its oldest rows have waited this long.
    pub flush_interval: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions { flush_rows: 65_536, flush_interval: Duration::from_secs(5) }
    }
}

/// What a flush wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushStats {
    /// Files that appeared in the lake.
    pub files: u64,
    /// Rows in those files.
    pub rows: u64,
    /// Bytes of those files.
    pub bytes: u64,
}

impl FlushStats {
    fn add(&mut self, other: FlushStats) {
        self.files += other.files;
        self.rows += other.rows;
        self.bytes += other.bytes;
    }
}

struct Pending {
    batches: Vec<RecordBatch>,
    rows: usize,
    since: Instant,
}

/// Writes record batches into the lake; see the [module docs](self).
pub struct LakeWriter {
    root: PathBuf,
    options: WriterOptions,
    pending: HashMap<Partition, Pending>,
    writer_id: String,
    sequence: AtomicU64,
}

impl LakeWriter {
    /// A writer into the lake at `root`, which is created if missing.
    pub fn new(root: impl Into<PathBuf>, options: WriterOptions) -> Result<Self, LakeError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|source| LakeError::Io { path: root.clone(), source })?;
        let started = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        Ok(LakeWriter {
            root,
            options,
            pending: HashMap::new(),
            // Unique across processes sharing one lake: process id and start time.
            writer_id: format!("{:x}{:x}", std::process::id(), started & 0xffff_ffff),
            sequence: AtomicU64::new(0),
        })
    }

    /// The lake's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Rows buffered and not yet written.
    pub fn pending_rows(&self) -> usize {
        self.pending.values().map(|p| p.rows).sum()
    }

    /// Buffers a batch of `table` (in [`Table::schema`], `zone` included), writing every
    /// partition that reaches the row threshold.
    pub fn append(&mut self, table: Table, batch: &RecordBatch) -> Result<FlushStats, LakeError> {
        let mut stats = FlushStats::default();
        for (partition, rows) in split_by_partition(table, batch)? {
            let full = {
                let pending = self.pending.entry(partition.clone()).or_insert_with(|| Pending {
                    batches: Vec::new(),
                    rows: 0,
                    since: Instant::now(),
                });
                pending.rows += rows.num_rows();
                pending.batches.push(rows);
                pending.rows >= self.options.flush_rows
            };
            if full {
                stats.add(self.flush_partition(&partition)?);
            }
        }
        Ok(stats)
    }

    /// Writes every partition whose oldest rows have waited past the flush interval.
    pub fn flush_expired(&mut self) -> Result<FlushStats, LakeError> {
        let now = Instant::now();
        let due: Vec<Partition> = self
            .pending
            .iter()
            .filter(|(_, p)| now.duration_since(p.since) >= self.options.flush_interval)
            .map(|(k, _)| k.clone())
            .collect();
        self.flush_partitions(due)
    }

    /// Writes everything buffered.
    pub fn flush_all(&mut self) -> Result<FlushStats, LakeError> {
        let all: Vec<Partition> = self.pending.keys().cloned().collect();
        self.flush_partitions(all)
    }

    fn flush_partitions(&mut self, partitions: Vec<Partition>) -> Result<FlushStats, LakeError> {
        let mut stats = FlushStats::default();
        for partition in partitions {
            stats.add(self.flush_partition(&partition)?);
        }
        Ok(stats)
    }

    fn flush_partition(&mut self, partition: &Partition) -> Result<FlushStats, LakeError> {
        let Some(pending) = self.pending.remove(partition) else {
            return Ok(FlushStats::default());
        };
        let written = self.write_file(partition, &pending.batches);
        if written.is_err() {
            // Keep the rows: a full disk must not lose them, and a later flush retries.
            self.pending.insert(partition.clone(), pending);
        }
        written
    }

    fn write_file(&self, partition: &Partition, batches: &[RecordBatch]) -> Result<FlushStats, LakeError> {
        let schema = partition.table.file_schema();
        let batch = concat_batches(&schema, batches).map_err(LakeError::Arrow)?;
        let batch = sort_by_time(&batch)?;

        let dir = partition.dir(&self.root);
        fs::create_dir_all(&dir).map_err(|source| LakeError::Io { path: dir.clone(), source })?;
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        let written = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_micros();
        let name = format!("part-{written:016x}-{}-{seq:06}{FILE_EXTENSION}", self.writer_id);
        let final_path = dir.join(&name);
        let tmp_path = dir.join(format!(".{name}.tmp"));

        let result = write_parquet(&tmp_path, &batch, partition.table);
        if let Err(err) = result {
            // Best effort: the temporary file is invisible to readers either way.
            let _ = fs::remove_file(&tmp_path);
            return Err(err);
        }
        let bytes = fs::metadata(&tmp_path).map(|m| m.len()).unwrap_or_default();
        fs::rename(&tmp_path, &final_path)
            .map_err(|source| LakeError::Io { path: final_path.clone(), source })?;
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| LakeError::Io { path: dir.clone(), source })?;
        Ok(FlushStats { files: 1, rows: batch.num_rows() as u64, bytes })
    }
}

fn write_parquet(path: &Path, batch: &RecordBatch, table: Table) -> Result<(), LakeError> {
    let io = |source| LakeError::Io { path: path.to_owned(), source };
    let parquet = |source| LakeError::Parquet { path: path.to_owned(), source };
    let file = File::create(path).map_err(io)?;
    let mut writer = ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(properties(table)))
        .map_err(parquet)?;
    writer.write(batch).map_err(parquet)?;
    let file = writer
        .into_inner()
        .map_err(parquet)?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

fn properties(table: Table) -> WriterProperties {
    let schema = table.file_schema();
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_sorting_columns(Some(vec![SortingColumn {
            column_idx: 0,
            descending: false,
            nulls_first: false,
        }]));
    for column in BLOOM_COLUMNS {
        if schema.field_with_name(column).is_ok() {
            builder = builder.set_column_bloom_filter_enabled(ColumnPath::from(column), true);
        }
    }
    builder.build()
}

/// Splits a batch (full schema) into per-partition batches (file schema, `zone` removed).
fn split_by_partition(table: Table, batch: &RecordBatch) -> Result<Vec<(Partition, RecordBatch)>, LakeError> {
    let schema = table.schema();
    if batch.schema() != schema {
        return Err(LakeError::SchemaMismatch { table });
    }
    let time = batch
        .column_by_name(col::TIME)
        .ok_or(LakeError::SchemaMismatch { table })?
        .as_primitive::<TimestampMicrosecondType>();
    let zone = batch
        .column_by_name(col::ZONE)
        .ok_or(LakeError::SchemaMismatch { table })?
        .as_dictionary::<Int32Type>();
    let zone_values = zone.values().as_string::<i32>();

    // Group row indices by (UTC day, zone dictionary key): integer work per row, strings
    // only once per group.
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let mut groups: HashMap<(i64, Option<i32>), Vec<u32>> = HashMap::new();
    for row in 0..batch.num_rows() {
        let day = time.value(row).div_euclid(MICROS_PER_DAY);
        let key = zone.is_valid(row).then(|| zone.keys().value(row));
        groups.entry((day, key)).or_default().push(row as u32);
    }

    let zone_index = schema.index_of(col::ZONE).map_err(LakeError::Arrow)?;
    let mut without_zone = batch.clone();
    without_zone.remove_column(zone_index);

    let mut out = Vec::with_capacity(groups.len());
    for ((day, key), rows) in groups {
        let zone_name = key.map(|k| zone_values.value(k as usize));
        let partition = Partition::for_row(table, day * MICROS_PER_DAY, zone_name);
        let part = if rows.len() == batch.num_rows() {
            without_zone.clone()
        } else {
            take_record_batch(&without_zone, &UInt32Array::from(rows)).map_err(LakeError::Arrow)?
        };
        out.push((partition, part));
    }
    Ok(out)
}

fn sort_by_time(batch: &RecordBatch) -> Result<RecordBatch, LakeError> {
    let options = SortOptions { descending: false, nulls_first: false };
    let indices = sort_to_indices(batch.column(0), Some(options), None).map_err(LakeError::Arrow)?;
    take_record_batch(batch, &indices).map_err(LakeError::Arrow)
}
