//! Incident records, evidence export and retention with legal holds, through the real
//! binary: the CLI on an imported lake, and the HTTP API of a running `sanso run`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use support::{Server, TOKEN, sanso, sanso_ok, sql_rows, wait_until};

fn rules_dir() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rules")
}

/// The embedded example configuration with the test rules switched on, in place of any
/// built-in rules, so that the alerts are exactly the test rules'.
fn config_with_rules(dir: &Path) -> PathBuf {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/default-config.toml"
    ))
    .unwrap();
    let rules = format!("rules = \"{}\"\n", rules_dir());
    let config = if example.contains("\n[detection]\n") {
        example
            .replace("\n[detection]\n", &format!("\n[detection]\n{rules}"))
            .replace("builtin = true", "builtin = false")
    } else {
        format!("{example}\n[detection]\n{rules}")
    };
    let path = dir.join("sanso.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Twelve failed SSH logons from `ip` on `day` (RFC 5424, so the year is explicit); the
/// third names a user in bytes that are not UTF-8, as a hostile client may send.
fn failures(day: &str, ip: &str) -> Vec<Vec<u8>> {
    (0..12)
        .map(|i| {
            let user: &[u8] = if i == 2 { b"\xff\xfeadm" } else { b"root" };
            let mut line = format!(
                "<38>1 {day}T09:00:{i:02}+09:00 srv-core01 sshd 11 - - Failed password for "
            )
            .into_bytes();
            line.extend_from_slice(user);
            line.extend_from_slice(format!(" from {ip} port {} ssh2", 40000 + i).as_bytes());
            line
        })
        .collect()
}

/// Runs `sanso` and returns its failure message, insisting that it failed.
fn sanso_err(args: &[&str]) -> String {
    let output = sanso().args(args).output().unwrap();
    assert!(!output.status.success(), "sanso {args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn alert_of(data: &Path, ip: &str) -> String {
    let rows = sql_rows(
        data,
        &format!(
            "SELECT alert_id FROM alerts WHERE rule_id = 'TEST-BRUTE-FORCE' AND group_key = '{ip}'"
        ),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn an_incident_runs_its_lifecycle_from_the_cli_exports_verifiable_evidence_and_holds_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_rules(dir.path());
    let data = dir.path().join("lake");
    let (config, d) = (config.to_str().unwrap(), data.to_str().unwrap());

    // Two attacks, a day apart and long expired under the default 13 months.
    let held = failures("2024-03-01", "10.20.1.5");
    let unheld = failures("2024-03-02", "10.20.1.9");
    let log = dir.path().join("auth.log");
    let mut bytes = Vec::new();
    for line in held.iter().chain(&unheld) {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    std::fs::write(&log, &bytes).unwrap();
    sanso_ok(&[
        "--config",
        config,
        "--data",
        d,
        "import",
        "--zone",
        "core",
        log.to_str().unwrap(),
    ]);
    let alert = alert_of(&data, "10.20.1.5");
    alert_of(&data, "10.20.1.9");

    // 認知: open from the alert; an alert the lake does not hold is refused.
    let err = sanso_err(&[
        "--data",
        d,
        "incident",
        "open",
        "--title",
        "x",
        "--severity",
        "high",
        "--alert",
        "0000000000000000",
        "--by",
        "tanaka",
    ]);
    assert!(err.contains("no alert 0000000000000000"), "{err}");
    let opened = sanso_ok(&[
        "--data",
        d,
        "incident",
        "open",
        "--title",
        "Password guessing on srv-core01",
        "--severity",
        "high",
        "--alert",
        &alert,
        "--by",
        "tanaka",
        "--at",
        "2024-03-01T09:05:00+09:00",
        "--note",
        "seen on the dashboard",
    ]);
    let id = String::from_utf8(opened.stdout).unwrap().trim().to_owned();
    assert_eq!(id, "INC-2024-0001");

    // Steps cannot be skipped; 報告, a report to the police, then 封じ込め.
    let err = sanso_err(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--state",
        "contained",
        "--by",
        "suzuki",
    ]);
    assert!(err.contains("cannot move to 封じ込め (contained)"), "{err}");
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--state",
        "報告",
        "--by",
        "suzuki",
        "--at",
        "2024-03-01T09:35:00+09:00",
    ]);
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--reported-to",
        "police",
        "--by",
        "suzuki",
        "--note",
        "相談受理番号 123",
    ]);
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--state",
        "contained",
        "--by",
        "sato",
        "--at",
        "2024-03-01T11:05:00+09:00",
    ]);
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "hold",
        &id,
        "--by",
        "legal",
        "--note",
        "police request",
    ]);
    assert_eq!(
        sql_rows(
            &data,
            "SELECT id, severity, state, state_ja, seconds_to_report, seconds_to_contain, \
             array_to_string(alert_ids, ';'), array_to_string(reported_outside, ';'), on_hold \
             FROM incidents"
        ),
        [format!(
            "{id},high,contained,封じ込め,1800,7200,{alert},police,true"
        )]
    );
    assert_eq!(
        sql_rows(
            &data,
            "SELECT seq, kind, state, by FROM incident_events ORDER BY seq"
        ),
        [
            "1,opened,detected,tanaka",
            "2,updated,reported,suzuki",
            "3,updated,,suzuki",
            "4,updated,contained,sato",
            "5,held,,legal",
        ]
    );

    // Evidence: every file's hash recomputed here, and by sha256sum as the manifest says.
    let out = dir.path().join("evidence");
    sanso_ok(&[
        "--data",
        d,
        "evidence",
        "--incident",
        &id,
        "--out",
        out.to_str().unwrap(),
    ]);
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let mut listed: Vec<&str> = Vec::new();
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        assert_eq!(
            sha256_hex(&std::fs::read(out.join(name)).unwrap()),
            hash,
            "{name}"
        );
        listed.push(name);
    }
    listed.sort();
    assert_eq!(
        listed,
        [
            "alerts.json",
            "alerts.parquet",
            "incident.json",
            "manifest.json",
            "raw/auth.log",
            "rows/auth.parquet"
        ]
    );
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // The alert's window holds its first ten events: exported byte for byte, the line
    // that is not UTF-8 included, and none of the other attack's.
    let mut expected = Vec::new();
    for line in &held[..10] {
        expected.extend_from_slice(line);
        expected.push(b'\n');
    }
    assert_eq!(std::fs::read(out.join("raw/auth.log")).unwrap(), expected);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["selections"][0]["rows"], 10);
    assert!(
        manifest["selections"][0]["sql"]
            .as_str()
            .unwrap()
            .starts_with("SELECT * FROM auth WHERE")
    );
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("incident.json")).unwrap()).unwrap();
    assert_eq!(record["history"].as_array().unwrap().len(), 5);
    // An altered file no longer verifies.
    std::fs::write(out.join("raw/auth.log"), b"nothing happened\n").unwrap();
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(!check.status.success());
    assert!(
        sanso_err(&[
            "--data",
            d,
            "evidence",
            "--incident",
            &id,
            "--out",
            out.to_str().unwrap()
        ])
        .contains("is not empty")
    );

    // Retention: the dry run deletes nothing; the real run spares the held day.
    let count = |ip: &str| {
        sql_rows(
            &data,
            &format!("SELECT count(*) FROM auth WHERE src_ip = '{ip}'"),
        )[0]
        .clone()
    };
    let dry = sanso_ok(&["--data", d, "retention", "--dry-run"]);
    let dry = String::from_utf8(dry.stdout).unwrap();
    assert!(
        dry.contains("would delete auth/date=2024-03-02/zone=core"),
        "{dry}"
    );
    assert!(
        dry.contains(&format!(
            "kept auth/date=2024-03-01/zone=core (legal hold: {id})"
        )),
        "{dry}"
    );
    assert_eq!(count("10.20.1.9"), "12");
    sanso_ok(&["--data", d, "retention"]);
    assert_eq!(
        (count("10.20.1.5").as_str(), count("10.20.1.9").as_str()),
        ("12", "0")
    );
    assert_eq!(
        sql_rows(&data, "SELECT DISTINCT date FROM alerts"),
        ["2024-03-01"]
    );
    // Released, the held day goes too.
    sanso_ok(&["--data", d, "incident", "release", &id, "--by", "legal"]);
    sanso_ok(&["--data", d, "retention"]);
    assert_eq!(count("10.20.1.5"), "0");

    // 終結, then the record shows the whole lifecycle.
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--state",
        "closed",
        "--by",
        "sato",
        "--at",
        "2024-03-02T09:05:00+09:00",
        "--note",
        "password changed, source blocked",
    ]);
    let shown =
        String::from_utf8(sanso_ok(&["--data", d, "incident", "show", &id]).stdout).unwrap();
    for part in [
        "終結 (closed)",
        "+24h00m",
        "reported to police",
        "legal hold  no",
        "password changed",
    ] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    sanso_ok(&["--data", d, "incident", "verify"]);

    // Rewriting history is detected, and nothing more is written on top of it.
    let log = data.join("_sanso/incidents/events.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(
        &log,
        text.replacen("\"severity\":\"high\"", "\"severity\":\"low\"", 1),
    )
    .unwrap();
    for args in [
        &["--data", d, "incident", "verify"][..],
        &["--data", d, "incident", "list"],
        &[
            "--data", d, "incident", "update", &id, "--note", "x", "--by", "eve",
        ],
    ] {
        let err = sanso_err(args);
        assert!(err.contains("was altered at line 1"), "{args:?}: {err}");
    }
}

fn post(server: &Server, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, body) = server.http_post(path, Some(TOKEN), &body.to_string());
    (status, serde_json::from_slice(&body).unwrap())
}

/// A GET with an optional bearer token; status and JSON body.
fn get(server: &Server, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.http_port)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: localhost\r\n{auth}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (
        head[9..12].parse().unwrap(),
        serde_json::from_str(body).unwrap(),
    )
}

#[test]
fn the_http_api_runs_the_lifecycle_behind_the_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    // An expired partition, which `sanso run` deletes when it starts and hourly after.
    let expired = dir.path().join("lake/unparsed/date=2020-01-01/zone=core");
    std::fs::create_dir_all(&expired).unwrap();
    let server = Server::start(dir.path(), "");
    // The alerts come from an import into the server's lake, which its queries see.
    let config = config_with_rules(dir.path());
    let log = dir.path().join("auth.log");
    let mut bytes = Vec::new();
    for line in failures("2026-11-20", "10.20.1.7") {
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
    }
    std::fs::write(&log, &bytes).unwrap();
    sanso_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--data",
        server.data.to_str().unwrap(),
        "import",
        "--zone",
        "core",
        log.to_str().unwrap(),
    ]);
    let alerts = serde_json::json!({
        "sql": "SELECT alert_id FROM alerts WHERE rule_id = 'TEST-BRUTE-FORCE'",
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let alert = loop {
        let (status, rows) = post(&server, "/api/sql", alerts.clone());
        assert_eq!(status, 200, "{rows}");
        if let Some(id) = rows[0]["alert_id"].as_str() {
            break id.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the alert never became visible"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };

    let open = serde_json::json!({
        "title": "Password guessing from lgwan", "severity": "critical",
        "alerts": [alert], "by": "tanaka", "at": "2026-11-20T09:10:00+09:00",
    });
    // Without a token, or with a wrong one, nothing is read or written.
    for token in [None, Some("wrong")] {
        let (status, _) = server.http_post("/api/incidents", token, &open.to_string());
        assert_eq!(status, 401);
    }
    let (status, _) = post(
        &server,
        "/api/incidents",
        serde_json::json!({
            "title": "x", "severity": "high", "alerts": ["0000000000000000"], "by": "tanaka",
        }),
    );
    assert_eq!(status, 400);
    let (status, incident) = post(&server, "/api/incidents", open);
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let events = format!("/api/incidents/{id}/events");

    let (status, refused) = post(
        &server,
        &events,
        serde_json::json!({"state": "closed", "by": "x", "at": "2026-11-20T08:00:00+09:00"}),
    );
    assert_eq!(status, 409, "{refused}");
    for (step, at) in [("reported", "09:40"), ("contained", "10:10")] {
        let (status, body) = post(
            &server,
            &events,
            serde_json::json!({
                "state": step, "by": "suzuki", "at": format!("2026-11-20T{at}:00+09:00"),
                "reported_to": ["prefecture"],
            }),
        );
        assert_eq!(
            (status, body["stage"].as_str()),
            (200, Some(step)),
            "{body}"
        );
    }
    let (status, _) = post(
        &server,
        &format!("/api/incidents/{id}/hold"),
        serde_json::json!({"by": "legal"}),
    );
    assert_eq!(status, 200);
    let (status, _) = post(
        &server,
        &format!("/api/incidents/{id}/hold"),
        serde_json::json!({"by": "legal"}),
    );
    assert_eq!(status, 409);
    let (status, body) = post(
        &server,
        &events,
        serde_json::json!({"state": "closed", "by": "sato", "at": "2026-11-20T12:10:00+09:00"}),
    );
    assert_eq!(status, 200, "{body}");

    let path = format!("/api/incidents/{id}");
    let (status, _) = get(&server, &path, None);
    assert_eq!(status, 401, "reading needs the token too");
    let (status, shown) = get(&server, &path, Some(TOKEN));
    assert_eq!(status, 200);
    assert_eq!(shown["incident"]["reported_outside"][0][0], "prefecture");
    assert_eq!(shown["history"].as_array().unwrap().len(), 5);
    let (status, all) = get(&server, "/api/incidents", Some(TOKEN));
    assert_eq!((status, all[0]["id"].as_str()), (200, Some(id.as_str())));
    let (status, rows) = post(
        &server,
        "/api/sql",
        serde_json::json!({
            "sql": "SELECT state, seconds_to_report, seconds_to_contain, seconds_to_close, on_hold FROM incidents",
        }),
    );
    assert_eq!(status, 200);
    assert_eq!(
        rows,
        serde_json::json!([{"state": "closed", "seconds_to_report": 1800, "seconds_to_contain": 3600,
            "seconds_to_close": 10800, "on_hold": true}])
    );
    let metrics = server.http_get("/metrics").unwrap();
    assert!(
        metrics.contains("sanso_incidents{severity=\"critical\",state=\"closed\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sanso_incident_mean_seconds_to{step=\"closed\"} 10800"),
        "{metrics}"
    );
    assert!(metrics.contains("sanso_incidents_on_hold 1"), "{metrics}");
    // The first retention pass runs beside start-up; it may not have finished yet.
    wait_until("the first retention pass", || {
        server.metric("sanso_retention_deleted_partitions_total") >= 1
    });
    assert!(!expired.exists());
    assert_eq!(server.metric("sanso_retention_deleted_partitions_total"), 1);
    server.stop();
}
