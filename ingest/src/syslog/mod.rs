//! The syslog envelope: `<PRI>`, timestamp, host, app and the message body.
//!
//! Most devices wrap their log lines in syslog: an RFC 5424 header
//! (`<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - msg`) or, far more
//! often, an RFC 3164 one (`<34>Oct 11 22:14:15 mymachine su: msg`) in one of the many
//! dialects real devices write. [`parse`] reads either, returns the envelope as a
//! [`SyslogMessage`] borrowed from the line, and leaves the body to the per-format parsers.
//!
//! ```text
//! line ─┬─ "<" PRI ">" DIGITS SP ... ──> rfc5424 (strict: Err with column on a grammar error)
//!       ├─ "<" PRI ">" anything else ──> rfc3164 (loose: never fails)
//!       ├─ "1 YYYY-..." ───────────────> rfc5424 without PRI
//!       ├─ timestamp ... ──────────────> rfc3164 without PRI
//!       └─ anything else ──────────────> Err(NotSyslog): the caller keeps the bare line
//! ```
//!
//! The rules for the loose RFC 3164 header (hostname or TAG, year-less stamps, structured
//! data) are in the `rfc3164` module; the zone and year for stamps that lack them come from
//! the [`TimeContext`].
//!
//! # Example
//!
//! ```
//! use sanso_ingest::syslog::{Rfc, TimeContext, parse};
//!
//! // Received 2024-06-01T00:00:00Z; year-less stamps are read in Asia/Tokyo.
//! let ctx = TimeContext::new(chrono_tz::Asia::Tokyo, 1_717_200_000_000_000);
//! let m = parse("<38>May 31 18:04:01 web01 sshd[3402]: Accepted publickey for root", &ctx)?;
//! assert_eq!(m.rfc, Rfc::Rfc3164);
//! assert_eq!((m.facility, m.severity), (Some(4), Some(6)));
//! assert_eq!(m.time, Some(1_717_146_241_000_000)); // 2024-05-31T09:04:01Z
//! assert_eq!((m.hostname, m.app_name, m.procid), (Some("web01"), Some("sshd"), Some("3402")));
//! assert_eq!(m.msg, "Accepted publickey for root");
//!
//! let err = parse("<13>1 2024-02-30T00:00:00Z host app - - - msg", &ctx).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "rfc5424: expecting a date that exists (the day is out of range for the month) at column 6"
//! );
//! # Ok::<(), sanso_ingest::syslog::SyslogError>(())
//! ```
//!
//! # Performance
//!
//! Parsing is a single forward scan over the bytes with no allocation and no regular
//! expressions: every field of [`SyslogMessage`] borrows from the line, month names are
//! matched as bytes, timestamps with a zone are converted with integer calendar arithmetic,
//! and structured-data values are skipped with `memchr`. The only expensive step, turning a
//! zone-less local time into UTC through chrono-tz, is cached per local hour inside the
//! [`TimeContext`] (see its documentation), so a context should live as long as its
//! parsing thread rather than be rebuilt per line.

mod error;
mod message;
mod pri;
mod rfc3164;
mod rfc5424;
mod structured_data;
mod time_context;
pub(crate) mod timestamp;

pub use crate::event::Micros;
pub use error::{Expected, SyslogError};
pub use message::{Rfc, SyslogMessage};
pub use time_context::TimeContext;

/// Parses the syslog envelope of one line (without its newline).
///
/// Leading whitespace and a leading UTF-8 BOM are skipped. Lines that claim RFC 5424
/// (`<PRI>` followed by digits and a space) are held to its grammar; everything else with a
/// `<PRI>` or a leading timestamp is read as RFC 3164. Column numbers in errors are 0-based
/// byte offsets into `line`.
///
/// # Errors
///
/// [`SyslogError::Empty`] for a blank line, [`SyslogError::NotSyslog`] when there is
/// neither a `<PRI>` nor a timestamp, [`SyslogError::Pri`] for a malformed `<PRI>`, and
/// [`SyslogError::Rfc5424`] for a line that claims RFC 5424 and breaks its grammar.
pub fn parse<'a>(line: &'a str, ctx: &TimeContext) -> Result<SyslogMessage<'a>, SyslogError> {
    let b = line.as_bytes();
    let start = content_start(b);
    match b.get(start) {
        None => Err(SyslogError::Empty),
        Some(b'<') => {
            let (pri, pos) = pri::parse(b, start)?;
            if rfc5424::claims_version(b, pos) {
                rfc5424::parse(line, pos, Some(pri))
            } else {
                rfc3164::parse(line, pos, Some(pri), ctx)
            }
        }
        Some(_) if rfc5424::claims_without_pri(b, start) => rfc5424::parse(line, start, None),
        Some(_) => rfc3164::parse(line, start, None, ctx),
    }
}

/// Cheap check whether a line looks like syslog: it starts (after whitespace) with a
/// valid `<PRI>`, an RFC 3164 or RFC 3339 timestamp, or `1 YYYY-` (RFC 5424 without PRI).
///
/// For format detection; [`parse`] may still reject a line this accepts.
pub fn looks_like_syslog(line: &str) -> bool {
    let b = line.as_bytes();
    let start = content_start(b);
    match b.get(start) {
        None => false,
        Some(b'<') => pri::parse(b, start).is_ok(),
        Some(_) => rfc5424::claims_without_pri(b, start) || rfc3164::starts_with_stamp(b, start),
    }
}

/// Offset of the first byte after a leading BOM and ASCII whitespace.
fn content_start(b: &[u8]) -> usize {
    let bom = if b.starts_with("\u{feff}".as_bytes()) {
        3
    } else {
        0
    };
    bom + b[bom..]
        .iter()
        .take_while(|c| c.is_ascii_whitespace())
        .count()
}
