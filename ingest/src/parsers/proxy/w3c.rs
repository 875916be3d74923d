//! W3C extended / ELFF: being written; until then it recognises no line.

use crate::error::ParseError;
use crate::event::HttpEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "w3c";

/// The column layout declared by the last `#Fields:` directive of a source.
#[derive(Debug, Default)]
pub struct W3cState {
    _fields: Vec<String>,
}

/// Whether a line is a W3C directive, or a data line fitting the declared layout.
pub fn looks_like(state: &W3cState, line: &str) -> bool {
    let _ = (state, line);
    false
}

/// Parses a data line; a directive updates `state` and is reported as not an event.
pub fn parse<'a>(state: &mut W3cState, line: &'a str) -> Result<HttpEvent<'a>, ParseError> {
    let _ = (state, line);
    Err(ParseError::Unrecognised { format: NAME, reason: "parser not written yet" })
}
