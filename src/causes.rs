//! Errors as sanso shows them: the message, then each cause it does not already say.

use std::fmt;

/// Shows an error and its causes, each once.
///
/// Many errors end their message with their cause's: DataFusion's do at every level,
/// and so do sanso's own that wrap an I/O or Parquet error. anyhow's `{:#}` prints every
/// cause after the message, so it said some of them two or three times; a misspelt
/// column listed the table's columns three times. A cause is left out only when what
/// has been said already ends with it, so that a short cause that happens to occur
/// inside a message is still shown.
pub struct Causes<'a>(pub &'a anyhow::Error);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.0.to_string();
        for cause in self.0.chain().skip(1) {
            let cause = cause.to_string();
            if !said.ends_with(&cause) {
                said.push_str(": ");
                said.push_str(&cause);
            }
        }
        f.write_str(&said)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::other("No space left on device");
        let err = anyhow::Error::from(io)
            .context("writing x: No space left on device")
            .context("flushing the lake");
        assert_eq!(
            Causes(&err).to_string(),
            "flushing the lake: writing x: No space left on device"
        );
        assert_eq!(format!("{err:#}").matches("No space left").count(), 2);
    }

    #[test]
    fn causes_not_yet_said_follow_the_message() {
        let err = anyhow::anyhow!("disk full").context("writing x");
        assert_eq!(Causes(&err).to_string(), "writing x: disk full");
        let err = anyhow::anyhow!("x").context("writing x to the lake");
        assert_eq!(Causes(&err).to_string(), "writing x to the lake: x");
    }
}
