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

use chrono::TimeDelta;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DemoSpec;
use super::auth::{Account, SshConn};
use super::city::{
    CLOUD_PROXY, Device, FW_CORE, FW_INET, FW_LGWAN, PROXY_INET, SURNAMES, Zone, host, is_terminal,
    owner, windows_terminal,
};
use super::firewall::Flow;
use super::line::{Body, Draft};
use super::netfilter::{Packet, Proto, Verdict};
use super::ordinary::LINES_PER_SECOND;
use super::sample::{gap, linux_port, windows_port};
use super::squid::{Hier, SquidEntry};
use super::windows::{Logon, LogonType, Remote, WinEvent};

/// A labelled attack scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// One source guessing one account's password on one server: at least 20 failures,
    /// sometimes ending in a successful login.
    BruteForce,
    /// One source trying one or two passwords on each of at least 15 accounts.
    PasswordSpraying,
    /// One terminal probing at least 60 ports on at least 25 servers, all blocked.
    PortScan,
    /// Flows the three-layer model forbids, permitted by a firewall: core to the Internet
    /// or the internet zone (netfilter on fw-core), and lgwan straight to the internet
    /// zone or the Internet, bypassing the sanitisation gateways (FortiGate on fw-lgwan,
    /// through a policy left too wide). The instance has two sources, one per flow.
    CrossZoneViolation,
    /// One internet-zone terminal uploading to one outside file service: a burst of
    /// POST/PUT calls to its API through proxy-inet, while the data itself goes straight
    /// to the service's address over HTTPS, through a PAN-OS rule left too wide, in
    /// sessions that carry over 50 MB in all. Squid's native log records only the bytes
    /// sent back to the client, so its lines show the uploads' number and rhythm; fw-inet's
    /// `Bytes Sent` shows their volume.
    Exfiltration,
    /// A remote desktop logon to term-core, core's counter terminal, with no one-time
    /// code: a contractor's maintenance account (`hoshu01`, ...) from another core
    /// terminal, where remote desktop skips the MFA credential provider. The lines are
    /// the logon's Network Level Authentication step and the remote interactive logon,
    /// and mfa-core01 logs nothing within minutes of them.
    MfaLessLogon,
}

impl Scenario {
    /// Every scenario, in label order.
    pub const ALL: [Scenario; 6] = [
        Scenario::BruteForce,
        Scenario::PasswordSpraying,
        Scenario::PortScan,
        Scenario::CrossZoneViolation,
        Scenario::Exfiltration,
        Scenario::MfaLessLogon,
    ];

    /// The label used in `ground-truth.jsonl` (`brute_force`, `password_spraying`,
    /// `port_scan`, `cross_zone_violation`, `exfiltration`, `mfa_less_logon`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::BruteForce => "brute_force",
            Scenario::PasswordSpraying => "password_spraying",
            Scenario::PortScan => "port_scan",
            Scenario::CrossZoneViolation => "cross_zone_violation",
            Scenario::Exfiltration => "exfiltration",
            Scenario::MfaLessLogon => "mfa_less_logon",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ground truth of an attack line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) scenario: Scenario,
    /// The source the detection keys on.
    pub(crate) src: Ipv4Addr,
}

/// One drafted line of an instance, `offset` after its start.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) offset: TimeDelta,
    pub(crate) src: Ipv4Addr,
    pub(crate) draft: Draft,
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
/// At most a quarter of a run is attack lines. All six scenarios always fit from 1 800
/// events (the largest instances drafted come to 441 lines), usually from 1 300; below
/// that, the ones that do not fit are left out, the costliest first.
const ATTACK_SHARE_DIVISOR: usize = 4;
/// ChaCha stream of the plan; the ordinary traffic draws from another, so neither
/// shifts the other.
const PLAN_STREAM: u64 = 1;

/// Plans the attack scenarios of a run.
pub(crate) fn plan(spec: &DemoSpec) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    rng.set_stream(PLAN_STREAM);
    let rounds = (1 + spec.events / EVENTS_PER_ROUND).min(MAX_ROUNDS);
    let budget = spec.events / ATTACK_SHARE_DIVISOR;
    // Small runs cover little time; squeeze each burst into an eighth of the run so that
    // it still sits inside the ordinary traffic.
    let max_len = TimeDelta::milliseconds((spec.events as f64 / LINES_PER_SECOND * 125.0) as i64);
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
            Scenario::MfaLessLogon,
            Scenario::CrossZoneViolation,
            Scenario::Exfiltration,
            Scenario::BruteForce,
            Scenario::PasswordSpraying,
            Scenario::PortScan,
        ] {
            let mut steps = match scenario {
                Scenario::BruteForce => cx.brute_force(guess_zone(0)),
                Scenario::PasswordSpraying => cx.password_spraying(guess_zone(1)),
                Scenario::PortScan => cx.port_scan(Zone::ALL[(round + scan_rot) % 3]),
                Scenario::CrossZoneViolation => cx.cross_zone_violation(),
                Scenario::Exfiltration => cx.exfiltration(),
                Scenario::MfaLessLogon => cx.mfa_less_logon(round),
            };
            if used + steps.len() > budget {
                continue;
            }
            used += steps.len();
            squeeze(&mut steps, max_len);
            // Start within the second after the anchor line, not on its whole second.
            let lead = TimeDelta::microseconds(cx.rng.random_range(0..1_000_000));
            for step in &mut steps {
                step.offset += lead;
            }
            let at = cx.rng.random_range(0.05..0.8);
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
struct Cx {
    rng: ChaCha8Rng,
    reserved: BTreeSet<Ipv4Addr>,
}

/// Collects an instance's steps as time moves forward.
struct Burst {
    t: TimeDelta,
    steps: Vec<Step>,
}

impl Burst {
    fn new() -> Burst {
        Burst {
            t: TimeDelta::zero(),
            steps: Vec::new(),
        }
    }

    fn wait(&mut self, by: TimeDelta) {
        self.t += by;
    }

    fn push(&mut self, src: Ipv4Addr, draft: Draft) {
        self.push_at(self.t, src, draft);
    }

    fn push_at(&mut self, offset: TimeDelta, src: Ipv4Addr, draft: Draft) {
        self.steps.push(Step { offset, src, draft });
    }

    /// A flow whose first packet passed at `start`, logged when `fw` writes it.
    fn flow(&mut self, start: TimeDelta, fw: &'static Device, flow: &Flow) {
        let (delay, draft) = flow.log(fw);
        self.push_at(start + delay, flow.packet.src, draft);
    }
}

impl Cx {
    /// An unused terminal of `zone`, from then on the attacker's; never a collected
    /// Windows terminal, whose logons are ordinary.
    fn reserve_terminal(&mut self, zone: Zone) -> Ipv4Addr {
        let collected = windows_terminal(zone).map(|t| t.ip);
        loop {
            let ip = zone.terminal(self.rng.random_range(0..zone.terminal_count()));
            if Some(ip) != collected && self.reserved.insert(ip) {
                return ip;
            }
        }
    }

    /// An unused server of `zone`'s server segment outside the well-known hosts.
    fn reserve_server(&mut self, zone: Zone) -> Ipv4Addr {
        loop {
            let ip = zone.server(self.rng.random_range(host::OTHER_SERVERS));
            if self.reserved.insert(ip) {
                return ip;
            }
        }
    }

    /// A guessing host that can reach `zone`'s SSH server: an infected terminal in the
    /// internet zone, a compromised neighbour server elsewhere.
    fn guesser(&mut self, zone: Zone) -> Ipv4Addr {
        match zone {
            Zone::Internet => self.reserve_terminal(zone),
            Zone::Core | Zone::Lgwan => self.reserve_server(zone),
        }
    }

    /// A new connection from `src` to `zone`'s sshd, and its flow through the firewall
    /// when the client sits on another segment, to be logged by [`Cx::ssh_close`].
    fn ssh_connect(
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
    fn ssh_close(burst: &mut Burst, zone: Zone, flow: Option<(TimeDelta, Flow)>) {
        if let Some((start, flow)) = flow {
            let flow = flow.lasting(burst.t - start + TimeDelta::milliseconds(20));
            burst.flow(start, zone.firewall(), &flow);
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
        let mut b = Burst::new();
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
        // A staff account's password is sometimes weak enough. The session lines that
        // follow a login name no source, so they stay out of the burst: every labelled
        // line names the source it is keyed on. The connection's flow does, and a
        // session-logging firewall writes it when the attacker logs out.
        if acct.valid && acct.name != "root" && self.rng.random_bool(0.5) {
            let (conn, flow) = self.ssh_connect(&mut b, zone, src);
            b.wait(gap(&mut self.rng, 1.6, 3.2));
            b.push(src, conn.accepted("password", acct.name));
            let login = b.t;
            b.wait(gap(&mut self.rng, 60.0, 600.0));
            Cx::ssh_close(&mut b, zone, flow);
            b.t = login;
        }
        b.steps
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
        for acct in names {
            let (conn, flow) = self.ssh_connect(&mut b, zone, src);
            if !acct.valid {
                b.push(src, conn.invalid_user(acct.name));
            }
            b.push(src, conn.pam_auth_failure(acct));
            let tries = self.rng.random_range(1..=2);
            for _ in 0..tries {
                b.wait(gap(&mut self.rng, 1.6, 3.2));
                b.push(src, conn.failed("password", acct));
            }
            b.push(src, conn.closed_preauth(acct));
            if tries > 1 {
                b.push(src, conn.pam_more_failures(tries - 1, acct));
            }
            Cx::ssh_close(&mut b, zone, flow);
            // Low and slow, to stay under per-account lockouts.
            b.wait(gap(&mut self.rng, 4.0, 20.0));
        }
        b.steps
    }

    fn port_scan(&mut self, zone: Zone) -> Vec<Step> {
        let src = self.reserve_terminal(zone);
        let hosts: u8 = self.rng.random_range(25..=40);
        let mut ports = SCAN_PORTS;
        ports.shuffle(&mut self.rng);
        let probes: usize = self.rng.random_range(90..=140);
        // Pairing probe j with host j mod H and port j mod P touches every host and
        // min(probes, P) ≥ 90 distinct ports; the order is then shuffled, as nmap does.
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
        b.steps
    }

    fn cross_zone_violation(&mut self) -> Vec<Step> {
        let mut b = Burst::new();
        // A core terminal let out by a too-wide rule: to an outside update site or a
        // server of the internet zone.
        let core_src = self.reserve_terminal(Zone::Core);
        let (dst, dport) = if self.rng.random_bool(0.7) {
            (
                self.outside(),
                *[443, 80].choose(&mut self.rng).unwrap_or(&443),
            )
        } else {
            (Zone::Internet.server(host::SSH_SERVER), 443)
        };
        for _ in 0..self.rng.random_range(2..=5) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, core_src, dst, sport, dport);
            let flow = Flow::new(&mut self.rng, pkt);
            b.flow(b.t, &FW_CORE, &flow);
            b.wait(gap(&mut self.rng, 5.0, 40.0));
        }
        b.wait(gap(&mut self.rng, 10.0, 60.0));

        // An lgwan terminal reaching the internet zone or the Internet directly, not
        // through the screen-transfer, file or mail gateways. FortiGate writes each
        // session as it ends.
        let lgwan_src = self.reserve_terminal(Zone::Lgwan);
        let (dst, dport) = match self.rng.random_range(0..3) {
            0 => (Zone::Internet.server(host::SSH_SERVER), 445),
            1 => {
                let i = self.rng.random_range(0..Zone::Internet.terminal_count());
                (Zone::Internet.terminal(i), 3389)
            }
            _ => (self.outside(), 443),
        };
        for _ in 0..self.rng.random_range(2..=5) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, lgwan_src, dst, sport, dport);
            let flow = Flow::new(&mut self.rng, pkt);
            b.flow(b.t, &FW_LGWAN, &flow);
            b.wait(gap(&mut self.rng, 5.0, 40.0));
        }
        b.steps
    }

    /// An address on the Internet (TEST-NET-1).
    fn outside(&mut self) -> Ipv4Addr {
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
        let src = self.reserve_terminal(Zone::Internet);
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
                b.flow(b.t, &FW_INET, &flow);
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
        b.steps
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
        b.push(src, WinEvent::Logon(rdp).draft());
        b.steps
    }
}

fn squid(entry: SquidEntry) -> Draft {
    Draft {
        dev: &PROXY_INET,
        body: Body::Squid(entry),
    }
}
