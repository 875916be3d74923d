//! FreeRADIUS authentication results from mfa-core01, the core zone's MFA server.
//!
//! Every interactive logon on core takes a one-time code (policy 6(3)①): the credential
//! provider on term-core, and PAM (`pam_radius_auth`) on srv-core01, hand the code to
//! FreeRADIUS 3.2, whose `totp` module checks it. With `log { auth = yes;
//! msg_goodpass = "Auth-Type=%{control:Auth-Type}"; msg_badpass = (the same) }`
//! radius.log says, per request:
//!
//! ```text
//! Fri Nov 20 09:15:02 2026 : Auth: (4821) Login OK: [tanaka] (from client term-core port 0 cli 10.10.2.11) Auth-Type=totp
//! Fri Nov 20 09:31:40 2026 : Auth: (4822) Login incorrect: [sato] (from client srv-core01 port 0 cli 10.10.1.50) Auth-Type=totp
//! ```
//!
//! `client` is the RADIUS client's short name from clients.conf, `cli` the
//! Calling-Station-Id the client sends: the address the user sits at (the terminal
//! itself at its console, the remote desktop or SSH client otherwise). The trailing
//! `Auth-Type=totp` names the module that decided, which is what tells an MFA success from
//! any other RADIUS accept. rsyslog's imfile forwards radius.log line by line, tagged
//! `radiusd:` (local0.notice), so the collector's file and the wire carry
//! `Nov 20 09:15:02 mfa-core01 radiusd: Fri Nov 20 09:15:02 2026 : Auth: ...`.

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

use super::city::MFA_CORE;
use super::line::{Body, Draft};

/// PRI of imfile's forwarded lines: local0 (16) × 8 + notice (5).
pub(crate) const RADIUS_PRI: u8 = 133;

/// One authentication result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RadiusLog {
    /// FreeRADIUS's request number.
    pub(crate) request: u32,
    pub(crate) ok: bool,
    pub(crate) user: &'static str,
    /// The RADIUS client (`term-core`, `srv-core01`).
    pub(crate) client: &'static str,
    /// Calling-Station-Id: where the user sits.
    pub(crate) cli: Ipv4Addr,
}

impl RadiusLog {
    /// The result as mfa-core01 logs it.
    pub(crate) fn draft(self) -> Draft {
        Draft {
            dev: &MFA_CORE,
            body: Body::Radius(self),
        }
    }

    /// The radius.log line for the request answered at `at`.
    pub(crate) fn line(&self, at: DateTime<Utc>) -> String {
        let result = if self.ok {
            "Login OK"
        } else {
            "Login incorrect"
        };
        format!(
            "{} : Auth: ({}) {result}: [{}] (from client {} port 0 cli {}) Auth-Type=totp",
            at.with_timezone(&Tokyo).format("%a %b %e %H:%M:%S %Y"),
            self.request,
            self.user,
            self.client,
            self.cli,
        )
    }
}
