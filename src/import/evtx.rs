//! `sanso import` of binary EVTX files: chunks are decoded on every core, records are
//! parsed and written on the calling thread.
//!
//! ```text
//!  files ──► [workers × cores]: take the next chunk (a 64 KiB read, under a lock),
//!            decode it to JSON records ──► bounded channel ──► this thread: Windows
//!            Security parser ──► auth / unparsed ──► lake
//! ```
//!
//! Decoding binary XML is the expensive step (several times the cost of parsing the
//! JSON it yields), so it is what runs in parallel: over the chunks of all files at
//! once, which keeps every core busy on one large file as on many small ones. Reading
//! is sequential per file and cheap; only the chunks in flight (a few per worker and
//! the channel's capacity) are in memory, whatever the files' sizes.
//!
//! A chunk with problems (the file cut inside it, an unreadable header, unreadable
//! records) is warned about with its file offset, counted in the summary, and written to
//! `unparsed` as one row whose `raw_bytes` are the chunk's bytes, so that the evidence
//! stays in the lake; its readable records are imported like any other.
//!
//! The `source` of a record's row is `file:PATH#N`, N being the record's number in the
//! file (its record header's ID: an exported log numbers its records from 1, while the
//! event's own `EventRecordID`, in `raw`, keeps the number the machine gave it); that of
//! a damaged chunk's row is `file:PATH@OFFSET`, the chunk's offset in hexadecimal.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;
use sanso_ingest::batch::Common;
use sanso_ingest::evtx::{self as evtx_format, ChunkReader, DecodedChunk};
use sanso_ingest::line::{LineParser, RawLine};
use sanso_ingest::parsers::windows;
use sanso_ingest::zones::{Zone, ZoneMap};

use super::GZIP_MAGIC;
use crate::ingestor::Ingestor;

/// Decoded chunks waiting for the parsing thread, per worker: enough to keep workers
/// busy while the parser drains a chunk, few enough to bound memory.
const QUEUED_PER_WORKER: usize = 2;

/// Whether the file at `path` is EVTX, plain or gzip-compressed, by its magic bytes.
pub(super) fn is_evtx_file(path: &Path) -> anyhow::Result<bool> {
    let mut reader = open(path, ProgressBar::hidden())?;
    let mut head = [0; evtx_format::MAGIC.len()];
    let mut len = 0;
    while len < head.len() {
        match reader.read(&mut head[len..])? {
            0 => break,
            n => len += n,
        }
    }
    Ok(evtx_format::is_evtx(&head[..len]))
}

/// Opens `path`, through a gzip decoder when it is compressed, counting the file's
/// bytes on `progress`.
fn open(path: &Path, progress: ProgressBar) -> anyhow::Result<Box<dyn Read + Send>> {
    let file = File::open(path)?;
    let mut reader = BufReader::with_capacity(1 << 16, progress.wrap_read(file));
    Ok(if reader.fill_buf()?.starts_with(&GZIP_MAGIC) {
        Box::new(MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}

/// Where rows of EVTX records come from and go to.
pub(super) struct Target<'a> {
    /// The lake.
    pub ingestor: &'a mut Ingestor,
    /// A parser forced to the Windows format, reading UTF-8.
    pub parser: &'a mut LineParser,
    /// Zones, for the device of the rows made for damaged chunks.
    pub zones: &'a ZoneMap,
    /// `--zone`.
    pub zone: Option<Zone>,
    /// `--device`.
    pub device: Option<&'a str>,
}

/// What an EVTX import read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Summary {
    /// Files read.
    pub files: usize,
    /// Chunks that held anything.
    pub chunks: u64,
    /// Records read.
    pub records: u64,
    /// Records the chunk headers say there are.
    pub declared: u64,
    /// Chunks with problems, each warned about and written to `unparsed`.
    pub damaged_chunks: u64,
    /// Chunks read despite a checksum mismatch.
    pub checksum_mismatches: u64,
}

/// A worker's report to the parsing thread.
enum Message {
    /// A file's header was read.
    Opened { file: usize, header_intact: bool },
    /// One decoded chunk of a file (boxed: it is far larger than the other messages).
    Chunk {
        file: usize,
        chunk: Box<DecodedChunk>,
    },
    /// A file could not be opened or read; the import stops.
    Failed { file: usize, error: anyhow::Error },
}

/// The files still to read and the one being read, shared by the workers.
struct Queue {
    waiting: VecDeque<usize>,
    current: Option<(usize, ChunkReader<Box<dyn Read + Send>>)>,
}

/// Imports `files`, all of them EVTX, into `target`.
pub(super) fn import(
    target: Target<'_>,
    files: &[PathBuf],
    progress: &ProgressBar,
) -> anyhow::Result<Summary> {
    let workers = thread::available_parallelism().map_or(1, usize::from);
    let queue = Mutex::new(Queue {
        waiting: (0..files.len()).collect(),
        current: None,
    });
    let (tx, rx) = sync_channel(workers * QUEUED_PER_WORKER);
    thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || decode_chunks(queue, files, progress, &tx));
        }
        drop(tx);
        // Returning early drops `rx`: the workers' next send fails and they stop.
        write_records(target, files, rx)
    })
}

/// A worker: takes chunks from the queue and decodes them until the files are read or
/// the parsing thread hangs up.
fn decode_chunks(
    queue: &Mutex<Queue>,
    files: &[PathBuf],
    progress: &ProgressBar,
    tx: &SyncSender<Message>,
) {
    loop {
        let next = {
            let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            next_chunk(&mut queue, files, progress, tx)
        };
        let message = match next {
            Ok(Some((file, chunk))) => Message::Chunk {
                file,
                chunk: Box::new(chunk.decode()),
            },
            Ok(None) => return,
            Err(failed) => failed,
        };
        if tx.send(message).is_err() {
            return;
        }
    }
}

/// The next chunk of the current file, opening the next file when it is done; `None`
/// once every file is read.
fn next_chunk(
    queue: &mut Queue,
    files: &[PathBuf],
    progress: &ProgressBar,
    tx: &SyncSender<Message>,
) -> Result<Option<(usize, evtx_format::RawChunk)>, Message> {
    loop {
        if let Some((file, reader)) = &mut queue.current {
            let file = *file;
            match reader.next_chunk() {
                Ok(Some(chunk)) => return Ok(Some((file, chunk))),
                Ok(None) => queue.current = None,
                Err(err) => {
                    queue.current = None;
                    return Err(Message::Failed {
                        file,
                        error: err.into(),
                    });
                }
            }
        }
        let Some(file) = queue.waiting.pop_front() else {
            return Ok(None);
        };
        let opened =
            open(&files[file], progress.clone()).and_then(|reader| Ok(ChunkReader::new(reader)?));
        match opened {
            Ok(reader) => {
                let header_intact = reader.header_intact();
                queue.current = Some((file, reader));
                // Sent under the queue's lock, so it arrives before the file's chunks.
                if tx
                    .send(Message::Opened {
                        file,
                        header_intact,
                    })
                    .is_err()
                {
                    return Ok(None);
                }
            }
            Err(error) => return Err(Message::Failed { file, error }),
        }
    }
}

/// The parsing thread: every record through the Windows parser, every damaged chunk to
/// `unparsed`.
fn write_records(
    target: Target<'_>,
    files: &[PathBuf],
    rx: Receiver<Message>,
) -> anyhow::Result<Summary> {
    let Target {
        ingestor,
        parser,
        zones,
        zone,
        device,
    } = target;
    let zone = zone.or_else(|| device.and_then(|d| zones.zone_of_device(d)));
    let mut summary = Summary::default();
    let mut source = String::new();
    for message in rx {
        let (file, chunk) = match message {
            Message::Opened {
                file,
                header_intact,
            } => {
                summary.files += 1;
                if !header_intact {
                    tracing::warn!(
                        file = %files[file].display(),
                        "the EVTX file header's checksum does not match (a log copied while \
                         open, or edited); its chunks are read all the same"
                    );
                }
                continue;
            }
            Message::Failed { file, error } => {
                return Err(error.context(format!("importing {}", files[file].display())));
            }
            Message::Chunk { file, chunk } => (file, chunk),
        };
        let path = files[file].display();
        let prefix = format!("file:{path}#");
        let received_at = chrono::Utc::now().timestamp_micros();
        summary.chunks += 1;
        summary.declared += chunk.declared_records();
        for record in chunk.records() {
            summary.records += 1;
            source.clear();
            source.push_str(&prefix);
            let _ = write!(source, "{}", record.id);
            let raw = RawLine {
                bytes: record.json,
                received_at,
                source: &source,
                peer: None,
            };
            ingestor.ingest(parser, &raw);
        }
        if !chunk.checksums_match() && chunk.problems().is_empty() {
            summary.checksum_mismatches += 1;
            tracing::warn!(
                file = %path,
                offset = format_args!("{:#x}", chunk.offset()),
                "EVTX chunk checksum mismatch; its records were read all the same"
            );
        }
        if let Some(report) = chunk.damage_report() {
            summary.damaged_chunks += 1;
            tracing::warn!(file = %path, "{report}");
            let source = format!("file:{path}@{:#x}", chunk.offset());
            let common = Common {
                time: received_at,
                received_at,
                zone,
                device,
                format: Some(windows::NAME),
                source: &source,
                raw: "",
                raw_bytes: Some(chunk.damaged_bytes()),
            };
            ingestor.ingest_unparsed(&common, &report);
        }
        if ingestor.is_full() {
            ingestor.flush_in_background()?;
        }
    }
    Ok(summary)
}
