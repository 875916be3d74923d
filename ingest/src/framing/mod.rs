//! Splitting a TCP byte stream into syslog frames (RFC 6587).
//!
//! Senders frame syslog over TCP in one of two ways: *non-transparent* framing, where a
//! line feed ends each message, and *octet counting*, where each message is preceded by its
//! length in decimal and a space (`17 <13>1 - - - - - -`). A [`FrameDecoder`] finds frames
//! at the start of a caller-owned buffer and says how many bytes to drop; it never copies
//! or allocates, and it keeps the little state that outlives one buffer (the remainder of
//! an over-long or malformed frame that is still being skipped).
//!
//! ```text
//! socket ─> caller's buffer ─> FrameDecoder::next_frame ─┬─ Decoded::Frame   line range, bytes consumed
//!                                                        ├─ Decoded::Skip     bytes to drop, no frame
//!                                                        ├─ Decoded::NeedMore read more, then call again
//!                                                        └─ Err(FramingError) bad frame; drop e.skip()
//! ```
//!
//! # Example
//!
//! ```
//! use sanso_ingest::framing::{Decoded, FrameDecoder, Framing};
//!
//! let mut decoder = FrameDecoder::new(Framing::Auto, 64 * 1024);
//! let mut buf: &[u8] = b"17 <13>1 - - - - - -<13>Oct 11 22:14:15 host app: hi\r\n<13>partial";
//! let mut lines = Vec::new();
//! loop {
//!     match decoder.next_frame(buf)? {
//!         Decoded::Frame(frame) => {
//!             lines.push(String::from_utf8_lossy(&buf[frame.line.clone()]).into_owned());
//!             buf = &buf[frame.consumed..];
//!         }
//!         Decoded::Skip(n) => buf = &buf[n..],
//!         Decoded::NeedMore => break,
//!     }
//! }
//! // End of stream: the unterminated last line still counts.
//! if let Some(frame) = decoder.finish(buf) {
//!     lines.push(String::from_utf8_lossy(&buf[frame.line]).into_owned());
//! }
//! assert_eq!(lines, ["<13>1 - - - - - -", "<13>Oct 11 22:14:15 host app: hi", "<13>partial"]);
//! # Ok::<(), sanso_ingest::framing::FramingError>(())
//! ```
//!
//! # Over-long and malformed frames
//!
//! A message longer than `max_frame_len` is cut: its first `max_frame_len` bytes become a
//! frame marked [`Frame::truncated`], and the rest is skipped (up to the line feed, or for
//! octet counting exactly the announced length), possibly across many buffers. Skipped
//! bytes are returned as [`Decoded::Skip`] so the caller can drop them at once: memory stays
//! bounded by `max_frame_len` whatever the peer sends. A malformed octet count is an
//! [`Err`] that says how many bytes to drop to get back in step (through the next line
//! feed), so one bad frame never costs the connection.
//!
//! # Performance
//!
//! Line feeds are found with `memchr`. While a long line trickles in, the decoder
//! remembers how far it has already searched, so a slow sender cannot make it rescan the
//! same bytes on every read.

mod decoder;
mod newline;
mod octet_counting;

use std::ops::Range;

pub use decoder::FrameDecoder;

/// How a stream delimits messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Non-transparent framing: a line feed ends each message (a CR before it is dropped).
    Newline,
    /// Octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes without leading zeros.
    OctetCounting,
    /// Per frame: a leading ASCII digit means octet counting, anything else newline
    /// framing. A digit run not followed by a space (`2024-03-05 ...`) falls back to
    /// newline framing; a newline-framed message that itself starts with `DIGITS SP` is
    /// misread, which is why a source that knows its framing should say so.
    Auto,
}

/// One frame found at the start of the buffer passed to [`FrameDecoder::next_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Byte range of the message within the buffer, without its line feed, the CR before
    /// it, or its octet count.
    pub line: Range<usize>,
    /// How many bytes at the start of the buffer this frame used up.
    pub consumed: usize,
    /// The message was longer than the maximum frame length and was cut to it, or (at the
    /// end of the stream) an octet-counted message was shorter than announced.
    pub truncated: bool,
}

/// What [`FrameDecoder::next_frame`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame.
    Frame(Frame),
    /// Drop this many bytes; they hold no frame (the rest of an over-long or malformed
    /// frame already reported, or blank lines between frames).
    Skip(usize),
    /// No complete frame yet: keep the buffer, read more, call again.
    NeedMore,
}

/// A frame that could not be decoded. Drop [`skip`](Self::skip) bytes and carry on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The frame did not start with a decimal length (or the length had a leading zero).
    #[error(
        "octet-counting: expecting a message length (digits without a leading zero), skipped {skip} bytes"
    )]
    InvalidLength {
        /// Bytes to drop to resynchronise, through the next line feed if there is one.
        skip: usize,
    },
    /// The length had more digits than any frame can have.
    #[error("octet-counting: message length longer than {max_digits} digits, skipped {skip} bytes")]
    LengthTooLarge {
        /// Most digits accepted.
        max_digits: usize,
        /// Bytes to drop to resynchronise, through the next line feed if there is one.
        skip: usize,
    },
    /// The length was not followed by a space.
    #[error("octet-counting: expecting a space after the message length, skipped {skip} bytes")]
    MissingSpace {
        /// Bytes to drop to resynchronise, through the next line feed if there is one.
        skip: usize,
    },
}

impl FramingError {
    /// Bytes at the start of the buffer to drop before calling
    /// [`FrameDecoder::next_frame`] again. When the buffer held no line feed, the decoder
    /// keeps skipping (as [`Decoded::Skip`]) until it sees one.
    pub fn skip(&self) -> usize {
        match *self {
            FramingError::InvalidLength { skip }
            | FramingError::LengthTooLarge { skip, .. }
            | FramingError::MissingSpace { skip } => skip,
        }
    }
}
