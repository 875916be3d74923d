//! `sanso report` over a lake holding two demo months: every figure is recomputed from
//! the SQL the report carries, the CSV is safe for Excel on a Japanese PC, and the HTML
//! page opens cleanly in headless Chromium (screenshot and A4 PDF kept as artefacts).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::sanso_ok;

const MONTH: &str = "2026-11";

/// A lake with a demo run in October and one in November 2026 (Japan time), plus one
/// line from a device whose name is a spreadsheet formula; built once per test run, in
/// the target's scratch folder, and only read by the tests.
fn two_month_lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-lake");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        build_lake(&dir)
    })
}

fn build_lake(dir: &Path) -> PathBuf {
    let data = dir.join("lake");
    support::import_demo(dir, &data, 5, 8000, "2026-10-14T01:00:00Z");
    support::import_demo(dir, &data, 6, 8000, "2026-11-10T01:00:00Z");
    let hostile = dir.join("hostile.log");
    std::fs::write(
        &hostile,
        "Nov 12 10:00:00 ignored sshd[411]: Failed password for root from 10.10.2.9 port 50112 ssh2\n",
    )
    .unwrap();
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        "--device",
        "=1+2",
        hostile.to_str().unwrap(),
    ]);
    // One incident in November, reported to the CSIRT 30 minutes after it was detected.
    let d = data.to_str().unwrap();
    let alert = support::sql_rows(
        &data,
        "SELECT alert_id FROM alerts WHERE time >= TIMESTAMP '2026-11-01T00:00:00Z' ORDER BY alert_id LIMIT 1",
    )
    .remove(0);
    let opened = sanso_ok(&[
        "--data",
        d,
        "incident",
        "open",
        "--title",
        "demo",
        "--severity",
        "high",
        "--alert",
        &alert,
        "--by",
        "tanaka",
        "--at",
        "2026-11-10T10:00:00+09:00",
    ]);
    let id = String::from_utf8(opened.stdout).unwrap().trim().to_owned();
    sanso_ok(&[
        "--data",
        d,
        "incident",
        "update",
        &id,
        "--state",
        "reported",
        "--by",
        "suzuki",
        "--at",
        "2026-11-10T10:30:00+09:00",
    ]);
    data
}

/// The embedded configuration, with the formula-named device among the sources that have
/// an expected interval, so that its name reaches the availability figure and the CSV.
fn config() -> &'static Path {
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/default-config.toml"
        ))
        .unwrap();
        let text = text.replacen(
            "source_intervals = [",
            "source_intervals = [\"=1+2 1h\", ",
            1,
        );
        assert!(
            text.contains("=1+2 1h"),
            "the example config lists source_intervals"
        );
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-config.toml");
        std::fs::write(&path, text).unwrap();
        path
    })
}

fn report(data: &Path, out: &Path, format: Option<&str>) {
    let mut args = vec![
        "--config",
        config().to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "report",
        "--month",
        MONTH,
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(format) = format {
        args.extend(["--format", format]);
    }
    sanso_ok(&args);
}

/// The rows a query returns, keyed by (zone, item).
fn query_values(data: &Path, sql: &str) -> HashMap<(String, String), Option<f64>> {
    let output = sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "json",
        sql,
    ]);
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.into_iter()
        .map(|row| {
            let zone = row["zone"].as_str().unwrap_or("unknown").to_owned();
            let item = row["item"].as_str().unwrap_or("").to_owned();
            ((zone, item), row["value"].as_f64())
        })
        .collect()
}

/// Every value of `rows` (field `field`) equals what `sql` returns now; keys the query
/// does not return must read zero (counts) or no data.
fn assert_reproducible(id: &str, data: &Path, sql: &str, rows: &[Value], field: &str) {
    let fresh = query_values(data, sql);
    for (key, value) in &fresh {
        assert!(
            rows.iter()
                .any(|r| r["zone"] == key.0.as_str() && r["item"] == key.1.as_str()),
            "{id}: the query returns {key:?} = {value:?} but the report has no such row"
        );
    }
    for row in rows {
        let key = (
            row["zone"].as_str().unwrap().to_owned(),
            row["item"].as_str().unwrap().to_owned(),
        );
        let reported = row[field].as_f64();
        match fresh.get(&key) {
            Some(value) => assert!(
                match (reported, *value) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    (None, None) => true,
                    _ => false,
                },
                "{id} {key:?} {field}: report says {reported:?}, its SQL says {value:?}\n{sql}"
            ),
            None => assert!(
                reported.is_none() || reported == Some(0.0),
                "{id} {key:?} {field}: report says {reported:?} but its SQL returns no row\n{sql}"
            ),
        }
    }
}

fn figure<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no figure {id}"))
}

fn row<'a>(figure: &'a Value, zone: &str) -> &'a Value {
    figure["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["zone"] == zone && r["item"] == "")
        .unwrap_or_else(|| panic!("{}: no row for {zone}", figure["id"]))
}

#[test]
fn every_figure_is_reproduced_by_its_own_sql() {
    let dir = tempfile::tempdir().unwrap();
    let data = two_month_lake();
    let out = dir.path().join("report");
    report(data, &out, None);
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join("sanso-report-2026-11.json")).unwrap())
            .unwrap();
    assert_eq!(json["schema"], "sanso.report.v1");
    assert_eq!(json["month"], MONTH);
    assert_eq!(json["previous_month"], "2026-10");
    assert_eq!(json["period"]["from"], "2026-10-31T15:00:00Z");

    let figures = json["figures"].as_array().unwrap();
    assert!(figures.len() >= 12, "{} figures", figures.len());
    for figure in figures {
        let id = figure["id"].as_str().unwrap();
        let rows = figure["rows"].as_array().unwrap();
        assert_reproducible(id, data, figure["sql"].as_str().unwrap(), rows, "value");
        assert_reproducible(
            id,
            data,
            figure["previous_sql"].as_str().unwrap(),
            rows,
            "previous",
        );
    }

    // Both demo months hold password guessing, so both months count failures, and the
    // city total is the sum of its zones.
    let failures = figure(&json, "auth_failures");
    let total = row(failures, "all")["value"].as_f64().unwrap();
    assert!(total > 0.0 && row(failures, "all")["previous"].as_f64().unwrap() > 0.0);
    let by_zone: f64 = failures["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["zone"] != "all")
        .map(|r| r["value"].as_f64().unwrap())
        .sum();
    assert_eq!(total, by_zone);

    // The demo's exfiltration goes straight out through fw-inet, so the share of egress
    // through the security cloud is short of its 100 % target and judged a failure.
    let egress = figure(&json, "cloud_egress_share");
    let share = row(egress, "internet")["value"].as_f64().unwrap();
    assert!(share > 0.0 && share < 100.0, "security-cloud share {share}");
    assert_eq!(row(egress, "internet")["verdict"], "fail");
    assert_eq!(egress["verdict"], "fail");

    // The one November incident, high, reported after 30 minutes; none in October.
    let incidents = figure(&json, "incidents_by_severity");
    let high = &incidents["rows"][0];
    assert_eq!(
        (high["item"].as_str(), high["value"].as_f64()),
        (Some("high"), Some(1.0))
    );
    assert_eq!(high["previous"].as_f64(), Some(0.0));
    let response = figure(&json, "incident_response_minutes");
    assert_eq!(response["rows"][0]["value"].as_f64(), Some(30.0));
    assert_eq!(
        response["rows"][1]["value"],
        Value::Null,
        "not contained yet"
    );

    // The demo's m-FILTER gateway sanitises the November mail: the figure counts it by
    // disposition, and most of it went on as text.
    let sanitisation = figure(&json, "mail_sanitisation");
    let converted = sanitisation["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["zone"] == "all" && r["item"] == "text_converted")
        .and_then(|r| r["value"].as_f64());
    assert!(converted.is_some_and(|n| n > 0.0), "{sanitisation}");

    // Every source with an expected interval is judged on availability; devices without
    // one (the i-FILTER proxy, the mail gateway) are not.
    let availability = figure(&json, "log_availability");
    let devices: Vec<&str> = availability["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"].as_str().unwrap())
        .collect();
    for device in [
        "fw-core",
        "fw-lgwan",
        "fw-inet",
        "proxy-inet",
        "srv-core01",
        "=1+2",
    ] {
        assert!(
            devices.contains(&device),
            "{device} missing from {devices:?}"
        );
    }
    for device in ["ifilter-inet", "mfilter-gw", "term-core"] {
        assert!(
            !devices.contains(&device),
            "{device} has no expected interval"
        );
    }
    // A demo run covers minutes of a month, so no source is near its 99 % target.
    assert_eq!(availability["verdict"], "fail");
}

#[test]
fn csv_opens_in_excel_on_a_japanese_pc() {
    let dir = tempfile::tempdir().unwrap();
    let data = two_month_lake();
    let out = dir.path().join("report");
    report(data, &out, Some("csv"));
    let entries: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(entries.len(), 1, "--format csv writes the CSV alone");
    let bytes = std::fs::read(out.join("sanso-report-2026-11.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("\"指標ID\",\"指標\",\"根拠条項\",\"ゾーン\""));
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "every line ends in CRLF"
    );
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        assert!(
            line.starts_with('"') && line.ends_with('"'),
            "unquoted field: {line}"
        );
        for cell in line[1..line.len() - 1].split("\",\"") {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell Excel would evaluate: {cell}"
            );
        }
    }
    assert!(
        text.contains("\"'=1+2\""),
        "the formula-named device is shown as text"
    );
    assert!(text.contains("\"基幹系\"") && text.contains("\"不適合\""));
}

#[test]
fn html_report_renders_cleanly_in_headless_chromium() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = two_month_lake();
    let out = dir.path().join("report");
    report(data, &out, Some("html"));
    let page = out.join("sanso-report-2026-11.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in [
        "src=\"http",
        "href=\"http",
        "url(",
        "<script",
        "<link",
        "@import",
    ] {
        assert!(!html.contains(outside), "the page refers to {outside}");
    }

    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&artefacts).unwrap();
    let screenshot = artefacts.join("sanso-report-2026-11.png");
    let pdf = artefacts.join("sanso-report-2026-11.pdf");
    let result = browser.render(&page, &screenshot, &pdf);
    assert_eq!(result["problems"], serde_json::json!([]), "{result}");
    assert!(
        result["title"]
            .as_str()
            .unwrap()
            .contains("月次報告 2026年11月")
    );
    let headings: Vec<&str> = result["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        headings.contains(&"三層分離違反（許可された通信）"),
        "{headings:?}"
    );
    assert!(result["charts"].as_u64().unwrap() >= 8, "{result}");
    assert!(
        result["scroll_width"].as_u64() <= result["printable_width"].as_u64(),
        "wider than an A4 page: {result}"
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    eprintln!("report screenshot: {}", screenshot.display());
}

/// Node with puppeteer-core and Debian's Chromium, as tests/install-prerequisites
/// installs them.
struct Browser {
    node: PathBuf,
    modules: PathBuf,
}

impl Browser {
    /// The browser, or `None` outside CI when a piece is missing (said loudly); under CI
    /// a missing piece fails the test.
    fn find() -> Option<Browser> {
        let npm_dir = std::env::var_os("SANSO_BROWSER_NPM_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                    .join(".cache/sanso/npm-browser")
            });
        let modules = npm_dir.join("node_modules");
        let node = which("node");
        let chromium = which("chromium");
        let puppeteer = modules.join("puppeteer-core/package.json").is_file();
        if let (Some(node), Some(_), true) = (&node, &chromium, puppeteer) {
            return Some(Browser {
                node: node.clone(),
                modules,
            });
        }
        let message = format!(
            "missing one of node ({node:?}), chromium ({chromium:?}), puppeteer-core in {}; \
             tests/install-prerequisites installs them",
            modules.display()
        );
        if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
            panic!("{message}");
        }
        eprintln!("\n!!!!! SKIPPED the Chromium report test: {message} !!!!!\n");
        None
    }

    /// Runs tests/browser/render.mjs on `page`.
    fn render(&self, page: &Path, screenshot: &Path, pdf: &Path) -> Value {
        let work = tempfile::tempdir().unwrap();
        let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        for file in ["render.mjs", "package.json"] {
            std::fs::copy(browser_dir.join(file), work.path().join(file)).unwrap();
        }
        std::os::unix::fs::symlink(&self.modules, work.path().join("node_modules")).unwrap();
        let output = Command::new(&self.node)
            .current_dir(work.path())
            .arg("render.mjs")
            .args([page, screenshot, pdf])
            .output()
            .expect("running node");
        assert!(
            output.status.success(),
            "render.mjs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "render.mjs printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}
