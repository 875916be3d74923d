//! The frame decoder: framing choice plus the state that spans buffers.

use memchr::memchr;

use super::newline::{self, Line};
use super::octet_counting::{self, Header, Invalid, MAX_LEN_DIGITS};
use super::{Decoded, Frame, Framing, FramingError};

/// Finds frames at the start of a caller-owned buffer (see the [module docs](super)).
///
/// The contract: pass the unconsumed bytes; after a [`Decoded::Frame`] drop
/// `frame.consumed` bytes, after [`Decoded::Skip`] the given count, after an error
/// [`FramingError::skip`] bytes, and call again. After [`Decoded::NeedMore`], append newly
/// read bytes to the same buffer and call again. At the end of the stream call
/// [`finish`](Self::finish) with what is left.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    framing: Framing,
    max_frame_len: usize,
    state: State,
    /// Leading bytes of the buffer already searched for a line feed without success, so a
    /// line arriving in small pieces is not rescanned from its start on every call.
    searched: usize,
}

/// What the decoder is in the middle of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a frame.
    Ready,
    /// Dropping the rest of an over-long or malformed line, through its line feed.
    SkipLine,
    /// Dropping this many more bytes of an over-long octet-counted message.
    SkipBytes(usize),
}

impl FrameDecoder {
    /// A decoder for `framing` that cuts messages longer than `max_frame_len` bytes (at
    /// least 1).
    pub fn new(framing: Framing, max_frame_len: usize) -> Self {
        FrameDecoder {
            framing,
            max_frame_len: max_frame_len.max(1),
            state: State::Ready,
            searched: 0,
        }
    }

    /// Looks for the next frame at the start of `buf`.
    ///
    /// # Errors
    ///
    /// A [`FramingError`] when an octet-counted frame does not start with a valid length
    /// (in [`Framing::Auto`] such a frame is read as a line instead). The error says how
    /// many bytes to drop; if the buffer held no line feed, the decoder keeps dropping the
    /// line through [`Decoded::Skip`] until one arrives.
    pub fn next_frame(&mut self, buf: &[u8]) -> Result<Decoded, FramingError> {
        let decoded = match self.state {
            State::SkipLine => Ok(self.skip_line(buf)),
            State::SkipBytes(left) => Ok(self.skip_bytes(buf, left)),
            State::Ready => self.frame(buf),
        };
        debug_assert!(match &decoded {
            Ok(Decoded::Frame(f)) =>
                f.line.start <= f.line.end && f.line.end <= f.consumed && f.consumed <= buf.len(),
            Ok(Decoded::Skip(n)) => *n > 0 && *n <= buf.len(),
            Ok(Decoded::NeedMore) => true,
            Err(e) => e.skip() > 0 && e.skip() <= buf.len(),
        });
        decoded
    }

    /// At the end of the stream: what is left in `buf` as a final frame, if anything.
    ///
    /// Call it once [`next_frame`](Self::next_frame) has returned [`Decoded::NeedMore`].
    /// An unterminated last line counts as a frame; an octet-counted message cut short by
    /// the end of the stream is returned with what arrived, marked truncated; the rest of
    /// a frame that was being skipped is dropped. The decoder is then ready for a new
    /// stream.
    pub fn finish(&mut self, buf: &[u8]) -> Option<Frame> {
        let state = std::mem::replace(&mut self.state, State::Ready);
        self.searched = 0;
        if state != State::Ready || buf.is_empty() {
            return None;
        }
        if self.counted(buf)
            && let Header::Complete { len, body } = octet_counting::header(buf)
        {
            let end = buf.len().min(body + len.min(self.max_frame_len));
            return Some(Frame {
                line: body..end,
                consumed: buf.len(),
                truncated: end - body < len,
            });
        }
        let len = newline::last_line_len(buf);
        (len > 0).then(|| Frame {
            line: 0..len.min(self.max_frame_len),
            consumed: buf.len(),
            truncated: len > self.max_frame_len,
        })
    }

    /// Whether the frame at the start of `buf` is read as octet-counted.
    fn counted(&self, buf: &[u8]) -> bool {
        match self.framing {
            Framing::Newline => false,
            Framing::OctetCounting => true,
            Framing::Auto => buf.first().is_some_and(u8::is_ascii_digit),
        }
    }

    fn frame(&mut self, buf: &[u8]) -> Result<Decoded, FramingError> {
        if buf.is_empty() {
            return Ok(Decoded::NeedMore);
        }
        if !self.counted(buf) {
            return Ok(self.line(buf));
        }
        // `searched` only describes a line left incomplete by the previous call.
        self.searched = 0;
        match octet_counting::header(buf) {
            Header::Complete { len, body } => Ok(self.octets(buf, len, body)),
            Header::Incomplete => Ok(Decoded::NeedMore),
            // Auto: a digit that does not start a length starts an ordinary line.
            Header::Invalid(_) if self.framing == Framing::Auto => Ok(self.line(buf)),
            // Tolerate line ends between octet-counted frames, which some senders add.
            Header::Invalid(_) if matches!(buf[0], b'\r' | b'\n') => Ok(Decoded::Skip(
                buf.iter()
                    .take_while(|&&c| c == b'\r' || c == b'\n')
                    .count(),
            )),
            Header::Invalid(invalid) => Err(self.resynchronise(buf, invalid)),
        }
    }

    fn line(&mut self, buf: &[u8]) -> Decoded {
        let line = newline::find(buf, self.searched, self.max_frame_len);
        self.searched = 0;
        match line {
            Line::Complete { end, consumed } => Decoded::Frame(Frame {
                line: 0..end,
                consumed,
                truncated: false,
            }),
            Line::Blank(n) => Decoded::Skip(n),
            Line::Overlong {
                consumed,
                terminated,
            } => {
                if !terminated {
                    self.state = State::SkipLine;
                }
                Decoded::Frame(Frame {
                    line: 0..self.max_frame_len,
                    consumed,
                    truncated: true,
                })
            }
            Line::Incomplete => {
                self.searched = buf.len();
                Decoded::NeedMore
            }
        }
    }

    /// An octet-counted message of `len` bytes at `body`. An over-long one is cut as soon
    /// as `max_frame_len` bytes of it are in; the rest is dropped by count.
    fn octets(&mut self, buf: &[u8], len: usize, body: usize) -> Decoded {
        let max = self.max_frame_len;
        if len <= max {
            if buf.len() < body + len {
                return Decoded::NeedMore;
            }
            return Decoded::Frame(Frame {
                line: body..body + len,
                consumed: body + len,
                truncated: false,
            });
        }
        if buf.len() < body + max {
            return Decoded::NeedMore;
        }
        let rest = len - max;
        let here = rest.min(buf.len() - body - max);
        if here < rest {
            self.state = State::SkipBytes(rest - here);
        }
        Decoded::Frame(Frame {
            line: body..body + max,
            consumed: body + max + here,
            truncated: true,
        })
    }

    /// The error for a bad length, dropping through the next line feed.
    fn resynchronise(&mut self, buf: &[u8], invalid: Invalid) -> FramingError {
        let skip = match memchr(b'\n', buf) {
            Some(lf) => lf + 1,
            None => {
                self.state = State::SkipLine;
                buf.len()
            }
        };
        match invalid {
            Invalid::NotALength => FramingError::InvalidLength { skip },
            Invalid::TooLarge => FramingError::LengthTooLarge {
                max_digits: MAX_LEN_DIGITS,
                skip,
            },
            Invalid::MissingSpace => FramingError::MissingSpace { skip },
        }
    }

    fn skip_line(&mut self, buf: &[u8]) -> Decoded {
        match memchr(b'\n', buf) {
            Some(lf) => {
                self.state = State::Ready;
                Decoded::Skip(lf + 1)
            }
            None if buf.is_empty() => Decoded::NeedMore,
            None => Decoded::Skip(buf.len()),
        }
    }

    fn skip_bytes(&mut self, buf: &[u8], left: usize) -> Decoded {
        if buf.is_empty() {
            return Decoded::NeedMore;
        }
        let n = left.min(buf.len());
        self.state = if n == left {
            State::Ready
        } else {
            State::SkipBytes(left - n)
        };
        Decoded::Skip(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(line: std::ops::Range<usize>, consumed: usize, truncated: bool) -> Decoded {
        Decoded::Frame(Frame {
            line,
            consumed,
            truncated,
        })
    }

    #[test]
    fn overlong_line_is_cut_then_skipped_across_buffers() {
        let mut d = FrameDecoder::new(Framing::Newline, 4);
        assert_eq!(d.next_frame(b"abcde"), Ok(Decoded::NeedMore));
        assert_eq!(d.next_frame(b"abcdef"), Ok(frame(0..4, 6, true)));
        assert_eq!(d.next_frame(b"ghi"), Ok(Decoded::Skip(3)));
        assert_eq!(d.next_frame(b""), Ok(Decoded::NeedMore));
        assert_eq!(d.next_frame(b"jk\nnext\n"), Ok(Decoded::Skip(3)));
        assert_eq!(d.next_frame(b"next\n"), Ok(frame(0..4, 5, false)));
    }

    #[test]
    fn overlong_octet_frame_is_cut_then_skipped_by_count() {
        let mut d = FrameDecoder::new(Framing::OctetCounting, 4);
        assert_eq!(d.next_frame(b"10 abc"), Ok(Decoded::NeedMore));
        assert_eq!(d.next_frame(b"10 abcdef"), Ok(frame(3..7, 9, true)));
        assert_eq!(d.next_frame(b"gh"), Ok(Decoded::Skip(2)));
        assert_eq!(d.next_frame(b"ij2 xy"), Ok(Decoded::Skip(2)));
        assert_eq!(d.next_frame(b"2 xy"), Ok(frame(2..4, 4, false)));
    }

    #[test]
    fn bad_length_resynchronises_at_the_next_line_feed() {
        let mut d = FrameDecoder::new(Framing::OctetCounting, 100);
        assert_eq!(
            d.next_frame(b"xaaa"),
            Err(FramingError::InvalidLength { skip: 4 })
        );
        assert_eq!(d.next_frame(b"bbb\n3 abc"), Ok(Decoded::Skip(4)));
        assert_eq!(d.next_frame(b"3 abc"), Ok(frame(2..5, 5, false)));
        assert_eq!(
            d.next_frame(b"16<1>1\n3 abc"),
            Err(FramingError::MissingSpace { skip: 7 })
        );
        assert_eq!(
            d.next_frame(b"1234567890 x\n"),
            Err(FramingError::LengthTooLarge {
                max_digits: 9,
                skip: 13
            })
        );
        assert_eq!(d.next_frame(b"\r\n3 abc"), Ok(Decoded::Skip(2)));
    }

    #[test]
    fn auto_falls_back_to_lines() {
        let mut d = FrameDecoder::new(Framing::Auto, 100);
        assert_eq!(
            d.next_frame(b"2024-03-05 host msg\n"),
            Ok(frame(0..19, 20, false))
        );
        assert_eq!(d.next_frame(b"12"), Ok(Decoded::NeedMore));
        assert_eq!(d.next_frame(b"12\n"), Ok(frame(0..2, 3, false)));
        assert_eq!(d.next_frame(b"3 abc"), Ok(frame(2..5, 5, false)));
    }

    #[test]
    fn finish_returns_what_is_left() {
        let mut d = FrameDecoder::new(Framing::Newline, 4);
        assert_eq!(
            d.finish(b"abc\r"),
            Some(Frame {
                line: 0..3,
                consumed: 4,
                truncated: false
            })
        );
        assert_eq!(
            d.finish(b"abcdef"),
            Some(Frame {
                line: 0..4,
                consumed: 6,
                truncated: true
            })
        );
        assert_eq!(d.finish(b"\r"), None);
        assert_eq!(d.finish(b""), None);
        let mut d = FrameDecoder::new(Framing::OctetCounting, 100);
        assert_eq!(
            d.finish(b"16 <1>1"),
            Some(Frame {
                line: 3..7,
                consumed: 7,
                truncated: true
            })
        );
        assert_eq!(
            d.finish(b"1"),
            Some(Frame {
                line: 0..1,
                consumed: 1,
                truncated: false
            })
        );
        // The tail of a frame being skipped is not a frame.
        assert!(d.next_frame(b"x").is_err());
        assert_eq!(d.finish(b"yz"), None);
        assert_eq!(d.next_frame(b"1 a"), Ok(frame(2..3, 3, false)));
    }
}
