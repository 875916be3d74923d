//! Kafka intake against a real broker (tansu): every message lands in the lake exactly
//! once, whatever point a `kill -9` hits, and when two instances split the partitions of
//! one consumer group through a rebalance.

#[path = "support/kafka.rs"]
mod kafka_support;
mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use kafka_support::{Broker, SMALL_FLUSHES, sshd_line, start_instance};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::{Server, peak_rss_kib, sql_count, sql_rows, wait_until};

const PARTITIONS: i32 = 4;

/// One sshd line per message, all of one day; `i` makes every line distinct.
fn line(i: usize) -> String {
    sshd_line(i, 1)
}

/// Waits until the lake's `auth` table holds at least `n` rows of `topic`; on a
/// shortfall, says per partition what the broker holds and what the lake has, and with
/// `SANSO_TEST_KEEP_LAKE=DIR` copies the lake there to read its flush markers.
fn wait_for_rows(data: &Path, broker: &Broker, topic: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let rows = sql_count(data, "SELECT count(*) FROM auth");
        if rows >= n {
            return;
        }
        if Instant::now() >= deadline {
            let lake = sql_rows(
                data,
                &format!(
                    "SELECT {PARTITION} AS p, count(*), max({OFFSET}) FROM auth \
                     WHERE source LIKE 'kafka:{topic}/%' GROUP BY p ORDER BY p"
                ),
            );
            let gaps = sql_rows(
                data,
                &format!(
                    "SELECT p, o + 1, next - 1 FROM (SELECT {PARTITION} AS p, {OFFSET} AS o, \
                     lead({OFFSET}) OVER (PARTITION BY {PARTITION} ORDER BY {OFFSET}) AS next \
                     FROM auth WHERE source LIKE 'kafka:{topic}/%') WHERE next > o + 1 ORDER BY p, o"
                ),
            );
            let unparsed = sql_count(
                data,
                &format!("SELECT count(*) FROM unparsed WHERE source LIKE 'kafka:{topic}/%'"),
            );
            if let Some(keep) = std::env::var_os("SANSO_TEST_KEEP_LAKE") {
                let _ = std::process::Command::new("cp")
                    .arg("-a")
                    .arg(data)
                    .arg(keep)
                    .status();
            }
            panic!(
                "the lake holds {rows} of {n} rows; the partitions' high watermarks are {:?}, \
                 the lake has (partition, rows, highest offset) {lake:?}, is missing \
                 (partition, first, last) {gaps:?}, and has {unparsed} in `unparsed`",
                broker.high_watermarks(topic, PARTITIONS)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// SQL for the partition of a Kafka row's `source` (`kafka:<topic>/<partition>@<offset>`).
const PARTITION: &str = "split_part(split_part(source, '@', 1), '/', 2)";
/// SQL for the offset of a Kafka row's `source`.
const OFFSET: &str = "CAST(split_part(source, '@', 2) AS BIGINT)";

/// Exactly one row per message: as many rows as messages, each `source` (topic,
/// partition and offset) once, every partition's offsets without a gap.
fn assert_exactly_once(data: &Path, topic: &str, n: u64) {
    assert_eq!(sql_count(data, "SELECT count(*) FROM auth"), n);
    assert_eq!(
        sql_count(data, "SELECT count(DISTINCT source) FROM auth"),
        n,
        "a message was written twice"
    );
    let per_partition = sql_rows(
        data,
        &format!(
            "SELECT {PARTITION} AS p, count(*), max({OFFSET}) \
             FROM auth WHERE source LIKE 'kafka:{topic}/%' GROUP BY p ORDER BY p"
        ),
    );
    assert_eq!(
        per_partition.len(),
        PARTITIONS as usize,
        "{per_partition:?}"
    );
    for row in per_partition {
        let fields: Vec<u64> = row.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(
            fields[1],
            fields[2] + 1,
            "offsets of a partition have a gap: {row}"
        );
    }
}

#[test]
fn kill_9_at_random_points_loses_and_repeats_nothing() {
    const MESSAGES: usize = 24_000;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let broker = Broker::start();
    broker.create_topic("fw", PARTITIONS as u32);
    let member = |name: &str| {
        let dir = dir.path().join(name);
        start_instance(&dir, &data, &broker, "fw", "sanso", "", SMALL_FLUSHES)
    };

    // Messages keep arriving while instances are killed, so that kills hit reads,
    // parses and flushes alike.
    std::thread::scope(|scope| {
        scope.spawn(|| broker.produce("fw", PARTITIONS, MESSAGES, 1_000, line));
        // Seeded, so that a failure can be replayed with the same kill points.
        let mut rng = ChaCha8Rng::seed_from_u64(0x5a45);
        for round in 0..5 {
            let instance = member(&format!("run-{round}"));
            // Once it reads (the group first waits out the killed member's session),
            // let it run a random while: through reads, parses and flushes.
            // (Late rounds may find nothing left to read.)
            let deadline = Instant::now() + Duration::from_secs(15);
            while instance.metric("sanso_kafka_messages_total") == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::thread::sleep(Duration::from_millis(rng.random_range(50..1_500)));
            instance.kill();
        }
    });

    let instance = member("final");
    wait_for_rows(&data, &broker, "fw", MESSAGES as u64);
    // Once assigned, the instance commits the lake's offsets, and librdkafka's
    // statistics turn them into the lag per partition.
    let lag = "sanso_kafka_consumer_lag{partition=\"0\",topic=\"fw\"}";
    let deadline = Instant::now() + Duration::from_secs(60);
    while !instance
        .http_get("/metrics")
        .is_some_and(|body| body.contains(lag))
    {
        assert!(
            Instant::now() < deadline,
            "consumer lag per partition is not exported"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    instance.stop();
    assert_exactly_once(&data, "fw", MESSAGES as u64);
}

/// The partitions `instance` exports a consumer lag for.
fn lagging_partitions(instance: &Server) -> Option<BTreeSet<String>> {
    let body = instance.http_get("/metrics")?;
    Some(
        body.lines()
            .filter_map(|line| line.strip_prefix("sanso_kafka_consumer_lag{partition=\""))
            .filter_map(|rest| rest.split_once('"'))
            .map(|(partition, _)| partition.to_owned())
            .collect(),
    )
}

#[test]
fn two_instances_split_partitions_through_a_rebalance() {
    const MESSAGES: usize = 30_000;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let broker = Broker::start();
    broker.create_topic("proxy", PARTITIONS as u32);

    std::thread::scope(|scope| {
        // Half the messages go out before the second instance joins and half once it
        // has partitions, so each instance has messages to take however slowly it
        // starts. A failure below drops `joined`, and the second half is not sent.
        let (joined, rest) = std::sync::mpsc::channel();
        let broker = &broker;
        scope.spawn(move || {
            broker.produce("proxy", PARTITIONS, MESSAGES / 2, 5_000, line);
            if rest.recv().is_ok() {
                broker.produce("proxy", PARTITIONS, MESSAGES / 2, 5_000, |n| {
                    line(n + MESSAGES / 2)
                });
            }
        });
        let member = |name: &str| {
            let dir = dir.path().join(name);
            start_instance(&dir, &data, broker, "proxy", "pair", "", SMALL_FLUSHES)
        };
        let first = member("a");
        wait_until("the first instance's first message", || {
            first.metric("sanso_kafka_messages_total") > 0
        });
        // The second instance joins mid-stream: the group rebalances and the first
        // gives up half of its partitions.
        let second = member("b");
        wait_until("the second instance's partitions", || {
            second
                .http_get("/metrics")
                .is_some_and(|body| body.contains("sanso_kafka_consumer_lag{"))
        });
        // Each partition's lag is exported by the instance that owns it, and by no
        // other: the first drops the lag of the partitions it gave up.
        wait_until("each partition's lag exported by one instance", || {
            let (Some(a), Some(b)) = (lagging_partitions(&first), lagging_partitions(&second))
            else {
                return false;
            };
            a.is_disjoint(&b) && a.len() + b.len() == PARTITIONS as usize
        });
        joined.send(()).unwrap();
        wait_until("the second instance's first message", || {
            second.metric("sanso_kafka_messages_total") > 0
        });
        // Then the first leaves mid-stream; the second takes its partitions over. (A
        // `kill -9` here is not used: tansu 0.6 keeps a killed dynamic member in the
        // group's assignment after its session ends, and a killed static member
        // (`group.instance.id`) that restarts is never given partitions again, so either
        // way partitions would wait for ever. The crash path is the previous test's.)
        first.stop();
        wait_for_rows(&data, broker, "proxy", MESSAGES as u64);
        second.stop();
    });
    assert_exactly_once(&data, "proxy", MESSAGES as u64);
}

#[test]
fn alerts_are_produced_to_kafka_keyed_by_group() {
    const MESSAGES: usize = 600;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let broker = Broker::start();
    broker.create_topic("auth", 2);
    broker.create_topic("alerts", 1);
    broker.produce("auth", 2, MESSAGES, 100_000, line);
    let sink = format!(
        "[[sinks]]\nkind = \"kafka\"\nbrokers = \"{}\"\ntopic = \"alerts\"\n",
        broker.address()
    );
    let instance = start_instance(
        &dir.path().join("run"),
        &data,
        &broker,
        "auth",
        "s",
        &sink,
        SMALL_FLUSHES,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while sql_count(&data, "SELECT count(*) FROM auth") < MESSAGES as u64 {
        assert!(
            Instant::now() < deadline,
            "the messages did not reach the lake"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let delivered_metric =
        "sanso_alert_sink_messages_total{outcome=\"delivered\",sink=\"kafka:alerts\"}";
    let delivered = {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let body = instance.http_get("/metrics").unwrap_or_default();
            let value = body
                .lines()
                .find_map(|l| l.strip_prefix(delivered_metric))
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(value) = value.filter(|&v| v > 0) {
                break value;
            }
            assert!(Instant::now() < deadline, "no alert was reported delivered");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    instance.stop();

    let in_lake = sql_count(&data, "SELECT count(*) FROM alerts");
    assert!(
        in_lake >= delivered,
        "{in_lake} alerts in the lake, {delivered} delivered"
    );
    let produced = kafka_support::consume_all(
        &broker,
        "alerts",
        in_lake as usize,
        Duration::from_secs(120),
    );
    assert_eq!(
        produced.len() as u64,
        in_lake,
        "every alert reached the topic"
    );
    assert!(
        produced.iter().any(|(key, _)| key.is_some()),
        "alerts grouped by account or address carry their group as key"
    );
    for (key, json) in &produced {
        let alert: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            key.as_deref(),
            alert["group_key"].as_str(),
            "the message key is the group key: {json}"
        );
        assert!(alert["alert_id"].is_string() && alert["severity"].is_string());
    }
}

/// A lake that takes writes slowly holds Kafka intake back, and sanso's memory stays
/// bounded: the consumer stops taking messages once the ingest channel is full, instead
/// of piling up in it whatever the broker holds.
#[test]
fn a_slow_lake_holds_kafka_intake_back_with_bounded_memory() {
    // About 1 KiB per message, 200 MiB in all: far more than the bound below.
    const MESSAGES: usize = 200_000;
    // Measured: 227 MiB with chunks of 64 KiB; 350 MiB with the former 4096 messages.
    const MEMORY_BOUND_KIB: u64 = 320 * 1024;
    // Noise that zstd cannot squeeze, so that the lake's write rate bites.
    let padded = |i: usize| {
        let mut state = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let noise: String = (0..900)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + (state % 90) as u8)
            })
            .collect();
        format!("{} {noise}", line(i))
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let broker = Broker::start();
    broker.create_topic("bulk", 2);
    broker.produce("bulk", 2, MESSAGES, usize::MAX, padded);

    let instance = start_instance(
        &dir.path().join("run"),
        &data,
        &broker,
        "bulk",
        "sanso",
        "",
        &[
            (
                "max_write_kib_per_second = 0",
                "max_write_kib_per_second = 256",
            ),
            ("flush_rows = 65536", "flush_rows = 20000"),
        ],
    );
    // Intake fills the channel, then stalls behind the lake.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut taken = 0;
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = instance.metric("sanso_kafka_messages_total");
        if now > 0 && now == taken {
            break;
        }
        taken = now;
        assert!(Instant::now() < deadline, "Kafka intake never stalled");
    }
    let peak = peak_rss_kib(instance.child.id());
    eprintln!("{taken} of {MESSAGES} messages taken; peak RSS {peak} KiB");
    assert!(
        taken < MESSAGES as u64 / 2,
        "{taken} of {MESSAGES} messages taken in: intake was not held back"
    );
    assert!(
        peak < MEMORY_BOUND_KIB,
        "peak RSS {peak} KiB, bound {MEMORY_BOUND_KIB} KiB"
    );
    instance.kill();
}
