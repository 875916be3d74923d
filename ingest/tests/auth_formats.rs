//! The Windows, RADIUS and OpenVPN parsers against samples, field by field.
//!
//! Samples live in `testdata/auth/` beside their PROVENANCE.md and licence:
//!
//! * real Windows events: OTRF Security-Datasets (NXLog JSON) and EVTX-to-MITRE-Attack
//!   (evtx_dump JSON). Their expected values come from the events' own fields, read here
//!   with serde_json and mapped by a small, separate implementation of the mapping table
//!   in `parsers::auth::windows` (the oracle below), so every line is compared column by
//!   column; counts of accepted and rejected lines per event ID are pinned;
//! * CrowdSec's `windows-logs` (event XML) and `openvpn` samples, with the fields of their
//!   `parser.assert` compared;
//! * `vendor-reference/`: lines written from the vendors' published formats where the
//!   corpora have none (account changes, winlogbeat, FreeRADIUS, more OpenVPN), with
//!   every mapped column spelled out in the tables below.
//!
//! Then the same lines go through the whole line parser with automatic detection, and
//! every other sample of the repository through these parsers' `looks_like`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int32Type;
use bumpalo::Bump;
use proptest::prelude::*;
use sanso_ingest::batch::Batches;
use sanso_ingest::event::AuthEvent;
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::{openvpn, radius, windows};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Sample access

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The file's text, leaked so that borrowed events can outlive the test helper that
/// parsed them; a test process reads a few hundred kilobytes.
fn read(relative: &str) -> &'static str {
    let path = testdata().join("auth").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.leak()
}

fn lines(relative: &str) -> Vec<&'static str> {
    read(relative)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn arena() -> &'static Bump {
    Box::leak(Box::new(Bump::new()))
}

fn extra<'e>(e: &'e AuthEvent<'_>, key: &str) -> Option<&'e str> {
    e.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// `Unrecognised`'s text as the `unparsed` table shows it.
fn err_text<T>(r: &Result<T, sanso_ingest::error::ParseError>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    }
}

/// `Success` and the `Evt.Parsed[..]` / `Evt.Meta[..]` values of one CrowdSec parser, by
/// line index.
type CrowdsecResults = BTreeMap<usize, (Option<bool>, BTreeMap<String, String>)>;

fn crowdsec(assert_file: &str, stage: &str, parser: &str) -> CrowdsecResults {
    let prefix = format!(r#"results["{stage}"]["{parser}"]["#);
    let mut out = CrowdsecResults::new();
    for line in read(assert_file).lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        let (index, rest) = rest.split_once("].").expect("index");
        let entry = out
            .entry(index.parse().expect("numeric index"))
            .or_default();
        match rest {
            "Success == true" => entry.0 = Some(true),
            "Success == false" => entry.0 = Some(false),
            _ => {
                if let Some((key, value)) = rest.split_once(" == \"") {
                    let key = key
                        .trim_start_matches("Evt.")
                        .replace("[\"", ".")
                        .replace("\"]", "");
                    entry
                        .1
                        .insert(key, value.trim_end_matches('"').replace("\\\"", "\""));
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Windows: the oracle for the JSON samples

/// The event as its JSON says, independently of the parser.
#[derive(Debug)]
struct Source {
    id: i32,
    computer: Option<String>,
    /// `TimeCreated/@SystemTime` (evtx_dump) or Logstash's `@timestamp` (NXLog).
    time: Option<String>,
    /// NXLog's zone-less `EventTime`.
    event_time: Option<String>,
    /// Event data, without `-` and empty values, trimmed.
    data: BTreeMap<String, String>,
}

/// NXLog and Logstash envelope keys that the parser leaves to `raw` (module docs).
const NXLOG_ENVELOPE: &[&str] = &[
    "EventTime",
    "Hostname",
    "Keywords",
    "EventType",
    "SeverityValue",
    "Severity",
    "EventID",
    "SourceName",
    "ProviderGuid",
    "Version",
    "Task",
    "OpcodeValue",
    "RecordNumber",
    "ActivityID",
    "ExecutionProcessID",
    "ThreadID",
    "Channel",
    "Category",
    "Opcode",
    "Message",
    "EventReceivedTime",
    "SourceModuleName",
    "SourceModuleType",
    "ERROR_EVT_UNRESOLVED",
    "@timestamp",
    "@version",
    "host",
    "port",
    "tags",
];

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty() && s != "-")
}

fn source(line: &str) -> Source {
    let v: Value = serde_json::from_str(line).expect("sample JSON");
    let mut data = BTreeMap::new();
    let mut keep = |map: &serde_json::Map<String, Value>| {
        for (k, v) in map {
            if !k.starts_with('#')
                && let Some(t) = text(v)
            {
                data.insert(k.clone(), t);
            }
        }
    };
    if let Some(event) = v.get("Event") {
        let system = &event["System"];
        let id = &system["EventID"];
        let id = id
            .get("#text")
            .unwrap_or(id)
            .as_i64()
            .expect("numeric EventID");
        if let Some(map) = event["EventData"].as_object() {
            keep(map);
        }
        if let Some(user_data) = event["UserData"].as_object() {
            for inner in user_data.values().filter_map(Value::as_object) {
                keep(inner);
            }
        }
        Source {
            id: id as i32,
            computer: text(&system["Computer"]),
            time: text(&system["TimeCreated"]["#attributes"]["SystemTime"]),
            event_time: None,
            data,
        }
    } else {
        let map = v.as_object().expect("object");
        let event_data: serde_json::Map<String, Value> = map
            .iter()
            .filter(|(k, _)| !NXLOG_ENVELOPE.contains(&k.as_str()))
            .filter(|(k, _)| !k.starts_with(|c: char| c.is_ascii_lowercase() || c == '@'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        keep(&event_data);
        Source {
            id: v["EventID"].as_i64().expect("EventID") as i32,
            computer: text(&v["Hostname"]),
            time: text(&v["@timestamp"]),
            event_time: text(&v["EventTime"]),
            data,
        }
    }
}

const MAPPED: &[i32] = &[
    4624, 4625, 4634, 4647, 4648, 4672, 4720, 4722, 4723, 4724, 4725, 4726, 4728, 4732, 4756, 4740,
    4768, 4771, 4776, 1102,
];

/// The columns the module's mapping table promises for the event IDs in the samples.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    user: Option<String>,
    user_domain: Option<String>,
    src_ip: Option<String>,
    src_host: Option<String>,
    dst_host: Option<String>,
    protocol: Option<String>,
    logon_type: Option<String>,
    activity: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
    is_privileged: Option<bool>,
}

/// Reasons of the codes that occur in the samples (Microsoft's 4625/4771/4776 tables).
fn code_reason(code: &str) -> String {
    match code.to_ascii_lowercase().as_str() {
        "0xc0000064" => "no such user",
        "0xc000006a" => "bad password",
        "0xc000006e" => "account restriction",
        "0x12" => "account disabled, expired or locked out",
        "0x18" => "bad password",
        "0x6" => "no such user",
        other => panic!("code {other} has no reason in the oracle"),
    }
    .to_owned()
}

fn oracle(src: &Source) -> Expected {
    let d = |k: &str| src.data.get(k).cloned();
    let s = |v: &str| Some(v.to_owned());
    let ip = d("IpAddress").map(|ip| ip.strip_prefix("::ffff:").map(str::to_owned).unwrap_or(ip));
    let logon_type = d("LogonType").map(|t| {
        match t.as_str() {
            "2" => "interactive",
            "3" => "network",
            "5" => "service",
            "8" => "network_cleartext",
            "9" => "new_credentials",
            "10" => "remote_interactive",
            other => panic!("logon type {other} not in the oracle"),
        }
        .to_owned()
    });
    let protocol = d("AuthenticationPackageName").map(|p| {
        match p.as_str() {
            "Kerberos" => "kerberos",
            "Negotiate" => "negotiate",
            "NTLM" | "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0" => "ntlm",
            other => panic!("package {other} not in the oracle"),
        }
        .to_owned()
    });
    let base = Expected {
        dst_host: src.computer.clone(),
        ..Expected::default()
    };
    match src.id {
        4624 | 4625 | 4634 => Expected {
            user: d("TargetUserName"),
            user_domain: d("TargetDomainName"),
            src_ip: ip,
            src_host: d("WorkstationName"),
            protocol,
            logon_type,
            activity: s(if src.id == 4634 { "logoff" } else { "logon" }),
            outcome: s(if src.id == 4625 { "failure" } else { "success" }),
            reason: (src.id == 4625).then(|| {
                let sub = d("SubStatus").filter(|c| c != "0x0");
                code_reason(&sub.or_else(|| d("Status")).expect("status"))
            }),
            ..base
        },
        4648 => {
            let server = d("TargetServerName").filter(|s| s != "localhost");
            Expected {
                user: d("TargetUserName"),
                user_domain: d("TargetDomainName"),
                src_ip: ip,
                src_host: server.as_ref().and(src.computer.clone()),
                dst_host: server.or(src.computer.clone()),
                activity: s("logon"),
                outcome: s("success"),
                reason: s("explicit credentials"),
                ..base
            }
        }
        4672 | 1102 => Expected {
            user: d("SubjectUserName"),
            user_domain: d("SubjectDomainName"),
            activity: s("privilege_use"),
            outcome: s("success"),
            reason: s(if src.id == 1102 {
                "audit log cleared"
            } else {
                "special privileges assigned"
            }),
            is_privileged: Some(true),
            ..base
        },
        4724 => Expected {
            user: d("TargetUserName"),
            user_domain: d("TargetDomainName"),
            activity: s("account_change"),
            outcome: s("success"),
            reason: s("password reset"),
            ..base
        },
        4768 | 4771 => {
            let status = d("Status").expect("Status");
            let failed = src.id == 4771 || status != "0x0";
            Expected {
                user: d("TargetUserName"),
                user_domain: d("TargetDomainName"),
                src_ip: ip,
                protocol: s("kerberos"),
                activity: s("logon"),
                outcome: s(if failed { "failure" } else { "success" }),
                reason: failed.then(|| code_reason(&status)),
                ..base
            }
        }
        4776 => {
            let status = d("Status").expect("Status");
            Expected {
                user: d("TargetUserName"),
                src_host: d("Workstation"),
                protocol: s("ntlm"),
                activity: s("logon"),
                outcome: s(if status == "0x0" {
                    "success"
                } else {
                    "failure"
                }),
                reason: (status != "0x0").then(|| code_reason(&status)),
                ..base
            }
        }
        other => panic!("event {other} not in the oracle"),
    }
}

fn actual(e: &AuthEvent<'_>) -> Expected {
    let o = |v: Option<&str>| v.map(str::to_owned);
    Expected {
        user: o(e.user),
        user_domain: o(e.user_domain),
        src_ip: o(e.src_ip),
        src_host: o(e.src_host),
        dst_host: o(e.dst_host),
        protocol: o(e.protocol),
        logon_type: o(e.logon_type),
        activity: o(e.activity),
        outcome: o(e.outcome),
        reason: o(e.reason),
        is_privileged: e.is_privileged,
    }
}

/// The event data keys that the module's table moves to columns, per event ID.
fn consumed(src: &Source) -> Vec<&'static str> {
    const LOGON: &[&str] = &[
        "TargetUserName",
        "TargetDomainName",
        "IpAddress",
        "WorkstationName",
        "LogonType",
        "AuthenticationPackageName",
    ];
    match src.id {
        4624 | 4625 | 4634 => LOGON.to_vec(),
        4648 => {
            let mut keys = vec!["TargetUserName", "TargetDomainName", "IpAddress"];
            if src
                .data
                .get("TargetServerName")
                .is_some_and(|s| s != "localhost")
            {
                keys.push("TargetServerName");
            }
            keys
        }
        4672 | 1102 => vec!["SubjectUserName", "SubjectDomainName"],
        4724 => vec!["TargetUserName", "TargetDomainName"],
        4768 | 4771 => vec!["TargetUserName", "TargetDomainName", "IpAddress"],
        4776 => vec!["TargetUserName", "Workstation"],
        other => panic!("event {other} not in the oracle"),
    }
}

/// Every event data field that is not a column is in `extra` (under its own name, or
/// `subject_user` / `subject_domain`), no column is repeated there, and `extra` holds
/// nothing else but NXLog's zone-less `EventTime`.
fn check_nothing_lost(src: &Source, e: &AuthEvent<'_>, line: &str) {
    let consumed = consumed(src);
    let renamed = |key: &str| match key {
        "SubjectUserName" => "subject_user".to_owned(),
        "SubjectDomainName" => "subject_domain".to_owned(),
        k => k.to_owned(),
    };
    for (key, value) in &src.data {
        let name = renamed(key);
        if consumed.contains(&key.as_str()) {
            assert!(
                !e.extra.iter().any(|(k, _)| *k == name),
                "{key} is a column and in extra: {line}"
            );
        } else {
            assert!(
                e.extra.iter().any(|(k, v)| *k == name && v == value),
                "{key}={value} lost: {e:?}"
            );
        }
    }
    for (key, value) in &e.extra {
        if *key == "EventTime" {
            continue;
        }
        let original = match *key {
            "subject_user" => "SubjectUserName",
            "subject_domain" => "SubjectDomainName",
            k => k,
        };
        assert_eq!(
            src.data.get(original).map(String::as_str),
            Some(*value),
            "extra {key}: {line}"
        );
    }
}

/// (file, [(event id, accepted, rejected)]) for the real JSON samples.
/// Accepted and rejected lines per event ID.
type IdCounts = &'static [(i32, usize, usize)];

const WINDOWS_JSON_SAMPLES: &[(&str, IdCounts)] = &[
    (
        "otrf-security-datasets/empire_shell_rubeus_asktgt_createnetonly.security_auth_events.jsonl",
        &[(4624, 10, 0), (4634, 7, 0), (4672, 7, 0), (4768, 1, 0)],
    ),
    (
        "otrf-security-datasets/purplesharp_ad_playbook_I.subset.jsonl",
        &[
            (4624, 5, 0),
            (4625, 7, 0),
            (4634, 3, 0),
            (4672, 3, 0),
            (4769, 0, 2),
            (4776, 7, 0),
        ],
    ),
    (
        "evtx-to-mitre-attack/TA0001-Initial_access__T1078-Valid_accounts__ID4625-failed_login_with_denied_access_due_to_account_restriction.jsonl",
        &[(4625, 2, 0)],
    ),
    (
        "evtx-to-mitre-attack/TA0003-Persistence__T1098.xxx-Account_manipulation__ID4724-5145-password_reset_with_setNTLM_(Mimikatz).jsonl",
        &[(4624, 5, 0), (4724, 1, 0), (4738, 0, 1), (5145, 0, 1)],
    ),
    (
        "evtx-to-mitre-attack/TA0004-Privilege_Escalation__T1134-Access_Token_Manipulation__ID4688_4648_4624-Runas_execution_with_different_user.jsonl",
        &[
            (1102, 1, 0),
            (4624, 2, 0),
            (4648, 1, 0),
            (4672, 1, 0),
            (4688, 0, 4),
        ],
    ),
    (
        "evtx-to-mitre-attack/TA0006-Credential_Access__T1110.xxx-Brut_force__ID4625-OpenSSH_brutforce_with_non_existing_users.jsonl",
        &[
            (1102, 1, 0),
            (4624, 1, 0),
            (4625, 5, 0),
            (4627, 0, 1),
            (4648, 1, 0),
            (4672, 1, 0),
            (4673, 0, 1),
            (4688, 0, 2),
            (4717, 0, 1),
            (4718, 0, 1),
            (4776, 5, 0),
        ],
    ),
    (
        "evtx-to-mitre-attack/TA0006-Credential_Access__T1110.xxx-Brut_force__ID4768-4771-Kerberos_user_enumeration_(Kerbrute).jsonl",
        &[(4768, 20, 0), (4771, 22, 0)],
    ),
    (
        "evtx-to-mitre-attack/TA0006-Credential_Access__T1110.xxx-Brut_force__ID_4776_4625-AccountRestore_local_bruteforce.jsonl",
        &[(4625, 16, 0)],
    ),
    (
        "evtx-to-mitre-attack/TA0006-Credential_Access__T1558-Steal_or_Forge_Kerberos_Tickets__ID4768-Kerberos_AS-REP_Roasting.jsonl",
        &[(4768, 1, 0)],
    ),
];

fn micros(stamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .expect(stamp)
        .timestamp_micros()
}

#[test]
fn windows_json_samples_match_the_oracle_field_by_field() {
    for (file, expected_counts) in WINDOWS_JSON_SAMPLES {
        let mut counts: BTreeMap<i32, (usize, usize)> = BTreeMap::new();
        for line in lines(file) {
            let src = source(line);
            assert!(windows::looks_like(line), "{file}: {line}");
            let parsed = windows::parse(line, arena());
            let entry = counts.entry(src.id).or_default();
            let e = match parsed {
                Ok(e) => {
                    entry.0 += 1;
                    e
                }
                Err(err) => {
                    entry.1 += 1;
                    assert!(!MAPPED.contains(&src.id), "{file}: {err}: {line}");
                    assert_eq!(err.to_string(), "windows: event id not mapped", "{file}");
                    continue;
                }
            };
            assert_eq!(e.event_code, Some(src.id), "{file}");
            assert_eq!(actual(&e), oracle(&src), "{file}: {line}");
            assert_eq!(e.time, src.time.as_deref().map(micros), "{file}: {line}");
            assert_eq!(extra(&e, "EventTime"), src.event_time.as_deref(), "{file}");
            assert_eq!(e.is_mfa, None);
            check_nothing_lost(&src, &e, line);
        }
        let expected: BTreeMap<i32, (usize, usize)> = expected_counts
            .iter()
            .map(|&(id, a, r)| (id, (a, r)))
            .collect();
        assert_eq!(counts, expected, "{file}");
    }
}

#[test]
fn windows_samples_pinned_lines() {
    // OpenSSH for Windows brute force: the first failed logon, every field.
    let line = lines(WINDOWS_JSON_SAMPLES[5].0)
        .into_iter()
        .find(|l| l.contains("\"EventID\":4625"))
        .unwrap();
    assert_eq!(
        windows::parse(line, arena()),
        Ok(AuthEvent {
            time: Some(1_621_514_992_315_789),
            user: Some("NOUSER"),
            user_domain: Some("FS01"),
            src_host: Some("FS01"),
            dst_host: Some("fs01.offsec.lan"),
            protocol: Some("negotiate"),
            logon_type: Some("network_cleartext"),
            activity: Some("logon"),
            outcome: Some("failure"),
            reason: Some("no such user"),
            event_code: Some(4625),
            extra: vec![
                ("SubjectUserSid", "S-1-5-18"),
                ("SubjectLogonId", "0x3e7"),
                ("TargetUserSid", "S-1-0-0"),
                ("FailureReason", "%%2313"),
                ("KeyLength", "0"),
                ("ProcessId", "0x16d8"),
                ("ProcessName", "C:\\Program Files\\OpenSSH-Win64\\sshd.exe"),
                ("subject_user", "FS01$"),
                ("subject_domain", "OFFSEC"),
                ("LogonProcessName", "Advapi"),
                ("Status", "0xc000006d"),
                ("SubStatus", "0xc0000064"),
            ],
            ..AuthEvent::default()
        })
    );

    // The Kerbrute enumeration, as the KDC answered it in this capture: TGT requests
    // refused as revoked (0x12), a few granted, and pre-authentication failures.
    let kerbrute = lines(WINDOWS_JSON_SAMPLES[6].0);
    let reasons: BTreeMap<String, usize> = kerbrute.iter().fold(BTreeMap::new(), |mut m, l| {
        let e = windows::parse(l, arena()).unwrap();
        *m.entry(format!(
            "{} {:?} {:?}",
            e.event_code.unwrap(),
            e.outcome,
            e.reason
        ))
        .or_default() += 1;
        m
    });
    assert_eq!(
        reasons,
        BTreeMap::from([
            (
                "4768 Some(\"failure\") Some(\"account disabled, expired or locked out\")"
                    .to_owned(),
                15
            ),
            ("4768 Some(\"success\") None".to_owned(), 5),
            (
                "4771 Some(\"failure\") Some(\"bad password\")".to_owned(),
                22
            ),
        ])
    );
}

#[test]
fn windows_xml_crowdsec_sample() {
    let dir = "crowdsec-hub/windows-logs";
    let lines = lines(&format!("{dir}/windows-logs.log"));
    let expected = crowdsec(
        &format!("{dir}/parser.assert"),
        "s02-enrich",
        "crowdsecurity/dateparse-enrich",
    );
    assert_eq!((lines.len(), expected.len()), (1, 1));
    let (success, fields) = &expected[&0];
    assert_eq!(*success, Some(true));
    assert!(windows::looks_like(lines[0]));
    let e = windows::parse(lines[0], arena()).unwrap();
    assert_eq!(
        e.event_code.map(|c| c.to_string()).as_deref(),
        Some(fields["Parsed.EventID"].as_str())
    );
    assert_eq!(e.dst_host, Some(fields["Parsed.Computer"].as_str()));
    assert_eq!(fields["Parsed.Channel"], "Security");
    assert_eq!(
        fields["Parsed.Source"],
        "Microsoft-Windows-Security-Auditing"
    );
    assert_eq!(e.time, Some(micros(&fields["Meta.timestamp"])));
    // Beyond what CrowdSec extracts: the event data of this 4625.
    assert_eq!(
        (e.user, e.user_domain),
        (Some("testuser@mydomain.test"), Some("EXCHANGE-1"))
    );
    assert_eq!(
        (e.activity, e.outcome, e.reason),
        (Some("logon"), Some("failure"), Some("no such user"))
    );
    assert_eq!(
        (e.logon_type, e.protocol, e.src_host),
        (
            Some("network_cleartext"),
            Some("negotiate"),
            Some("EXCHANGE-1")
        )
    );
    assert_eq!(extra(&e, "subject_user"), Some("EXCHANGE-1$"));
}

/// One expected row: (user, user_domain, src_ip, src_host, dst_host, protocol,
/// logon_type, activity, outcome, reason, event_code, is_privileged).
type Row<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    &'a str,
    Option<&'a str>,
    i32,
    Option<bool>,
);

fn row<'a>(e: &AuthEvent<'a>) -> Row<'a> {
    (
        e.user,
        e.user_domain,
        e.src_ip,
        e.src_host,
        e.dst_host,
        e.protocol,
        e.logon_type,
        e.activity.unwrap_or_default(),
        e.outcome.unwrap_or_default(),
        e.reason,
        e.event_code.unwrap_or_default(),
        e.is_privileged,
    )
}

#[test]
fn windows_vendor_reference_xml() {
    const DC: Option<&str> = Some("DC01.city.local");
    const PC: Option<&str> = Some("PC-0042.city.local");
    #[rustfmt::skip]
    let expected: [Result<Row, &str>; 14] = [
        Ok((Some("sato.hanako"), Some("CITY"), None, None, DC, None, None, "account_change", "success", Some("user created"), 4720, None)),
        Ok((Some("sato.hanako"), Some("CITY"), None, None, DC, None, None, "account_change", "success", Some("user enabled"), 4722, None)),
        Ok((Some("sato.hanako"), Some("CITY"), None, None, DC, None, None, "account_change", "failure", Some("password changed"), 4723, None)),
        Ok((Some("old.account"), Some("CITY"), None, None, DC, None, None, "account_change", "success", Some("user disabled"), 4725, None)),
        Ok((Some("old.account"), Some("CITY"), None, None, DC, None, None, "account_change", "success", Some("user deleted"), 4726, None)),
        Ok((Some("CN=Sato Hanako,OU=Staff,DC=city,DC=local"), None, None, None, DC, None, None, "account_change", "success", Some("member added to group"), 4728, Some(true))),
        Ok((Some("S-1-5-21-3457937927-2839227994-823803824-6605"), None, None, None, PC, None, None, "account_change", "success", Some("member added to group"), 4732, Some(true))),
        Ok((Some("CN=Suzuki Ichiro,OU=Staff,DC=city,DC=local"), None, None, None, DC, None, None, "account_change", "success", Some("member added to group"), 4756, None)),
        Ok((Some("tanaka"), None, None, Some("PC-0042"), DC, None, None, "lockout", "failure", Some("account locked out"), 4740, None)),
        Ok((Some("tanaka"), Some("CITY"), None, None, PC, None, None, "logoff", "success", None, 4647, None)),
        Ok((Some("suzuki & co"), Some("CITY"), Some("10.20.4.77"), Some("PC-0077"), DC, Some("ntlm"), Some("network"), "logon", "failure", Some("account locked out"), 4625, None)),
        Ok((Some("admin01"), Some("CITY"), None, None, DC, None, None, "privilege_use", "success", Some("audit log cleared"), 1102, Some(true))),
        Ok((Some("tanaka"), Some("CITY"), Some("10.20.4.5"), Some("PC-0042"), PC, Some("negotiate"), Some("remote_interactive"), "logon", "success", None, 4624, None)),
        Err("windows: not a Security channel event"),
    ];
    let lines = lines("vendor-reference/windows-security.xml.log");
    assert_eq!(lines.len(), expected.len());
    for (line, expected) in lines.iter().zip(expected) {
        assert!(windows::looks_like(line), "{line}");
        let parsed = windows::parse(line, arena());
        match expected {
            Ok(exp) => {
                let e = parsed.unwrap_or_else(|err| panic!("{err}: {line}"));
                assert_eq!(row(&e), exp, "{line}");
                assert_eq!(e.is_mfa, None);
                assert!(e.time.is_some());
            }
            Err(msg) => assert_eq!(err_text(&parsed), msg, "{line}"),
        }
    }
    // Extra fields, renamed where the module says so.
    let e = windows::parse(lines[0], arena()).unwrap();
    assert_eq!(e.time, Some(micros("2026-11-25T01:02:03.456789Z")));
    assert_eq!(e.extra, expected_4720_extra());
    let e = windows::parse(lines[5], arena()).unwrap();
    assert_eq!(
        (extra(&e, "group"), extra(&e, "group_domain")),
        (Some("Domain Admins"), Some("CITY"))
    );
    assert_eq!(
        extra(&e, "MemberSid"),
        Some("S-1-5-21-3457937927-2839227994-823803824-6605")
    );
    let e = windows::parse(lines[8], arena()).unwrap();
    assert_eq!(extra(&e, "subject_user"), Some("DC01$"));
    assert_eq!(extra(&e, "TargetDomainName"), None, "moved to src_host");
}

/// The 4720 sample's `extra`: event data in the order logged, then the slots that did
/// not become columns.
fn expected_4720_extra() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "SubjectUserSid",
            "S-1-5-21-3457937927-2839227994-823803824-1104",
        ),
        ("SubjectLogonId", "0xc88b2"),
        ("SamAccountName", "sato.hanako"),
        ("DisplayName", "%%1793"),
        ("UserPrincipalName", "sato.hanako@city.local"),
        ("UserAccountControl", "%%2080 %%2082 %%2084"),
        ("subject_user", "admin01"),
        ("subject_domain", "CITY"),
        ("TargetSid", "S-1-5-21-3457937927-2839227994-823803824-6605"),
    ]
}

#[test]
fn windows_vendor_reference_winlogbeat() {
    const DC: Option<&str> = Some("DC01.city.local");
    #[rustfmt::skip]
    let expected: [Result<Row, &str>; 9] = [
        Ok((Some("administrator"), None, Some("203.0.113.50"), Some("KALI"), DC, Some("ntlm"), Some("network"), "logon", "failure", Some("no such user"), 4625, None)),
        Ok((Some("田中"), Some("CITY"), Some("10.20.4.5"), None, DC, Some("kerberos"), Some("network"), "logon", "success", None, 4624, None)),
        Ok((Some("admin01"), Some("CITY"), None, None, DC, None, None, "privilege_use", "success", Some("special privileges assigned"), 4672, Some(true))),
        Ok((Some("tanaka"), None, None, Some("PC-0042"), DC, Some("ntlm"), None, "logon", "success", None, 4776, None)),
        Ok((Some("tanaka"), Some("CITY.LOCAL"), Some("10.20.4.5"), None, DC, Some("kerberos"), None, "logon", "success", None, 4768, None)),
        Ok((Some("suzuki"), None, None, Some("PC-0077"), DC, None, None, "lockout", "failure", Some("account locked out"), 4740, None)),
        Ok((Some("admin01"), Some("CITY"), None, None, DC, None, None, "privilege_use", "success", Some("audit log cleared"), 1102, Some(true))),
        Err("windows: event id not mapped"),
        Err("windows: not a Security channel event"),
    ];
    let lines = lines("vendor-reference/winlogbeat.jsonl");
    assert_eq!(lines.len(), expected.len());
    for (line, expected) in lines.iter().zip(expected) {
        assert!(windows::looks_like(line), "{line}");
        let parsed = windows::parse(line, arena());
        match expected {
            Ok(exp) => {
                let e = parsed.unwrap_or_else(|err| panic!("{err}: {line}"));
                assert_eq!(row(&e), exp, "{line}");
                let stamp = serde_json::from_str::<Value>(line).unwrap()["@timestamp"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(e.time, Some(micros(&stamp)));
            }
            Err(msg) => assert_eq!(err_text(&parsed), msg, "{line}"),
        }
    }
    let e = windows::parse(lines[2], arena()).unwrap();
    assert_eq!(
        extra(&e, "PrivilegeList"),
        Some("SeSecurityPrivilege\n\t\t\tSeBackupPrivilege")
    );
    let e = windows::parse(lines[0], arena()).unwrap();
    assert_eq!(extra(&e, "message"), None, "ECS fields stay in raw");
    assert_eq!(
        (extra(&e, "Status"), extra(&e, "SubStatus")),
        (Some("0xc000006d"), Some("0xc0000064"))
    );
}

// ---------------------------------------------------------------------------------------
// RADIUS

#[test]
fn radius_vendor_reference() {
    // (user, src_ip, src_host, dst_host, activity, outcome, reason, is_mfa)
    #[rustfmt::skip]
    type R = (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<&'static str>, &'static str, &'static str, Option<&'static str>, Option<bool>);
    #[rustfmt::skip]
    let expected: [Result<R, &str>; 18] = [
        Err("radius: not an Auth line"),
        Ok((Some("tanaka"), Some("203.0.113.7"), None, Some("vpn-gw"), "logon", "success", None, None)),
        Ok((Some("tanaka"), Some("203.0.113.7"), None, Some("vpn-gw"), "logon", "failure", Some("bad password"), None)),
        Ok((Some("ghost"), Some("198.51.100.23"), None, Some("vpn-gw"), "logon", "failure", Some("invalid user"), None)),
        Ok((Some("host/PC-0042.city.local"), None, Some("00-11-22-33-44-55"), Some("wlc01"), "logon", "success", None, None)),
        Ok((Some("host/PC-0042.city.local"), None, Some("00-11-22-33-44-55"), Some("wlc01"), "logon", "success", None, None)),
        Ok((Some("sato"), None, Some("AA-BB-CC-DD-EE-FF"), Some("wlc01"), "logon", "failure", Some("bad password"), None)),
        Ok((Some("suzuki"), Some("203.0.113.9"), None, Some("vpn-gw"), "mfa", "success", None, Some(true))),
        Ok((Some("suzuki"), Some("203.0.113.9"), None, Some("vpn-gw"), "mfa", "failure", Some("login incorrect"), Some(true))),
        Ok((Some("yamada@pref.lg.jp"), Some("2001:db8::50"), None, Some("vpn-gw"), "logon", "failure", Some("rejected by home server"), None)),
        Ok((Some("tanaka"), Some("203.0.113.7"), None, Some("vpn-gw"), "logon", "failure", Some("rejected in post-auth"), None)),
        Ok((Some("kato"), Some("203.0.113.11"), None, Some("sslvpn"), "mfa", "success", None, Some(true))),
        Err("radius: not an Auth line"),
        Ok((Some("tanaka"), None, None, Some("vpn-gw"), "logon", "failure", Some("login incorrect"), None)),
        Ok((Some("watanabe"), Some("10.20.9.9"), None, Some("nas01"), "logon", "failure", Some("too many sessions"), None)),
        Ok((Some("tanaka"), Some("203.0.113.7"), None, Some("vpn-gw"), "logon", "success", None, None)),
        Ok((Some("admin"), Some("198.51.100.99"), None, Some("vpn-gw"), "logon", "failure", Some("invalid user"), None)),
        Ok((Some("olduser"), Some("10.20.9.10"), None, Some("nas01"), "logon", "failure", Some("login incorrect"), None)),
    ];
    let lines = lines("vendor-reference/freeradius.log");
    assert_eq!(lines.len(), expected.len());
    for (line, expected) in lines.iter().zip(expected) {
        let parsed = radius::parse(line);
        match expected {
            Ok(exp) => {
                assert!(radius::looks_like(None, line), "{line}");
                let e = parsed.unwrap_or_else(|err| panic!("{err}: {line}"));
                let got = (
                    e.user,
                    e.src_ip,
                    e.src_host,
                    e.dst_host,
                    e.activity.unwrap(),
                    e.outcome.unwrap(),
                    e.reason,
                    e.is_mfa,
                );
                assert_eq!(got, exp, "{line}");
                assert_eq!(
                    (e.protocol, e.time, e.event_code, e.user_domain),
                    (Some("radius"), None, None, None)
                );
                // The logged passwords of these lines never reach a column or `extra`.
                for secret in ["Winter2026!", "guess1", "hunter2"] {
                    let values = [e.user, e.src_ip, e.src_host, e.dst_host, e.reason];
                    for v in values
                        .into_iter()
                        .flatten()
                        .chain(e.extra.iter().map(|(_, v)| *v))
                    {
                        assert!(!v.contains(secret), "{secret} kept from {line}");
                    }
                }
            }
            Err(msg) => assert_eq!(err_text(&parsed), msg, "{line}"),
        }
    }
    let e = radius::parse(lines[3]).unwrap();
    assert_eq!(
        e.extra,
        [
            ("request", "14"),
            ("module_message", "rlm_sql (sql): User not found"),
            ("nas_port", "0")
        ]
    );
    let e = radius::parse(lines[4]).unwrap();
    assert_eq!(extra(&e, "via"), Some("TLS tunnel"));
    let e = radius::parse(lines[11]).unwrap();
    assert_eq!(extra(&e, "message"), Some("MFA OK"));
}

// ---------------------------------------------------------------------------------------
// OpenVPN

#[test]
fn openvpn_crowdsec_parser_assert() {
    let dir = "crowdsec-hub/openvpn";
    let lines = lines(&format!("{dir}/openvpn.log"));
    let expected = crowdsec(
        &format!("{dir}/parser.assert"),
        "s01-parse",
        "pserranoa/openvpn",
    );
    assert_eq!(expected.len(), lines.len());
    // sanso's verdict where it differs from CrowdSec's `Success` (which marks only the
    // failures its scenario counts): connections it records as successful logons, and
    // the `OpenSSL:` detail of a failure that other lines already record.
    let differs: BTreeMap<usize, &str> = BTreeMap::from([
        (3, "peer connection initiated"),
        (6, "peer connection initiated"),
        (9, "peer connection initiated"),
        (12, "peer connection initiated"),
        (14, "rejected"),
        (19, "peer connection initiated"),
        (22, "peer connection initiated"),
    ]);
    for (i, line) in lines.iter().enumerate() {
        let parsed = openvpn::parse(line);
        let (success, fields) = &expected[&i];
        match differs.get(&i) {
            Some(&"rejected") => {
                assert_eq!(*success, Some(true));
                assert_eq!(
                    err_text(&parsed),
                    "openvpn: TLS error detail (the failure is recorded by `TLS handshake failed`)"
                );
                continue;
            }
            Some(reason) => {
                assert_eq!(*success, Some(false));
                let e = parsed.unwrap();
                assert_eq!(
                    (e.outcome, e.reason),
                    (Some("success"), Some(*reason)),
                    "{line}"
                );
                continue;
            }
            None => {}
        }
        assert_eq!(Some(parsed.is_ok()), *success, "line {i}: {parsed:?}");
        let Ok(e) = parsed else { continue };
        assert!(openvpn::looks_like(None, line), "{line}");
        assert_eq!(fields["Meta.log_type"], "auth_failed");
        assert_eq!(
            (e.outcome, e.activity, e.protocol),
            (Some("failure"), Some("logon"), Some("vpn")),
            "{line}"
        );
        assert_eq!(
            e.src_ip,
            Some(fields["Parsed.source_ip"].as_str()),
            "{line}"
        );
        let port = fields
            .get("Parsed.sport")
            .or_else(|| fields.get("Parsed.source_port"))
            .unwrap();
        assert_eq!(extra(&e, "src_port"), Some(port.as_str()), "{line}");
        if let Some(client) = fields.get("Parsed.client") {
            assert_eq!(e.user, Some(client.as_str()), "{line}");
        }
    }
    let reasons: Vec<_> = lines
        .iter()
        .filter_map(|l| openvpn::parse(l).ok())
        .map(|e| e.reason.unwrap_or_default())
        .collect();
    assert_eq!(
        reasons,
        [
            "peer connection initiated",
            "tls-crypt unwrapping failed",
            "peer connection initiated",
            "packet authentication failed",
            "peer connection initiated",
            "tls handshake failed",
            "peer connection initiated",
            "certificate verification failed",
            "certificate verification failed",
            "auth failed",
            "peer connection initiated",
            "packet authentication failed",
            "peer connection initiated",
        ]
    );
    // The certificate's CN names the user of a failed verification.
    assert_eq!(
        openvpn::parse(lines[13]).unwrap().user,
        Some("malicious-client")
    );
    // `192.168.1.34:56312/client3`: the name after the peer is the common name.
    assert_eq!(openvpn::parse(lines[22]).unwrap().user, Some("client3"));
}

#[test]
fn openvpn_vendor_reference() {
    // (user, src_ip, activity, outcome, reason, logon_type)
    #[rustfmt::skip]
    type R = (Option<&'static str>, Option<&'static str>, &'static str, &'static str, Option<&'static str>, Option<&'static str>);
    let no = "openvpn: OpenVPN message that records no authentication outcome";
    let detail = "openvpn: TLS error detail (the failure is recorded by `TLS handshake failed`)";
    let tanaka = (Some("tanaka"), Some("203.0.113.7"));
    #[rustfmt::skip]
    let expected: [Result<R, &str>; 25] = [
        Err(no),
        Err("openvpn: certificate chain step (CA certificate)"),
        Ok((tanaka.0, tanaka.1, "logon", "success", Some("certificate verified"), Some("certificate"))),
        Ok((tanaka.0, tanaka.1, "logon", "success", None, Some("password"))),
        Ok((tanaka.0, tanaka.1, "logon", "success", Some("peer connection initiated"), None)),
        Ok((tanaka.0, tanaka.1, "logon", "success", Some("address assigned"), None)),
        Err(no),
        Ok((tanaka.0, tanaka.1, "logon", "success", Some("address assigned"), None)),
        Ok((tanaka.0, tanaka.1, "logoff", "success", Some("client exit"), None)),
        Ok((Some("sato"), Some("198.51.100.23"), "logon", "success", Some("certificate verified"), Some("certificate"))),
        Ok((None, Some("198.51.100.23"), "logon", "failure", Some("plugin authentication failed"), None)),
        Ok((None, Some("198.51.100.23"), "logon", "failure", Some("plugin authentication failed"), None)),
        Ok((None, Some("198.51.100.23"), "logon", "failure", Some("password verification failed"), None)),
        Ok((Some("sato"), Some("198.51.100.23"), "logon", "failure", Some("auth failed"), None)),
        Ok((Some("sato"), None, "logon", "failure", Some("pam authentication failure"), None)),
        Ok((Some("suzuki"), Some("198.51.100.99"), "logon", "failure", Some("certificate verification failed"), Some("certificate"))),
        Err(detail),
        Err(detail),
        Err(detail),
        Ok((None, Some("198.51.100.99"), "logon", "failure", Some("tls handshake failed"), None)),
        Ok((None, Some("198.51.100.98"), "logon", "failure", Some("certificate revoked"), Some("certificate"))),
        Ok((None, Some("198.51.100.97"), "logon", "failure", Some("tls negotiation timeout"), None)),
        Ok((Some("kato"), Some("2001:db8::77"), "logoff", "success", Some("inactivity timeout"), None)),
        Ok((Some("kato"), Some("2001:db8::77"), "logoff", "success", Some("inactivity timeout"), None)),
        Ok((None, Some("198.51.100.96"), "logon", "failure", Some("password verification failed"), None)),
    ];
    let lines = lines("vendor-reference/openvpn-server.log");
    assert_eq!(lines.len(), expected.len());
    for (line, expected) in lines.iter().zip(expected) {
        assert!(openvpn::looks_like(None, line), "{line}");
        let parsed = openvpn::parse(line);
        match expected {
            Ok(exp) => {
                let e = parsed.unwrap_or_else(|err| panic!("{err}: {line}"));
                let got = (
                    e.user,
                    e.src_ip,
                    e.activity.unwrap(),
                    e.outcome.unwrap(),
                    e.reason,
                    e.logon_type,
                );
                assert_eq!(got, exp, "{line}");
                assert_eq!(
                    (e.protocol, e.time, e.dst_host, e.is_mfa),
                    (Some("vpn"), None, None, None)
                );
            }
            Err(msg) => assert_eq!(err_text(&parsed), msg, "{line}"),
        }
    }
    let e = openvpn::parse(lines[5]).unwrap();
    assert_eq!(
        e.extra,
        [("src_port", "51234"), ("assigned_ip", "10.8.0.6")]
    );
    let e = openvpn::parse(lines[15]).unwrap();
    assert_eq!(
        e.extra,
        [
            ("src_port", "50000"),
            ("depth", "0"),
            ("verify_error", "certificate has expired")
        ]
    );
    let e = openvpn::parse(lines[23]).unwrap();
    assert_eq!(e.extra, [("src_port", "50003"), ("signal", "SIGUSR1")]);
}

#[test]
fn openvpn_sshguard_labels() {
    // SSHGuard's OpenVPN section: (line, expected `service ip family dangerousness`, `M`).
    let text = std::fs::read_to_string(testdata().join("auth/sshguard/tests.txt")).unwrap();
    let section = text
        .split("#### OpenVPN {{{")
        .nth(1)
        .unwrap()
        .split("# }}}")
        .next()
        .unwrap();
    let ctx = sanso_ingest::syslog::TimeContext::new(chrono_tz::Asia::Tokyo, 1_763_600_000_000_000);
    let mut checked = 0;
    let lines: Vec<&str> = section.lines().filter(|l| !l.trim().is_empty()).collect();
    for triplet in lines.chunks(3) {
        let [line, label, "M"] = triplet else {
            continue;
        };
        let mut label = label.split(' ');
        let (service, ip) = (label.next().unwrap(), label.next().unwrap());
        let m = sanso_ingest::syslog::parse(line, &ctx).unwrap();
        if service == "400" {
            assert!(openvpn::looks_like(m.app_name, m.msg), "{line}");
            let e = openvpn::parse(m.msg).unwrap();
            assert_eq!(
                (e.src_ip, e.outcome, e.reason),
                (Some(ip), Some("failure"), Some("tls handshake failed"))
            );
            checked += 1;
        } else {
            // 410, OpenVPN port-share through another program's log wrapper: a redirected
            // non-VPN connection, not an authentication; not this parser's line.
            assert_eq!(service, "410");
            assert!(!openvpn::looks_like(m.app_name, m.msg), "{line}");
        }
    }
    assert_eq!(checked, 2);
}

// ---------------------------------------------------------------------------------------
// Automatic detection through the whole line parser

/// Parses one line with automatic detection and returns (table, format or format
/// guess, error).
fn route(line: &str) -> (Table, Option<String>, Option<String>) {
    let zones = Arc::new(ZoneMap::default());
    let mut parser = LineParser::new(ParseSettings::default(), zones.clone());
    let mut batches = Batches::new(zones);
    let raw = RawLine {
        bytes: line.as_bytes(),
        received_at: 1_763_600_000_000_000,
        source: "test",
        peer: Some("10.20.9.9"),
    };
    parser.parse_into(&raw, &mut batches);
    let out = batches.finish();
    assert_eq!(out.len(), 1, "one row per line: {line}");
    let (table, batch) = &out[0];
    assert_eq!(batch.num_rows(), 1);
    let (format, error) = if *table == Table::Unparsed {
        (string(batch, "format_guess"), string(batch, "error"))
    } else {
        (string(batch, "format"), None)
    };
    (*table, format, error)
}

fn string(batch: &RecordBatch, name: &str) -> Option<String> {
    let array = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    if array.is_null(0) {
        return None;
    }
    Some(match array.data_type() {
        arrow::datatypes::DataType::Dictionary(..) => {
            let dict = array.as_dictionary::<Int32Type>();
            dict.values()
                .as_string::<i32>()
                .value(dict.keys().value(0) as usize)
                .to_owned()
        }
        _ => array.as_string::<i32>().value(0).to_owned(),
    })
}

/// Each line lands in `auth` with `format`, or in `unparsed` with `format` as the
/// guess and the parser's own reason: no other parser claims it.
fn assert_routed(format: &str, line: &str, parsed: Result<(), String>) {
    let (table, name, error) = route(line);
    match parsed {
        Ok(()) => assert_eq!(
            (table, name.as_deref()),
            (Table::Auth, Some(format)),
            "{line}"
        ),
        Err(err) => {
            assert_eq!(
                (table, name.as_deref()),
                (Table::Unparsed, Some(format)),
                "{line}"
            );
            assert_eq!(error.as_deref(), Some(err.as_str()), "{line}");
        }
    }
}

#[test]
fn samples_are_detected_and_routed_to_these_parsers() {
    let mut windows_lines: Vec<&str> = WINDOWS_JSON_SAMPLES
        .iter()
        .flat_map(|(f, _)| lines(f))
        .collect();
    windows_lines.extend(lines("crowdsec-hub/windows-logs/windows-logs.log"));
    windows_lines.extend(lines("vendor-reference/windows-security.xml.log"));
    windows_lines.extend(lines("vendor-reference/winlogbeat.jsonl"));
    for line in &windows_lines {
        let parsed = windows::parse(line, arena())
            .map(|_| ())
            .map_err(|e| e.to_string());
        assert_routed("windows", line, parsed);
    }
    // Through syslog, as NXLog's `om_tcp` with `to_syslog_bsd()` sends them.
    let wrapped = format!(
        "<13>Nov 25 10:00:00 dc01 MSWinEventLog: {}",
        windows_lines[0]
    );
    assert_routed("windows", &wrapped, Ok(()));

    // FreeRADIUS: the file lines, and the syslog form.
    for line in lines("vendor-reference/freeradius.log") {
        let parsed = radius::parse(line).map(|_| ()).map_err(|e| e.to_string());
        assert_routed("radius", line, parsed);
    }
    let syslog = "<38>Nov 25 10:00:12 radius01 radiusd[812]: (12) Login OK: [tanaka] (from client vpn-gw port 0 cli 203.0.113.7)";
    assert_routed("radius", syslog, Ok(()));

    // OpenVPN through syslog (its default when run as a service). A `--log` file line
    // starts with a date that the syslog reader takes for a header, which moves the peer
    // into the host name; see the reply notes.
    let mut openvpn_lines = lines("vendor-reference/openvpn-server.log");
    openvpn_lines.extend(lines("crowdsec-hub/openvpn/openvpn.log"));
    for line in openvpn_lines {
        let msg = &line[20..];
        let wrapped = format!("<29>Nov 25 10:10:00 vpn-gw openvpn[812]: {msg}");
        let parsed = openvpn::parse(msg).map(|_| ()).map_err(|e| e.to_string());
        assert_routed("openvpn", &wrapped, parsed);
    }
}

/// Every sample file under `testdata/` that is not one of these parsers'.
fn other_samples() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&testdata(), &mut files);
    let mine = [
        "otrf-security-datasets",
        "evtx-to-mitre-attack",
        "vendor-reference",
        "crowdsec-hub/openvpn",
        "crowdsec-hub/windows-logs",
    ];
    files.retain(|p| {
        let relative = p
            .strip_prefix(testdata())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let sample = !relative.ends_with(".md")
            && !relative.contains("LICENSE")
            && !relative.ends_with(".assert")
            && !relative.ends_with(".yaml");
        sample
            && !mine
                .iter()
                .any(|m| relative.starts_with(&format!("auth/{m}/")))
    });
    files.sort();
    files
}

#[test]
fn looks_like_does_not_claim_other_formats_samples() {
    let ctx = sanso_ingest::syslog::TimeContext::new(chrono_tz::Asia::Tokyo, 1_763_600_000_000_000);
    let mut checked = 0;
    for path in other_samples() {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let mut section = "";
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // SSHGuard's corpus has an OpenVPN section of its own: checked positively in
            // `openvpn_sshguard_labels`.
            if let Some(title) = line.strip_prefix("#### ") {
                section = title;
            }
            if section.starts_with("OpenVPN") && path.ends_with("sshguard/tests.txt") {
                continue;
            }
            let envelope = sanso_ingest::syslog::parse(line, &ctx).ok();
            let (app, msg) = envelope
                .as_ref()
                .map_or((None, line), |m| (m.app_name, m.msg));
            for (app, msg) in [(None, line), (app, msg)] {
                let name = path.display();
                assert!(!windows::looks_like(msg), "windows claims {name}: {msg}");
                assert!(!radius::looks_like(app, msg), "radius claims {name}: {msg}");
                assert!(
                    !openvpn::looks_like(app, msg),
                    "openvpn claims {name}: {msg}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} lines of other formats found");
}

// ---------------------------------------------------------------------------------------
// Properties

/// Whether `part` lies inside `whole` (a borrowed slice, not a copy).
fn within(part: &str, whole: &str) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let arena = Bump::new();
        let _ = windows::looks_like(&text);
        let _ = windows::parse(&text, &arena);
        for app in [None, Some("radiusd"), Some("openvpn")] {
            let _ = radius::looks_like(app, &text);
            let _ = radius::parse(&text);
            let _ = openvpn::looks_like(app, &text);
            let _ = openvpn::parse(&text);
        }
    }

    #[test]
    fn radius_and_openvpn_values_borrow_from_the_line(
        user in "[a-zA-Z0-9@./_-]{0,12}",
        cli in "(203\\.0\\.113\\.[0-9]{1,3}|[0-9A-F]{2}(-[0-9A-F]{2}){5}|)",
        client in "[a-z0-9-]{1,8}",
        tail in "( via TLS tunnel)?\\)( [A-Za-z ]{0,10})?",
    ) {
        let cli_part = if cli.is_empty() { String::new() } else { format!(" cli {cli}") };
        let line = format!("(7) Login OK: [{user}] (from client {client} port 0{cli_part}{tail}");
        let e = radius::parse(&line).unwrap();
        for v in [e.user, e.src_ip, e.src_host, e.dst_host].into_iter().flatten().chain(e.extra.iter().map(|(_, v)| *v)) {
            prop_assert!(within(v, &line), "{v} not borrowed from {line}");
        }
        prop_assert!(e.src_ip.is_none_or(|ip| ip.parse::<IpAddr>().is_ok()));

        let vpn = format!("{user}/{cli}:1194 TLS: Username/Password authentication succeeded for username '{user}'");
        if let Ok(e) = openvpn::parse(&vpn) {
            for v in [e.user, e.src_ip].into_iter().flatten().chain(e.extra.iter().map(|(_, v)| *v)) {
                prop_assert!(within(v, &vpn), "{v} not borrowed from {vpn}");
            }
        }
    }

    #[test]
    fn windows_values_borrow_unless_unescaped(
        user in "[a-zA-Z0-9 ._-]{1,12}",
        escaped in any::<bool>(),
        ip in "(10\\.20\\.[0-9]{1,3}\\.[0-9]{1,3}|-|::1)",
    ) {
        let name = if escaped { format!("{user}\\\\x") } else { user.clone() };
        let line = format!(
            r#"{{"EventID":4624,"Channel":"Security","Hostname":"dc01","TargetUserName":"{name}","IpAddress":"{ip}","LogonType":"3"}}"#
        );
        let arena = Bump::new();
        let e = windows::parse(&line, &arena).unwrap();
        let expected_user = if escaped { format!("{user}\\x") } else { user.clone() };
        let expected_user = expected_user.trim();
        prop_assert_eq!(e.user, Some(expected_user).filter(|u| !u.is_empty() && *u != "-"));
        if let Some(u) = e.user {
            prop_assert_eq!(within(u, &line), !escaped);
        }
        for v in [e.src_ip, e.dst_host].into_iter().flatten().chain(e.extra.iter().map(|(_, v)| *v)) {
            prop_assert!(within(v, &line));
        }
    }
}
