//! The object store of a local lake: byte ranges are read in place, on the querying task.
//!
//! `object_store`'s `LocalFileSystem` hands every read to tokio's blocking pool, because a
//! file read may block. Reading a Parquet file takes many small ranged reads (footer,
//! page index, bloom filters, column chunks), and a lake that is being queried sits in
//! the page cache, so each read takes a few microseconds while the hop to another thread
//! and back costs more, and the bytes are decoded on the querying worker anyway. Reading
//! in place made the bench queries over many small files 13–25 % faster
//! (benches/RESULTS.md). A cold read from disk still blocks one worker for the length of
//! one range, which DataFusion's parallelism over files absorbs.
//!
//! Listings are walked in place too. Every query lists its table's files before it
//! plans, on one thread: `LocalFileSystem` does that on the blocking pool, stats each entry
//! three times and turns each path into a URL and back, which cost 2.5–5 ms per query on
//! the benchmark lake's 30–104 files per table. Here each file is stat'ed once and its
//! location is built from its folder's. A folder holding a symbolic link is listed by
//! `LocalFileSystem` instead, which guards against link loops.
//!
//! Only ranged reads without preconditions and listings are served here; writing,
//! whole-file reads and conditional requests go to `LocalFileSystem` unchanged.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io;
use std::ops::Range;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{
    Attributes, CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult,
    MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    PutResult,
};

use crate::error::LakeError;

/// How this store names itself in `object_store` errors.
const STORE_NAME: &str = "LocalLakeStore";

/// A `LocalFileSystem` whose ranged reads run on the calling task (see the module docs).
#[derive(Debug, Default)]
pub struct LocalLakeStore {
    files: LocalFileSystem,
}

impl LocalLakeStore {
    /// A store over the whole local file system, addressed by absolute paths.
    pub fn new() -> Self {
        LocalLakeStore::default()
    }

    fn open(&self, location: &StorePath) -> object_store::Result<(File, PathBuf)> {
        let path = self.files.path_to_filesystem(location)?;
        match File::open(&path) {
            Ok(file) => Ok((file, path)),
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                Err(object_store::Error::NotFound {
                    path: path.display().to_string(),
                    source: Box::new(source),
                })
            }
            Err(source) => Err(io_error(path, source)),
        }
    }
}

impl fmt::Display for LocalLakeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{STORE_NAME}")
    }
}

/// Whether a read can be served in place: a range of the current object and nothing the
/// object's identity (its ETag or modification time) must be checked against.
fn is_plain_ranged_read(options: &GetOptions) -> bool {
    options.range.is_some()
        && !options.head
        && options.if_match.is_none()
        && options.if_none_match.is_none()
        && options.if_modified_since.is_none()
        && options.if_unmodified_since.is_none()
        && options.version.is_none()
}

fn io_error(path: PathBuf, source: io::Error) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE_NAME,
        source: Box::new(LakeError::Io { path, source }),
    }
}

fn read_range(file: &File, path: &Path, range: Range<u64>) -> object_store::Result<Bytes> {
    let mut buffer = vec![0; (range.end - range.start) as usize];
    file.read_exact_at(&mut buffer, range.start)
        .map_err(|source| {
            let source = if source.kind() == io::ErrorKind::UnexpectedEof {
                let length = file.metadata().map(|meta| meta.len()).unwrap_or_default();
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("bytes {range:?} requested, but the file has {length} bytes"),
                )
            } else {
                source
            };
            io_error(path.to_path_buf(), source)
        })?;
    Ok(Bytes::from(buffer))
}

fn read_in_place(
    file: &File,
    path: &Path,
    location: &StorePath,
    range: &GetRange,
) -> object_store::Result<GetResult> {
    let metadata = file
        .metadata()
        .map_err(|source| io_error(path.to_path_buf(), source))?;
    let range = range
        .as_range(metadata.len())
        .map_err(|source| object_store::Error::Generic {
            store: STORE_NAME,
            source: Box::new(source),
        })?;
    let bytes = read_range(file, path, range.clone())?;
    Ok(GetResult {
        payload: GetResultPayload::Stream(stream::once(async { Ok(bytes) }).boxed()),
        meta: object_meta(location.clone(), &metadata),
        range,
        attributes: Attributes::default(),
    })
}

/// How a walk of a folder ended.
enum Walk {
    Done,
    /// A symbolic link, or a name `object_store` cannot hold as it is, was met: the
    /// listing is left to `LocalFileSystem`.
    Deferred,
}

/// Appends the files under `dir` (at `location`) to `objects`, as `LocalFileSystem` lists
/// them: regular files only, a missing folder or a file deleted meanwhile is no error, and
/// names that `object_store` reserves for its own temporary files are skipped.
fn list_in_place(
    dir: &Path,
    location: &StorePath,
    objects: &mut Vec<ObjectMeta>,
) -> object_store::Result<Walk> {
    let gone = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        )
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if gone(&e) => return Ok(Walk::Done),
        Err(e) => return Err(io_error(dir.to_path_buf(), e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir.to_path_buf(), e))?;
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(io_error(entry.path(), e)),
        };
        if file_type.is_symlink() {
            return Ok(Walk::Deferred);
        }
        // `LocalFileSystem` names files by their path as it is, and fails on a name that
        // is not UTF-8 or that `object_store` cannot hold: such a listing is left to it.
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|name| StorePath::parse(format!("{location}/{name}")).ok())
        else {
            return Ok(Walk::Deferred);
        };
        if file_type.is_dir() {
            if let Walk::Deferred = list_in_place(&entry.path(), &child, objects)? {
                return Ok(Walk::Deferred);
            }
        } else if file_type.is_file() && !child.filename().is_some_and(is_reserved_name) {
            match entry.metadata() {
                Ok(metadata) => objects.push(object_meta(child, &metadata)),
                Err(e) if gone(&e) => {}
                Err(e) => return Err(io_error(entry.path(), e)),
            }
        }
    }
    Ok(Walk::Done)
}

/// `object_store` writes a file in place under its name plus `#` and digits, and skips
/// such names when it lists.
fn is_reserved_name(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, suffix)| !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()))
}

/// A file's entry in listings and reads, with the ETag `LocalFileSystem` gives it
/// (inode, modification time in microseconds, size), so that caches keyed on either agree.
fn object_meta(location: StorePath, metadata: &Metadata) -> ObjectMeta {
    let modified = metadata.modified().ok();
    let micros = modified
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default()
        .as_micros();
    ObjectMeta {
        location,
        last_modified: modified.map(DateTime::<Utc>::from).unwrap_or_default(),
        size: metadata.len(),
        e_tag: Some(format!(
            "{:x}-{micros:x}-{:x}",
            metadata.ino(),
            metadata.len()
        )),
        version: None,
    }
}

#[async_trait]
impl ObjectStore for LocalLakeStore {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.files.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.files.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        match &options.range {
            Some(range) if is_plain_ranged_read(&options) => {
                let (file, path) = self.open(location)?;
                read_in_place(&file, &path, location, range)
            }
            _ => self.files.get_opts(location, options).await,
        }
    }

    async fn get_ranges(
        &self,
        location: &StorePath,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        let (file, path) = self.open(location)?;
        ranges
            .iter()
            .map(|range| read_range(&file, &path, range.clone()))
            .collect()
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.files.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let Some(prefix) = prefix else {
            return self.files.list(None);
        };
        let Ok(dir) = self.files.path_to_filesystem(prefix) else {
            return self.files.list(Some(prefix));
        };
        let mut objects = Vec::new();
        match list_in_place(&dir, prefix, &mut objects) {
            Ok(Walk::Done) => stream::iter(objects.into_iter().map(Ok)).boxed(),
            Ok(Walk::Deferred) => self.files.list(Some(prefix)),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        self.files.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.files.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;

    use super::*;

    const CONTENT: &[u8] = b"0123456789abcdefghij";

    fn file_with_content() -> (tempfile::TempDir, StorePath) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        std::fs::write(&path, CONTENT).unwrap();
        let location = StorePath::from_filesystem_path(&path).unwrap();
        (dir, location)
    }

    /// A table folder as the lake lays it out, with the odd names a listing must handle.
    fn table_folder() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("network");
        for (file, content) in [
            ("date=2026-10-01/zone=core/part-1.parquet", "a"),
            ("date=2026-10-01/zone=core/.part-2.parquet.writing", "bb"),
            ("date=2026-10-01/zone=lgwan/compact-3.parquet", "ccc"),
            ("date=2026-10-01/zone=lgwan/compact-3.manifest", "dddd"),
            (
                "date=2026-10-02/zone=internet/名前 with spaces.parquet",
                "e",
            ),
            (
                "date=2026-10-02/zone=internet/upload.parquet#17",
                "half-written",
            ),
            ("date=2026-10-02/zone=internet/tag#v2.parquet", "kept"),
        ] {
            let path = table.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        std::fs::create_dir_all(table.join("date=2026-10-03/zone=core")).unwrap();
        (dir, table)
    }

    async fn listed(store: &dyn ObjectStore, prefix: &Path) -> Vec<ObjectMeta> {
        let prefix = StorePath::from_absolute_path(prefix).unwrap();
        let mut objects: Vec<ObjectMeta> = store.list(Some(&prefix)).try_collect().await.unwrap();
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        objects
    }

    #[tokio::test]
    async fn listings_agree_with_the_local_file_system() {
        let (_dir, table) = table_folder();
        let store = LocalLakeStore::new();
        let reference = LocalFileSystem::new();
        let everything = listed(&store, &table).await;
        assert_eq!(everything.len(), 6, "{everything:#?}");
        for prefix in [
            table.clone(),
            table.join("date=2026-10-01"),
            table.join("date=2026-10-03"),
            table.join("date=2026-10-01/zone=core/part-1.parquet"),
            table.join("missing"),
        ] {
            assert_eq!(
                listed(&store, &prefix).await,
                listed(&reference, &prefix).await,
                "listing {}",
                prefix.display()
            );
        }
        for object in &everything {
            let head = reference.head(&object.location).await.unwrap();
            assert_eq!(head.e_tag, object.e_tag, "{}", object.location);
        }
    }

    #[tokio::test]
    async fn a_folder_holding_a_symbolic_link_is_listed_as_the_local_file_system_lists_it() {
        let (dir, table) = table_folder();
        let elsewhere = dir.path().join("elsewhere.parquet");
        std::fs::write(&elsewhere, "linked").unwrap();
        std::os::unix::fs::symlink(&elsewhere, table.join("date=2026-10-01/linked.parquet"))
            .unwrap();
        let ours = listed(&LocalLakeStore::new(), &table).await;
        assert_eq!(ours, listed(&LocalFileSystem::new(), &table).await);
        assert!(
            ours.iter()
                .any(|o| o.location.filename() == Some("linked.parquet"))
        );
    }

    async fn read(store: &LocalLakeStore, location: &StorePath, range: GetRange) -> GetResult {
        let options = GetOptions {
            range: Some(range),
            ..GetOptions::default()
        };
        store.get_opts(location, options).await.unwrap()
    }

    #[tokio::test]
    async fn reads_bounded_offset_and_suffix_ranges() {
        let (_dir, location) = file_with_content();
        let store = LocalLakeStore::new();

        let bounded = read(&store, &location, GetRange::Bounded(2..6)).await;
        assert_eq!(bounded.range, 2..6);
        assert_eq!(bounded.meta.size, CONTENT.len() as u64);
        assert_eq!(bounded.bytes().await.unwrap().as_ref(), b"2345");

        let offset = read(&store, &location, GetRange::Offset(16)).await;
        assert_eq!(offset.range, 16..20);
        assert_eq!(offset.bytes().await.unwrap().as_ref(), b"ghij");

        let suffix = read(&store, &location, GetRange::Suffix(3)).await;
        assert_eq!(suffix.range, 17..20);
        assert_eq!(suffix.bytes().await.unwrap().as_ref(), b"hij");

        let ranges = store.get_ranges(&location, &[0..2, 10..13]).await.unwrap();
        assert_eq!(
            ranges,
            vec![Bytes::from_static(b"01"), Bytes::from_static(b"abc")]
        );
    }

    #[tokio::test]
    async fn reads_agree_with_the_local_file_system() {
        let (_dir, location) = file_with_content();
        let store = LocalLakeStore::new();
        let reference = LocalFileSystem::new();
        for range in [0..20, 5..9, 19..20] {
            assert_eq!(
                store.get_range(&location, range.clone()).await.unwrap(),
                reference.get_range(&location, range.clone()).await.unwrap(),
            );
            let ours = read(&store, &location, range.clone().into()).await;
            let theirs = reference
                .get_opts(
                    &location,
                    GetOptions {
                        range: Some(range.into()),
                        ..GetOptions::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(ours.meta, theirs.meta);
        }
    }

    #[tokio::test]
    async fn a_missing_file_is_not_found() {
        let (dir, _) = file_with_content();
        let missing = StorePath::from_absolute_path(dir.path().join("gone.parquet")).unwrap();
        let store = LocalLakeStore::new();
        let error = store.get_range(&missing, 0..4).await.unwrap_err();
        assert!(
            matches!(error, object_store::Error::NotFound { .. }),
            "{error}"
        );
        let error = store.get_ranges(&missing, &[0..4, 4..8]).await.unwrap_err();
        assert!(
            matches!(error, object_store::Error::NotFound { .. }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_range_past_the_end_says_how_long_the_file_is() {
        let (_dir, location) = file_with_content();
        let store = LocalLakeStore::new();
        let error = store
            .get_ranges(&location, &[0..2, 15..25])
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("part.parquet"), "{message}");
        assert!(message.contains("file has 20 bytes"), "{message}");

        let options = GetOptions {
            range: Some(GetRange::Bounded(30..40)),
            ..GetOptions::default()
        };
        let error = store.get_opts(&location, options).await.unwrap_err();
        assert!(error.to_string().contains("30"), "{error}");
    }

    #[tokio::test]
    async fn conditional_and_head_requests_keep_the_file_systems_answers() {
        let (_dir, location) = file_with_content();
        let store = LocalLakeStore::new();
        let head = store.head(&location).await.unwrap();
        assert!(
            head.e_tag.is_some(),
            "head must carry LocalFileSystem's ETag"
        );

        let stale = GetOptions {
            range: Some(GetRange::Bounded(0..4)),
            if_match: Some("not-this-file".to_owned()),
            ..GetOptions::default()
        };
        let error = store.get_opts(&location, stale).await.unwrap_err();
        assert!(
            matches!(error, object_store::Error::Precondition { .. }),
            "{error}"
        );

        let current = GetOptions {
            range: Some(GetRange::Bounded(0..4)),
            if_match: head.e_tag.clone(),
            ..GetOptions::default()
        };
        let result = store.get_opts(&location, current).await.unwrap();
        assert_eq!(result.bytes().await.unwrap().as_ref(), b"0123");
    }

    /// With `LocalFileSystem` these reads and listings wait for a free blocking thread;
    /// here they must not need one.
    #[test]
    fn ranged_reads_and_listings_do_not_wait_for_the_blocking_pool() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .enable_time()
            .build()
            .unwrap();
        let (release, held) = mpsc::channel::<()>();
        let (_dir, location) = file_with_content();
        let (_tables, table) = table_folder();
        let table = StorePath::from_absolute_path(table).unwrap();
        runtime.block_on(async {
            let occupied = tokio::task::spawn_blocking(move || held.recv());
            let store = LocalLakeStore::new();
            let reads = async {
                let range = store.get_range(&location, 4..8).await?;
                let ranges = store.get_ranges(&location, &[0..1, 8..10]).await?;
                let listed: Vec<ObjectMeta> = store.list(Some(&table)).try_collect().await?;
                Ok::<_, object_store::Error>((range, ranges, listed))
            };
            let (range, ranges, listed) = tokio::time::timeout(Duration::from_secs(10), reads)
                .await
                .expect("a ranged read or a listing waited for the busy blocking pool")
                .unwrap();
            assert_eq!(listed.len(), 6);
            assert_eq!(range.as_ref(), b"4567");
            assert_eq!(
                ranges,
                vec![Bytes::from_static(b"0"), Bytes::from_static(b"89")]
            );
            release.send(()).unwrap();
            occupied.await.unwrap().unwrap();
        });
    }
}
