//! Prometheus metrics of the pipeline, registered once and shared by every task.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

/// The pipeline's counters; cloning shares them.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Lines taken in, by source.
    pub lines_received: IntCounterVec,
    /// Rows produced, by table; summed over tables it equals `lines_received`.
    pub rows: IntCounterVec,
    /// UDP datagrams dropped because the pipeline was full.
    pub udp_dropped: IntCounter,
    /// Frames that broke the TCP framing and were passed on as they were.
    pub framing_errors: IntCounter,
    /// Parquet files written to the lake.
    pub lake_files: IntCounter,
    /// Bytes of Parquet written to the lake.
    pub lake_bytes: IntCounter,
    /// Failed lake writes (the rows stay buffered and are retried).
    pub lake_write_errors: IntCounter,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let lines_received = IntCounterVec::new(
            Opts::new("sanso_lines_received_total", "Lines taken in from sources"),
            &["source"],
        )
        .expect("valid metric");
        let rows = IntCounterVec::new(
            Opts::new("sanso_rows_total", "Rows produced per table; unparsed lines included"),
            &["table"],
        )
        .expect("valid metric");
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let metrics = Metrics {
            lines_received,
            rows,
            udp_dropped: counter("sanso_udp_dropped_total", "UDP datagrams dropped because the pipeline was full"),
            framing_errors: counter("sanso_framing_errors_total", "TCP frames with a broken octet count"),
            lake_files: counter("sanso_lake_files_written_total", "Parquet files written to the lake"),
            lake_bytes: counter("sanso_lake_bytes_written_total", "Bytes of Parquet written to the lake"),
            lake_write_errors: counter("sanso_lake_write_errors_total", "Lake writes that failed and will be retried"),
            registry,
        };
        for collector in [
            Box::new(metrics.lines_received.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(metrics.rows.clone()),
            Box::new(metrics.udp_dropped.clone()),
            Box::new(metrics.framing_errors.clone()),
            Box::new(metrics.lake_files.clone()),
            Box::new(metrics.lake_bytes.clone()),
            Box::new(metrics.lake_write_errors.clone()),
        ] {
            metrics.registry.register(collector).expect("metric names are unique");
        }
        metrics
    }

    /// The metrics in Prometheus's text exposition format.
    pub fn render(&self) -> String {
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| format!("# encoding metrics failed: {err}\n"))
    }
}
