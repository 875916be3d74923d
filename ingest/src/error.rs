//! Why a line was not accepted.
//!
//! A rejected line is an expected outcome, not a failure of the pipeline: the line goes
//! to the `unparsed` table with the error's text in its `error` column. Errors are small
//! `Copy` values with static strings so that rejecting a line costs no allocation until
//! the row is written.

/// A format parser did not accept a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A field the format requires is absent.
    #[error("{format}: missing field `{field}`")]
    MissingField {
        /// Parser name, e.g. `iptables`.
        format: &'static str,
        /// The field that was expected.
        field: &'static str,
    },
    /// A field is present but its value is not of the expected kind.
    #[error("{format}: field `{field}` has an invalid value")]
    InvalidField {
        /// Parser name.
        format: &'static str,
        /// The field whose value was rejected.
        field: &'static str,
    },
    /// The line is of the parser's family but not a message it knows.
    #[error("{format}: {reason}")]
    Unrecognised {
        /// Parser name.
        format: &'static str,
        /// What was not recognised.
        reason: &'static str,
    },
    /// Automatic detection found no parser for the line.
    #[error("no parser recognised the line")]
    NoFormat,
}
