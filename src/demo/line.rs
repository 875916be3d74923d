//! One generated log line, and the step that turns a drafted message into it.
//!
//! Generators first produce a [`Draft`]: the device and what it says, without a time.
//! Rendering stamps the time in the device's own way (a JST RFC 3164 header without PRI,
//! as rsyslog writes files, and inside the message whatever stamps the vendor adds:
//! FortiGate's `date=`/`eventtime=`, PAN-OS's generated and high-resolution times,
//! winlogbeat's `@timestamp`, radius.log's date; epoch seconds for Squid), so the same
//! draft type serves the ordinary traffic, which knows its times at once, and the attack
//! scenarios, which are drafted at plan time and placed later.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Asia::Tokyo;

use super::city::{Device, Role, Zone};
use super::expect::{ExpectedAlert, office_hours, rule};
use super::fortigate::{FORTIGATE_PRI, FortiEvent, FortiLog};
use super::ifilter::{IFILTER_PRI, IfilterEntry};
use super::mfilter::{MFILTER_PRI, MFILTER_TAG, MfilterEntry};
use super::panos::{PANOS_PRI, PanLog, PanUrlLog};
use super::radius::{RADIUS_PRI, RadiusLog};
use super::scenario::{Label, Scenario};
use super::squid::{SQUID_PRI, SquidEntry};
use super::windows::{WINLOGBEAT_PRI, WinEvent};

/// One line of one device's log, with its ground truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLine {
    /// The device that wrote the line (`fw-core`, `proxy-inet`, `srv-lgwan01`,
    /// `term-core`, ...).
    pub device: &'static str,
    /// The zone the configuration puts the device in (`core`, `lgwan`, `internet`).
    pub zone: &'static str,
    /// The device's file under `sanso demo --out` (`fw-core.log`,
    /// `proxy-inet-access.log`, `srv-core01-auth.log`, `term-core-security.log`, ...).
    pub file: &'static str,
    /// The line exactly as the device writes it to that file, without a newline.
    pub line: String,
    /// When the event happened. For syslog-stamped devices this is the whole second the
    /// header shows (the header has no sub-second part; stamps inside the message may be
    /// finer and up to a second earlier); for Squid it is the millisecond the line shows;
    /// for i-FILTER and m-FILTER, the whole second the line was written (the request or
    /// message it records may have started earlier).
    pub time: DateTime<Utc>,
    /// The attack scenario the line belongs to; `None` for ordinary traffic.
    pub scenario: Option<Scenario>,
    attack_src: Option<Ipv4Addr>,
    expected: Vec<ExpectedAlert>,
    dev: &'static Device,
    pri: u8,
}

impl DemoLine {
    /// For an attack line, the source address its scenario's detection keys on (the
    /// ground truth's `src_ip`): the guessing host, the scanner, the host that broke the
    /// zone boundary, the uploading client. `None` for ordinary traffic.
    pub fn attack_src(&self) -> Option<Ipv4Addr> {
        self.attack_src
    }

    /// For an attack line, the alerts of the policy rule pack it is evidence for, each
    /// with the key the rule groups on; empty for ordinary traffic, and for the attack
    /// lines no rule looks at (the proxy connection an upload runs over, the flows of a
    /// guessing host's SSH connections).
    pub fn expected_alerts(&self) -> &[ExpectedAlert] {
        &self.expected
    }

    /// The line as a device would send it to a remote syslog collector: RFC 3164 with
    /// PRI (`<4>` kern.warning for netfilter, `<189>` local7.notice for FortiGate, `<14>`
    /// user.info for PAN-OS and the relayed winlogbeat lines, `<38>` auth.info for sshd,
    /// `<86>` authpriv.info for PAM, `<85>` authpriv.notice for sudo, `<133>`
    /// local0.notice for radius.log forwarded by imfile) and the header in Asia/Tokyo
    /// time: the file line with its PRI. Squid lines, which carry no syslog header in
    /// access.log, are wrapped the way `access_log syslog:local4.info` sends them:
    /// `<166>Nov 26 09:15:02 proxy-inet squid[1342]: <native line>`. i-FILTER sends its
    /// access line behind a header with no tag, `<134>` local0.info
    /// (`<134>Nov 26 09:15:02 ifilter-inet Nov 26 09:15:02 4872 1000/01/ ...`); the
    /// m-FILTER lines, which it only writes to a file, come through imfile at `<133>`
    /// local0.notice with the tag `mfilter`.
    pub fn to_syslog(&self) -> String {
        match self.dev.role {
            Role::Proxy => {
                let mut out = String::with_capacity(self.line.len() + 48);
                let _ = write!(out, "<{}>", self.pri);
                push_header(&mut out, self.time);
                let _ = write!(
                    out,
                    " {} squid[{}]: {}",
                    self.device, self.dev.pid, self.line
                );
                out
            }
            Role::WebFilter | Role::MailGateway => {
                let mut out = String::with_capacity(self.line.len() + 48);
                let _ = write!(out, "<{}>", self.pri);
                push_header(&mut out, self.time);
                let _ = write!(out, " {} ", self.device);
                if self.dev.role == Role::MailGateway {
                    let _ = write!(out, "{MFILTER_TAG}: ");
                }
                out.push_str(&self.line);
                out
            }
            Role::Firewall(_) | Role::Server | Role::Terminal | Role::Mfa => {
                format!("<{}>{}", self.pri, self.line)
            }
        }
    }
}

/// What a device says, before it is given a time.
#[derive(Debug)]
pub(crate) struct Draft {
    pub(crate) dev: &'static Device,
    pub(crate) body: Body,
}

/// The message of a draft, by how the device writes it.
#[derive(Debug)]
pub(crate) enum Body {
    /// A syslog program message: `tag[pid]: msg`, or `tag: msg` without a pid (sudo).
    Program {
        pri: u8,
        tag: &'static str,
        pid: Option<u32>,
        msg: String,
    },
    /// A kernel message at kern.warning (netfilter LOG).
    Kernel { msg: String },
    /// A Squid native access.log entry.
    Squid(SquidEntry),
    /// An i-FILTER access-log entry.
    Ifilter(IfilterEntry),
    /// An m-FILTER SMTP access-log entry.
    Mfilter(MfilterEntry),
    /// A FortiGate traffic log, relayed with a header and no tag.
    Fortigate(FortiLog),
    /// A FortiGate UTM or VPN event log, the same way.
    FortigateEvent(FortiEvent),
    /// A PAN-OS TRAFFIC record, with a header and no tag.
    Panos(PanLog),
    /// A PAN-OS THREAT record of URL filtering, the same way.
    PanosUrl(PanUrlLog),
    /// A Windows Security event from winlogbeat, relayed with the tag `winlogbeat`.
    Windows(WinEvent),
    /// A radius.log line, forwarded by imfile with the tag `radiusd`.
    Radius(RadiusLog),
}

/// PRI of netfilter LOG lines: kern (0) × 8 + warning (4), UFW's default log level.
const KERN_WARNING: u8 = 4;

impl Draft {
    /// Stamps the draft with its time and ground truth (`None`: ordinary traffic).
    pub(crate) fn render(self, at: DateTime<Utc>, label: Option<Label>) -> DemoLine {
        let dev = self.dev;
        let (time, pri, line) = match self.body {
            Body::Squid(entry) => {
                // Squid prints milliseconds; flooring keeps `time` equal to what the line
                // shows. Every line emitted before this one has a time on a whole
                // millisecond no later than `at`, so flooring never moves a line before
                // one emitted earlier.
                let time = floor_millis(at);
                (time, SQUID_PRI, entry.line(time))
            }
            Body::Ifilter(entry) => {
                // Both appliances stamp whole seconds; rounding up keeps the line at or
                // after the moment it was generated, as for syslog headers.
                let time = ceil_second(at);
                (time, IFILTER_PRI, entry.line(time))
            }
            Body::Mfilter(entry) => {
                let time = ceil_second(at);
                (time, MFILTER_PRI, entry.line(time))
            }
            Body::Program { pri, tag, pid, msg } => {
                let (time, line) = stamped(at, dev, Some((tag, pid)), &msg);
                (time, pri, line)
            }
            Body::Kernel { msg } => {
                let (time, line) = stamped(at, dev, Some(("kernel", None)), &msg);
                (time, KERN_WARNING, line)
            }
            Body::Fortigate(log) => {
                let (time, line) = stamped(at, dev, None, &log.message(at));
                (time, FORTIGATE_PRI, line)
            }
            Body::FortigateEvent(event) => {
                let (time, line) = stamped(at, dev, None, &event.message(at));
                (time, FORTIGATE_PRI, line)
            }
            Body::Panos(log) => {
                let (time, line) = stamped(at, dev, None, &log.message(at));
                (time, PANOS_PRI, line)
            }
            Body::PanosUrl(log) => {
                let (time, line) = stamped(at, dev, None, &log.message(at));
                (time, PANOS_PRI, line)
            }
            Body::Windows(event) => {
                let (time, line) = stamped(at, dev, Some(("winlogbeat", None)), &event.json(at));
                (time, WINLOGBEAT_PRI, line)
            }
            Body::Radius(log) => {
                let (time, line) = stamped(at, dev, Some(("radiusd", None)), &log.line(at));
                (time, RADIUS_PRI, line)
            }
        };
        let (scenario, attack_src, expected) = match label {
            Some(label) => {
                let mut expected = label.expect;
                // Interactive work on core and lgwan outside office hours is OMZ-21's,
                // whatever scenario it belongs to.
                if let Some(key) = label.interactive
                    && dev.zone != Zone::Internet
                    && !office_hours(time)
                {
                    expected.push(ExpectedAlert {
                        rule: rule::AFTER_HOURS,
                        key,
                    });
                }
                (Some(label.scenario), Some(label.src), expected)
            }
            None => (None, None, Vec::new()),
        };
        debug_assert!(
            !line.contains(['\r', '\n']),
            "a demo line must stay one line"
        );
        DemoLine {
            device: dev.name,
            zone: dev.zone.id(),
            file: dev.file,
            line,
            time,
            scenario,
            attack_src,
            expected,
            dev,
            pri,
        }
    }
}

/// `msg` behind an RFC 3164 header, as rsyslog writes it to a file:
/// `Mmm dd hh:mm:ss host [tag[[pid]]: ]msg`, and the whole second the header shows.
/// rsyslog stamps whole seconds; rounding up (not down) keeps every line at or after the
/// moment it was generated, which the time-ordered merge needs.
fn stamped(
    at: DateTime<Utc>,
    dev: &Device,
    tag: Option<(&str, Option<u32>)>,
    msg: &str,
) -> (DateTime<Utc>, String) {
    let time = ceil_second(at);
    let mut line = syslog_prefix(time, dev, msg.len() + 24);
    if let Some((tag, pid)) = tag {
        line.push_str(tag);
        if let Some(pid) = pid {
            let _ = write!(line, "[{pid}]");
        }
        line.push_str(": ");
    }
    line.push_str(msg);
    (time, line)
}

/// `Mmm dd hh:mm:ss host ` in Asia/Tokyo, as rsyslog writes it to a file.
fn syslog_prefix(time: DateTime<Utc>, dev: &Device, extra: usize) -> String {
    let mut line = String::with_capacity(16 + dev.name.len() + 2 + extra);
    push_header(&mut line, time);
    line.push(' ');
    line.push_str(dev.name);
    line.push(' ');
    line
}

/// The RFC 3164 timestamp (`Nov  6 09:15:02`: space-padded day, no year) in JST, where the
/// city's devices keep their clocks.
fn push_header(out: &mut String, time: DateTime<Utc>) {
    let _ = write!(
        out,
        "{}",
        time.with_timezone(&Tokyo).format("%b %e %H:%M:%S")
    );
}

fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    match t.timestamp_subsec_nanos() {
        0 => t,
        sub => t + TimeDelta::nanoseconds(1_000_000_000 - i64::from(sub)),
    }
}

fn floor_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    t - TimeDelta::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1_000_000))
}
