//! The engine's watch state for the sanso extensions: a live pipeline's clock
//! (`Engine::tick`) notices a silent source when no event moves event time, alerts
//! once per silence, and the source's next line re-arms it; `Engine::finish` decides
//! matches still waiting for an `absence` window.

use std::sync::Arc;

use sanso_detect::fixture::parse_fixtures;
use sanso_detect::{Detector, Engine, EngineConfig, FieldMapping, Placeholders, sigma};
use sanso_ingest::schema::Table;

const RULES: &str = r#"
title: Heartbeat
id: W-SILENT
level: medium
logsource: {product: sanso, service: events}
group-by: [device]
detection: {s: {device|exists: true}, condition: s}
silence: {expected: ["fw-a 5m"]}
---
title: Confirmation
id: W-MFA
logsource: {product: sanso, service: auth}
group-by: [user]
detection: {s: {activity: mfa}, condition: s}
---
title: Unconfirmed logon
id: W-LOGON
level: high
logsource: {product: sanso, service: auth}
group-by: [user]
detection: {s: {activity: logon}, condition: s}
absence: {rule: W-MFA, within: 60s}
"#;

fn engine() -> Engine {
    let set = sigma::parse_str(RULES, "w.yml".as_ref())
        .into_result()
        .unwrap();
    let detector =
        Detector::compile(&set, &FieldMapping::default(), &Placeholders::default()).unwrap();
    Engine::new(Arc::new(detector), EngineConfig::default())
}

fn batch(yaml: &str) -> (Table, arrow::array::RecordBatch) {
    let fixture = parse_fixtures(yaml, "w.fixture.yml".as_ref())
        .unwrap()
        .remove(0);
    (fixture.table().unwrap(), fixture.batch().unwrap())
}

const MINUTE: i64 = 60_000_000;
const T0: i64 = sanso_detect::fixture::T0;

#[test]
fn the_clock_notices_a_silent_source_once_until_it_speaks() {
    let mut engine = engine();
    let one_line =
        "fixture: f\ntable: network\nevents: [{device: fw-a, action: allow}]\nexpect: []\n";
    let (table, first) = batch(one_line);
    assert!(engine.process(table, &first).unwrap().is_empty());
    assert!(
        engine.tick(T0 + 4 * MINUTE).is_empty(),
        "within the interval"
    );
    let alerts = engine.tick(T0 + 6 * MINUTE);
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].rule_id.as_str(), alerts[0].group_key.as_deref()),
        ("W-SILENT", Some("fw-a"))
    );
    assert!(
        engine.tick(T0 + 9 * MINUTE).is_empty(),
        "one alert per silence"
    );

    // The device speaks again (an hour later, past suppression): the watch re-arms.
    let later = format!(
        "fixture: f\ntable: network\nevents: [{{time: {}, device: fw-a, action: allow}}]\nexpect: []\n",
        T0 + 60 * MINUTE
    );
    let (table, again) = batch(&later);
    assert!(engine.process(table, &again).unwrap().is_empty());
    assert_eq!(engine.tick(T0 + 66 * MINUTE).len(), 1);
}

#[test]
fn finish_decides_the_logons_still_waiting() {
    let mut engine = engine();
    let (table, logons) = batch(
        "fixture: f\ntable: auth\nevents:\n\
         - {user: a, activity: logon}\n\
         - {user: b, activity: logon}\n\
         - {user: b, activity: mfa}\n\
         expect: []\n",
    );
    // Event time has not passed the logons by 60 s plus the lateness: nothing yet.
    assert!(engine.process(table, &logons).unwrap().is_empty());
    let alerts = engine.finish();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].group_key.as_deref(), Some("a"));
    assert!(engine.finish().is_empty(), "decided once");
}
