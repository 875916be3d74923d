//! Non-transparent framing: a line feed ends each message.

use memchr::memchr;

/// What the start of a buffer holds under newline framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line of `end` bytes (its CR stripped), `consumed` bytes with the terminator.
    Complete { end: usize, consumed: usize },
    /// A line with no content (`\n` or `\r\n`) of this many bytes.
    Blank(usize),
    /// A line longer than the maximum. `terminated` says whether its line feed was in the
    /// buffer (and is included in `consumed`); if not, `consumed` is the whole buffer and
    /// the rest of the line is still to come.
    Overlong { consumed: usize, terminated: bool },
    /// No line feed yet and not yet too long.
    Incomplete,
}

/// Finds the line at the start of `buf`, whose first `searched` bytes are already known
/// to hold no line feed.
///
/// Only LF ends a line: CR and NUL inside it stay. A line is over-long when its content
/// (without a CR before the LF) exceeds `max`; without a line feed that is certain once the
/// buffer holds `max + 2` bytes, since the last byte might be a CR.
pub(crate) fn find(buf: &[u8], searched: usize, max: usize) -> Line {
    let from = searched.min(buf.len());
    match memchr(b'\n', &buf[from..]).map(|i| from + i) {
        Some(lf) => {
            let end = if lf > 0 && buf[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            if end == 0 {
                Line::Blank(lf + 1)
            } else if end > max {
                Line::Overlong {
                    consumed: lf + 1,
                    terminated: true,
                }
            } else {
                Line::Complete {
                    end,
                    consumed: lf + 1,
                }
            }
        }
        None if buf.len() >= max.saturating_add(2) => Line::Overlong {
            consumed: buf.len(),
            terminated: false,
        },
        None => Line::Incomplete,
    }
}

/// Length of an unterminated last line at the end of the stream, a trailing CR dropped.
pub(crate) fn last_line_len(buf: &[u8]) -> usize {
    buf.strip_suffix(b"\r").unwrap_or(buf).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            find(b"abc\ndef", 0, 10),
            Line::Complete {
                end: 3,
                consumed: 4
            }
        );
        assert_eq!(
            find(b"abc\r\n", 0, 10),
            Line::Complete {
                end: 3,
                consumed: 5
            }
        );
        assert_eq!(
            find(b"a\rb\0c\n", 0, 10),
            Line::Complete {
                end: 5,
                consumed: 6
            }
        );
        assert_eq!(find(b"\r\nabc", 0, 10), Line::Blank(2));
        assert_eq!(find(b"\n", 0, 10), Line::Blank(1));
        assert_eq!(find(b"abc", 0, 10), Line::Incomplete);
        assert_eq!(find(b"", 0, 10), Line::Incomplete);
    }

    #[test]
    fn overlong_lines() {
        assert_eq!(
            find(b"abcd\n", 0, 3),
            Line::Overlong {
                consumed: 5,
                terminated: true
            }
        );
        assert_eq!(
            find(b"abc\r\n", 0, 3),
            Line::Complete {
                end: 3,
                consumed: 5
            }
        );
        // `abc\r` might still be a complete 3-byte line.
        assert_eq!(find(b"abc\r", 0, 3), Line::Incomplete);
        assert_eq!(
            find(b"abcde", 0, 3),
            Line::Overlong {
                consumed: 5,
                terminated: false
            }
        );
        // A line feed past the limit still ends the over-long line.
        assert_eq!(
            find(b"abcdefgh\nxy", 0, 3),
            Line::Overlong {
                consumed: 9,
                terminated: true
            }
        );
    }

    #[test]
    fn resumes_after_searched_bytes() {
        assert_eq!(
            find(b"abcdef\n", 6, 10),
            Line::Complete {
                end: 6,
                consumed: 7
            }
        );
        assert_eq!(
            find(b"abc\r\n", 4, 10),
            Line::Complete {
                end: 3,
                consumed: 5
            }
        );
    }

    #[test]
    fn last_line() {
        assert_eq!(last_line_len(b"abc\r"), 3);
        assert_eq!(last_line_len(b"abc"), 3);
        assert_eq!(last_line_len(b"\r"), 0);
    }
}
