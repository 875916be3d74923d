//! Ordinary traffic: the city at work, with nothing wrong.
//!
//! Activities arrive as a Poisson process (a mean of [`LINES_PER_SECOND`] lines a second
//! over all devices). Each activity is one thing a person or a machine does, and writes
//! the lines every device involved would write: a page view is a firewall line for the new
//! proxy connection plus Squid's (or i-FILTER's) lines for the page and what it pulls in;
//! an inbound message is the SMTP session into the mail text relay, m-FILTER's line, and
//! for a message sent on the session to the lgwan mail server; an SSH session is
//! a firewall line, sshd's and PAM's login lines, perhaps sudo, and the logout minutes
//! later; a logon at a collected Windows terminal is its 4624 (with 4672 for an
//! administrator) and, minutes later, its 4634, and on core the MFA server's `Login OK`
//! just before. Lines that lie in the future (a FortiGate or PAN-OS session line, written
//! when the session ends; a logoff) wait in a [`Queue`] until the clock passes them, so
//! the output is in time order.
//!
//! Every interactive logon on core, at term-core's console, by remote desktop from the
//! jump host, or by SSH to srv-core01, takes a one-time code first, checked by mfa-core01
//! a few seconds before the logon (policy 6(3)①); network logons take none.
//!
//! Staff on core and lgwan keep office hours (08:30 to 17:15 Japan time, Monday to
//! Friday, not on public holidays; `expect::office_hours`): console and remote desktop
//! sessions, staff SSH sessions and typos, remote management and lgwan web browsing
//! start only when all their logons and requests fall inside them, and
//! outside them the activity drawn becomes a firewall flow of the same zone. Machines
//! keep going around the clock: terminals' and servers' flows, firewall denials,
//! monitoring and backup logins, cron, and the internet zone, whose web use no rule ties
//! to office hours. `sanso run --demo` at night is therefore quiet on the auth side, as
//! a city is, and raises nothing that OMZ-21 would call after-hours work.
//!
//! # Keeping it clean
//!
//! Precision tests need ordinary traffic that no sane rule would flag, yet real traffic has
//! typos and blocked packets. The generator lets them happen and caps them per source with
//! sliding windows ([`Limits`]) well below the rule thresholds of the design brief: at most
//! one authentication failure per source in 10 minutes (a mistyped one-time code shows
//! twice, in sshd's log and in mfa-core01's), and no successful login from that source
//! from shortly before it until 6 minutes after (OMZ-15 counts 5, on core 3, OMZ-16 10
//! accounts, OMZ-19 looks 5 minutes ahead); at most 2 firewall blocks per source in 10
//! minutes (OMZ-02 raises at 10); at most 2 proxy refusals per client an hour (OMZ-09
//! raises at 5 domains); at most 2 POSTs from one client to one host in 10 minutes, and
//! never a PUT (exfiltration is a burst of them); at most 30 MB sent by one source in an
//! hour, summed over its FortiGate and PAN-OS sessions (OMZ-13 raises at 50 MB). Console
//! logons all come from `127.0.0.1`, so that address counts as one source across the
//! terminals: one failure per 10 minutes city-wide, and no console logon anywhere for 6
//! minutes after it. Privileged logons (4672) come only from the jump hosts, and remote
//! desktop only on core, always with MFA (OMZ-17, OMZ-20). No source talks to more than a
//! handful of hosts and ports (OMZ-11 counts 20 hosts or 50 ports), and every flow that
//! crosses a zone boundary goes through a gateway the model allows. The tests check all
//! of this with naive oracles over long runs.

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::auth::{Account, SshConn, cron_session, logind, sudo_command, sudo_session};
use super::city::{
    Access, CLOUD_DNS, CLOUD_MAIL, CLOUD_PROXY, Device, FILE_SANITISER, IFILTER_CLIENTS,
    IFILTER_INET, INTERNET_SITES, LGWAN_SITES, MAIL_RELAY, MFILTER_GW, PARTNER, PARTNER_PORT,
    PROXY_INET, PROXY_LGWAN, Role, SCREEN_TRANSFER, SUBRESOURCES, SURNAMES, Site, Zone, host,
    is_terminal, owner, windows_terminal,
};
use super::expect::office_hours;
use super::firewall::Flow;
use super::ifilter::{IfilterEntry, Verdict as FilterVerdict};
use super::line::{Body, DemoLine, Draft};
use super::mfilter::{MfilterEntry, Outcome};
use super::netfilter::{Packet, Verdict};
use super::queue::Queue;
use super::radius::RadiusLog;
use super::sample::{exp_gap, gap, linux_port, weighted, windows_port};
use super::squid::{Hier, SquidEntry};
use super::windows::{Logon, LogonType, Remote, WinEvent};

/// Mean ordinary lines per second over the whole city. Attack bursts are sized against
/// the run's length at this rate.
pub(crate) const LINES_PER_SECOND: f64 = 20.0;

/// Mean lines one activity of [`MIX`] writes, measured over long runs (the test
/// `ordinary_rate_is_nominal` keeps it honest). Activities arrive at
/// `LINES_PER_SECOND / LINES_PER_ACTIVITY` a second.
const LINES_PER_ACTIVITY: f64 = 1.40;

/// How long after an interactive activity starts its last logon or web request is
/// logged: Squid writes a tunnel when it closes, up to four minutes later. Sessions may
/// end later; a logoff is no after-hours work.
const INTERACTIVE_SPAN: TimeDelta = TimeDelta::minutes(5);

/// ChaCha stream of the ordinary traffic.
const ORDINARY_STREAM: u64 = 2;

/// Something a person or machine does.
#[derive(Debug, Clone, Copy)]
enum Activity {
    /// A permitted connection through the zone's firewall.
    Flow(Zone),
    /// Something the zone's firewall drops: NetBIOS chatter, a port the policy closes.
    Block(Zone),
    /// A page view through the zone's proxy.
    Web(Zone),
    /// A staff member's SSH session on the zone's server.
    Session(Zone),
    /// A backup or configuration-management job logging in over SSH.
    Service(Zone),
    /// A staff member mistyping a password (or one-time code) and giving up.
    Typo(Zone),
    /// A staff member's session at the zone's collected Windows terminal (core, lgwan).
    Console(Zone),
    /// An administrator's remote desktop session on term-core, from the jump host.
    RemoteDesktop,
    /// An administrator's remote management of the zone's collected terminal from the
    /// jump host: a network logon for a few seconds (core, lgwan).
    Manage(Zone),
    /// A staff member mistyping the password at the collected terminal's console.
    Mistype(Zone),
    /// A message from the security cloud's mail relay through m-FILTER on the mail text
    /// relay, sanitised and sent on to the lgwan mail server, or held or deleted.
    Mail,
}

impl Activity {
    /// Whether a person works interactively on core or lgwan, which the city's staff
    /// do only in office hours (OMZ-21 watches the rest).
    fn interactive(self) -> bool {
        match self {
            Activity::Flow(_) | Activity::Block(_) | Activity::Service(_) | Activity::Mail => false,
            Activity::Web(zone) | Activity::Session(zone) | Activity::Typo(zone) => {
                zone != Zone::Internet
            }
            Activity::Console(_)
            | Activity::RemoteDesktop
            | Activity::Manage(_)
            | Activity::Mistype(_) => true,
        }
    }

    /// The zone the activity happens in.
    fn zone(self) -> Zone {
        match self {
            Activity::Flow(zone)
            | Activity::Block(zone)
            | Activity::Web(zone)
            | Activity::Session(zone)
            | Activity::Service(zone)
            | Activity::Typo(zone)
            | Activity::Console(zone)
            | Activity::Manage(zone)
            | Activity::Mistype(zone) => zone,
            Activity::RemoteDesktop => Zone::Core,
            Activity::Mail => Zone::Internet,
        }
    }
}

/// Relative frequency of each activity. With about 14 activities a second, a weight of 1
/// is about once an hour: each server sees some 25 staff sessions an hour (core 40), lgwan
/// and internet servers also 120 monitoring or backup logins, and a typo comes about once
/// an hour; each collected terminal is asked for some 25 console sessions an hour (a
/// third find it free, the rest find it in use), four remote management logons and, on
/// core, three remote desktop sessions (which also need it free); some 200 messages an
/// hour come in through m-FILTER. Over all, some 61 % of the lines are firewall lines,
/// 34 % proxy lines and 5 % authentication and mail.
const MIX: [(Activity, u32); 24] = [
    (Activity::Flow(Zone::Core), 9_000),
    (Activity::Flow(Zone::Lgwan), 14_000),
    (Activity::Flow(Zone::Internet), 8_000),
    (Activity::Block(Zone::Core), 700),
    (Activity::Block(Zone::Lgwan), 1_100),
    (Activity::Block(Zone::Internet), 700),
    (Activity::Web(Zone::Internet), 8_000),
    (Activity::Web(Zone::Lgwan), 4_500),
    (Activity::Session(Zone::Core), 40),
    (Activity::Session(Zone::Lgwan), 25),
    (Activity::Session(Zone::Internet), 25),
    (Activity::Service(Zone::Lgwan), 120),
    (Activity::Service(Zone::Internet), 120),
    (Activity::Typo(Zone::Core), 1),
    (Activity::Typo(Zone::Lgwan), 1),
    (Activity::Typo(Zone::Internet), 1),
    (Activity::Console(Zone::Core), 24),
    (Activity::Console(Zone::Lgwan), 20),
    (Activity::RemoteDesktop, 3),
    (Activity::Manage(Zone::Core), 4),
    (Activity::Manage(Zone::Lgwan), 4),
    (Activity::Mistype(Zone::Core), 2),
    (Activity::Mistype(Zone::Lgwan), 2),
    (Activity::Mail, 200),
];

/// A permitted service: who connects, where, how often.
#[derive(Debug, Clone, Copy)]
struct Service {
    /// `None`: any staff terminal of the zone.
    from: Option<Ipv4Addr>,
    to: Ipv4Addr,
    udp: bool,
    port: u16,
    weight: u32,
}

const fn terminals_to(to: Ipv4Addr, udp: bool, port: u16, weight: u32) -> Service {
    Service {
        from: None,
        to,
        udp,
        port,
        weight,
    }
}

const fn host_to(from: Ipv4Addr, to: Ipv4Addr, udp: bool, port: u16, weight: u32) -> Service {
    Service {
        from: Some(from),
        to,
        udp,
        port,
        weight,
    }
}

const TCP: bool = false;
const UDP: bool = true;

/// Terminals use the domain controller, the file server and the zone's business systems;
/// the business application server exchanges data with the intermediate server, core's
/// one allowlisted partner, on its one port.
const CORE_SERVICES: [Service; 10] = {
    let z = Zone::Core;
    [
        terminals_to(z.server(host::DC), UDP, 53, 20),
        terminals_to(z.server(host::DC), TCP, 88, 10),
        terminals_to(z.server(host::DC), TCP, 389, 8),
        terminals_to(z.server(host::DC), UDP, 123, 2),
        terminals_to(z.server(host::FILE), TCP, 445, 15),
        terminals_to(z.server(host::APP), TCP, 443, 25),
        terminals_to(z.server(host::SSH_SERVER), TCP, 443, 10),
        terminals_to(z.server(host::DB), TCP, 1521, 6),
        terminals_to(z.server(host::PRINT), TCP, 445, 4),
        host_to(z.server(host::APP), PARTNER, TCP, PARTNER_PORT, 3),
    ]
};

/// As core, plus mail, and the sanctioned crossings to the internet zone: the screen
/// transfer and file sanitiser gateways, and text-only mail from the relay.
const LGWAN_SERVICES: [Service; 11] = {
    let z = Zone::Lgwan;
    [
        terminals_to(z.server(host::DC), UDP, 53, 20),
        terminals_to(z.server(host::DC), TCP, 88, 10),
        terminals_to(z.server(host::DC), TCP, 389, 8),
        terminals_to(z.server(host::FILE), TCP, 445, 15),
        terminals_to(z.server(host::MAIL), TCP, 993, 10),
        terminals_to(z.server(host::MAIL), TCP, 587, 3),
        terminals_to(z.server(host::APP), TCP, 443, 14),
        terminals_to(z.server(host::SSH_SERVER), TCP, 443, 6),
        terminals_to(SCREEN_TRANSFER, TCP, 443, 10),
        terminals_to(FILE_SANITISER, TCP, 443, 4),
        host_to(MAIL_RELAY, z.server(host::MAIL), TCP, 25, 3),
    ]
};

/// Terminals use the DC and srv-inet01 (file exchange); the zone's own servers talk only
/// to the security cloud: proxy-inet to its parent proxy, the DC to its DNS, the mail
/// relay to its mail relay.
const INTERNET_SERVICES: [Service; 9] = {
    let z = Zone::Internet;
    [
        terminals_to(z.server(host::DC), UDP, 53, 20),
        terminals_to(z.server(host::DC), TCP, 88, 8),
        terminals_to(z.server(host::DC), TCP, 389, 6),
        terminals_to(z.server(host::SSH_SERVER), TCP, 443, 10),
        terminals_to(z.server(host::SSH_SERVER), TCP, 445, 6),
        host_to(z.server(host::PROXY), CLOUD_PROXY, TCP, 8080, 6),
        host_to(z.server(host::DC), CLOUD_DNS, UDP, 53, 4),
        host_to(CLOUD_MAIL, MAIL_RELAY, TCP, 25, 3),
        host_to(MAIL_RELAY, CLOUD_MAIL, TCP, 25, 2),
    ]
};

/// A packet the firewall drops, from a staff terminal.
#[derive(Debug, Clone, Copy)]
struct Dropped {
    to: Ipv4Addr,
    udp: bool,
    /// NetBIOS sends from its own port; everything else from an ephemeral one.
    sport: Option<u16>,
    port: u16,
    payload: u16,
    weight: u32,
}

const fn dropped(to: Ipv4Addr, udp: bool, port: u16, weight: u32) -> Dropped {
    Dropped {
        to,
        udp,
        sport: None,
        port,
        payload: 0,
        weight,
    }
}

/// Windows name-service (137) and browser (138) broadcasts, which the firewall sees on
/// its terminal interface and drops.
const fn netbios(zone: Zone, port: u16, payload: u16, weight: u32) -> Dropped {
    Dropped {
        to: zone.terminal_broadcast(),
        udp: true,
        sport: Some(port),
        port,
        payload,
        weight,
    }
}

/// Windows tries NetBIOS session (139) beside SMB; staff try RDP or SSH where only admins
/// may; a hard-wired resolver ignores the zone's DNS.
const CORE_DROPS: [Dropped; 5] = {
    let z = Zone::Core;
    [
        netbios(z, 137, 50, 6),
        netbios(z, 138, 201, 3),
        dropped(z.server(host::FILE), TCP, 139, 3),
        dropped(z.server(host::SSH_SERVER), TCP, 22, 1),
        dropped(z.server(host::DC), TCP, 3389, 1),
    ]
};

const LGWAN_DROPS: [Dropped; 5] = {
    let z = Zone::Lgwan;
    [
        netbios(z, 137, 50, 6),
        netbios(z, 138, 201, 3),
        dropped(z.server(host::FILE), TCP, 139, 3),
        dropped(z.server(host::SSH_SERVER), TCP, 22, 1),
        dropped(z.server(host::DC), TCP, 3389, 1),
    ]
};

/// PAN-OS does not log the terminals' broadcasts (they never reach a security rule), so
/// fw-inet's denials are all unicast.
const INTERNET_DROPS: [Dropped; 4] = {
    let z = Zone::Internet;
    [
        dropped(z.server(host::SSH_SERVER), TCP, 139, 3),
        dropped(z.server(host::SSH_SERVER), TCP, 135, 1),
        dropped(z.server(host::DC), TCP, 3389, 1),
        dropped(Ipv4Addr::new(8, 8, 8, 8), UDP, 53, 2),
    ]
};

/// Automation that logs in to the lgwan and internet servers from the server segment, as
/// (account, uid, host, weight): Nagios's `check_by_ssh` every few minutes, backup pulls.
/// Core servers are monitored by agent, so nothing logs in there without a person.
const SERVICE_ACCOUNTS: [(&str, u32, u8, u32); 2] = [
    ("nagios", 995, host::MONITORING, 8),
    ("svc-backup", 996, host::BACKUP, 1),
];

/// What admins run under sudo.
const SUDO_COMMANDS: [&str; 8] = [
    "/usr/bin/systemctl status nginx",
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/journalctl -u nginx --since today",
    "/usr/bin/tail -n 200 /var/log/syslog",
    "/usr/bin/apt-get update",
    "/usr/bin/df -h",
    "/usr/sbin/ss -tlnp",
    "/usr/bin/systemctl restart chrony",
];

const TEN_MINUTES: TimeDelta = TimeDelta::minutes(10);

/// What m-FILTER does with inbound mail, by share: most is sanitised and sent on.
const MAIL_OUTCOMES: [(Outcome, u32); 4] = [
    (Outcome::TextConverted, 55),
    (Outcome::AttachmentRemoved, 25),
    (Outcome::Held, 12),
    (Outcome::Rejected, 8),
];

/// The city's mail domain, where inbound mail goes.
const CITY_MAIL_DOMAIN: &str = "city.omaezaki.lg.jp";

/// Who writes to the city: the prefecture, suppliers, residents' associations.
const SENDERS: [&str; 6] = [
    "jouhou@pref.example.lg.jp",
    "eigyo@example.co.jp",
    "support@example.com",
    "info@example.or.jp",
    "kaiin@example.net",
    "soumu@example.ed.jp",
];

/// Spam, which m-FILTER holds or deletes.
const SPAM_SENDERS: [&str; 3] = [
    "no-reply@example.biz",
    "campaign@mail.example.info",
    "account-security@example.top",
];

/// Files suppliers and the prefecture attach, which m-FILTER removes.
const ATTACHMENTS: [&str; 5] = [
    "見積書.docx",
    "会議資料.pdf",
    "請求書.xlsx",
    "現場写真.zip",
    "様式第1号.doc",
];

/// At most `max` events per source in any `window`.
#[derive(Debug, Clone, Copy)]
struct Cap {
    max: usize,
    window: TimeDelta,
}

/// Caps that keep the ordinary traffic under every rule threshold (see the module doc).
/// An activity writes its lines up to about half a minute after it starts, so every
/// window is a minute wider than the rule window it protects: the lines themselves then
/// keep the rule's spacing too.
mod budget {
    use super::{Cap, TimeDelta};

    pub(super) const AUTH_FAILURES: Cap = Cap {
        max: 1,
        window: TimeDelta::minutes(11),
    };
    pub(super) const FW_BLOCKS: Cap = Cap {
        max: 2,
        window: TimeDelta::minutes(11),
    };
    pub(super) const PROXY_DENIALS: Cap = Cap {
        max: 2,
        window: TimeDelta::minutes(61),
    };
    pub(super) const POSTS_PER_HOST: Cap = Cap {
        max: 2,
        window: TimeDelta::minutes(11),
    };
    /// No successful login from a source this long after its failure.
    pub(super) const QUIET_AFTER_FAILURE: TimeDelta = TimeDelta::minutes(6);
    /// Bytes one source may send in FortiGate and PAN-OS sessions in any window.
    pub(super) const SENT_BYTES: u64 = 30_000_000;
    pub(super) const SENT_WINDOW: TimeDelta = TimeDelta::minutes(61);
}

/// Where a console logon comes from, as Windows writes it: every terminal's console is
/// `127.0.0.1`, so the caps treat all consoles as one source.
const CONSOLE: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// What a sliding-window cap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    AuthFailure(Ipv4Addr),
    FwBlock(Ipv4Addr),
    Denied(Ipv4Addr),
    Post(Ipv4Addr, &'static str),
}

/// Sliding-window caps per source, and the order of logins and failures per source.
/// Memory is bounded by the number of sources.
#[derive(Debug, Default)]
struct Limits {
    recent: HashMap<Key, VecDeque<DateTime<Utc>>>,
    /// Bytes each source sent, by when, within [`budget::SENT_WINDOW`].
    sent: HashMap<Ipv4Addr, VecDeque<(DateTime<Utc>, u64)>>,
    /// No login from the source before this time (it failed recently).
    quiet_until: HashMap<Ipv4Addr, DateTime<Utc>>,
    /// When the source's latest login so far is logged (it may lie in the future).
    last_login: HashMap<Ipv4Addr, DateTime<Utc>>,
}

impl Limits {
    /// Counts one event for `key` at `now` if the cap allows it. Times come nearly in order
    /// (lines trail their activity by seconds); an entry left behind a newer front only
    /// makes the count stricter, and the cap's slack covers the rest.
    fn take(&mut self, key: Key, now: DateTime<Utc>, cap: Cap) -> bool {
        let seen = self.recent.entry(key).or_default();
        while seen.front().is_some_and(|&t| now - t >= cap.window) {
            seen.pop_front();
        }
        let ok = seen.len() < cap.max;
        if ok {
            seen.push_back(now);
        }
        ok
    }

    /// How many of `want` bytes `src` may send in a session ending at `now`: all of
    /// them while the source is under its hourly budget, else what is left of it, but
    /// never less than a small request's worth (a session carries some bytes), which
    /// the budget's distance from the rule threshold absorbs.
    fn take_bytes(&mut self, src: Ipv4Addr, now: DateTime<Utc>, want: u64) -> u64 {
        let seen = self.sent.entry(src).or_default();
        while seen
            .front()
            .is_some_and(|&(t, _)| now - t >= budget::SENT_WINDOW)
        {
            seen.pop_front();
        }
        let used: u64 = seen.iter().map(|&(_, b)| b).sum();
        let bytes = want
            .min(budget::SENT_BYTES.saturating_sub(used))
            .max(want.min(600));
        seen.push_back((now, bytes));
        bytes
    }

    fn may_log_in(&self, src: Ipv4Addr, now: DateTime<Utc>) -> bool {
        self.quiet_until.get(&src).is_none_or(|&until| now >= until)
    }

    /// A failure must not come before a login still in progress from the same source (a
    /// colleague on the shared jump host): that would read as a guessed password.
    fn may_fail(&self, src: Ipv4Addr, now: DateTime<Utc>) -> bool {
        self.last_login.get(&src).is_none_or(|&at| at < now)
    }
}

/// The ordinary traffic generator; an endless source of time-ordered lines.
pub(crate) struct Ordinary {
    rng: ChaCha8Rng,
    /// Staff terminals per zone (by `Zone as usize`), without the reserved attackers.
    terminals: [Vec<Ipv4Addr>; 3],
    /// Where each admin of a zone logs in from, in `Zone::admins` order.
    admin_src: [Vec<Ipv4Addr>; 3],
    /// When the next activity happens.
    clock: DateTime<Utc>,
    /// When cron next runs sysstat on the servers (`5-55/10 * * * *`).
    next_cron: DateTime<Utc>,
    queue: Queue,
    limits: Limits,
    /// The last pid handed out on each server.
    pids: [u32; 3],
    /// The last systemd-logind session id on each server.
    sessions: [u32; 3],
    /// Until when each zone's collected terminal is in use (a console or remote desktop
    /// session; Windows 10 takes one at a time).
    console_until: [DateTime<Utc>; 3],
    /// mfa-core01's last request number.
    radius_request: u32,
    /// m-FILTER's last queue id.
    mail_queue: u32,
}

impl Ordinary {
    /// Ordinary traffic from `start`, keeping clear of the `reserved` attack sources.
    pub(crate) fn new(
        seed: u64,
        start: DateTime<Utc>,
        reserved: &std::collections::BTreeSet<Ipv4Addr>,
    ) -> Ordinary {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(ORDINARY_STREAM);
        let terminals = Zone::ALL.map(|zone| {
            (0..zone.terminal_count())
                .map(|i| zone.terminal(i))
                .filter(|ip| !reserved.contains(ip))
                .collect::<Vec<_>>()
        });
        let admin_src = Zone::ALL.map(|zone| {
            let admins = zone.admins().len();
            let pool = &terminals[zone as usize];
            (0..admins)
                .map(|k| match zone {
                    Zone::Core | Zone::Lgwan => zone.server(host::JUMP),
                    // Internet-zone admins work at their own, evenly spread terminals.
                    Zone::Internet => pool[k * pool.len() / admins],
                })
                .collect()
        });
        let pids = [(); 3].map(|()| rng.random_range(1500..9000));
        let sessions = [(); 3].map(|()| rng.random_range(100..2000));
        let radius_request = rng.random_range(1_000..60_000);
        let mail_queue = rng.random_range(1_000..90_000);
        let clock = start + exp_gap(&mut rng, mean_gap());
        Ordinary {
            rng,
            terminals,
            admin_src,
            clock,
            next_cron: next_sysstat(start),
            queue: Queue::default(),
            limits: Limits::default(),
            pids,
            sessions,
            console_until: [start; 3],
            radius_request,
            mail_queue,
        }
    }

    /// The next ordinary line in time order.
    pub(crate) fn next_line(&mut self) -> DemoLine {
        loop {
            // Nothing generated from here on is earlier than the next activity or cron
            // run, so queued lines up to that moment are final.
            if let Some(line) = self.queue.pop_until(self.clock.min(self.next_cron)) {
                return line;
            }
            if self.next_cron <= self.clock {
                self.cron();
                self.next_cron += TEN_MINUTES;
            } else {
                let activity = weighted(&mut self.rng, &MIX, |&(_, w)| w).0;
                self.run(activity);
                self.clock += exp_gap(&mut self.rng, mean_gap());
            }
        }
    }

    fn run(&mut self, activity: Activity) {
        if activity.interactive()
            && !(office_hours(self.clock) && office_hours(self.clock + INTERACTIVE_SPAN))
        {
            // The offices are closed, or close before the activity's logons and
            // requests would all be logged: the machines carry on, the staff do not.
            return self.flow(activity.zone());
        }
        match activity {
            Activity::Flow(zone) => self.flow(zone),
            Activity::Block(zone) => self.block(zone),
            Activity::Web(zone) => self.web(zone),
            Activity::Session(zone) => self.session(zone),
            Activity::Service(zone) => self.service(zone),
            Activity::Typo(zone) => self.typo(zone),
            Activity::Console(zone) => self.console(zone),
            Activity::RemoteDesktop => self.remote_desktop(),
            Activity::Manage(zone) => self.manage(zone),
            Activity::Mistype(zone) => self.mistype(zone),
            Activity::Mail => self.mail(),
        }
    }

    fn push(&mut self, at: DateTime<Utc>, draft: Draft) {
        self.queue.push(draft.render(at, None));
    }

    fn terminal(&mut self, zone: Zone) -> Ipv4Addr {
        let pool = &self.terminals[zone as usize];
        pool[self.rng.random_range(0..pool.len())]
    }

    fn next_pid(&mut self, zone: Zone) -> u32 {
        let pid = &mut self.pids[zone as usize];
        *pid += self.rng.random_range(1..40);
        *pid
    }

    fn client_port(&mut self, src: Ipv4Addr) -> u16 {
        if is_terminal(src) {
            windows_port(&mut self.rng)
        } else {
            linux_port(&mut self.rng)
        }
    }

    /// A TCP connection `src` → `dst`:`port` opened at `at`, as `zone`'s firewall logs it.
    fn connect(
        &mut self,
        at: DateTime<Utc>,
        zone: Zone,
        verdict: Verdict,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        port: u16,
    ) {
        let flow = self.tcp_flow(verdict, src, dst, port);
        self.log_flow(at, zone, flow);
    }

    /// A TCP flow of an ordinary session of the port's service.
    fn tcp_flow(&mut self, verdict: Verdict, src: Ipv4Addr, dst: Ipv4Addr, port: u16) -> Flow {
        let sport = self.client_port(src);
        let pkt = Packet::syn(&mut self.rng, verdict, src, dst, sport, port);
        Flow::new(&mut self.rng, pkt)
    }

    /// Logs a flow whose first packet passes at `at` on `zone`'s firewall, when that
    /// firewall writes it (see `firewall.rs`), with the bytes the source sent held to
    /// its hourly budget.
    fn log_flow(&mut self, at: DateTime<Utc>, zone: Zone, mut flow: Flow) {
        if flow.packet.verdict == Verdict::Allow {
            let end = at + flow.session.duration;
            let sent = self
                .limits
                .take_bytes(flow.packet.src, end, flow.session.bytes_sent);
            let rcvd = flow.session.bytes_rcvd;
            flow.session.set_bytes(flow.packet.proto, sent, rcvd);
        }
        let (delay, draft) = flow.log(zone.firewall());
        self.push(at + delay, draft);
    }

    fn flow(&mut self, zone: Zone) {
        let services: &[Service] = match zone {
            Zone::Core => &CORE_SERVICES,
            Zone::Lgwan => &LGWAN_SERVICES,
            Zone::Internet => &INTERNET_SERVICES,
        };
        let svc = *weighted(&mut self.rng, services, |s| s.weight);
        let src = match svc.from {
            Some(ip) => ip,
            None => self.terminal(zone),
        };
        if svc.udp {
            // DNS queries and NTP requests are a few dozen bytes.
            let payload = if svc.port == 123 {
                48
            } else {
                self.rng.random_range(28..60)
            };
            let sport = self.client_port(src);
            let pkt = Packet::udp(
                &mut self.rng,
                Verdict::Allow,
                src,
                svc.to,
                (sport, svc.port),
                payload,
            );
            let flow = Flow::new(&mut self.rng, pkt);
            self.log_flow(self.clock, zone, flow);
        } else {
            self.connect(self.clock, zone, Verdict::Allow, src, svc.to, svc.port);
        }
    }

    fn block(&mut self, zone: Zone) {
        let drops: &[Dropped] = match zone {
            Zone::Core => &CORE_DROPS,
            Zone::Lgwan => &LGWAN_DROPS,
            Zone::Internet => &INTERNET_DROPS,
        };
        let drop = *weighted(&mut self.rng, drops, |d| d.weight);
        let src = self.terminal(zone);
        if !self
            .limits
            .take(Key::FwBlock(src), self.clock, budget::FW_BLOCKS)
        {
            return self.flow(zone);
        }
        if drop.udp {
            let sport = match drop.sport {
                Some(port) => port,
                None => windows_port(&mut self.rng),
            };
            let payload = if drop.payload > 0 {
                drop.payload
            } else {
                self.rng.random_range(28..45)
            };
            let pkt = Packet::udp(
                &mut self.rng,
                Verdict::Block,
                src,
                drop.to,
                (sport, drop.port),
                payload,
            );
            let flow = Flow::new(&mut self.rng, pkt);
            self.log_flow(self.clock, zone, flow);
        } else {
            self.connect(self.clock, zone, Verdict::Block, src, drop.to, drop.port);
        }
    }

    fn web(&mut self, zone: Zone) {
        let client = self.terminal(zone);
        let (proxy, sites, named): (&'static Device, &'static [Site], f64) = match zone {
            Zone::Internet if client >= IFILTER_CLIENTS => (&IFILTER_INET, &INTERNET_SITES, 0.15),
            Zone::Internet => (&PROXY_INET, &INTERNET_SITES, 0.15),
            Zone::Core | Zone::Lgwan => (&PROXY_LGWAN, &LGWAN_SITES, 0.3),
        };
        let proxy_ip = if proxy.role == Role::WebFilter {
            zone.server(host::WEB_FILTER)
        } else {
            zone.server(host::PROXY)
        };
        let site = weighted(&mut self.rng, sites, |s| s.weight);
        let t0 = self.clock;
        if site.access == Access::Denied
            && !self
                .limits
                .take(Key::Denied(client), t0, budget::PROXY_DENIALS)
        {
            return self.flow(zone);
        }
        let user = if self.rng.random_bool(named) {
            owner(client)
        } else {
            "-"
        };
        // Browsers keep proxy connections alive; some page views open a new one.
        if self.rng.random_bool(0.4) {
            self.connect(t0, zone, Verdict::Allow, client, proxy_ip, 8080);
        }
        let upstream = match (zone, site.addr) {
            (Zone::Internet, _) => Hier::Parent(CLOUD_PROXY),
            (_, Some(addr)) => Hier::Direct(addr),
            (_, None) => Hier::None,
        };
        // The proxy's own connection upstream, when it opens a new one: to the security
        // cloud from proxy-inet and i-FILTER, straight to the LGWAN-ASP server from
        // proxy-lgwan.
        match upstream {
            Hier::Parent(parent) if self.rng.random_bool(0.04) => {
                self.connect(t0, zone, Verdict::Allow, proxy_ip, parent, 8080);
            }
            Hier::Direct(origin) if self.rng.random_bool(0.3) => {
                let port = if site.access == Access::Plain {
                    80
                } else {
                    443
                };
                self.connect(t0, zone, Verdict::Allow, proxy_ip, origin, port);
            }
            _ => {}
        }
        let t = t0 + gap(&mut self.rng, 0.002, 0.05);
        let base = Visit {
            proxy,
            client,
            user,
            upstream,
        };
        match site.access {
            Access::Denied => {
                let e = base.entry(
                    self.rng.random_range(0..3),
                    "TCP_DENIED",
                    403,
                    self.rng.random_range(3_800..4_200),
                    "CONNECT",
                    format!("{}:443", site.host),
                    Hier::None,
                    "text/html",
                );
                self.push(t, e);
            }
            Access::Tunnel => {
                let ms = self.rng.random_range(800..240_000);
                let bytes = self.rng.random_range(3_000..2_500_000);
                let e = base.entry(
                    ms,
                    "TCP_TUNNEL",
                    200,
                    bytes,
                    "CONNECT",
                    format!("{}:443", site.host),
                    upstream,
                    "-",
                );
                self.push(t + TimeDelta::milliseconds(i64::from(ms)), e);
            }
            Access::Bumped | Access::Plain => self.page(&base, site, t),
        }
    }

    /// A page and the sub-resources it pulls in, perhaps followed by a form POST.
    fn page(&mut self, v: &Visit, site: &'static Site, mut t: DateTime<Utc>) {
        let Some(&(path, ctype)) = site.pages.choose(&mut self.rng) else {
            return;
        };
        let scheme = if site.access == Access::Bumped {
            "https"
        } else {
            "http"
        };
        let url = |path: &str| format!("{scheme}://{}{path}", site.host);
        let (result, status, ctype, hier) = match self.rng.random_range(0..100) {
            0..70 => ("TCP_MISS", 200, ctype, v.upstream),
            70..80 => ("TCP_REFRESH_UNMODIFIED", 304, "-", v.upstream),
            80..85 => ("TCP_MISS", 302, "text/html", v.upstream),
            85..88 => ("TCP_MISS", 404, "text/html", v.upstream),
            _ => ("TCP_MEM_HIT", 200, ctype, Hier::None),
        };
        let bytes = self.body_size(status, ctype);
        let ms = self.duration(bytes, hier);
        t += TimeDelta::milliseconds(i64::from(ms));
        let e = v.entry(ms, result, status, bytes, "GET", url(path), hier, ctype);
        self.push(t, e);

        if status == 200 && ctype == "text/html" {
            for _ in 0..self.rng.random_range(0..=4) {
                let &(sub, ctype) = SUBRESOURCES
                    .choose(&mut self.rng)
                    .unwrap_or(&SUBRESOURCES[0]);
                let (result, status, ctype, hier) = match self.rng.random_range(0..100) {
                    0..50 => ("TCP_MISS", 200, ctype, v.upstream),
                    50..75 => ("TCP_HIT", 200, ctype, Hier::None),
                    75..85 => ("TCP_MEM_HIT", 200, ctype, Hier::None),
                    _ => ("TCP_REFRESH_UNMODIFIED", 304, "-", v.upstream),
                };
                let bytes = self.body_size(status, ctype);
                let ms = self.duration(bytes, hier);
                t += gap(&mut self.rng, 0.01, 0.6);
                let e = v.entry(ms, result, status, bytes, "GET", url(sub), hier, ctype);
                self.push(t, e);
            }
        }

        let post_at = t + gap(&mut self.rng, 1.0, 30.0);
        if let Some(post) = site.post
            && self.rng.random_bool(0.1)
            && self.limits.take(
                Key::Post(v.client, site.host),
                post_at,
                budget::POSTS_PER_HOST,
            )
        {
            // Google's gen_204 beacon answers 204; a form answers with a page.
            let (status, bytes) = if post.ends_with("_204") {
                (204, self.rng.random_range(250..400))
            } else {
                (200, self.rng.random_range(3_000..20_000))
            };
            let ms = self.rng.random_range(40..900);
            let e = v.entry(
                ms,
                "TCP_MISS",
                status,
                bytes,
                "POST",
                url(post),
                v.upstream,
                "text/html",
            );
            self.push(post_at, e);
        }
    }

    /// One inbound message: the security cloud's relay hands it to m-FILTER over SMTP
    /// (a session on fw-inet), m-FILTER logs what it did, and a message it sends on
    /// goes to the lgwan mail server (a session on fw-lgwan).
    fn mail(&mut self) {
        let t0 = self.clock;
        self.connect(
            t0,
            Zone::Internet,
            Verdict::Allow,
            CLOUD_MAIL,
            MAIL_RELAY,
            25,
        );
        let outcome = weighted(&mut self.rng, &MAIL_OUTCOMES, |&(_, w)| w).0;
        let spam = matches!(outcome, Outcome::Held | Outcome::Rejected);
        let senders: &[&'static str] = if spam { &SPAM_SENDERS } else { &SENDERS };
        let sender = *senders.choose(&mut self.rng).unwrap_or(&SENDERS[0]);
        let recipients = (0..self.rng.random_range(1..=3))
            .map(|_| {
                let name = SURNAMES.choose(&mut self.rng).unwrap_or(&SURNAMES[0]);
                format!("{name}@{CITY_MAIL_DOMAIN}")
            })
            .collect();
        let (attachment, size) = match outcome {
            Outcome::AttachmentRemoved => (
                ATTACHMENTS.choose(&mut self.rng).copied(),
                self.rng.random_range(80_000..5_000_000),
            ),
            Outcome::TextConverted => (None, self.rng.random_range(3_000..60_000)),
            Outcome::Held | Outcome::Rejected => (None, self.rng.random_range(2_000..30_000)),
        };
        self.mail_queue += 1;
        let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d);
        let message_id = format!(
            "{:016X}.{}@{domain}",
            self.rng.random::<u64>(),
            self.mail_queue
        );
        let entry = MfilterEntry {
            queue_id: self.mail_queue,
            src: CLOUD_MAIL,
            dst: Zone::Lgwan.server(host::MAIL),
            sender,
            recipients,
            size,
            message_id,
            attachment,
            outcome,
            received_before: TimeDelta::seconds(self.rng.random_range(1..4)),
        };
        let t = t0 + gap(&mut self.rng, 1.0, 4.0);
        self.push(
            t,
            Draft {
                dev: &MFILTER_GW,
                body: Body::Mfilter(entry),
            },
        );
        if !spam {
            let lgwan_mail = Zone::Lgwan.server(host::MAIL);
            let at = t + gap(&mut self.rng, 0.05, 0.5);
            self.connect(at, Zone::Lgwan, Verdict::Allow, MAIL_RELAY, lgwan_mail, 25);
        }
    }

    fn body_size(&mut self, status: u16, ctype: &str) -> u64 {
        let range = match (status, ctype) {
            (304, _) => 250..450,
            (302, _) => 400..900,
            (404, _) => 1_200..4_000,
            (_, "text/html") => 8_000..120_000,
            (_, "text/css") => 3_000..60_000,
            (_, "application/javascript") => 10_000..400_000,
            (_, "image/png") => 1_000..150_000,
            (_, "image/jpeg") => 20_000..500_000,
            (_, "image/x-icon") => 1_000..20_000,
            (_, "font/woff2") => 30_000..300_000,
            (_, "application/json") => 200..20_000,
            (_, "application/ocsp-response") => 1_500..2_500,
            (_, "application/octet-stream") => 200_000..30_000_000,
            _ => 8_000..300_000,
        };
        self.rng.random_range(range)
    }

    /// How long Squid took: a round trip, plus the body at the path's throughput.
    fn duration(&mut self, bytes: u64, hier: Hier) -> u32 {
        let (rtt, bytes_per_ms) = match hier {
            Hier::None => (0..3, 20_000..60_000),
            Hier::Parent(_) | Hier::Direct(_) => (15..120, 300..6_000),
        };
        let rtt = self.rng.random_range(rtt);
        let transfer = bytes / self.rng.random_range(bytes_per_ms);
        rtt + u32::try_from(transfer).unwrap_or(u32::MAX)
    }

    /// A staff member's session on `zone`'s server. Core demands a key, then a one-time
    /// code (`AuthenticationMethods publickey,keyboard-interactive`), which PAM hands to
    /// mfa-core01.
    fn session(&mut self, zone: Zone) {
        let admins = zone.admins();
        let k = self.rng.random_range(0..admins.len());
        let (user, uid) = admins[k];
        let src = self.admin_src[zone as usize][k];
        let t0 = self.clock;
        if !self.limits.may_log_in(src, t0) {
            return self.flow(zone);
        }
        let (conn, mut t, flow) = self.ssh_connect(zone, src, t0);
        match zone {
            Zone::Core => {
                self.push(t, conn.partial_publickey(user));
                // Reading the code off the token takes a few seconds.
                t += gap(&mut self.rng, 3.0, 12.0);
                let checked = t - gap(&mut self.rng, 0.05, 0.4);
                self.radius(checked, true, user, conn.dev.name, src);
                self.push(t, conn.accepted("keyboard-interactive/pam", user));
            }
            Zone::Lgwan | Zone::Internet => {
                let method = if self.rng.random_bool(0.2) {
                    "password"
                } else {
                    "publickey"
                };
                self.push(t, conn.accepted(method, user));
            }
        }
        self.limits.last_login.insert(src, t);
        let session = self.open_session(zone, &conn, (user, uid), t);
        let end = t + gap(&mut self.rng, 30.0, 900.0);
        if self.rng.random_bool(0.5) {
            let dev = zone.ssh_server();
            let tty = self.rng.random_range(0..4);
            let mut at = t;
            for _ in 0..self.rng.random_range(1..=2) {
                at += gap(&mut self.rng, 10.0, 50.0);
                let cmd = SUDO_COMMANDS
                    .choose(&mut self.rng)
                    .unwrap_or(&SUDO_COMMANDS[0]);
                self.push(at, sudo_command(dev, user, tty, cmd));
                at += TimeDelta::milliseconds(4);
                self.push(at, sudo_session(dev, Some((user, uid))));
                at += gap(&mut self.rng, 0.1, 20.0);
                self.push(at, sudo_session(dev, None));
            }
        }
        self.close_session(zone, &conn, user, session, end);
        self.ssh_flow_end(zone, t0, flow, end);
    }

    /// Monitoring checks and backup runs on the lgwan and internet servers: a key login,
    /// a few seconds of work, a logout.
    fn service(&mut self, zone: Zone) {
        let &(user, uid, from, _) = weighted(&mut self.rng, &SERVICE_ACCOUNTS, |a| a.3);
        let t0 = self.clock;
        let (conn, t, flow) = self.ssh_connect(zone, zone.server(from), t0);
        self.push(t, conn.accepted("publickey", user));
        let session = self.open_session(zone, &conn, (user, uid), t);
        let end = t + gap(&mut self.rng, 0.5, 30.0);
        self.close_session(zone, &conn, user, session, end);
        self.ssh_flow_end(zone, t0, flow, end);
    }

    /// A staff member fumbles the password (the one-time code on core) and gives up.
    fn typo(&mut self, zone: Zone) {
        let admins = zone.admins();
        let k = self.rng.random_range(0..admins.len());
        let (user, _) = admins[k];
        let src = self.admin_src[zone as usize][k];
        let t0 = self.clock;
        if !self.limits.may_fail(src, t0)
            || !self
                .limits
                .take(Key::AuthFailure(src), t0, budget::AUTH_FAILURES)
        {
            return self.flow(zone);
        }
        self.limits
            .quiet_until
            .insert(src, t0 + budget::QUIET_AFTER_FAILURE);
        let acct = Account {
            name: user,
            valid: true,
        };
        let (conn, mut t, flow) = self.ssh_connect(zone, src, t0);
        if zone == Zone::Core {
            self.push(t, conn.partial_publickey(user));
            t += gap(&mut self.rng, 3.0, 12.0);
            let checked = t - gap(&mut self.rng, 0.05, 0.4);
            self.radius(checked, false, user, conn.dev.name, src);
            self.push(t, conn.failed("keyboard-interactive/pam", acct));
        } else {
            self.push(t, conn.pam_auth_failure(acct));
            t += gap(&mut self.rng, 1.6, 3.2);
            self.push(t, conn.failed("password", acct));
        }
        t += gap(&mut self.rng, 3.0, 20.0);
        self.push(t, conn.closed_preauth(acct));
        self.ssh_flow_end(zone, t0, flow, t);
    }

    /// A new TCP connection to `zone`'s sshd at `t`: the session's flow through the
    /// firewall if the client is on another segment (logged by [`Self::ssh_flow_end`]
    /// once the caller knows when it ends), and when sshd has the client's first message.
    fn ssh_connect(
        &mut self,
        zone: Zone,
        src: Ipv4Addr,
        t: DateTime<Utc>,
    ) -> (SshConn, DateTime<Utc>, Option<Flow>) {
        let port = self.client_port(src);
        let flow = is_terminal(src).then(|| {
            let pkt = Packet::syn(
                &mut self.rng,
                Verdict::Allow,
                src,
                zone.server(host::SSH_SERVER),
                port,
                22,
            );
            Flow::new(&mut self.rng, pkt)
        });
        let conn = SshConn {
            dev: zone.ssh_server(),
            pid: self.next_pid(zone),
            src,
            port,
        };
        (conn, t + gap(&mut self.rng, 0.2, 1.5), flow)
    }

    /// Logs an SSH connection's flow, opened at `start` and closed at `end`.
    fn ssh_flow_end(
        &mut self,
        zone: Zone,
        start: DateTime<Utc>,
        flow: Option<Flow>,
        end: DateTime<Utc>,
    ) {
        if let Some(flow) = flow {
            let closed = end + TimeDelta::milliseconds(20);
            self.log_flow(start, zone, flow.lasting(closed - start));
        }
    }

    /// mfa-core01's answer at `at` to a one-time code `user` typed at `cli`, relayed by
    /// the RADIUS client `client`.
    fn radius(
        &mut self,
        at: DateTime<Utc>,
        ok: bool,
        user: &'static str,
        client: &'static str,
        cli: Ipv4Addr,
    ) {
        self.radius_request += 1;
        let log = RadiusLog {
            request: self.radius_request,
            ok,
            user,
            client,
            cli,
        };
        self.push(at, log.draft());
    }

    /// A staff member's turn at the zone's collected terminal: on core the one-time code
    /// first (the credential provider asks mfa-core01 over RADIUS, through fw-core), then
    /// the logon, and the logoff when they are done.
    fn console(&mut self, zone: Zone) {
        let t = self.clock;
        let Some(term) = windows_terminal(zone) else {
            return self.flow(zone);
        };
        if self.console_until[zone as usize] > t || !self.limits.may_log_in(CONSOLE, t) {
            return self.flow(zone);
        }
        let user = *SURNAMES.choose(&mut self.rng).unwrap_or(&SURNAMES[0]);
        let mut at = t;
        if zone == Zone::Core {
            let sport = windows_port(&mut self.rng);
            let payload = self.rng.random_range(120..220);
            let mfa = Zone::Core.server(host::MFA);
            let pkt = Packet::udp(
                &mut self.rng,
                Verdict::Allow,
                term.ip,
                mfa,
                (sport, 1812),
                payload,
            );
            let flow = Flow::new(&mut self.rng, pkt);
            self.log_flow(at, zone, flow);
            at += gap(&mut self.rng, 0.02, 0.3);
            self.radius(at, true, user, term.dev.name, term.ip);
            at += gap(&mut self.rng, 1.0, 6.0);
        }
        let logon = Logon::new(
            &mut self.rng,
            term,
            (user, false),
            LogonType::Interactive,
            None,
        );
        self.push(at, WinEvent::Logon(logon).draft());
        self.limits.last_login.insert(CONSOLE, at);
        // A turn at the counter: a resident's request or two.
        let end = at + gap(&mut self.rng, 60.0, 480.0);
        self.push(end, WinEvent::Logoff(logon).draft());
        self.console_until[zone as usize] = end + TimeDelta::seconds(5);
    }

    /// An administrator takes over term-core by remote desktop from the jump host:
    /// Network Level Authentication (a network logon), the one-time code in the session,
    /// the remote interactive logon, and the logoffs.
    fn remote_desktop(&mut self) {
        let zone = Zone::Core;
        let t = self.clock;
        let jump = zone.server(host::JUMP);
        let Some(term) = windows_terminal(zone) else {
            return self.flow(zone);
        };
        if self.console_until[zone as usize] > t || !self.limits.may_log_in(jump, t) {
            return self.flow(zone);
        }
        let user = *zone
            .windows_admins()
            .choose(&mut self.rng)
            .unwrap_or(&"administrator");
        let flow = self.tcp_flow(Verdict::Allow, jump, term.ip, 3389);
        let sport = flow.packet.sport;
        let mut at = t + gap(&mut self.rng, 0.1, 0.5);
        let nla = Logon::new(
            &mut self.rng,
            term,
            (user, true),
            LogonType::Network,
            Some(Remote {
                ip: jump,
                port: sport,
                workstation: "-",
            }),
        );
        self.push(at, WinEvent::Logon(nla).draft());
        self.push(at, WinEvent::Special(nla).draft());
        at += gap(&mut self.rng, 4.0, 12.0);
        self.radius(at, true, user, term.dev.name, jump);
        at += gap(&mut self.rng, 1.0, 4.0);
        let rdp = Logon::new(
            &mut self.rng,
            term,
            (user, true),
            LogonType::RemoteInteractive,
            Some(Remote {
                ip: jump,
                port: 0,
                workstation: zone.jump_host_netbios(),
            }),
        );
        self.push(at, WinEvent::Logon(rdp).draft());
        self.push(at, WinEvent::Special(rdp).draft());
        self.limits.last_login.insert(jump, at);
        let nla_end = at + gap(&mut self.rng, 1.0, 3.0);
        self.push(nla_end, WinEvent::Logoff(nla).draft());
        let end = at + gap(&mut self.rng, 300.0, 1_800.0);
        self.push(end, WinEvent::Logoff(rdp).draft());
        self.console_until[zone as usize] = end + TimeDelta::seconds(5);
        let closed = end + TimeDelta::milliseconds(200);
        self.log_flow(t, zone, flow.lasting(closed - t));
    }

    /// An administrator looks at the zone's collected terminal from the jump host
    /// (event viewer, services, the admin share): a network logon of a few seconds.
    fn manage(&mut self, zone: Zone) {
        let t = self.clock;
        let jump = zone.server(host::JUMP);
        let Some(term) = windows_terminal(zone) else {
            return self.flow(zone);
        };
        if !self.limits.may_log_in(jump, t) {
            return self.flow(zone);
        }
        let user = *zone
            .windows_admins()
            .choose(&mut self.rng)
            .unwrap_or(&"administrator");
        let flow = self.tcp_flow(Verdict::Allow, jump, term.ip, 445);
        let at = t + gap(&mut self.rng, 0.05, 0.5);
        let logon = Logon::new(
            &mut self.rng,
            term,
            (user, true),
            LogonType::Network,
            Some(Remote {
                ip: jump,
                port: flow.packet.sport,
                workstation: "-",
            }),
        );
        self.push(at, WinEvent::Logon(logon).draft());
        self.push(at, WinEvent::Special(logon).draft());
        self.limits.last_login.insert(jump, at);
        let end = at + gap(&mut self.rng, 2.0, 60.0);
        self.push(end, WinEvent::Logoff(logon).draft());
        let closed = end + TimeDelta::milliseconds(50);
        self.log_flow(t, zone, flow.lasting(closed - t));
    }

    /// A staff member mistypes the password at the collected terminal's console and
    /// walks away.
    fn mistype(&mut self, zone: Zone) {
        let t = self.clock;
        let Some(term) = windows_terminal(zone) else {
            return self.flow(zone);
        };
        if self.console_until[zone as usize] > t
            || !self.limits.may_fail(CONSOLE, t)
            || !self
                .limits
                .take(Key::AuthFailure(CONSOLE), t, budget::AUTH_FAILURES)
        {
            return self.flow(zone);
        }
        self.limits
            .quiet_until
            .insert(CONSOLE, t + budget::QUIET_AFTER_FAILURE);
        let user = *SURNAMES.choose(&mut self.rng).unwrap_or(&SURNAMES[0]);
        let failure = WinEvent::Failure {
            term,
            user,
            logon_type: LogonType::Interactive,
            from: None,
        };
        self.push(t, failure.draft());
    }

    fn open_session(
        &mut self,
        zone: Zone,
        conn: &SshConn,
        (user, uid): (&str, u32),
        t: DateTime<Utc>,
    ) -> u32 {
        let id = &mut self.sessions[zone as usize];
        *id += 1;
        let id = *id;
        self.push(
            t + TimeDelta::milliseconds(11),
            conn.session_opened(user, uid),
        );
        let msg = format!("New session {id} of user {user}.");
        self.push(t + TimeDelta::milliseconds(19), logind(conn.dev, msg));
        id
    }

    fn close_session(
        &mut self,
        zone: Zone,
        conn: &SshConn,
        user: &str,
        session: u32,
        end: DateTime<Utc>,
    ) {
        let dev = zone.ssh_server();
        self.push(end, conn.received_disconnect());
        self.push(end + TimeDelta::microseconds(300), conn.disconnected(user));
        self.push(end + TimeDelta::milliseconds(2), conn.session_closed(user));
        let msg = format!("Session {session} logged out. Waiting for processes to exit.");
        self.push(end + TimeDelta::milliseconds(6), logind(dev, msg));
        self.push(
            end + TimeDelta::milliseconds(9),
            logind(dev, format!("Removed session {session}.")),
        );
    }

    /// Debian's sysstat job (`5-55/10 * * * * root debian-sa1 1 1`) on every server.
    fn cron(&mut self) {
        let at = self.next_cron;
        for zone in Zone::ALL {
            let dev = zone.ssh_server();
            let pid = self.next_pid(zone);
            let t = at + gap(&mut self.rng, 0.0, 0.4);
            self.push(t, cron_session(dev, pid, true));
            let t = t + gap(&mut self.rng, 0.05, 0.6);
            self.push(t, cron_session(dev, pid, false));
        }
    }
}

/// One client's page view, for building its Squid lines.
struct Visit {
    proxy: &'static Device,
    client: Ipv4Addr,
    user: &'static str,
    upstream: Hier,
}

impl Visit {
    /// The entry for the visit's proxy: Squid's fields as they are, or what i-FILTER
    /// writes for the same request.
    #[allow(clippy::too_many_arguments)] // one per access.log field
    fn entry(
        &self,
        duration_ms: u32,
        result: &'static str,
        status: u16,
        bytes: u64,
        method: &'static str,
        url: String,
        hier: Hier,
        content_type: &'static str,
    ) -> Draft {
        if self.proxy.role == Role::WebFilter {
            return self.filtered(
                duration_ms,
                result,
                status,
                bytes,
                method,
                url,
                content_type,
            );
        }
        Draft {
            dev: self.proxy,
            body: Body::Squid(SquidEntry {
                duration_ms,
                client: self.client,
                result,
                status,
                bytes,
                method,
                url,
                user: self.user,
                hier,
                content_type,
            }),
        }
    }

    /// i-FILTER's line for the request Squid would have logged with these fields. It
    /// keeps no cache, so every request it lets through goes to the security cloud, and
    /// it counts what the client sent, which Squid's native log has no field for: the
    /// request line and a browser's usual headers, plus for a form its body (about a
    /// quarter of the page it answers with) and for a tunnel the client's side of the
    /// TLS session (a twenty-fifth of what came back).
    #[allow(clippy::too_many_arguments)] // as `entry`
    fn filtered(
        &self,
        duration_ms: u32,
        result: &'static str,
        status: u16,
        bytes: u64,
        method: &'static str,
        url: String,
        content_type: &'static str,
    ) -> Draft {
        let blocked = result == "TCP_DENIED";
        let headers = 420 + url.len() as u64;
        let bytes_out = match method {
            "POST" => headers + bytes / 4,
            "CONNECT" if !blocked => headers + bytes / 25,
            _ => headers,
        };
        Draft {
            dev: self.proxy,
            body: Body::Ifilter(IfilterEntry {
                pid: self.proxy.pid,
                client: self.client,
                user: self.user,
                upstream: (!blocked).then_some((CLOUD_PROXY, 8080)),
                duration_ms,
                status,
                bytes_out,
                bytes_in: bytes,
                verdict: if blocked {
                    FilterVerdict::Block
                } else {
                    FilterVerdict::Allow
                },
                method,
                url,
                content_type,
            }),
        }
    }
}

fn mean_gap() -> f64 {
    LINES_PER_ACTIVITY / LINES_PER_SECOND
}

/// The first `hh:m5:01` at or after `t` (minute ≡ 5 mod 10; JST is a whole-hour offset,
/// so UTC minutes are the same).
fn next_sysstat(t: DateTime<Utc>) -> DateTime<Utc> {
    let base = t
        .with_second(1)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t);
    let minute = i64::from(base.minute());
    let mut next = base + TimeDelta::minutes((5 - minute % 10).rem_euclid(10));
    if next < t {
        next += TEN_MINUTES;
    }
    next
}
