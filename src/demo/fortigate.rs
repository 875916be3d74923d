//! FortiGate traffic logs, as fw-lgwan (a FortiGate 100F on FortiOS 7.2) sends them.
//!
//! ```text
//! date=2026-11-20 time=09:15:02 devname="fw-lgwan" devid="FG100FTK21004862"
//!   eventtime=1795133702123456789 tz="+0900" logid="0000000013" type="traffic"
//!   subtype="forward" level="notice" vd="root" srcip=10.20.2.15 srcport=51234
//!   srcintf="trust-lgwan" srcintfrole="lan" dstip=10.20.1.30 dstport=443
//!   dstintf="srv-lgwan" dstintfrole="lan" srccountry="Reserved" dstcountry="Reserved"
//!   sessionid=1234567 proto=6 action="close" policyid=1 policytype="policy"
//!   poluuid="..." policyname="term-to-servers" service="HTTPS" trandisp="noop"
//!   duration=12 sentbyte=2345 rcvdbyte=34567 sentpkt=12 rcvdpkt=30 appcat="unscanned"
//! ```
//!
//! One line per session, written when it ends: `action="close"` for TCP, `"accept"` for
//! UDP (which has no close). A denied packet is written at once with `action="deny"`,
//! policy 0 (the implicit deny, with the client-reputation score FortiOS adds) and no
//! traffic. Broadcasts to the terminal segment hit the FortiGate itself: they are
//! `subtype="local"` traffic, denied by the local-in policy, with `dstintf="root"` (the
//! VDOM). `eventtime` is in nanoseconds and the other stamps in the device's local time,
//! Asia/Tokyo.
//!
//! fw-lgwan has four interfaces, named after what they face; the configuration maps
//! each name to a zone ([`INTERFACES`]). Policies follow the three-layer model, plus one
//! left too wide (`tmp-migration`, from the terminals to the internet zone), which is
//! what the cross-zone scenario goes through.
//!
//! Over syslog FortiGate sends the pairs without a header (`<189>date=...`); the city's
//! rsyslog collector, which also writes the file, adds its timestamp and the host name,
//! so the wire form is `<189>Nov 20 09:15:02 fw-lgwan date=...` with no program tag.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

use super::city::{FILE_SANITISER, MAIL_RELAY, SCREEN_TRANSFER, Zone, host};
use super::firewall::Session;
use super::netfilter::{Packet, Proto, Verdict};
use super::sample::stable_uuid;

/// PRI of FortiGate traffic logs: local7 (23) × 8 + notice (5), FortiOS's default.
pub(crate) const FORTIGATE_PRI: u8 = 189;

/// fw-lgwan's serial number.
const DEVID: &str = "FG100FTK21004862";

/// fw-lgwan's interfaces and the zone each faces, as the configuration's `interfaces`
/// lists must map them: the terminal and server segments, the LGWAN backbone (where the
/// LGWAN-ASP services are), and the link to the sanitisation DMZ of the internet zone.
#[cfg(test)]
pub(crate) const INTERFACES: [(&str, &str); 4] = [
    ("trust-lgwan", "lgwan"),
    ("srv-lgwan", "lgwan"),
    ("lgwan", "lgwan"),
    ("dmz-inet", "internet"),
];

/// One session (or denied packet) as fw-lgwan logs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FortiLog {
    pub(crate) packet: Packet,
    pub(crate) session: Session,
}

/// The interface facing `ip`, and its FortiOS role.
fn interface(ip: Ipv4Addr) -> (&'static str, &'static str) {
    let lgwan = Zone::Lgwan.octet();
    match ip.octets() {
        [10, b, 2 | 3, _] if b == lgwan => ("trust-lgwan", "lan"),
        [10, b, 1, _] if b == lgwan => ("srv-lgwan", "lan"),
        [172, 16..=31, _, _] => ("lgwan", "wan"),
        // The internet zone, and whatever lies beyond it.
        _ => ("dmz-inet", "dmz"),
    }
}

/// A firewall policy: its id and name (policy 0, the implicit deny, has no name).
struct Policy {
    id: u32,
    name: Option<&'static str>,
}

/// The policy that decided the packet, from where it came from and went to.
fn policy(p: &Packet) -> Policy {
    if p.verdict == Verdict::Block {
        return Policy { id: 0, name: None };
    }
    let lgwan = |h| Zone::Lgwan.server(h);
    let (id, name) = match (interface(p.src).0, interface(p.dst).0) {
        ("trust-lgwan", "srv-lgwan") => (1, "term-to-servers"),
        ("trust-lgwan", "dmz-inet") if p.dst == SCREEN_TRANSFER || p.dst == FILE_SANITISER => {
            (2, "term-to-sanitizers")
        }
        ("dmz-inet", "srv-lgwan") if p.src == MAIL_RELAY && p.dst == lgwan(host::MAIL) => {
            (3, "relay-to-mail")
        }
        ("srv-lgwan", "lgwan") if p.src == lgwan(host::PROXY) => (4, "proxy-to-lgwan-asp"),
        ("srv-lgwan", "trust-lgwan") if p.src == lgwan(host::JUMP) => (5, "admin-to-terminals"),
        // Written for a data migration to the internet zone and never removed: terminals
        // to anything behind the DMZ link, any service.
        _ => (9, "tmp-migration"),
    };
    Policy {
        id,
        name: Some(name),
    }
}

/// FortiOS's predefined service for a port, else `tcp/PORT` or `udp/PORT`.
fn service(proto: Proto, port: u16) -> String {
    let tcp = matches!(proto, Proto::TcpSyn { .. });
    let name = match (tcp, port) {
        (_, 53) => "DNS",
        (_, 88) => "KERBEROS",
        (false, 123) => "NTP",
        (_, 161) => "SNMP",
        (true, 21) => "FTP",
        (true, 22) => "SSH",
        (true, 23) => "TELNET",
        (true, 25) => "SMTP",
        (true, 80) => "HTTP",
        (true, 110) => "POP3",
        (true, 135) => "DCE-RPC",
        (true, 139) => "SAMBA",
        (true, 143) => "IMAP",
        (true, 389) => "LDAP",
        (true, 443) => "HTTPS",
        (true, 445) => "SMB",
        (true, 465) => "SMTPS",
        (true, 993) => "IMAPS",
        (true, 995) => "POP3S",
        (true, 1433) => "MS-SQL",
        (true, 1723) => "PPTP",
        (true, 3128) => "SQUID",
        (true, 3306) => "MYSQL",
        (true, 3389) => "RDP",
        (true, 5900) => "VNC",
        (true, _) => return format!("tcp/{port}"),
        (false, _) => return format!("udp/{port}"),
    };
    name.to_owned()
}

impl FortiLog {
    /// The key=value message FortiOS writes for the session ending (or the packet
    /// denied) at `at`.
    pub(crate) fn message(&self, at: DateTime<Utc>) -> String {
        let p = &self.packet;
        let s = &self.session;
        let local = at.with_timezone(&Tokyo);
        // The broadcast that stops at the FortiGate is local-in traffic.
        let to_self = p.dst == Zone::Lgwan.terminal_broadcast();
        let (src_intf, src_role) = interface(p.src);
        let (dst_intf, dst_role) = if to_self {
            ("root", "undefined")
        } else {
            interface(p.dst)
        };
        let (logid, subtype) = if to_self {
            ("0001000014", "local")
        } else {
            ("0000000013", "forward")
        };
        // FortiOS stamps nanoseconds; the digits below the microsecond vary with the
        // session, except on a whole second, which they must not pass (the syslog header
        // shows that second).
        let below_micros = if at.timestamp_subsec_nanos() == 0 {
            0
        } else {
            s.id % 1_000
        };
        let nanos = i128::from(at.timestamp_micros()) * 1_000 + i128::from(below_micros);
        let (proto, udp) = match p.proto {
            Proto::TcpSyn { .. } => (6, false),
            Proto::Udp => (17, true),
        };
        let mut m = String::with_capacity(640);
        let _ = write!(
            m,
            "date={} time={} devname=\"fw-lgwan\" devid=\"{DEVID}\" eventtime={nanos} \
             tz=\"+0900\" logid=\"{logid}\" type=\"traffic\" subtype=\"{subtype}\" \
             level=\"notice\" vd=\"root\" srcip={} srcport={} srcintf=\"{src_intf}\" \
             srcintfrole=\"{src_role}\" dstip={} dstport={} dstintf=\"{dst_intf}\" \
             dstintfrole=\"{dst_role}\" srccountry=\"Reserved\" dstcountry=\"Reserved\" \
             sessionid={} proto={proto} ",
            local.format("%Y-%m-%d"),
            local.format("%H:%M:%S"),
            p.src,
            p.sport,
            p.dst,
            p.dport,
            s.id,
        );
        let service = service(p.proto, p.dport);
        match (p.verdict, to_self) {
            (Verdict::Block, true) => {
                let _ = write!(
                    m,
                    "action=\"deny\" policyid=0 policytype=\"local-in-policy\" \
                     service=\"{service}\" trandisp=\"noop\" app=\"netbios forward\" \
                     duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 rcvdpkt=0 appcat=\"unscanned\""
                );
            }
            (Verdict::Block, false) => {
                let _ = write!(
                    m,
                    "action=\"deny\" policyid=0 policytype=\"policy\" service=\"{service}\" \
                     trandisp=\"noop\" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 \
                     appcat=\"unscanned\" crscore=30 craction=131072 crlevel=\"high\""
                );
            }
            (Verdict::Allow, _) => {
                let policy = policy(p);
                let action = if udp { "accept" } else { "close" };
                let _ = write!(
                    m,
                    "action=\"{action}\" policyid={} policytype=\"policy\" ",
                    policy.id
                );
                if let Some(name) = policy.name {
                    let uuid = stable_uuid(&format!("fw-lgwan policy {}", policy.id));
                    let _ = write!(m, "poluuid=\"{uuid}\" policyname=\"{name}\" ");
                }
                let _ = write!(
                    m,
                    "service=\"{service}\" trandisp=\"noop\" duration={} sentbyte={} \
                     rcvdbyte={} sentpkt={} rcvdpkt={} appcat=\"unscanned\"",
                    s.duration.num_seconds(),
                    s.bytes_sent,
                    s.bytes_rcvd,
                    s.pkts_sent,
                    s.pkts_rcvd,
                );
            }
        }
        m
    }
}

/// A FortiGate UTM or event log of fw-lgwan: what its security profiles caught, and
/// its SSL-VPN.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FortiEvent {
    /// An IPS signature matched on a session, and the packet was dropped.
    Ips {
        packet: Packet,
        session: u32,
        attack: &'static Signature,
    },
    /// The antivirus profile found an infected file in a download and blocked it.
    Virus {
        packet: Packet,
        session: u32,
        virus: &'static Signature,
        /// The file's name and the URL it came from (host and path).
        file: (&'static str, &'static str, &'static str),
    },
    /// An SSL-VPN tunnel came up for `user` from `remote`; `tunnel_ip` is the address
    /// FortiOS gave the client.
    TunnelUp {
        user: &'static str,
        remote: Ipv4Addr,
        tunnel_ip: Ipv4Addr,
        tunnel_id: u32,
    },
}

/// A FortiGuard signature: its name, its id and the severity FortiOS rates it.
#[derive(Debug)]
pub(crate) struct Signature {
    pub(crate) name: &'static str,
    pub(crate) id: u32,
    pub(crate) severity: &'static str,
}

impl FortiEvent {
    /// The key=value message FortiOS writes for the event at `at`.
    pub(crate) fn message(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&Tokyo);
        let mut m = String::with_capacity(720);
        let (logid, kind, subtype, level) = match self {
            FortiEvent::Ips { .. } => ("0419016384", "utm", "ips", "alert"),
            FortiEvent::Virus { .. } => ("0211008192", "utm", "virus", "warning"),
            FortiEvent::TunnelUp { .. } => ("0101039947", "event", "vpn", "information"),
        };
        let _ = write!(
            m,
            "date={} time={} devname=\"fw-lgwan\" devid=\"{DEVID}\" eventtime={} tz=\"+0900\" \
             logid=\"{logid}\" type=\"{kind}\" subtype=\"{subtype}\" ",
            local.format("%Y-%m-%d"),
            local.format("%H:%M:%S"),
            i128::from(at.timestamp_micros()) * 1_000,
        );
        match self {
            FortiEvent::Ips {
                packet: p,
                session,
                attack,
            } => {
                let (src_intf, src_role) = interface(p.src);
                let (dst_intf, dst_role) = interface(p.dst);
                let policy = policy(&Packet {
                    verdict: Verdict::Allow,
                    ..*p
                });
                let _ = write!(
                    m,
                    "eventtype=\"signature\" level=\"{level}\" vd=\"root\" severity=\"{sev}\" \
                     srcip={} srccountry=\"Reserved\" dstip={} dstcountry=\"Reserved\" \
                     srcintf=\"{src_intf}\" srcintfrole=\"{src_role}\" dstintf=\"{dst_intf}\" \
                     dstintfrole=\"{dst_role}\" sessionid={session} action=\"dropped\" proto=6 \
                     service=\"{}\" policyid={} policytype=\"policy\" attack=\"{name}\" \
                     srcport={} dstport={} direction=\"outgoing\" attackid={id} \
                     profile=\"default\" ref=\"http://www.fortinet.com/ids/VID{id}\" \
                     incidentserialno={} msg=\"applications3: {name}\" crscore=50 \
                     craction=4096 crlevel=\"critical\"",
                    p.src,
                    p.dst,
                    service(p.proto, p.dport),
                    policy.id,
                    p.sport,
                    p.dport,
                    session.wrapping_mul(7) % 900_000_000 + 100_000_000,
                    sev = attack.severity,
                    name = attack.name,
                    id = attack.id,
                );
            }
            FortiEvent::Virus {
                packet: p,
                session,
                virus,
                file: (name, host, path),
            } => {
                let (src_intf, src_role) = interface(p.src);
                let (dst_intf, dst_role) = interface(p.dst);
                let policy = policy(&Packet {
                    verdict: Verdict::Allow,
                    ..*p
                });
                let _ = write!(
                    m,
                    "eventtype=\"infected\" level=\"{level}\" vd=\"root\" msg=\"File is infected.\" \
                     action=\"blocked\" service=\"HTTPS\" sessionid={session} srcip={} dstip={} \
                     srcport={} dstport={} srccountry=\"Reserved\" dstcountry=\"Reserved\" \
                     srcintf=\"{src_intf}\" srcintfrole=\"{src_role}\" dstintf=\"{dst_intf}\" \
                     dstintfrole=\"{dst_role}\" policyid={} policytype=\"policy\" proto=6 \
                     direction=\"incoming\" filename=\"{name}\" \
                     quarskip=\"File-was-not-quarantined\" virus=\"{vname}\" dtype=\"Virus\" \
                     ref=\"http://www.fortinet.com/ve?vn={vname}\" virusid={id} \
                     url=\"https://{host}{path}\" profile=\"default\" \
                     agent=\"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\" analyticssubmit=\"false\" \
                     crscore=50 craction=2 crlevel=\"critical\"",
                    p.src,
                    p.dst,
                    p.sport,
                    p.dport,
                    policy.id,
                    vname = virus.name,
                    id = virus.id,
                );
            }
            FortiEvent::TunnelUp {
                user,
                remote,
                tunnel_ip,
                tunnel_id,
            } => {
                let _ = write!(
                    m,
                    "level=\"{level}\" vd=\"root\" logdesc=\"SSL VPN tunnel up\" \
                     action=\"tunnel-up\" tunneltype=\"ssl-tunnel\" tunnelid={tunnel_id} \
                     remip={remote} tunnelip={tunnel_ip} user=\"{user}\" group=\"vendor-vpn\" \
                     dst_host=\"N/A\" reason=\"N/A\" msg=\"SSL tunnel established\""
                );
            }
        }
        m
    }
}
