//! Zscaler NSS JSON: being written; until then it recognises no line.

use crate::error::ParseError;
use crate::event::HttpEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "zscaler";

/// Whether a message looks like this format.
pub fn looks_like(msg: &str) -> bool {
    let _ = msg;
    false
}

/// Parses a message of this format.
pub fn parse<'a>(msg: &'a str, arena: &'a bumpalo::Bump) -> Result<HttpEvent<'a>, ParseError> {
    let _ = (msg, arena);
    Err(ParseError::Unrecognised { format: NAME, reason: "parser not written yet" })
}
