//! Alerts produced to a Kafka topic as JSON, keyed by the alert's group key, so that the
//! alerts about one source address or user stay in order on one partition.
//!
//! The producer is librdkafka's: `send` only queues (the ingest thread never waits on
//! the network), a background thread delivers, and the delivery callback reports each
//! message's outcome to `sanso_alert_sink_messages_total{sink,outcome}`; a failure is
//! also logged with the broker's reason. librdkafka retries transient errors itself
//! until `message.timeout.ms`; what still fails is counted as `failed`.

use std::time::Duration;

use anyhow::Context as _;
use prometheus::{IntCounterVec, Opts};
use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{Message as _, OwnedMessage};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use sanso_detect::Alert;

use crate::config::KafkaSinkConfig;
use crate::metrics::Metrics;

/// How long shutdown waits for queued alerts to be delivered.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Registers `sanso_alert_sink_messages_total{sink,outcome}`, shared by every sink.
pub fn register_outcomes(metrics: &Metrics) -> anyhow::Result<IntCounterVec> {
    let outcomes = IntCounterVec::new(
        Opts::new(
            "sanso_alert_sink_messages_total",
            "Alerts sent to a sink, by sink and outcome (queued, delivered, failed)",
        ),
        &["sink", "outcome"],
    )?;
    metrics.register(Box::new(outcomes.clone()))?;
    Ok(outcomes)
}

/// Produces alerts to a Kafka topic; see the [module docs](self).
pub struct KafkaSink {
    producer: ThreadedProducer<Delivery>,
    topic: String,
    /// `kafka:<topic>`, the `sink` label.
    label: String,
    outcomes: IntCounterVec,
}

impl KafkaSink {
    /// Connects a producer (lazily: librdkafka connects in the background) that counts
    /// its deliveries in `outcomes` (see [`register_outcomes`]).
    pub fn new(config: &KafkaSinkConfig, outcomes: &IntCounterVec) -> anyhow::Result<Self> {
        let outcomes = outcomes.clone();
        let label = format!("kafka:{}", config.topic);
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.brokers)
            // Alerts are few and wanted now; one request in flight, so that a retry
            // cannot reorder a group's alerts (idempotence would need brokers that
            // support it; not every Kafka-protocol broker does).
            .set("linger.ms", "50")
            .set("max.in.flight.requests.per.connection", "1");
        for (key, value) in &config.kafka_options {
            client.set(key, value);
        }
        let producer = client
            .create_with_context(Delivery {
                label: label.clone(),
                outcomes: outcomes.clone(),
            })
            .with_context(|| format!("creating a Kafka producer for {}", config.brokers))?;
        Ok(KafkaSink {
            producer,
            topic: config.topic.clone(),
            label,
            outcomes,
        })
    }

    /// Queues every alert for delivery; a full local queue counts the alert as failed.
    pub fn send(&self, alerts: &[Alert]) {
        for alert in alerts {
            let payload = alert_json(alert);
            let mut record = BaseRecord::to(&self.topic).payload(&payload);
            if let Some(key) = &alert.group_key {
                record = record.key(key.as_str());
            }
            match self.producer.send(record) {
                Ok(()) => self.count("queued"),
                Err((err, _)) => {
                    self.count("failed");
                    tracing::error!(%err, topic = %self.topic, rule = %alert.rule_id,
                        "an alert could not be queued for Kafka");
                }
            }
        }
    }

    fn count(&self, outcome: &str) {
        self.outcomes
            .with_label_values(&[self.label.as_str(), outcome])
            .inc();
    }
}

impl Drop for KafkaSink {
    fn drop(&mut self) {
        if let Err(err) = self.producer.flush(FLUSH_TIMEOUT) {
            tracing::error!(%err, topic = %self.topic, "alerts still queued for Kafka at shutdown were lost");
        }
    }
}

/// An alert as one JSON object: the columns of the `alerts` table, times in RFC 3339.
fn alert_json(alert: &Alert) -> String {
    let time = |micros: i64| {
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    };
    let evidence = alert
        .evidence
        .as_deref()
        .map(|e| serde_json::from_str(e).unwrap_or_else(|_| serde_json::Value::from(e)));
    serde_json::json!({
        "alert_id": alert.alert_id,
        "rule_id": alert.rule_id,
        "title": alert.title,
        "severity": alert.severity.as_str(),
        "zone": alert.zone.map(|z| z.as_str()),
        "time": time(alert.time),
        "window_start": alert.window_start.and_then(time),
        "window_end": alert.window_end.and_then(time),
        "group_key": alert.group_key,
        "event_count": alert.event_count,
        "policy_ref": alert.policy_ref,
        "evidence": evidence,
    })
    .to_string()
}

/// Counts each message's delivery outcome.
struct Delivery {
    label: String,
    outcomes: IntCounterVec,
}

impl ClientContext for Delivery {}

impl ProducerContext for Delivery {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => self
                .outcomes
                .with_label_values(&[self.label.as_str(), "delivered"])
                .inc(),
            Err((err, message)) => {
                self.outcomes
                    .with_label_values(&[self.label.as_str(), "failed"])
                    .inc();
                log_failure(err, &message.detach());
            }
        }
    }
}

fn log_failure(err: &KafkaError, message: &OwnedMessage) {
    let key = message
        .key()
        .map(|k| String::from_utf8_lossy(k).into_owned());
    tracing::error!(%err, topic = message.topic(), ?key, "an alert was not delivered to Kafka");
}
