//! Rules configured under `[detection]` run on every batch, and their alerts land in the
//! `alerts` table beside the events; `sanso rules check` reports rules that cannot run.

mod support;

use std::path::Path;

use support::{sanso, sanso_ok, sql_rows};

fn rules_dir() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rules")
}

/// The embedded example configuration with the test rules switched on.
fn config_with_rules(dir: &Path) -> std::path::PathBuf {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/default-config.toml"
    ))
    .unwrap();
    let path = dir.join("sanso.toml");
    // The example config has a `[detection]` table already (the built-in pack is on);
    // the test rules run beside the pack.
    let rules = format!("rules = \"{}\"\n", rules_dir());
    std::fs::write(
        &path,
        example.replacen("\n[detection]\n", &format!("\n[detection]\n{rules}"), 1),
    )
    .unwrap();
    path
}

#[test]
fn imported_demo_raises_alerts_with_their_policy_clause() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_rules(dir.path());
    let demo = dir.path().join("demo");
    sanso_ok(&[
        "demo",
        "--seed",
        "5",
        "--events",
        "6000",
        "--start",
        "2026-11-20T00:00:00Z",
        "--out",
        demo.to_str().unwrap(),
    ]);
    let data = dir.path().join("lake");
    let (config, data_arg) = (config.to_str().unwrap(), data.to_str().unwrap());
    let mut files: Vec<_> = std::fs::read_dir(&demo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    let mut args = vec!["--config", config, "--data", data_arg, "import"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    sanso_ok(&args);

    let alerts = sql_rows(
        &data,
        "SELECT rule_id, severity, policy_ref, count(*) FROM alerts GROUP BY 1, 2, 3 ORDER BY 1",
    );
    assert!(
        alerts
            .iter()
            .any(|a| a.starts_with("TEST-BRUTE-FORCE,high,基本方針6(6),")),
        "no brute-force alert: {alerts:?}"
    );
    assert!(
        alerts
            .iter()
            .any(|a| a.starts_with("TEST-CORE-EGRESS,critical,基本方針6(3)①,")),
        "no core-egress alert: {alerts:?}"
    );
    // Every alert names the source it grouped on and quotes its evidence.
    let bad = sql_rows(
        &data,
        "SELECT count(*) FROM alerts WHERE rule_id = 'TEST-BRUTE-FORCE' AND (group_key IS NULL OR evidence NOT LIKE '%Failed%')",
    );
    assert_eq!(bad, ["0"]);
}

#[test]
fn rules_check_names_the_rule_and_the_problem() {
    sanso_ok(&["rules", "check", rules_dir()]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: Bad\nid: BAD-1\nlogsource:\n    product: sanso\n    service: network\ndetection:\n    sel:\n        dst_port|contians: 22\n    condition: sel\n",
    )
    .unwrap();
    let output = sanso()
        .args(["rules", "check", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("BAD-1") && stdout.contains("unknown modifier `contians`"),
        "{stdout}"
    );
}
