//! Detection: 100 Sigma rules (90 stateless: equality, contains, regex and CIDR; 10
//! correlations) over the same firewall events, in sanso's vectorised engine and in
//! rsigma, the row-at-a-time Rust Sigma evaluator (`rsigma-eval` 0.23, the library
//! behind the `rsigma` CLI).
//!
//! * `sanso/stateless`: `Detector::evaluate_with` over record batches of
//!   [`BATCH_ROWS`] rows, as the ingest thread calls it: the 90 stateless rules.
//! * `rsigma/stateless`: `Engine::evaluate` per event, each event a JSON object
//!   already built (its construction is not timed): the same 90 rules.
//! * `sanso/all`: `Engine::process` (detection, correlation windows, alerts) over the
//!   batches with all 100 rules, state fresh for each pass.
//! * `rsigma/all`: `CorrelationEngine::process_event_at` per event with all 100 rules.
//! * `sanso/stateless-10M`: the 90 stateless rules over [`LARGE_EVENTS`] events (the
//!   corpus and its continuation from the same generator), to show the rate holds over
//!   a corpus far larger than the caches. rsigma is not run on it: its prebuilt JSON
//!   events would not fit in memory.
//!
//! Before timing, both contenders must agree on how many events each stateless rule
//! matches, so that the ratio compares the same work. Throughput is in events.
//!
//! With `SANSO_BENCH_CLOCK=cpu` the runs are timed in the benchmark thread's CPU time
//! (the group is then `detection-cpu`), as the parser benches do: that is the cost
//! per core, which a busy 2-core machine would otherwise hide.

mod clock;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use rsigma_eval::{CorrelationConfig, CorrelationEngine, JsonEvent};
use rsigma_parser::parse_sigma_yaml;
use sanso_detect::{Detector, Engine, EngineConfig, FieldMapping, Placeholders, sigma};
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use serde_json::{Value, json};

/// Events in the corpus.
const EVENTS: usize = 131_072;
/// Events in the large corpus: 10 M, in whole chunks of [`EVENTS`].
const LARGE_EVENTS: usize = 77 * EVENTS;
/// Rows per record batch, as sanso's ingest builds them.
const BATCH_ROWS: usize = 8192;
/// First event time, 2025-11-20T00:00:00Z, seconds.
const T0_SECS: i64 = 1_763_596_800;

/// A deterministic generator (64-bit LCG), so every run sees the same events.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
}

/// One event, as plain values both contenders are fed from.
struct Row {
    time_secs: i64,
    src_ip: String,
    dst_ip: String,
    dst_port: u16,
    action: &'static str,
    protocol: &'static str,
    application: String,
    rule_name: String,
    threat: Option<String>,
    bytes_out: u64,
}

/// `count` events from `rng`, the first one the `first`-th of its corpus.
fn rows(rng: &mut Lcg, first: usize, count: usize) -> Vec<Row> {
    const ACTIONS: [&str; 4] = ["allow", "allow", "deny", "drop"];
    const PROTOCOLS: [&str; 3] = ["tcp", "udp", "icmp"];
    const PORTS: [u16; 10] = [22, 53, 80, 123, 443, 445, 3389, 8080, 8443, 50000];
    const THREATS: [&str; 5] = ["trojan", "worm", "scanner", "exploit", "botnet"];
    (first..first + count)
        .map(|i| Row {
            time_secs: T0_SECS + (i / 4) as i64,
            src_ip: format!(
                "10.{}.{}.{}",
                rng.next() % 4,
                rng.next() % 8,
                rng.next() % 64
            ),
            dst_ip: format!(
                "10.{}.{}.{}",
                rng.next() % 40,
                rng.next() % 4,
                rng.next() % 250
            ),
            dst_port: PORTS[rng.next() % PORTS.len()],
            action: ACTIONS[rng.next() % ACTIONS.len()],
            protocol: PROTOCOLS[rng.next() % PROTOCOLS.len()],
            application: format!("app-{}", rng.next() % 60),
            rule_name: format!("policy-{}", rng.next() % 50),
            threat: rng.next().is_multiple_of(10).then(|| {
                format!(
                    "{}.{}{}",
                    THREATS[rng.next() % THREATS.len()],
                    ["gen", "x", "win"][rng.next() % 3],
                    rng.next() % 40
                )
            }),
            bytes_out: (rng.next() % 100_000) as u64,
        })
        .collect()
}

/// The 90 stateless rules: 30 equality, 25 contains, 20 regex, 15 CIDR.
fn stateless_rules() -> String {
    let mut docs = Vec::new();
    let mut rule = |n: usize, detection: String| {
        docs.push(format!(
            "title: bench rule {n}\nid: B-{n:03}\nname: b{n:03}\nlogsource: {{category: firewall}}\n\
             detection:\n{detection}  condition: sel\n"
        ));
    };
    for i in 0..30 {
        let detection = match i % 3 {
            0 => format!("  sel:\n    action: deny\n    rule_name: policy-{i}\n"),
            1 => format!(
                "  sel:\n    application: app-{i}\n    dst_port: {}\n",
                [22, 443, 3389][i % 3]
            ),
            _ => format!("  sel:\n    rule_name: [policy-{i}, policy-{}]\n", i + 10),
        };
        rule(i, detection);
    }
    for i in 0..25 {
        let detection = match i % 2 {
            0 => format!(
                "  sel:\n    threat|contains: ['.gen{i}', '.win{}']\n",
                i + 1
            ),
            _ => format!(
                "  sel:\n    application|contains: 'p-{}'\n    action: allow\n",
                i + 20
            ),
        };
        rule(30 + i, detection);
    }
    for i in 0..20 {
        let detection = match i % 2 {
            0 => format!("  sel:\n    threat|re: '^(trojan|worm)\\.x{i}[0-9]?$'\n"),
            _ => format!(
                "  sel:\n    application|re: '^app-{}[0-9]$'\n    protocol: udp\n",
                i % 6
            ),
        };
        rule(55 + i, detection);
    }
    for i in 0..15 {
        rule(
            75 + i,
            format!(
                "  sel:\n    dst_ip|cidr: ['10.{}.0.0/16', '10.{}.2.0/24']\n    action: [deny, drop]\n",
                i,
                i + 20
            ),
        );
    }
    docs.join("---\n")
}

/// The 10 correlations, over the stateless rules.
fn correlations() -> String {
    let mut docs = Vec::new();
    for i in 0..10 {
        let (kind, condition) = match i % 3 {
            0 => ("event_count", "{gte: 20}".to_owned()),
            1 => ("value_count", "{field: dst_port, gte: 4}".to_owned()),
            _ => ("event_count", "{gte: 50}".to_owned()),
        };
        docs.push(format!(
            "title: bench correlation {i}\nid: C-{i:02}\ncorrelation:\n  type: {kind}\n  \
             rules: [b{:03}, b{:03}]\n  group-by: [src_ip]\n  timespan: 5m\n  condition: {condition}\n",
            75 + i,
            i * 3
        ));
    }
    docs.join("---\n")
}

fn batches(rows: &[Row]) -> Vec<arrow::array::RecordBatch> {
    let mut batches = Batches::new(Arc::new(ZoneMap::default()));
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let time = row.time_secs * 1_000_000;
        let raw = format!("{} {} {}", row.action, row.src_ip, row.dst_ip);
        let common = Common {
            time,
            received_at: time,
            zone: None,
            device: Some("fw1"),
            format: Some("bench"),
            source: "bench",
            raw: &raw,
            raw_bytes: None,
        };
        let event = NetworkEvent {
            time: Some(time),
            src_ip: Some(&row.src_ip),
            dst_ip: Some(&row.dst_ip),
            dst_port: Some(row.dst_port),
            action: Some(row.action),
            protocol: Some(row.protocol),
            app: Some(&row.application),
            rule: Some(&row.rule_name),
            threat_name: row.threat.as_deref(),
            bytes_out: Some(row.bytes_out),
            ..NetworkEvent::default()
        };
        batches.push(&common, &Event::Network(event));
        if (i + 1) % BATCH_ROWS == 0 {
            out.extend(batches.finish().into_iter().map(|(_, b)| b));
        }
    }
    out.extend(batches.finish().into_iter().map(|(_, b)| b));
    out
}

fn json_events(rows: &[Row]) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let mut event = json!({
                "src_ip": row.src_ip,
                "dst_ip": row.dst_ip,
                "dst_port": row.dst_port,
                "action": row.action,
                "protocol": row.protocol,
                "application": row.application,
                "rule_name": row.rule_name,
                "bytes_out": row.bytes_out,
            });
            if let Some(threat) = &row.threat {
                event["threat"] = json!(threat);
            }
            event
        })
        .collect()
}

fn sanso_detector(text: &str) -> Detector {
    let set = sigma::parse_str(text, Path::new("bench.yml"))
        .into_result()
        .expect("bench rules load in sanso");
    Detector::compile(&set, &FieldMapping::default(), &Placeholders::default())
        .expect("bench rules compile in sanso")
}

/// Matches per rule id, for the cross-check.
fn sanso_counts(
    detector: &Detector,
    batches: &[arrow::array::RecordBatch],
) -> Vec<(String, usize)> {
    let mut counts = vec![0; detector.rules().len()];
    for batch in batches {
        for m in detector.evaluate(Table::Network, batch).unwrap() {
            counts[m.rule] += m.rows.len();
        }
    }
    let mut out: Vec<_> = detector
        .rules()
        .iter()
        .zip(counts)
        .map(|(r, n)| (r.meta.rule_id().to_owned(), n))
        .collect();
    out.sort();
    out
}

fn rsigma_counts(engine: &rsigma_eval::Engine, events: &[Value]) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for event in events {
        for m in engine.evaluate(&JsonEvent::borrow(event)) {
            *counts
                .entry(m.header.rule_id.unwrap_or_default())
                .or_insert(0) += 1;
        }
    }
    (0..90)
        .map(|n| {
            let id = format!("B-{n:03}");
            let count = counts.get(&id).copied().unwrap_or(0);
            (id, count)
        })
        .collect()
}

/// The record batches of [`LARGE_EVENTS`] events, built a chunk at a time so that the
/// plain rows of only one chunk are in memory at once.
fn large_batches() -> Vec<arrow::array::RecordBatch> {
    let mut rng = Lcg(7);
    (0..LARGE_EVENTS / EVENTS)
        .flat_map(|chunk| batches(&rows(&mut rng, chunk * EVENTS, EVENTS)))
        .collect()
}

fn detection<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let rows = rows(&mut Lcg(7), 0, EVENTS);
    let batches = batches(&rows);
    let events = json_events(&rows);
    let stateless = stateless_rules();
    let all = format!("{stateless}---\n{}", correlations());

    let detector = sanso_detector(&stateless);
    let mut scratch = detector.scratch();
    let mut rsigma = rsigma_eval::Engine::new();
    rsigma
        .add_collection(&parse_sigma_yaml(&stateless).expect("bench rules parse in rsigma"))
        .expect("bench rules compile in rsigma");
    let sanso_matches = sanso_counts(&detector, &batches);
    assert_eq!(
        sanso_matches,
        rsigma_counts(&rsigma, &events),
        "sanso and rsigma disagree on the matches per rule"
    );
    let matched: usize = sanso_matches.iter().map(|(_, n)| n).sum();
    println!("detection bench: {EVENTS} events, 90 stateless rules, {matched} matches");

    let all_detector = Arc::new(sanso_detector(&all));
    let all_collection = parse_sigma_yaml(&all).expect("bench correlations parse in rsigma");

    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("sanso/stateless", |b| {
        b.iter(|| {
            for batch in &batches {
                black_box(
                    detector
                        .evaluate_with(Table::Network, batch, &mut scratch)
                        .unwrap(),
                );
            }
        })
    });
    group.bench_function("rsigma/stateless", |b| {
        b.iter(|| {
            for event in &events {
                black_box(rsigma.evaluate(&JsonEvent::borrow(event)));
            }
        })
    });
    group.bench_function("sanso/all", |b| {
        b.iter(|| {
            let mut engine = Engine::new(all_detector.clone(), EngineConfig::default());
            for batch in &batches {
                black_box(engine.process(Table::Network, batch).unwrap());
            }
        })
    });
    group.bench_function("rsigma/all", |b| {
        b.iter(|| {
            let mut engine = CorrelationEngine::new(CorrelationConfig::default());
            engine.add_collection(&all_collection).unwrap();
            for (event, row) in events.iter().zip(&rows) {
                black_box(engine.process_event_at(&JsonEvent::borrow(event), row.time_secs));
            }
        })
    });
    drop((events, rows));
    let large = large_batches();
    group.throughput(Throughput::Elements(LARGE_EVENTS as u64));
    group.bench_function("sanso/stateless-10M", |b| {
        b.iter(|| {
            for batch in &large {
                black_box(
                    detector
                        .evaluate_with(Table::Network, batch, &mut scratch)
                        .unwrap(),
                );
            }
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

/// What `criterion_main!` does, with the clock chosen at run time.
fn main() {
    if clock::cpu_clock_requested() {
        let mut c = config()
            .with_measurement(clock::ThreadCpuTime)
            .configure_from_args();
        detection(&mut c, "detection-cpu");
        c.final_summary();
    } else {
        let mut c = config().configure_from_args();
        detection(&mut c, "detection");
        c.final_summary();
    }
}
