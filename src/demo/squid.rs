//! Squid's native access.log format.
//!
//! ```text
//! logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//! 1732612502.123    215 10.30.2.20 TCP_MISS/200 5120 GET http://www.example.jp/ - HIER_DIRECT/93.184.216.34 text/html
//! ```
//!
//! `%<st` is the size of the reply sent *to the client*; the native format has no field for
//! the request body. An upload therefore shows as a small number here, whatever its size:
//! detections on this log can count uploads, not weigh them.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

/// PRI of Squid lines sent to syslog: local4 (20) × 8 + info (6), the usual
/// `access_log syslog:local4.info`.
pub(crate) const SQUID_PRI: u8 = 166;

/// Where Squid got the reply from (`%Sh/%<a`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hier {
    /// Served from cache or refused: `HIER_NONE/-`.
    None,
    /// Fetched through a parent proxy (the security cloud): `FIRSTUP_PARENT/addr`.
    Parent(Ipv4Addr),
    /// Fetched from the origin: `HIER_DIRECT/addr`.
    Direct(Ipv4Addr),
}

/// One access.log entry, without its time.
#[derive(Debug)]
pub(crate) struct SquidEntry {
    pub(crate) duration_ms: u32,
    pub(crate) client: Ipv4Addr,
    /// The cache result code (`TCP_MISS`, `TCP_TUNNEL`, `TCP_DENIED`, ...).
    pub(crate) result: &'static str,
    pub(crate) status: u16,
    /// Bytes sent to the client.
    pub(crate) bytes: u64,
    pub(crate) method: &'static str,
    pub(crate) url: String,
    /// The authenticated user, `-` when the request carried none.
    pub(crate) user: &'static str,
    pub(crate) hier: Hier,
    /// The reply's content type, `-` when there is none (tunnels).
    pub(crate) content_type: &'static str,
}

impl SquidEntry {
    /// The entry as Squid writes it when the transaction ends at `time`.
    pub(crate) fn line(&self, time: DateTime<Utc>) -> String {
        let mut line = String::with_capacity(96 + self.url.len());
        let _ = write!(
            line,
            "{}.{:03} {:>6} {} {}/{:03} {} {} {} {} ",
            time.timestamp(),
            time.timestamp_subsec_millis(),
            self.duration_ms,
            self.client,
            self.result,
            self.status,
            self.bytes,
            self.method,
            self.url,
            self.user,
        );
        let _ = match self.hier {
            Hier::None => write!(line, "HIER_NONE/-"),
            Hier::Parent(addr) => write!(line, "FIRSTUP_PARENT/{addr}"),
            Hier::Direct(addr) => write!(line, "HIER_DIRECT/{addr}"),
        };
        line.push(' ');
        line.push_str(self.content_type);
        line
    }
}
