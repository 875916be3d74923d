//! The FortiGate and PAN-OS parsers against samples, field by field, and through the
//! full line parser.
//!
//! The shared corpora hold no FortiGate or PAN-OS lines, so the samples in
//! `testdata/firewall/fortios-panos-reference/` were written from the vendors' published
//! field references (FortiOS Log Message Reference; PAN-OS Administrator's Guide,
//! "Syslog Field Descriptions"); its PROVENANCE.md says which log each line follows.
//! Beside each sample file, `*.expected.jsonl` holds per line the table, every column
//! that must be filled (and no other), and what `extra` must hold: for FortiGate the
//! keys that columns consume, `extra` being every other non-empty pair as read by a naive
//! character-by-character oracle; for PAN-OS the exact pairs. Accepted and rejected
//! counts are pinned, and no other sample under `testdata/` may be claimed by either
//! `looks_like`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
use sanso_ingest::batch::Batches;
use sanso_ingest::event::{AuthEvent, Event, NetworkEvent};
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::{fortigate, panos};
use sanso_ingest::schema::Table;
use sanso_ingest::syslog::{self, TimeContext};
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use serde_json::{Value, json};

const DIR: &str = "firewall/fortios-panos-reference";
/// 2024-11-20T02:00:00Z, after every sample line.
const RECEIVED: i64 = 1_732_068_000_000_000;

// ---------------------------------------------------------------------------------------
// Samples and expectations

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn read(relative: &str) -> String {
    let path = testdata().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample lines of `name` with their expectations, checked to pair up.
fn samples(name: &str) -> Vec<(String, Value)> {
    let lines = read(&format!("{DIR}/{name}.log"));
    let expected = read(&format!("{DIR}/{name}.expected.jsonl"));
    let lines: Vec<_> = lines.lines().map(str::to_owned).collect();
    let expected: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).expect("expectation is JSON"))
        .collect();
    assert_eq!(
        lines.len(),
        expected.len(),
        "{name}: one expectation per line"
    );
    lines.into_iter().zip(expected).collect()
}

/// The syslog MSG of a sample line, through sanso's own envelope reader.
fn message(line: &str) -> &str {
    let ctx = TimeContext::new(chrono_tz::Asia::Tokyo, RECEIVED);
    syslog::parse(line, &ctx)
        .expect("sample lines are syslog")
        .msg
}

// ---------------------------------------------------------------------------------------
// Events as JSON maps, every column named (a new column fails to compile here)

fn network_columns(e: &NetworkEvent<'_>) -> BTreeMap<&'static str, Value> {
    let NetworkEvent {
        time,
        src_ip,
        src_port,
        dst_ip,
        dst_port,
        protocol,
        action,
        rule,
        bytes_in,
        bytes_out,
        packets,
        duration_ms,
        src_intf,
        dst_intf,
        src_device_zone,
        dst_device_zone,
        app,
        threat_name,
        threat_severity,
        nat_src_ip,
        nat_src_port,
        nat_dst_ip,
        nat_dst_port,
        extra: _,
    } = e;
    let columns = [
        ("time", time.map(|v| json!(v))),
        ("src_ip", src_ip.map(|v| json!(v))),
        ("src_port", src_port.map(|v| json!(v))),
        ("dst_ip", dst_ip.map(|v| json!(v))),
        ("dst_port", dst_port.map(|v| json!(v))),
        ("protocol", protocol.map(|v| json!(v))),
        ("action", action.map(|v| json!(v))),
        ("rule", rule.map(|v| json!(v))),
        ("bytes_in", bytes_in.map(|v| json!(v))),
        ("bytes_out", bytes_out.map(|v| json!(v))),
        ("packets", packets.map(|v| json!(v))),
        ("duration_ms", duration_ms.map(|v| json!(v))),
        ("src_intf", src_intf.map(|v| json!(v))),
        ("dst_intf", dst_intf.map(|v| json!(v))),
        ("src_device_zone", src_device_zone.map(|v| json!(v))),
        ("dst_device_zone", dst_device_zone.map(|v| json!(v))),
        ("app", app.map(|v| json!(v))),
        ("threat_name", threat_name.map(|v| json!(v))),
        ("threat_severity", threat_severity.map(|v| json!(v))),
        ("nat_src_ip", nat_src_ip.map(|v| json!(v))),
        ("nat_src_port", nat_src_port.map(|v| json!(v))),
        ("nat_dst_ip", nat_dst_ip.map(|v| json!(v))),
        ("nat_dst_port", nat_dst_port.map(|v| json!(v))),
    ];
    columns
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

fn auth_columns(e: &AuthEvent<'_>) -> BTreeMap<&'static str, Value> {
    let AuthEvent {
        time,
        user,
        user_domain,
        src_ip,
        src_host,
        dst_host,
        protocol,
        logon_type,
        activity,
        outcome,
        reason,
        event_code,
        is_mfa,
        is_privileged,
        extra: _,
    } = e;
    let columns = [
        ("time", time.map(|v| json!(v))),
        ("user", user.map(|v| json!(v))),
        ("user_domain", user_domain.map(|v| json!(v))),
        ("src_ip", src_ip.map(|v| json!(v))),
        ("src_host", src_host.map(|v| json!(v))),
        ("dst_host", dst_host.map(|v| json!(v))),
        ("protocol", protocol.map(|v| json!(v))),
        ("logon_type", logon_type.map(|v| json!(v))),
        ("activity", activity.map(|v| json!(v))),
        ("outcome", outcome.map(|v| json!(v))),
        ("reason", reason.map(|v| json!(v))),
        ("event_code", event_code.map(|v| json!(v))),
        ("is_mfa", is_mfa.map(|v| json!(v))),
        ("is_privileged", is_privileged.map(|v| json!(v))),
    ];
    columns
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

fn expected_columns(expected: &Value) -> BTreeMap<&str, Value> {
    expected["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

fn owned(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The oracle for FortiGate pairs: a naive character-by-character reading of the rules
/// in the parser's documentation (bare values end at a space; in a quoted value a
/// backslash keeps the next character and a quote followed by a space or the end closes
/// it; escapes are kept as written).
fn naive_pairs(msg: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = msg.chars().collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while chars.get(i) == Some(&' ') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && chars[i] != ' ' {
            i += 1;
        }
        if chars.get(i) != Some(&'=') || i == start {
            while i < chars.len() && chars[i] != ' ' {
                i += 1;
            }
            continue;
        }
        let key: String = chars[start..i].iter().collect();
        i += 1;
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => break,
                    Some('\\') => {
                        value.push('\\');
                        value.extend(chars.get(i + 1));
                        i += 2;
                    }
                    Some('"') if matches!(chars.get(i + 1), None | Some(' ')) => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && chars[i] != ' ' {
                value.push(chars[i]);
                i += 1;
            }
        }
        pairs.push((key, value));
    }
    pairs
}

// ---------------------------------------------------------------------------------------
// FortiGate

#[test]
fn fortigate_samples_field_by_field() {
    let samples = samples("fortigate");
    let mut tables = BTreeMap::new();
    for (i, (line, expected)) in samples.iter().enumerate() {
        let msg = message(line);
        let table = expected["table"].as_str().unwrap();
        *tables.entry(table).or_insert(0) += 1;
        let parsed = fortigate::parse(msg);
        let (columns, extra) = match (table, &parsed) {
            ("network", Ok(Event::Network(e))) => (network_columns(e), owned(&e.extra)),
            ("auth", Ok(Event::Auth(e))) => (auth_columns(e), owned(&e.extra)),
            ("unparsed", Err(err)) => {
                assert_eq!(
                    Some(err.to_string().as_str()),
                    expected["error"].as_str(),
                    "line {i}"
                );
                continue;
            }
            _ => panic!("line {i}: expected {table}, got {parsed:?}"),
        };
        assert_eq!(
            columns,
            expected_columns(expected),
            "line {i}: {}",
            expected["ref"]
        );
        let consumed: Vec<&str> = expected["consumed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let oracle: Vec<_> = naive_pairs(msg)
            .into_iter()
            .filter(|(k, v)| !v.is_empty() && !consumed.contains(&k.as_str()))
            .collect();
        assert_eq!(extra, oracle, "line {i}: extra");
    }
    assert_eq!(
        tables,
        BTreeMap::from([("auth", 8), ("network", 14), ("unparsed", 3)])
    );
}

#[test]
fn fortigate_extra_keeps_what_the_columns_normalise() {
    let samples = samples("fortigate");
    let extra_of = |i: usize| match fortigate::parse(message(&samples[i].0)) {
        Ok(Event::Network(e)) => owned(&e.extra),
        Ok(Event::Auth(e)) => owned(&e.extra),
        other => panic!("{other:?}"),
    };
    let has = |extra: &[(String, String)], k: &str, v: &str| {
        extra.iter().any(|(ek, ev)| ek == k && ev == v)
    };
    // `close` is `allow` in the column; the vendor's word stays. `deny` is not repeated.
    assert!(has(&extra_of(0), "action", "close"));
    assert!(!extra_of(1).iter().any(|(k, _)| k == "action"));
    // The packet split, the device's own zone offset, its name and serial stay.
    let first = extra_of(0);
    for (k, v) in [
        ("sentpkt", "38"),
        ("rcvdpkt", "141"),
        ("tz", "+0900"),
        ("devname", "FGT100F-INET"),
        ("devid", "FG100FTK23000002"),
        ("policyname", "inet-web-out"),
    ] {
        assert!(has(&first, k, v), "{k}");
    }
    // Without a zone the local date and time are all the line has: they stay.
    let old = extra_of(6);
    assert!(has(&old, "date", "2024-11-20") && has(&old, "time", "10:25:00"));
    // Logon lines keep `action`, `ui` and a status the outcome renamed.
    let failed = extra_of(18);
    assert!(has(&failed, "action", "login") && has(&failed, "status", "failed"));
    assert!(has(&failed, "ui", "https(203.0.113.9)"));
}

// ---------------------------------------------------------------------------------------
// PAN-OS

#[test]
fn panos_samples_field_by_field() {
    let samples = samples("panos");
    let mut tables = BTreeMap::new();
    for (i, (line, expected)) in samples.iter().enumerate() {
        let table = expected["table"].as_str().unwrap();
        *tables.entry(table).or_insert(0) += 1;
        let parsed = panos::parse(message(line));
        match (table, &parsed) {
            ("network", Ok(e)) => {
                assert_eq!(
                    network_columns(e),
                    expected_columns(expected),
                    "line {i}: {}",
                    expected["ref"]
                );
                let extra: Vec<(String, String)> =
                    serde_json::from_value(expected["extra"].clone()).unwrap();
                assert_eq!(owned(&e.extra), extra, "line {i}: extra");
            }
            ("unparsed", Err(err)) => {
                assert_eq!(
                    Some(err.to_string().as_str()),
                    expected["error"].as_str(),
                    "line {i}"
                );
            }
            _ => panic!("line {i}: expected {table}, got {parsed:?}"),
        }
    }
    assert_eq!(tables, BTreeMap::from([("network", 9), ("unparsed", 3)]));
}

// ---------------------------------------------------------------------------------------
// Through the line parser: detection, routing, zones, time

fn zones() -> Arc<ZoneMap> {
    let config = |cidrs: &[&str], interfaces: &[&str]| ZoneConfig {
        cidrs: cidrs.iter().map(|s| (*s).to_owned()).collect(),
        interfaces: interfaces.iter().map(|s| (*s).to_owned()).collect(),
        ..ZoneConfig::default()
    };
    let core = config(
        &["10.10.0.0/16"],
        &["internal2", "internal3", "core-ops", "core-servers"],
    );
    let lgwan = config(&["10.20.0.0/16"], &["lgwan-users", "lgwan-servers"]);
    let internet = config(&["10.30.0.0/16"], &["internal1", "inet-lan", "inet-dmz"]);
    let external = config(&[], &["wan1", "untrust"]);
    Arc::new(
        ZoneMap::new([
            (Zone::Core, &core),
            (Zone::Lgwan, &lgwan),
            (Zone::Internet, &internet),
            (Zone::External, &external),
        ])
        .unwrap(),
    )
}

/// Every line of a sample file through automatic detection, by table.
fn detect(name: &str) -> (usize, Vec<(Table, RecordBatch)>) {
    let text = read(&format!("{DIR}/{name}.log"));
    let zones = zones();
    let mut parser = LineParser::new(ParseSettings::default(), zones.clone());
    let mut batches = Batches::new(zones);
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        let raw = RawLine {
            bytes: line.as_bytes(),
            received_at: RECEIVED,
            source: "test",
            peer: Some("192.0.2.250"),
        };
        parser.parse_into(&raw, &mut batches);
    }
    assert_eq!(
        batches.pending().total(),
        lines.len() as u64,
        "one row per line"
    );
    (lines.len(), batches.finish())
}

fn column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let array = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    (0..array.len())
        .map(|i| {
            if array.is_null(i) {
                return None;
            }
            Some(match array.data_type() {
                arrow::datatypes::DataType::Dictionary(..) => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    values.value(dict.keys().value(i) as usize).to_owned()
                }
                _ => array.as_string::<i32>().value(i).to_owned(),
            })
        })
        .collect()
}

fn times(batch: &RecordBatch) -> Vec<i64> {
    let time = batch
        .column_by_name("time")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    time.values().to_vec()
}

fn table(out: &[(Table, RecordBatch)], table: Table) -> &RecordBatch {
    &out.iter()
        .find(|(t, _)| *t == table)
        .unwrap_or_else(|| panic!("no {table} rows"))
        .1
}

fn strings(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[test]
fn fortigate_lines_are_detected_and_routed() {
    let (lines, out) = detect("fortigate");
    let rows = |t: Table| {
        out.iter()
            .find(|(x, _)| *x == t)
            .map_or(0, |(_, b)| b.num_rows())
    };
    assert_eq!(
        (
            rows(Table::Network),
            rows(Table::Auth),
            rows(Table::Unparsed)
        ),
        (14, 8, 3)
    );
    assert_eq!(lines, 25);

    let network = table(&out, Table::Network);
    assert!(
        column(network, "format")
            .iter()
            .all(|f| f.as_deref() == Some("fortigate"))
    );
    use Zone::{Core as C, External as X, Internet as I, Lgwan as L};
    let src = [I, X, I, C, I, I, L, C, X, X, I, I, I, X].map(|z| Some(z.as_str()));
    let dst = [X, I, I, C, X, X, X, C, I, I, X, X, X].map(|z| Some(z.as_str()));
    assert_eq!(column(network, "src_zone"), strings(&src));
    // The anomaly log names no destination interface, and its address is in no range.
    let mut dst = dst.to_vec();
    dst.push(None);
    assert_eq!(column(network, "dst_zone"), strings(&dst));
    let time = times(network);
    // Its own (nanosecond) time on the first line; the header's, read in Tokyo time, on
    // the FortiOS 5.6 line that has none.
    assert_eq!(
        (time[0], time[6]),
        (1_732_065_302_123_456, 1_732_065_900_000_000)
    );

    let auth = table(&out, Table::Auth);
    assert!(
        column(auth, "format")
            .iter()
            .all(|f| f.as_deref() == Some("fortigate"))
    );
    let core = Some(C.as_str());
    assert_eq!(
        column(auth, "src_zone"),
        strings(&[None, None, None, core, None, core, None, Some(I.as_str())])
    );

    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(
        column(unparsed, "format_guess"),
        vec![Some("fortigate".to_owned()); 3]
    );
    assert_eq!(
        column(unparsed, "error"),
        strings(&[
            Some("fortigate: event log is not a logon or logoff"),
            Some("fortigate: event log is not a logon or logoff"),
            Some("fortigate: missing field `dstip`"),
        ])
    );
}

#[test]
fn panos_lines_are_detected_and_routed() {
    let (lines, out) = detect("panos");
    assert_eq!(lines, 12);
    let network = table(&out, Table::Network);
    assert_eq!(network.num_rows(), 9);
    assert!(
        column(network, "format")
            .iter()
            .all(|f| f.as_deref() == Some("panos"))
    );
    use Zone::{Core as C, External as X, Internet as I, Lgwan as L};
    // The device's zone names decide, through the interface table.
    let src = [I, X, I, L, C, I, X, X, L].map(|z| Some(z.as_str()));
    let dst = [X, I, X, L, C, X, I, I, L].map(|z| Some(z.as_str()));
    assert_eq!(column(network, "src_zone"), strings(&src));
    assert_eq!(column(network, "dst_zone"), strings(&dst));
    // High Resolution Timestamp where there is one; else the header's time (RFC 5424
    // with its offset on the second record, BSD read in Tokyo time on the eighth).
    let time = times(network);
    assert_eq!(
        (time[0], time[1], time[7]),
        (
            1_732_065_302_345_000,
            1_732_065_360_000_000,
            1_732_065_720_000_000
        )
    );
    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(
        column(unparsed, "format_guess"),
        vec![Some("panos".to_owned()); 3]
    );
    assert!(
        column(unparsed, "error")
            .iter()
            .all(|e| e.as_deref() == Some("panos: log type is not TRAFFIC or THREAT"))
    );
}

/// Neither `looks_like` claims a line of any other sample under `testdata/`.
#[test]
fn looks_like_claims_no_other_sample() {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    files(&testdata(), &mut paths);
    let own = testdata().join(DIR);
    let ctx = TimeContext::new(chrono_tz::Asia::Tokyo, RECEIVED);
    let mut checked = 0;
    for path in paths.iter().filter(|p| !p.starts_with(&own)) {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue; // binary files
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let msg = syslog::parse(line, &ctx).map_or(line, |m| m.msg);
            for candidate in [line, msg] {
                assert!(
                    !fortigate::looks_like(candidate),
                    "{}: {candidate}",
                    path.display()
                );
                assert!(
                    !panos::looks_like(candidate),
                    "{}: {candidate}",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1_000, "only {checked} lines checked");
}
