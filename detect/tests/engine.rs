//! The stateful engine over several batches: windows that span batches, suppression,
//! and the alert record.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use sanso_detect::fixture::{Fixture, T0};
use sanso_detect::sigma;
use sanso_detect::{
    Detector, Engine, EngineConfig, FieldMapping, Placeholders, Severity, alerts_to_batch,
};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::Zone;
use serde_yaml_ng::Value as Yaml;

const MINUTE: i64 = 60_000_000;

const RULES: &str = r#"
title: failed logon
id: OMZ-15-fail
name: fail
logsource: {product: linux, service: sshd}
detection:
  sel: {outcome: failure}
  condition: sel
---
title: Repeated authentication failures
id: OMZ-15
level: high
policy_ref: 基本方針6(6)
tags: [attack.credential_access]
correlation:
  type: event_count
  rules: [fail]
  group-by: [user]
  timespan: 10m
  condition: {gte: 3}
---
title: Root login
id: R-ROOT
level: critical
group-by: [src_ip]
logsource: {product: linux, service: sshd}
detection:
  sel: {user: root, outcome: success}
  condition: sel
"#;

fn batch(rows: &[(i64, &str, &str, &str)]) -> RecordBatch {
    let events = rows
        .iter()
        .map(|(time, user, outcome, ip)| {
            let mut row = BTreeMap::new();
            row.insert("time".to_owned(), Yaml::Number((*time).into()));
            row.insert("user".to_owned(), Yaml::String((*user).into()));
            row.insert("outcome".to_owned(), Yaml::String((*outcome).into()));
            row.insert("src_ip".to_owned(), Yaml::String((*ip).into()));
            row.insert("zone".to_owned(), Yaml::String("core".into()));
            row.insert(
                "raw".to_owned(),
                Yaml::String(format!("sshd: {outcome} for {user} from {ip}")),
            );
            row
        })
        .collect();
    let fixture = Fixture {
        fixture: "engine".into(),
        table: "auth".into(),
        rules: None,
        placeholders: BTreeMap::new(),
        events,
        expect: Vec::new(),
    };
    fixture.batch().unwrap()
}

fn engine(config: EngineConfig) -> Engine {
    let set = sigma::parse_str(RULES, Path::new("omz.yml"))
        .into_result()
        .unwrap();
    let detector =
        Detector::compile(&set, &FieldMapping::default(), &Placeholders::default()).unwrap();
    Engine::new(Arc::new(detector), config)
}

#[test]
fn windows_span_batches_and_alerts_carry_the_rule() {
    let mut engine = engine(EngineConfig::default());
    let first = batch(&[
        (T0, "tanaka", "failure", "10.10.0.1"),
        (T0 + MINUTE, "tanaka", "failure", "10.10.0.1"),
    ]);
    assert!(
        engine.process(Table::Auth, &first).unwrap().is_empty(),
        "two failures, and the rule itself is silent"
    );
    let second = batch(&[(T0 + 2 * MINUTE, "tanaka", "failure", "10.10.0.1")]);
    let alerts = engine.process(Table::Auth, &second).unwrap();
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.rule_id, "OMZ-15");
    assert_eq!(a.title, "Repeated authentication failures");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.policy_ref.as_deref(), Some("基本方針6(6)"));
    assert_eq!(a.group_key.as_deref(), Some("tanaka"));
    assert_eq!(
        (a.window_start, a.window_end),
        (Some(T0), Some(T0 + 2 * MINUTE))
    );
    assert_eq!((a.time, a.event_count, a.zone), (T0, 3, Some(Zone::Core)));
    assert_eq!(a.alert_id, sanso_detect::alert_id("OMZ-15", "tanaka", T0));
    let evidence: serde_json::Value = serde_json::from_str(a.evidence.as_deref().unwrap()).unwrap();
    assert_eq!(evidence["table"], "auth");
    assert_eq!(evidence["raw"].as_array().unwrap().len(), 3);
    assert_eq!(
        evidence["raw"][2],
        "sshd: failure for tanaka from 10.10.0.1"
    );
    let laid_out = alerts_to_batch(&alerts).unwrap();
    assert_eq!(laid_out.num_rows(), 1);
}

#[test]
fn suppression_holds_back_repeats_per_rule_and_group() {
    let mut engine = engine(EngineConfig {
        suppress_for: 10 * MINUTE,
        ..EngineConfig::default()
    });
    let root = |t, ip| batch(&[(t, "root", "success", ip)]);
    assert_eq!(
        engine
            .process(Table::Auth, &root(T0, "10.10.0.1"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        engine
            .process(Table::Auth, &root(T0 + MINUTE, "10.10.0.1"))
            .unwrap()
            .len(),
        0
    );
    let other = engine
        .process(Table::Auth, &root(T0 + MINUTE, "10.10.0.2"))
        .unwrap();
    assert_eq!(
        other[0].group_key.as_deref(),
        Some("10.10.0.2"),
        "another group is not suppressed"
    );
    assert_eq!(
        engine
            .process(Table::Auth, &root(T0 + 11 * MINUTE, "10.10.0.1"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(engine.stats().suppressed, 1);
    // One batch with several matches of one group is one alert.
    let many = batch(&[
        (T0 + 30 * MINUTE, "root", "success", "10.10.0.9"),
        (T0 + 31 * MINUTE, "root", "success", "10.10.0.9"),
    ]);
    let alerts = engine.process(Table::Auth, &many).unwrap();
    assert_eq!((alerts.len(), alerts[0].event_count), (1, 2));
    assert_eq!(alerts[0].window_end, Some(T0 + 31 * MINUTE));
}

#[test]
fn late_events_are_counted_not_correlated() {
    let mut engine = engine(EngineConfig {
        allowed_lateness: MINUTE,
        ..EngineConfig::default()
    });
    engine
        .process(
            Table::Auth,
            &batch(&[(T0 + 60 * MINUTE, "suzuki", "failure", "10.10.0.1")]),
        )
        .unwrap();
    let late = batch(&[
        (T0, "tanaka", "failure", "10.10.0.1"),
        (T0 + 1, "tanaka", "failure", "10.10.0.1"),
        (T0 + 2, "tanaka", "failure", "10.10.0.1"),
    ]);
    assert!(engine.process(Table::Auth, &late).unwrap().is_empty());
    assert_eq!(engine.stats().late_events, 3);
}

#[test]
fn batches_of_other_tables_or_without_matches_are_cheap_no_ops() {
    let mut engine = engine(EngineConfig::default());
    let empty = RecordBatch::new_empty(Table::Auth.schema());
    assert!(engine.process(Table::Auth, &empty).unwrap().is_empty());
    let network = RecordBatch::new_empty(Table::Network.schema());
    assert!(engine.process(Table::Network, &network).unwrap().is_empty());
    assert!(engine.detector().leaf_count(Table::Auth) >= 2);
}

#[test]
fn a_batch_that_lacks_a_column_is_an_error_not_a_panic() {
    let set = sigma::parse_str(RULES, Path::new("omz.yml"))
        .into_result()
        .unwrap();
    let detector =
        Detector::compile(&set, &FieldMapping::default(), &Placeholders::default()).unwrap();
    let wrong = batch(&[(T0, "root", "success", "10.10.0.1")])
        .project(&[0, 1, 2])
        .unwrap();
    let error = detector.evaluate(Table::Auth, &wrong).unwrap_err();
    assert_eq!(
        error.to_string(),
        "batch for table auth has no column `outcome`"
    );
}
