//! Windows Security events (JSON and XML): being written; until then it recognises no line.

use crate::error::ParseError;
use crate::event::AuthEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "windows";

/// Whether a message looks like this format.
pub fn looks_like(msg: &str) -> bool {
    let _ = msg;
    false
}

/// Parses a message of this format.
pub fn parse<'a>(msg: &'a str, arena: &'a bumpalo::Bump) -> Result<AuthEvent<'a>, ParseError> {
    let _ = (msg, arena);
    Err(ParseError::Unrecognised { format: NAME, reason: "parser not written yet" })
}
