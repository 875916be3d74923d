//! Tests of the demo generator: the API contract (determinism, counts, order, files, wire
//! form), the ground truth, and naive oracles that check the ordinary traffic stays clean
//! and each scenario really shows the pattern it is labelled with.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, UdpSocket};

use super::city::{
    CLOUD_DNS, CLOUD_MAIL, CLOUD_PROXY, DEVICES, FILE_SANITISER, MAIL_RELAY, SCREEN_TRANSFER, Zone,
    host,
};
use super::{DemoLine, DemoSpec, Scenario, Transport, generate, send, write_files};

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

// Contract.

#[test]
fn same_spec_gives_the_same_lines() {
    assert_eq!(run(7, 3_000), run(7, 3_000));
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
    let config: toml::Table = toml::from_str(include_str!("../default-config.toml")).unwrap();
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
            "{}",
            dev.name
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

#[test]
fn every_device_writes_and_every_line_has_its_shape() {
    let lines = run(11, 20_000);
    let mut per_file = BTreeMap::new();
    for l in &lines {
        *per_file.entry(l.file).or_insert(0) += 1;
        let dev = DEVICES.iter().find(|d| d.name == l.device).unwrap();
        assert_eq!(l.file, dev.file);
        match dev.role {
            super::city::Role::Firewall => {
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
            super::city::Role::Proxy => {
                let f = squid_fields(&l.line);
                assert_eq!(f.len(), 10, "{}", l.line);
                let (secs, millis) = f[0].split_once('.').unwrap();
                assert_eq!(millis.len(), 3);
                assert_eq!(secs.parse::<i64>().unwrap(), l.time.timestamp());
                assert!(f[1].parse::<u32>().is_ok());
                assert!(f[2].parse::<Ipv4Addr>().is_ok());
                let (code, status) = f[3].split_once('/').unwrap();
                assert!(code.starts_with("TCP_"), "{}", l.line);
                assert_eq!(status.len(), 3);
                assert!(f[4].parse::<u64>().is_ok());
                assert!(f[8].contains('/'), "{}", l.line);
            }
            super::city::Role::Server => {
                let tags = ["sshd[", "sudo: ", "CRON[", "systemd-logind["];
                let rest = &l.line[17 + l.device.len()..];
                assert!(tags.iter().any(|t| rest.starts_with(t)), "{}", l.line);
            }
        }
        if dev.role != super::city::Role::Proxy {
            // `Nov 26 09:15:02 host ` in JST, the whole second of `time`.
            let jst = l.time.with_timezone(&Tokyo);
            let header = jst.format("%b %e %H:%M:%S ").to_string() + l.device + " ";
            assert!(l.line.starts_with(&header), "{}\n{header}", l.line);
            assert_eq!(l.time.timestamp_subsec_nanos(), 0);
        }
    }
    for dev in DEVICES {
        assert!(
            per_file.get(dev.file).copied().unwrap_or(0) > 50,
            "{per_file:?}"
        );
    }
}

#[test]
fn syslog_wire_form_adds_pri_and_wraps_squid() {
    let lines = run(4, 3_000);
    let fw = lines.iter().find(|l| l.device == "fw-core").unwrap();
    assert_eq!(fw.to_syslog(), format!("<4>{}", fw.line));
    let sshd = lines
        .iter()
        .find(|l| l.device.starts_with("srv-") && l.line.contains(" sshd["))
        .unwrap();
    assert!(sshd.to_syslog().starts_with("<38>") || sshd.to_syslog().starts_with("<86>"));
    let squid = lines.iter().find(|l| l.device == "proxy-inet").unwrap();
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

#[test]
fn every_scenario_is_present_from_2000_events() {
    for seed in 0..8 {
        for events in [2_000, 20_000] {
            let lines = run(seed, events);
            let kinds: BTreeSet<Scenario> = lines.iter().filter_map(|l| l.scenario).collect();
            assert_eq!(
                kinds.len(),
                Scenario::ALL.len(),
                "seed {seed}, {events} events"
            );
            let attacks = lines.iter().filter(|l| l.scenario.is_some()).count();
            assert!(attacks <= events / 4);
        }
    }
}

#[test]
fn scenarios_scale_with_events() {
    let count = |events| {
        let lines = run(9, events);
        instances(&lines)
            .keys()
            .filter(|(s, _)| *s == Scenario::PortScan)
            .count()
    };
    assert_eq!(count(20_000), 1);
    assert_eq!(count(150_000), 4);
}

#[test]
fn scenarios_show_the_patterns_they_are_labelled_with() {
    for seed in 0..6 {
        let lines = run(seed, 20_000);
        for ((scenario, src), group) in instances(&lines) {
            let ctx = format!("seed {seed}, {scenario} from {src}");
            for l in &group {
                assert!(addresses(&l.line).any(|a| a == src), "{ctx}: {}", l.line);
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
                    let ports: BTreeSet<&str> = group
                        .iter()
                        .map(|l| field(&l.line, "DPT=").unwrap())
                        .collect();
                    let hosts: BTreeSet<&str> = group
                        .iter()
                        .map(|l| field(&l.line, "DST=").unwrap())
                        .collect();
                    assert!(ports.len() >= 60 && hosts.len() >= 25, "{ctx}");
                    assert!(
                        group.iter().all(|l| l.line.contains("[UFW BLOCK] ")),
                        "{ctx}"
                    );
                    let span = group.last().unwrap().time - group[0].time;
                    assert!(span <= TimeDelta::minutes(5), "{ctx}: {span}");
                }
                Scenario::CrossZoneViolation => {
                    for l in &group {
                        assert!(l.line.contains("[UFW ALLOW] "), "{ctx}");
                        let from = Zone::of(src).unwrap();
                        let dst: Ipv4Addr = field(&l.line, "DST=").unwrap().parse().unwrap();
                        assert_ne!(Zone::of(dst), Some(from), "{ctx}: {}", l.line);
                        assert!(![SCREEN_TRANSFER, FILE_SANITISER, MAIL_RELAY].contains(&dst));
                        assert_eq!(l.zone, from.id(), "{ctx}: {}", l.line);
                    }
                }
                Scenario::Exfiltration => {
                    let uploads: Vec<&str> = group
                        .iter()
                        .filter(|l| l.device == "proxy-inet")
                        .map(|l| squid_fields(&l.line))
                        .filter(|f| f[5] == "POST" || f[5] == "PUT")
                        .map(|f| f[6].split('/').nth(2).unwrap())
                        .collect();
                    assert!(uploads.len() >= 15, "{ctx}");
                    assert!(uploads.iter().all(|h| *h == uploads[0]), "{ctx}");
                    let span = group.last().unwrap().time - group[0].time;
                    assert!(span <= TimeDelta::minutes(10), "{ctx}: {span}");
                }
            }
        }
        // A cross-zone instance has a core and an lgwan source.
        let crossing: BTreeSet<&str> = lines
            .iter()
            .filter(|l| l.scenario == Some(Scenario::CrossZoneViolation))
            .map(|l| l.device)
            .collect();
        assert_eq!(
            crossing,
            BTreeSet::from(["fw-core", "fw-lgwan"]),
            "seed {seed}"
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
        assert!(addresses(line).any(|a| a == src), "{record}\n{line}");
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
        assert_eq!(per_scenario[s.as_str()], summary.scenarios[s.as_str()]);
        assert!(summary.scenarios[s.as_str()] > 0, "{s}");
    }
    // The summary prints as a table naming every file and scenario.
    let table = summary.to_string();
    assert!(table.contains("fw-core.log") && table.contains("exfiltration"));
}

// Ordinary traffic stays clean.

#[test]
fn ordinary_lines_never_mention_attack_sources() {
    for seed in [1, 2] {
        let lines = run(seed, 150_000);
        let sources: BTreeSet<Ipv4Addr> = lines.iter().filter_map(|l| l.attack_src()).collect();
        assert!(sources.len() >= 5 * 4);
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

#[test]
fn ordinary_traffic_stays_under_every_scenario_threshold() {
    let lines = run(3, 150_000);
    let ordinary: Vec<&DemoLine> = lines.iter().filter(|l| l.scenario.is_none()).collect();

    let mut failures: BTreeMap<Ipv4Addr, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut logins: BTreeMap<Ipv4Addr, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut blocks: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut denied: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut posts: BTreeMap<(&str, &str), Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut reach: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for l in &ordinary {
        let line = l.line.as_str();
        assert!(
            !line.contains("Invalid user") && !line.contains("invalid user"),
            "{line}"
        );
        if line.contains(": Failed ") {
            let src = after(line, "from").unwrap().parse().unwrap();
            failures.entry(src).or_default().push(l.time);
        }
        if line.contains(": Accepted ") {
            let src = after(line, "from").unwrap().parse().unwrap();
            logins.entry(src).or_default().push(l.time);
        }
        if let Some(src) = field(line, "SRC=") {
            let (hosts, ports) = reach.entry(src).or_default();
            hosts.insert(field(line, "DST=").unwrap());
            ports.insert(field(line, "DPT=").unwrap());
            if line.contains("[UFW BLOCK] ") {
                blocks.entry(src).or_default().push(l.time);
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
    // Brute force needs 5 failures per account in 10 min (OMZ-15), spraying 10 accounts
    // per source (OMZ-16), a guessed password a success within 5 min of failures (OMZ-19).
    for (src, times) in &failures {
        assert!(densest(times, TimeDelta::minutes(10)) <= 1, "{src}");
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
    for (src, times) in &denied {
        assert!(densest(times, TimeDelta::hours(1)) <= 2, "{src}");
    }
    for (key, times) in &posts {
        assert!(densest(times, TimeDelta::minutes(10)) <= 2, "{key:?}");
    }
    assert!(!failures.is_empty() && !blocks.is_empty() && !denied.is_empty() && !posts.is_empty());
}

#[test]
fn ordinary_flows_cross_zones_only_where_the_model_allows() {
    let lines = run(4, 50_000);
    let lgwan_mail = Zone::Lgwan.server(host::MAIL);
    let inet_proxy = Zone::Internet.server(host::PROXY);
    let lgwan_proxy = Zone::Lgwan.server(host::PROXY);
    let inet_dc = Zone::Internet.server(host::DC);
    for l in lines.iter().filter(|l| l.scenario.is_none()) {
        if !l.line.contains("[UFW ALLOW] ") {
            continue;
        }
        let src: Ipv4Addr = field(&l.line, "SRC=").unwrap().parse().unwrap();
        let dst: Ipv4Addr = field(&l.line, "DST=").unwrap().parse().unwrap();
        if Zone::of(src).is_some() && Zone::of(src) == Zone::of(dst) {
            continue;
        }
        let allowed = match (Zone::of(src), Zone::of(dst)) {
            (Some(Zone::Lgwan), _) if dst == SCREEN_TRANSFER || dst == FILE_SANITISER => true,
            (_, Some(Zone::Lgwan)) => src == MAIL_RELAY && dst == lgwan_mail,
            (Some(Zone::Lgwan), None) => src == lgwan_proxy && dst.octets()[0] == 172,
            (Some(Zone::Internet), None) => {
                (src == inet_proxy && dst == CLOUD_PROXY)
                    || (src == inet_dc && dst == CLOUD_DNS)
                    || (src == MAIL_RELAY && dst == CLOUD_MAIL)
            }
            (None, Some(Zone::Internet)) => src == CLOUD_MAIL && dst == MAIL_RELAY,
            _ => false,
        };
        assert!(allowed, "{}", l.line);
    }
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
    // receive buffer, which holds only a couple of hundred small datagrams.
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
