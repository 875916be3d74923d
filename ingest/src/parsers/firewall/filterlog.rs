//! pfSense/OPNsense filterlog: being written; until then it recognises no line.

use crate::error::ParseError;
use crate::event::NetworkEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "filterlog";

/// Whether a message looks like this format.
pub fn looks_like(app: Option<&str>, msg: &str) -> bool {
    let _ = (app, msg);
    false
}

/// Parses a message of this format.
pub fn parse(msg: &str) -> Result<NetworkEvent<'_>, ParseError> {
    let _ = msg;
    Err(ParseError::Unrecognised { format: NAME, reason: "parser not written yet" })
}
