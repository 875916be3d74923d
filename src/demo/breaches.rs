//! The policy scenarios beyond guessing, scanning and exfiltration: one burst per rule of
//! the pack that watches zone boundaries, web filtering, malware, accounts, remote
//! access, office hours and the pipeline itself.
//!
//! Each burst comes from a source reserved for it, as in `scenario.rs`, and labels its
//! lines with the alerts they are evidence for. Windows events land on the collected
//! terminals (term-lgwan01, whose Security log sanso reads), FortiGate's security
//! profiles and SSL-VPN on fw-lgwan, URL filtering on fw-inet: the formats and devices a
//! city would have collected for each.

use chrono::TimeDelta;
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::city::{
    FILE_SANITISER, FW_CORE, FW_INET, FW_LGWAN, PARTNER, PARTNER_PORT, PROXY_LGWAN, SURNAMES, Zone,
    host, owner, windows_terminal,
};
use super::expect::{ExpectedAlert, rule};
use super::firewall::Flow;
use super::fortigate::{FortiEvent, Signature};
use super::line::{Body, Draft};
use super::netfilter::{Packet, Verdict};
use super::panos::PanUrlLog;
use super::sample::{gap, linux_port, windows_port};
use super::scenario::{Burst, Cx, Step};
use super::squid::{Hier, SquidEntry};
use super::windows::{AccountChange, Logon, LogonType, Remote, WinEvent};

/// Where a blocked core terminal tries to go: the internet zone's servers and the
/// Internet, on the ports of the web, file sharing and remote desktop.
const CORE_DENIED_PORTS: [u16; 4] = [443, 80, 445, 3389];

/// Ports other than [`PARTNER_PORT`] an application server wrongly uses to the partner:
/// SSH, SMB and a database listener.
const PARTNER_WRONG_PORTS: [u16; 3] = [22, 445, 1521];

/// SaaS that lgwan staff reach for and the city has not approved (approved services are
/// the LGWAN-ASP ones proxy-lgwan serves every day).
const UNAPPROVED_SAAS: [&str; 4] = [
    "app.box.com",
    "www.dropbox.com",
    "drive.google.com",
    "wetransfer.com",
];

/// Malicious sites and their PAN-DB category: a phishing kit imitating the city's
/// banks and mail, malware droppers, and the command-and-control of the malware.
/// Names are under `.example`, reserved for documentation.
const MALICIOUS_SITES: [(&str, &str); 10] = [
    ("login-omaezaki-mail.example", "phishing"),
    ("shizuoka-bank-secure.example", "phishing"),
    ("mynumber-kakunin.example", "phishing"),
    ("office365-verify.example", "phishing"),
    ("cdn-update-flash.example", "malware"),
    ("invoice-download.example", "malware"),
    ("free-pdf-convert.example", "malware"),
    ("beacon-stat.example", "command-and-control"),
    ("api-telemetry-sync.example", "command-and-control"),
    ("tracker-cdn.example", "command-and-control"),
];

/// What fw-lgwan's IPS sees an infected terminal try on the file server.
static SMB_EXPLOITS: [Signature; 3] = [
    Signature {
        name: "MS.SMB.Server.SMBv1.Trans2.Secondary.Handling.Code.Execution",
        id: 43796,
        severity: "critical",
    },
    Signature {
        name: "MS.SMB.Server.Trans.Peeking.Data.Information.Disclosure",
        id: 43799,
        severity: "medium",
    },
    Signature {
        name: "MS.Windows.SMB.NTLM.Authentication.Lack.Entropy.Info.Disclosure",
        id: 44215,
        severity: "high",
    },
];

/// What fw-lgwan's antivirus finds in a file that slipped past the sanitiser.
static VIRUSES: [Signature; 3] = [
    Signature {
        name: "W32/Emotet.AP!tr",
        id: 10_004_512,
        severity: "critical",
    },
    Signature {
        name: "XML/Agent.FRS!tr",
        id: 10_010_877,
        severity: "critical",
    },
    Signature {
        name: "W32/Qbot.GB!tr",
        id: 10_007_301,
        severity: "critical",
    },
];

/// The file sanitiser's download path, and the infected files a terminal fetches.
const INFECTED_FILES: [(&str, &str); 3] = [
    ("seikyusho_1126.doc", "/download/2f91c0/seikyusho_1126.doc"),
    ("kaigi_shiryo.xlsm", "/download/7ad004/kaigi_shiryo.xlsm"),
    ("nouhin.zip", "/download/c3e9b2/nouhin.zip"),
];

/// NetBIOS names of the reserved staff terminals that attack on lgwan, one per round.
const LGWAN_PCS: [&str; 16] = [
    "LG-PC0412",
    "LG-PC0587",
    "LG-PC0133",
    "LG-PC0921",
    "LG-PC0256",
    "LG-PC0774",
    "LG-PC0318",
    "LG-PC0649",
    "LG-PC0095",
    "LG-PC0830",
    "LG-PC0467",
    "LG-PC0702",
    "LG-PC0184",
    "LG-PC0953",
    "LG-PC0521",
    "LG-PC0366",
];

/// Local accounts a staff member creates for a contractor, one per round; ordinary
/// traffic never uses them.
const CREATED: [&str; 16] = [
    "tmp-hoshu01",
    "tmp-hoshu02",
    "tmp-hoshu03",
    "tmp-hoshu04",
    "tmp-hoshu05",
    "tmp-hoshu06",
    "tmp-hoshu07",
    "tmp-hoshu08",
    "tmp-hoshu09",
    "tmp-hoshu10",
    "tmp-hoshu11",
    "tmp-hoshu12",
    "tmp-hoshu13",
    "tmp-hoshu14",
    "tmp-hoshu15",
    "tmp-hoshu16",
];

/// Accounts of the outsourced operators (委託事業者) on the lgwan and internet servers,
/// one per round, whose passwords leak with a contractor's notes; ordinary traffic and
/// the other scenarios never use them, so their failures count for this scenario alone.
const OPERATORS: [&str; 16] = [
    "itaku01", "itaku02", "itaku03", "itaku04", "itaku05", "itaku06", "itaku07", "itaku08",
    "itaku09", "itaku10", "itaku11", "itaku12", "itaku13", "itaku14", "itaku15", "itaku16",
];

/// Maintenance vendors' SSL-VPN accounts, one per round; ordinary traffic has no VPN.
const VENDORS: [&str; 16] = [
    "vendor-fujitsu01",
    "vendor-nec01",
    "vendor-hitachi01",
    "vendor-ntt01",
    "vendor-fujitsu02",
    "vendor-nec02",
    "vendor-hitachi02",
    "vendor-ntt02",
    "vendor-fujitsu03",
    "vendor-nec03",
    "vendor-hitachi03",
    "vendor-ntt03",
    "vendor-fujitsu04",
    "vendor-nec04",
    "vendor-hitachi04",
    "vendor-ntt04",
];

impl Cx {
    /// A core terminal trying the internet zone and the Internet again and again, every
    /// attempt blocked by fw-core: at least ten within a few minutes.
    pub(super) fn core_denied(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Core);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::CORE_DENIED, src)]);
        for _ in 0..self.rng.random_range(12..=20) {
            let dst = if self.rng.random_bool(0.5) {
                self.outside()
            } else {
                Zone::Internet.server(host::SSH_SERVER)
            };
            let dport = *CORE_DENIED_PORTS.choose(&mut self.rng).unwrap_or(&443);
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Block, src, dst, sport, dport);
            b.flow(b.t, &FW_CORE, &Flow::new(&mut self.rng, pkt));
            b.wait(gap(&mut self.rng, 2.0, 20.0));
        }
        b.steps()
    }

    /// A core server reaching the intermediate server on a port its tuple does not
    /// allow, through a rule that names the host but not the port.
    pub(super) fn partner_port(&mut self) -> Vec<Step> {
        let src = self.reserve_server(Zone::Core);
        let dport = *PARTNER_WRONG_PORTS.choose(&mut self.rng).unwrap_or(&22);
        debug_assert_ne!(dport, PARTNER_PORT);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::PARTNER_PORT, src)]);
        for _ in 0..self.rng.random_range(1..=3) {
            let sport = linux_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, PARTNER, sport, dport);
            b.flow(b.t, &FW_CORE, &Flow::new(&mut self.rng, pkt));
            b.wait(gap(&mut self.rng, 10.0, 60.0));
        }
        b.steps()
    }

    /// A compromised internet-zone server delivering mail, or pushing files, straight
    /// to lgwan's mail or file server, past the mail text relay and the file sanitiser,
    /// through fw-lgwan's too-wide `tmp-migration` policy.
    pub(super) fn unsanitised_inbound(&mut self) -> Vec<Step> {
        let src = self.reserve_server(Zone::Internet);
        let (dst, dport) = if self.rng.random_bool(0.5) {
            (Zone::Lgwan.server(host::MAIL), 25)
        } else {
            (Zone::Lgwan.server(host::FILE), 445)
        };
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::UNSANITISED_INBOUND, src)]);
        for _ in 0..self.rng.random_range(1..=4) {
            let sport = linux_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, dst, sport, dport);
            b.flow(b.t, &FW_LGWAN, &Flow::new(&mut self.rng, pkt));
            b.wait(gap(&mut self.rng, 5.0, 60.0));
        }
        b.steps()
    }

    /// An internet-zone terminal going out on 443 by itself (a tool with its own
    /// proxy settings), through fw-inet's `tmp-allow-https`: a few small sessions.
    pub(super) fn proxy_bypass(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Internet);
        let dst = self.outside();
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::PROXY_BYPASS, src)]);
        for _ in 0..self.rng.random_range(2..=5) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Allow, src, dst, sport, 443);
            let mut flow = Flow::new(&mut self.rng, pkt);
            let sent = self.rng.random_range(2_000..40_000);
            let rcvd = self.rng.random_range(5_000..200_000);
            flow.session.set_bytes(pkt.proto, sent, rcvd);
            let secs = self.rng.random_range(1.0..30.0);
            let flow = flow.lasting(TimeDelta::milliseconds((secs * 1_000.0) as i64));
            b.flow(b.t, &FW_INET, &flow);
            b.wait(gap(&mut self.rng, 10.0, 60.0));
        }
        b.steps()
    }

    /// An lgwan terminal opening an unapproved SaaS through proxy-lgwan, which the α′
    /// model lets through to the security cloud for approved services: a few tunnels.
    pub(super) fn unapproved_saas(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Lgwan);
        let site = *UNAPPROVED_SAAS
            .choose(&mut self.rng)
            .unwrap_or(&"app.box.com");
        let user = if self.rng.random_bool(0.3) {
            owner(src)
        } else {
            "-"
        };
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::UNAPPROVED_SAAS, src)]);
        for _ in 0..self.rng.random_range(2..=6) {
            let ms = self.rng.random_range(1_500..120_000);
            b.wait(TimeDelta::milliseconds(i64::from(ms)));
            let entry = SquidEntry {
                duration_ms: ms,
                client: src,
                result: "TCP_TUNNEL",
                status: 200,
                bytes: self.rng.random_range(8_000..900_000),
                method: "CONNECT",
                url: format!("{site}:443"),
                user,
                hier: Hier::Parent(super::city::CLOUD_PROXY),
                content_type: "-",
            };
            b.push_web(
                src,
                Draft {
                    dev: &PROXY_LGWAN,
                    body: Body::Squid(entry),
                },
            );
            b.wait(gap(&mut self.rng, 5.0, 90.0));
        }
        b.steps()
    }

    /// An internet-zone terminal infected with a downloader that ignores the proxy: its
    /// requests to phishing, malware and command-and-control sites, five domains or
    /// more, are blocked by fw-inet's URL filtering.
    pub(super) fn malicious_sites(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Internet);
        let mut sites = MALICIOUS_SITES;
        sites.shuffle(&mut self.rng);
        let count = self.rng.random_range(5..=8);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::MALICIOUS_CATEGORY, src)]);
        for &(host, category) in &sites[..count] {
            let dst = self.outside();
            let sport = windows_port(&mut self.rng);
            let packet = Packet::syn(&mut self.rng, Verdict::Block, src, dst, sport, 443);
            let log = PanUrlLog {
                packet,
                session: self.rng.random_range(100_000..2_000_000),
                host,
                category,
            };
            b.push(
                src,
                Draft {
                    dev: &FW_INET,
                    body: Body::PanosUrl(log),
                },
            );
            b.wait(gap(&mut self.rng, 5.0, 120.0));
        }
        b.steps()
    }

    /// An lgwan terminal fetches an infected file from the file sanitiser, which
    /// fw-lgwan's antivirus blocks, and then (infected by an earlier file) tries SMB
    /// exploits on the file server, which its IPS drops.
    pub(super) fn malware(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Lgwan);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::MALWARE, src)]);
        let (name, path) = *INFECTED_FILES
            .choose(&mut self.rng)
            .unwrap_or(&INFECTED_FILES[0]);
        let sport = windows_port(&mut self.rng);
        let packet = Packet::syn(
            &mut self.rng,
            Verdict::Allow,
            src,
            FILE_SANITISER,
            sport,
            443,
        );
        let virus = VIRUSES.choose(&mut self.rng).unwrap_or(&VIRUSES[0]);
        let event = FortiEvent::Virus {
            packet,
            session: self.rng.random_range(1_000_000..90_000_000),
            virus,
            file: (name, "sanitizer.omaezaki.lg.jp", path),
        };
        b.push(src, fortigate(event));
        b.wait(gap(&mut self.rng, 30.0, 300.0));
        let file_server = Zone::Lgwan.server(host::FILE);
        for _ in 0..self.rng.random_range(2..=4) {
            let sport = windows_port(&mut self.rng);
            let packet = Packet::syn(&mut self.rng, Verdict::Allow, src, file_server, sport, 445);
            let attack = SMB_EXPLOITS
                .choose(&mut self.rng)
                .unwrap_or(&SMB_EXPLOITS[0]);
            let event = FortiEvent::Ips {
                packet,
                session: self.rng.random_range(1_000_000..90_000_000),
                attack,
            };
            b.push(src, fortigate(event));
            b.wait(gap(&mut self.rng, 1.0, 30.0));
        }
        b.steps()
    }

    /// An internet-zone terminal hammering srv-inet01's remote desktop port, which
    /// fw-inet denies: well over a hundred denials within a minute.
    pub(super) fn deny_flood(&mut self) -> Vec<Step> {
        let src = self.reserve_terminal(Zone::Internet);
        let dst = Zone::Internet.server(host::SSH_SERVER);
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::ip(rule::DENY_FLOOD, src)]);
        for _ in 0..self.rng.random_range(110..=170) {
            let sport = windows_port(&mut self.rng);
            let pkt = Packet::syn(&mut self.rng, Verdict::Block, src, dst, sport, 3389);
            b.flow(b.t, &FW_INET, &Flow::new(&mut self.rng, pkt));
            b.wait(gap(&mut self.rng, 0.05, 0.4));
        }
        b.steps()
    }

    /// Network logons from a staff terminal to term-lgwan01 (mapping its admin share)
    /// failing for one account until Windows locks it out.
    pub(super) fn lockout(&mut self, round: usize) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Lgwan) else {
            return Vec::new();
        };
        let src = self.reserve_terminal(Zone::Lgwan);
        let user = *SURNAMES.choose(&mut self.rng).unwrap_or(&SURNAMES[0]);
        let workstation = LGWAN_PCS[round % LGWAN_PCS.len()];
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::user(rule::FAILURES, user)]);
        // The city's lockout threshold is five bad passwords.
        for _ in 0..5 {
            let failure = WinEvent::Failure {
                term,
                user,
                logon_type: LogonType::Network,
                from: Some(Remote {
                    ip: src,
                    port: windows_port(&mut self.rng),
                    workstation,
                }),
            };
            b.push(src, failure.draft());
            b.wait(gap(&mut self.rng, 2.0, 25.0));
        }
        b.wait(TimeDelta::milliseconds(3));
        let lockout = WinEvent::Lockout {
            term,
            user,
            caller: workstation,
        };
        b.push(src, lockout.draft());
        b.steps()
    }

    /// An administrator's `adm-` account used from a staff terminal, not the jump
    /// host: a network logon to term-lgwan01 with its special privileges.
    pub(super) fn privileged_logon(&mut self) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Lgwan) else {
            return Vec::new();
        };
        let src = self.reserve_terminal(Zone::Lgwan);
        let user = *Zone::Lgwan
            .windows_admins()
            .choose(&mut self.rng)
            .unwrap_or(&"adm-takahashi");
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::user(rule::PRIVILEGED_LOGON, user)]);
        let port = windows_port(&mut self.rng);
        let logon = Logon::new(
            &mut self.rng,
            term,
            (user, true),
            LogonType::Network,
            Some(Remote {
                ip: src,
                port,
                workstation: "-",
            }),
        );
        b.push(src, WinEvent::Logon(logon).draft());
        b.push(src, WinEvent::Special(logon).draft());
        b.wait(gap(&mut self.rng, 5.0, 120.0));
        b.push(src, WinEvent::Logoff(logon).draft());
        b.steps()
    }

    /// A staff member who is no administrator creates a local account on
    /// term-lgwan01 for a contractor, resets its password and makes it an
    /// administrator.
    pub(super) fn account_change(&mut self, round: usize) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Lgwan) else {
            return Vec::new();
        };
        let target = CREATED[round % CREATED.len()];
        // Staff who administer nothing: past the zones' admins in SURNAMES.
        let actor = *SURNAMES[11..].choose(&mut self.rng).unwrap_or(&"yamada");
        let src = term.ip;
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::user(rule::ACCOUNT_CHANGE, target)]);
        for change in [AccountChange::Created, AccountChange::PasswordReset] {
            let event = WinEvent::AccountChange {
                term,
                change,
                target,
                actor,
            };
            b.push(src, event.draft());
            b.wait(gap(&mut self.rng, 1.0, 20.0));
        }
        let add = WinEvent::AdminGroupAdd {
            term,
            member: target,
            actor,
        };
        b.push(src, add.draft());
        b.steps()
    }

    /// A compromised lgwan or internet server trying an outsourced operator's password
    /// on the zone's SSH server, wrong three times and then right (old passwords, then
    /// the current one from the same notes): several wrong passwords for one account
    /// followed by a success from one source (OMZ-19). sshd and PAM write six failure
    /// lines for the three wrong passwords, which is OMZ-15's count for the account too.
    pub(super) fn guessed_password(&mut self, zone: Zone, round: usize) -> Vec<Step> {
        let src = self.guesser(zone);
        let user = OPERATORS[round % OPERATORS.len()];
        let acct = super::auth::Account {
            name: user,
            valid: true,
        };
        let guessed = ExpectedAlert::ip(rule::GUESSED_PASSWORD, src);
        let failures = ExpectedAlert::user(rule::FAILURES, user);
        let mut b = Burst::new();
        b.expect(&[guessed, failures]);
        let (conn, flow) = self.ssh_connect(&mut b, zone, src);
        b.push(src, conn.pam_auth_failure(acct));
        // sshd's failure delay plus the typing, at a steady pace.
        let pace = gap(&mut self.rng, 1.6, 3.2);
        for _ in 0..3 {
            b.wait(pace);
            b.push(src, conn.failed("password", acct));
        }
        b.push(src, conn.closed_preauth(acct));
        b.push(src, conn.pam_more_failures(2, acct));
        Cx::ssh_close(&mut b, zone, flow);
        b.wait(gap(&mut self.rng, 5.0, 60.0));
        let (conn, flow) = self.ssh_connect(&mut b, zone, src);
        b.wait(gap(&mut self.rng, 1.6, 3.2));
        b.push_logon(src, conn.accepted("password", user), user);
        let login = b.t;
        b.wait(gap(&mut self.rng, 60.0, 600.0));
        Cx::ssh_close(&mut b, zone, flow);
        b.t = login;
        b.steps()
    }

    /// A maintenance vendor's SSL-VPN tunnel into lgwan on fw-lgwan, with the
    /// password alone: the vendor's portal was set up before the city required a token.
    pub(super) fn vpn_without_mfa(&mut self, round: usize) -> Vec<Step> {
        let user = VENDORS[round % VENDORS.len()];
        let remote = std::net::Ipv4Addr::new(203, 0, 113, self.rng.random_range(10..=250));
        let tunnel_ip = std::net::Ipv4Addr::new(10, 20, 250, self.rng.random_range(2..=250));
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::user(rule::REMOTE_WITHOUT_MFA, user)]);
        let event = FortiEvent::TunnelUp {
            user,
            remote,
            tunnel_ip,
            tunnel_id: self.rng.random_range(100_000..900_000),
        };
        b.push(remote, fortigate(event));
        b.steps()
    }

    /// A staff member back at term-lgwan01's console late at night (or at the
    /// weekend): the logon, and the logoff an hour or so later. The plan places it
    /// outside office hours; OMZ-21's label comes with the time.
    pub(super) fn after_hours(&mut self) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Lgwan) else {
            return Vec::new();
        };
        let user = *SURNAMES.choose(&mut self.rng).unwrap_or(&SURNAMES[0]);
        let src = term.ip;
        let logon = Logon::new(
            &mut self.rng,
            term,
            (user, false),
            LogonType::Interactive,
            None,
        );
        let mut b = Burst::new();
        b.push_logon(src, WinEvent::Logon(logon).draft(), user);
        b.wait(gap(&mut self.rng, 600.0, 1_800.0));
        b.push(src, WinEvent::Logoff(logon).draft());
        b.steps()
    }

    /// An administrator clears term-lgwan01's Security log from the jump host, which
    /// erases the record of whatever came before: the 1102 the log starts again with.
    pub(super) fn audit_log_cleared(&mut self) -> Vec<Step> {
        let Some(term) = windows_terminal(Zone::Lgwan) else {
            return Vec::new();
        };
        let actor = *Zone::Lgwan
            .windows_admins()
            .choose(&mut self.rng)
            .unwrap_or(&"adm-takahashi");
        let mut b = Burst::new();
        b.expect(&[ExpectedAlert::device(rule::PIPELINE, term.dev.name)]);
        b.push(term.ip, WinEvent::LogCleared { term, actor }.draft());
        b.steps()
    }
}

fn fortigate(event: FortiEvent) -> Draft {
    Draft {
        dev: &FW_LGWAN,
        body: Body::FortigateEvent(event),
    }
}
