//! The peer side of `benches/kafka.sh`: loads a topic, and reads it back with a bare
//! librdkafka consumer that does nothing with the messages but touch their bytes. The
//! consumer's rate is what the broker and librdkafka deliver on this machine, the
//! ceiling any consumer of the topic (sanso included) can reach.
//!
//! ```text
//! kafka_peer produce BROKERS TOPIC COUNT FILE   # COUNT lines of FILE, cycled
//! kafka_peer consume BROKERS TOPIC COUNT        # prints `messages bytes seconds cpu_seconds`
//! ```
//!
//! `cpu_seconds` is the consumer process's CPU time (all threads, librdkafka's included,
//! from start to exit), so that the bench can tell what reading the topic costs per
//! message beside what sanso spends on it.
//!
//! `KAFKA_OPTIONS="key=value,..."` adds librdkafka settings to the consumer, as
//! `benches/kafka.sh` adds them to sanso's `kafka_options`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

mod process_cpu;
use process_cpu::process_cpu_seconds;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["produce", brokers, topic, count, file] => produce(brokers, topic, count, file),
        ["consume", brokers, topic, count] => consume(brokers, topic, count),
        _ => Err(
            "usage: kafka_peer produce BROKERS TOPIC COUNT FILE | consume BROKERS TOPIC COUNT"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kafka_peer: {err}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn produce(brokers: &str, topic: &str, count: &str, file: &str) -> Result<()> {
    let count: usize = count.parse()?;
    let text = std::fs::read(file)?;
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(format!("{file} has no lines").into());
    }
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "none")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let started = Instant::now();
    for i in 0..count {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(lines[i % lines.len()]);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((err, _)) => return Err(err.into()),
            }
        }
    }
    producer.flush(Duration::from_secs(300))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "produced {count} messages in {seconds:.2} s ({:.0} msg/s)",
        count as f64 / seconds
    );
    Ok(())
}

fn consume(brokers: &str, topic: &str, count: &str) -> Result<()> {
    let count: u64 = count.parse()?;
    let group = format!("raw-{}", std::process::id());
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    let options = std::env::var("KAFKA_OPTIONS").unwrap_or_default();
    for option in options.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| format!("KAFKA_OPTIONS: `{option}` is not key=value"))?;
        config.set(key.trim(), value.trim());
    }
    let consumer: BaseConsumer = config.create()?;
    consumer.subscribe(&[topic])?;
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut started = None;
    while messages < count {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(message)) => {
                started.get_or_insert_with(Instant::now);
                messages += 1;
                bytes += message.payload().map_or(0, |p| p.len() as u64);
            }
            Some(Err(err)) => return Err(err.into()),
            None => {}
        }
    }
    // From the first message, like sanso's figure, so that joining the group is not
    // counted against either.
    let seconds = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    println!(
        "{messages} {bytes} {seconds:.3} {:.3}",
        process_cpu_seconds()?
    );
    Ok(())
}
