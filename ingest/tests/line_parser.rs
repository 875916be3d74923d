//! One line in, one row out: the line parser's routing, envelope handling and evidence.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int32Type;
use sanso_ingest::batch::Batches;
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};

const RECEIVED: i64 = 1_763_600_000_000_000; // 2025-11-20T01:06:40Z

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        devices: vec!["fw-core".into(), "srv-core01".into()],
        ..Default::default()
    };
    let lgwan = ZoneConfig {
        cidrs: vec!["10.20.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core), (Zone::Lgwan, &lgwan)]).unwrap())
}

/// Parses `lines` with `settings` and returns the batches by table.
fn parse(settings: ParseSettings, lines: &[&[u8]]) -> Vec<(Table, RecordBatch)> {
    let zones = zones();
    let mut parser = LineParser::new(settings, zones.clone());
    let mut batches = Batches::new(zones);
    for line in lines {
        let raw = RawLine {
            bytes: line,
            received_at: RECEIVED,
            source: "test",
            peer: Some("10.20.9.9"),
        };
        parser.parse_into(&raw, &mut batches);
    }
    assert_eq!(
        batches.pending().total(),
        lines.len() as u64,
        "one row per line"
    );
    batches.finish()
}

fn column(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let array = batch.column_by_name(name).unwrap();
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

fn table(out: &[(Table, RecordBatch)], table: Table) -> &RecordBatch {
    &out.iter()
        .find(|(t, _)| *t == table)
        .unwrap_or_else(|| panic!("no {table} rows"))
        .1
}

#[test]
fn formats_are_detected_per_line() {
    let out = parse(
        ParseSettings::default(),
        &[
            b"<4>Nov 20 10:00:00 fw-core kernel: [UFW BLOCK] IN=eth0 OUT=eth1 SRC=10.10.1.5 DST=10.20.2.9 LEN=60 PROTO=TCP SPT=51234 DPT=445",
            b"Nov 20 10:00:01 srv-core01 sshd[7]: Failed password for invalid user admin from 10.20.1.5 port 40000 ssh2",
            b"1763600000.123    215 10.20.4.20 TCP_MISS/200 5120 GET http://www.example.jp/index.html - HIER_DIRECT/93.184.216.34 text/html",
            b"something nobody logs",
        ],
    );
    assert_eq!(
        column(table(&out, Table::Network), "format"),
        [Some("iptables".into())]
    );
    assert_eq!(
        column(table(&out, Table::Network), "src_zone"),
        [Some("core".into())]
    );
    assert_eq!(
        column(table(&out, Table::Network), "dst_zone"),
        [Some("lgwan".into())]
    );
    assert_eq!(
        column(table(&out, Table::Auth), "user"),
        [Some("admin".into())]
    );
    assert_eq!(
        column(table(&out, Table::Http), "url_host"),
        [Some("www.example.jp".into())]
    );
    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(
        column(unparsed, "error"),
        [Some("no parser recognised the line".into())]
    );
    assert_eq!(
        column(unparsed, "raw"),
        [Some("something nobody logs".into())]
    );
}

#[test]
fn the_reporting_zone_comes_from_device_then_peer() {
    let out = parse(
        ParseSettings::default(),
        &[
            b"Nov 20 10:00:01 srv-core01 sshd[7]: Accepted publickey for tanaka from 10.10.1.5 port 1 ssh2",
            b"Nov 20 10:00:02 unknown-host sshd[7]: Accepted publickey for sato from 10.10.1.5 port 2 ssh2",
        ],
    );
    let auth = table(&out, Table::Auth);
    assert_eq!(
        column(auth, "zone"),
        [Some("core".into()), Some("lgwan".into())]
    );
    assert_eq!(
        column(auth, "device"),
        [Some("srv-core01".into()), Some("unknown-host".into())]
    );
    assert_eq!(
        column(auth, "src_zone"),
        [Some("core".into()), Some("core".into())]
    );
}

#[test]
fn a_user_name_cannot_pass_an_auth_line_off_as_a_firewall_event() {
    let out = parse(
        ParseSettings::default(),
        &[b"Nov 20 10:00:01 srv-core01 sshd[7]: Invalid user x IN=eth0 OUT= SRC=10.10.1.1 DST=8.8.8.8 PROTO=TCP from 10.20.1.5 port 4"],
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, Table::Auth);
    assert_eq!(column(&out[0].1, "src_ip"), [Some("10.20.1.5".into())]);
}

#[test]
fn broken_rfc5424_goes_to_unparsed_with_the_reason() {
    let out = parse(
        ParseSettings::default(),
        &[b"<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 x - BOM'su root' failed"],
    );
    let unparsed = table(&out, Table::Unparsed);
    let error = column(unparsed, "error")[0].clone().unwrap();
    assert!(error.starts_with("rfc5424"), "{error}");
    assert_eq!(column(unparsed, "format_guess"), [Some("syslog".into())]);
}

#[test]
fn timestamps_without_zone_or_year_are_read_in_tokyo_time() {
    let out = parse(
        ParseSettings::default(),
        &[b"Nov 20 10:00:00 srv-core01 sshd[7]: Accepted password for tanaka from 10.10.1.5 port 1 ssh2"],
    );
    let time = table(&out, Table::Auth).column_by_name("time").unwrap();
    let micros = time
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
        .value(0);
    // 10:00 JST on 20 November 2025 (the year of receipt) is 01:00 UTC.
    assert_eq!(micros, 1_763_600_400_000_000);
}

#[test]
fn a_forced_format_reports_its_own_rejection() {
    let settings = ParseSettings {
        format: Some(Format::Squid),
        ..Default::default()
    };
    let out = parse(
        settings,
        &[b"Nov 20 10:00:01 srv-core01 sshd[7]: Accepted password for tanaka"],
    );
    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(column(unparsed, "format_guess"), [Some("squid".into())]);
    assert!(
        column(unparsed, "error")[0]
            .as_deref()
            .unwrap()
            .starts_with("squid:")
    );
}

#[test]
fn shift_jis_is_decoded_and_its_bytes_kept() {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(
        "Nov 20 10:00:01 srv-core01 sshd[7]: Failed password for 佐藤 from 10.20.1.5 port 1 ssh2",
    );
    let settings = ParseSettings {
        encoding: encoding_rs::SHIFT_JIS,
        ..Default::default()
    };
    let out = parse(settings, &[&bytes]);
    let auth = table(&out, Table::Auth);
    assert_eq!(column(auth, "user"), [Some("佐藤".into())]);
    let raw_bytes = auth.column_by_name("raw_bytes").unwrap().as_binary::<i32>();
    assert_eq!(raw_bytes.value(0), &bytes[..]);
    // Plain ASCII in a Shift_JIS source is its own UTF-8: no copy of the bytes is kept.
    let out = parse(
        ParseSettings { encoding: encoding_rs::SHIFT_JIS, ..Default::default() },
        &[b"Nov 20 10:00:01 srv-core01 sshd[7]: Failed password for root from 10.20.1.5 port 1 ssh2"],
    );
    assert!(
        table(&out, Table::Auth)
            .column_by_name("raw_bytes")
            .unwrap()
            .is_null(0)
    );
}

#[test]
fn control_characters_stay_inside_their_row() {
    let out = parse(
        ParseSettings::default(),
        &[b"Nov 20 10:00:01 srv-core01 sshd[7]: Invalid user a\rNov 20 10:00:02 srv-core01 sshd[7]: Accepted password for root from 10.20.1.5 port 1 ssh2\x1b[0m\x00 from 10.20.1.6 port 9"],
    );
    let rows: usize = out.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows, 1);
}

/// Every invalid RFC 5424 vector of go-syslog becomes exactly one row; those that claim
/// RFC 5424 (`<PRI>VERSION SP`) land in `unparsed` with a reason naming what was wrong.
#[test]
fn invalid_rfc5424_vectors_land_in_unparsed_with_a_reason() {
    let vectors = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/syslog/go-syslog/_extracted_vectors.jsonl"
    ))
    .unwrap();
    let mut claimed = 0;
    for vector in vectors.lines() {
        let vector: serde_json::Value = serde_json::from_str(vector).unwrap();
        if vector["valid"] != false || vector["kind"] != "rfc5424" {
            continue;
        }
        let line = vector["input"].as_str().unwrap();
        // Vectors with a newline test framing, which splits them before a parser sees
        // them; the framing tests cover those.
        if line.is_empty() || line.contains('\n') {
            continue;
        }
        let out = parse(ParseSettings::default(), &[line.as_bytes()]);
        let rows: usize = out.iter().map(|(_, b)| b.num_rows()).sum();
        assert_eq!(rows, 1, "{line:?}");
        let claims = line
            .strip_prefix('<')
            .and_then(|r| r.split_once('>'))
            .is_some_and(|(pri, rest)| {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                !pri.is_empty()
                    && pri.bytes().all(|b| b.is_ascii_digit())
                    && digits > 0
                    && rest.as_bytes().get(digits) == Some(&b' ')
            });
        if claims {
            let unparsed = table(&out, Table::Unparsed);
            let error = column(unparsed, "error")[0].clone().unwrap();
            assert_eq!(column(unparsed, "raw"), [Some(line.to_owned())]);
            if error.starts_with("rfc5424: expecting") || error.starts_with("pri: expecting") {
                claimed += 1;
            } else {
                // The few vectors sanso reads more leniently than go-syslog (a `\n` escape
                // in a structured-data value) are valid envelopes around a message no
                // parser knows.
                assert_eq!(error, "no parser recognised the line", "{line:?}");
            }
        }
    }
    assert!(
        claimed > 50,
        "only {claimed} vectors were rejected with a syslog reason"
    );
}

/// OpenVPN's own log file puts a date and the peer's `ip:port` where a syslog header
/// would have a host; the peer must not become the device, nor the next word the program.
#[test]
fn openvpn_file_lines_are_not_mistaken_for_syslog() {
    let out = parse(
        ParseSettings::default(),
        &[
            b"2024-12-15 14:11:27 203.0.113.7:52234 TLS: Username/Password authentication succeeded for username 'tanaka'",
            b"2024-12-15 14:11:28 tanaka/203.0.113.7:52234 MULTI_sva: pool returned IPv4=10.8.0.6, IPv6=(Not enabled)",
        ],
    );
    let auth = table(&out, Table::Auth);
    assert_eq!(
        column(auth, "format"),
        [Some("openvpn".into()), Some("openvpn".into())]
    );
    assert_eq!(
        column(auth, "user"),
        [Some("tanaka".into()), Some("tanaka".into())]
    );
    assert_eq!(
        column(auth, "src_ip"),
        [Some("203.0.113.7".into()), Some("203.0.113.7".into())]
    );
    // The device is the peer that sent the lines, not the VPN client named in them.
    assert_eq!(
        column(auth, "device"),
        [Some("10.20.9.9".into()), Some("10.20.9.9".into())]
    );
}

#[test]
fn the_configured_policy_marks_administrators_and_mfa_confirmations() {
    let auth = sanso_ingest::line::AuthPolicy {
        admin_accounts: vec!["ADM-Tanaka".into()],
        admin_groups: vec!["基幹系管理者".into()],
        mfa_devices: vec!["mfa-core01".into()],
    };
    let settings = ParseSettings {
        auth: Arc::new(auth),
        ..Default::default()
    };
    let out = parse(
        settings,
        &[
            b"Nov 20 10:00:01 srv-core01 sshd[7]: Accepted publickey for adm-tanaka from 10.10.1.5 port 1 ssh2",
            b"Nov 20 10:00:02 srv-core01 sshd[7]: Accepted publickey for sato from 10.10.1.6 port 2 ssh2",
            b"Nov 20 10:00:03 mfa-core01 radiusd: Fri Nov 20 10:00:03 2026 : Auth: (12) Login OK: [sato] (from client term-core port 0 cli 10.10.2.11)",
            b"Nov 20 10:00:04 mfa-core01 radiusd: Fri Nov 20 10:00:04 2026 : Auth: (13) Login incorrect: [sato] (from client term-core port 0 cli 10.10.2.11)",
        ],
    );
    let auth = table(&out, Table::Auth);
    let flag = |name: &str| -> Vec<Option<bool>> {
        let column = auth.column_by_name(name).unwrap().as_boolean();
        (0..column.len())
            .map(|i| column.is_valid(i).then(|| column.value(i)))
            .collect()
    };
    assert_eq!(flag("is_privileged")[..2], [Some(true), None]);
    // Only a success from the MFA server confirms MFA; its failure is a failed logon.
    assert_eq!(flag("is_mfa")[2..], [Some(true), None]);
    assert_eq!(
        column(auth, "activity")[2..],
        [Some("mfa".into()), Some("logon".into())]
    );
}
