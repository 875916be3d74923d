//! The differential test of the two back ends: every rule set runs through the
//! streaming engine (batch after batch) and through `sanso hunt`'s SQL over a lake
//! written from the same events; both must find the same events for every rule and
//! raise the same alerts (rule, group key, window, count, zone).
//!
//! Rule sets: every case of the detection corpus (`tests/cases`, one per modifier and
//! correlation type), generated firewall traffic with window-boundary, null and
//! dictionary edge cases for every correlation type and for correlations chained onto
//! a correlation, and the policy pack in `detect/rules`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use sanso_detect::fixture::{Fixture, T0, parse_fixtures};
use sanso_detect::sigma::{self, RuleSet};
use sanso_detect::sql::{Hunt, TimeRange, predicate};
use sanso_detect::{Alert, Detector, Engine, EngineConfig, FieldMapping, Placeholders};
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneMap};
use sanso_query::{Lake, LakeWriter};

/// What the comparison keeps of an alert: rule, group key, window start and end,
/// count, zone.
type AlertKey = (String, Option<String>, i64, i64, u64, Option<Zone>);

/// What one back end found.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Per rule (id and position), the `source` of every matching event.
    matches: BTreeMap<(String, usize), BTreeSet<String>>,
    /// `(rule, group key, window start, window end, count, zone)`, sorted.
    alerts: Vec<AlertKey>,
}

fn config() -> EngineConfig {
    // Suppression is per batch in the engine and per hunt in SQL; compare raw alerts.
    EngineConfig {
        suppress_for: 0,
        ..EngineConfig::default()
    }
}

fn sorted_alerts(alerts: &[Alert]) -> Vec<AlertKey> {
    let mut out: Vec<_> = alerts
        .iter()
        .map(|a| {
            (
                a.rule_id.clone(),
                a.group_key.clone(),
                a.window_start.unwrap_or(a.time),
                a.window_end.unwrap_or(a.time),
                a.event_count,
                a.zone,
            )
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

fn sources(batch: &RecordBatch, rows: impl IntoIterator<Item = usize>) -> BTreeSet<String> {
    let column = batch.column_by_name("source").expect("source column");
    let column = cast(column, &DataType::Utf8).unwrap();
    let column = column.as_string::<i32>();
    rows.into_iter()
        .map(|r| column.value(r).to_owned())
        .collect()
}

/// The streaming side: the engine over each batch in turn.
fn streaming(
    set: &RuleSet,
    placeholders: &Placeholders,
    batches: &[(Table, RecordBatch)],
) -> Outcome {
    let detector = Detector::compile(set, &FieldMapping::default(), placeholders)
        .unwrap_or_else(|e| panic!("rules compile: {e}"));
    let mut matches: BTreeMap<(String, usize), BTreeSet<String>> = BTreeMap::new();
    for (index, rule) in detector.rules().iter().enumerate() {
        if !rule.tables.is_empty() {
            matches.insert((rule.meta.rule_id().to_owned(), index), BTreeSet::new());
        }
    }
    let mut engine = Engine::new(Arc::new(detector), config());
    let mut alerts = Vec::new();
    for (table, batch) in batches {
        for m in engine.detector().evaluate(*table, batch).unwrap() {
            let id = engine.detector().rules()[m.rule].meta.rule_id().to_owned();
            matches
                .entry((id, m.rule))
                .or_default()
                .extend(sources(batch, m.rows.iter().map(|&r| r as usize)));
        }
        alerts.extend(engine.process(*table, batch).unwrap());
    }
    Outcome {
        matches,
        alerts: sorted_alerts(&alerts),
    }
}

/// The hunting side: a lake written from the batches, and the hunt's SQL over it; also
/// the ids of the documents the hunt rejected.
fn hunted(
    set: &RuleSet,
    placeholders: &Placeholders,
    batches: &[(Table, RecordBatch)],
    range: TimeRange,
) -> (Outcome, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    for (table, batch) in batches {
        writer.append(*table, batch).unwrap();
    }
    writer.flush_all().unwrap();
    let hunt = Hunt::new(set, &FieldMapping::default(), placeholders, config());
    let plan = hunt.plan(range);
    let mut rejected: BTreeSet<String> = plan
        .rejected
        .iter()
        .map(|r| r.rule.id.clone().unwrap_or_else(|| r.rule.title.clone()))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let lake = Lake::open(dir.path(), Arc::new(ZoneMap::default()))
            .await
            .unwrap();
        let mut matches = BTreeMap::new();
        for (index, rule) in hunt.lowered().rules.iter().enumerate() {
            if rule.tables.is_empty() {
                continue;
            }
            let mut found = BTreeSet::new();
            for (table, expr) in &rule.tables {
                let Ok(condition) = predicate(*table, expr) else {
                    // Reported in `plan.rejected` (or by the rule that counts it).
                    rejected.insert(rule.meta.rule_id().to_owned());
                    continue;
                };
                let sql = format!("SELECT source FROM {} WHERE {condition}", table.name());
                let (_, result) = lake
                    .sql(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                for batch in &result {
                    found.extend(sources(batch, 0..batch.num_rows()));
                }
            }
            matches.insert((rule.meta.rule_id().to_owned(), index), found);
        }
        let mut alerts = Vec::new();
        for query in &plan.queries {
            let (_, result) = lake
                .sql(&query.sql)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", query.sql));
            alerts.extend(hunt.alerts(query, &result).unwrap());
        }
        hunt.suppress(&mut alerts);
        let outcome = Outcome {
            matches,
            alerts: sorted_alerts(&alerts),
        };
        (outcome, rejected)
    })
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

#[test]
fn every_corpus_case_hunts_as_it_streams() {
    let mut cases = 0;
    let mut paths: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        for fixture in parse_fixtures(&text, &path).unwrap() {
            let set = fixture.inline_rules().unwrap();
            let mut placeholders = Placeholders::default();
            for (name, values) in &fixture.placeholders {
                placeholders.insert(name, values.iter().cloned());
            }
            let batches = [(fixture.table().unwrap(), fixture.batch().unwrap())];
            let stream = streaming(&set, &placeholders, &batches);
            let (hunt, rejected) = hunted(&set, &placeholders, &batches, TimeRange::default());
            assert!(
                rejected.is_empty(),
                "{}: rejected {rejected:?}",
                path.display()
            );
            assert_eq!(
                stream,
                hunt,
                "{}: `{}`: streaming (left) and hunting (right) differ",
                path.display(),
                fixture.fixture
            );
            cases += 1;
        }
    }
    assert!(cases >= 26, "only {cases} corpus cases ran");
}

const GENERATED_RULES: &str = r#"
title: denied
name: denied
logsource: {category: firewall}
detection:
  sel: {action: deny}
  condition: sel
---
title: allowed to a low port of the core
name: core_low
logsource: {category: firewall}
detection:
  sel:
    action: allow
    dst_ip|cidr: [10.10.0.0/16, fd00::/8]
    dst_port|lt: 1024
  condition: sel
---
title: remote shells
id: G-SHELL
logsource: {category: firewall}
detection:
  sel:
    app|re: '^(ssh|rdp)'
  unknown_app:
    app: null
  scanner:
    threat_name|contains|all: [scan, port]
  condition: sel or (unknown_app and scanner)
---
title: not tcp, or no protocol at all
id: G-NOTTCP
group-by: [src_ip]
logsource: {category: firewall}
detection:
  tcp: {protocol: tcp}
  condition: not tcp
---
title: denial burst
id: G-BURST
correlation:
  type: event_count
  rules: [denied]
  group-by: [src_ip]
  timespan: 1m
  condition: {gte: 4}
---
title: port sweep
id: G-SWEEP
correlation:
  type: value_count
  rules: [denied]
  group-by: [src_ip]
  timespan: 1m
  condition: {field: dst_port, gte: 3}
---
title: heavy upload
id: G-UPLOAD
correlation:
  type: value_sum
  rules: [core_low]
  group-by: [src_ip, dst_ip]
  timespan: 2h
  condition: {field: bytes_out, gt: 12000}
---
title: denied then allowed
id: G-THEN
correlation:
  type: temporal_ordered
  rules: [denied, core_low]
  group-by: [src_ip]
  timespan: 1m
---
title: both within the minute
id: G-BOTH
correlation:
  type: temporal
  rules: [core_low, denied]
  group-by: [src_ip]
  timespan: 1m
---
title: a pair of denials
id: G-PAIR
correlation:
  type: event_count
  rules: [denied]
  group-by: [src_ip]
  timespan: 30s
  condition: {eq: 2}
---
title: a burst of denials, then allowed into the core (chained, aliased)
id: G-CHAIN
correlation:
  type: temporal_ordered
  rules: [burst, core_low]
  group-by: [host]
  timespan: 2m
  aliases:
    host:
      burst: src_ip
      core_low: src_ip
---
title: denial bursts toward several destinations (chained value_count)
id: G-SPREAD
correlation:
  type: value_count
  rules: [burst]
  group-by: [src_ip]
  timespan: 5m
  condition: {field: dst_ip, gte: 2}
---
title: denials from one source to one destination
name: burst
correlation:
  type: event_count
  rules: [denied]
  group-by: [src_ip, dst_ip]
  timespan: 2m
  condition: {gte: 2}
"#;

/// A small deterministic generator (64-bit LCG), so that a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// Firewall events in time order, cut into batches. Gaps are often exactly a window
/// length (1 min, 2 min, 30 s) or one microsecond either side of it, so events fall on
/// window edges; addresses, ports, apps and protocols are sometimes null.
fn generated(seed: u64, events: usize, batch_rows: usize) -> Vec<(Table, RecordBatch)> {
    const SECOND: i64 = 1_000_000;
    let gaps = [
        1,
        SECOND,
        SECOND,
        2 * SECOND,
        3 * SECOND,
        7 * SECOND,
        30 * SECOND,
        30 * SECOND - 1,
        30 * SECOND + 1,
        60 * SECOND,
        60 * SECOND - 1,
        60 * SECOND + 1,
        120 * SECOND,
    ];
    let sources = [
        Some("10.30.0.5"),
        Some("10.30.0.6"),
        Some("2001:db8::7"),
        None,
    ];
    let targets = [
        Some("10.10.1.1"),
        Some("10.10.200.3"),
        Some("10.20.0.1"),
        Some("fd00::10"),
        Some("not-an-ip"),
        None,
    ];
    let ports = [
        Some(22u16),
        Some(80),
        Some(443),
        Some(3389),
        Some(8080),
        None,
    ];
    let apps = [
        Some("ssh"),
        Some("rdp-tcp"),
        Some("http"),
        Some("SSH"),
        None,
    ];
    let threats = [Some("tcp port scan"), Some("Port SCAN"), Some("scan"), None];
    let actions = ["allow", "deny", "deny", "drop"];
    let protocols = [Some("tcp"), Some("udp"), None];
    let zones = [Some(Zone::Internet), Some(Zone::Core), None];
    let mut rng = Lcg(seed);
    let mut time = T0;
    let mut batches = Batches::new(Arc::new(ZoneMap::default()));
    let mut out = Vec::new();
    for i in 0..events {
        time += rng.pick(&gaps);
        let raw = format!("generated event {i}");
        let source = format!("gen:{seed}:{i:06}");
        let bytes = rng.next() % 9000;
        let event = NetworkEvent {
            time: Some(time),
            src_ip: *rng.pick(&sources),
            dst_ip: *rng.pick(&targets),
            dst_port: *rng.pick(&ports),
            protocol: *rng.pick(&protocols),
            action: Some(*rng.pick(&actions)),
            bytes_out: (bytes > 500).then_some(bytes),
            app: *rng.pick(&apps),
            threat_name: *rng.pick(&threats),
            ..NetworkEvent::default()
        };
        let common = Common {
            time,
            received_at: time,
            zone: *rng.pick(&zones),
            device: Some("fw1"),
            format: Some("generated"),
            source: &source,
            raw: &raw,
            raw_bytes: None,
        };
        batches.push(&common, &Event::Network(event));
        if (i + 1) % batch_rows == 0 {
            out.extend(batches.finish());
        }
    }
    out.extend(batches.finish());
    out
}

#[test]
fn generated_traffic_hunts_as_it_streams() {
    let set = sigma::parse_str(GENERATED_RULES, Path::new("generated.yml"))
        .into_result()
        .unwrap();
    let mut fired = BTreeSet::new();
    for seed in [1, 7, 42] {
        let batches = generated(seed, 3000, 256);
        assert!(batches.len() > 10, "several batches, so windows span them");
        let mut stream = streaming(&set, &Placeholders::default(), &batches);
        let (mut hunt, rejected) = hunted(
            &set,
            &Placeholders::default(),
            &batches,
            TimeRange::default(),
        );
        assert!(rejected.is_empty(), "rejected {rejected:?}");
        // Detection rules alert once per batch when streaming and once per hunt; their
        // matched events are compared instead.
        for outcome in [&mut stream, &mut hunt] {
            outcome
                .alerts
                .retain(|a| a.0 != "G-SHELL" && a.0 != "G-NOTTCP");
        }
        fired.extend(stream.alerts.iter().map(|a| a.0.clone()));
        assert_eq!(
            stream, hunt,
            "seed {seed}: streaming (left) and hunting (right) differ"
        );
    }
    for kind in [
        "G-BURST", "G-SWEEP", "G-UPLOAD", "G-THEN", "G-BOTH", "G-PAIR", "G-CHAIN", "G-SPREAD",
    ] {
        assert!(
            fired.contains(kind),
            "the data never fires {kind}, so it tests nothing"
        );
    }
}

#[test]
fn a_time_range_bounds_the_hunt() {
    let set = sigma::parse_str(GENERATED_RULES, Path::new("generated.yml"))
        .into_result()
        .unwrap();
    let batches = generated(3, 2000, 500);
    let (all, _) = hunted(
        &set,
        &Placeholders::default(),
        &batches,
        TimeRange::default(),
    );
    let end = all.alerts.iter().map(|a| a.3).max().unwrap();
    let since = T0 + (end - T0) / 2;
    let (half, _) = hunted(
        &set,
        &Placeholders::default(),
        &batches,
        TimeRange {
            since: Some(since),
            until: None,
        },
    );
    assert!(!half.alerts.is_empty() && half.alerts.len() < all.alerts.len());
    assert!(half.alerts.iter().all(|a| a.2 >= since));
}

/// The placeholder lists of the embedded example configuration, which the policy pack's
/// fixtures are written against.
fn example_placeholders() -> Placeholders {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/default-config.toml");
    let config: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut placeholders = Placeholders::default();
    let lists = config["detection"]["placeholders"].as_table().unwrap();
    for (name, values) in lists {
        let values = values.as_array().unwrap();
        placeholders.insert(name, values.iter().map(|v| v.as_str().unwrap().to_owned()));
    }
    placeholders
}

/// Every fixture of the policy pack, with the whole pack loaded and the example
/// configuration's placeholders plus the fixture's own.
#[test]
fn the_policy_pack_hunts_as_it_streams() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let set = sigma::load_path(&dir).into_result().unwrap();
    let fixtures: Vec<(PathBuf, Fixture)> = sanso_detect::fixture::load_fixtures(&dir).unwrap();
    assert!(!fixtures.is_empty(), "the pack has fixtures to replay");
    let mut not_hunted = BTreeSet::new();
    for (path, fixture) in &fixtures {
        let mut placeholders = example_placeholders();
        for (name, values) in &fixture.placeholders {
            placeholders.insert(name, values.iter().cloned());
        }
        let batches = [(fixture.table().unwrap(), fixture.batch().unwrap())];
        let mut stream = streaming(&set, &placeholders, &batches);
        let (hunt, rejected) = hunted(&set, &placeholders, &batches, TimeRange::default());
        // A rule the hunt rejects (with its reason) is left out of the comparison.
        stream.alerts.retain(|a| !rejected.contains(&a.0));
        stream.matches.retain(|(id, _), _| !rejected.contains(id));
        let mut hunt = hunt;
        hunt.matches.retain(|(id, _), _| !rejected.contains(id));
        assert_eq!(
            stream,
            hunt,
            "{}: `{}`: streaming (left) and hunting (right) differ",
            path.display(),
            fixture.fixture
        );
        not_hunted.extend(rejected);
    }
    println!("policy-pack documents not hunted: {not_hunted:?}");
}
