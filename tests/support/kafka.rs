//! A real Kafka-protocol broker for the tests (tansu, in-memory storage), producers that
//! feed it, and `sanso run` instances that consume from it into a shared lake.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};

use crate::support::{Server, free_port};

/// The tansu binary: `$TANSU`, else where `cargo install` puts it, else from `PATH`
/// (`tests/install-prerequisites` installs it).
fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU") {
        return PathBuf::from(path);
    }
    let installed = std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin/tansu"));
    installed
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("tansu"))
}

/// A tansu broker on a free loopback port, killed when dropped.
pub struct Broker {
    child: Child,
    port: u16,
}

impl Broker {
    /// Starts a broker with in-memory storage and waits until it accepts connections.
    pub fn start() -> Broker {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(tansu_binary())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tansu (tests/install-prerequisites installs it)");
        let broker = Broker { child, port };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }

    /// `host:port`, as a client's `bootstrap.servers`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates `topic` with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let status = Command::new(tansu_binary())
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://127.0.0.1:{}", self.port),
                "--partitions",
                &partitions.to_string(),
                topic,
            ])
            .stdout(Stdio::null())
            .status()
            .expect("running tansu topic create");
        assert!(status.success(), "creating topic {topic} failed: {status}");
    }

    /// Produces `count` lines made by `line` to `topic`, round robin over `partitions`,
    /// `per_second` at most; returns once every message is acknowledged, and panics if
    /// the broker refused any.
    pub fn produce(
        &self,
        topic: &str,
        partitions: i32,
        count: usize,
        per_second: usize,
        line: impl Fn(usize) -> String,
    ) {
        // One message per record batch: tansu 0.6 answers a fetch that starts inside a
        // batch with the batches after it (its dynostore keeps batches by base offset and
        // lists those at or past the fetch offset), so a consumer resuming mid-batch would
        // never see the rest of that batch. Kafka itself returns the whole batch. sanso
        // counts such holes (`sanso_kafka_skipped_offsets_total`); these tests are about
        // sanso's own exactly-once, so every offset here starts a batch.
        let producer: ThreadedProducer<Deliveries> = ClientConfig::new()
            .set("bootstrap.servers", self.address())
            .set("linger.ms", "0")
            .set("batch.num.messages", "1")
            .create_with_context(Deliveries::default())
            .expect("creating a producer");
        let started = Instant::now();
        for i in 0..count {
            let payload = line(i);
            let partition = (i % partitions as usize) as i32;
            let mut record = BaseRecord::<(), _>::to(topic)
                .payload(&payload)
                .partition(partition);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, returned)) => {
                        // The local queue is full: let deliveries drain it.
                        std::thread::sleep(Duration::from_millis(5));
                        record = returned;
                    }
                }
            }
            let due = Duration::from_secs_f64((i + 1) as f64 / per_second as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        producer
            .flush(Duration::from_secs(60))
            .expect("every message delivered");
        let failures = producer.context().failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "the broker refused {} of {count} messages, first: {}",
            failures.len(),
            failures[0]
        );
    }

    /// The high watermark of each partition of `topic`: one past its last offset.
    pub fn high_watermarks(&self, topic: &str, partitions: i32) -> Vec<i64> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.address())
            .create()
            .expect("creating a consumer");
        (0..partitions)
            .map(|partition| {
                let (_, high) = consumer
                    .fetch_watermarks(topic, partition, Duration::from_secs(10))
                    .expect("reading a partition's watermarks");
                high
            })
            .collect()
    }
}

/// Records the deliveries the broker refused; `flush` alone reports only a timeout.
#[derive(Default)]
pub struct Deliveries {
    failures: Mutex<Vec<String>>,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((err, _)) = result {
            self.failures.lock().unwrap().push(err.to_string());
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The small flushes most Kafka tests run with, so that a kill lands between flushes as
/// often as inside one: an edit to the example configuration for [`start_instance`].
pub const SMALL_FLUSHES: &[(&str, &str)] = &[("flush_rows = 65536", "flush_rows = 700")];

/// Starts a `sanso run` that reads `topic` in consumer group `group` into the lake at
/// `data`, which other instances may share; its configuration goes to `dir`. `extra`
/// is appended to the configuration (e.g. an alert sink), and `edits` change the
/// example configuration's lines (e.g. [`SMALL_FLUSHES`]).
pub fn start_instance(
    dir: &Path,
    data: &Path,
    broker: &Broker,
    topic: &str,
    group: &str,
    extra: &str,
    edits: &[(&str, &str)],
) -> Server {
    let source = kafka_source(broker, topic, group, extra);
    Server::start_on_lake(dir, data, &source, &[], edits, &[])
}

/// One sshd line per message, dated Nov 20 and a day more for each of `days` past the
/// first; `i` makes every line distinct.
pub fn sshd_line(i: usize, days: usize) -> String {
    format!(
        "<38>Nov {} 09:{:02}:{:02} srv-core01 sshd[{}]: Failed password for user{} from 10.20.1.{} port {} ssh2",
        20 + i % days,
        (i / 60) % 60,
        i % 60,
        1000 + i % 5000,
        i % 97,
        1 + i % 200,
        20000 + i % 40000
    )
}

/// The configuration of a Kafka source reading `topic` in consumer group `group`, with
/// `extra` after it.
pub fn kafka_source(broker: &Broker, topic: &str, group: &str, extra: &str) -> String {
    format!(
        r#"
[[sources]]
kind = "kafka"
brokers = "{brokers}"
topics = ["{topic}"]
group = "{group}"
# A killed instance leaves the group after this long, so the tests do not wait for
# librdkafka's 45 s default.
kafka_options = {{ "session.timeout.ms" = "6000", "heartbeat.interval.ms" = "500" }}
{extra}
"#,
        brokers = broker.address(),
    )
}

/// Every message of `topic` (one partition) from the beginning, as (key, value), once
/// `count` have arrived or `timeout` has passed.
pub fn consume_all(
    broker: &Broker,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<(Option<String>, String)> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    use rdkafka::{Offset, TopicPartitionList};

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("group.id", "sanso-test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("creating a consumer");
    let mut partitions = TopicPartitionList::new();
    partitions
        .add_partition_offset(topic, 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&partitions).unwrap();
    let mut messages = Vec::new();
    let deadline = Instant::now() + timeout;
    while messages.len() < count && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => messages.push((
                message
                    .key()
                    .map(|k| String::from_utf8_lossy(k).into_owned()),
                String::from_utf8_lossy(message.payload().unwrap_or_default()).into_owned(),
            )),
            Some(Err(err)) => panic!("consuming {topic}: {err}"),
            None => {}
        }
    }
    messages
}
