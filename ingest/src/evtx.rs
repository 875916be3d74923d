//! Binary EVTX files (Windows event logs exported from Event Viewer or `wevtutil epl`),
//! read chunk by chunk into one JSON rendering per record.
//!
//! # Why chunks
//!
//! An EVTX file is a 4 KiB file header followed by 64 KiB chunks. Each chunk is
//! self-contained: its own header, string table, template table and records, so a chunk
//! can be decoded without any other. That makes the chunk the unit of everything here:
//!
//! * **Streaming.** [`ChunkReader`] reads one chunk at a time from any [`Read`] (a file,
//!   a progress-bar wrapper, a gzip decoder), so memory is bounded by the chunks in
//!   flight, whatever the file's size.
//! * **Parallelism.** [`RawChunk::decode`] is a pure function of the chunk's bytes, so
//!   callers decode chunks of one or many files on as many threads as they like.
//! * **Damage.** A damaged chunk loses at most its own records. A chunk whose header
//!   cannot be read, a file that ends inside a chunk, and records that cannot be read
//!   are reported as [`ChunkProblem`]s with the chunk's file offset, and the chunk's
//!   bytes stay with the report so that the evidence does not vanish. A truncated chunk
//!   is padded with zeros and decoded: the records before the cut are read.
//!
//! Records are rendered by the `evtx` crate (the reader Chainsaw and Hayabusa use) as
//! compact JSON, byte for byte what `evtx_dump -o jsonl` writes, which the Windows
//! Security parser reads as its evtx_dump shape: an `.evtx` and its `evtx_dump`
//! conversion import to the same rows. Checksums are checked but not enforced: Windows
//! leaves stale checksums in logs that were copied while open, and their records are
//! still good, so a mismatch is reported on the chunk and its records are read.

use std::error::Error;
use std::fmt::{self, Write as _};
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use ::evtx::err::{ChunkError, EvtxError};
use ::evtx::{EvtxChunkData, EvtxChunkHeader, EvtxFileHeader, ParserSettings};

/// The first eight bytes of every EVTX file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";

/// Size of the file header block that precedes the first chunk.
pub const FILE_HEADER_SIZE: u64 = 4096;

/// Size of one chunk.
pub const CHUNK_SIZE: usize = 65536;

/// Whether `head`, the start of a file, is the start of an EVTX file.
pub fn is_evtx(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// Why a file could not be read as EVTX at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file does not start with [`MAGIC`].
    #[error("not an EVTX file: it does not start with `ElfFile\\0`")]
    NotEvtx,
    /// The file ends inside its 4 KiB header.
    #[error("the file ends after {len} bytes, inside its 4096-byte EVTX header")]
    ShortHeader {
        /// Bytes read.
        len: usize,
    },
    /// Reading the underlying file failed.
    #[error("reading at offset {offset:#x}")]
    Io {
        /// File offset of the read that failed.
        offset: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Reads an EVTX stream chunk by chunk.
#[derive(Debug)]
pub struct ChunkReader<R> {
    reader: R,
    header_intact: bool,
    /// File offset of the next chunk.
    offset: u64,
    done: bool,
}

impl<R: Read> ChunkReader<R> {
    /// Reads and checks the file header. A header whose checksum does not match is
    /// accepted (see [`ChunkReader::header_intact`]): chunks are found by position, not
    /// through the header.
    ///
    /// # Errors
    ///
    /// [`ReadError::NotEvtx`] when the stream does not start with [`MAGIC`],
    /// [`ReadError::ShortHeader`] when it ends within the header, [`ReadError::Io`] when
    /// reading fails.
    pub fn new(mut reader: R) -> Result<Self, ReadError> {
        let mut header = vec![0; FILE_HEADER_SIZE as usize];
        let len = read_full(&mut reader, &mut header)
            .map_err(|source| ReadError::Io { offset: 0, source })?;
        if !is_evtx(&header[..len]) {
            return Err(ReadError::NotEvtx);
        }
        if len < header.len() {
            return Err(ReadError::ShortHeader { len });
        }
        // The crate's parse fails only on a bad magic, checked above; a header that still
        // does not parse is treated like one whose checksum is wrong.
        let header_intact =
            EvtxFileHeader::from_bytes(&header).is_ok_and(|header| header.validate_checksum());
        Ok(ChunkReader {
            reader,
            header_intact,
            offset: FILE_HEADER_SIZE,
            done: false,
        })
    }

    /// Whether the file header's checksum matches. A log copied while Windows had it
    /// open, or edited, has a stale one; its chunks are read all the same.
    pub fn header_intact(&self) -> bool {
        self.header_intact
    }

    /// The next chunk that holds anything, or `None` at the end of the stream. Chunks
    /// of zeros (space Windows allocated but did not use yet) are skipped. The last
    /// chunk is shorter than [`CHUNK_SIZE`] when the file was cut.
    ///
    /// # Errors
    ///
    /// [`ReadError::Io`] when reading fails; the reader is finished after it.
    pub fn next_chunk(&mut self) -> Result<Option<RawChunk>, ReadError> {
        while !self.done {
            let offset = self.offset;
            let mut bytes = vec![0; CHUNK_SIZE];
            let len = read_full(&mut self.reader, &mut bytes).map_err(|source| {
                self.done = true;
                ReadError::Io { offset, source }
            })?;
            self.offset += len as u64;
            if len < CHUNK_SIZE {
                self.done = true;
                bytes.truncate(len);
            }
            if bytes.iter().any(|&b| b != 0) {
                return Ok(Some(RawChunk { offset, bytes }));
            }
        }
        Ok(None)
    }
}

/// Reads until `buf` is full or the stream ends; the number of bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// One chunk's bytes as read, not yet decoded.
#[derive(Debug, Clone)]
pub struct RawChunk {
    offset: u64,
    bytes: Vec<u8>,
}

impl RawChunk {
    /// File offset of the chunk.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Decodes every readable record to JSON. Never fails as a whole: what cannot be
    /// read is listed in [`DecodedChunk::problems`].
    pub fn decode(self) -> DecodedChunk {
        let RawChunk { offset, mut bytes } = self;
        let len = bytes.len();
        let mut out = DecodedChunk {
            offset,
            rendered: Vec::new(),
            records: Vec::new(),
            declared: 0,
            checksums_match: false,
            problems: Vec::new(),
            bytes: Vec::new(),
        };
        if len < CHUNK_SIZE {
            out.problems.push(ChunkProblem::Truncated { len });
            bytes.resize(CHUNK_SIZE, 0);
        }
        match EvtxChunkHeader::from_bytes(&bytes) {
            Ok(header) => {
                out.declared = header
                    .last_event_record_id
                    .saturating_add(1)
                    .saturating_sub(header.first_event_record_id);
                let mut chunk = EvtxChunkData {
                    header,
                    data: bytes,
                    // The chunk's number makes the crate's record errors name file offsets.
                    number: offset
                        .checked_sub(FILE_HEADER_SIZE)
                        .map(|from_first| from_first / CHUNK_SIZE as u64),
                };
                out.checksums_match = len == CHUNK_SIZE
                    && chunk.validate_header_checksum()
                    && chunk.validate_data_checksum();
                if let Err(err) = out.read_records(&mut chunk, len) {
                    out.problems.push(ChunkProblem::Unreadable(err));
                }
                bytes = chunk.data;
            }
            Err(err) => out.problems.push(ChunkProblem::Unreadable(
                ChunkError::FailedToParseChunkHeader(err),
            )),
        }
        if !out.problems.is_empty() {
            bytes.truncate(len);
            out.bytes = bytes;
        }
        out
    }
}

/// The outcome of decoding one chunk: its records as JSON, and what could not be read.
#[derive(Debug)]
pub struct DecodedChunk {
    offset: u64,
    /// Every record's JSON, one after another.
    rendered: Vec<u8>,
    /// Each record's ID and its span in `rendered`.
    records: Vec<(u64, Range<usize>)>,
    declared: u64,
    checksums_match: bool,
    problems: Vec<ChunkProblem>,
    /// The chunk as read, kept only when something in it could not be read.
    bytes: Vec<u8>,
}

/// One decoded record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The record's `EventRecordID`.
    pub id: u64,
    /// The record rendered as one line of compact JSON (UTF-8, no newline).
    pub json: &'a [u8],
}

impl DecodedChunk {
    /// Reads the records of `data`, of which the first `len` bytes are the file's.
    fn read_records(&mut self, data: &mut EvtxChunkData, len: usize) -> Result<(), ChunkError> {
        let settings = Arc::new(ParserSettings::new().indent(false));
        let mut chunk = data.parse(settings)?;
        for record in chunk.iter() {
            // A record that runs past the end of a cut file would render the zeros it was
            // padded with as its values: it is lost, as the `Truncated` problem says.
            if let Ok(record) = &record {
                let end = record.binxml_offset + u64::from(record.binxml_size) + 4;
                if end > len as u64 {
                    break;
                }
            }
            let rendered = record.and_then(|record| {
                let id = record.event_record_id;
                record.into_json_bytes().map(|json| (id, json.data))
            });
            match rendered {
                Ok((id, json)) => {
                    let start = self.rendered.len();
                    self.rendered.extend_from_slice(&json);
                    self.records.push((id, start..self.rendered.len()));
                }
                Err(err) => self.problems.push(ChunkProblem::Record(err)),
            }
        }
        Ok(())
    }

    /// File offset of the chunk.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The records that were read, in the chunk's order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        self.records.iter().map(|(id, span)| Record {
            id: *id,
            json: &self.rendered[span.clone()],
        })
    }

    /// How many records the chunk's header says it holds (0 when the header is
    /// unreadable): the file's own count, to compare with what was read.
    pub fn declared_records(&self) -> u64 {
        self.declared
    }

    /// Whether the chunk's header and record checksums match. A mismatch alone does not
    /// stop its records from being read.
    pub fn checksums_match(&self) -> bool {
        self.checksums_match
    }

    /// What could not be read; empty for an intact chunk.
    pub fn problems(&self) -> &[ChunkProblem] {
        &self.problems
    }

    /// The chunk's bytes as read when it has problems (the evidence to keep), else empty.
    pub fn damaged_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A one-line account of the chunk's problems, `None` for an intact chunk.
    pub fn damage_report(&self) -> Option<String> {
        if self.problems.is_empty() {
            return None;
        }
        let mut report = format!(
            "evtx: chunk at offset {:#x}: {} of {} records read",
            self.offset,
            self.records.len(),
            self.declared
        );
        for problem in &self.problems {
            let _ = write!(report, "; {problem}");
        }
        Some(report)
    }
}

/// Something in a chunk that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkProblem {
    /// The file ends inside the chunk; the record the cut goes through and those after
    /// it are lost.
    #[error("the file ends {len} bytes into the chunk")]
    Truncated {
        /// Bytes of the chunk present in the file.
        len: usize,
    },
    /// The chunk's header or string table cannot be read: none of its records can.
    #[error("unreadable chunk: {}", Chain(.0))]
    Unreadable(ChunkError),
    /// One record cannot be read or rendered; the chunk's other records are.
    #[error("unreadable record: {}", Chain(.0))]
    Record(EvtxError),
}

/// Displays an error with its sources, `outer: inner: innermost`, since the `evtx`
/// crate's top-level messages ("Failed to parse record number 7") leave the cause out.
struct Chain<'e>(&'e dyn Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}
