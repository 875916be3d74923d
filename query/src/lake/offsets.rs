//! Which Kafka offsets the lake holds, kept in the lake itself so that it can never
//! disagree with the rows.
//!
//! Every file a flush writes carries, in its Parquet key-value metadata under
//! [`OFFSETS_KEY`], a [`FlushMarker`]: the flush's id, how many files the flush wrote,
//! and the offset ranges of every message the flush covers (all of them, not only those
//! whose rows landed in this file). A flush writes one file per table, date and zone and
//! each appears with its own rename, so a crash can leave part of a flush visible. The
//! [`Ledger`] read from the footers tells the two apart: a flush is *complete* when as
//! many files name it as it wrote. Only complete flushes count towards the offsets a
//! consumer resumes from; the visible files of an incomplete one are removed
//! ([`Ledger::remove`]) before their messages are read again, so that no row is written
//! twice.
//!
//! Compaction merges only files whose flushes are complete, and the merged file's marker
//! is the union of its inputs' ([`FlushMarker::absorb`]): it still names every flush it
//! holds a piece of, so those flushes stay complete, and its ranges still reach as far.
//!
//! Retention also takes files away from flushes, long after they finished: it deletes
//! whole date and zone partitions, so a flush that held rows of two zones with different
//! retention, or of two days, loses some of its files. Such a flush is *superseded*:
//! complete flushes reach past every partition it covers, and none of them holds its
//! offsets. A flush cut short by a crash cannot be superseded, since every later flush
//! of its partitions starts no further than where it started; so a superseded flush
//! counts as finished, and its remaining files stay.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::errors::ParquetError;
use parquet::file::FOOTER_SIZE;
use parquet::file::metadata::{FooterTail, KeyValue, ParquetMetaDataReader};
use sanso_ingest::schema::Table;
use serde::{Deserialize, Serialize};

use super::layout::{FILE_EXTENSION, sync_dir, table_partitions};
use super::store::{LakeLocation, block_on};
use crate::error::LakeError;

/// The key-value metadata key of a file's [`FlushMarker`].
pub const OFFSETS_KEY: &str = "sanso.kafka";

/// Consumed offsets by topic and partition, as sorted, disjoint, inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetRanges(BTreeMap<String, BTreeMap<i32, Vec<[i64; 2]>>>);

impl OffsetRanges {
    /// Adds the offsets `first..=last` of one partition, merging with ranges they touch.
    pub fn insert(&mut self, topic: &str, partition: i32, first: i64, last: i64) {
        let ranges = self
            .0
            .entry(topic.to_owned())
            .or_default()
            .entry(partition)
            .or_default();
        ranges.push([first.min(last), first.max(last)]);
        ranges.sort_unstable();
        let mut merged: Vec<[i64; 2]> = Vec::with_capacity(ranges.len());
        for &[start, end] in ranges.iter() {
            match merged.last_mut() {
                Some(last) if start <= last[1].saturating_add(1) => last[1] = last[1].max(end),
                _ => merged.push([start, end]),
            }
        }
        *ranges = merged;
    }

    /// Adds every range of `other`.
    pub fn union(&mut self, other: &OffsetRanges) {
        for (topic, partitions) in &other.0 {
            for (&partition, ranges) in partitions {
                for &[first, last] in ranges {
                    self.insert(topic, partition, first, last);
                }
            }
        }
    }

    /// Whether no offset is recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every topic and partition with recorded offsets, and the highest offset of each.
    pub fn highest(&self) -> impl Iterator<Item = (&str, i32, i64)> {
        self.0.iter().flat_map(|(topic, partitions)| {
            partitions.iter().filter_map(move |(&partition, ranges)| {
                ranges.last().map(|r| (topic.as_str(), partition, r[1]))
            })
        })
    }

    /// The highest offset of `topic` and `partition` recorded, if any.
    pub fn highest_of(&self, topic: &str, partition: i32) -> Option<i64> {
        let ranges = self.0.get(topic)?.get(&partition)?;
        ranges.last().map(|r| r[1])
    }

    /// Whether any offset of `topic` and `partition` is recorded.
    pub fn covers(&self, topic: &str, partition: i32) -> bool {
        self.0
            .get(topic)
            .is_some_and(|partitions| partitions.contains_key(&partition))
    }

    /// Whether some offset is recorded in both `self` and `other`.
    pub fn overlaps(&self, other: &OffsetRanges) -> bool {
        self.0.iter().any(|(topic, partitions)| {
            let Some(theirs) = other.0.get(topic) else {
                return false;
            };
            partitions.iter().any(|(partition, ranges)| {
                theirs.get(partition).is_some_and(|their_ranges| {
                    ranges.iter().any(|&[first, last]| {
                        their_ranges
                            .iter()
                            .any(|&[start, end]| first <= end && start <= last)
                    })
                })
            })
        })
    }
}

/// What one lake file says about the flushes it belongs to; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushMarker {
    /// The flushes this file holds rows of, each with the number of files it wrote.
    pub flushes: BTreeMap<String, u32>,
    /// The offsets those flushes cover.
    pub offsets: OffsetRanges,
}

impl FlushMarker {
    /// The marker of a flush `id` that writes `files` files covering `offsets`.
    pub fn new(id: String, files: usize, offsets: OffsetRanges) -> Self {
        FlushMarker {
            flushes: BTreeMap::from([(id, u32::try_from(files).unwrap_or(u32::MAX))]),
            offsets,
        }
    }

    /// The marker as a Parquet key-value entry.
    pub fn key_value(&self) -> KeyValue {
        let json = serde_json::to_string(self).expect("a marker always serialises");
        KeyValue::new(OFFSETS_KEY.to_owned(), json)
    }

    /// The marker among a file's key-value metadata, if it has one.
    pub fn from_key_values(
        path: &Path,
        key_values: Option<&Vec<KeyValue>>,
    ) -> Result<Option<Self>, LakeError> {
        let Some(entry) = key_values
            .into_iter()
            .flatten()
            .find(|kv| kv.key == OFFSETS_KEY)
        else {
            return Ok(None);
        };
        let value = entry.value.as_deref().unwrap_or_default();
        serde_json::from_str(value)
            .map(Some)
            .map_err(|err| LakeError::Metadata {
                path: path.to_owned(),
                reason: format!("`{OFFSETS_KEY}` is not a flush marker: {err}"),
            })
    }

    /// Reads the marker from a Parquet file's footer.
    pub fn read(path: &Path) -> Result<Option<Self>, LakeError> {
        let file = File::open(path).map_err(LakeError::io(path))?;
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .map_err(|source| LakeError::Parquet {
                path: path.to_owned(),
                source,
            })?;
        Self::from_key_values(path, metadata.file_metadata().key_value_metadata())
    }

    /// Takes in the marker of a file merged into this one.
    pub fn absorb(&mut self, other: &FlushMarker) {
        for (id, &files) in &other.flushes {
            self.flushes.insert(id.clone(), files);
        }
        self.offsets.union(&other.offsets);
    }
}

/// The flush markers of every file in a lake, read from the footers; see the
/// [module docs](self).
#[derive(Debug, Default)]
pub struct Ledger {
    /// Files with a marker.
    marked: BTreeMap<PathBuf, FlushMarker>,
    /// Files without one (not from a Kafka flush).
    unmarked: HashSet<PathBuf>,
    /// Per flush id: files seen naming it, files it wrote.
    flushes: HashMap<String, (u32, u32)>,
    /// The offsets of the files whose flushes are all complete.
    complete_offsets: OffsetRanges,
}

impl Ledger {
    /// Reads the footer of every data file of the lake at `root`.
    ///
    /// Files replaced by a compaction but not yet deleted are read too: they hold the
    /// same flushes as the merged file, so they change no answer.
    pub fn scan(root: &Path) -> Result<Ledger, LakeError> {
        let mut ledger = Ledger::default();
        for table in Table::ALL {
            for (_, dir) in table_partitions(root, table)? {
                ledger.scan_partition(&dir)?;
            }
        }
        ledger.count_flushes();
        Ok(ledger)
    }

    /// Counts the files naming each flush, and gathers the offsets of the complete ones.
    fn count_flushes(&mut self) {
        for marker in self.marked.values() {
            for (id, &files) in &marker.flushes {
                let entry = self.flushes.entry(id.clone()).or_insert((0, files));
                entry.0 += 1;
            }
        }
        let mut complete_offsets = OffsetRanges::default();
        for marker in self.marked.values() {
            if self.all_complete(marker) {
                complete_offsets.union(&marker.offsets);
            }
        }
        self.complete_offsets = complete_offsets;
    }

    fn scan_partition(&mut self, dir: &Path) -> Result<(), LakeError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            // Retention removed the partition since it was listed.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(LakeError::Io {
                    path: dir.to_owned(),
                    source,
                });
            }
        };
        for entry in entries {
            let entry = entry.map_err(LakeError::io(dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(FILE_EXTENSION) {
                continue;
            }
            let path = entry.path();
            match FlushMarker::read(&path) {
                Ok(Some(marker)) => {
                    self.marked.insert(path, marker);
                }
                Ok(None) => {
                    self.unmarked.insert(path);
                }
                // Deleted by compaction after its grace period since the listing.
                Err(LakeError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    fn complete(&self, id: &str) -> bool {
        self.flushes
            .get(id)
            .is_some_and(|&(seen, wrote)| seen >= wrote)
    }

    fn all_complete(&self, marker: &FlushMarker) -> bool {
        marker.flushes.keys().all(|id| self.complete(id))
    }

    /// Whether the flushes of `marker` finished: all complete, or superseded (see the
    /// [module docs](self)).
    fn settled(&self, marker: &FlushMarker) -> bool {
        self.all_complete(marker) || self.superseded(marker)
    }

    fn superseded(&self, marker: &FlushMarker) -> bool {
        !marker.offsets.is_empty()
            && !marker.offsets.overlaps(&self.complete_offsets)
            && marker.offsets.highest().all(|(topic, partition, last)| {
                self.complete_offsets
                    .highest_of(topic, partition)
                    .is_some_and(|reached| reached > last)
            })
    }

    /// The next offset to read of every partition the lake holds complete flushes of:
    /// one past the highest offset they cover.
    pub fn resume_offsets(&self) -> BTreeMap<(String, i32), i64> {
        self.complete_offsets
            .highest()
            .map(|(topic, partition, last)| ((topic.to_owned(), partition), last + 1))
            .collect()
    }

    /// Files of flushes that did not finish, with their markers: those a crash cut short,
    /// not those retention has since taken files from.
    pub fn incomplete(&self) -> impl Iterator<Item = (&Path, &FlushMarker)> {
        self.marked
            .iter()
            .filter(|(_, marker)| !self.settled(marker))
            .map(|(path, marker)| (path.as_path(), marker))
    }

    /// Whether compaction may merge `path`: it was seen by this scan and every flush it
    /// holds rows of is complete. A file written since the scan waits for the next pass.
    pub fn mergeable(&self, path: &Path) -> bool {
        self.unmarked.contains(path) || self.marked.get(path).is_some_and(|m| self.settled(m))
    }

    /// The marker of `path`, if the scan saw one.
    pub fn marker(&self, path: &Path) -> Option<&FlushMarker> {
        self.marked.get(path)
    }

    /// Reads the footer of every data file of the lake at `location`: a folder, as
    /// [`Ledger::scan`] does, or an object-store prefix, whose files it names by their
    /// object paths (`prefix/<table>/date=…/zone=…/part-….parquet`).
    pub fn scan_lake(location: &LakeLocation) -> Result<Ledger, LakeError> {
        let remote = match location {
            LakeLocation::Local(root) => return Ledger::scan(root),
            LakeLocation::ObjectStore(remote) => remote,
        };
        let store = remote.connect()?;
        let failed = |source| LakeError::ObjectStore {
            location: remote.url(),
            source,
        };
        let scan = async {
            let mut ledger = Ledger::default();
            for table in Table::ALL {
                let prefix = remote.object_path(Path::new(table.name()));
                let objects: Vec<ObjectMeta> = store
                    .list(Some(&prefix))
                    .try_collect()
                    .await
                    .map_err(failed)?;
                for object in objects {
                    let name = object.location.filename().unwrap_or_default();
                    if name.starts_with('.') || !name.ends_with(FILE_EXTENSION) {
                        continue;
                    }
                    let path = PathBuf::from(object.location.as_ref());
                    match read_object_marker(store.as_ref(), &object, &path).await {
                        Ok(Some(marker)) => {
                            ledger.marked.insert(path, marker);
                        }
                        Ok(None) => {
                            ledger.unmarked.insert(path);
                        }
                        // Deleted since it was listed.
                        Err(LakeError::ObjectStore {
                            source: object_store::Error::NotFound { .. },
                            ..
                        }) => {}
                        Err(err) => return Err(err),
                    }
                }
            }
            Ok(ledger)
        };
        let mut ledger = block_on_own_runtime(scan)??;
        ledger.count_flushes();
        Ok(ledger)
    }

    /// [`Ledger::remove`] for the lake at `location`, whose files a [`Ledger::scan_lake`]
    /// of it named.
    pub fn remove_from<'a>(
        location: &LakeLocation,
        files: impl IntoIterator<Item = &'a Path>,
    ) -> Result<usize, LakeError> {
        let remote = match location {
            LakeLocation::Local(_) => return Ledger::remove(files),
            LakeLocation::ObjectStore(remote) => remote,
        };
        let store = remote.connect()?;
        // The names are the store's own, as the scan listed them: parsed, not encoded
        // again, or a name holding `%` would name another object.
        let objects = files
            .into_iter()
            .map(|path| ObjectPath::parse(path.to_string_lossy()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| LakeError::ObjectStore {
                location: remote.url(),
                source: source.into(),
            })?;
        let remove = async {
            let mut removed = 0;
            for object in &objects {
                match store.delete(object).await {
                    Ok(()) => removed += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(source) => {
                        return Err(LakeError::ObjectStore {
                            location: remote.url(),
                            source,
                        });
                    }
                }
            }
            Ok(removed)
        };
        block_on_own_runtime(remove)?
    }

    /// Deletes `files` (incomplete flushes' pieces, whose messages will be read again)
    /// and syncs their folders.
    pub fn remove<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<usize, LakeError> {
        let mut removed = 0;
        for path in files {
            match fs::remove_file(path) {
                Ok(()) => removed += 1,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(LakeError::Io {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
            sync_dir(path.parent().unwrap_or(Path::new(".")))?;
        }
        Ok(removed)
    }
}

/// The [`FlushMarker`] in the footer of `object`, read with two ranged GETs: the
/// footer's length, then the footer.
async fn read_object_marker(
    store: &dyn ObjectStore,
    object: &ObjectMeta,
    path: &Path,
) -> Result<Option<FlushMarker>, LakeError> {
    let failed = |source| LakeError::ObjectStore {
        location: path.display().to_string(),
        source,
    };
    let not_parquet = |source| LakeError::Parquet {
        path: path.to_owned(),
        source,
    };
    let size = object.size;
    let tail = size.checked_sub(FOOTER_SIZE as u64).ok_or_else(|| {
        not_parquet(ParquetError::General(format!(
            "{size} bytes are too few for a Parquet file"
        )))
    })?;
    let tail_bytes = store
        .get_range(&object.location, tail..size)
        .await
        .map_err(failed)?;
    let tail_bytes: &[u8; FOOTER_SIZE] = tail_bytes
        .as_ref()
        .try_into()
        .map_err(|_| not_parquet(ParquetError::General("the footer was cut short".to_owned())))?;
    let footer = FooterTail::try_new(tail_bytes).map_err(not_parquet)?;
    let start = tail
        .checked_sub(footer.metadata_length() as u64)
        .ok_or_else(|| {
            not_parquet(ParquetError::General(
                "the footer is longer than the file".to_owned(),
            ))
        })?;
    let metadata = store
        .get_range(&object.location, start..tail)
        .await
        .map_err(failed)?;
    let metadata = ParquetMetaDataReader::decode_metadata(&metadata).map_err(not_parquet)?;
    FlushMarker::from_key_values(path, metadata.file_metadata().key_value_metadata())
}

/// Runs `work` to completion on a runtime of its own: the Kafka consumer thread calls
/// from none, a test from inside one.
fn block_on_own_runtime<T: Send>(work: impl Future<Output = T> + Send) -> Result<T, LakeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LakeError::io(Path::new("the lake's I/O runtime")))?;
    Ok(block_on(&runtime, work))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_touch() {
        let mut ranges = OffsetRanges::default();
        ranges.insert("fw", 0, 10, 19);
        ranges.insert("fw", 0, 0, 9);
        ranges.insert("fw", 0, 30, 39);
        ranges.insert("fw", 1, 5, 5);
        assert_eq!(
            ranges.0["fw"][&0],
            vec![[0, 19], [30, 39]],
            "adjacent ranges join, a gap stays"
        );
        let highest: Vec<_> = ranges.highest().collect();
        assert_eq!(highest, vec![("fw", 0, 39), ("fw", 1, 5)]);
    }

    #[test]
    fn a_marker_survives_its_key_value_entry() {
        let mut offsets = OffsetRanges::default();
        offsets.insert("proxy", 3, 100, 199);
        let marker = FlushMarker::new("a-1".into(), 2, offsets);
        let kv = vec![marker.key_value()];
        let read = FlushMarker::from_key_values(Path::new("x"), Some(&kv)).unwrap();
        assert_eq!(read, Some(marker));
        let garbled = vec![KeyValue::new(OFFSETS_KEY.to_owned(), "{".to_owned())];
        assert!(FlushMarker::from_key_values(Path::new("x"), Some(&garbled)).is_err());
    }
}
