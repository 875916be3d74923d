//! Network, file and stdin sources of `sanso run`. Sources only move bytes: they frame lines and
//! hand them, in chunks, to the ingest thread; they never parse.
//!
//! The channel to the ingest thread is bounded. TCP and TLS readers wait for room, which
//! stops them reading their sockets and lets TCP flow control slow the senders down;
//! UDP has no such lever, so a datagram that finds the channel full is dropped and
//! counted in `sanso_udp_dropped_total`.

pub mod file;
pub mod kafka;
pub mod stdin;
pub mod syslog_tcp;
pub mod syslog_udp;
pub mod tls;

use std::ops::Range;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::checkpoint::FilePosition;

/// Lines read together from one source, copied into one buffer.
pub struct Chunk {
    /// Index of the source in the pipeline's source list.
    pub source: usize,
    /// The lines' bytes, back to back.
    pub data: Vec<u8>,
    /// Where each line sits in `data`.
    pub lines: Vec<Range<usize>>,
    /// When the bytes were read, UTC microseconds.
    pub received_at: i64,
    /// The sending peer's address.
    pub peer: Option<Arc<str>>,
    /// For a followed file: the position just past the last line of the chunk.
    pub position: Option<FilePosition>,
    /// For a followed file: each line's number in its file (empty lines are skipped,
    /// so the numbers can have gaps). For Kafka: each message's offset.
    pub line_numbers: Vec<u64>,
    /// For Kafka: the partition every message of the chunk came from.
    pub kafka_partition: Option<i32>,
    /// Lines cut at the source's maximum length; the rest of each was dropped.
    pub truncated: u64,
}

impl Chunk {
    /// An empty chunk for `source`, stamped now.
    pub fn new(source: usize, peer: Option<Arc<str>>) -> Self {
        Chunk {
            source,
            data: Vec::new(),
            lines: Vec::new(),
            received_at: chrono::Utc::now().timestamp_micros(),
            peer,
            position: None,
            line_numbers: Vec::new(),
            kafka_partition: None,
            truncated: 0,
        }
    }

    /// Copies one line in.
    pub fn push(&mut self, line: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(line);
        self.lines.push(start..self.data.len());
    }

    /// Copies in the first `max` bytes of one line, counting it as truncated if it was
    /// longer.
    pub fn push_at_most(&mut self, line: &[u8], max: usize) {
        self.push(&line[..line.len().min(max)]);
        self.truncated += u64::from(line.len() > max);
    }

    /// Whether no line was pushed.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// What the ingest thread receives.
pub enum Message {
    /// Lines to parse.
    Lines(Chunk),
    /// Time passed: write partitions that waited long enough.
    Tick,
    /// Write everything buffered now and say how it went: a Kafka consumer about to
    /// give up partitions waits for this.
    Flush(std::sync::mpsc::SyncSender<Result<(), String>>),
}

/// The sending side of the ingest channel.
pub type Sender = mpsc::Sender<Message>;
