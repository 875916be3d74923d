//! Following a file as it grows, across rotation, from its checkpoint.
//!
//! A follower thread polls the file: it reads what was appended, hands complete lines to
//! the ingest thread with the offset just past them, and keeps an unfinished last line
//! until its newline arrives. It recognises rotation by the path naming another inode
//! (the old file is read to its end first, so nothing written before the rename is lost),
//! and truncation in place (copytruncate) by the file shrinking below the offset.
//!
//! On start it resumes from the committed [`FilePosition`]: in the file at the path if
//! that is still the same inode, otherwise in the rotated file found beside it by inode,
//! then in the new file from its start.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Chunk, Message, Sender};
use crate::checkpoint::{FilePosition, Head};
use crate::config::StartAt;

/// How often a quiet file is looked at again.
const POLL: Duration = Duration::from_millis(200);

/// Bytes read at a time.
const READ_SIZE: usize = 256 * 1024;

/// What a follower needs to know.
pub struct FollowSettings {
    /// Index of the source.
    pub source: usize,
    /// The followed path.
    pub path: PathBuf,
    /// The committed position, if any.
    pub resume: Option<FilePosition>,
    /// Where to start without a committed position.
    pub start_at: StartAt,
    /// Longest line kept whole; a longer one is cut at this length.
    pub max_line: usize,
}

struct Open {
    file: File,
    /// Which file this is; its first bytes are taken again while the file is shorter
    /// than a full digest.
    start: FilePosition,
    offset: u64,
    /// Lines taken from this file so far.
    lines: u64,
    /// An unfinished last line, waiting for its newline; `offset` is where it starts.
    partial: Vec<u8>,
    /// Dropping the tail of an over-long line until its newline.
    skipping: bool,
}

impl Open {
    fn at(file: File, offset: u64, lines: u64) -> std::io::Result<Open> {
        let mut open = Open {
            start: FilePosition::start_of(&file)?,
            file,
            offset,
            lines,
            partial: Vec::new(),
            skipping: false,
        };
        open.file.seek(SeekFrom::Start(offset))?;
        Ok(open)
    }

    fn position(&mut self) -> FilePosition {
        let covered = self.start.head.map_or(0, |head| head.len());
        if covered < Head::BYTES
            && self.offset > covered
            && let Ok(head) = Head::of(&self.file)
        {
            self.start.head = Some(head);
        }
        self.start.at(self.offset, self.lines)
    }
}

/// Follows the file until `stop` is set or the ingest channel closes.
pub fn follow(settings: FollowSettings, tx: Sender, stop: Arc<AtomicBool>) {
    let mut current: Option<Open> = None;
    let mut first = true;
    let mut buf = vec![0u8; READ_SIZE];
    while !stop.load(Ordering::Relaxed) {
        if current.is_none() {
            match open_initial(&settings, first) {
                Ok(Some(open)) => {
                    first = false;
                    current = Some(open);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(path = %settings.path.display(), %err, "cannot open followed file")
                }
            }
        }
        let Some(open) = current.as_mut() else {
            std::thread::sleep(POLL);
            continue;
        };
        match read_lines(open, &mut buf, &settings) {
            Ok(Some(chunk)) => {
                if !chunk.is_empty() && tx.blocking_send(Message::Lines(chunk)).is_err() {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(path = %settings.path.display(), %err, "reading followed file")
            }
        }
        // At the end of the file: has it been rotated or truncated?
        match fs::metadata(&settings.path) {
            Ok(meta) if !open.start.same_inode(&meta) => {
                // Rotated: the old file is read out; what it left unfinished is a line.
                if let Some(chunk) = take_partial(open, settings.source)
                    && tx.blocking_send(Message::Lines(chunk)).is_err()
                {
                    return;
                }
                current = File::open(&settings.path)
                    .and_then(|f| Open::at(f, 0, 0))
                    .ok();
                continue;
            }
            Ok(meta) if meta.len() < open.offset => {
                tracing::info!(path = %settings.path.display(), "followed file was truncated; reading it from the start");
                if let Some(chunk) = take_partial(open, settings.source)
                    && tx.blocking_send(Message::Lines(chunk)).is_err()
                {
                    return;
                }
                open.offset = 0;
                open.skipping = false;
                let _ = open.file.seek(SeekFrom::Start(0));
                continue;
            }
            _ => {}
        }
        std::thread::sleep(POLL);
    }
}

/// Opens the file where reading must begin.
fn open_initial(settings: &FollowSettings, first: bool) -> std::io::Result<Option<Open>> {
    let file = match File::open(&settings.path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    let meta = file.metadata()?;
    if !first {
        // The file appeared after we started: all of it is new.
        return Open::at(file, 0, 0).map(Some);
    }
    match settings.resume {
        Some(pos) if pos.is_in(&file)? => {
            // Same file; if it shrank meanwhile it was truncated, and all of it is new.
            if meta.len() < pos.offset {
                Open::at(file, 0, 0).map(Some)
            } else {
                Open::at(file, pos.offset, pos.lines).map(Some)
            }
        }
        Some(pos) => match find_rotated(&settings.path, pos) {
            // Rotated while sanso was down: finish the old file first; the follower
            // moves on to the new one when it reaches the end.
            Some(rotated) => Open::at(File::open(rotated)?, pos.offset, pos.lines).map(Some),
            None => {
                tracing::warn!(
                    path = %settings.path.display(),
                    "the checkpointed file is gone; lines written to it after the checkpoint are not available"
                );
                Open::at(file, 0, 0).map(Some)
            }
        },
        None => {
            let offset = match settings.start_at {
                StartAt::Beginning => 0,
                StartAt::End => meta.len(),
            };
            Open::at(file, offset, 0).map(Some)
        }
    }
}

/// A file beside `path` with the checkpointed inode: where rotation moved it.
fn find_rotated(path: &Path, pos: FilePosition) -> Option<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|candidate| {
            // The inode first, so that only the likely one is opened.
            fs::metadata(candidate).is_ok_and(|m| m.is_file() && pos.same_inode(&m))
                && File::open(candidate).is_ok_and(|f| pos.is_in(&f).unwrap_or(false))
        })
}

/// Reads what was appended: `None` at the end of the file, otherwise the lines it
/// completed (possibly none, when it read only part of a line).
fn read_lines(
    open: &mut Open,
    buf: &mut [u8],
    settings: &FollowSettings,
) -> std::io::Result<Option<Chunk>> {
    let read = open.file.read(buf)?;
    if read == 0 {
        return Ok(None);
    }
    let mut chunk = Chunk::new(settings.source, None);
    let mut rest = &buf[..read];
    while let Some(newline) = memchr::memchr(b'\n', rest) {
        let (piece, after) = rest.split_at(newline);
        rest = &after[1..];
        let line_len = open.partial.len() + piece.len() + 1;
        if open.skipping {
            // The tail of a line already cut at its maximum length ends here.
            open.skipping = false;
        } else {
            open.partial.extend_from_slice(piece);
            let line = open.partial.strip_suffix(b"\r").unwrap_or(&open.partial);
            open.lines += 1;
            if !line.is_empty() {
                chunk.push_at_most(line, settings.max_line);
                chunk.line_numbers.push(open.lines);
            }
        }
        open.partial.clear();
        open.offset += line_len as u64;
    }
    if open.skipping {
        open.offset += rest.len() as u64;
    } else {
        open.partial.extend_from_slice(rest);
        if open.partial.len() > settings.max_line {
            // A line this long is cut rather than held without bound: its first
            // `max_line` bytes are the line, and the rest up to its newline is skipped,
            // so the tail never poses as a line of its own.
            open.lines += 1;
            chunk.push_at_most(&open.partial, settings.max_line);
            chunk.line_numbers.push(open.lines);
            open.offset += open.partial.len() as u64;
            open.partial.clear();
            open.skipping = true;
        }
    }
    chunk.position = Some(open.position());
    Ok(Some(chunk))
}

/// The unfinished last line of a file that will not grow any more, as a line.
fn take_partial(open: &mut Open, source: usize) -> Option<Chunk> {
    open.skipping = false;
    if open.partial.is_empty() {
        return None;
    }
    let mut chunk = Chunk::new(source, None);
    open.lines += 1;
    chunk.push(&open.partial);
    chunk.line_numbers.push(open.lines);
    open.offset += open.partial.len() as u64;
    open.partial.clear();
    chunk.position = Some(open.position());
    Some(chunk)
}
