//! The Grafana dashboards and Prometheus rules under `dashboards/`, checked the way they
//! are used:
//!
//! - every dashboard satisfies Grafana's published schema (the npm package
//!   `@grafana/schema`, checked by the TypeScript compiler, see
//!   `tests/grafana/dashboard-schema.ts`), and is well formed for provisioning;
//! - the rules pass `promtool check rules` and their unit tests (`promtool test rules`);
//! - against a live `sanso run --demo`, also reading a topic of a real Kafka-protocol
//!   broker (tansu), scraped by a real Prometheus, every panel's query and every alerting
//!   rule returns data, and `promtool check metrics` accepts a scrape.
//!
//! Prometheus, promtool, Node.js and the npm packages come from
//! `tests/install-prerequisites`, which `tests/run-all` runs first. Without them these
//! tests fail under CI (`CI` set) and, elsewhere, say loudly that they were skipped.

#[path = "support/kafka.rs"]
mod kafka_support;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Asia::Tokyo;
use kafka_support::Broker;
use serde_json::Value;
use support::{Server, free_port};

/// The repository's root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The dashboards, as (file name, parsed JSON).
fn dashboards() -> Vec<(String, Value)> {
    let dir = root().join("dashboards/grafana");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no dashboards in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let json =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                json,
            )
        })
        .collect()
}

/// Every panel of a dashboard, rows' nested panels included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        out.push(panel);
        if let Some(nested) = panel["panels"].as_array() {
            out.extend(nested);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Tools

/// The external tools these tests run.
struct Tools {
    prometheus: PathBuf,
    promtool: PathBuf,
    node: PathBuf,
    /// The folder whose `node_modules` holds `@grafana/schema` and `typescript`.
    npm_dir: PathBuf,
}

impl Tools {
    /// The tools, or `None` when some are missing outside CI (after saying so loudly);
    /// under CI a missing tool fails the test.
    fn find() -> Option<Tools> {
        let npm_dir = std::env::var_os("SANSO_NPM_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                    .join(".cache/sanso/npm")
            });
        let modules = npm_dir.join("node_modules");
        let npm_ok = modules.join("@grafana/schema/package.json").is_file()
            && modules.join("typescript/bin/tsc").is_file();
        let (prometheus, promtool, node) =
            (on_path("prometheus"), on_path("promtool"), on_path("node"));
        let missing: Vec<String> = [
            (prometheus.is_none(), "prometheus".to_owned()),
            (promtool.is_none(), "promtool".to_owned()),
            (node.is_none(), "node".to_owned()),
            (
                !npm_ok,
                format!("the npm packages in {}", npm_dir.display()),
            ),
        ]
        .into_iter()
        .filter_map(|(gone, what)| gone.then_some(what))
        .collect();
        if missing.is_empty() {
            return Some(Tools {
                prometheus: prometheus?,
                promtool: promtool?,
                node: node?,
                npm_dir,
            });
        }
        let message = format!(
            "missing: {}; tests/install-prerequisites installs them",
            missing.join(", ")
        );
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("{message}");
        }
        eprintln!("\n!!!!! SKIPPED a dashboard test: {message} !!!!!\n");
        None
    }
}

/// An executable of this name on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs a command and insists that it succeeded.
fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

// ---------------------------------------------------------------------------------------
// Static checks

#[test]
fn dashboards_satisfy_grafanas_schema() {
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        tools.npm_dir.join("node_modules"),
        dir.path().join("node_modules"),
    )
    .unwrap();
    std::fs::copy(
        root().join("tests/grafana/dashboard-schema.ts"),
        dir.path().join("dashboard-schema.ts"),
    )
    .unwrap();
    let mut check = String::from("import type { SansoDashboard } from './dashboard-schema';\n");
    for (i, (name, _)) in dashboards().iter().enumerate() {
        let text = std::fs::read_to_string(root().join("dashboards/grafana").join(name)).unwrap();
        check.push_str(&format!(
            "// {name}\nexport const d{i} = {} satisfies SansoDashboard;\n",
            text.trim_end()
        ));
    }
    std::fs::write(dir.path().join("check.ts"), check).unwrap();
    std::fs::write(
        dir.path().join("tsconfig.json"),
        r#"{"compilerOptions": {"strict": true, "noEmit": true, "module": "esnext", "moduleResolution": "bundler",
            "target": "es2022", "skipLibCheck": true, "types": []}, "files": ["check.ts"]}"#,
    )
    .unwrap();
    run_ok(
        Command::new(&tools.node)
            .arg("node_modules/typescript/bin/tsc")
            .args(["-p", "."])
            .current_dir(dir.path()),
    );
}

#[test]
fn dashboards_are_ready_for_provisioning() {
    let provisioned = std::fs::read_to_string(
        root().join("dashboards/provisioning/datasources/sanso-prometheus.yml"),
    )
    .unwrap();
    let uid = provisioned
        .lines()
        .find_map(|l| l.trim().strip_prefix("uid: "))
        .expect("the provisioned data source has a uid");
    let mut uids = Vec::new();
    for (name, dashboard) in dashboards() {
        assert_eq!(
            dashboard["schemaVersion"], 42,
            "{name}: the current dashboard schema"
        );
        assert!(
            dashboard["id"].is_null(),
            "{name}: an instance's numeric id does not belong in a file"
        );
        uids.push(dashboard["uid"].as_str().expect("uid").to_owned());
        let variable = dashboard["templating"]["list"]
            .as_array()
            .and_then(|l| l.iter().find(|v| v["name"] == "datasource"))
            .unwrap_or_else(|| panic!("{name}: no datasource variable"));
        assert_eq!(
            variable["current"]["value"], uid,
            "{name}: defaults to the provisioned data source"
        );
        let mut ids = Vec::new();
        for panel in panels(&dashboard) {
            let title = panel["title"].as_str().unwrap_or_default();
            ids.push(
                panel["id"]
                    .as_u64()
                    .unwrap_or_else(|| panel_fail(&name, title, "has no id")),
            );
            assert!(
                !title.is_ascii(),
                "{name}: panel title `{title}` is not Japanese"
            );
            if panel["type"] == "row" {
                continue;
            }
            // English, though it may name panels by their Japanese titles.
            let description = panel["description"].as_str().unwrap_or_default();
            let latin = description
                .chars()
                .filter(char::is_ascii_alphabetic)
                .count();
            assert!(
                latin > 20 && latin * 2 > description.chars().count(),
                "{name}: panel `{title}` needs a description in English"
            );
            let targets = panel["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            if panel["type"] == "text" {
                continue;
            }
            assert!(!targets.is_empty(), "{name}: panel `{title}` has no query");
            for target in targets {
                assert_eq!(
                    target["datasource"]["uid"], "${datasource}",
                    "{name}: `{title}` queries another source"
                );
                assert!(
                    target["expr"].as_str().is_some_and(|e| !e.is_empty()),
                    "{name}: `{title}` has no expr"
                );
            }
        }
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "{name}: panel ids must be unique");
    }
    let count = uids.len();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), count, "dashboard uids must be unique");
}

fn panel_fail(dashboard: &str, title: &str, what: &str) -> ! {
    panic!("{dashboard}: panel `{title}` {what}")
}

#[test]
fn alerting_rules_pass_promtool() {
    let Some(tools) = Tools::find() else { return };
    let dir = root().join("dashboards/prometheus");
    run_ok(
        Command::new(&tools.promtool)
            .args(["check", "rules", "rules.yml"])
            .current_dir(&dir),
    );
    run_ok(
        Command::new(&tools.promtool)
            .args(["test", "rules", "rules.test.yml"])
            .current_dir(&dir),
    );
    run_ok(
        Command::new(&tools.promtool)
            .args(["check", "config", "prometheus.yml"])
            .current_dir(&dir),
    );
}

// ---------------------------------------------------------------------------------------
// Against a live sanso and Prometheus

/// Grafana's variables, as the test's Prometheus (a scrape a second) would see them.
fn substitute(expr: &str) -> String {
    let expr = expr
        .replace("$__rate_interval", "15s")
        .replace("$__range", "5m")
        .replace("$__interval", "2s");
    assert!(
        !expr.contains('$'),
        "a variable the test does not know in `{expr}`"
    );
    expr
}

/// A Prometheus run for the test; killed when dropped.
struct Prometheus {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Prometheus {
    fn start(tools: &Tools, dir: &Path, target_port: u16) -> Prometheus {
        let port = free_port();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 rule_files:\n  - {rules}\n\
                 scrape_configs:\n  - job_name: sanso\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n",
                rules = root().join("dashboards/prometheus/rules.yml").display(),
            ),
        )
        .unwrap();
        let log = dir.join("prometheus.log");
        let child = Command::new(&tools.prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting prometheus");
        let prometheus = Prometheus { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(port, "/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(
                Instant::now() < deadline,
                "Prometheus did not become ready:\n{}",
                prometheus.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        prometheus
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `data` of an API answer; panics on an error answer (a bad query).
    fn api(&self, path: &str) -> Value {
        let (status, body) = http_get(self.port, path)
            .unwrap_or_else(|| panic!("Prometheus is gone:\n{}", self.log()));
        let json: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert!(
            status == 200 && json["status"] == "success",
            "{path} answered {status}: {body}"
        );
        json["data"].clone()
    }

    /// An instant query's result vector (or scalar, as a one-element list).
    fn query(&self, expr: &str) -> Vec<Value> {
        let data = self.api(&format!("/api/v1/query?query={}", encode(expr)));
        match &data["result"] {
            Value::Array(series) => series.clone(),
            scalar => vec![scalar.clone()],
        }
    }

    /// A range query over the last minute, two-second steps: the series that have values.
    fn query_range(&self, expr: &str) -> Vec<Value> {
        let end = Utc::now().timestamp();
        let data = self.api(&format!(
            "/api/v1/query_range?query={}&start={}&end={end}&step=2",
            encode(expr),
            end - 60
        ));
        let series = data["result"].as_array().cloned().unwrap_or_default();
        series
            .into_iter()
            .filter(|s| s["values"].as_array().is_some_and(|v| !v.is_empty()))
            .collect()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET on a loopback port: status and body, `None` when nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// Percent-encoding for a query-string value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value an alerting rule compares: its expression up to the first comparison outside
/// brackets and strings (`x > 60 and x <= 300` gives `x`).
fn value_side(expr: &str) -> &str {
    let bytes = expr.as_bytes();
    let (mut depth, mut quote) = (0i32, None::<u8>);
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q && bytes[i - 1] != b'\\' => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'' | b'`') => quote = Some(b),
            (None, b'(' | b'[' | b'{') => depth += 1,
            (None, b')' | b']' | b'}') => depth -= 1,
            (None, b'>' | b'<') if depth == 0 => return expr[..i].trim(),
            (None, b'=' | b'!') if depth == 0 && bytes.get(i + 1) == Some(&b'=') => {
                return expr[..i].trim();
            }
            _ => {}
        }
    }
    expr
}

/// Sends lines to a syslog TCP listener, newline-framed.
fn send_lines(port: u16, lines: &[String]) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    for line in lines {
        stream.write_all(line.as_bytes()).unwrap();
        stream.write_all(b"\n").unwrap();
    }
}

/// An RFC 3164 timestamp in Japan time, as the city's devices write them.
/// A core terminal's interactive logon (4624, type 2) as winlogbeat sends it, from the
/// demo; `@TIMESTAMP@` is replaced with the time it is sent.
const CORE_TERMINAL_LOGON: &str = "{\"@timestamp\":\"@TIMESTAMP@\",\"event\":{\"code\":\"4624\",\"kind\":\"event\",\"provider\":\"Microsoft-Windows-Security-Auditing\",\"action\":\"logged-in\",\"outcome\":\"success\"},\"host\":{\"name\":\"term-core\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":4624,\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"computer_name\":\"term-core\",\"keywords\":[\"Audit Success\"],\"task\":\"Logon\",\"event_data\":{\"SubjectUserSid\":\"S-1-5-18\",\"SubjectUserName\":\"TERM-CORE$\",\"SubjectDomainName\":\"OMAEZAKI\",\"SubjectLogonId\":\"0x3e7\",\"TargetUserSid\":\"S-1-5-21-3623811015-3361044348-30300820-1801\",\"TargetUserName\":\"watanabe\",\"TargetDomainName\":\"OMAEZAKI\",\"TargetLogonId\":\"0xc6702c4\",\"LogonType\":\"2\",\"LogonProcessName\":\"User32 \",\"AuthenticationPackageName\":\"Negotiate\",\"WorkstationName\":\"TERM-CORE\",\"LogonGuid\":\"{6bb6bb36-031f-4bbb-8027-35555731b463}\",\"TransmittedServices\":\"-\",\"LmPackageName\":\"-\",\"KeyLength\":\"0\",\"ProcessId\":\"0x424\",\"ProcessName\":\"C:\\\\Windows\\\\System32\\\\svchost.exe\",\"IpAddress\":\"127.0.0.1\",\"IpPort\":\"0\",\"ImpersonationLevel\":\"%%1833\",\"RestrictedAdminMode\":\"-\",\"TargetOutboundUserName\":\"-\",\"TargetOutboundDomainName\":\"-\",\"VirtualAccount\":\"%%1843\",\"TargetLinkedLogonId\":\"0x0\",\"ElevatedToken\":\"%%1843\"}}}";

fn jst(time: chrono::DateTime<Utc>) -> String {
    time.with_timezone(&Tokyo)
        .format("%b %e %H:%M:%S")
        .to_string()
}

/// One query a dashboard or rule file makes, and how to run it.
struct Check {
    what: String,
    expr: String,
    range: bool,
}

#[test]
fn every_panel_and_alerting_rule_returns_data_from_a_live_sanso() {
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A Kafka topic beside the demo feed, for the Kafka panels.
    let broker = Broker::start();
    broker.create_topic("fw", 2);
    broker.produce("fw", 2, 200, 10_000, |i| {
        format!(
            "<38>{} srv-lgwan01 sshd[{i}]: Accepted publickey for ops from 10.20.2.15 port 5{i:04} ssh2",
            jst(Utc::now())
        )
    });
    let kafka = format!(
        "[[sources]]\nkind = \"kafka\"\nbrokers = \"{}\"\ntopics = [\"fw\"]\ngroup = \"sanso\"\n",
        broker.address()
    );
    let server = Server::start_with(dir.path(), &kafka, &["--demo", "--demo-rate", "1000"]);

    // Beside the demo feed, a few lines the demo may not send within the test's minute:
    // a device whose clock is two hours behind, a failed logon, a core terminal logon and
    // its MFA success (the demo's core staff keep office hours, and the live feed follows
    // the clock, so outside them it has neither), and a line nobody parses.
    let now = Utc::now();
    let core_logon = CORE_TERMINAL_LOGON.replace(
        "@TIMESTAMP@",
        &now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    );
    send_lines(
        server.syslog_port,
        &[
            format!(
                "<38>{} srv-skewed sshd[4242]: Accepted publickey for ops from 10.30.2.10 port 50022 ssh2",
                jst(now - chrono::TimeDelta::hours(2))
            ),
            format!(
                "<38>{} srv-lgwan01 sshd[4243]: Failed password for invalid user admin from 10.20.2.15 port 50023 ssh2",
                jst(now)
            ),
            format!("<38>{} term-core winlogbeat: {core_logon}", jst(now)),
            format!(
                "<38>{} mfa-core01 radiusd: {} : Auth: (1) Login OK: [watanabe] (from client term-core port 0 cli 10.10.2.11) Auth-Type=totp",
                jst(now),
                now.with_timezone(&Tokyo).format("%a %b %e %H:%M:%S %Y")
            ),
            format!(
                "<13>{} srv-core01 mystery[7]: a message no parser knows",
                jst(now)
            ),
        ],
    );

    let prometheus = Prometheus::start(&tools, dir.path(), server.http_port);
    // Wait for sixteen scrapes and a lake flush, so that every 15 s rate window has data.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let scrapes = prometheus.query(r#"count_over_time(up{job="sanso"}[1m])"#);
        let files = prometheus.query("sanso_lake_files_written_total");
        let value = |v: &[Value]| {
            v.first()
                .and_then(|s| s["value"][1].as_str()?.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        if value(&scrapes) >= 16.0 && value(&files) > 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no scrapes of sanso:\n{}",
            prometheus.log()
        );
        std::thread::sleep(Duration::from_secs(1));
    }

    let mut checks = Vec::new();
    for (name, dashboard) in dashboards() {
        for panel in panels(&dashboard) {
            for target in panel["targets"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                checks.push(Check {
                    what: format!(
                        "{name}: panel `{}` query {}",
                        panel["title"].as_str().unwrap_or_default(),
                        target["refId"]
                    ),
                    expr: substitute(target["expr"].as_str().unwrap()),
                    range: target["instant"] != true,
                });
            }
        }
    }

    // Every rule is loaded and evaluates without error; each alerting rule's compared value
    // is there, so its comparison has something to fire on.
    let deadline = Instant::now() + Duration::from_secs(120);
    let rules = loop {
        let groups = prometheus.api("/api/v1/rules")["groups"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let rules: Vec<Value> = groups
            .iter()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        if !rules.is_empty()
            && rules.iter().all(|r| {
                r["lastEvaluation"]
                    .as_str()
                    .is_some_and(|t| !t.starts_with("0001"))
            })
        {
            break rules;
        }
        assert!(Instant::now() < deadline, "rules not evaluated: {groups:?}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(rules.len() >= 5, "rules.yml not loaded: {rules:?}");
    for rule in &rules {
        assert_eq!(rule["health"], "ok", "rule failed to evaluate: {rule}");
        let expr = rule["query"].as_str().unwrap();
        checks.push(Check {
            what: format!("rule {} (value side)", rule["name"]),
            expr: value_side(expr).to_owned(),
            range: false,
        });
    }
    // And the high clock-skew rule fires for the device that is two hours behind.
    let skew_rule = rules
        .iter()
        .find(|r| r["name"] == "SansoClockSkewHigh")
        .expect("SansoClockSkewHigh");
    checks.push(Check {
        what: "SansoClockSkewHigh on srv-skewed".into(),
        expr: format!(
            r#"({}) and on (device) sanso_device_clock_skew_seconds{{device="srv-skewed"}}"#,
            skew_rule["query"].as_str().unwrap()
        ),
        range: false,
    });

    // Queries are retried for a while: a rate over 15 s needs two samples of its series.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pending: Vec<&Check> = checks.iter().collect();
    while !pending.is_empty() {
        pending.retain(|check| {
            let result = if check.range {
                prometheus.query_range(&check.expr)
            } else {
                prometheus.query(&check.expr)
            };
            result.is_empty()
        });
        if Instant::now() > deadline {
            let failed: Vec<String> = pending
                .iter()
                .map(|c| format!("{}: {}", c.what, c.expr))
                .collect();
            panic!("queries without data:\n{}", failed.join("\n"));
        }
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    eprintln!("{} panel and rule queries returned data", checks.len());

    // promtool's lint of a live scrape: names, units, help texts, types.
    let metrics = server.http_get("/metrics").expect("a scrape");
    let mut promtool = Command::new(&tools.promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let lint = promtool.wait_with_output().unwrap();
    assert!(
        lint.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    drop(prometheus);
    server.stop();
}

#[test]
fn value_side_stops_at_the_first_top_level_comparison() {
    assert_eq!(value_side("time() - x > 900"), "time() - x");
    assert_eq!(value_side("abs(x) > 60 and abs(x) <= 300"), "abs(x)");
    assert_eq!(
        value_side(r#"sum by (rule) (increase(x{a!="b>c"}[10m])) > 0"#),
        r#"sum by (rule) (increase(x{a!="b>c"}[10m]))"#
    );
    assert_eq!(value_side("x == 1"), "x");
    assert_eq!(value_side("x"), "x");
}
