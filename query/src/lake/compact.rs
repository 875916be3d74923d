//! Compaction: merging a partition's small part files into larger sorted ones, without a
//! reader ever seeing a row twice or missing one.
//!
//! Every flush writes one file per partition, so a partition that trickles in all day
//! collects hundreds of small files: many footers to read, little for statistics and
//! bloom filters to skip. Compaction replaces a run of small files with one file sorted by
//! event time: once a partition has a few of them, and, once its day is settled
//! ([`CompactPolicy::settled_after`]), as soon as it has two.
//!
//! No single rename can swap N files for one, so the swap goes through a *manifest*, a
//! `compact-….replaces` file beside the output that names the files the output
//! replaces. Readers going through [`CompactionAwareStore`] (every [`crate::Lake`]) hide
//! a file named by a manifest whose output is visible. One merge is then:
//!
//! 1. write the merged rows to a hidden `.compact-….parquet.tmp` and `fsync` it;
//! 2. write the manifest `compact-….replaces` and `fsync` it and the folder: nothing
//!    changes for readers, since the output it names is not visible yet;
//! 3. rename the output to `compact-….parquet` and `fsync` the folder: in one step the
//!    output appears and its inputs disappear;
//! 4. on a later pass, once the grace period has passed (queries planned before step 3
//!    may still be reading the inputs), delete the inputs;
//! 5. on a pass after that, once no input is left, delete the manifest.
//!
//! A crash at any point leaves a state the next pass settles: a temporary file without
//! a manifest (1) is removed; a manifest whose output is not visible (2) is removed and
//! the inputs stay as they were; a visible output (3, 4) hides its inputs until they
//! are deleted; a manifest without inputs (5) is removed.
//!
//! A pass also removes what a killed flush left: a hidden `.part-….parquet.tmp` is never
//! renamed after its writer died, since recovery reads the lines again instead (see
//! `src/checkpoint.rs`). A live flush renames its files within seconds, so one older
//! than [`ABANDONED_AFTER`] is garbage. A writer stalled for longer than that would find
//! its file gone and its flush failing with an error that names it.
//!
//! Files named by an interrupted flush's pending checkpoint are never merged: resuming
//! after a crash checks that those files still exist (see `src/checkpoint.rs`), and a
//! merged-away file would look like a flush that never finished. For the same reason a
//! file of a Kafka flush is merged only once its flush is complete, and the merged file
//! carries the union of its inputs' flush markers (see [`super::offsets`]), so that
//! consumers still resume from the right offsets.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arrow::array::{RecordBatch, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sanso_ingest::schema::Table;

use super::file_order::FileRows;
use super::layout::{FILE_EXTENSION, PART_PREFIX, WRITING_SUFFIX, sync_dir, table_partitions};
use super::offsets::{FlushMarker, Ledger};
use super::writer::write_parquet;
use crate::error::LakeError;

/// The suffix of a manifest: the files its output replaces, one name per line.
pub const MANIFEST_EXTENSION: &str = ".replaces";

/// The name prefix of compaction outputs and their manifests.
const OUTPUT_PREFIX: &str = "compact-";

/// The folder, below the lake root, that holds sanso's own state.
const STATE_DIR: &str = "_sanso";

/// Age after which a flush's hidden temporary file is taken as left by a killed writer.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// When and how much to merge.
#[derive(Debug, Clone, Copy)]
pub struct CompactPolicy {
    /// Files smaller than this are candidates for merging.
    pub small_file_bytes: u64,
    /// A partition is merged once it has at least this many small files (two once it is
    /// settled).
    pub min_files: usize,
    /// How long after its UTC date has ended a partition counts as settled: rows for it
    /// arrive late, if at all, so two small files are enough to merge. A past day then
    /// ends up in one file (if it fits in [`Self::max_merge_bytes`]), and a query over
    /// past months opens one file per day and zone, not the last few flushes' leftovers.
    pub settled_after: Duration,
    /// Most input bytes (compressed, as on disk) merged into one output. Merging holds the
    /// decoded rows in memory, so this bounds the memory a merge takes.
    pub max_merge_bytes: u64,
    /// How long replaced files stay on disk after their output appears, for queries that
    /// listed them before; at least the query time limit.
    pub grace: Duration,
}

impl Default for CompactPolicy {
    fn default() -> Self {
        CompactPolicy {
            small_file_bytes: 32 << 20,
            min_files: 4,
            settled_after: Duration::from_secs(24 * 3600),
            max_merge_bytes: 128 << 20,
            grace: Duration::from_secs(300),
        }
    }
}

/// What a compaction pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactStats {
    /// Partitions in which files were merged.
    pub partitions: u64,
    /// Small files merged away (hidden now, deleted after the grace period).
    pub files_merged: u64,
    /// Merged files written.
    pub files_written: u64,
    /// Rows in the merged files.
    pub rows: u64,
    /// Replaced files deleted after their grace period.
    pub files_deleted: u64,
    /// Temporary files of killed flushes deleted (see [`ABANDONED_AFTER`]).
    pub abandoned_deleted: u64,
}

/// Names of the lake files an interrupted flush is waiting for; compaction leaves them
/// alone. It is asked once per partition, after the partition was listed, so that a file
/// listed there is either named by the answer or was already committed.
pub type InFlight<'a> = &'a dyn Fn() -> std::io::Result<Vec<PathBuf>>;

/// Runs one compaction pass over every partition of the lake at `root`.
///
/// Returns `None` without touching anything when another compaction of the same lake
/// (another thread or process on this machine) is running.
pub fn compact_lake(
    root: &Path,
    policy: &CompactPolicy,
    in_flight: InFlight<'_>,
) -> Result<Option<CompactStats>, LakeError> {
    let state = root.join(STATE_DIR);
    fs::create_dir_all(&state).map_err(LakeError::io(&state))?;
    let lock_path = state.join("compact.lock");
    let lock = File::create(&lock_path).map_err(LakeError::io(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Ok(None),
        Err(fs::TryLockError::Error(source)) => {
            return Err(LakeError::Io {
                path: lock_path,
                source,
            });
        }
    }
    // Read once per pass, after the lock is taken (so that no merge of this pass is
    // missing from it), and only when some partition has enough files to merge.
    let mut ledger = None;
    let mut stats = CompactStats::default();
    let now = Utc::now();
    for table in Table::ALL {
        for (partition, dir) in table_partitions(root, table)? {
            let policy = if is_settled(partition.date, policy.settled_after, now) {
                CompactPolicy {
                    min_files: 2,
                    ..*policy
                }
            } else {
                *policy
            };
            compact_partition(
                root,
                &dir,
                table,
                &policy,
                in_flight,
                &mut ledger,
                &mut stats,
            )?;
        }
    }
    Ok(Some(stats))
}

/// Whether the UTC day `date` ended at least `settled_after` before `now`.
fn is_settled(date: NaiveDate, settled_after: Duration, now: DateTime<Utc>) -> bool {
    let (Some(next_day), Ok(settled_after)) = (date.succ_opt(), TimeDelta::from_std(settled_after))
    else {
        return false;
    };
    next_day.and_time(NaiveTime::MIN).and_utc() + settled_after <= now
}

/// A partition folder's files, by name.
struct Listing {
    /// Visible data files and their sizes.
    data: BTreeMap<OsString, u64>,
    /// Manifests, by the name of the output they belong to.
    manifests: BTreeMap<OsString, PathBuf>,
    /// Leftovers of a merge that crashed before its manifest was written.
    stale_tmp: Vec<PathBuf>,
    /// Temporary files of flushes, which may still be being written.
    flush_tmp: Vec<PathBuf>,
}

fn list_partition(dir: &Path) -> Result<Listing, LakeError> {
    let mut listing = Listing {
        data: BTreeMap::new(),
        manifests: BTreeMap::new(),
        stale_tmp: Vec::new(),
        flush_tmp: Vec::new(),
    };
    for entry in fs::read_dir(dir).map_err(LakeError::io(dir))? {
        let entry = entry.map_err(LakeError::io(dir))?;
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        if let Some(stem) = text.strip_suffix(MANIFEST_EXTENSION) {
            listing
                .manifests
                .insert(format!("{stem}{FILE_EXTENSION}").into(), entry.path());
        } else if text.starts_with(&format!(".{OUTPUT_PREFIX}")) && text.ends_with(WRITING_SUFFIX) {
            listing.stale_tmp.push(entry.path());
        } else if text.starts_with(&format!(".{PART_PREFIX}")) && text.ends_with(WRITING_SUFFIX) {
            listing.flush_tmp.push(entry.path());
        } else if text.ends_with(FILE_EXTENSION) && !text.starts_with('.') {
            let size = entry
                .metadata()
                .map_err(LakeError::io(&entry.path()))?
                .len();
            listing.data.insert(name, size);
        }
    }
    Ok(listing)
}

fn compact_partition(
    root: &Path,
    dir: &Path,
    table: Table,
    policy: &CompactPolicy,
    in_flight: InFlight<'_>,
    ledger: &mut Option<Ledger>,
    stats: &mut CompactStats,
) -> Result<(), LakeError> {
    let listing = list_partition(dir)?;
    // We hold the lock, so no merge is writing these.
    for tmp in &listing.stale_tmp {
        fs::remove_file(tmp).map_err(LakeError::io(tmp))?;
    }
    let mut changed = !listing.stale_tmp.is_empty();
    for tmp in &listing.flush_tmp {
        // A file renamed or removed by its writer since the listing is not abandoned.
        match age(tmp) {
            Ok(age) if age >= ABANDONED_AFTER => {}
            _ => continue,
        }
        match fs::remove_file(tmp) {
            Ok(()) => {
                tracing::warn!(path = %tmp.display(), "removed a temporary file left by a killed flush");
                stats.abandoned_deleted += 1;
                changed = true;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(LakeError::Io {
                    path: tmp.clone(),
                    source,
                });
            }
        }
    }
    let mut replaced: HashSet<OsString> = HashSet::new();
    for (output, manifest) in &listing.manifests {
        if !listing.data.contains_key(output) {
            // The merge crashed before its output appeared: its inputs are still the data.
            fs::remove_file(manifest).map_err(LakeError::io(manifest))?;
            changed = true;
            continue;
        }
        let inputs = read_manifest(manifest)?;
        let present: Vec<&OsString> = inputs
            .iter()
            .filter(|name| listing.data.contains_key(*name))
            .collect();
        replaced.extend(inputs.iter().cloned());
        if present.is_empty() {
            // Inputs were deleted on an earlier pass, so no listing can still hold one.
            fs::remove_file(manifest).map_err(LakeError::io(manifest))?;
            changed = true;
        } else if age(manifest)? >= policy.grace {
            for name in present {
                let path = dir.join(name);
                fs::remove_file(&path).map_err(LakeError::io(&path))?;
                stats.files_deleted += 1;
            }
            changed = true;
        }
    }
    if changed {
        sync_dir(dir)?;
    }

    let in_flight: HashSet<OsString> = in_flight()
        .map_err(LakeError::io(dir))?
        .iter()
        .filter_map(|p| p.file_name().map(OsString::from))
        .collect();
    let choose = |mergeable: &dyn Fn(&Path) -> bool| {
        let mut inputs = Vec::new();
        let mut bytes = 0;
        for (name, &size) in &listing.data {
            if size >= policy.small_file_bytes
                || replaced.contains(name)
                || in_flight.contains(name)
                || listing.manifests.contains_key(name)
                || !mergeable(&dir.join(name))
            {
                continue;
            }
            if bytes + size > policy.max_merge_bytes && !inputs.is_empty() {
                break;
            }
            bytes += size;
            inputs.push(name.clone());
        }
        (inputs.len() >= policy.min_files.max(2)).then_some(inputs)
    };
    if choose(&|_| true).is_none() {
        return Ok(());
    }
    if ledger.is_none() {
        *ledger = Some(Ledger::scan(root)?);
    }
    let ledger = ledger.as_ref().expect("the ledger was just read");
    let Some(inputs) = choose(&|path| ledger.mergeable(path)) else {
        return Ok(());
    };
    let rows = merge(dir, table, &inputs, ledger)?;
    stats.partitions += 1;
    stats.files_merged += inputs.len() as u64;
    stats.files_written += 1;
    stats.rows += rows;
    Ok(())
}

/// `batch`, read from a file an older sanso wrote, in the table's current `schema`: a
/// column added since is null in the old rows, and a column whose type changed is cast.
/// A column the schema no longer has, or one that cannot be cast, is an error: merging
/// would drop data that is evidence.
fn conform(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, String> {
    if batch.schema().fields() == schema.fields() {
        return Ok(batch);
    }
    if let Some(gone) = batch
        .schema()
        .fields()
        .iter()
        .find(|f| schema.field_with_name(f.name()).is_err())
    {
        return Err(format!(
            "column `{}` is no longer in the table",
            gone.name()
        ));
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(column.clone()),
            Some(column) => cast(column, field.data_type()).map_err(|err| {
                format!(
                    "column `{}` is {} and cannot become {}: {err}",
                    field.name(),
                    column.data_type(),
                    field.data_type()
                )
            }),
            None if field.is_nullable() => Ok(new_null_array(field.data_type(), batch.num_rows())),
            None => Err(format!(
                "column `{}` is missing and may not be null",
                field.name()
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|err| err.to_string())
}

/// Steps 1 to 3 of the [module docs](self): merges `inputs` into one visible file that
/// replaces them. Returns the rows written.
fn merge(dir: &Path, table: Table, inputs: &[OsString], ledger: &Ledger) -> Result<u64, LakeError> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let mut merged = FileRows::new(table);
    let schema = Arc::clone(merged.schema());
    let mut marker = FlushMarker::default();
    for name in inputs {
        let path = dir.join(name);
        if let Some(input) = ledger.marker(&path) {
            marker.absorb(input);
        }
        let file = File::open(&path).map_err(LakeError::io(&path))?;
        let parquet = |source| LakeError::Parquet {
            path: path.clone(),
            source,
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(parquet)?;
        for batch in reader {
            let batch = batch.map_err(LakeError::Arrow)?;
            let batch = conform(batch, &schema).map_err(|reason| LakeError::IncompatibleFile {
                path: path.clone(),
                table,
                reason,
            })?;
            merged.push(batch, None)?;
        }
    }

    let written = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros();
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let stem = format!(
        "{OUTPUT_PREFIX}{written:016x}-{:x}-{seq:06}",
        std::process::id()
    );
    let output = dir.join(format!("{stem}{FILE_EXTENSION}"));
    let tmp = dir.join(format!(".{stem}{FILE_EXTENSION}.tmp"));
    let manifest = dir.join(format!("{stem}{MANIFEST_EXTENSION}"));

    let metadata = if marker.flushes.is_empty() {
        Vec::new()
    } else {
        vec![marker.key_value()]
    };
    if let Err(err) = write_parquet(&tmp, &mut merged, &metadata) {
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }
    let mut names = String::new();
    for name in inputs {
        names.push_str(&name.to_string_lossy());
        names.push('\n');
    }
    File::create(&manifest)
        .and_then(|mut f| {
            f.write_all(names.as_bytes())?;
            f.sync_all()
        })
        .map_err(LakeError::io(&manifest))?;
    sync_dir(dir)?;
    fs::rename(&tmp, &output).map_err(LakeError::io(&output))?;
    sync_dir(dir)?;
    Ok(merged.len() as u64)
}

fn read_manifest(path: &Path) -> Result<Vec<OsString>, LakeError> {
    let text = fs::read_to_string(path).map_err(LakeError::io(path))?;
    Ok(parse_manifest(&text))
}

fn parse_manifest(text: &str) -> Vec<OsString> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(OsString::from)
        .collect()
}

fn age(path: &Path) -> Result<Duration, LakeError> {
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(LakeError::io(path))?;
    Ok(SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default())
}

/// An object store that lists a lake the way compaction means it to be read: files
/// replaced by a visible compaction output are left out of every listing.
///
/// Everything else is passed to the wrapped store unchanged.
#[derive(Debug)]
pub struct CompactionAwareStore {
    inner: Arc<dyn ObjectStore>,
}

impl CompactionAwareStore {
    /// Wraps `inner`, usually the local file system.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        CompactionAwareStore { inner }
    }
}

impl fmt::Display for CompactionAwareStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompactionAware({})", self.inner)
    }
}

/// Removes from `objects` the files that a manifest among them replaces, when that
/// manifest's output is among them too.
async fn hide_replaced(
    store: &dyn ObjectStore,
    mut objects: Vec<ObjectMeta>,
) -> object_store::Result<Vec<ObjectMeta>> {
    let present: HashSet<StorePath> = objects.iter().map(|o| o.location.clone()).collect();
    let mut hidden: HashSet<StorePath> = HashSet::new();
    for object in &objects {
        let Some(name) = object.location.filename() else {
            continue;
        };
        let Some(stem) = name.strip_suffix(MANIFEST_EXTENSION) else {
            continue;
        };
        let parent = StorePath::from_iter(
            object
                .location
                .parts()
                .take(object.location.parts().count() - 1),
        );
        if !present.contains(&parent.clone().join(format!("{stem}{FILE_EXTENSION}"))) {
            continue;
        }
        let text = store.get(&object.location).await?.bytes().await?;
        for input in parse_manifest(&String::from_utf8_lossy(&text)) {
            hidden.insert(parent.clone().join(input.to_string_lossy().as_ref()));
        }
    }
    if !hidden.is_empty() {
        objects.retain(|o| !hidden.contains(&o.location));
    }
    Ok(objects)
}

#[async_trait]
impl ObjectStore for CompactionAwareStore {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &StorePath,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let inner = self.inner.clone();
        let listing = inner.list(prefix);
        // Whether a file is hidden depends on its folder's other entries, so the listing
        // is gathered before anything is yielded.
        stream::once(async move {
            let objects: Vec<ObjectMeta> = listing.try_collect().await?;
            let visible = hide_replaced(inner.as_ref(), objects).await?;
            Ok::<_, object_store::Error>(stream::iter(visible.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        let mut result = self.inner.list_with_delimiter(prefix).await?;
        result.objects = hide_replaced(self.inner.as_ref(), result.objects).await?;
        Ok(result)
    }

    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_settled_once_it_ended_the_settling_time_ago() {
        let day = Duration::from_secs(24 * 3600);
        let now = "2026-11-26T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let settled = |date: &str| is_settled(date.parse().unwrap(), day, now);
        assert!(settled("2026-11-24"));
        // Ended at midnight, nine hours ago.
        assert!(!settled("2026-11-25"));
        assert!(!settled("2026-11-26"));
        assert!(!settled("2026-12-01"));
        assert!(is_settled(
            "2026-11-25".parse().unwrap(),
            Duration::ZERO,
            now
        ));
    }
}
