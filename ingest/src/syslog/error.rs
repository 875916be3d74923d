//! Why a line was not accepted as syslog.
//!
//! The `Display` text of [`SyslogError`] is what an analyst reads in the `unparsed.error`
//! column, so it names what was expected and where. Columns are 0-based byte offsets into
//! the line, the convention go-syslog uses, so its test vectors carry over unchanged.

use std::fmt;

/// What the RFC 5424 grammar required at the column where a line went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `VERSION`: 1 to 3 digits, no leading zero.
    Version,
    /// `TIMESTAMP`: RFC 3339 with upper-case `T`/`Z`, at most 6 fractional digits and a
    /// zone, or the nil value `-`.
    Timestamp,
    /// A timestamp that is well formed but names a day that does not exist (`2003-09-31`).
    ExistingDate,
    /// `HOSTNAME`: 1 to 255 printable US-ASCII characters, or `-`.
    Hostname,
    /// `APP-NAME`: 1 to 48 printable US-ASCII characters, or `-`.
    AppName,
    /// `PROCID`: 1 to 128 printable US-ASCII characters, or `-`.
    ProcId,
    /// `MSGID`: 1 to 32 printable US-ASCII characters, or `-`.
    MsgId,
    /// `STRUCTURED-DATA`: one or more `[...]` elements, or `-`.
    StructuredData,
    /// `SD-ID`: 1 to 32 printable US-ASCII characters except `=`, `]`, `"` and space.
    SdId,
    /// `SD-PARAM`: `name="value"`, the name like an `SD-ID`.
    SdParam,
    /// A `PARAM-VALUE` with an unescaped `]`.
    SdEscape,
    /// An `SD-ID` not already used by an earlier element of the same message.
    UniqueSdId,
    /// The single space that separates two header fields; names the field before it.
    SpaceAfter(&'static str),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Version => f.write_str("a version value in the range 1-999"),
            Expected::Timestamp => f.write_str(
                "an RFC 3339 timestamp (upper-case `T` and `Z`, at most 6 fractional digits, \
                 with a zone) or `-`",
            ),
            Expected::ExistingDate => {
                f.write_str("a date that exists (the day is out of range for the month)")
            }
            Expected::Hostname => {
                f.write_str("a hostname (1-255 printable ASCII characters) or `-`")
            }
            Expected::AppName => {
                f.write_str("an app-name (1-48 printable ASCII characters) or `-`")
            }
            Expected::ProcId => f.write_str("a procid (1-128 printable ASCII characters) or `-`"),
            Expected::MsgId => f.write_str("a msgid (1-32 printable ASCII characters) or `-`"),
            Expected::StructuredData => {
                f.write_str("structured data (`[id name=\"value\" ...]`) or `-`")
            }
            Expected::SdId => f.write_str(
                "a structured data id (1-32 printable ASCII characters except `=`, `]`, `\"` \
                 and space)",
            ),
            Expected::SdParam => f.write_str(
                "a structured data parameter `name=\"value\"` (name: 1-32 printable ASCII \
                 characters except `=`, `]`, `\"` and space)",
            ),
            Expected::SdEscape => {
                f.write_str("`]`, `\"` and `\\` escaped with a backslash inside a parameter value")
            }
            Expected::UniqueSdId => {
                f.write_str("a structured data id not already used in this message")
            }
            Expected::SpaceAfter(field) => write!(f, "a space after the {field}"),
        }
    }
}

/// A line that [`parse`](super::parse) did not accept.
///
/// Rejection is an expected outcome, not a failure: the caller keeps the whole line as a
/// bare message (or an `unparsed` row) with this text as the reason. Values are small and
/// `Copy`, so rejecting a line allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyslogError {
    /// Nothing but whitespace.
    #[error("empty line")]
    Empty,
    /// No `<PRI>` and no timestamp at the start: not syslog at all.
    #[error("not syslog: the line starts with neither a <PRI> nor a timestamp")]
    NotSyslog,
    /// The line starts with `<` but not with a valid `<PRI>` (0-191, no leading zero).
    #[error(
        "pri: expecting a priority value 0-191 in angle brackets, e.g. `<13>`, at column {col}"
    )]
    Pri {
        /// 0-based byte offset of the offending byte.
        col: usize,
    },
    /// The line claims RFC 5424 (`<PRI>` then a version and a space) but breaks its grammar.
    #[error("rfc5424: expecting {expected} at column {col}")]
    Rfc5424 {
        /// What the grammar required there.
        expected: Expected,
        /// 0-based byte offset of the offending byte (the line's length at end of input).
        col: usize,
    },
}

impl SyslogError {
    /// Shorthand for an RFC 5424 grammar error.
    pub(crate) fn rfc5424(expected: Expected, col: usize) -> Self {
        SyslogError::Rfc5424 { expected, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_and_where() {
        assert_eq!(
            SyslogError::rfc5424(Expected::Version, 5).to_string(),
            "rfc5424: expecting a version value in the range 1-999 at column 5"
        );
        assert_eq!(
            SyslogError::rfc5424(Expected::SpaceAfter("timestamp"), 26).to_string(),
            "rfc5424: expecting a space after the timestamp at column 26"
        );
        assert_eq!(
            SyslogError::Pri { col: 3 }.to_string(),
            "pri: expecting a priority value 0-191 in angle brackets, e.g. `<13>`, at column 3"
        );
    }
}
