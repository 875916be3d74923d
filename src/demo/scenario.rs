//! The labelled attack scenarios and the plan that places them in a run.
//!
//! A scenario instance is drafted whole at plan time, as steps with offsets from its start,
//! so the plan knows exactly how many attack lines a run holds (and so how many ordinary
//! lines make up the rest) before any line is produced. Each instance is anchored to an
//! ordinary line, chosen between 5 % and 80 % of the ordinary traffic, and starts at that
//! line's time: the burst sits inside normal traffic, never at its edges.
//!
//! Every attack source is *reserved*: the ordinary traffic never uses it, so each labelled
//! key (the source address) belongs to its scenario alone. Attackers are realistic for a
//! three-layer city, where nothing on the Internet can reach a server: a malware-infected
//! internet-zone terminal, or a compromised server in the lgwan server segment (lgwan and
//! core servers take SSH only from there). srv-core01 is never a password-guessing target:
//! it demands a key before its one-time code, so guessing never reaches a password prompt.
//! The collected Windows terminals (term-core, term-lgwan01) are never attackers.

use std::collections::BTreeSet;
use std::fmt;
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DemoSpec;
use super::auth::{Account, SshConn};
use super::city::{
    CLOUD_PROXY, Device, FW_CORE, FW_INET, FW_LGWAN, IFILTER_CLIENTS, PROXY_INET, SURNAMES, Zone,
    host, is_terminal, owner, windows_terminal,
};
use super::expect::{AlertKey, ExpectedAlert, office_hours, rule};
use super::firewall::Flow;
use super::line::{Body, DemoLine, Draft};
use super::netfilter::{Packet, Proto, Verdict};
use super::ordinary::LINES_PER_SECOND;
use super::sample::{gap, linux_port, windows_port};
use super::squid::{Hier, SquidEntry};
use super::windows::{Logon, LogonType, Remote, WinEvent};

/// A labelled attack scenario: one for each rule of the policy rule pack (OMZ-01 to
/// OMZ-22, without OMZ-06), some raising more than one. [`Scenario::rules`] says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// A core terminal let out by a too-wide rule, to the internet zone or an outside
    /// update site (netfilter on fw-core): OMZ-01.
    CoreEgress,
    /// A core terminal trying other zones again and again, blocked by fw-core, at least
    /// ten times in ten minutes: OMZ-02, raised to high.
    CoreDenied,
    /// A core server reaching the public-sector partner on its allowlist (the
    /// intermediate server, 中間サーバー) on a port outside its tuple: OMZ-03.
    PartnerPort,
    /// An lgwan terminal reaching the internet zone directly, not through the
    /// sanitisation gateways (FortiGate, through a policy left too wide): OMZ-04.
    GatewayBypass,
    /// An internet-zone server sending mail or files straight into lgwan, not through
    /// the mail text relay or the file sanitiser: OMZ-05 (the pack leaves inbound mail
    /// and file ports to it rather than to OMZ-04).
    UnsanitisedInbound,
    /// An internet-zone terminal going out on 443 straight through fw-inet instead of
    /// through proxy-inet and the security cloud: OMZ-07.
    ProxyBypass,
    /// An lgwan terminal using a SaaS the city has not approved, through proxy-lgwan:
    /// OMZ-08.
    UnapprovedSaas,
    /// An internet-zone terminal whose requests to malicious sites fw-inet's URL
    /// filtering blocks, five domains or more within the hour: OMZ-09, raised to high.
    MaliciousSites,
    /// An infected lgwan terminal: fw-lgwan's antivirus blocks a download and its IPS
    /// drops exploit attempts against the file server: OMZ-10, raised to critical.
    Malware,
    /// One terminal probing at least 50 ports on at least 25 servers, all blocked, but
    /// under a hundred probes: OMZ-11.
    PortScan,
    /// One internet-zone terminal hammering one closed port of srv-inet01, well over a
    /// hundred denials in a minute: OMZ-12.
    DenyFlood,
    /// One internet-zone terminal uploading to one outside file service: a burst of
    /// POST/PUT calls to its API through proxy-inet, while the data itself goes straight
    /// to the service's address over HTTPS, through a PAN-OS rule left too wide, in
    /// sessions that carry over 50 MB in all: OMZ-13, and OMZ-07 for the direct
    /// sessions. Squid's native log records only the bytes sent back to the client, so
    /// its lines show the uploads' number and rhythm; fw-inet's `Bytes Sent` shows their
    /// volume.
    Exfiltration,
    /// A remote desktop logon to term-core, core's counter terminal, with no one-time
    /// code: a contractor's maintenance account (`hoshu01`, ...) from another core
    /// terminal, where remote desktop skips the MFA credential provider. The lines are
    /// the logon's Network Level Authentication step and the remote interactive logon,
    /// and mfa-core01 logs nothing within minutes of them: OMZ-14 and OMZ-20.
    MfaLessLogon,
    /// One source guessing one account's password on one server: at least 20 failures
    /// (OMZ-15), sometimes ending in a successful login (then OMZ-19 too).
    BruteForce,
    /// Network logons to term-lgwan01 failing for one account until Windows locks it
    /// out (4625s, then 4740): OMZ-15.
    Lockout,
    /// One source trying one password on each of at least 15 accounts: OMZ-16.
    PasswordSpraying,
    /// An administrator's account (`adm-`) logging on to term-lgwan01 from a staff
    /// terminal instead of the jump host: OMZ-17.
    PrivilegedLogon,
    /// A staff account that is no administrator creating a local account on
    /// term-lgwan01, resetting its password and adding it to Administrators: OMZ-18.
    AccountChange,
    /// Three wrong passwords and then the right one, from one source on one server:
    /// OMZ-19, and OMZ-15 for the account's failure lines.
    GuessedPassword,
    /// A vendor's SSL-VPN tunnel into lgwan on fw-lgwan with a password alone: OMZ-20.
    VpnWithoutMfa,
    /// A staff member logging on at term-lgwan01's console outside office hours:
    /// OMZ-21. Only a run that reaches past office hours has it.
    AfterHours,
    /// term-lgwan01's Security log cleared (1102): OMZ-22.
    AuditLogCleared,
}

impl Scenario {
    /// Every scenario, in label order.
    pub const ALL: [Scenario; 22] = [
        Scenario::CoreEgress,
        Scenario::CoreDenied,
        Scenario::PartnerPort,
        Scenario::GatewayBypass,
        Scenario::UnsanitisedInbound,
        Scenario::ProxyBypass,
        Scenario::UnapprovedSaas,
        Scenario::MaliciousSites,
        Scenario::Malware,
        Scenario::PortScan,
        Scenario::DenyFlood,
        Scenario::Exfiltration,
        Scenario::MfaLessLogon,
        Scenario::BruteForce,
        Scenario::Lockout,
        Scenario::PasswordSpraying,
        Scenario::PrivilegedLogon,
        Scenario::AccountChange,
        Scenario::GuessedPassword,
        Scenario::VpnWithoutMfa,
        Scenario::AfterHours,
        Scenario::AuditLogCleared,
    ];

    /// The label used in `ground-truth.jsonl` (`core_egress`, `brute_force`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::CoreEgress => "core_egress",
            Scenario::CoreDenied => "core_denied",
            Scenario::PartnerPort => "partner_port",
            Scenario::GatewayBypass => "gateway_bypass",
            Scenario::UnsanitisedInbound => "unsanitised_inbound",
            Scenario::ProxyBypass => "proxy_bypass",
            Scenario::UnapprovedSaas => "unapproved_saas",
            Scenario::MaliciousSites => "malicious_sites",
            Scenario::Malware => "malware",
            Scenario::PortScan => "port_scan",
            Scenario::DenyFlood => "deny_flood",
            Scenario::Exfiltration => "exfiltration",
            Scenario::MfaLessLogon => "mfa_less_logon",
            Scenario::BruteForce => "brute_force",
            Scenario::Lockout => "lockout",
            Scenario::PasswordSpraying => "password_spraying",
            Scenario::PrivilegedLogon => "privileged_logon",
            Scenario::AccountChange => "account_change",
            Scenario::GuessedPassword => "guessed_password",
            Scenario::VpnWithoutMfa => "vpn_without_mfa",
            Scenario::AfterHours => "after_hours",
            Scenario::AuditLogCleared => "audit_log_cleared",
        }
    }

    /// The rules of the pack the scenario always raises. A brute force that ends in a
    /// login adds OMZ-19, and any interactive logon on core or lgwan outside office
    /// hours adds OMZ-21, and so does a web request from lgwan.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Scenario::CoreEgress => &[rule::CORE_EGRESS],
            Scenario::CoreDenied => &[rule::CORE_DENIED],
            Scenario::PartnerPort => &[rule::PARTNER_PORT],
            Scenario::GatewayBypass => &[rule::GATEWAY_BYPASS],
            Scenario::UnsanitisedInbound => &[rule::UNSANITISED_INBOUND],
            Scenario::ProxyBypass => &[rule::PROXY_BYPASS],
            Scenario::UnapprovedSaas => &[rule::UNAPPROVED_SAAS],
            Scenario::MaliciousSites => &[rule::MALICIOUS_CATEGORY],
            Scenario::Malware => &[rule::MALWARE],
            Scenario::PortScan => &[rule::LATERAL_SCAN],
            Scenario::DenyFlood => &[rule::DENY_FLOOD],
            Scenario::Exfiltration => &[rule::PROXY_BYPASS, rule::UPLOAD_VOLUME],
            Scenario::MfaLessLogon => &[rule::MFA_LESS_CORE_LOGON, rule::REMOTE_WITHOUT_MFA],
            Scenario::BruteForce | Scenario::Lockout => &[rule::FAILURES],
            Scenario::PasswordSpraying => &[rule::SPRAYING],
            Scenario::PrivilegedLogon => &[rule::PRIVILEGED_LOGON],
            Scenario::AccountChange => &[rule::ACCOUNT_CHANGE],
            Scenario::GuessedPassword => &[rule::GUESSED_PASSWORD, rule::FAILURES],
            Scenario::VpnWithoutMfa => &[rule::REMOTE_WITHOUT_MFA],
            Scenario::AfterHours => &[rule::AFTER_HOURS],
            Scenario::AuditLogCleared => &[rule::PIPELINE],
        }
    }

    /// Whether the scenario must happen outside office hours.
    fn after_hours(self) -> bool {
        self == Scenario::AfterHours
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ground truth of an attack line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) scenario: Scenario,
    /// The instance's source: the host that attacks, or whose account does.
    pub(crate) src: Ipv4Addr,
    /// The alerts the line is evidence for.
    pub(crate) expect: Vec<ExpectedAlert>,
    /// The key OMZ-21 groups on if the line is interactive work and falls outside
    /// office hours: the account of a logon, the client of a web request.
    pub(crate) interactive: Option<AlertKey>,
}

/// One drafted line of an instance, `offset` after its start.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) offset: TimeDelta,
    pub(crate) src: Ipv4Addr,
    pub(crate) draft: Draft,
    pub(crate) expect: Vec<ExpectedAlert>,
    pub(crate) interactive: Option<AlertKey>,
}

impl Step {
    /// The line, at `at`, with its ground truth.
    pub(crate) fn render(self, scenario: Scenario, at: DateTime<Utc>) -> DemoLine {
        let label = Label {
            scenario,
            src: self.src,
            expect: self.expect,
            interactive: self.interactive,
        };
        self.draft.render(at, Some(label))
    }
}

/// One scenario instance, anchored to an ordinary line.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) scenario: Scenario,
    /// Index of the ordinary line whose time the instance starts at.
    pub(crate) anchor: usize,
    pub(crate) steps: Vec<Step>,
}

/// The attack side of a run.
#[derive(Debug)]
pub(crate) struct Plan {
    /// How many ordinary lines complete the run to `events`.
    pub(crate) ordinary: usize,
    /// Instances by anchor.
    pub(crate) instances: Vec<Instance>,
    /// Addresses the ordinary traffic must not use.
    pub(crate) reserved: BTreeSet<Ipv4Addr>,
}

/// Every this many events add one more instance of each scenario...
const EVENTS_PER_ROUND: usize = 50_000;
/// ...up to this many, which keeps the reserved attackers a small part of each zone.
const MAX_ROUNDS: usize = 16;
/// At most a quarter of a run is attack lines. Every scenario fits from 4 000 events
/// (the largest instances drafted come to under 1 000 lines); below that, the ones that
/// do not fit are left out, the costliest first.
const ATTACK_SHARE_DIVISOR: usize = 4;
/// ChaCha stream of the plan; the ordinary traffic draws from another, so neither
/// shifts the other.
const PLAN_STREAM: u64 = 1;
/// An after-hours instance keeps this far from opening and closing time, so that the
/// plan's estimate of when its anchor line comes (the run's nominal pace) may be off.
const AFTER_HOURS_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// Plans the attack scenarios of a run.
pub(crate) fn plan(spec: &DemoSpec) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(PLAN_STREAM);
    let rounds = (1 + spec.events / EVENTS_PER_ROUND).min(MAX_ROUNDS);
    let budget = spec.events / ATTACK_SHARE_DIVISOR;
    let run_len = TimeDelta::milliseconds((spec.events as f64 / LINES_PER_SECOND * 1e3) as i64);
    // Small runs cover little time; squeeze each burst into an eighth of the run so that
    // it still sits inside the ordinary traffic.
    let max_len = run_len / 8;
    // Which server the guessing scenarios hit alternates by round, from a seeded start.
    let guess_rot: usize = rng.random_range(0..2);
    let scan_rot: usize = rng.random_range(0..3);

    let mut cx = Cx {
        rng,
        reserved: BTreeSet::new(),
    };
    let mut drafted: Vec<(Scenario, f64, Vec<Step>)> = Vec::new();
    let mut used = 0;
    for round in 0..rounds {
        let guess_zone = |k: usize| [Zone::Internet, Zone::Lgwan][(round + guess_rot + k) % 2];
        // Cheapest first, so a small run keeps as many kinds as its budget allows.
        for scenario in [
            Scenario::AuditLogCleared,
            Scenario::VpnWithoutMfa,
            Scenario::MfaLessLogon,
            Scenario::AfterHours,
            Scenario::PrivilegedLogon,
            Scenario::AccountChange,
            Scenario::PartnerPort,
            Scenario::Malware,
            Scenario::UnapprovedSaas,
            Scenario::ProxyBypass,
            Scenario::CoreEgress,
            Scenario::GatewayBypass,
            Scenario::UnsanitisedInbound,
            Scenario::MaliciousSites,
            Scenario::Lockout,
            Scenario::GuessedPassword,
            Scenario::CoreDenied,
            Scenario::Exfiltration,
            Scenario::BruteForce,
            Scenario::PortScan,
            Scenario::DenyFlood,
            Scenario::PasswordSpraying,
        ] {
            let mut steps = match scenario {
                Scenario::CoreEgress => cx.core_egress(),
                Scenario::CoreDenied => cx.core_denied(),
                Scenario::PartnerPort => cx.partner_port(),
                Scenario::GatewayBypass => cx.gateway_bypass(),
                Scenario::UnsanitisedInbound => cx.unsanitised_inbound(),
                Scenario::ProxyBypass => cx.proxy_bypass(),
                Scenario::UnapprovedSaas => cx.unapproved_saas(),
                Scenario::MaliciousSites => cx.malicious_sites(),
                Scenario::Malware => cx.malware(),
                Scenario::PortScan => cx.port_scan(Zone::ALL[(round + scan_rot) % 3]),
                Scenario::DenyFlood => cx.deny_flood(),
                Scenario::Exfiltration => cx.exfiltration(),
                Scenario::MfaLessLogon => cx.mfa_less_logon(round),
                Scenario::BruteForce => cx.brute_force(guess_zone(0)),
                Scenario::Lockout => cx.lockout(round),
                Scenario::PasswordSpraying => cx.password_spraying(guess_zone(1)),
                Scenario::PrivilegedLogon => cx.privileged_logon(),
                Scenario::AccountChange => cx.account_change(round),
                Scenario::GuessedPassword => cx.guessed_password(guess_zone(0), round),
                Scenario::VpnWithoutMfa => cx.vpn_without_mfa(round),
                Scenario::AfterHours => cx.after_hours(),
                Scenario::AuditLogCleared => cx.audit_log_cleared(),
            };
            if steps.is_empty() || used + steps.len() > budget {
                continue;
            }
            squeeze(&mut steps, max_len);
            // Start within the second after the anchor line, not on its whole second.
            let lead = TimeDelta::microseconds(cx.rng.random_range(0..1_000_000));
            for step in &mut steps {
                step.offset += lead;
            }
            let at = if scenario.after_hours() {
                let len = steps.iter().map(|s| s.offset).max().unwrap_or_default();
                let Some(at) = after_hours_at(&mut cx.rng, spec, run_len, len) else {
                    continue;
                };
                at
            } else {
                cx.rng.random_range(0.05..0.8)
            };
            used += steps.len();
            drafted.push((scenario, at, steps));
        }
    }

    let ordinary = spec.events - used;
    let mut instances: Vec<Instance> = drafted
        .into_iter()
        .map(|(scenario, at, steps)| Instance {
            scenario,
            anchor: ((at * ordinary as f64) as usize).min(ordinary.saturating_sub(1)),
            steps,
        })
        .collect();
    instances.sort_by_key(|i| i.anchor);
    Plan {
        ordinary,
        instances,
        reserved: cx.reserved,
    }
}

/// Where in the run (as a share of its ordinary lines, 5 % to 95 %) an instance lasting
/// `len` lies wholly outside office hours with a margin either side, by the run's
/// nominal pace; a random one of those places, or `None` if the run has none.
fn after_hours_at(
    rng: &mut ChaCha8Rng,
    spec: &DemoSpec,
    run_len: TimeDelta,
    len: TimeDelta,
) -> Option<f64> {
    let closed = |t: DateTime<Utc>| !office_hours(t);
    let places: Vec<f64> = (5..=95)
        .map(|percent| f64::from(percent) / 100.0)
        .filter(|&share| {
            let start = spec.start
                + TimeDelta::milliseconds((run_len.num_milliseconds() as f64 * share) as i64);
            closed(start - AFTER_HOURS_MARGIN)
                && closed(start)
                && closed(start + len)
                && closed(start + len + AFTER_HOURS_MARGIN)
        })
        .collect();
    places.choose(rng).copied()
}

/// Scales a burst's timing down so it lasts at most `max_len`.
fn squeeze(steps: &mut [Step], max_len: TimeDelta) {
    // Session lines are written when the session ends, so the last step need not be
    // the latest.
    let Some(last) = steps.iter().map(|s| s.offset).max() else {
        return;
    };
    if last <= max_len || last <= TimeDelta::zero() {
        return;
    }
    let factor = max_len.num_microseconds().unwrap_or(0) as f64
        / last.num_microseconds().unwrap_or(1) as f64;
    let scale = |d: TimeDelta| {
        TimeDelta::microseconds((d.num_microseconds().unwrap_or(0) as f64 * factor) as i64)
    };
    for step in steps {
        step.offset = scale(step.offset);
        // A line's duration says when the request or session began; it shrinks with the
        // rest, so that the beginning stays inside the burst.
        match &mut step.draft.body {
            Body::Squid(entry) => {
                entry.duration_ms = (f64::from(entry.duration_ms) * factor) as u32;
            }
            Body::Fortigate(log) => log.session.duration = scale(log.session.duration),
            Body::Panos(log) => log.session.duration = scale(log.session.duration),
            _ => {}
        }
    }
}

/// Accounts attackers guess that exist on no server of the city.
const GUESSED: [&str; 16] = [
    "admin",
    "test",
    "user",
    "guest",
    "oracle",
    "postgres",
    "ubuntu",
    "ftpuser",
    "backup",
    "operator",
    "support",
    "git",
    "deploy",
    "webmaster",
    "info",
    "pi",
];

/// Ports a scan probes: nmap's common TCP ports minus every port the terminals may reach
/// on a server, so that the firewall blocks the whole scan.
const SCAN_PORTS: [u16; 90] = [
    21, 23, 26, 37, 79, 80, 81, 106, 110, 111, 113, 119, 135, 139, 143, 144, 161, 179, 199, 254,
    255, 280, 311, 427, 444, 465, 497, 513, 514, 515, 543, 544, 548, 554, 631, 646, 873, 990, 995,
    1025, 1026, 1027, 1028, 1029, 1110, 1433, 1720, 1723, 1755, 1900, 2000, 2001, 2049, 2121, 2717,
    3000, 3128, 3306, 3389, 3986, 4899, 5000, 5009, 5051, 5060, 5101, 5190, 5357, 5432, 5631, 5666,
    5800, 5900, 6000, 6001, 6646, 7070, 8000, 8008, 8009, 8081, 8443, 8888, 9100, 9999, 10000,
    32768, 49152, 49153, 49154,
];

/// The exfiltration target: a file-transfer service outside the city (a reserved name).
const EXFIL_HOST: &str = "files.example.net";

/// How many sessions carry the exfiltrated data straight to the service, and how much
/// each sends: at least 60 MB in all, over OMZ-13's 50 MB an hour.
const EXFIL_DIRECT_SESSIONS: std::ops::RangeInclusive<u32> = 4..=7;
const EXFIL_SESSION_BYTES: std::ops::RangeInclusive<u64> = 15_000_000..=30_000_000;

/// Contractors' maintenance accounts (保守用アカウント) and the PCs they bring, one per
/// round of the MFA-less logon; ordinary traffic never uses them.
const MAINTENANCE: [(&str, &str); 16] = [
    ("hoshu01", "HOSHU-PC01"),
    ("hoshu02", "HOSHU-PC02"),
    ("hoshu03", "HOSHU-PC03"),
    ("hoshu04", "HOSHU-PC04"),
    ("hoshu05", "HOSHU-PC05"),
    ("hoshu06", "HOSHU-PC06"),
    ("hoshu07", "HOSHU-PC07"),
    ("hoshu08", "HOSHU-PC08"),
    ("hoshu09", "HOSHU-PC09"),
    ("hoshu10", "HOSHU-PC10"),
    ("hoshu11", "HOSHU-PC11"),
    ("hoshu12", "HOSHU-PC12"),
    ("hoshu13", "HOSHU-PC13"),
    ("hoshu14", "HOSHU-PC14"),
    ("hoshu15", "HOSHU-PC15"),
    ("hoshu16", "HOSHU-PC16"),
];

/// Planning state: the plan's random stream and the addresses taken so far.
pub(super) struct Cx {
    pub(super) rng: ChaCha8Rng,
    reserved: BTreeSet<Ipv4Addr>,
}

/// Collects an instance's steps as time moves forward, each labelled with the alerts
/// it is evidence for ([`Burst::expect`]).
pub(super) struct Burst {
    pub(super) t: TimeDelta,
    steps: Vec<Step>,
    /// What the lines pushed from now on are evidence for.
    expect: Vec<ExpectedAlert>,
}

impl Burst {
    pub(super) fn new() -> Burst {
        Burst {
            t: TimeDelta::zero(),
            steps: Vec::new(),
            expect: Vec::new(),
        }
    }

    /// Labels the lines pushed from now on with `alerts` (none: attack lines that no
    /// rule looks at on their own).
    pub(super) fn expect(&mut self, alerts: &[ExpectedAlert]) {
        self.expect = alerts.to_vec();
    }

    pub(super) fn wait(&mut self, by: TimeDelta) {
        self.t += by;
    }

    pub(super) fn push(&mut self, src: Ipv4Addr, draft: Draft) {
        self.push_at(self.t, src, draft);
    }

    /// An interactive logon of `user`, which OMZ-21 flags outside office hours.
    pub(super) fn push_logon(&mut self, src: Ipv4Addr, draft: Draft, user: &'static str) {
        self.push_interactive(src, draft, AlertKey::User(user));
    }

    /// A web request of `src`, which OMZ-21 flags outside office hours.
    pub(super) fn push_web(&mut self, src: Ipv4Addr, draft: Draft) {
        self.push_interactive(src, draft, AlertKey::Ip(src));
    }

    fn push_interactive(&mut self, src: Ipv4Addr, draft: Draft, key: AlertKey) {
        self.push(src, draft);
        if let Some(step) = self.steps.last_mut() {
            step.interactive = Some(key);
        }
    }

    pub(super) fn push_at(&mut self, offset: TimeDelta, src: Ipv4Addr, draft: Draft) {
        self.steps.push(Step {
            offset,
            src,
            draft,
            expect: self.expect.clone(),
            interactive: None,
        });
    }

    /// A flow whose first packet passed at `start`, logged when `fw` writes it.
    pub(super) fn flow(&mut self, start: TimeDelta, fw: &'static Device, flow: &Flow) {
        let (delay, draft) = flow.log(fw);
        self.push_at(start + delay, flow.packet.src, draft);
    }

    pub(super) fn steps(self) -> Vec<Step> {
        self.steps
    }
}

impl Cx {
    /// An unused terminal of `zone`, from then on the attacker's; never a collected
    /// Windows terminal, whose logons are ordinary.
    pub(super) fn reserve_terminal(&mut self, zone: Zone) -> Ipv4Addr {
        let collected = windows_terminal(zone).map(|t| t.ip);
        loop {
            let ip = zone.terminal(self.rng.random_range(0..zone.terminal_count()));
            if Some(ip) != collected && self.reserved.insert(ip) {
                return ip;
            }
        }
    }

    /// An unused internet-zone terminal that browses through Squid (proxy-inet), whose
    /// lines the proxy steps of a scenario write.
    pub(super) fn reserve_squid_client(&mut self) -> Ipv4Addr {
        loop {
            let i = self.rng.random_range(0..Zone::Internet.terminal_count());
            let ip = Zone::Internet.terminal(i);
            if ip < IFILTER_CLIENTS && self.reserved.insert(ip) {
                return ip;
            }
        }
    }

    /// An unused server of `zone`'s server segment outside the well-known hosts.
    pub(super) fn reserve_server(&mut self, zone: Zone) -> Ipv4Addr {
        loop {
            let ip = zone.server(self.rng.random_range(host::OTHER_SERVERS));
            if self.reserved.insert(ip) {
                return ip;
            }
        }
    }

    /// A guessing host that can reach `zone`'s SSH server: an infected terminal in the
    /// internet zone, a compromised neighbour server elsewhere.
    pub(super) fn guesser(&mut self, zone: Zone) -> Ipv4Addr {
        match zone {
            Zone::Internet => self.reserve_terminal(zone),
            Zone::Core | Zone::Lgwan => self.reserve_server(zone),
        }
    }

    /// A new connection from `src` to `zone`'s sshd, and its flow through the firewall
    /// when the client sits on another segment, to be logged by [`Cx::ssh_close`].
    pub(super) fn ssh_connect(
        &mut self,
        burst: &mut Burst,
        zone: Zone,
        src: Ipv4Addr,
    ) -> (SshConn, Option<(TimeDelta, Flow)>) {
        let windows = is_terminal(src);
        let port = if windows {
            windows_port(&mut self.rng)
        } else {
            linux_port(&mut self.rng)
        };
        let flow = windows.then(|| {
            let dst = zone.server(host::SSH_SERVER);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, dst, port, 22);
            let mut flow = Flow::new(&mut self.rng, pkt);
            // Key exchange and a few password prompts: a few kilobytes each way.
            let sent = self.rng.random_range(2_500..6_000);
            let rcvd = self.rng.random_range(3_000..7_000);
            flow.session.set_bytes(pkt.proto, sent, rcvd);
            let start = burst.t;
            burst.wait(gap(&mut self.rng, 0.05, 0.3));
            (start, flow)
        });
        let conn = SshConn {
            dev: zone.ssh_server(),
            // Far above the servers' ordinary pids, so attack connections never share one.
            pid: self.rng.random_range(200_000..4_000_000),
            src,
            port,
        };
        (conn, flow)
    }

    /// Logs an SSH connection's flow as it closes now (netfilter logged it as it opened).
    /// The flow raises nothing itself: a permitted SSH connection inside a zone.
    pub(super) fn ssh_close(burst: &mut Burst, zone: Zone, flow: Option<(TimeDelta, Flow)>) {
        if let Some((start, flow)) = flow {
            let flow = flow.lasting(burst.t - start + TimeDelta::milliseconds(20));
            let expect = std::mem::take(&mut burst.expect);
            burst.flow(start, zone.firewall(), &flow);
            burst.expect = expect;
        }
    }

    fn brute_force(&mut self, zone: Zone) -> Vec<Step> {
        let src = self.guesser(zone);
        // A staff admin's account half the time, else root or a stock name.
        let acct = match self.rng.random_range(0..10) {
            0..5 => Account {
                name: zone.admins().choose(&mut self.rng).map_or("root", |a| a.0),
                valid: true,
            },
            5..8 => Account {
                name: "root",
                valid: true,
            },
            _ => Account {
                name: GUESSED[self.rng.random_range(0..4)],
                valid: false,
            },
        };
        let mut left: usize = self.rng.random_range(20..=36);
        // A staff account's password is sometimes weak enough.
        let succeeds = acct.valid && acct.name != "root" && self.rng.random_bool(0.5);
        let mut b = Burst::new();
        let failures = ExpectedAlert::user(rule::FAILURES, acct.name);
        let guessed = ExpectedAlert::ip(rule::GUESSED_PASSWORD, src);
        if succeeds {
            b.expect(&[failures, guessed]);
        } else {
            b.expect(&[failures]);
        }
        while left > 0 {
            let tries = left.min(self.rng.random_range(3..=6));
            left -= tries;
            let (conn, flow) = self.ssh_connect(&mut b, zone, src);
            if !acct.valid {
                b.push(src, conn.invalid_user(acct.name));
            }
            b.push(src, conn.pam_auth_failure(acct));
            for _ in 0..tries {
                // sshd's failure delay plus the tool's round trip.
                b.wait(gap(&mut self.rng, 1.6, 3.2));
                b.push(src, conn.failed("password", acct));
            }
            if tries == 6 {
                b.push(src, conn.max_attempts(acct));
                b.push(src, conn.too_many_failures(acct));
            } else {
                b.push(src, conn.closed_preauth(acct));
            }
            if tries > 1 {
                b.push(src, conn.pam_more_failures(tries - 1, acct));
            }
            Cx::ssh_close(&mut b, zone, flow);
            b.wait(gap(&mut self.rng, 0.2, 2.0));
        }
        // The session lines that follow a login name no source, so they stay out of the
        // burst: every labelled line names the source it is keyed on. The connection's
        // flow does, and a session-logging firewall writes it when the attacker logs out.
        if succeeds {
            let (conn, flow) = self.ssh_connect(&mut b, zone, src);
            b.wait(gap(&mut self.rng, 1.6, 3.2));
            b.expect(&[guessed]);
            b.push_logon(src, conn.accepted("password", acct.name), acct.name);
            let login = b.t;
            b.wait(gap(&mut self.rng, 60.0, 600.0));
            Cx::ssh_close(&mut b, zone, flow);
            b.t = login;
        }
        b.steps()
    }

    fn password_spraying(&mut self, zone: Zone) -> Vec<Step> {
        let src = self.guesser(zone);
        // Staff names (some with accounts on this server), root, and the usual guesses.
        let mut names: Vec<Account> = SURNAMES
            .iter()
            .map(|&name| Account {
                name,
                valid: zone.admins().iter().any(|&(a, _)| a == name),
            })
            .chain(GUESSED.iter().map(|&name| Account { name, valid: false }))
            .chain([Account {
                name: "root",
                valid: true,
            }])
            .collect();
        names.shuffle(&mut self.rng);
        names.truncate(self.rng.random_range(15..=22));

        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::SPRAYING, src)]);
        for acct in names {
            let (conn, flow) = self.ssh_connect(&mut b, zone, src);
            if !acct.valid {
                b.push(src, conn.invalid_user(acct.name));
            }
            b.push(src, conn.pam_auth_failure(acct));
            // One password each: sshd and PAM write up to four failure lines for it,
            // under OMZ-15's five for the account.
            b.wait(gap(&mut self.rng, 1.6, 3.2));
            b.push(src, conn.failed("password", acct));
            b.push(src, conn.closed_preauth(acct));
            Cx::ssh_close(&mut b, zone, flow);
            // Low and slow, to stay under per-account lockouts.
            b.wait(gap(&mut self.rng, 4.0, 20.0));
        }
        b.steps()
    }

    fn port_scan(&mut self, zone: Zone) -> Vec<Step> {
        let src = self.reserve_terminal(zone);
        let hosts: u8 = self.rng.random_range(25..=40);
        let mut ports = SCAN_PORTS;
        ports.shuffle(&mut self.rng);
        // Under a hundred probes, so that however fast the scan runs it never looks
        // like a flood of denials (OMZ-12) on top of a scan.
        let probes: usize = self.rng.random_range(60..=95);
        // Pairing probe j with host j mod H and port j mod P touches every host and
        // min(probes, P) ≥ 60 distinct ports; the order is then shuffled, as nmap does.
        let mut order: Vec<(Ipv4Addr, u16)> = (0..probes)
            .map(|j| {
                let h = 2 + (j % usize::from(hosts)) as u8;
                (zone.server(h), ports[j % ports.len()])
            })
            .collect();
        order.shuffle(&mut self.rng);

        // nmap's SYN probe: one source port per scan, window 1024, 44 bytes, no DF.
        let sport = self.rng.random_range(33000..65000);
        let origin_ttl = self.rng.random_range(38..=59);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::LATERAL_SCAN, src)]);
        for (dst, dport) in order {
            let pkt = Packet {
                verdict: Verdict::Block,
                src,
                dst,
                proto: Proto::TcpSyn { window: 1024 },
                sport,
                dport,
                len: 44,
                origin_ttl,
                id: self.rng.random(),
                df: false,
            };
            let flow = Flow::new(&mut self.rng, pkt);
            b.flow(b.t, zone.firewall(), &flow);
            b.wait(gap(&mut self.rng, 0.005, 0.3));
        }
        b.steps()
    }

    /// A core terminal let out by a too-wide rule: to an outside update site or a
    /// server of the internet zone.
    fn core_egress(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Core);
        let (dst, dport) = if self.rng.random_bool(0.7) {
            (
                self.outside(),
                *[443, 80].choose(&mut self.rng).unwrap_or(&443),
            )
        } else {
            (Zone::Internet.server(host::SSH_SERVER), 443)
        };
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::CORE_EGRESS, src)]);
        for _ in 0..self.rng.random_range(2..=5) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, dst, sport, dport);
            let flow = Flow::new(&mut self.rng, pkt);
            b.flow(b.t, &FW_CORE, &flow);
            b.wait(gap(&mut self.rng, 5.0, 40.0));
        }
        b.steps()
    }

    /// An lgwan terminal reaching the internet zone directly, not through the
    /// screen-transfer, file or mail gateways. FortiGate writes each session as it ends.
    fn gateway_bypass(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Lgwan);
        let (dst, dport) = if self.rng.random_bool(0.5) {
            (Zone::Internet.server(host::SSH_SERVER), 445)
        } else {
            let i = self.rng.random_range(0..Zone::Internet.terminal_count());
            (Zone::Internet.terminal(i), 3389)
        };
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::GATEWAY_BYPASS, src)]);
        for _ in 0..self.rng.random_range(2..=5) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, dst, sport, dport);
            let flow = Flow::new(&mut self.rng, pkt);
            b.flow(b.t, &FW_LGWAN, &flow);
            b.wait(gap(&mut self.rng, 5.0, 40.0));
        }
        b.steps()
    }

    /// An address on the Internet (TEST-NET-1).
    pub(super) fn outside(&mut self) -> Ipv4Addr {
        Ipv4Addr::new(192, 0, 2, self.rng.random_range(10..=250))
    }

    /// A keep-alive connection from `src` to proxy-inet carrying a few API calls.
    fn proxy_flow(&mut self, src: Ipv4Addr, proxy: Ipv4Addr) -> Flow {
        let sport = windows_port(&mut self.rng);
        let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, proxy, sport, 8080);
        let mut flow = Flow::new(&mut self.rng, pkt);
        let sent = self.rng.random_range(8_000..60_000);
        let rcvd = self.rng.random_range(6_000..30_000);
        flow.session.set_bytes(pkt.proto, sent, rcvd);
        flow
    }

    fn exfiltration(&mut self) -> Vec<Step> {
        let src = self.reserve_squid_client();
        let user = if self.rng.random_bool(0.5) {
            owner(src)
        } else {
            "-"
        };
        let session: u64 = self.rng.random();
        let uploads: u32 = self.rng.random_range(15..=30);
        let proxy = Zone::Internet.server(host::PROXY);
        // The service's storage address, which the data goes to directly.
        let storage = self.outside();
        let direct: u32 = self.rng.random_range(EXFIL_DIRECT_SESSIONS);
        let mut b = Burst::new();
        // The calls through the proxy are ordinary in size and kind; the volume and the
        // way out are in the direct sessions.
        let straight_out = [
            ExpectedAlert::ip(rule::PROXY_BYPASS, src),
            ExpectedAlert::ip(rule::UPLOAD_VOLUME, src),
        ];

        let mut to_proxy = (b.t, self.proxy_flow(src, proxy));
        b.wait(gap(&mut self.rng, 0.3, 0.9));
        let entry = |method, url, status, duration_ms, bytes| SquidEntry {
            duration_ms,
            client: src,
            result: "TCP_MISS",
            status,
            bytes,
            method,
            url,
            user,
            hier: Hier::Parent(CLOUD_PROXY),
            content_type: "application/json",
        };
        let open = entry(
            "POST",
            format!("https://{EXFIL_HOST}/api/v2/sessions"),
            201,
            self.rng.random_range(150..700),
            self.rng.random_range(280..420),
        );
        b.push(src, squid(open));
        for part in 1..uploads {
            if part == uploads / 2 {
                // The client's keep-alive connection to the proxy was recycled.
                let (start, flow) = to_proxy;
                b.flow(start, &FW_INET, &flow.lasting(b.t - start));
                to_proxy = (b.t, self.proxy_flow(src, proxy));
            }
            if (part - 1) * direct % (uploads - 1) < direct {
                // A stream of parts straight to storage, written by PAN-OS as it ends.
                let sport = windows_port(&mut self.rng);
                let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, storage, sport, 443);
                let mut flow = Flow::new(&mut self.rng, pkt);
                let sent = self.rng.random_range(EXFIL_SESSION_BYTES);
                let rcvd = self.rng.random_range(40_000..200_000);
                flow.session.set_bytes(pkt.proto, sent, rcvd);
                let secs = self.rng.random_range(20.0..90.0);
                let flow = flow.lasting(TimeDelta::milliseconds((secs * 1_000.0) as i64));
                b.expect(&straight_out);
                b.flow(b.t, &FW_INET, &flow);
                b.expect(&[]);
            }
            // Each part is registered once it is up; Squid logs the call when the reply
            // comes back.
            let duration = self.rng.random_range(4_000..25_000);
            b.wait(TimeDelta::milliseconds(i64::from(duration)));
            let bytes = self.rng.random_range(180..420);
            let e = if self.rng.random_bool(0.8) {
                let url =
                    format!("https://{EXFIL_HOST}/api/v2/sessions/{session:016x}/chunks/{part}");
                entry("PUT", url, 200, duration, bytes)
            } else {
                let url = format!(
                    "https://{EXFIL_HOST}/api/v2/upload?session={session:016x}&part={part}"
                );
                entry("POST", url, 201, duration, bytes)
            };
            b.push(src, squid(e));
            b.wait(gap(&mut self.rng, 0.2, 3.0));
        }
        let (start, flow) = to_proxy;
        b.flow(start, &FW_INET, &flow.lasting(b.t - start));
        b.steps()
    }

    /// A contractor's maintenance account logs on to term-core by remote desktop from
    /// another core terminal, with no one-time code.
    fn mfa_less_logon(&mut self, round: usize) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Core) else {
            return Vec::new();
        };
        let src = self.reserve_terminal(Zone::Core);
        let k = round % MAINTENANCE.len();
        let (user, pc) = MAINTENANCE[k];
        let port = windows_port(&mut self.rng);
        let mut b = Burst::new();
        b.expect(&[
            ExpectedAlert::user(rule::MFA_LESS_CORE_LOGON, user),
            ExpectedAlert::user(rule::REMOTE_WITHOUT_MFA, user),
        ]);
        let nla = Logon::new(
            &mut self.rng,
            term,
            (user, false),
            LogonType::Network,
            Some(Remote {
                ip: src,
                port,
                workstation: "-",
            }),
        );
        b.push(src, WinEvent::Logon(nla).draft());
        // Straight from the password to the desktop: no code is asked for.
        b.wait(gap(&mut self.rng, 2.0, 6.0));
        let rdp = Logon::new(
            &mut self.rng,
            term,
            (user, false),
            LogonType::RemoteInteractive,
            Some(Remote {
                ip: src,
                port: 0,
                workstation: pc,
            }),
        );
        b.push_logon(src, WinEvent::Logon(rdp).draft(), user);
        b.steps()
    }
}

fn squid(entry: SquidEntry) -> Draft {
    Draft {
        dev: &PROXY_INET,
        body: Body::Squid(entry),
    }
}
