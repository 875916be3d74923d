//! Kafka topics read by a consumer group, written into the lake exactly once.
//!
//! Each message value is one log line; it goes through the same parsers as a syslog or
//! file line, and its `source` column reads `kafka:<topic>/<partition>@<offset>`.
//!
//! # Exactly once
//!
//! The lake, not the consumer group, is the record of what has been read:
//!
//! - every flush that holds Kafka rows writes, into the key-value metadata of each of its
//!   files, the flush's id, how many files it wrote and the offset ranges it covers
//!   (see [`sanso_query::lake::offsets`]);
//! - when partitions are assigned (at start, and at every rebalance), the footers are
//!   read: each partition resumes one past the highest offset of the flushes that are
//!   complete, and the visible files of a flush a crash cut short are deleted first, since
//!   their messages are about to be read again;
//! - the consumer-group offset is committed only from offsets the lake already holds, so
//!   it can trail the lake but never lead it (it serves lag monitoring, not resumption);
//! - before partitions are revoked, every message already taken from them is flushed to
//!   the lake, so the next owner resumes exactly where this instance stopped.
//!
//! The consumer runs on a thread of its own: librdkafka calls the rebalance callback on
//! the thread that polls, and the callback blocks until the ingest thread has flushed.
//!
//! Instances that share a lake must use the eager rebalance protocol (sanso sets it):
//! every partition is revoked, and flushed, before any is assigned again, so an
//! unfinished flush that names a newly assigned partition can only be a dead one.
//!
//! # Skipped offsets
//!
//! Exactly once holds for what the broker delivers. A partition's offsets can have holes
//! that are not sanso's to fill (records removed by retention or log compaction,
//! transaction markers), and a broker can also fail to deliver records it holds: tansu
//! 0.6, for one, answers a fetch that starts inside a record batch with the batches after
//! it. Every offset a partition skips, after the offset it was assigned at or the last
//! message read, is counted in `sanso_kafka_skipped_offsets_total{topic,partition}` and
//! logged, so that a hole in the evidence is never silent.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use parquet::file::metadata::KeyValue;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext};
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use sanso_query::lake::LakeLocation;
use sanso_query::lake::offsets::{FlushMarker, Ledger, OffsetRanges};

use super::{Chunk, Message, Sender};
use crate::causes::Causes;
use crate::config::KafkaSource;
use crate::metrics::Metrics;

/// Longest a poll waits for a message before buffered ones are sent on.
const POLL: Duration = Duration::from_millis(100);

/// Bytes of messages buffered on the consumer thread before they are sent to the ingest
/// thread: about one socket read, so that the ingest channel's bound in chunks bounds its
/// memory for Kafka too. Chunks of 4096 messages once let a consumer that outran ingest
/// hold 900 MiB in the channel.
const CHUNK_BYTES: usize = 64 * 1024;

/// How often offsets the lake holds are committed to the consumer group.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);

/// How long to wait before reading the lake's offsets again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Offsets the lake holds, published by the ingest thread after each flush and committed
/// to the consumer group by the consumer threads.
#[derive(Debug, Default)]
pub struct LakeOffsets {
    /// The next offset to read of each partition, by topic and partition.
    next: Mutex<BTreeMap<(String, i32), i64>>,
}

impl LakeOffsets {
    fn publish(&self, flushed: &OffsetRanges) {
        let mut next = self.next.lock().expect("lake offsets lock");
        for (topic, partition, last) in flushed.highest() {
            let entry = next.entry((topic.to_owned(), partition)).or_insert(0);
            *entry = (*entry).max(last + 1);
        }
    }

    /// Records where assigned partitions resume, as read from the lake, so that their
    /// group offsets follow the lake before this instance has flushed anything.
    fn seed(&self, resume: &BTreeMap<(String, i32), i64>) {
        let mut next = self.next.lock().expect("lake offsets lock");
        for (key, &offset) in resume {
            let entry = next.entry(key.clone()).or_insert(0);
            *entry = (*entry).max(offset);
        }
    }

    /// The offsets of `partitions` the lake holds, to commit.
    fn for_partitions(&self, partitions: &TopicPartitionList) -> TopicPartitionList {
        let next = self.next.lock().expect("lake offsets lock");
        let mut list = TopicPartitionList::new();
        for element in partitions.elements() {
            let key = (element.topic().to_owned(), element.partition());
            if let Some(&offset) = next.get(&key) {
                // The offset is valid: it came from the lake.
                let _ = list.add_partition_offset(&key.0, key.1, Offset::Offset(offset));
            }
        }
        list
    }
}

/// The Kafka offsets one flush covers, kept by the ingest thread: they become the flush's
/// [`FlushMarker`] and, once its files are visible, are published to the consumers.
#[derive(Debug)]
pub struct FlushOffsets {
    pending: OffsetRanges,
    lake: Arc<LakeOffsets>,
    /// Names flushes uniquely across instances sharing a lake.
    instance: String,
    sequence: u64,
}

impl FlushOffsets {
    /// Offsets recorded by the ingest thread, published to `lake`.
    pub fn new(lake: Arc<LakeOffsets>) -> Self {
        let started = chrono::Utc::now().timestamp_micros();
        FlushOffsets {
            pending: OffsetRanges::default(),
            lake,
            instance: format!("{:x}-{started:x}", std::process::id()),
            sequence: 0,
        }
    }

    /// Notes that the messages `first..=last` of a partition were ingested.
    pub fn consumed(&mut self, topic: &str, partition: i32, first: i64, last: i64) {
        self.pending.insert(topic, partition, first, last);
    }

    /// Takes the offsets of the flush about to write `files` files, as the key-value
    /// metadata its files carry; nothing when the flush covers no message or writes no
    /// file (the offsets then wait for the next flush).
    pub fn take(&mut self, files: usize) -> Option<(OffsetRanges, KeyValue)> {
        if self.pending.is_empty() || files == 0 {
            return None;
        }
        self.sequence += 1;
        let offsets = std::mem::take(&mut self.pending);
        let id = format!("{}-{}", self.instance, self.sequence);
        let marker = FlushMarker::new(id, files, offsets.clone());
        Some((offsets, marker.key_value()))
    }

    /// Puts back offsets whose flush failed before any file appeared.
    pub fn restore(&mut self, offsets: &OffsetRanges) {
        self.pending.union(offsets);
    }

    /// Publishes offsets whose flush is now visible in the lake.
    pub fn committed(&self, offsets: &OffsetRanges) {
        self.lake.publish(offsets);
    }
}

/// The Kafka metrics: messages taken in, offsets skipped and consumer lag.
#[derive(Clone)]
pub struct KafkaMetrics {
    messages: IntCounterVec,
    skipped: IntCounterVec,
    lag: IntGaugeVec,
}

impl KafkaMetrics {
    /// Registers `sanso_kafka_messages_total{topic}`,
    /// `sanso_kafka_skipped_offsets_total{topic,partition}` and
    /// `sanso_kafka_consumer_lag{topic,partition}`.
    pub fn register(metrics: &Metrics) -> anyhow::Result<Self> {
        let kafka = KafkaMetrics {
            messages: IntCounterVec::new(
                Opts::new(
                    "sanso_kafka_messages_total",
                    "Kafka messages consumed, per topic",
                ),
                &["topic"],
            )?,
            skipped: IntCounterVec::new(
                Opts::new(
                    "sanso_kafka_skipped_offsets_total",
                    "Offsets of a partition the broker did not deliver: removed by retention or \
                     compaction, transaction markers, or lost by the broker",
                ),
                &["topic", "partition"],
            )?,
            lag: IntGaugeVec::new(
                Opts::new(
                    "sanso_kafka_consumer_lag",
                    "Messages in a partition not yet in the lake: high watermark minus the committed offset",
                ),
                &["topic", "partition"],
            )?,
        };
        metrics.register(Box::new(kafka.messages.clone()))?;
        metrics.register(Box::new(kafka.skipped.clone()))?;
        metrics.register(Box::new(kafka.lag.clone()))?;
        Ok(kafka)
    }
}

/// What a consumer thread needs besides its configuration.
pub struct Consumer {
    /// The source's configuration.
    pub source: KafkaSource,
    /// The input index of each topic, in topic order.
    pub inputs: Vec<usize>,
    /// The lake (a folder or an object-store prefix), whose footers say where to resume.
    pub data: LakeLocation,
    /// Offsets the lake holds, filled by the ingest thread.
    pub lake: Arc<LakeOffsets>,
    /// The Kafka metrics.
    pub metrics: KafkaMetrics,
}

impl Consumer {
    /// Joins the consumer group and reads until `stop` is set; on the way out every
    /// message taken is flushed and its offset committed.
    pub fn run(self, tx: Sender, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let Consumer {
            source,
            inputs,
            data,
            lake,
            metrics,
        } = self;
        let topics: Vec<&str> = source.topics.iter().map(|t| t.name.as_str()).collect();
        let context = Context {
            data,
            tx,
            lake,
            metrics,
            inputs: topics.iter().map(|t| (*t).to_owned()).zip(inputs).collect(),
            buffer: Mutex::new(Buffer::default()),
            assigned: Mutex::default(),
            stop: stop.clone(),
        };
        let consumer: BaseConsumer<Context> =
            client_config(&source)
                .create_with_context(context)
                .with_context(|| format!("creating a Kafka consumer for {}", source.brokers))?;
        consumer
            .subscribe(&topics)
            .with_context(|| format!("subscribing to {}", topics.join(", ")))?;
        tracing::info!(brokers = %source.brokers, group = %source.group, topics = ?topics, "consuming Kafka");

        let mut last_commit = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            match consumer.poll(POLL) {
                Some(Ok(message)) => {
                    if consumer.context().take(&message) >= CHUNK_BYTES {
                        consumer.context().send_buffered();
                    }
                }
                Some(Err(err)) => tracing::warn!(%err, "Kafka consumer error"),
                None => consumer.context().send_buffered(),
            }
            if last_commit.elapsed() >= COMMIT_INTERVAL {
                commit(&consumer, CommitMode::Async);
                last_commit = Instant::now();
            }
        }
        let context = consumer.context();
        context.send_buffered();
        context.flush_lake();
        commit(&consumer, CommitMode::Sync);
        // Dropping the consumer leaves the group; the revoke callback it runs finds
        // nothing left to flush.
        Ok(())
    }
}

/// How long librdkafka waits before fetching again for a partition whose prefetched
/// messages were over its queue thresholds. With librdkafka's default, a second, a
/// consumer that keeps its queue full runs it dry before the next fetch: in the Kafka
/// bench sanso waited about 185 ms of every second for messages. The queue's 100,000
/// messages last 100 ms even at a million messages a second, five times this wait.
const FETCH_QUEUE_BACKOFF_MS: &str = "20";

/// The librdkafka settings of a source's consumer: sanso's tuning, which `kafka_options`
/// may override; then those options; then the settings exactly-once depends on, which
/// they may not.
fn client_config(source: &KafkaSource) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS);
    for (key, value) in &source.options {
        config.set(key, value);
    }
    config
        .set("bootstrap.servers", &source.brokers)
        .set("group.id", &source.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // Eager: see the module docs.
        .set("partition.assignment.strategy", "range")
        .set("statistics.interval.ms", "5000");
    config
}

/// Commits the offsets the lake holds of the partitions assigned now.
fn commit(consumer: &BaseConsumer<Context>, mode: CommitMode) {
    let Ok(assignment) = consumer.assignment() else {
        return;
    };
    let offsets = consumer.context().lake.for_partitions(&assignment);
    if offsets.count() == 0 {
        return;
    }
    if let Err(err) = consumer.commit(&offsets, mode) {
        tracing::warn!(%err, "committing Kafka offsets failed; the lake still has them");
    }
}

/// Messages taken from the consumer and not yet sent to the ingest thread.
#[derive(Default)]
struct Buffer {
    /// One chunk per input and partition, so that a chunk's offsets are one partition's.
    chunks: HashMap<(usize, i32), Chunk>,
    bytes: usize,
    next: NextOffsets,
}

/// The offset each assigned partition should deliver next, to notice the ones it skips.
#[derive(Debug, Default)]
struct NextOffsets(HashMap<(usize, i32), i64>);

impl NextOffsets {
    /// Expects a partition's next message at `offset`, where it was assigned.
    fn expect(&mut self, input: usize, partition: i32, offset: i64) {
        self.0.insert((input, partition), offset);
    }

    /// Notes that a partition delivered `offset`; returns how many offsets it skipped
    /// before it. The first message of a partition assigned without a known offset
    /// skips nothing.
    fn delivered(&mut self, input: usize, partition: i32, offset: i64) -> i64 {
        let next = self.0.insert((input, partition), offset + 1);
        next.map_or(0, |next| (offset - next).max(0))
    }

    /// Forgets every partition, as they are revoked.
    fn clear(&mut self) {
        self.0.clear();
    }
}

struct Context {
    data: LakeLocation,
    tx: Sender,
    lake: Arc<LakeOffsets>,
    metrics: KafkaMetrics,
    /// The input index of each topic.
    inputs: HashMap<String, usize>,
    buffer: Mutex<Buffer>,
    /// The partitions assigned here, whose lag this instance exports: librdkafka goes on
    /// reporting a lag for partitions it gave up.
    assigned: Mutex<HashSet<(String, i32)>>,
    stop: Arc<AtomicBool>,
}

impl Context {
    /// Buffers one message; returns how many bytes are buffered.
    fn take(&self, message: &BorrowedMessage<'_>) -> usize {
        let Some(&input) = self.inputs.get(message.topic()) else {
            return 0;
        };
        let partition = message.partition();
        let mut buffer = self.buffer.lock().expect("kafka buffer lock");
        let chunk = buffer.chunks.entry((input, partition)).or_insert_with(|| {
            let mut chunk = Chunk::new(input, None);
            chunk.kafka_partition = Some(partition);
            chunk
        });
        // An empty or missing value is still a message: it becomes an `unparsed` row
        // rather than vanishing, and its offset is covered like any other.
        let value = message.payload().unwrap_or_default();
        let line = value.strip_suffix(b"\n").unwrap_or(value);
        chunk.push(line);
        chunk.line_numbers.push(message.offset() as u64);
        buffer.bytes += line.len();
        let skipped = buffer.next.delivered(input, partition, message.offset());
        if skipped > 0 {
            self.skipped(message.topic(), partition, message.offset(), skipped);
        }
        buffer.bytes
    }

    /// Counts and logs offsets a partition did not deliver before `offset`.
    fn skipped(&self, topic: &str, partition: i32, offset: i64, skipped: i64) {
        self.metrics
            .skipped
            .with_label_values(&[topic, &partition.to_string()])
            .inc_by(skipped.unsigned_abs());
        tracing::warn!(
            topic,
            partition,
            first = offset - skipped,
            last = offset - 1,
            "the broker did not deliver these offsets (retention, compaction, transaction \
             markers, or a broker fault); they are not in the lake"
        );
    }

    /// Sends the buffered chunks to the ingest thread, waiting for room.
    fn send_buffered(&self) {
        let chunks = {
            let mut buffer = self.buffer.lock().expect("kafka buffer lock");
            buffer.bytes = 0;
            std::mem::take(&mut buffer.chunks)
        };
        for ((input, _), chunk) in chunks {
            let topic = self
                .inputs
                .iter()
                .find_map(|(t, &i)| (i == input).then_some(t.as_str()))
                .unwrap_or_default();
            self.metrics
                .messages
                .with_label_values(&[topic])
                .inc_by(chunk.lines.len() as u64);
            if self.tx.blocking_send(Message::Lines(chunk)).is_err() {
                return;
            }
        }
    }

    /// Waits until every message sent so far is in the lake (or the write failed).
    fn flush_lake(&self) {
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        if self.tx.blocking_send(Message::Flush(done)).is_err() {
            return;
        }
        match wait.recv() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(
                "flushing Kafka messages before a rebalance failed; the next owner of the \
                 partitions may read some of them again: {err}"
            ),
            Err(_) => tracing::error!("the ingest thread stopped before flushing Kafka messages"),
        }
    }

    /// Sets where each assigned partition resumes: one past the highest offset the lake
    /// holds, after removing what unfinished flushes left of those partitions.
    fn resume(&self, assignment: &mut TopicPartitionList) {
        let assigned: HashSet<(String, i32)> = assignment
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        let next = loop {
            match read_resume_offsets(&self.data, &assigned) {
                Ok(next) => break next,
                Err(err) if !self.stop.load(Ordering::Relaxed) => {
                    tracing::error!(
                        "reading Kafka offsets from the lake failed; retrying: {}",
                        Causes(&err)
                    );
                    std::thread::sleep(RETRY);
                }
                Err(err) => {
                    tracing::error!(
                        "reading Kafka offsets from the lake failed: {}",
                        Causes(&err)
                    );
                    return;
                }
            }
        };
        self.lake.seed(&next);
        let mut buffer = self.buffer.lock().expect("kafka buffer lock");
        for (topic, partition) in &assigned {
            // Partitions the lake holds nothing of start from the group's committed
            // offset, or the earliest one.
            let Some(&offset) = next.get(&(topic.clone(), *partition)) else {
                continue;
            };
            match assignment.set_partition_offset(topic, *partition, Offset::Offset(offset)) {
                Ok(()) => {
                    if let Some(&input) = self.inputs.get(topic) {
                        buffer.next.expect(input, *partition, offset);
                    }
                }
                Err(err) => {
                    tracing::error!(%err, topic, partition, offset, "setting a resume offset failed");
                }
            }
        }
        tracing::info!(partitions = ?assigned, resume = ?next, "Kafka partitions assigned");
    }

    /// Makes `partitions` (none when revoked) the ones whose lag this instance exports,
    /// and drops the lag of every partition it no longer owns.
    fn assign_lag(&self, partitions: Option<&TopicPartitionList>) {
        let now: HashSet<(String, i32)> = partitions
            .map(|list| {
                list.elements()
                    .iter()
                    .map(|e| (e.topic().to_owned(), e.partition()))
                    .collect()
            })
            .unwrap_or_default();
        let mut assigned = self.assigned.lock().expect("kafka assignment lock");
        for (topic, partition) in assigned.difference(&now) {
            let _ = self
                .metrics
                .lag
                .remove_label_values(&[topic, &partition.to_string()]);
        }
        *assigned = now;
    }
}

/// The resume offsets of the lake at `data`, after deleting the files of unfinished
/// flushes that cover any of `assigned`.
fn read_resume_offsets(
    data: &LakeLocation,
    assigned: &HashSet<(String, i32)>,
) -> anyhow::Result<BTreeMap<(String, i32), i64>> {
    let ledger = Ledger::scan_lake(data)?;
    let dead: Vec<&Path> = ledger
        .incomplete()
        .filter(|(_, marker)| assigned.iter().any(|(t, p)| marker.offsets.covers(t, *p)))
        .map(|(path, _)| path)
        .collect();
    if !dead.is_empty() {
        let removed = Ledger::remove_from(data, dead)?;
        tracing::warn!(
            removed,
            "removed the files of an unfinished flush; their messages are read again"
        );
    }
    Ok(ledger.resume_offsets())
}

impl ClientContext for Context {
    fn stats(&self, statistics: Statistics) {
        let assigned = self.assigned.lock().expect("kafka assignment lock");
        for (name, topic) in &statistics.topics {
            for (&partition, stats) in &topic.partitions {
                // -1 is librdkafka's internal unassigned partition. The lag of a
                // partition another instance owns is that instance's to report: a value
                // here would be counted twice on the dashboards, and never change
                // (`assign_lag` dropped it when the partition went).
                if partition < 0 || !assigned.contains(&(name.clone(), partition)) {
                    continue;
                }
                let labels = [name.as_str(), &partition.to_string()];
                // A negative lag means unknown (nothing committed yet).
                if stats.consumer_lag < 0 {
                    let _ = self.metrics.lag.remove_label_values(&labels);
                } else {
                    self.metrics
                        .lag
                        .with_label_values(&labels)
                        .set(stats.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for Context {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        partitions: &mut TopicPartitionList,
    ) {
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.resume(partitions);
                self.assign_lag(Some(partitions));
                consumer.assign(partitions)
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                self.send_buffered();
                self.buffer.lock().expect("kafka buffer lock").next.clear();
                self.flush_lake();
                commit(consumer, CommitMode::Sync);
                self.assign_lag(None);
                tracing::info!(partitions = partitions.count(), "Kafka partitions revoked");
                consumer.unassign()
            }
            other => {
                tracing::error!(?other, "Kafka rebalance failed");
                self.assign_lag(None);
                self.buffer.lock().expect("kafka buffer lock").next.clear();
                consumer.unassign()
            }
        };
        if let Err(err) = result {
            tracing::error!(%err, "applying a Kafka assignment failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{FETCH_QUEUE_BACKOFF_MS, NextOffsets, client_config};
    use crate::config::{Config, KafkaSource, Source};

    /// The Kafka source of a configuration whose `kafka_options` are `options`, as a user
    /// writes them.
    fn source(options: &str) -> KafkaSource {
        let text = format!(
            "[[sources]]\nkind = \"kafka\"\nbrokers = \"kafka1:9092\"\ntopics = [\"fw\"]\n\
             group = \"sanso\"\nkafka_options = {{ {options} }}\n"
        );
        let config = Config::parse(&text, Path::new("sanso.toml")).expect("a valid source");
        match config.sources.into_iter().next() {
            Some(Source::Kafka(kafka)) => kafka,
            other => panic!("not a Kafka source: {other:?}"),
        }
    }

    #[test]
    fn a_full_fetch_queue_is_refilled_within_milliseconds_unless_configured_otherwise() {
        let config = client_config(&source(""));
        assert_eq!(
            config.get("fetch.queue.backoff.ms"),
            Some(FETCH_QUEUE_BACKOFF_MS)
        );
        let config = client_config(&source(r#""fetch.queue.backoff.ms" = "500""#));
        assert_eq!(config.get("fetch.queue.backoff.ms"), Some("500"));
    }

    #[test]
    fn options_cannot_turn_off_what_exactly_once_depends_on() {
        let config = client_config(&source(
            r#""enable.auto.commit" = "true", "partition.assignment.strategy" = "cooperative-sticky", "group.id" = "other", "security.protocol" = "ssl""#,
        ));
        assert_eq!(config.get("enable.auto.commit"), Some("false"));
        assert_eq!(config.get("partition.assignment.strategy"), Some("range"));
        assert_eq!(config.get("group.id"), Some("sanso"));
        assert_eq!(config.get("security.protocol"), Some("ssl"));
    }

    #[test]
    fn offsets_a_partition_skips_are_counted_from_where_it_was_assigned() {
        let mut next = NextOffsets::default();
        next.expect(0, 1, 5844);
        assert_eq!(next.delivered(0, 1, 5848), 4, "5844 to 5847 never came");
        assert_eq!(next.delivered(0, 1, 5849), 0);
        assert_eq!(next.delivered(0, 1, 5852), 2);
        assert_eq!(
            next.delivered(0, 2, 10),
            0,
            "no expectation: nothing skipped"
        );
        assert_eq!(next.delivered(0, 2, 11), 0);
        assert_eq!(next.delivered(1, 1, 0), 0, "partitions are per input");
        next.clear();
        assert_eq!(
            next.delivered(0, 1, 9000),
            0,
            "a revoked partition expects nothing"
        );
        assert_eq!(next.delivered(0, 1, 8000), 0, "a step back is not a skip");
    }
}
