//! Digital Arts i-FILTER's access log, in the default layout of Ver.10 (35 columns, as
//! the vendor counts them; `sanso_ingest::parsers::ifilter` documents each).
//!
//! ```text
//! Nov 26 09:15:02 4872 1000/01/ 198.51.100.10:8080 - 10.30.2.140 10.30.2.140 - tanaka [26/Nov/2025:09:15:02 +0900] 200 512 48211 allow 0 12 12 -1 0 231 0 %E7%B7%8F%E5%8B%99%E8%AA%B2 - 0 - "GET https://www.google.co.jp/ HTTP/1.1" - Mozilla%2F5.0+... text%2Fhtml A667FEFF
//! ```
//!
//! The line starts with the time it was written and carries the time the request
//! started in brackets, with its offset. Text values (user, group, user agent, content
//! type) are URL-encoded, `+` for a space, as i-FILTER writes them.
//!
//! Category and reason numbers are i-FILTER's own. The demo uses the two its public
//! sample shows: a request let through is reason 0 in category 12, a site the city's
//! acceptable-use policy refuses (online storage, video) is reason 63 in category 87.
//! Neither is among the configuration's `malicious_categories`, which name categories,
//! so an ordinary block raises nothing (OMZ-09 is for the malicious ones).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Asia::Tokyo;

/// PRI of i-FILTER lines sent to syslog: local0 (16) × 8 + info (6).
pub(crate) const IFILTER_PRI: u8 = 134;

/// The product's version column (`1000/01/`: Ver.10.00, revision 01).
const VERSION: &str = "1000/01/";

/// The last column of the default layout, which the public FAQ leaves unexplained;
/// written as the vendor's sample has it.
const TRAILER: &str = "A667FEFF";

/// The browser every terminal runs.
const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

/// The departments the internet-zone terminals belong to, as i-FILTER's user groups.
const GROUPS: [&str; 6] = [
    "総務課",
    "企画政策課",
    "税務課",
    "市民課",
    "福祉課",
    "建設課",
];

/// What i-FILTER did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Let through (reason 0, category 12).
    Allow,
    /// Refused by the acceptable-use policy (reason 63, category 87).
    Block,
}

/// One access-log entry, without its times.
#[derive(Debug)]
pub(crate) struct IfilterEntry {
    pub(crate) pid: u32,
    pub(crate) client: Ipv4Addr,
    /// The authenticated user, `-` when the request carried none.
    pub(crate) user: &'static str,
    /// The parent proxy the request went through, if it went out at all.
    pub(crate) upstream: Option<(Ipv4Addr, u16)>,
    pub(crate) duration_ms: u32,
    pub(crate) status: u16,
    /// Bytes the client sent.
    pub(crate) bytes_out: u64,
    /// Bytes sent to the client.
    pub(crate) bytes_in: u64,
    pub(crate) verdict: Verdict,
    pub(crate) method: &'static str,
    /// The URL, or `host:port` for a CONNECT tunnel.
    pub(crate) url: String,
    /// The reply's content type, `-` when there is none.
    pub(crate) content_type: &'static str,
}

impl IfilterEntry {
    /// The entry as i-FILTER writes it at `time`, when the transaction ends.
    pub(crate) fn line(&self, time: DateTime<Utc>) -> String {
        let written = time.with_timezone(&Tokyo);
        let started =
            (time - TimeDelta::milliseconds(i64::from(self.duration_ms))).with_timezone(&Tokyo);
        let (action, reason, category) = match self.verdict {
            Verdict::Allow => ("allow", 0, 12),
            Verdict::Block => ("block", 63, 87),
        };
        let mut line = String::with_capacity(320 + self.url.len());
        let _ = write!(
            line,
            "{} {} {VERSION} ",
            written.format("%b %e %H:%M:%S"),
            self.pid
        );
        match self.upstream {
            Some((addr, port)) => {
                let _ = write!(line, "{addr}:{port}");
            }
            None => line.push('-'),
        }
        let _ = write!(line, " - {client} {client} - ", client = self.client);
        push_encoded(&mut line, self.user);
        let _ = write!(
            line,
            " [{}] {} {} {} {action} {reason} {category} {category} -1 0 {} 0 ",
            started.format("%d/%b/%Y:%H:%M:%S %z"),
            self.status,
            self.bytes_out,
            self.bytes_in,
            self.duration_ms,
        );
        push_encoded(&mut line, group(self.client));
        let _ = write!(line, " - 0 - \"{} {} HTTP/1.1\" - ", self.method, self.url);
        push_encoded(&mut line, USER_AGENT);
        line.push(' ');
        push_encoded(&mut line, self.content_type);
        line.push(' ');
        line.push_str(TRAILER);
        line
    }
}

/// The i-FILTER user group of the terminal at `client` (fixed per address).
fn group(client: Ipv4Addr) -> &'static str {
    GROUPS[usize::from(client.octets()[3]) % GROUPS.len()]
}

/// `value` URL-encoded as i-FILTER writes it: unreserved bytes as they are, a space as
/// `+`, everything else (`/`, `;`, UTF-8 bytes of Japanese names) as `%XX`. `-`, the
/// empty value, stays `-`.
fn push_encoded(out: &mut String, value: &str) {
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}
