//! The parsed envelope, borrowed from the line.

use crate::event::Micros;

/// Which of the two syslog formats a line was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rfc {
    /// BSD syslog as devices write it (`<34>Oct 11 22:14:15 host su: ...`), read loosely.
    Rfc3164,
    /// `<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`, read strictly.
    Rfc5424,
}

/// The syslog envelope of one line. Every string borrows from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogMessage<'a> {
    /// The format the line was read as.
    pub rfc: Rfc,
    /// Facility, 0-23 (`None` when the line had no `<PRI>`).
    pub facility: Option<u8>,
    /// Severity, 0 (emergency) to 7 (debug) (`None` when the line had no `<PRI>`).
    pub severity: Option<u8>,
    /// Header time in UTC microseconds; `None` when the header had no timestamp or its
    /// date does not exist (`Feb 30`).
    pub time: Option<Micros>,
    /// The sending host as written (`-` becomes `None`).
    pub hostname: Option<&'a str>,
    /// The TAG / APP-NAME without its `[pid]` and `:`, e.g. `sshd`, `kernel`.
    pub app_name: Option<&'a str>,
    /// The `[pid]` of an RFC 3164 TAG or the RFC 5424 PROCID.
    pub procid: Option<&'a str>,
    /// RFC 5424 MSGID.
    pub msgid: Option<&'a str>,
    /// Structured data as it appeared, e.g. `[exampleSDID@32473 iut="3"]`.
    pub structured_data: Option<&'a str>,
    /// The message body, without a leading UTF-8 BOM or trailing whitespace and NULs.
    pub msg: &'a str,
}

impl<'a> SyslogMessage<'a> {
    /// An envelope with only the format and priority filled in.
    pub(crate) fn new(rfc: Rfc, pri: Option<u8>) -> Self {
        SyslogMessage {
            rfc,
            facility: pri.map(|p| p >> 3),
            severity: pri.map(|p| p & 7),
            time: None,
            hostname: None,
            app_name: None,
            procid: None,
            msgid: None,
            structured_data: None,
            msg: "",
        }
    }
}

/// `line[start..end]`. Parsers only cut at ASCII delimiters, which are always character
/// boundaries; the debug assertion guards that invariant and release builds degrade to an
/// empty field instead of panicking.
pub(crate) fn slice(line: &str, start: usize, end: usize) -> &str {
    debug_assert!(
        line.is_char_boundary(start) && line.is_char_boundary(end),
        "{start}..{end}"
    );
    line.get(start..end).unwrap_or_default()
}

/// The message body from `start`: a leading UTF-8 BOM (RFC 5424 marks UTF-8 messages with
/// it) is dropped, and so is trailing whitespace and NUL padding, which senders and framers
/// add inconsistently. The untouched line is kept elsewhere as evidence.
pub(crate) fn body(line: &str, start: usize) -> &str {
    let rest = slice(line, start.min(line.len()), line.len());
    let rest = rest.strip_prefix('\u{feff}').unwrap_or(rest);
    rest.trim_end_matches([' ', '\t', '\r', '\n', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_drops_bom_and_trailing_padding() {
        assert_eq!(body("x \u{feff}hello \r\n\0", 2), "hello");
        assert_eq!(body("x  \u{feff}hello", 2), " \u{feff}hello");
        assert_eq!(body("abc", 3), "");
        assert_eq!(body("abc", 9), "");
    }

    #[test]
    fn priority_splits_into_facility_and_severity() {
        let m = SyslogMessage::new(Rfc::Rfc3164, Some(165));
        assert_eq!((m.facility, m.severity), (Some(20), Some(5)));
        let m = SyslogMessage::new(Rfc::Rfc3164, None);
        assert_eq!((m.facility, m.severity), (None, None));
    }
}
