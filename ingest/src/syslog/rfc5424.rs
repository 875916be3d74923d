//! RFC 5424, read strictly.
//!
//! ```text
//! SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
//!              SP STRUCTURED-DATA [SP MSG]
//! ```
//!
//! A line that claims this format and breaks the grammar is rejected with the column and
//! what was expected there, so the sender's bug is visible instead of being papered over.
//! `MSG` is everything after the single space that follows the structured data: leading
//! spaces belong to the message (as rsyslog keeps them).

use super::error::{Expected, SyslogError};
use super::message::{Rfc, SyslogMessage, body, slice};
use super::structured_data::{self, Mode};
use super::timestamp::{self, Stamp, Strictness};

/// Whether the bytes after `<PRI>` at `pos` claim RFC 5424: digits, then a space.
///
/// Only a claimed line is held to the strict grammar. `<13>1 ` claims it; `<13>10:04`,
/// `<13>1a` and `<13>1` do not and are read as RFC 3164 messages without a timestamp.
pub(crate) fn claims_version(b: &[u8], pos: usize) -> bool {
    let digits = b.get(pos..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    });
    digits > 0 && b.get(pos + digits) == Some(&b' ')
}

/// Whether a line without `<PRI>` is RFC 5424 anyway: `1 YYYY-` at `pos` (syslog-loose
/// accepts this form, seen from relays that strip the priority).
pub(crate) fn claims_without_pri(b: &[u8], pos: usize) -> bool {
    b.get(pos..pos + 7).is_some_and(|s| {
        s.starts_with(b"1 ") && s[2..6].iter().all(u8::is_ascii_digit) && s[6] == b'-'
    })
}

/// Parses the rest of an RFC 5424 line from the `VERSION` at `pos`.
pub(crate) fn parse(
    line: &str,
    pos: usize,
    pri: Option<u8>,
) -> Result<SyslogMessage<'_>, SyslogError> {
    let b = line.as_bytes();
    let mut msg = SyslogMessage::new(Rfc::Rfc5424, pri);

    let mut p = version(b, pos)?;

    if b.get(p) == Some(&b'-') {
        p += 1;
    } else {
        match timestamp::rfc3339(b, p, Strictness::Rfc5424) {
            Ok((Stamp::Utc(micros), end)) => {
                msg.time = Some(micros);
                p = end;
            }
            Ok((Stamp::Invalid | Stamp::Local(_), _)) => {
                return Err(SyslogError::rfc5424(Expected::ExistingDate, p));
            }
            Err(col) => return Err(SyslogError::rfc5424(Expected::Timestamp, col)),
        }
    }
    p = space_after(b, p, "timestamp")?;

    let (hostname, p) = field(line, p, 255, Expected::Hostname, "hostname")?;
    let (app_name, p) = field(line, p, 48, Expected::AppName, "app-name")?;
    let (procid, p) = field(line, p, 128, Expected::ProcId, "procid")?;
    let (msgid, mut p) = field(line, p, 32, Expected::MsgId, "msgid")?;
    msg.hostname = hostname;
    msg.app_name = app_name;
    msg.procid = procid;
    msg.msgid = msgid;

    match b.get(p) {
        Some(b'-') => p += 1,
        Some(b'[') => {
            let end = structured_data::scan(b, p, Mode::Rfc5424)
                .map_err(|(expected, col)| SyslogError::rfc5424(expected, col))?;
            msg.structured_data = Some(slice(line, p, end));
            p = end;
        }
        _ => return Err(SyslogError::rfc5424(Expected::StructuredData, p)),
    }

    match b.get(p) {
        None => {}
        Some(b' ') => msg.msg = body(line, p + 1),
        Some(_) => {
            return Err(SyslogError::rfc5424(
                Expected::SpaceAfter("structured data"),
                p,
            ));
        }
    }
    Ok(msg)
}

/// `VERSION SP`: 1 to 3 digits without a leading zero. Returns the offset after the space.
fn version(b: &[u8], pos: usize) -> Result<usize, SyslogError> {
    let mut p = pos;
    while let Some(&d) = b.get(p).filter(|d| d.is_ascii_digit()) {
        if (p == pos && d == b'0') || p - pos == 3 {
            return Err(SyslogError::rfc5424(Expected::Version, p));
        }
        p += 1;
    }
    if p == pos {
        return Err(SyslogError::rfc5424(Expected::Version, p));
    }
    space_after(b, p, "version")
}

fn space_after(b: &[u8], p: usize, field: &'static str) -> Result<usize, SyslogError> {
    if b.get(p) == Some(&b' ') {
        Ok(p + 1)
    } else {
        Err(SyslogError::rfc5424(Expected::SpaceAfter(field), p))
    }
}

/// A header field of 1 to `max` printable US-ASCII characters and its trailing space.
/// Returns the value (`None` for the nil value `-`) and the offset after the space.
///
/// The error column is the first byte that cannot continue the field: a control character
/// or space where the field should start, the character past `max`, or a non-printable
/// byte inside it. End of input after a complete field asks for the missing space.
fn field<'a>(
    line: &'a str,
    pos: usize,
    max: usize,
    expected: Expected,
    name: &'static str,
) -> Result<(Option<&'a str>, usize), SyslogError> {
    let b = line.as_bytes();
    let mut p = pos;
    while p < b.len() && (33..=126).contains(&b[p]) {
        if p - pos == max {
            return Err(SyslogError::rfc5424(expected, p));
        }
        p += 1;
    }
    match b.get(p) {
        _ if p == pos => Err(SyslogError::rfc5424(expected, p)),
        Some(b' ') => {
            let value = slice(line, pos, p);
            Ok(((value != "-").then_some(value), p + 1))
        }
        Some(_) => Err(SyslogError::rfc5424(expected, p)),
        None => Err(SyslogError::rfc5424(Expected::SpaceAfter(name), p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims() {
        assert!(claims_version(b"<13>1 x", 4));
        assert!(claims_version(b"<13>1000 x", 4));
        assert!(!claims_version(b"<13>1", 4));
        assert!(!claims_version(b"<13>1a ", 4));
        assert!(!claims_version(b"<13>2024-01-01T00:00:00Z", 4));
        assert!(!claims_version(b"<13> 1", 4));
        assert!(claims_without_pri(b"1 2020-05-22T14:59:09Z", 0));
        assert!(!claims_without_pri(b"1 - - -", 0));
        assert!(!claims_without_pri(b"12 2020-", 0));
    }

    #[test]
    fn version_rules() {
        assert_eq!(version(b"999 ", 0), Ok(4));
        assert_eq!(
            version(b"0 ", 0),
            Err(SyslogError::rfc5424(Expected::Version, 0))
        );
        assert_eq!(
            version(b"1000 ", 0),
            Err(SyslogError::rfc5424(Expected::Version, 3))
        );
        assert_eq!(
            version(b"12", 0),
            Err(SyslogError::rfc5424(Expected::SpaceAfter("version"), 2))
        );
    }

    #[test]
    fn nil_values_and_limits() {
        assert_eq!(
            field("- x", 0, 48, Expected::AppName, "app-name"),
            Ok((None, 2))
        );
        assert_eq!(
            field("-x y", 0, 48, Expected::AppName, "app-name"),
            Ok((Some("-x"), 3))
        );
        let long = "a".repeat(49);
        assert_eq!(
            field(&long, 0, 48, Expected::AppName, "app-name"),
            Err(SyslogError::rfc5424(Expected::AppName, 48))
        );
        assert_eq!(
            field("abc", 0, 48, Expected::AppName, "app-name"),
            Err(SyslogError::rfc5424(Expected::SpaceAfter("app-name"), 3))
        );
        assert_eq!(
            field("\u{e9}x ", 0, 48, Expected::AppName, "app-name"),
            Err(SyslogError::rfc5424(Expected::AppName, 0))
        );
    }
}
