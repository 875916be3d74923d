//! External labelled data (issue #6): CrowdSec's hub test cases, imported through the
//! real binary with the built-in rule pack at thresholds equivalent to CrowdSec's
//! scenarios. The brute-force and scan alerts must name exactly the source IPs the
//! `scenario.assert` files name, and the false-positive case must raise nothing.
//!
//! Equivalences (CrowdSec's leaky buckets overflow on the event after `capacity`):
//!
//! * `crowdsecurity/ssh-bf` and `ssh-bf_user-enum`, capacity 5 per source: OMZ-16 (one
//!   source failing on many accounts) at 6 distinct accounts;
//! * `crowdsecurity/iptables-scan-multi_ports`, 15 distinct ports per source: OMZ-11-ports
//!   at 16 distinct ports. CrowdSec's iptables parser reads dropped packets only, so UFW's
//!   `AUDIT` lines (logged, not dropped) are filtered out of the scan count by a Sigma
//!   filter document, and the scanned hosts are placed in a city zone.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use support::{sanso_ok, sql_rows};

fn data(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/crowdsec")
        .join(case)
}

/// The source IPs a `scenario.assert` names, as CrowdSec's alerts carry them.
fn asserted_sources(case: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(data(case).join("scenario.assert")).unwrap();
    text.lines()
        .filter_map(|line| line.split_once(r#"GetMeta("source_ip") == ""#))
        .filter_map(|(_, rest)| rest.split_once('"'))
        .map(|(ip, _)| ip.to_owned())
        .collect()
}

/// The embedded example configuration with CrowdSec's thresholds and test zones.
fn config(dir: &Path) -> PathBuf {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/default-config.toml"
    ))
    .unwrap();
    let filters = dir.join("filters");
    std::fs::create_dir_all(&filters).unwrap();
    std::fs::write(
        filters.join("crowdsec-dropped-only.yml"),
        "title: Count dropped packets only, as CrowdSec's iptables parser does\n\
         id: CROWDSEC-DROPPED-ONLY\n\
         filter:\n\
         \x20   rules: [OMZ-11-event]\n\
         \x20   selection:\n\
         \x20       rule: UFW AUDIT\n\
         \x20   condition: not selection\n",
    )
    .unwrap();
    let text = example
        // The scanned hosts (a cloud VM and a loopback resolver) become city hosts.
        .replacen(
            r#"cidrs = ["10.30.0.0/16"]"#,
            r#"cidrs = ["10.30.0.0/16", "10.73.0.0/16", "127.0.0.0/8"]"#,
            1,
        )
        .replacen(
            "\n[detection]\n",
            &format!("\n[detection]\nrules = {:?}\n", filters.to_str().unwrap()),
            1,
        )
        .replacen(
            "\n[detection.thresholds]\n",
            "\n[detection.thresholds]\n\"OMZ-16\" = { count = 6 }\n\"OMZ-11-ports\" = { count = 16 }\n",
            1,
        );
    assert!(text.contains("10.73.0.0/16") && text.contains("\"OMZ-16\""));
    let path = dir.join("sanso.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Imports one case's log into a fresh lake and returns `(rule_id, group_key)` of every
/// alert.
fn alerts(dir: &Path, case: &str, log: &str) -> BTreeSet<(String, String)> {
    let config = config(dir);
    let lake = dir.join(format!("lake-{case}"));
    let file = data(case).join(log);
    sanso_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--data",
        lake.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    let query = "SELECT rule_id || '|' || coalesce(group_key, '') FROM alerts";
    sql_rows(&lake, query)
        .into_iter()
        .map(|row| {
            let (rule, key) = row.split_once('|').unwrap();
            (rule.to_owned(), key.to_owned())
        })
        .collect()
}

fn keys(alerts: &BTreeSet<(String, String)>, rule: &str) -> BTreeSet<String> {
    alerts
        .iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, k)| k.clone())
        .collect()
}

#[test]
fn ssh_brute_force_names_the_asserted_source() {
    let dir = tempfile::tempdir().unwrap();
    let expected = asserted_sources("ssh-bf");
    assert_eq!(expected, BTreeSet::from(["35.188.49.176".to_owned()]));
    let alerts = alerts(dir.path(), "ssh-bf", "ssh-bf.log");
    assert_eq!(keys(&alerts, "OMZ-16"), expected, "{alerts:?}");
}

#[test]
fn multi_port_scan_names_the_asserted_sources() {
    let dir = tempfile::tempdir().unwrap();
    let expected = asserted_sources("iptables-scan-multi-port");
    assert_eq!(expected.len(), 2, "{expected:?}");
    let alerts = alerts(
        dir.path(),
        "iptables-scan-multi-port",
        "iptables-scan-multi-port.log",
    );
    assert_eq!(keys(&alerts, "OMZ-11-ports"), expected, "{alerts:?}");
}

#[test]
fn sshd_false_positive_case_raises_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = alerts(dir.path(), "sshd-logs-fp", "sshd-logs.log");
    assert!(alerts.is_empty(), "{alerts:?}");
}
