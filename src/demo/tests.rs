//! Tests of the demo generator: the API contract (determinism, counts, order, files, wire
//! form), the shape of every vendor format, the ground truth, and naive oracles that
//! check the ordinary traffic stays clean and each scenario really shows the pattern it
//! is labelled with.
//!
//! The oracles read the lines back with deliberately simple code of their own (a
//! key=value splitter, a CSV splitter, serde_json), never with the generator's helpers,
//! so that a formatting mistake cannot hide behind the code that made it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, UdpSocket};

use super::city::{
    CLOUD_DNS, CLOUD_MAIL, CLOUD_PROXY, DEVICES, FILE_SANITISER, IFILTER_CLIENTS, MAIL_RELAY,
    PARTNER, PARTNER_PORT, Role, SCREEN_TRANSFER, Vendor, Zone, host, windows_terminal,
};
use super::expect::{AlertKey, office_hours};
use super::generate::generate;
use super::line::DemoLine;
use super::scenario::Scenario;
use super::{DemoSpec, Transport, send, write_files};

/// 09:00 JST on Wednesday 26 November 2025, a working day.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 26, 0, 0, 0).unwrap()
}

fn spec(seed: u64, events: usize) -> DemoSpec {
    DemoSpec {
        seed,
        events,
        start: start(),
    }
}

fn run(seed: u64, events: usize) -> Vec<DemoLine> {
    generate(&spec(seed, events)).collect()
}

fn role(l: &DemoLine) -> Role {
    DEVICES.iter().find(|d| d.name == l.device).unwrap().role
}

/// Every IPv4 address written in a line, as whole tokens (so 10.30.2.8 is not found in
/// 10.30.2.87).
fn addresses(line: &str) -> impl Iterator<Item = Ipv4Addr> + '_ {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|token| token.trim_end_matches('.').parse().ok())
}

/// The value after `key` up to the next space (`SRC=`, `DPT=`, `rhost=`).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    Some(rest.split(' ').next().unwrap_or(rest))
}

/// The word after `word ` (`from 10.30.2.5` → the address).
fn after<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let key = format!(" {word} ");
    field(line, &key)
}

/// Squid's native fields, after the file's own layout (no syslog header).
fn squid_fields(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The message after an RFC 3164 file header (`Mmm dd hh:mm:ss host `).
fn message(l: &DemoLine) -> &str {
    &l.line[16 + l.device.len() + 1..]
}

/// FortiGate's key=value pairs: bare values end at a space, quoted ones at the quote.
fn fortigate_pairs(msg: &str) -> HashMap<&str, &str> {
    let mut pairs = HashMap::new();
    let mut rest = msg;
    while let Some((key, value)) = rest.trim_start().split_once('=') {
        let (v, next) = match value.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').expect("closing quote");
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = value.find(' ').unwrap_or(value.len());
                (&value[..end], &value[end..])
            }
        };
        assert!(pairs.insert(key, v).is_none(), "{key} twice in {msg}");
        rest = next;
    }
    pairs
}

/// A CSV record's fields, quotes removed (PAN-OS quotes whole fields holding commas).
fn csv_fields(record: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for c in record.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// PAN-OS 11.1 Traffic Log Fields, by position: the ones the tests read.
mod pan {
    pub(super) const TYPE: usize = 3;
    pub(super) const SUBTYPE: usize = 4;
    pub(super) const GENERATED: usize = 6;
    pub(super) const SRC: usize = 7;
    pub(super) const DST: usize = 8;
    pub(super) const RULE: usize = 11;
    pub(super) const APP: usize = 14;
    pub(super) const FROM: usize = 16;
    pub(super) const TO: usize = 17;
    pub(super) const SPORT: usize = 24;
    pub(super) const DPORT: usize = 25;
    pub(super) const PROTO: usize = 29;
    pub(super) const ACTION: usize = 30;
    pub(super) const BYTES: usize = 31;
    pub(super) const BYTES_SENT: usize = 32;
    pub(super) const BYTES_RECEIVED: usize = 33;
    pub(super) const PACKETS: usize = 34;
    pub(super) const START: usize = 35;
    pub(super) const ELAPSED: usize = 36;
    pub(super) const PKTS_SENT: usize = 44;
    pub(super) const PKTS_RECEIVED: usize = 45;
    pub(super) const END_REASON: usize = 46;
    pub(super) const DEVICE_NAME: usize = 52;
    pub(super) const HIGH_RES: usize = 102;
    pub(super) const FIELDS: usize = 117;
}

/// A winlogbeat line's JSON object.
fn windows_event(l: &DemoLine) -> serde_json::Value {
    let json = message(l)
        .strip_prefix("winlogbeat: ")
        .expect("winlogbeat tag");
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// What a firewall line says about its flow, whatever the firewall's make.
#[derive(Debug, Clone)]
struct FwFlow {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    dport: u16,
    allowed: bool,
    /// Bytes the source sent, for the session-logging firewalls.
    sent: Option<u64>,
}

fn fw_flow(l: &DemoLine) -> Option<FwFlow> {
    let Role::Firewall(vendor) = role(l) else {
        return None;
    };
    Some(match vendor {
        Vendor::Netfilter => FwFlow {
            src: field(&l.line, "SRC=")?.parse().ok()?,
            dst: field(&l.line, "DST=")?.parse().ok()?,
            dport: field(&l.line, "DPT=")?.parse().ok()?,
            allowed: l.line.contains("[UFW ALLOW] "),
            sent: None,
        },
        Vendor::Fortigate => {
            let kv = fortigate_pairs(message(l));
            FwFlow {
                src: kv["srcip"].parse().ok()?,
                dst: kv["dstip"].parse().ok()?,
                dport: kv["dstport"].parse().ok()?,
                allowed: kv["action"] != "deny",
                sent: kv["sentbyte"].parse().ok(),
            }
        }
        Vendor::Panos => {
            let f = csv_fields(message(l));
            FwFlow {
                src: f[pan::SRC].parse().ok()?,
                dst: f[pan::DST].parse().ok()?,
                dport: f[pan::DPORT].parse().ok()?,
                allowed: f[pan::ACTION] == "allow",
                sent: f[pan::BYTES_SENT].parse().ok(),
            }
        }
    })
}

/// A radius.log result: (ok, user, client, cli).
fn radius_result(l: &DemoLine) -> (bool, String, String, Ipv4Addr) {
    let msg = message(l);
    let ok = msg.contains(") Login OK: [");
    assert!(ok || msg.contains(") Login incorrect: ["), "{msg}");
    let user = msg.split(": [").nth(1).unwrap().split(']').next().unwrap();
    let client = field(msg, "(from client ").unwrap();
    let cli = field(msg, " cli ").unwrap().trim_end_matches(')');
    (ok, user.to_owned(), client.to_owned(), cli.parse().unwrap())
}

/// The configured zone of every interface or security-zone name.
fn configured_interfaces(zones: &toml::Table) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (zone, table) in zones {
        let Some(names) = table.get("interfaces").and_then(|v| v.as_array()) else {
            continue;
        };
        for name in names {
            out.insert(name.as_str().unwrap().to_owned(), zone.clone());
        }
    }
    out
}

fn default_config() -> toml::Table {
    toml::from_str(include_str!("../default-config.toml")).unwrap()
}

// Contract.

#[test]
fn same_spec_gives_the_same_lines() {
    assert_eq!(run(7, 3_000), run(7, 3_000));
    // Every format, the attack plan included, is a function of the seed.
    let a: Vec<String> = run(12, 20_000).into_iter().map(|l| l.line).collect();
    let b: Vec<String> = run(12, 20_000).into_iter().map(|l| l.line).collect();
    assert!(a == b);
}

#[test]
fn different_seeds_give_different_lines() {
    let a: Vec<String> = run(1, 3_000).into_iter().map(|l| l.line).collect();
    let b: Vec<String> = run(2, 3_000).into_iter().map(|l| l.line).collect();
    assert_ne!(a, b);
}

#[test]
fn gives_exactly_the_requested_number_of_lines() {
    for events in [0, 1, 7, 100, 1_499, 2_000, 20_001] {
        let mut lines = generate(&spec(3, events));
        assert_eq!(lines.len(), events, "size hint of {events}");
        let mut n = 0;
        while lines.next().is_some() {
            n += 1;
            assert_eq!(lines.len(), events - n);
        }
        assert_eq!(n, events);
    }
}

#[test]
fn lines_are_time_ordered_and_single_lines() {
    for seed in [1, 2, 3] {
        let lines = run(seed, 20_000);
        for pair in lines.windows(2) {
            assert!(
                pair[0].time <= pair[1].time,
                "out of order:\n{}\n{}",
                pair[0].line,
                pair[1].line
            );
        }
        for l in &lines {
            assert!(!l.line.contains(['\r', '\n']), "{:?}", l.line);
            assert!(!l.to_syslog().contains(['\r', '\n']), "{:?}", l.line);
            assert!(l.time >= start());
        }
    }
}

#[test]
fn devices_and_zones_match_the_configuration() {
    let config = default_config();
    let zones = config["zones"].as_table().unwrap();
    let mut configured = HashMap::new();
    for zone in Zone::ALL {
        let table = zones[zone.id()].as_table().unwrap();
        let cidrs: Vec<&str> = table["cidrs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cidrs, [zone.cidr()], "{}", zone.id());
        for dev in table["devices"].as_array().unwrap() {
            configured.insert(dev.as_str().unwrap().to_owned(), zone.id());
        }
    }
    for dev in DEVICES {
        assert_eq!(
            configured.get(dev.name),
            Some(&dev.zone.id()),
            "device {} must be listed in [zones.{}] devices",
            dev.name,
            dev.zone.id()
        );
    }
    for l in run(5, 5_000) {
        assert_eq!(configured.get(l.device), Some(&l.zone), "{}", l.line);
    }
    // The address plan stays inside the zones' ranges.
    for zone in Zone::ALL {
        let last = zone.terminal(zone.terminal_count() - 1);
        assert_eq!(Zone::of(last), Some(zone));
        assert!(super::city::is_terminal(last));
        assert_eq!(
            Zone::of(zone.server(host::OTHER_SERVERS.end().to_owned())),
            Some(zone)
        );
    }
}

/// FortiGate interfaces and PAN-OS security zones are how sanso tells the zone of an
/// endpoint outside the configured ranges, so every name a firewall logs must be in the
/// configuration's `interfaces`, under the zone it faces.
#[test]
fn firewall_interfaces_and_zones_match_the_configuration() {
    let config = default_config();
    let interfaces = configured_interfaces(config["zones"].as_table().unwrap());
    let names = super::fortigate::INTERFACES
        .iter()
        .chain(&super::panos::ZONES);
    for &(name, zone) in names {
        assert_eq!(
            interfaces.get(name).map(String::as_str),
            Some(zone),
            "interface or zone `{name}` must be listed in [zones.{zone}] interfaces"
        );
    }
}

/// Each endpoint's interface (FortiGate) or security zone (PAN-OS) faces the zone its
/// address is in; addresses outside the city sit behind an uplink.
#[test]
fn firewall_interfaces_and_zones_face_their_endpoints() {
    let forti: HashMap<&str, &str> = super::fortigate::INTERFACES.into_iter().collect();
    let pan: HashMap<&str, &str> = super::panos::ZONES.into_iter().collect();
    let lines = run(13, 50_000);
    let mut seen = BTreeSet::new();
    for l in &lines {
        let endpoints: Vec<(Ipv4Addr, &str)> = match role(l) {
            Role::Firewall(Vendor::Fortigate) => {
                let kv = fortigate_pairs(message(l));
                if kv["type"] == "event" {
                    // SSL-VPN: the client's address and the tunnel's, no interfaces.
                    continue;
                }
                let mut e = vec![(kv["srcip"].parse().unwrap(), forti[kv["srcintf"]])];
                if kv["dstintf"] == "root" {
                    // Local-in traffic: a broadcast to the FortiGate itself.
                    assert_eq!(kv["subtype"], "local", "{}", l.line);
                } else {
                    e.push((kv["dstip"].parse().unwrap(), forti[kv["dstintf"]]));
                }
                seen.insert(kv["srcintf"].to_owned());
                seen.insert(kv["dstintf"].to_owned());
                e
            }
            Role::Firewall(Vendor::Panos) => {
                let f = csv_fields(message(l));
                seen.insert(f[pan::FROM].clone());
                seen.insert(f[pan::TO].clone());
                vec![
                    (f[pan::SRC].parse().unwrap(), pan[f[pan::FROM].as_str()]),
                    (f[pan::DST].parse().unwrap(), pan[f[pan::TO].as_str()]),
                ]
            }
            _ => continue,
        };
        for (ip, faces) in endpoints {
            match Zone::of(ip) {
                Some(zone) => assert_eq!(faces, zone.id(), "{ip} in {}", l.line),
                // Outside the city: the LGWAN backbone behind fw-lgwan's `lgwan` port,
                // the Internet behind either firewall's uplink.
                None => assert!(
                    matches!(faces, "external" | "lgwan" | "internet"),
                    "{ip} in {}",
                    l.line
                ),
            }
        }
    }
    for name in ["trust-lgwan", "srv-lgwan", "lgwan", "dmz-inet", "root"] {
        assert!(seen.contains(name), "{name} never logged: {seen:?}");
    }
    for name in ["trust-inet", "srv-inet", "untrust"] {
        assert!(seen.contains(name), "{name} never logged: {seen:?}");
    }
}

#[test]
fn every_device_writes_and_every_line_has_its_shape() {
    let lines = run(11, 20_000);
    let mut per_file = BTreeMap::new();
    for l in &lines {
        *per_file.entry(l.file).or_insert(0) += 1;
        let dev = DEVICES.iter().find(|d| d.name == l.device).unwrap();
        assert_eq!(l.file, dev.file);
        if !matches!(dev.role, Role::Proxy | Role::WebFilter | Role::MailGateway) {
            // `Nov 26 09:15:02 host ` in JST, the whole second of `time`.
            let jst = l.time.with_timezone(&Tokyo);
            let header = jst.format("%b %e %H:%M:%S ").to_string() + l.device + " ";
            assert!(l.line.starts_with(&header), "{}\n{header}", l.line);
            assert_eq!(l.time.timestamp_subsec_nanos(), 0);
        }
        match dev.role {
            Role::Firewall(Vendor::Netfilter) => {
                let header = format!(" {} kernel: ", l.device);
                assert!(l.line.contains(&header), "{}", l.line);
                assert!(
                    l.line.contains("[UFW ALLOW] IN=") || l.line.contains("[UFW BLOCK] IN="),
                    "{}",
                    l.line
                );
                for key in ["SRC=", "DST=", "LEN=", "TTL=", "PROTO=", "SPT=", "DPT="] {
                    assert!(field(&l.line, key).is_some(), "{key} in {}", l.line);
                }
            }
            Role::Firewall(Vendor::Fortigate) => check_fortigate(l),
            Role::Firewall(Vendor::Panos) => check_panos(l),
            Role::Proxy => {
                let f = squid_fields(&l.line);
                assert_eq!(f.len(), 10, "{}", l.line);
                let (secs, millis) = f[0].split_once('.').unwrap();
                assert_eq!(millis.len(), 3);
                assert_eq!(secs.parse::<i64>().unwrap(), l.time.timestamp());
                assert!(f[1].parse::<u32>().is_ok());
                let client: Ipv4Addr = f[2].parse().unwrap();
                // The terminals from 10.30.2.128 up browse through i-FILTER, attackers too.
                if l.device == "proxy-inet" {
                    assert!(client < IFILTER_CLIENTS, "{}", l.line);
                }
                let (code, status) = f[3].split_once('/').unwrap();
                assert!(code.starts_with("TCP_"), "{}", l.line);
                assert_eq!(status.len(), 3);
                assert!(f[4].parse::<u64>().is_ok());
                assert!(f[8].contains('/'), "{}", l.line);
            }
            Role::Server => {
                let tags = ["sshd[", "sudo: ", "CRON[", "systemd-logind["];
                let rest = message(l);
                assert!(tags.iter().any(|t| rest.starts_with(t)), "{}", l.line);
            }
            Role::Terminal => check_windows(l),
            Role::Mfa => check_radius(l),
            Role::WebFilter => check_ifilter(l),
            Role::MailGateway => check_mfilter(l),
        }
    }
    for dev in DEVICES {
        // The collected terminals and the MFA server are single machines used by a few
        // people an hour; everything else serves a whole zone.
        let least = match dev.role {
            Role::Terminal | Role::Mfa | Role::MailGateway => 1,
            _ => 50,
        };
        assert!(
            per_file.get(dev.file).copied().unwrap_or(0) >= least,
            "{per_file:?}"
        );
    }
}

/// i-FILTER's default layout: its own JST log time, then 32 words, the bracketed access
/// time holding a space and the quoted request line two.
fn check_ifilter(l: &DemoLine) {
    let jst = l.time.with_timezone(&Tokyo);
    let written = jst.format("%b %e %H:%M:%S ").to_string();
    let rest = l
        .line
        .strip_prefix(&written)
        .unwrap_or_else(|| panic!("{}", l.line));
    let (head, quoted) = rest.split_once(" \"").unwrap();
    let (request, tail) = quoted.split_once("\" ").unwrap();
    let head: Vec<&str> = head.split(' ').collect();
    let tail: Vec<&str> = tail.split(' ').collect();
    assert_eq!((head.len(), tail.len()), (25, 4), "{}", l.line);
    assert_eq!(head[1], "1000/01/");
    assert_eq!(head[4], head[5], "{}", l.line);
    assert!(head[5].parse::<Ipv4Addr>().unwrap() >= IFILTER_CLIENTS);
    let started = NaiveDateTime::parse_from_str(
        &format!("{} {}", head[8], head[9]),
        "[%d/%b/%Y:%H:%M:%S %z]",
    )
    .unwrap();
    assert!(started <= jst.naive_local(), "{}", l.line);
    assert_eq!(head[9], "+0900]");
    let action = head[13];
    let (reason, category) = (head[14], head[15]);
    match action {
        "allow" => assert_eq!((reason, category), ("0", "12")),
        "block" => assert_eq!((reason, category), ("63", "87")),
        _ => panic!("{}", l.line),
    }
    // A blocked request never left the city; an allowed one went to the security cloud.
    let upstream = format!("{CLOUD_PROXY}:8080");
    assert_eq!(head[2] == upstream, action == "allow", "{}", l.line);
    assert!(head[11].parse::<u64>().unwrap() > 0);
    let words: Vec<&str> = request.split(' ').collect();
    assert_eq!((words.len(), words[2]), (3, "HTTP/1.1"), "{}", l.line);
    assert!(
        !tail[1].contains(['/', ' ']),
        "user agent encoded: {}",
        l.line
    );
}

/// m-FILTER's SMTP access log: 54 columns, the quoted date header holding the one comma
/// inside a value.
fn check_mfilter(l: &DemoLine) {
    let (before, after) = l.line.split_once(",\"").unwrap();
    let (date, rest) = after.split_once("\",").unwrap();
    assert!(date.ends_with(" +0900"), "{}", l.line);
    let head: Vec<&str> = before.split(',').collect();
    let cols: Vec<&str> = head
        .iter()
        .copied()
        .chain([date])
        .chain(rest.split(','))
        .collect();
    assert_eq!(cols.len(), 54, "{}", l.line);
    let jst = l.time.with_timezone(&Tokyo);
    assert_eq!(cols[0], jst.format("%d/%b/%Y:%H:%M:%S").to_string());
    assert_eq!(cols[4], CLOUD_MAIL.to_string());
    assert!(
        cols[6]
            .split(';')
            .all(|r| r.ends_with("@city.omaezaki.lg.jp"))
    );
    let sent_on = cols[14] == Zone::Lgwan.server(host::MAIL).to_string();
    match (cols[10], cols[41]) {
        ("0", "CHG_TEXT REP_LINK") => assert!(sent_on && cols[53].is_empty()),
        ("0", "DEL_ATTACH CHG_TEXT") => assert!(sent_on && cols[53].contains('.')),
        ("1" | "2", "OFF") => assert!(!sent_on && cols[14] == "-"),
        _ => panic!("{}", l.line),
    }
    assert!(cols[18].parse::<u64>().unwrap() > 0);
}

fn check_fortigate(l: &DemoLine) {
    let msg = message(l);
    assert!(msg.starts_with("date="), "{}", l.line);
    let kv = fortigate_pairs(msg);
    for key in [
        "date",
        "time",
        "devname",
        "devid",
        "eventtime",
        "tz",
        "logid",
        "type",
        "subtype",
        "level",
        "vd",
    ] {
        assert!(kv.contains_key(key), "{key} in {}", l.line);
    }
    // The event time, in nanoseconds, and the local date and time agree; the syslog
    // header is the same second or the next.
    let nanos: i64 = kv["eventtime"].parse().unwrap();
    assert_eq!(kv["eventtime"].len(), 19, "{}", l.line);
    let event = DateTime::from_timestamp_nanos(nanos);
    assert!(
        event <= l.time && l.time - event <= TimeDelta::seconds(1),
        "{}",
        l.line
    );
    let local = event.with_timezone(&Tokyo);
    assert_eq!(kv["date"], local.format("%Y-%m-%d").to_string());
    assert_eq!(kv["time"], local.format("%H:%M:%S").to_string());
    match (kv["type"], kv["subtype"]) {
        ("traffic", _) => check_fortigate_traffic(l, &kv),
        ("utm", "ips") => {
            assert_eq!(kv["action"], "dropped", "{}", l.line);
            assert!(kv["attackid"].parse::<u32>().is_ok(), "{}", l.line);
            assert!(
                kv.contains_key("attack") && kv.contains_key("srcip"),
                "{}",
                l.line
            );
        }
        ("utm", "virus") => {
            assert_eq!(kv["action"], "blocked", "{}", l.line);
            assert!(
                kv.contains_key("virus") && kv.contains_key("srcip"),
                "{}",
                l.line
            );
        }
        ("event", "vpn") => {
            assert_eq!(kv["action"], "tunnel-up", "{}", l.line);
            assert!(kv["remip"].parse::<Ipv4Addr>().is_ok(), "{}", l.line);
            assert!(kv["user"].starts_with("vendor-"), "{}", l.line);
        }
        other => panic!("{other:?} in {}", l.line),
    }
}

fn check_fortigate_traffic(l: &DemoLine, kv: &HashMap<&str, &str>) {
    for key in [
        "srcip",
        "srcport",
        "srcintf",
        "srcintfrole",
        "dstip",
        "dstport",
        "dstintf",
        "dstintfrole",
        "sessionid",
        "proto",
        "action",
        "policyid",
        "policytype",
        "service",
        "trandisp",
        "duration",
        "sentbyte",
        "rcvdbyte",
        "sentpkt",
        "appcat",
    ] {
        assert!(kv.contains_key(key), "{key} in {}", l.line);
    }
    assert_eq!(kv["devname"], l.device);
    assert_eq!(kv["tz"], "+0900");
    for key in ["srcip", "dstip"] {
        assert!(kv[key].parse::<Ipv4Addr>().is_ok(), "{key} in {}", l.line);
    }
    for key in [
        "srcport",
        "dstport",
        "sessionid",
        "duration",
        "sentbyte",
        "rcvdbyte",
        "sentpkt",
        "policyid",
    ] {
        assert!(kv[key].parse::<u64>().is_ok(), "{key} in {}", l.line);
    }
    assert!(matches!(kv["proto"], "6" | "17"), "{}", l.line);
    match kv["action"] {
        "deny" => {
            assert_eq!(kv["policyid"], "0", "{}", l.line);
            assert_eq!(kv["sentbyte"], "0", "{}", l.line);
        }
        "accept" => assert_eq!(kv["proto"], "17", "{}", l.line),
        "close" => assert_eq!(kv["proto"], "6", "{}", l.line),
        other => panic!("action {other} in {}", l.line),
    }
    if kv["action"] != "deny" {
        assert!(
            kv.contains_key("policyname") && kv.contains_key("poluuid"),
            "{}",
            l.line
        );
        assert!(kv.contains_key("rcvdpkt"), "{}", l.line);
    }
}

fn check_panos(l: &DemoLine) {
    let msg = message(l);
    let f = csv_fields(msg);
    if f[pan::TYPE] == "THREAT" {
        // URL filtering: the documented THREAT layout, the site in Misc, its category.
        assert_eq!(f.len(), super::panos::THREAT_FIELDS, "{}", l.line);
        assert_eq!(f[4], "url", "{}", l.line);
        assert_eq!(f[30], "block-url", "{}", l.line);
        assert!(f[31].ends_with('/'), "{}", l.line);
        assert!(
            matches!(
                f[33].as_str(),
                "malware" | "phishing" | "command-and-control"
            ),
            "{}",
            l.line
        );
        assert_eq!(f[59], l.device, "{}", l.line);
        return;
    }
    assert_eq!(f.len(), pan::FIELDS, "{}", l.line);
    assert_eq!(f[0], "1");
    assert_eq!(f[pan::TYPE], "TRAFFIC");
    assert_eq!(f[pan::DEVICE_NAME], l.device);
    for i in [pan::SRC, pan::DST] {
        assert!(f[i].parse::<Ipv4Addr>().is_ok(), "field {i} in {}", l.line);
    }
    let number = |i: usize| -> u64 {
        f[i].parse()
            .unwrap_or_else(|_| panic!("field {i} in {}", l.line))
    };
    for i in [pan::SPORT, pan::DPORT, pan::ELAPSED] {
        number(i);
    }
    assert!(
        matches!(f[pan::PROTO].as_str(), "tcp" | "udp"),
        "{}",
        l.line
    );
    assert_eq!(
        number(pan::BYTES),
        number(pan::BYTES_SENT) + number(pan::BYTES_RECEIVED),
        "{}",
        l.line
    );
    assert_eq!(
        number(pan::PACKETS),
        number(pan::PKTS_SENT) + number(pan::PKTS_RECEIVED),
        "{}",
        l.line
    );
    match (f[pan::SUBTYPE].as_str(), f[pan::ACTION].as_str()) {
        ("end", "allow") => assert!(!f[pan::RULE].starts_with("deny"), "{}", l.line),
        ("deny", "deny") => {
            assert_eq!(f[pan::RULE], "deny-all", "{}", l.line);
            assert_eq!(f[pan::END_REASON], "policy-deny", "{}", l.line);
            assert_eq!(f[pan::APP], "not-applicable", "{}", l.line);
        }
        other => panic!("{other:?} in {}", l.line),
    }
    // Generated and start times in JST; the high-resolution stamp with its offset, at
    // or before the header's second.
    let high_res = DateTime::parse_from_rfc3339(&f[pan::HIGH_RES]).unwrap();
    assert!(f[pan::HIGH_RES].ends_with("+09:00"), "{}", l.line);
    let high_res = high_res.with_timezone(&Utc);
    assert!(
        high_res <= l.time && l.time - high_res <= TimeDelta::seconds(1),
        "{high_res} {}",
        l.line
    );
    let local = |s: &str| {
        Tokyo
            .from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S").unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let generated = local(&f[pan::GENERATED]);
    assert_eq!(generated.timestamp(), high_res.timestamp(), "{}", l.line);
    let start = local(&f[pan::START]);
    let elapsed = (generated - start).num_seconds() - number(pan::ELAPSED) as i64;
    assert!((0..=1).contains(&elapsed), "{}", l.line);
}

fn check_windows(l: &DemoLine) {
    let v = windows_event(l);
    let id = v["winlog"]["event_id"].as_u64().unwrap();
    assert!(
        matches!(
            id,
            4624 | 4625 | 4634 | 4672 | 4720 | 4724 | 4732 | 4740 | 1102
        ),
        "{}",
        l.line
    );
    assert_eq!(v["event"]["code"], id.to_string());
    assert_eq!(v["winlog"]["channel"], "Security");
    // The event log service writes 1102 itself, with its data under UserData.
    let (provider, data) = if id == 1102 {
        ("Microsoft-Windows-Eventlog", "user_data")
    } else {
        ("Microsoft-Windows-Security-Auditing", "event_data")
    };
    assert_eq!(v["winlog"]["provider_name"], provider);
    assert_eq!(v["winlog"]["computer_name"], l.device);
    let at: DateTime<Utc> = v["@timestamp"].as_str().unwrap().parse().unwrap();
    assert!(
        at <= l.time && l.time - at <= TimeDelta::seconds(1),
        "{}",
        l.line
    );
    let data = &v["winlog"][data];
    let user = match id {
        4672 | 1102 => &data["SubjectUserName"],
        4732 => &data["MemberName"],
        _ => &data["TargetUserName"],
    };
    assert!(user.as_str().is_some_and(|u| !u.is_empty()), "{}", l.line);
    if matches!(id, 4624 | 4625) {
        let logon_type = data["LogonType"].as_str().unwrap();
        assert!(matches!(logon_type, "2" | "3" | "10"), "{}", l.line);
        let ip: Ipv4Addr = data["IpAddress"].as_str().unwrap().parse().unwrap();
        assert_eq!(ip.is_loopback(), logon_type == "2", "{}", l.line);
    }
    if id == 4625 {
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(data["SubStatus"], "0xc000006a");
    }
}

fn check_radius(l: &DemoLine) {
    let msg = message(l);
    let ctime = msg.strip_prefix("radiusd: ").expect("radiusd tag");
    // radius.log's own date, in local time, the header's second or the one before.
    let (date, rest) = ctime.split_once(" : Auth: (").unwrap();
    let date = NaiveDateTime::parse_from_str(date, "%a %b %e %H:%M:%S %Y").unwrap();
    let date = Tokyo
        .from_local_datetime(&date)
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        date <= l.time && l.time - date <= TimeDelta::seconds(1),
        "{}",
        l.line
    );
    assert!(rest.split(')').next().unwrap().parse::<u32>().is_ok());
    assert!(msg.ends_with(") Auth-Type=totp"), "{}", l.line);
    radius_result(l);
}

#[test]
fn pan_os_records_follow_the_documented_field_order() {
    // One record of each kind, read at the positions of the PAN-OS documentation.
    let lines = run(14, 20_000);
    let denied = lines
        .iter()
        .find(|l| l.device == "fw-inet" && l.line.contains(",TRAFFIC,deny,"))
        .unwrap();
    let f = csv_fields(message(denied));
    assert_eq!(f[pan::RULE], "deny-all");
    assert_eq!(f[pan::FROM], "trust-inet");
    assert_eq!(f[pan::PKTS_SENT], "1");
    assert_eq!(f[pan::BYTES_RECEIVED], "0");
    let allowed = lines
        .iter()
        .find(|l| l.device == "fw-inet" && l.line.contains(",ssl,"))
        .unwrap();
    let f = csv_fields(message(allowed));
    assert_eq!(f[pan::APP], "ssl");
    assert_eq!(f[pan::SUBTYPE], "end");
    assert_eq!(f[pan::END_REASON], "tcp-fin");
    // Fields 9 and 10 are the NAT addresses: none on this firewall.
    assert_eq!((f[9].as_str(), f[10].as_str()), ("0.0.0.0", "0.0.0.0"));
    // Characteristic of App holds commas, so PAN-OS quotes it; the raw record has one
    // comma more per comma inside it than fields.
    assert!(message(allowed).contains(",\"able-to-transfer-file,"));
    assert!(f[109].contains(','));
}

#[test]
fn syslog_wire_form_adds_pri_and_wraps_squid() {
    let lines = run(4, 20_000);
    let first = |device: &str| lines.iter().find(|l| l.device == device).unwrap();
    let fw = first("fw-core");
    assert_eq!(fw.to_syslog(), format!("<4>{}", fw.line));
    // FortiGate and PAN-OS lines carry a header and no program tag.
    let forti = first("fw-lgwan");
    assert_eq!(forti.to_syslog(), format!("<189>{}", forti.line));
    assert!(forti.line.contains(" fw-lgwan date="), "{}", forti.line);
    let pan = first("fw-inet");
    assert_eq!(pan.to_syslog(), format!("<14>{}", pan.line));
    assert!(pan.line.contains(" fw-inet 1,"), "{}", pan.line);
    let win = first("term-core");
    assert_eq!(win.to_syslog(), format!("<14>{}", win.line));
    assert!(win.line.contains(" term-core winlogbeat: {\"@timestamp\":"));
    let mfa = first("mfa-core01");
    assert_eq!(mfa.to_syslog(), format!("<133>{}", mfa.line));
    assert!(mfa.line.contains(" mfa-core01 radiusd: "));
    let sshd = lines
        .iter()
        .find(|l| l.device.starts_with("srv-") && l.line.contains(" sshd["))
        .unwrap();
    assert!(sshd.to_syslog().starts_with("<38>") || sshd.to_syslog().starts_with("<86>"));
    let squid = first("proxy-inet");
    let jst = squid.time.with_timezone(&Tokyo).format("%b %e %H:%M:%S");
    assert_eq!(
        squid.to_syslog(),
        format!("<166>{jst} proxy-inet squid[1342]: {}", squid.line)
    );
    // The example start is 09:00 JST.
    assert!(fw.line.starts_with("Nov 26 09:0"), "{}", fw.line);
}

// Ground truth.

/// Attack lines by (scenario, source).
fn instances(lines: &[DemoLine]) -> BTreeMap<(Scenario, Ipv4Addr), Vec<&DemoLine>> {
    let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for l in lines {
        if let (Some(s), Some(src)) = (l.scenario, l.attack_src()) {
            out.entry((s, src)).or_default().push(l);
        }
    }
    out
}

/// Whether an attack line's alerts key on its instance's source address.
fn keyed_on_source(l: &DemoLine) -> bool {
    l.expected_alerts()
        .iter()
        .any(|a| Some(a.key) == l.attack_src().map(AlertKey::Ip))
}

/// 17:00 JST on Friday 20 November 2026: a run of 30 000 lines (25 minutes) reaches past
/// closing time at 17:15.
fn friday_afternoon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap()
}

#[test]
fn every_scenario_is_present_from_4000_events() {
    for seed in 0..8 {
        for events in [4_000, 5_000, 20_000] {
            let lines = run(seed, events);
            let kinds: BTreeSet<Scenario> = lines.iter().filter_map(|l| l.scenario).collect();
            // A run inside office hours has no after-hours work.
            let expected: BTreeSet<Scenario> = Scenario::ALL
                .into_iter()
                .filter(|&s| s != Scenario::AfterHours)
                .collect();
            assert_eq!(kinds, expected, "seed {seed}, {events} events");
            let attacks = lines.iter().filter(|l| l.scenario.is_some()).count();
            assert!(attacks <= events / 4);
        }
        let spec = DemoSpec {
            seed,
            events: 30_000,
            start: friday_afternoon(),
        };
        let kinds: BTreeSet<Scenario> = generate(&spec).filter_map(|l| l.scenario).collect();
        assert_eq!(kinds.len(), Scenario::ALL.len(), "seed {seed}, Friday");
    }
}

/// OMZ-01 to OMZ-22 (there is no OMZ-06) each have a scenario.
#[test]
fn every_rule_of_the_pack_has_a_scenario() {
    let covered: BTreeSet<&str> = Scenario::ALL
        .iter()
        .flat_map(|s| s.rules().iter().copied())
        .collect();
    let pack: BTreeSet<String> = (1..=22)
        .filter(|&n| n != 6)
        .map(|n| format!("OMZ-{n:02}"))
        .collect();
    assert_eq!(
        covered
            .iter()
            .map(|r| r.to_string())
            .collect::<BTreeSet<_>>(),
        pack
    );
    // And a run labels every one of them.
    let spec = DemoSpec {
        seed: 4,
        events: 30_000,
        start: friday_afternoon(),
    };
    let labelled: BTreeSet<&str> = generate(&spec)
        .flat_map(|l| {
            l.expected_alerts()
                .iter()
                .map(|a| a.rule)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(labelled, covered);
}

#[test]
fn scenarios_scale_with_events() {
    let count = |events, scenario| {
        let lines = run(9, events);
        instances(&lines)
            .keys()
            .filter(|(s, _)| *s == scenario)
            .count()
    };
    assert_eq!(count(20_000, Scenario::PortScan), 1);
    assert_eq!(count(150_000, Scenario::PortScan), 4);
    assert_eq!(count(150_000, Scenario::MfaLessLogon), 4);
    assert_eq!(count(150_000, Scenario::Lockout), 4);
}

#[test]
fn scenarios_show_the_patterns_they_are_labelled_with() {
    let mut scan_firewalls = BTreeSet::new();
    for seed in 0..6 {
        let spec = DemoSpec {
            seed,
            events: 30_000,
            start: friday_afternoon(),
        };
        let lines: Vec<DemoLine> = generate(&spec).collect();
        for ((scenario, src), group) in instances(&lines) {
            let ctx = format!("seed {seed}, {scenario} from {src}");
            for l in group.iter().filter(|l| keyed_on_source(l)) {
                assert!(addresses(&l.line).any(|a| a == src), "{ctx}: {}", l.line);
            }
            // Every rule the scenario stands for is labelled on some line of it.
            let labelled: BTreeSet<&str> = group
                .iter()
                .flat_map(|l| l.expected_alerts().iter().map(|a| a.rule))
                .collect();
            for rule in scenario.rules() {
                assert!(labelled.contains(rule), "{ctx}: {rule} {labelled:?}");
            }
            match scenario {
                Scenario::BruteForce => {
                    let mut per_account: HashMap<(&str, &str), usize> = HashMap::new();
                    for l in &group {
                        if let Some(rest) = l.line.split("Failed password for ").nth(1) {
                            let account = rest.split(" from ").next().unwrap();
                            *per_account.entry((l.device, account)).or_default() += 1;
                        }
                    }
                    assert_eq!(per_account.len(), 1, "{ctx}: {per_account:?}");
                    assert!(
                        per_account.values().all(|&n| n >= 20),
                        "{ctx}: {per_account:?}"
                    );
                    // A login at the end, and only then, makes it a guessed password.
                    let login = group.iter().any(|l| l.line.contains(": Accepted "));
                    assert_eq!(labelled.contains("OMZ-19"), login, "{ctx}");
                }
                Scenario::GuessedPassword => {
                    let failed = group
                        .iter()
                        .filter(|l| l.line.contains("Failed password for "))
                        .count();
                    // OMZ-19 starts at three wrong passwords (OMZ-19-failures).
                    assert_eq!(failed, 3, "{ctx}");
                    let login = group
                        .iter()
                        .find(|l| l.line.contains(": Accepted password "))
                        .unwrap();
                    let first = group.iter().map(|l| l.time).min().unwrap();
                    assert!(login.time - first <= TimeDelta::minutes(5), "{ctx}");
                }
                Scenario::PasswordSpraying => {
                    let mut per_account: HashMap<&str, usize> = HashMap::new();
                    for l in &group {
                        if let Some(rest) = l.line.split("Failed password for ").nth(1) {
                            let account = rest.split(" from ").next().unwrap();
                            let account = account.trim_start_matches("invalid user ");
                            *per_account.entry(account).or_default() += 1;
                        }
                    }
                    assert!(per_account.len() >= 15, "{ctx}: {per_account:?}");
                    assert!(per_account.values().all(|&n| (1..=2).contains(&n)), "{ctx}");
                }
                Scenario::PortScan => {
                    let flows: Vec<FwFlow> = group.iter().map(|l| fw_flow(l).unwrap()).collect();
                    let ports: BTreeSet<u16> = flows.iter().map(|f| f.dport).collect();
                    let hosts: BTreeSet<Ipv4Addr> = flows.iter().map(|f| f.dst).collect();
                    assert!(ports.len() >= 50 && hosts.len() >= 25, "{ctx}");
                    // Under OMZ-12's hundred denials, however fast.
                    assert!(flows.len() < 100, "{ctx}");
                    assert!(flows.iter().all(|f| !f.allowed && f.src == src), "{ctx}");
                    let span = group.last().unwrap().time - group[0].time;
                    assert!(span <= TimeDelta::minutes(5), "{ctx}: {span}");
                    scan_firewalls.insert(group[0].device);
                }
                Scenario::DenyFlood => {
                    let times: Vec<DateTime<Utc>> = group.iter().map(|l| l.time).collect();
                    assert!(densest(&times, TimeDelta::minutes(1)) >= 100, "{ctx}");
                    let flows: Vec<FwFlow> = group.iter().map(|l| fw_flow(l).unwrap()).collect();
                    let targets: BTreeSet<(Ipv4Addr, u16)> =
                        flows.iter().map(|f| (f.dst, f.dport)).collect();
                    assert_eq!(targets.len(), 1, "{ctx}");
                    assert!(flows.iter().all(|f| !f.allowed), "{ctx}");
                }
                Scenario::CoreDenied => {
                    let times: Vec<DateTime<Utc>> = group.iter().map(|l| l.time).collect();
                    assert!(densest(&times, TimeDelta::minutes(10)) >= 10, "{ctx}");
                    for l in &group {
                        let flow = fw_flow(l).unwrap();
                        assert!(!flow.allowed, "{ctx}: {}", l.line);
                        assert_ne!(Zone::of(flow.dst), Some(Zone::Core), "{ctx}: {}", l.line);
                    }
                }
                Scenario::CoreEgress | Scenario::GatewayBypass | Scenario::UnsanitisedInbound => {
                    let from = Zone::of(src).unwrap();
                    for l in &group {
                        let flow = fw_flow(l).unwrap();
                        assert!(flow.allowed, "{ctx}: {}", l.line);
                        assert_ne!(Zone::of(flow.dst), Some(from), "{ctx}: {}", l.line);
                        let gateways = [SCREEN_TRANSFER, FILE_SANITISER, MAIL_RELAY];
                        assert!(!gateways.contains(&flow.dst), "{ctx}: {}", l.line);
                        assert!(!gateways.contains(&flow.src), "{ctx}: {}", l.line);
                    }
                }
                Scenario::PartnerPort => {
                    for l in &group {
                        let flow = fw_flow(l).unwrap();
                        assert!(flow.allowed && flow.dst == PARTNER, "{ctx}: {}", l.line);
                        assert_ne!(flow.dport, PARTNER_PORT, "{ctx}: {}", l.line);
                    }
                }
                Scenario::ProxyBypass => {
                    for l in &group {
                        let flow = fw_flow(l).unwrap();
                        assert!(flow.allowed && Zone::of(flow.dst).is_none(), "{ctx}");
                        assert!(flow.sent.unwrap() < 1_000_000, "{ctx}");
                    }
                }
                Scenario::MaliciousSites => {
                    let hosts: BTreeSet<String> = group
                        .iter()
                        .map(|l| csv_fields(message(l))[31].trim_end_matches('/').to_owned())
                        .collect();
                    assert!(hosts.len() >= 5, "{ctx}");
                    let span = group.last().unwrap().time - group[0].time;
                    assert!(span <= TimeDelta::hours(1), "{ctx}: {span}");
                }
                Scenario::Exfiltration => check_exfiltration(&ctx, src, &group),
                Scenario::MfaLessLogon => check_mfa_less_logon(&ctx, src, &group, &lines),
                Scenario::AfterHours => {
                    assert!(group.iter().all(|l| !office_hours(l.time)), "{ctx}");
                }
                Scenario::UnapprovedSaas
                | Scenario::Malware
                | Scenario::Lockout
                | Scenario::PrivilegedLogon
                | Scenario::AccountChange
                | Scenario::VpnWithoutMfa
                | Scenario::AuditLogCleared => {}
            }
        }
    }
    // The scans over these seeds hit all three makes of firewall.
    assert_eq!(scan_firewalls.len(), 3, "{scan_firewalls:?}");
}

/// Interactive attack lines outside office hours carry OMZ-21, inside them they do not.
#[test]
fn after_hours_labels_follow_the_clock() {
    let spec = DemoSpec {
        seed: 12,
        events: 30_000,
        start: friday_afternoon(),
    };
    let mut late = 0;
    for l in generate(&spec).filter(|l| l.scenario.is_some()) {
        let omz21 = l.expected_alerts().iter().any(|a| a.rule == "OMZ-21");
        if omz21 {
            assert!(!office_hours(l.time), "{}", l.line);
            assert_ne!(l.zone, "internet", "{}", l.line);
            late += 1;
        }
        if l.scenario == Some(Scenario::AfterHours) && l.line.contains("\"event_id\":4624") {
            assert!(omz21, "{}", l.line);
        }
    }
    assert!(late >= 1);
}

/// Uploads through the proxy to one host, and over 50 MB sent straight to one outside
/// address within the hour.
fn check_exfiltration(ctx: &str, src: Ipv4Addr, group: &[&DemoLine]) {
    let uploads: Vec<&str> = group
        .iter()
        .filter(|l| l.device == "proxy-inet")
        .map(|l| squid_fields(&l.line))
        .filter(|f| f[5] == "POST" || f[5] == "PUT")
        .map(|f| f[6].split('/').nth(2).unwrap())
        .collect();
    assert!(uploads.len() >= 15, "{ctx}");
    assert!(uploads.iter().all(|h| *h == uploads[0]), "{ctx}");
    let mut sent_out: BTreeMap<Ipv4Addr, u64> = BTreeMap::new();
    for l in group.iter().filter(|l| l.device == "fw-inet") {
        let flow = fw_flow(l).unwrap();
        assert!(flow.allowed && flow.src == src, "{ctx}: {}", l.line);
        if Zone::of(flow.dst).is_none() {
            *sent_out.entry(flow.dst).or_default() += flow.sent.unwrap();
        }
    }
    assert_eq!(sent_out.len(), 1, "{ctx}: {sent_out:?}");
    let total = sent_out.values().sum::<u64>();
    assert!(total > 50_000_000, "{ctx}: {total} bytes");
    let span = group.last().unwrap().time - group[0].time;
    assert!(span <= TimeDelta::minutes(10), "{ctx}: {span}");
}

/// A remote desktop logon to term-core from the source, with no MFA success for its
/// account within a minute either side, and an account the ordinary traffic never uses.
fn check_mfa_less_logon(ctx: &str, src: Ipv4Addr, group: &[&DemoLine], lines: &[DemoLine]) {
    let events: Vec<serde_json::Value> = group.iter().map(|l| windows_event(l)).collect();
    assert!(group.iter().all(|l| l.device == "term-core"), "{ctx}");
    let rdp: Vec<(&DemoLine, &serde_json::Value)> = group
        .iter()
        .copied()
        .zip(&events)
        .filter(|(_, v)| v["winlog"]["event_data"]["LogonType"] == "10")
        .collect();
    assert_eq!(rdp.len(), 1, "{ctx}");
    let (logon, v) = rdp[0];
    let data = &v["winlog"]["event_data"];
    assert_eq!(v["winlog"]["event_id"], 4624);
    assert_eq!(data["IpAddress"], src.to_string());
    let user = data["TargetUserName"].as_str().unwrap();
    for l in lines.iter().filter(|l| l.device == "mfa-core01") {
        let (ok, mfa_user, ..) = radius_result(l);
        let near = (l.time - logon.time).abs() <= TimeDelta::seconds(60);
        assert!(!(ok && near && mfa_user == user), "{ctx}: {}", l.line);
    }
    for l in lines.iter().filter(|l| l.scenario.is_none()) {
        assert!(
            !l.line.contains(&format!("\"{user}\"")),
            "{ctx}: {}",
            l.line
        );
    }
}

#[test]
fn ground_truth_points_at_the_attack_lines() {
    let spec = spec(21, 20_000);
    let dir = tempfile::tempdir().unwrap();
    let summary = write_files(&spec, dir.path()).unwrap();

    let mut files = HashMap::new();
    for dev in DEVICES {
        let text = std::fs::read_to_string(dir.path().join(dev.file)).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        assert_eq!(summary.files[dev.file], lines.len() as u64, "{}", dev.file);
        files.insert(dev.file, lines);
    }
    assert_eq!(summary.files.values().sum::<u64>(), 20_000);

    let truth = std::fs::read_to_string(dir.path().join("ground-truth.jsonl")).unwrap();
    let mut per_scenario: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen = 0;
    for record in truth.lines() {
        let v: serde_json::Value = serde_json::from_str(record).unwrap();
        let file = v["file"].as_str().unwrap();
        let n = v["line"].as_u64().unwrap();
        let src: Ipv4Addr = v["src_ip"].as_str().unwrap().parse().unwrap();
        let line = &files[file][n as usize - 1];
        let rules: Vec<&str> = v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let alerts = v["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), rules.len(), "{record}");
        for (alert, rule) in alerts.iter().zip(&rules) {
            assert_eq!(alert["rule"], *rule, "{record}");
            // An alert on the source names it in the line.
            if alert["key"] == src.to_string() {
                assert!(addresses(line).any(|a| a == src), "{record}\n{line}");
            }
        }
        let dev = DEVICES.iter().find(|d| d.file == file).unwrap();
        assert_eq!(v["device"], dev.name);
        assert_eq!(v["zone"], dev.zone.id());
        let time: DateTime<Utc> = v["time"].as_str().unwrap().parse().unwrap();
        assert!(time >= spec.start);
        *per_scenario
            .entry(v["scenario"].as_str().unwrap().to_owned())
            .or_default() += 1;
        seen += 1;
    }
    let expected: Vec<DemoLine> = generate(&spec).filter(|l| l.scenario.is_some()).collect();
    assert_eq!(seen, expected.len());
    for s in Scenario::ALL {
        assert_eq!(
            per_scenario.get(s.as_str()).copied().unwrap_or(0),
            summary.scenarios[s.as_str()]
        );
        // Only the after-hours scenario needs a run that reaches past office hours.
        assert_eq!(
            summary.scenarios[s.as_str()] > 0,
            s != Scenario::AfterHours,
            "{s}"
        );
    }
    // The summary prints as a table naming every file and scenario.
    let table = summary.to_string();
    assert!(table.contains("fw-core.log") && table.contains("exfiltration"));
    assert!(table.contains("term-core-security.log") && table.contains("mfa_less_logon"));
}

// Ordinary traffic stays clean.

#[test]
fn ordinary_lines_never_mention_attack_sources() {
    for seed in [1, 2] {
        let lines = run(seed, 150_000);
        // Every source an alert keys on is the attack's alone.
        let sources: BTreeSet<Ipv4Addr> = lines
            .iter()
            .flat_map(|l| l.expected_alerts())
            .filter_map(|a| match a.key {
                AlertKey::Ip(ip) => Some(ip),
                AlertKey::User(_) | AlertKey::Device(_) => None,
            })
            .collect();
        // Fourteen scenarios key on an address, four rounds of each.
        assert!(sources.len() >= 14 * 4, "{}", sources.len());
        for l in lines.iter().filter(|l| l.scenario.is_none()) {
            assert!(
                !addresses(&l.line).any(|a| sources.contains(&a)),
                "{}",
                l.line
            );
        }
    }
}

/// The most events in any window of `width` over sorted times.
fn densest(times: &[DateTime<Utc>], width: TimeDelta) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= width {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

/// The largest sum in any window of `width` over time-sorted (time, amount) pairs.
fn heaviest(items: &[(DateTime<Utc>, u64)], width: TimeDelta) -> u64 {
    let mut best = 0;
    let mut sum = 0;
    let mut lo = 0;
    for hi in 0..items.len() {
        sum += items[hi].1;
        while items[hi].0 - items[lo].0 >= width {
            sum -= items[lo].1;
            lo += 1;
        }
        best = best.max(sum);
    }
    best
}

/// An authentication line of any format, read naively: (source, account, success).
fn auth_result(l: &DemoLine) -> Option<(Ipv4Addr, String, bool)> {
    let line = l.line.as_str();
    match role(l) {
        Role::Server => {
            let ok = line.contains(": Accepted ");
            if !ok && !line.contains(": Failed ") {
                return None;
            }
            let src = after(line, "from")?.parse().ok()?;
            let account = line.split(" for ").nth(1)?.split(" from ").next()?;
            Some((src, account.to_owned(), ok))
        }
        Role::Terminal => {
            let v = windows_event(l);
            let ok = match v["winlog"]["event_id"].as_u64()? {
                4624 => true,
                4625 => false,
                _ => return None,
            };
            let data = &v["winlog"]["event_data"];
            let src = data["IpAddress"].as_str()?.parse().ok()?;
            Some((src, data["TargetUserName"].as_str()?.to_owned(), ok))
        }
        Role::Mfa => {
            let (ok, user, _, cli) = radius_result(l);
            Some((cli, user, ok))
        }
        _ => None,
    }
}

#[test]
fn ordinary_traffic_stays_under_every_scenario_threshold() {
    let lines = run(3, 150_000);
    let ordinary: Vec<&DemoLine> = lines.iter().filter(|l| l.scenario.is_none()).collect();

    let mut failures: BTreeMap<(Ipv4Addr, Role), Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut failures_per_account: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut logins: BTreeMap<Ipv4Addr, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut blocks: BTreeMap<Ipv4Addr, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut sent: BTreeMap<Ipv4Addr, Vec<(DateTime<Utc>, u64)>> = BTreeMap::new();
    let mut denied: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut posts: BTreeMap<(&str, &str), Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut reach: BTreeMap<Ipv4Addr, (BTreeSet<Ipv4Addr>, BTreeSet<u16>)> = BTreeMap::new();
    for l in &ordinary {
        let line = l.line.as_str();
        assert!(
            !line.contains("Invalid user") && !line.contains("invalid user"),
            "{line}"
        );
        if let Some((src, account, ok)) = auth_result(l) {
            if ok {
                logins.entry(src).or_default().push(l.time);
            } else {
                failures.entry((src, role(l))).or_default().push(l.time);
                failures_per_account
                    .entry(account)
                    .or_default()
                    .push(l.time);
            }
        }
        if let Some(flow) = fw_flow(l) {
            let (hosts, ports) = reach.entry(flow.src).or_default();
            hosts.insert(flow.dst);
            ports.insert(flow.dport);
            if !flow.allowed {
                blocks.entry(flow.src).or_default().push(l.time);
            }
            if let Some(bytes) = flow.sent {
                sent.entry(flow.src).or_default().push((l.time, bytes));
            }
        }
        if l.device.starts_with("proxy-") {
            let f = squid_fields(line);
            assert_ne!(f[5], "PUT", "{line}");
            if f[3].starts_with("TCP_DENIED") {
                denied.entry(f[2]).or_default().push(l.time);
            }
            if f[5] == "POST" {
                let host = f[6].split('/').nth(2).unwrap();
                posts.entry((f[2], host)).or_default().push(l.time);
            }
        }
    }
    // Brute force needs 5 failures per account in 10 min (OMZ-15; 3 on core), spraying
    // 10 accounts per source (OMZ-16), a guessed password a success within 5 min of
    // failures (OMZ-19). A mistyped one-time code fails twice, in sshd and in RADIUS.
    for ((src, role), times) in &failures {
        assert!(
            densest(times, TimeDelta::minutes(10)) <= 1,
            "{src} {role:?}"
        );
        for &fail in times {
            let later = logins.get(src).into_iter().flatten();
            assert!(
                !later
                    .into_iter()
                    .any(|&t| t >= fail && t - fail <= TimeDelta::minutes(5)),
                "{src} logged in within 5 minutes of a failure"
            );
        }
    }
    for (account, times) in &mut failures_per_account {
        times.sort();
        assert!(densest(times, TimeDelta::minutes(10)) <= 2, "{account}");
    }
    // Scans need 20 hosts or 50 ports (OMZ-11): no ordinary source gets near, even over
    // the whole run. Denial bursts need 10 in 10 min (OMZ-02).
    for (src, (hosts, ports)) in &reach {
        assert!(
            hosts.len() < 10 && ports.len() < 15,
            "{src}: {hosts:?} {ports:?}"
        );
    }
    for (src, times) in &blocks {
        assert!(densest(times, TimeDelta::minutes(10)) <= 2, "{src}");
    }
    // Upload volume needs 50 MB per host in an hour (OMZ-13).
    for (src, items) in &sent {
        let most = heaviest(items, TimeDelta::hours(1));
        assert!(most < 40_000_000, "{src}: {most} bytes in an hour");
    }
    for (src, times) in &denied {
        assert!(densest(times, TimeDelta::hours(1)) <= 2, "{src}");
    }
    for (key, times) in &posts {
        assert!(densest(times, TimeDelta::minutes(10)) <= 2, "{key:?}");
    }
    assert!(!failures.is_empty() && !blocks.is_empty() && !denied.is_empty() && !posts.is_empty());
    let failed_roles: BTreeSet<Role> = failures.keys().map(|&(_, r)| r).collect();
    assert!(failed_roles.contains(&Role::Terminal), "{failed_roles:?}");
}

/// OMZ-14, -17 and -20 on the ordinary traffic: every interactive logon on core has an
/// MFA success for its account within a minute; every privileged logon comes from a
/// jump host; remote desktop is only used on core.
#[test]
fn ordinary_logons_keep_the_mfa_and_privilege_rules() {
    let lines = run(6, 250_000);
    let ordinary: Vec<&DemoLine> = lines.iter().filter(|l| l.scenario.is_none()).collect();
    let mut mfa: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    for l in ordinary.iter().filter(|l| l.device == "mfa-core01") {
        let (ok, user, client, _) = radius_result(l);
        if ok {
            mfa.push((l.time, user, client));
        }
    }
    let has_mfa = |t: DateTime<Utc>, user: &str, client: &str| {
        mfa.iter()
            .any(|(at, u, c)| u == user && c == client && (*at - t).abs() <= TimeDelta::seconds(60))
    };
    let mut logons: HashMap<(String, String), serde_json::Value> = HashMap::new();
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for l in &ordinary {
        match role(l) {
            Role::Terminal => {
                let v = windows_event(l);
                let data = &v["winlog"]["event_data"];
                let id = v["winlog"]["event_id"].as_u64().unwrap();
                if id == 4624 {
                    let logon_type = data["LogonType"].as_str().unwrap().to_owned();
                    let user = data["TargetUserName"].as_str().unwrap();
                    if logon_type != "3" && l.zone == "core" {
                        assert!(has_mfa(l.time, user, l.device), "no MFA for {}", l.line);
                    }
                    if logon_type == "10" {
                        assert_eq!(l.zone, "core", "{}", l.line);
                    }
                    let id = data["TargetLogonId"].as_str().unwrap().to_owned();
                    logons.insert((l.device.to_owned(), id), data.clone());
                    *counts.entry((l.device, logon_type)).or_default() += 1;
                }
                if id == 4672 {
                    let key = (
                        l.device.to_owned(),
                        data["SubjectLogonId"].as_str().unwrap().to_owned(),
                    );
                    let logon = &logons[&key];
                    let from: Ipv4Addr = logon["IpAddress"].as_str().unwrap().parse().unwrap();
                    let zone = Zone::of(from).unwrap();
                    assert_eq!(from, zone.server(host::JUMP), "{}", l.line);
                    assert!(
                        data["SubjectUserName"]
                            .as_str()
                            .unwrap()
                            .starts_with("adm-")
                    );
                }
            }
            Role::Server if l.device == "srv-core01" && l.line.contains(": Accepted ") => {
                let user = l
                    .line
                    .split(" for ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap();
                assert!(has_mfa(l.time, user, l.device), "no MFA for {}", l.line);
            }
            _ => {}
        }
    }
    // Every kind of logon happens on its terminal.
    for key in [
        ("term-core", "2"),
        ("term-core", "3"),
        ("term-core", "10"),
        ("term-lgwan01", "2"),
        ("term-lgwan01", "3"),
    ] {
        assert!(
            counts.contains_key(&(key.0, key.1.to_owned())),
            "{key:?}: {counts:?}"
        );
    }
    // The collected terminals are ordinary terminals too.
    for zone in [Zone::Core, Zone::Lgwan] {
        let ip = windows_terminal(zone).unwrap().ip;
        assert!(
            ordinary
                .iter()
                .any(|l| fw_flow(l).is_some_and(|f| f.src == ip))
        );
    }
}

/// sanso reads the appliances' lines with its own parsers, as files and as sent to a
/// collector: none goes to `unparsed`, i-FILTER's land in `http` with both verdicts, and
/// m-FILTER's in `mail` with every disposition, dated as the line says.
#[test]
fn appliance_lines_parse_with_sansos_own_parsers() {
    use std::sync::Arc;

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, TimestampMicrosecondType};
    use sanso_ingest::batch::Batches;
    use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
    use sanso_ingest::schema::Table;

    let lines = run(12, 40_000);
    let appliance: Vec<&DemoLine> = lines
        .iter()
        .filter(|l| matches!(role(l), Role::WebFilter | Role::MailGateway))
        .collect();
    let zones = Arc::new(crate::config::Config::load(None).unwrap().zone_map());
    for wire in [false, true] {
        let mut parser = LineParser::new(ParseSettings::default(), zones.clone());
        let mut batches = Batches::new(zones.clone());
        for l in &appliance {
            let text = if wire { l.to_syslog() } else { l.line.clone() };
            let raw = RawLine {
                bytes: text.as_bytes(),
                received_at: l.time.timestamp_micros(),
                source: l.file,
                peer: None,
            };
            parser.parse_into(&raw, &mut batches);
        }
        let out = batches.finish();
        let strings = |table: Table, column: &str| -> Vec<String> {
            let Some(batch) = table_of(&out, table) else {
                return Vec::new();
            };
            let array =
                arrow::compute::cast(batch.column_by_name(column).unwrap(), &DataType::Utf8)
                    .unwrap();
            let array = array.as_string::<i32>();
            (0..array.len())
                .map(|i| array.value(i).to_owned())
                .collect()
        };
        assert!(
            table_of(&out, Table::Unparsed).is_none(),
            "{:?}",
            strings(Table::Unparsed, "error")
        );

        let web: Vec<&&DemoLine> = appliance
            .iter()
            .filter(|l| role(l) == Role::WebFilter)
            .collect();
        let actions: BTreeSet<String> = strings(Table::Http, "action").into_iter().collect();
        assert_eq!(strings(Table::Http, "action").len(), web.len());
        assert_eq!(actions, BTreeSet::from(["allow".into(), "block".into()]));

        let mail: Vec<&&DemoLine> = appliance
            .iter()
            .filter(|l| role(l) == Role::MailGateway)
            .collect();
        let dispositions: BTreeSet<String> =
            strings(Table::Mail, "disposition").into_iter().collect();
        assert_eq!(
            dispositions,
            BTreeSet::from([
                "attachment_removed".into(),
                "held".into(),
                "rejected".into(),
                "text_converted".into(),
            ])
        );
        let mail_batch = table_of(&out, Table::Mail).unwrap();
        let times = mail_batch
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        let expected: Vec<i64> = mail.iter().map(|l| l.time.timestamp_micros()).collect();
        assert_eq!(times.values().to_vec(), expected);
        if wire {
            let devices: BTreeSet<String> = strings(Table::Http, "device")
                .into_iter()
                .chain(strings(Table::Mail, "device"))
                .collect();
            assert_eq!(
                devices,
                BTreeSet::from(["ifilter-inet".into(), "mfilter-gw".into()])
            );
        }
    }
}

fn table_of(
    out: &[(sanso_ingest::schema::Table, arrow::array::RecordBatch)],
    table: sanso_ingest::schema::Table,
) -> Option<&arrow::array::RecordBatch> {
    out.iter()
        .find(|(t, _)| *t == table)
        .map(|(_, batch)| batch)
}

#[test]
fn ordinary_flows_cross_zones_only_where_the_model_allows() {
    let lines = run(4, 50_000);
    let lgwan_mail = Zone::Lgwan.server(host::MAIL);
    let inet_proxy = Zone::Internet.server(host::PROXY);
    let lgwan_proxy = Zone::Lgwan.server(host::PROXY);
    let inet_dc = Zone::Internet.server(host::DC);
    for l in lines.iter().filter(|l| l.scenario.is_none()) {
        let Some(flow) = fw_flow(l) else { continue };
        if !flow.allowed {
            continue;
        }
        let (src, dst) = (flow.src, flow.dst);
        if Zone::of(src).is_some() && Zone::of(src) == Zone::of(dst) {
            continue;
        }
        let allowed = match (Zone::of(src), Zone::of(dst)) {
            (Some(Zone::Core), None) => {
                src == Zone::Core.server(host::APP) && dst == PARTNER && flow.dport == PARTNER_PORT
            }
            (Some(Zone::Lgwan), _) if dst == SCREEN_TRANSFER || dst == FILE_SANITISER => true,
            (_, Some(Zone::Lgwan)) => src == MAIL_RELAY && dst == lgwan_mail,
            (Some(Zone::Lgwan), None) => src == lgwan_proxy && dst.octets()[0] == 172,
            (Some(Zone::Internet), None) => {
                ((src == inet_proxy || src == Zone::Internet.server(host::WEB_FILTER))
                    && dst == CLOUD_PROXY)
                    || (src == inet_dc && dst == CLOUD_DNS)
                    || (src == MAIL_RELAY && dst == CLOUD_MAIL)
            }
            (None, Some(Zone::Internet)) => src == CLOUD_MAIL && dst == MAIL_RELAY,
            _ => false,
        };
        assert!(allowed, "{}", l.line);
    }
}

/// OMZ-21 on the ordinary traffic: from Friday afternoon into the night, staff on core
/// and lgwan log on, browse and administer only in office hours, while the machines'
/// traffic goes on.
#[test]
fn ordinary_interactive_work_keeps_office_hours() {
    let spec = DemoSpec {
        seed: 5,
        events: 150_000,
        start: friday_afternoon(),
    };
    let lines: Vec<DemoLine> = generate(&spec).collect();
    assert!(!office_hours(lines.last().unwrap().time));
    let mut closed_lines = 0;
    for l in lines.iter().filter(|l| l.scenario.is_none()) {
        if office_hours(l.time) {
            continue;
        }
        closed_lines += 1;
        let line = l.line.as_str();
        match role(l) {
            Role::Terminal => {
                // A session still open at closing time may end after it.
                let id = windows_event(l)["winlog"]["event_id"].as_u64().unwrap();
                assert_eq!(id, 4634, "{line}");
            }
            Role::Mfa => panic!("{line}"),
            Role::Server if l.zone != "internet" && line.contains(": Accepted ") => {
                assert!(
                    line.contains("for nagios ") || line.contains("for svc-backup "),
                    "{line}"
                );
            }
            Role::Proxy if l.device == "proxy-lgwan" => {
                // A request begun before closing is logged when it ends.
                let f = squid_fields(line);
                let elapsed = TimeDelta::milliseconds(f[1].parse().unwrap());
                assert!(
                    office_hours(l.time - elapsed - TimeDelta::seconds(1)),
                    "{line}"
                );
            }
            _ => {}
        }
    }
    assert!(closed_lines > 50_000, "{closed_lines}");
}

#[test]
fn ordinary_rate_is_nominal() {
    let lines = run(8, 100_000);
    let ordinary = lines.iter().filter(|l| l.scenario.is_none()).count();
    let secs = (lines.last().unwrap().time - lines[0].time).num_seconds() as f64;
    let rate = ordinary as f64 / secs;
    let nominal = super::ordinary::LINES_PER_SECOND;
    assert!((rate / nominal - 1.0).abs() < 0.1, "{rate:.2} lines/s");
}

// Sending.

#[tokio::test]
async fn send_over_tcp_delivers_every_line_in_wire_form() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(stream).lines();
        let mut got = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            got.push(line);
        }
        got
    });
    let spec = spec(31, 2_500);
    let sent = send(&spec, addr, Transport::Tcp, 100_000).await.unwrap();
    let got = reader.await.unwrap();
    let expected: Vec<String> = generate(&spec).map(|l| l.to_syslog()).collect();
    assert_eq!(sent, 2_500);
    assert_eq!(got, expected);
}

#[tokio::test]
async fn send_over_udp_sends_one_datagram_per_line() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // As sanso's own listener does: the default buffer holds only a couple of hundred
    // small datagrams, fewer than a late reader may find waiting.
    crate::sources::syslog_udp::enlarge_receive_buffer(&socket).unwrap();
    let addr: SocketAddr = socket.local_addr().unwrap();
    let spec = spec(32, 400);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65_536];
        while got.len() < 400 {
            let recv = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf));
            let Ok(Ok(n)) = recv.await else { break };
            got.push(String::from_utf8(buf[..n].to_vec()).unwrap());
        }
        got
    });
    // Paced gently (20 datagrams a tick): loopback UDP drops whatever overflows the
    // receive buffer.
    let sent = send(&spec, addr, Transport::Udp, 2_000).await.unwrap();
    let got = reader.await.unwrap();
    let expected: Vec<String> = generate(&spec).map(|l| l.to_syslog()).collect();
    assert_eq!(sent, 400);
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "datagram {i}");
    }
}

#[tokio::test]
async fn a_live_feed_never_sends_a_line_before_its_time() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(stream).lines();
        let mut received_at = Vec::new();
        while lines.next_line().await.unwrap().is_some() {
            received_at.push(chrono::Utc::now());
        }
        received_at
    });
    // Starting now and unpaced: without holding lines back, all of them would arrive at
    // once, most stamped seconds ahead of the clock.
    let spec = DemoSpec {
        seed: 34,
        events: 40,
        start: chrono::Utc::now(),
    };
    let sent = send(&spec, addr, Transport::Tcp, 0).await.unwrap();
    let received_at = reader.await.unwrap();
    assert_eq!(sent, 40);
    let lines: Vec<DemoLine> = generate(&spec).collect();
    assert_eq!(received_at.len(), lines.len());
    for (line, at) in lines.iter().zip(&received_at) {
        assert!(line.time <= *at, "{} arrived at {at}", line.line);
    }
}

#[tokio::test]
async fn send_keeps_to_the_rate() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut lines = tokio::io::BufReader::new(stream).lines();
        let mut n = 0;
        while lines.next_line().await.unwrap().is_some() {
            n += 1;
        }
        n
    });
    let began = std::time::Instant::now();
    let sent = send(&spec(33, 300), addr, Transport::Tcp, 1_000)
        .await
        .unwrap();
    let took = began.elapsed();
    assert_eq!(sent, 300);
    assert_eq!(reader.await.unwrap(), 300);
    // 300 lines at 1 000 a second take 0.3 s; generous bounds for a busy machine.
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}
