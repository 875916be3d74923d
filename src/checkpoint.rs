//! Where each followed file was read up to, committed together with the lake files that
//! hold its lines, so that a restart neither skips nor repeats a line.
//!
//! A flush is a small two-phase commit:
//!
//! 1. the lake writer writes every buffered partition to hidden temporary files;
//! 2. [`Checkpoints::stage`] writes `checkpoint.pending.json`: the new file positions and
//!    the names the lake files are about to take;
//! 3. the lake files are renamed into view;
//! 4. [`Checkpoints::promote`] renames the pending checkpoint over `checkpoint.json`.
//!
//! After a crash, [`Checkpoints::open`] finds a pending checkpoint from an interrupted
//! flush and settles it: if every lake file it names exists, the flush had finished and
//! the pending positions become the committed ones; otherwise the files that did appear
//! are removed and the old positions stand, so the lines are read again exactly once.
//!
//! `sanso run` keeps its followed files in `checkpoint.json`. Each file `sanso import`
//! reads has a checkpoint of its own, `import-<digest of its path>.json`, so that an
//! import can run beside `sanso run`, or beside another import, on the same lake without
//! either overwriting the other's positions.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::causes::Causes;

/// The folder under the lake's root that holds sanso's own state.
pub const STATE_DIR: &str = "_sanso";

/// Suffix of a checkpoint staged by a flush that has not finished.
const PENDING: &str = ".pending.json";

/// A position in a followed file: which file (device and inode, so that rotation is
/// recognised, and the digest of its first bytes) and the offset just past the last line
/// taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePosition {
    /// Device of the file.
    pub dev: u64,
    /// Inode of the file.
    pub ino: u64,
    /// The file's first bytes when the position was taken. Absent in checkpoints written
    /// before it was recorded; such a position is trusted on its inode alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// Bytes consumed: every line before this offset is in the lake.
    pub offset: u64,
    /// Lines consumed, so that the next line's number continues the count.
    pub lines: u64,
}

/// A digest of a file's first bytes, up to [`Head::BYTES`].
///
/// The device and inode alone do not name a file for good: `cp new.log old.log` writes
/// other lines into the same inode, and the inode of a deleted file is given to the next
/// one created. Resuming such a file at the old offset would skip lines that were never
/// read. Lines are only ever appended to a log, so its first bytes do not change while it
/// is the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// How many bytes the digest covers.
    len: u64,
    /// The first eight bytes of their SHA-256.
    sha256: [u8; 8],
}

impl Head {
    /// The most bytes a digest covers.
    pub const BYTES: u64 = 4096;

    /// The digest of the first bytes of `file`, read without moving its cursor.
    pub fn of(file: &File) -> std::io::Result<Head> {
        let bytes = first_bytes(file, Self::BYTES)?;
        Ok(Head {
            len: bytes.len() as u64,
            sha256: Self::digest(&bytes),
        })
    }

    /// Whether `file` still begins with the bytes this digest was taken of.
    pub fn matches(&self, file: &File) -> std::io::Result<bool> {
        let bytes = first_bytes(file, self.len)?;
        Ok(bytes.len() as u64 == self.len && Self::digest(&bytes) == self.sha256)
    }

    fn digest(bytes: &[u8]) -> [u8; 8] {
        let mut sha256 = [0; 8];
        sha256.copy_from_slice(&Sha256::digest(bytes)[..8]);
        sha256
    }

    /// How many bytes the digest covers.
    pub fn len(&self) -> u64 {
        self.len
    }
}

/// Up to `max` bytes from the start of `file`; fewer if it is shorter, even when it was
/// truncated while being read (a log rotated by copytruncate).
fn first_bytes(file: &File, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; max as usize];
    let mut len = 0;
    while len < bytes.len() {
        match file.read_at(&mut bytes[len..], len as u64) {
            Ok(0) => break,
            Ok(read) => len += read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    bytes.truncate(len);
    Ok(bytes)
}

impl FilePosition {
    /// The start of `file`: its device, inode and first bytes, offset and lines 0.
    pub fn start_of(file: &File) -> std::io::Result<FilePosition> {
        let meta = file.metadata()?;
        Ok(FilePosition {
            dev: meta.dev(),
            ino: meta.ino(),
            head: Some(Head::of(file)?),
            offset: 0,
            lines: 0,
        })
    }

    /// This position's file at `offset`, after `lines` lines.
    pub fn at(&self, offset: u64, lines: u64) -> FilePosition {
        FilePosition {
            offset,
            lines,
            ..*self
        }
    }

    /// Whether `meta` describes a file with this position's device and inode.
    pub fn same_inode(&self, meta: &fs::Metadata) -> bool {
        (meta.dev(), meta.ino()) == (self.dev, self.ino)
    }

    /// Whether `file` is the file this position was taken in.
    pub fn is_in(&self, file: &File) -> std::io::Result<bool> {
        if !self.same_inode(&file.metadata()?) {
            return Ok(false);
        }
        match &self.head {
            Some(head) => head.matches(file),
            None => Ok(true),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Positions by the configured path of each file source.
    files: BTreeMap<PathBuf, FilePosition>,
    /// The lake files a pending checkpoint waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lake_files: Vec<PathBuf>,
}

/// The committed positions of a set of files, kept under `<lake>/_sanso/`.
#[derive(Debug)]
pub struct Checkpoints {
    dir: PathBuf,
    /// File name of the committed checkpoint, without `.json`.
    stem: String,
    committed: BTreeMap<PathBuf, FilePosition>,
}

impl Checkpoints {
    /// Opens the checkpoints of `sanso run`'s followed files in the lake at `data`,
    /// settling an interrupted flush.
    pub fn open(data: &Path) -> anyhow::Result<Self> {
        Self::open_named(data, "checkpoint".to_owned())
    }

    /// Opens the checkpoint of importing `file` (an absolute path) into the lake at
    /// `data`, settling an interrupted flush.
    pub fn open_import(data: &Path, file: &Path) -> anyhow::Result<Self> {
        let digest = Sha256::digest(file.as_os_str().as_encoded_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self::open_named(data, format!("import-{hex}"))
    }

    fn open_named(data: &Path, stem: String) -> anyhow::Result<Self> {
        let dir = data.join(STATE_DIR);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let pending_path = dir.join(format!("{stem}{PENDING}"));
        if fs::metadata(&pending_path).is_ok_and(|m| m.len() == 0) {
            // Versions before staging was atomic could be killed between creating the
            // pending checkpoint and writing it. Staging finishes before any lake file
            // of its flush is renamed into view, so none of them appeared: the committed
            // positions stand.
            tracing::warn!(path = %pending_path.display(), "removing an empty pending checkpoint left by an interrupted flush");
            fs::remove_file(&pending_path)
                .with_context(|| format!("removing {}", pending_path.display()))?;
        }
        if let Some(pending) = read_state(&pending_path)? {
            if pending.lake_files.iter().all(|f| f.exists()) {
                fs::rename(&pending_path, dir.join(format!("{stem}.json")))
                    .with_context(|| format!("promoting {}", pending_path.display()))?;
            } else {
                for file in pending.lake_files.iter().filter(|f| f.exists()) {
                    fs::remove_file(file)
                        .with_context(|| format!("rolling back {}", file.display()))?;
                }
                fs::remove_file(&pending_path)
                    .with_context(|| format!("removing {}", pending_path.display()))?;
            }
            sync_dir(&dir)?;
        }
        let committed = read_state(&dir.join(format!("{stem}.json")))?
            .unwrap_or_default()
            .files;
        Ok(Checkpoints {
            dir,
            stem,
            committed,
        })
    }

    /// The committed position of a file source.
    pub fn position(&self, path: &Path) -> Option<FilePosition> {
        self.committed.get(path).copied()
    }

    /// Records the positions a flush is about to make true, and the lake files that will
    /// make them true.
    pub fn stage<'a>(
        &self,
        positions: &BTreeMap<PathBuf, FilePosition>,
        lake_files: impl Iterator<Item = &'a Path>,
    ) -> anyhow::Result<()> {
        let mut files = self.committed.clone();
        files.extend(positions.iter().map(|(k, v)| (k.clone(), *v)));
        let state = State {
            files,
            lake_files: lake_files.map(Path::to_owned).collect(),
        };
        // Written aside and renamed into place: a kill while writing must not leave a
        // torn pending checkpoint, which the next start could not settle.
        let path = self.pending_path();
        let staging = path.with_extension("json.tmp");
        let mut file =
            File::create(&staging).with_context(|| format!("creating {}", staging.display()))?;
        file.write_all(&serde_json::to_vec_pretty(&state)?)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", staging.display()))?;
        fs::rename(&staging, &path).with_context(|| format!("staging {}", path.display()))?;
        sync_dir(&self.dir)
    }

    /// Makes the staged positions the committed ones, once their lake files are visible.
    pub fn promote(&mut self, positions: &BTreeMap<PathBuf, FilePosition>) -> anyhow::Result<()> {
        let pending = self.pending_path();
        fs::rename(&pending, self.dir.join(format!("{}.json", self.stem)))
            .with_context(|| format!("promoting {}", pending.display()))?;
        sync_dir(&self.dir)?;
        self.committed
            .extend(positions.iter().map(|(k, v)| (k.clone(), *v)));
        Ok(())
    }

    fn pending_path(&self) -> PathBuf {
        self.dir.join(format!("{}{PENDING}", self.stem))
    }
}

/// The lake files the interrupted or running flushes of the lake at `data` (of `sanso
/// run` and of every import) are waiting for: until their checkpoints are promoted, they
/// must stay exactly as written (compaction leaves them alone), or resuming would take a
/// flush for one that never finished.
pub fn pending_lake_files(data: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = data.join(STATE_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if !path.to_string_lossy().ends_with(PENDING) {
            continue;
        }
        match read_state(&path) {
            Ok(state) => files.extend(state.map(|s| s.lake_files).unwrap_or_default()),
            Err(err) => return Err(std::io::Error::other(Causes(&err).to_string())),
        }
    }
    Ok(files)
}

fn read_state(path: &Path) -> anyhow::Result<Option<State>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{} is not a sanso checkpoint", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(offset: u64) -> BTreeMap<PathBuf, FilePosition> {
        BTreeMap::from([(
            PathBuf::from("/var/log/auth.log"),
            FilePosition {
                dev: 1,
                ino: 2,
                head: None,
                offset,
                lines: offset / 10,
            },
        )])
    }

    #[test]
    fn a_position_names_its_file_by_inode_and_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.log");
        fs::write(&path, "line one\nline two\n").unwrap();
        let file = File::open(&path).unwrap();
        let meta = file.metadata().unwrap();
        let position = FilePosition::start_of(&file).unwrap().at(18, 2);
        assert!(position.is_in(&file).unwrap());
        // Appending keeps the file; rewriting it in place (same inode) does not.
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"line three\n")
            .unwrap();
        assert!(position.is_in(&File::open(&path).unwrap()).unwrap());
        fs::write(&path, "other text entirely\n").unwrap();
        let rewritten = File::open(&path).unwrap();
        assert_eq!(rewritten.metadata().unwrap().ino(), meta.ino());
        assert!(!position.is_in(&rewritten).unwrap());

        // A checkpoint from before digests were recorded is trusted on its inode.
        let old: FilePosition = serde_json::from_str(&format!(
            r#"{{"dev":{},"ino":{},"offset":18,"lines":2}}"#,
            meta.dev(),
            meta.ino()
        ))
        .unwrap();
        assert_eq!(old.head, None);
        assert!(old.is_in(&rewritten).unwrap());
    }

    fn auth_log_offset(checkpoints: &Checkpoints) -> u64 {
        checkpoints
            .position(Path::new("/var/log/auth.log"))
            .expect("a committed position")
            .offset
    }

    #[test]
    fn promoted_positions_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut checkpoints = Checkpoints::open(dir.path()).unwrap();
        assert_eq!(checkpoints.position(Path::new("/var/log/auth.log")), None);
        checkpoints
            .stage(&positions(10), std::iter::empty())
            .unwrap();
        checkpoints.promote(&positions(10)).unwrap();
        let reopened = Checkpoints::open(dir.path()).unwrap();
        assert_eq!(auth_log_offset(&reopened), 10);
    }

    #[test]
    fn an_interrupted_flush_is_completed_when_its_files_all_appeared() {
        let dir = tempfile::tempdir().unwrap();
        let lake_file = dir.path().join("part-1.parquet");
        let checkpoints = Checkpoints::open(dir.path()).unwrap();
        checkpoints
            .stage(&positions(20), [lake_file.as_path()].into_iter())
            .unwrap();
        std::fs::write(&lake_file, b"committed").unwrap();
        // Crash here: the file was renamed into view, the checkpoint not yet promoted.
        let reopened = Checkpoints::open(dir.path()).unwrap();
        assert_eq!(auth_log_offset(&reopened), 20);
        assert!(lake_file.exists());
    }

    #[test]
    fn imports_keep_checkpoints_apart_from_run_and_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let log = Path::new("/var/log/auth.log");
        let mut run = Checkpoints::open(dir.path()).unwrap();
        run.stage(&positions(10), std::iter::empty()).unwrap();
        run.promote(&positions(10)).unwrap();
        let lake_file = dir.path().join("part-1.parquet");
        let import = Checkpoints::open_import(dir.path(), log).unwrap();
        assert_eq!(import.position(log), None);
        import
            .stage(&positions(40), [lake_file.as_path()].into_iter())
            .unwrap();
        // An import's unfinished flush is as untouchable for compaction as run's.
        assert_eq!(
            pending_lake_files(dir.path()).unwrap(),
            std::slice::from_ref(&lake_file)
        );
        std::fs::write(&lake_file, b"committed").unwrap();
        let import = Checkpoints::open_import(dir.path(), log).unwrap();
        assert_eq!(import.position(log).unwrap().offset, 40);
        assert_eq!(
            Checkpoints::open(dir.path())
                .unwrap()
                .position(log)
                .unwrap()
                .offset,
            10
        );
        let other = Checkpoints::open_import(dir.path(), Path::new("/var/log/mail.log")).unwrap();
        assert_eq!(other.position(log), None);
        assert!(pending_lake_files(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn an_interrupted_flush_is_rolled_back_when_files_are_missing() {
        let dir = tempfile::tempdir().unwrap();
        let (appeared, missing) = (
            dir.path().join("part-1.parquet"),
            dir.path().join("part-2.parquet"),
        );
        let mut checkpoints = Checkpoints::open(dir.path()).unwrap();
        checkpoints
            .stage(&positions(5), std::iter::empty())
            .unwrap();
        checkpoints.promote(&positions(5)).unwrap();
        checkpoints
            .stage(
                &positions(30),
                [appeared.as_path(), missing.as_path()].into_iter(),
            )
            .unwrap();
        std::fs::write(&appeared, b"half a flush").unwrap();
        // Crash here: one of two files renamed. Its rows will be read again, so it goes.
        let reopened = Checkpoints::open(dir.path()).unwrap();
        assert_eq!(auth_log_offset(&reopened), 5);
        assert!(!appeared.exists());
    }

    #[test]
    fn an_empty_pending_checkpoint_from_an_interrupted_stage_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut checkpoints = Checkpoints::open(dir.path()).unwrap();
        checkpoints
            .stage(&positions(5), std::iter::empty())
            .unwrap();
        checkpoints.promote(&positions(5)).unwrap();
        // Killed between creating the pending checkpoint and writing it.
        std::fs::write(checkpoints.pending_path(), b"").unwrap();
        let reopened = Checkpoints::open(dir.path()).unwrap();
        assert_eq!(auth_log_offset(&reopened), 5);
        assert!(!reopened.pending_path().exists());
    }
}
