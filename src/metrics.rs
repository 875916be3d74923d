//! Prometheus metrics of the pipeline, registered once and shared by every task.
//!
//! [`Metrics`] owns the registry that `/metrics` renders. Listeners and the ingest thread
//! hold clones of it (cloning shares the counters). The families, all under `sanso_`
//! except the standard `process_*` set:
//!
//! | family | type | labels | filled by |
//! |---|---|---|---|
//! | `sanso_lines_received_total` | counter | `source` | the ingest thread, per chunk |
//! | `sanso_lines_truncated_total` | counter | `source` | the ingest thread, per chunk: lines cut at `max_line_bytes` by the listeners and file followers |
//! | `sanso_rows_total` | counter | `table` | [`BatchMetrics`], per batch |
//! | `sanso_events_total` | counter | `table`, `zone`, `format` | [`BatchMetrics`] |
//! | `sanso_unparsed_lines_total` | counter | `zone`, `format_guess` | [`BatchMetrics`] |
//! | `sanso_auth_events_total` | counter | `zone`, `activity`, `outcome`, `logon_type` | [`BatchMetrics`] |
//! | `sanso_http_blocked_total` | counter | `zone`, `category` | [`BatchMetrics`] |
//! | `sanso_device_last_seen_timestamp_seconds` | gauge | `device`, `zone` | [`BatchMetrics`] |
//! | `sanso_device_clock_skew_seconds` | gauge | `device`, `zone` | [`BatchMetrics`] |
//! | `sanso_clock_skew_seconds` | histogram | `zone` | [`BatchMetrics`] |
//! | `sanso_batch_latency_seconds` | histogram | `table` | [`BatchMetrics`], per commit |
//! | `sanso_lake_flush_duration_seconds` | histogram | | [`BatchMetrics`], per commit |
//! | `sanso_lake_files_written_total`, `sanso_lake_bytes_written_total`, `sanso_lake_write_errors_total` | counter | | the ingestor |
//! | `sanso_udp_dropped_total` | counter | `reason` (`queue_full`, `socket_buffer`) | the UDP listener |
//! | `sanso_framing_errors_total` | counter | | the listeners |
//! | `sanso_kafka_messages_total` | counter | `topic` | the Kafka consumers (`src/sources/kafka.rs`) |
//! | `sanso_kafka_consumer_lag` | gauge | `topic`, `partition` | librdkafka's statistics: high watermark minus the offset committed after the lake took the rows |
//! | `sanso_kafka_skipped_offsets_total` | counter | `topic`, `partition` | the Kafka consumers: offsets a partition did not deliver |
//! | `sanso_alert_sink_messages_total` | counter | `sink`, `outcome` (`queued`, `delivered`, `failed`) | the Kafka alert sink (`src/sinks/kafka.rs`) |
//! | `sanso_lake_write_stalled` | gauge | | the ingestor: 1 while ingest waits for the lake to take writes |
//! | `sanso_alerts_total` | counter | `rule`, `severity`, `zone` | the detection engine ([`Metrics::record_alert`]) |
//! | `sanso_three_layer_violations_total` | counter | `rule`, `zone` | the detection engine |
//! | `sanso_detection_rules_loaded` | gauge | | the detection engine |
//! | `process_resident_memory_bytes`, `process_cpu_seconds_total`, ... | | | the `prometheus` crate, from `/proc/self` at scrape time |
//!
//! # Cost on the ingest path
//!
//! Nothing here is done per line with a label lookup: `with_label_values` hashes its
//! label values, which at a million lines a second would cost more than parsing some
//! formats. [`BatchMetrics`] instead tallies each drained record batch by the integer
//! keys of its dictionary columns (zone, format, activity ...) and adds each distinct
//! combination once, through counters it looks up once and keeps. See its docs.
//!
//! # Label values taken from input
//!
//! Device names, proxy categories, logon types and guessed formats come from the logs
//! themselves, so a sender could make up a new one on every line. Each such label admits
//! a bounded number of distinct values; later newcomers are counted under `other`, so the
//! number of series stays bounded whatever arrives. Values that are missing read
//! `unknown`.

mod alerts;
mod batch;

pub use batch::BatchMetrics;

use std::sync::{Arc, Mutex};

use prometheus::core::Collector;
use prometheus::{
    GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use sanso_ingest::zones::Zone;

/// The label value of a missing zone, device, format or category.
const UNKNOWN: &str = "unknown";

/// The zones of the city, whose series are created up front so that they read zero
/// rather than being absent.
const CITY_ZONES: [Zone; 3] = [Zone::Core, Zone::Lgwan, Zone::Internet];

/// The pipeline's metrics; cloning shares them.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Lines taken in, by source.
    pub lines_received: IntCounterVec,
    /// Lines cut at their source's maximum length, by source.
    pub lines_truncated: IntCounterVec,
    /// Rows produced, by table; summed over tables it equals `lines_received`.
    pub rows: IntCounterVec,
    /// Parsed events, by table, zone of the reporting device, and parser.
    events: IntCounterVec,
    /// Rows of the `unparsed` table, by zone and the format that was tried or guessed.
    unparsed: IntCounterVec,
    /// Authentication events, by zone, activity, outcome and logon type.
    auth_events: IntCounterVec,
    /// Proxy requests the proxy blocked, by zone and category.
    http_blocked: IntCounterVec,
    /// When sanso last received a line from each device.
    device_last_seen: GaugeVec,
    /// Event time minus receive time of each device's latest timestamped line.
    device_clock_skew: GaugeVec,
    /// Distribution of the absolute clock skew over rows.
    clock_skew: HistogramVec,
    /// From receiving a batch's oldest line to the commit of the lake files holding it.
    batch_latency: HistogramVec,
    /// Time to encode, write, sync and rename one flush of the lake.
    lake_flush_duration: Histogram,
    /// UDP datagrams dropped, by where: the queue to the ingest thread or the socket's
    /// receive buffer in the kernel.
    pub udp_dropped: IntCounterVec,
    /// Frames that broke the TCP framing and were passed on as they were.
    pub framing_errors: IntCounter,
    /// Parquet files written to the lake.
    pub lake_files: IntCounter,
    /// Bytes of Parquet written to the lake.
    pub lake_bytes: IntCounter,
    /// Failed lake writes (the rows stay buffered and are retried).
    pub lake_write_errors: IntCounter,
    /// 1 while ingest is paused because the lake does not take writes.
    lake_stalled: IntGauge,
    /// Why the lake does not take writes, while it does not; `/health` shows it.
    lake_error: Arc<Mutex<Option<String>>>,
    /// Alerts raised, by rule, severity and zone.
    alerts: IntCounterVec,
    /// Alerts that are breaches of the three-layer separation, by rule and zone.
    three_layer_violations: IntCounterVec,
    /// Detection rules the engine runs; 0 while no engine runs.
    detection_rules: IntGauge,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let counters = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            GaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
        };
        let histograms = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
            .expect("valid metric")
        };
        let metrics = Metrics {
            lines_received: counters(
                "sanso_lines_received_total",
                "Lines taken in from sources",
                &["source"],
            ),
            lines_truncated: counters(
                "sanso_lines_truncated_total",
                "Lines longer than their source's max_line_bytes, kept up to it",
                &["source"],
            ),
            rows: counters(
                "sanso_rows_total",
                "Rows produced per table; unparsed lines included",
                &["table"],
            ),
            events: counters(
                "sanso_events_total",
                "Parsed events per table, zone of the reporting device, and parser",
                &["table", "zone", "format"],
            ),
            unparsed: counters(
                "sanso_unparsed_lines_total",
                "Lines no parser accepted, per zone and the format that was tried or guessed",
                &["zone", "format_guess"],
            ),
            auth_events: counters(
                "sanso_auth_events_total",
                "Authentication events per zone of the reporting device, activity, outcome and logon type",
                &["zone", "activity", "outcome", "logon_type"],
            ),
            http_blocked: counters(
                "sanso_http_blocked_total",
                "Proxy requests the proxy blocked, per zone and web category",
                &["zone", "category"],
            ),
            device_last_seen: gauges(
                "sanso_device_last_seen_timestamp_seconds",
                "When sanso last received a line from the device, in Unix seconds",
                &["device", "zone"],
            ),
            device_clock_skew: gauges(
                "sanso_device_clock_skew_seconds",
                "Event time minus receive time of the device's latest timestamped line; \
                 positive when the device's clock runs ahead (for files read late, the backlog)",
                &["device", "zone"],
            ),
            clock_skew: histograms(
                "sanso_clock_skew_seconds",
                "Absolute difference between event time and receive time, per row with a timestamp of its own",
                &["zone"],
                &[
                    0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 86400.0,
                ],
            ),
            batch_latency: histograms(
                "sanso_batch_latency_seconds",
                "Seconds from receiving the oldest line of a batch to the commit of the lake files holding it",
                &["table"],
                &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0],
            ),
            lake_flush_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "sanso_lake_flush_duration_seconds",
                    "Seconds to encode, write, sync and rename one flush of the lake",
                )
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
            )
            .expect("valid metric"),
            udp_dropped: counters(
                "sanso_udp_dropped_total",
                "UDP datagrams dropped: queue_full when the pipeline was behind, socket_buffer \
                 when the kernel's receive buffer overflowed before sanso read them",
                &["reason"],
            ),
            framing_errors: counter(
                "sanso_framing_errors_total",
                "TCP frames with a broken octet count",
            ),
            lake_files: counter(
                "sanso_lake_files_written_total",
                "Parquet files written to the lake",
            ),
            lake_bytes: counter(
                "sanso_lake_bytes_written_total",
                "Bytes of Parquet written to the lake",
            ),
            lake_write_errors: counter(
                "sanso_lake_write_errors_total",
                "Lake writes that failed and will be retried",
            ),
            lake_stalled: IntGauge::new(
                "sanso_lake_write_stalled",
                "1 while ingest is paused because the lake does not take writes (a full disk); \
                 sources are held back until a retry succeeds",
            )
            .expect("valid metric"),
            lake_error: Arc::new(Mutex::new(None)),
            alerts: counters(
                "sanso_alerts_total",
                "Alerts raised by the detection engine, per rule, severity and zone",
                &["rule", "severity", "zone"],
            ),
            three_layer_violations: counters(
                "sanso_three_layer_violations_total",
                "Alerts that breach the three-layer separation (basic policy 6(3)), per rule and zone",
                &["rule", "zone"],
            ),
            detection_rules: IntGauge::new(
                "sanso_detection_rules_loaded",
                "Detection rules the engine runs; 0 means no alert or violation can be raised",
            )
            .expect("valid metric"),
            registry: Registry::new(),
        };
        let collectors: [Box<dyn Collector>; 21] = [
            Box::new(metrics.lines_received.clone()),
            Box::new(metrics.lines_truncated.clone()),
            Box::new(metrics.rows.clone()),
            Box::new(metrics.events.clone()),
            Box::new(metrics.unparsed.clone()),
            Box::new(metrics.auth_events.clone()),
            Box::new(metrics.http_blocked.clone()),
            Box::new(metrics.device_last_seen.clone()),
            Box::new(metrics.device_clock_skew.clone()),
            Box::new(metrics.clock_skew.clone()),
            Box::new(metrics.batch_latency.clone()),
            Box::new(metrics.lake_flush_duration.clone()),
            Box::new(metrics.udp_dropped.clone()),
            Box::new(metrics.framing_errors.clone()),
            Box::new(metrics.lake_files.clone()),
            Box::new(metrics.lake_bytes.clone()),
            Box::new(metrics.lake_write_errors.clone()),
            Box::new(metrics.lake_stalled.clone()),
            Box::new(metrics.alerts.clone()),
            Box::new(metrics.three_layer_violations.clone()),
            Box::new(metrics.detection_rules.clone()),
        ];
        for collector in collectors {
            metrics
                .registry
                .register(collector)
                .expect("metric names are unique");
        }
        // Resident memory, CPU time, file descriptors and threads, read from /proc/self
        // at each scrape (Linux only, as /proc is).
        #[cfg(target_os = "linux")]
        metrics
            .registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("metric names are unique");
        metrics.create_violation_series();
        // Present at zero from the start, so that a dashboard tells "none" from "unknown".
        for reason in ["queue_full", "socket_buffer"] {
            metrics.udp_dropped.with_label_values(&[reason]);
        }
        metrics
    }

    /// Adds a collector owned elsewhere (incident and retention gauges) to the registry
    /// that `/metrics` renders.
    pub fn register(&self, collector: Box<dyn Collector>) -> prometheus::Result<()> {
        self.registry.register(collector)
    }

    /// Records why the lake does not take writes (`None`: it does again).
    pub fn set_lake_error(&self, error: Option<String>) {
        self.lake_stalled.set(i64::from(error.is_some()));
        *self.lake_error.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// Why the lake does not take writes, if it does not.
    pub fn lake_error(&self) -> Option<String> {
        self.lake_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The metrics in Prometheus's text exposition format.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| format!("# encoding metrics failed: {err}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_renders_with_help_and_type() {
        let metrics = Metrics::new();
        metrics.rows.with_label_values(&["network"]).inc();
        let text = metrics.render();
        for family in [
            "sanso_rows_total",
            "sanso_lake_flush_duration_seconds",
            "sanso_detection_rules_loaded",
        ] {
            assert!(
                text.contains(&format!("# HELP {family} ")),
                "{family} lacks HELP in:\n{text}"
            );
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{family} lacks TYPE in:\n{text}"
            );
        }
        #[cfg(target_os = "linux")]
        assert!(
            text.contains("process_resident_memory_bytes "),
            "no process metrics in:\n{text}"
        );
    }

    #[test]
    fn violation_series_exist_at_zero_before_any_alert() {
        let text = Metrics::new().render();
        assert!(
            text.contains(r#"sanso_three_layer_violations_total{rule="OMZ-01",zone="core"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sanso_three_layer_violations_total{rule="OMZ-04",zone="internet"} 0"#),
            "{text}"
        );
    }
}
