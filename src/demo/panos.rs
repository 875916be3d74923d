//! PAN-OS traffic logs, as fw-inet (a PA-3220 on PAN-OS 11.1) sends them over syslog.
//!
//! ```text
//! Nov 20 09:15:02 fw-inet 1,2026/11/20 09:15:02,013201028461,TRAFFIC,end,2561,
//!   2026/11/20 09:15:02,10.30.2.40,10.30.1.8,0.0.0.0,0.0.0.0,trust-to-servers,
//!   omaezaki\sato,,http-proxy,vsys1,trust-inet,srv-inet,ethernet1/2,ethernet1/3,
//!   Forward-to-SIEM,2026/11/20 09:15:02,845123,1,51234,8080,0,0,0x400019,tcp,allow,
//!   40312,2210,38102,33,2026/11/20 09:14:31,31,private-ip-addresses,0,...
//! ```
//!
//! The record is the syslog default format: the "Traffic Log Fields" of the PAN-OS
//! 11.1 documentation in their order, 117 fields, `FUTURE_USE` fields as the devices
//! fill them (the first is `1`, the one after Log Action repeats the generated time),
//! a field that holds a comma in double quotes. One record per session, subtype `end`,
//! written when the session ends; a denied packet is written at once, subtype `deny`,
//! by the `deny-all` rule at the bottom of the rulebase. Times are the firewall's local
//! time (Asia/Tokyo), and the High Resolution Timestamp carries milliseconds and the
//! offset. There is no NAT: the uplink is the prefecture's closed network, whose
//! security cloud translates addresses, so the NAT fields are `0.0.0.0` and `0`.
//!
//! fw-inet's zones are named after the segments they hold; the configuration maps each
//! to a sanso zone ([`ZONES`]): the terminals, the servers, the sanitisation DMZ, and
//! `untrust`, the uplink to the security cloud, which is outside the city. Users come
//! from User-ID for terminal sources (`omaezaki\sato`). Rules follow the model, plus
//! one left too wide (`tmp-allow-https`, terminals straight out on 443), which is what
//! the exfiltration scenario goes through.
//!
//! PAN-OS sends the record with an RFC 3164 header and no program tag (BSD format):
//! `<14>Nov 20 09:15:02 fw-inet 1,2026/11/20 ...`, user.info.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

use super::city::{CLOUD_DNS, CLOUD_PROXY, MAIL_RELAY, Zone, host, is_terminal, owner};
use super::firewall::Session;
use super::netfilter::{Packet, Proto, Verdict};
use super::sample::stable_uuid;

/// PRI of PAN-OS syslog: user (1) × 8 + informational (6).
pub(crate) const PANOS_PRI: u8 = 14;

/// fw-inet's serial number.
const SERIAL: &str = "013201028461";

/// Fields of a TRAFFIC record in PAN-OS 11.1.
pub(crate) const TRAFFIC_FIELDS: usize = 117;

/// fw-inet's security zones and the sanso zone each faces, as the configuration's
/// `interfaces` lists must map them.
#[cfg(test)]
pub(crate) const ZONES: [(&str, &str); 4] = [
    ("trust-inet", "internet"),
    ("srv-inet", "internet"),
    ("dmz-inet", "internet"),
    ("untrust", "external"),
];

/// One session (or denied packet) as fw-inet logs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PanLog {
    pub(crate) packet: Packet,
    pub(crate) session: Session,
}

/// The security zone and interface facing `ip`.
fn zone(ip: Ipv4Addr) -> (&'static str, &'static str) {
    let inet = Zone::Internet.octet();
    match ip.octets() {
        [10, b, 2 | 3, _] if b == inet => ("trust-inet", "ethernet1/2"),
        [10, b, 1, _] if b == inet => ("srv-inet", "ethernet1/3"),
        [10, b, 5, _] if b == inet => ("dmz-inet", "ethernet1/4"),
        _ => ("untrust", "ethernet1/1"),
    }
}

/// The rule that decided the packet, from the zones it crossed.
fn rule(p: &Packet) -> &'static str {
    if p.verdict == Verdict::Block {
        return "deny-all";
    }
    let inet = |h| Zone::Internet.server(h);
    match (zone(p.src).0, zone(p.dst).0) {
        ("trust-inet", "srv-inet") if p.dport == 22 => "admin-ssh",
        ("trust-inet", "srv-inet") => "trust-to-servers",
        ("srv-inet", "untrust")
            if (p.src == inet(host::PROXY) || p.src == inet(host::WEB_FILTER))
                && p.dst == CLOUD_PROXY =>
        {
            "proxy-to-cloud"
        }
        ("srv-inet", "untrust") if p.src == inet(host::DC) && p.dst == CLOUD_DNS => "dns-to-cloud",
        ("dmz-inet", "untrust") if p.src == MAIL_RELAY => "mail-relay-out",
        ("untrust", "dmz-inet") if p.dst == MAIL_RELAY => "mail-relay-in",
        // Opened for a vendor's update site with destination `any`, and forgotten.
        ("trust-inet", "untrust") if p.dport == 443 => "tmp-allow-https",
        _ => "tmp-vendor-access",
    }
}

/// App-ID's name for an allowed session, and the application's subcategory, category,
/// technology, risk and characteristics.
fn app(p: &Packet) -> (&'static str, [&'static str; 5]) {
    if p.verdict == Verdict::Block {
        // Denied before App-ID saw any payload.
        return ("not-applicable", [""; 5]);
    }
    let tcp = matches!(p.proto, Proto::TcpSyn { .. });
    match (tcp, p.dport) {
        (false, 53) => (
            "dns-base",
            ["infrastructure", "networking", "network-protocol", "3", ""],
        ),
        (false, 123) => (
            "ntp-base",
            ["infrastructure", "networking", "network-protocol", "2", ""],
        ),
        (true, 88) => (
            "kerberos",
            ["auth-service", "networking", "client-server", "1", ""],
        ),
        (true, 389) => (
            "ldap",
            ["auth-service", "networking", "client-server", "2", ""],
        ),
        (true, 445) => (
            "ms-ds-smb-base",
            [
                "file-sharing",
                "business-systems",
                "client-server",
                "2",
                "able-to-transfer-file,has-known-vulnerability,pervasive-use",
            ],
        ),
        (true, 443) => (
            "ssl",
            [
                "encrypted-tunnel",
                "networking",
                "browser-based",
                "4",
                "able-to-transfer-file,has-known-vulnerability,tunnel-other-application,pervasive-use",
            ],
        ),
        (true, 8080) => (
            "http-proxy",
            [
                "proxy",
                "networking",
                "browser-based",
                "4",
                "evasive,has-known-vulnerability,tunnel-other-application,pervasive-use",
            ],
        ),
        (true, 25) => (
            "smtp-base",
            [
                "email",
                "collaboration",
                "client-server",
                "5",
                "able-to-transfer-file,has-known-vulnerability,used-by-malware,pervasive-use",
            ],
        ),
        (true, 22) => (
            "ssh",
            [
                "encrypted-tunnel",
                "networking",
                "client-server",
                "4",
                "evasive,has-known-vulnerability,tunnel-other-application,pervasive-use",
            ],
        ),
        (true, _) => ("unknown-tcp", ["", "", "", "", ""]),
        (false, _) => ("unknown-udp", ["", "", "", "", ""]),
    }
}

/// Source/Destination Location: the private range, else the country.
fn location(ip: Ipv4Addr) -> &'static str {
    match ip.octets() {
        [10, ..] => "10.0.0.0-10.255.255.255",
        [172, 16..=31, ..] => "172.16.0.0-172.31.255.255",
        // The prefecture's security cloud.
        [198, 51, 100, _] => "Japan",
        _ => "United States",
    }
}

/// A CSV field, quoted when it holds a comma (PAN-OS quotes such fields whole).
fn csv(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains(',') {
        format!("\"{field}\"").into()
    } else {
        field.into()
    }
}

impl PanLog {
    /// The CSV record PAN-OS writes for the session ending (or the packet denied) at `at`.
    pub(crate) fn message(&self, at: DateTime<Utc>) -> String {
        let p = &self.packet;
        let s = &self.session;
        let stamp = |t: DateTime<Utc>| t.with_timezone(&Tokyo).format("%Y/%m/%d %H:%M:%S");
        let generated = stamp(at).to_string();
        let start = stamp(at - s.duration).to_string();
        let (from, inbound) = zone(p.src);
        let (to, outbound) = zone(p.dst);
        let rule = rule(p);
        let user = if is_terminal(p.src) && from == "trust-inet" {
            format!("omaezaki\\{}", owner(p.src))
        } else {
            String::new()
        };
        let (app, [subcategory, category, technology, risk, characteristics]) = app(p);
        let allowed = p.verdict == Verdict::Allow;
        let (subtype, action, flags) = if allowed {
            ("end", "allow", "0x400019")
        } else {
            ("deny", "deny", "0x0")
        };
        let (proto, end_reason) = match (p.proto, allowed) {
            (_, false) => (proto_name(p.proto), "policy-deny"),
            (Proto::TcpSyn { .. }, true) => ("tcp", "tcp-fin"),
            (Proto::Udp, true) => ("udp", "aged-out"),
        };
        let url_category = if location(p.dst).contains('-') {
            "private-ip-addresses"
        } else {
            "any"
        };
        // PAN-OS numbers its logs; the count is kept in step with the clock here, so
        // that records drafted at different times never need a shared counter.
        let seqno = 7_200_000_000_000_000_000_u64 + at.timestamp_micros().max(0).unsigned_abs();
        let high_res = at
            .with_timezone(&Tokyo)
            .format("%Y-%m-%dT%H:%M:%S%.3f+09:00");
        let (tunneled, saas) = if allowed {
            ("untunneled", "no")
        } else {
            ("", "no")
        };

        let mut m = String::with_capacity(720);
        let _ = write!(
            m,
            "1,{generated},{SERIAL},TRAFFIC,{subtype},2561,{generated},{src},{dst},0.0.0.0,0.0.0.0,\
             {rule},{user},,{app},vsys1,{from},{to},{inbound},{outbound},Forward-to-SIEM,\
             {generated},{id},1,{sport},{dport},0,0,{flags},{proto},{action},{bytes},{sent},\
             {rcvd},{packets},{start},{elapsed},{url_category},0,{seqno},0x0,{srcloc},{dstloc},0,\
             {pkts_sent},{pkts_rcvd},{end_reason},0,0,0,0,,fw-inet,from-policy,,,0,,0,,N/A,0,0,0,0,\
             {rule_uuid},0,0,",
            src = p.src,
            dst = p.dst,
            id = s.id,
            sport = p.sport,
            dport = p.dport,
            bytes = s.bytes_sent + s.bytes_rcvd,
            sent = s.bytes_sent,
            rcvd = s.bytes_rcvd,
            packets = s.pkts_sent + s.pkts_rcvd,
            elapsed = s.duration.num_seconds(),
            srcloc = location(p.src),
            dstloc = location(p.dst),
            pkts_sent = s.pkts_sent,
            pkts_rcvd = s.pkts_rcvd,
            rule_uuid = stable_uuid(&format!("fw-inet rule {rule}")),
        );
        // Policy ID to Session Owner (68–101): SD-WAN, IoT, container and EDL fields,
        // all empty on this firewall.
        m.push_str(&",".repeat(101 - 68));
        let _ = write!(
            m,
            ",{high_res},,,{subcategory},{category},{technology},{risk},{},,{tunneled},{saas},no,0,,",
            csv(characteristics),
        );
        debug_assert_eq!(
            count_fields(&m),
            TRAFFIC_FIELDS,
            "a PAN-OS TRAFFIC record has {TRAFFIC_FIELDS} fields: {m}"
        );
        m
    }
}

fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::TcpSyn { .. } => "tcp",
        Proto::Udp => "udp",
    }
}

/// Fields of a CSV record whose quoted fields hold no quotes.
pub(crate) fn count_fields(record: &str) -> usize {
    let mut fields = 1;
    let mut quoted = false;
    for c in record.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields += 1,
            _ => {}
        }
    }
    fields
}

/// Fields of a THREAT record in PAN-OS 11.1.
pub(crate) const THREAT_FIELDS: usize = 121;

/// A URL filtering record (THREAT, subtype `url`): fw-inet's URL filtering profile
/// blocked a request of a terminal to a site in a category the city blocks. The
/// firewall decrypts nothing: it reads the site from the TLS server name, so the URL is
/// the host and `/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PanUrlLog {
    pub(crate) packet: Packet,
    pub(crate) session: u32,
    pub(crate) host: &'static str,
    /// The PAN-DB category (`malware`, `phishing`, `command-and-control`, ...).
    pub(crate) category: &'static str,
}

impl PanUrlLog {
    /// The CSV record PAN-OS writes for the block at `at`.
    pub(crate) fn message(&self, at: DateTime<Utc>) -> String {
        let p = &self.packet;
        let generated = at
            .with_timezone(&Tokyo)
            .format("%Y/%m/%d %H:%M:%S")
            .to_string();
        let (from, inbound) = zone(p.src);
        let (to, outbound) = zone(p.dst);
        let user = if is_terminal(p.src) {
            format!("omaezaki\\{}", owner(p.src))
        } else {
            String::new()
        };
        let seqno = 7_200_000_000_000_000_000_u64 + at.timestamp_micros().max(0).unsigned_abs();
        let high_res = at
            .with_timezone(&Tokyo)
            .format("%Y-%m-%dT%H:%M:%S%.3f+09:00");
        let rule = "tmp-allow-https";
        let mut f: Vec<String> = vec![String::new(); THREAT_FIELDS];
        let mut set = |i: usize, v: String| f[i] = v;
        set(0, "1".into());
        set(1, generated.clone());
        set(2, SERIAL.into());
        set(3, "THREAT".into());
        set(4, "url".into());
        set(5, "2561".into());
        set(6, generated.clone());
        set(7, p.src.to_string());
        set(8, p.dst.to_string());
        set(9, "0.0.0.0".into());
        set(10, "0.0.0.0".into());
        set(11, rule.into());
        set(12, user);
        set(14, "ssl".into());
        set(15, "vsys1".into());
        set(16, from.into());
        set(17, to.into());
        set(18, inbound.into());
        set(19, outbound.into());
        set(20, "Forward-to-SIEM".into());
        set(21, generated);
        set(22, self.session.to_string());
        set(23, "1".into());
        set(24, p.sport.to_string());
        set(25, p.dport.to_string());
        set(26, "0".into());
        set(27, "0".into());
        set(28, "0x8000".into());
        set(29, "tcp".into());
        set(30, "block-url".into());
        set(31, format!("{}/", self.host));
        set(32, "(9999)".into());
        set(33, self.category.into());
        set(34, "informational".into());
        set(35, "client-to-server".into());
        set(36, seqno.to_string());
        set(37, "0x8000000000000000".into());
        set(38, location(p.src).into());
        set(39, location(p.dst).into());
        set(41, "text/html".into());
        set(42, "0".into());
        set(45, "1".into());
        set(53, "0".into());
        set(59, "fw-inet".into());
        set(69, "unknown".into());
        set(70, "AppThreat-0-0".into());
        set(75, format!("{},low-risk", self.category));
        set(76, stable_uuid(&format!("fw-inet rule {rule}")));
        set(77, "0".into());
        set(THREAT_HIGH_RES, high_res.to_string());
        let mut m = String::with_capacity(720);
        for (i, field) in f.iter().enumerate() {
            if i > 0 {
                m.push(',');
            }
            m.push_str(&csv(field));
        }
        debug_assert_eq!(
            count_fields(&m),
            THREAT_FIELDS,
            "a PAN-OS THREAT record has {THREAT_FIELDS} fields: {m}"
        );
        m
    }
}

/// Position of the High Resolution Timestamp in a THREAT record.
const THREAT_HIGH_RES: usize = 107;
