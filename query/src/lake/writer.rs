//! Buffers record batches per partition and writes them as Parquet files, atomically.
//!
//! Rows are grouped by [`Partition`] as they arrive and held until the owner flushes;
//! when to flush (by rows, by age, together with a checkpoint) is the owner's policy. A
//! flush writes one file per partition, its rows grouped by verdict and in event-time
//! order within each (so the page index prunes on both; see [`super::file_order`]):
//!
//! 1. write to a hidden `.part-….parquet.tmp` in the partition folder;
//! 2. `fsync` the file;
//! 3. rename it to its final name, which readers pick up;
//! 4. `fsync` the folder, so the rename itself survives a crash.
//!
//! In an object store, which has no rename, the flush encodes each file in memory and
//! the commit sends it in one PUT; the store makes an object visible whole or not at all,
//! so the guarantee is the same (a multipart upload would expose nothing either, but one
//! PUT per file keeps a crash from leaving uploads to clean up).
//!
//! A reader therefore sees a file completely or not at all. Files carry column
//! statistics and have bloom filters on the columns analysts look up by exact value
//! (addresses and users). The bulky text is zstd-compressed and the narrow columns LZ4;
//! [`properties`] says why.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{
    DEFAULT_MAX_ROW_GROUP_ROW_COUNT, EnabledStatistics, WriterProperties,
};
use parquet::schema::types::ColumnPath;
use sanso_ingest::schema::{Table, col};

use super::file_order::FileRows;
use super::layout::{FILE_EXTENSION, PART_PREFIX, Partition, WRITING_SUFFIX, sync_dir};
use super::store::{LakeLocation, RemoteLake, block_on};
use crate::error::LakeError;

/// Files of one flush uploaded to an object store at the same time.
const PARALLEL_PUTS: usize = 8;

/// An encoded file and the object it is to become.
type Upload = (ObjectPath, Bytes);

/// Columns that get a bloom filter, where the table has them.
const BLOOM_COLUMNS: [&str; 7] = [
    "src_ip",
    "dst_ip",
    "user",
    "url_host",
    "nat_src_ip",
    "group_key",
    "sender",
];

/// Columns holding the original line, stored plainly. A line is nearly always unique
/// and is searched by substring, never by range: a dictionary would intern every line
/// only to be abandoned at its size limit, and min/max statistics would compare every
/// line yet prune nothing.
const WHOLE_LINE_COLUMNS: [&str; 2] = [col::RAW, col::RAW_BYTES];

/// Columns of text that make up most of a file's bytes and that zstd shrinks to a tenth
/// or less: the line in its several forms, and the vendor fields kept as they came.
const BULK_TEXT_COLUMNS: [&str; 4] = [col::RAW, col::RAW_BYTES, col::SOURCE, col::EXTRA];

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

/// Rows buffered per partition, waiting for a flush.
type Buffered = HashMap<Partition, FileRows>;

/// Writes record batches into the lake, one atomic file per partition per flush (see
/// `lake/writer.rs` for the steps).
pub struct LakeWriter {
    encoder: Encoder,
    pending: Buffered,
    oldest: Option<Instant>,
    /// A flush handed to the encoder and not yet collected, with the arrival of its
    /// oldest rows.
    in_flight: Option<Option<Instant>>,
}

/// A prepared flush, or the error that stopped it with its rows, to be buffered again.
type Outcome = Result<PreparedFlush, Box<(LakeError, Buffered)>>;

/// The writer's own thread, which prepares one flush at a time, in the order given.
struct Encoder {
    jobs: mpsc::Sender<(Buffered, Vec<KeyValue>)>,
    outcomes: mpsc::Receiver<Outcome>,
}

impl Encoder {
    fn start(files: FileMaker) -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::channel::<(Buffered, Vec<KeyValue>)>();
        let (reply, outcomes) = mpsc::channel();
        std::thread::Builder::new()
            .name("sanso-lake-encode".into())
            .spawn(move || {
                // Ends when the writer, and with it the sending side, is dropped.
                for (mut rows, metadata) in inbox {
                    let outcome = files
                        .prepare(&mut rows, &metadata)
                        .map_err(|err| Box::new((err, rows)));
                    if reply.send(outcome).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Encoder { jobs, outcomes })
    }
}

/// Only a panic while encoding stops the encoder thread early; its message is already
/// printed, and the rows it held are gone, so the writer cannot go on either.
const ENCODER_GONE: &str = "the lake's encoding thread panicked (see its message above)";

impl LakeWriter {
    /// A writer into the lake at `location`; a local lake's folder is created if
    /// missing.
    pub fn new(location: impl Into<LakeLocation>) -> Result<Self, LakeError> {
        let location = location.into();
        let sink = match &location {
            LakeLocation::Local(root) => {
                fs::create_dir_all(root).map_err(LakeError::io(root))?;
                Sink::Folder(root.clone())
            }
            LakeLocation::ObjectStore(remote) => {
                Sink::Objects(Arc::new(ObjectIo::connect(remote)?))
            }
        };
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let path = PathBuf::from(format!("{location} (starting its encoding thread)"));
        let files = FileMaker {
            location,
            sink,
            // Unique across processes sharing one lake: process id and start time.
            writer_id: format!("{:x}{:x}", std::process::id(), started & 0xffff_ffff),
            sequence: AtomicU64::new(0),
        };
        let encoder = Encoder::start(files).map_err(|source| LakeError::Io { path, source })?;
        Ok(LakeWriter {
            encoder,
            pending: HashMap::new(),
            oldest: None,
            in_flight: None,
        })
    }

    /// Files the next flush will write: one per buffered partition.
    pub fn pending_files(&self) -> usize {
        self.pending.len()
    }

    /// Rows buffered and not yet written, nor being written.
    pub fn pending_rows(&self) -> usize {
        self.pending.values().map(FileRows::len).sum()
    }

    /// When the oldest buffered rows arrived, if any are buffered.
    pub fn oldest_pending(&self) -> Option<Instant> {
        self.oldest
    }

    /// Buffers a batch of `table` (in [`Table::schema`], `zone` included), split by
    /// partition. Nothing is written until a flush.
    pub fn append(&mut self, table: Table, batch: &RecordBatch) -> Result<(), LakeError> {
        let (rows, partitions) = split_by_partition(table, batch)?;
        for (partition, at) in partitions {
            self.pending
                .entry(partition)
                .or_insert_with(|| FileRows::new(table))
                .push(rows.clone(), at.as_deref())?;
            self.oldest.get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    /// Writes everything buffered.
    pub fn flush_all(&mut self) -> Result<FlushStats, LakeError> {
        self.prepare_all()?.commit()
    }

    /// Writes everything buffered to hidden temporary files, durable but not yet visible,
    /// so that the caller can record what is about to appear (a checkpoint) before
    /// [`PreparedFlush::commit`] makes it appear. If any file fails, none is kept and
    /// every row stays buffered. For an object-store lake the files are encoded in
    /// memory, and nothing reaches the store before the commit.
    pub fn prepare_all(&mut self) -> Result<PreparedFlush, LakeError> {
        self.prepare_all_with(&[])
    }

    /// Like [`prepare_all`](Self::prepare_all), with `metadata` added to the key-value
    /// metadata of every file, for example the Kafka offsets the flush covers (see
    /// [`super::offsets`]).
    pub fn prepare_all_with(&mut self, metadata: &[KeyValue]) -> Result<PreparedFlush, LakeError> {
        self.start_prepare(metadata.to_vec());
        self.finish_prepare()
            .expect("a flush was just handed to the encoder")
    }

    /// Starts [`prepare_all_with`](Self::prepare_all_with) on the writer's encoding
    /// thread and returns at once, so that the caller goes on parsing while the files
    /// are encoded; [`finish_prepare`](Self::finish_prepare) collects the outcome. New
    /// rows are buffered meanwhile, for the next flush.
    ///
    /// # Panics
    ///
    /// If a flush is still in flight: flushes are committed in the order they started,
    /// so the caller collects one before starting the next.
    pub fn start_prepare(&mut self, metadata: Vec<KeyValue>) {
        assert!(
            self.in_flight.is_none(),
            "a flush is in flight; collect it with `finish_prepare` first"
        );
        let rows = std::mem::take(&mut self.pending);
        self.encoder
            .jobs
            .send((rows, metadata))
            .expect(ENCODER_GONE);
        self.in_flight = Some(self.oldest.take());
    }

    /// Waits for the flush in flight, if any. A failed flush leaves no file behind, and
    /// its rows are buffered again, ahead of those that arrived since.
    pub fn finish_prepare(&mut self) -> Option<Result<PreparedFlush, LakeError>> {
        self.in_flight?;
        let outcome = self.encoder.outcomes.recv().expect(ENCODER_GONE);
        Some(self.collect(outcome))
    }

    /// Like [`finish_prepare`](Self::finish_prepare), without waiting: `None` also when
    /// the flush in flight is not done yet.
    pub fn poll_prepare(&mut self) -> Option<Result<PreparedFlush, LakeError>> {
        self.in_flight?;
        match self.encoder.outcomes.try_recv() {
            Ok(outcome) => Some(self.collect(outcome)),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => panic!("{ENCODER_GONE}"),
        }
    }

    fn collect(&mut self, outcome: Outcome) -> Result<PreparedFlush, LakeError> {
        let oldest = self.in_flight.take().flatten();
        outcome.map_err(|failed| {
            let (err, rows) = *failed;
            self.buffer_again(rows, oldest);
            err
        })
    }

    /// Whether a flush is being prepared.
    pub fn is_preparing(&self) -> bool {
        self.in_flight.is_some()
    }

    fn buffer_again(&mut self, mut earlier: Buffered, oldest: Option<Instant>) {
        for (partition, later) in self.pending.drain() {
            match earlier.entry(partition) {
                Entry::Occupied(mut rows) => rows.get_mut().append(later),
                Entry::Vacant(slot) => {
                    slot.insert(later);
                }
            }
        }
        self.pending = earlier;
        self.oldest = match (oldest, self.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Where a writer's files go and what they are called: everything a flush needs besides
/// its rows, owned by the encoding thread.
struct FileMaker {
    location: LakeLocation,
    sink: Sink,
    writer_id: String,
    sequence: AtomicU64,
}

impl FileMaker {
    /// Writes every partition of `rows` to a temporary file; if any fails, none is kept.
    fn prepare(
        &self,
        rows: &mut Buffered,
        metadata: &[KeyValue],
    ) -> Result<PreparedFlush, LakeError> {
        let mut prepared = PreparedFlush::default();
        for (partition, rows) in rows.iter_mut() {
            // On error, dropping `prepared` deletes the files written so far.
            prepared
                .files
                .push(self.prepare_file(partition, rows, metadata)?);
        }
        Ok(prepared)
    }

    /// Writes one partition's rows to a temporary file.
    fn prepare_file(
        &self,
        partition: &Partition,
        rows: &mut FileRows,
        metadata: &[KeyValue],
    ) -> Result<PreparedFile, LakeError> {
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        let written = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        let name = format!(
            "{PART_PREFIX}{written:016x}-{}-{seq:06}{FILE_EXTENSION}",
            self.writer_id
        );
        let row_count = rows.len() as u64;
        let objects = match &self.sink {
            Sink::Objects(objects) => objects,
            Sink::Folder(root) => {
                let dir = partition.dir(root);
                fs::create_dir_all(&dir).map_err(LakeError::io(&dir))?;
                let tmp = dir.join(format!(".{name}{WRITING_SUFFIX}"));
                if let Err(err) = write_parquet(&tmp, rows, metadata) {
                    // Best effort: the temporary file is invisible to readers either way.
                    let _ = fs::remove_file(&tmp);
                    return Err(err);
                }
                let bytes = fs::metadata(&tmp).map(|m| m.len()).unwrap_or_default();
                return Ok(PreparedFile {
                    target: Target::File {
                        tmp,
                        renamed: false,
                    },
                    path: dir.join(&name),
                    rows: row_count,
                    bytes,
                });
            }
        };
        let relative = partition.dir(Path::new("")).join(&name);
        let path = PathBuf::from(format!("{}/{}", self.location, relative.display()));
        let data =
            encode_parquet(Vec::new(), rows, metadata).map_err(|source| LakeError::Parquet {
                path: path.clone(),
                source,
            })?;
        Ok(PreparedFile {
            bytes: data.len() as u64,
            target: Target::Object {
                io: Arc::clone(objects),
                path: objects.remote.object_path(&relative),
                data: Bytes::from(data),
            },
            path,
            rows: row_count,
        })
    }
}

/// Where a writer's files go.
enum Sink {
    /// A local lake's root folder.
    Folder(PathBuf),
    /// An object-store lake.
    Objects(Arc<ObjectIo>),
}

#[derive(Debug)]
struct PreparedFile {
    target: Target,
    /// The final name: a path, or the object's URL for an object-store lake.
    path: PathBuf,
    rows: u64,
    bytes: u64,
}

/// Where a prepared file waits for its commit.
#[derive(Debug)]
enum Target {
    /// Written and synced under the hidden name `tmp` beside its final one; `renamed`
    /// once it has its final name, whose folder is then still to be synced.
    File { tmp: PathBuf, renamed: bool },
    /// Encoded, to be sent to `path` in one PUT.
    Object {
        io: Arc<ObjectIo>,
        path: ObjectPath,
        data: Bytes,
    },
}

/// Files written and synced under temporary names, waiting to be made visible.
///
/// Dropping it without [`commit`](Self::commit) deletes the temporary files; the rows
/// they held are then gone from the writer, so only drop it when giving up on them.
#[derive(Debug, Default)]
#[must_use = "prepared files stay invisible until committed"]
pub struct PreparedFlush {
    files: Vec<PreparedFile>,
}

impl PreparedFlush {
    /// The paths the files will have once committed; in an object-store lake, their
    /// URLs (`s3://bucket/prefix/<table>/…`), which name no local file.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// Renames every file to its final name and syncs the folders, or uploads every
    /// file of an object-store lake, making the rows visible to readers.
    ///
    /// A commit that fails part-way keeps what it has not finished, and calling it
    /// again goes on from there: the flush is then visible in part, as after a crash
    /// between two renames, until a later call succeeds. Giving up on it instead
    /// (dropping it) would lose the rows of the files not yet visible.
    pub fn commit(&mut self) -> Result<FlushStats, LakeError> {
        let mut uploads: Option<(Arc<ObjectIo>, Vec<Upload>)> = None;
        for file in &mut self.files {
            match &mut file.target {
                Target::File { tmp, renamed } => {
                    if !*renamed {
                        fs::rename(&*tmp, &file.path).map_err(LakeError::io(&file.path))?;
                        *renamed = true;
                    }
                    sync_dir(file.path.parent().unwrap_or(Path::new(".")))?;
                }
                // A PUT sent again writes the same bytes to the same name.
                Target::Object { io, path, data } => {
                    uploads
                        .get_or_insert_with(|| (Arc::clone(io), Vec::new()))
                        .1
                        .push((path.clone(), data.clone()));
                }
            }
        }
        if let Some((io, files)) = uploads {
            io.put_all(files)?;
        }
        let mut stats = FlushStats::default();
        for file in self.files.drain(..) {
            stats.add(FlushStats {
                files: 1,
                rows: file.rows,
                bytes: file.bytes,
            });
        }
        Ok(stats)
    }

    fn abandon(&mut self) {
        for file in self.files.drain(..) {
            // What is visible already stays, as after a crash: objects sent, files renamed.
            if let Target::File {
                tmp,
                renamed: false,
            } = file.target
            {
                let _ = fs::remove_file(&tmp);
            }
        }
    }
}

impl Drop for PreparedFlush {
    fn drop(&mut self) {
        self.abandon();
    }
}

pub(super) fn write_parquet(
    path: &Path,
    rows: &mut FileRows,
    metadata: &[KeyValue],
) -> Result<(), LakeError> {
    let io = |source| LakeError::Io {
        path: path.to_owned(),
        source,
    };
    let parquet = |source| LakeError::Parquet {
        path: path.to_owned(),
        source,
    };
    let file = File::create(path).map_err(io)?;
    let file = encode_parquet(BufWriter::new(file), rows, metadata)
        .map_err(parquet)?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

/// Encodes `rows` as one Parquet file into `sink`: the one place a file's properties
/// are applied, whether it goes to a folder or to an object store.
fn encode_parquet<W: Write + Send>(
    sink: W,
    rows: &mut FileRows,
    metadata: &[KeyValue],
) -> Result<W, ParquetError> {
    let properties = properties(rows.schema(), rows.sorting_columns(), rows.len());
    let mut writer = ArrowWriter::try_new(sink, Arc::clone(rows.schema()), Some(properties))?;
    for entry in metadata {
        writer.append_key_value_metadata(entry.clone());
    }
    rows.write_to(&mut writer)?;
    writer.into_inner()
}

/// A writer's connection to an object-store lake.
///
/// The writer is synchronous (it runs on the ingest thread, or inside `spawn_blocking`),
/// so it owns a small runtime for the store's requests, and with it a client of its own:
/// a client's pooled connections belong to the runtime that opened them.
struct ObjectIo {
    remote: Arc<RemoteLake>,
    store: Arc<dyn ObjectStore>,
    /// Always `Some` until dropped; taken out in `Drop` to shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for ObjectIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectIo")
            .field("lake", &self.remote.url())
            .finish_non_exhaustive()
    }
}

impl ObjectIo {
    fn connect(remote: &Arc<RemoteLake>) -> Result<Self, LakeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sanso-lake-io")
            .enable_all()
            .build()
            .map_err(|source| LakeError::Io {
                path: PathBuf::from(remote.url()),
                source,
            })?;
        Ok(ObjectIo {
            remote: Arc::clone(remote),
            store: remote.connect()?,
            runtime: Some(runtime),
        })
    }

    /// Sends every file, each in one PUT, several at a time.
    fn put_all(&self, files: Vec<Upload>) -> Result<(), LakeError> {
        let store = Arc::clone(&self.store);
        let upload = futures::stream::iter(files)
            .map(move |(path, data)| {
                let store = Arc::clone(&store);
                async move { store.put(&path, PutPayload::from(data)).await.map(drop) }
            })
            .buffer_unordered(PARALLEL_PUTS)
            .try_collect::<()>();
        let Some(runtime) = &self.runtime else {
            unreachable!("the runtime is only taken when the connection is dropped");
        };
        block_on(runtime, upload).map_err(|source| LakeError::ObjectStore {
            location: self.remote.url(),
            source,
        })
    }
}

impl Drop for ObjectIo {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime blocks, which panics inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// How each column is encoded and compressed.
///
/// The bulky text ([`BULK_TEXT_COLUMNS`]) is zstd-compressed; every other column is
/// LZ4-compressed. Those columns are small once Parquet has encoded them (dictionary
/// keys, bit-packed), and zstd saves little more there, while they are the ones queries
/// filter and group on: the Parquet reader creates a zstd context pair for every
/// compressed column chunk it reads, and on a virtual machine each creation traps to the
/// hypervisor (zstd asks the CPU for BMI2 with `cpuid`). Timestamps are in order within
/// each verdict of a file, so they are delta-encoded rather than put in a dictionary: a
/// few bits per row, smaller than zstd made the dictionary.
///
/// Each bloom filter starts sized for the file's rows, the most distinct values it can
/// hold. Parquet's default is a million, a 1 MiB filter per column that is zeroed, hashed
/// into and folded down again for every file, most of which hold a few thousand rows.
///
/// The leaves of nested columns (the vendor fields' keys and values, mail's recipient
/// lists) get no statistics. DataFusion prunes on top-level columns only: a filter on
/// `extra['devname']` or `array_has(recipients, …)` never reads them. Yet min/max over
/// the twenty to forty vendor fields of every firewall row took a sixth of the encoder's
/// time. The vendor fields' keys and values are also written without a dictionary:
/// interning each of them was a tenth of an import's work, and zstd shrinks the plain
/// keys, which repeat row after row, and the values, most of which a dictionary could
/// not share, to files within 1 % of the size. `benches/RESULTS.md` has the sizes and
/// times.
fn properties(
    schema: &Schema,
    sorting_columns: Vec<SortingColumn>,
    rows: usize,
) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_sorting_columns(Some(sorting_columns));
    for field in schema.fields() {
        let name = field.name().as_str();
        let path = || ColumnPath::from(name);
        if !BULK_TEXT_COLUMNS.contains(&name) && !field.data_type().is_nested() {
            builder = builder.set_column_compression(path(), Compression::LZ4_RAW);
        }
        if matches!(field.data_type(), DataType::Timestamp(..)) {
            builder = builder
                .set_column_dictionary_enabled(path(), false)
                .set_column_encoding(path(), Encoding::DELTA_BINARY_PACKED);
        }
    }
    let distinct_at_most = rows.clamp(1, DEFAULT_MAX_ROW_GROUP_ROW_COUNT) as u64;
    for column in BLOOM_COLUMNS {
        if schema.field_with_name(column).is_ok() {
            builder = builder
                .set_column_bloom_filter_enabled(ColumnPath::from(column), true)
                .set_column_bloom_filter_max_ndv(ColumnPath::from(column), distinct_at_most);
        }
    }
    for column in WHOLE_LINE_COLUMNS {
        if schema.field_with_name(column).is_ok() {
            builder = builder
                .set_column_dictionary_enabled(ColumnPath::from(column), false)
                .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
        }
    }
    for leaf in nested_leaves(schema) {
        if leaf.parts()[0] == col::EXTRA {
            builder = builder.set_column_dictionary_enabled(leaf.clone(), false);
        }
        builder = builder.set_column_statistics_enabled(leaf, EnabledStatistics::None);
    }
    builder.build()
}

/// The Parquet paths of the leaves of `schema`'s nested columns, such as
/// `extra.entries.keys`. A schema Parquet cannot hold has none here; creating the
/// writer reports it.
fn nested_leaves(schema: &Schema) -> Vec<ColumnPath> {
    let Ok(descriptor) = ArrowSchemaConverter::new().convert(schema) else {
        return Vec::new();
    };
    descriptor
        .columns()
        .iter()
        .map(|leaf| leaf.path().clone())
        .filter(|path| path.parts().len() > 1)
        .collect()
}

/// The rows of a batch (full schema) without `zone`, in the file schema, and where the
/// rows of each partition are in it: `None` when a partition has all of them.
type PartitionRows = (RecordBatch, Vec<(Partition, Option<Vec<u32>>)>);

/// Finds the partition of every row of a batch of `table`; see [`PartitionRows`].
fn split_by_partition(table: Table, batch: &RecordBatch) -> Result<PartitionRows, LakeError> {
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

    let partitions = groups
        .into_iter()
        .map(|((day, key), rows)| {
            let zone_name = key.map(|k| zone_values.value(k as usize));
            let partition = Partition::for_row(table, day * MICROS_PER_DAY, zone_name);
            let rows = (rows.len() < batch.num_rows()).then_some(rows);
            (partition, rows)
        })
        .collect();
    Ok((without_zone, partitions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bloom_ndv(properties: &WriterProperties, column: &str) -> u64 {
        properties
            .bloom_filter_properties(&ColumnPath::from(column))
            .unwrap_or_else(|| panic!("{column} has a bloom filter"))
            .ndv()
    }

    /// A file of a few thousand rows gets filters for a few thousand values, not the
    /// megabyte filters Parquet sizes for a million; a file of more rows than a row
    /// group holds gets them for a row group.
    #[test]
    fn bloom_filters_are_sized_for_the_rows_of_the_file() {
        let schema = Table::Network.file_schema();
        let small = properties(&schema, Vec::new(), 4_000);
        for column in ["src_ip", "dst_ip", "nat_src_ip"] {
            assert_eq!(bloom_ndv(&small, column), 4_000, "{column}");
        }
        let large = properties(&schema, Vec::new(), 3 * DEFAULT_MAX_ROW_GROUP_ROW_COUNT);
        assert_eq!(
            bloom_ndv(&large, "src_ip"),
            DEFAULT_MAX_ROW_GROUP_ROW_COUNT as u64
        );
    }
}
