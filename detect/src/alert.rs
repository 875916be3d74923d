//! The alert record and its Arrow layout.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, StringDictionaryBuilder, TimestampMicrosecondBuilder,
    UInt64Builder,
};
use arrow::datatypes::Int32Type;
use arrow::error::ArrowError;
use sanso_ingest::event::Micros;
use sanso_ingest::schema::Table;
use sanso_ingest::zones::Zone;

/// How urgent an alert is, in Sigma's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth a look.
    Informational,
    /// Unusual, rarely harmful.
    Low,
    /// Needs attention within the day.
    Medium,
    /// Needs attention now.
    High,
    /// A breach of the zone separation or an attack in progress.
    Critical,
}

impl Severity {
    /// Sigma's name for the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One alert: a rule fired on a group of events.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Unique id of the alert.
    pub alert_id: String,
    /// The rule that fired, e.g. `OMZ-15`.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's level.
    pub severity: Severity,
    /// Zone the alert concerns.
    pub zone: Option<Zone>,
    /// Time of the first event.
    pub time: Micros,
    /// Start of the correlation window, for correlated rules.
    pub window_start: Option<Micros>,
    /// End of the correlation window.
    pub window_end: Option<Micros>,
    /// The value the rule grouped on, e.g. a source address.
    pub group_key: Option<String>,
    /// Events that made up the alert.
    pub event_count: u64,
    /// Clause of the basic policy the rule enforces, e.g. `基本方針6(3)①`.
    pub policy_ref: Option<String>,
    /// References to the events and a few raw lines, as JSON.
    pub evidence: Option<String>,
}

/// Lays alerts out as one batch of the `alerts` table.
pub fn alerts_to_batch(alerts: &[Alert]) -> Result<RecordBatch, ArrowError> {
    let mut alert_id = StringBuilder::new();
    let mut rule_id = StringDictionaryBuilder::<Int32Type>::new();
    let mut title = StringBuilder::new();
    let mut severity = StringDictionaryBuilder::<Int32Type>::new();
    let mut zone = StringDictionaryBuilder::<Int32Type>::new();
    let mut time = TimestampMicrosecondBuilder::new();
    let mut window_start = TimestampMicrosecondBuilder::new();
    let mut window_end = TimestampMicrosecondBuilder::new();
    let mut group_key = StringBuilder::new();
    let mut event_count = UInt64Builder::new();
    let mut policy_ref = StringDictionaryBuilder::<Int32Type>::new();
    let mut evidence = StringBuilder::new();
    for alert in alerts {
        alert_id.append_value(&alert.alert_id);
        rule_id.append_value(&alert.rule_id);
        title.append_value(&alert.title);
        severity.append_value(alert.severity.as_str());
        zone.append_option(alert.zone.map(Zone::as_str));
        time.append_value(alert.time);
        window_start.append_option(alert.window_start);
        window_end.append_option(alert.window_end);
        group_key.append_option(alert.group_key.as_deref());
        event_count.append_value(alert.event_count);
        policy_ref.append_option(alert.policy_ref.as_deref());
        evidence.append_option(alert.evidence.as_deref());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(alert_id.finish()),
        Arc::new(rule_id.finish()),
        Arc::new(title.finish()),
        Arc::new(severity.finish()),
        Arc::new(zone.finish()),
        Arc::new(time.finish().with_timezone("UTC")),
        Arc::new(window_start.finish().with_timezone("UTC")),
        Arc::new(window_end.finish().with_timezone("UTC")),
        Arc::new(group_key.finish()),
        Arc::new(event_count.finish()),
        Arc::new(policy_ref.finish()),
        Arc::new(evidence.finish()),
    ];
    RecordBatch::try_new(Table::Alerts.schema(), columns)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};

    use super::*;

    #[test]
    fn alerts_fill_the_alerts_schema() {
        let alert = Alert {
            alert_id: "a-1".into(),
            rule_id: "OMZ-15".into(),
            title: "Brute force".into(),
            severity: Severity::High,
            zone: Some(Zone::Core),
            time: 1_000,
            window_start: Some(1_000),
            window_end: Some(601_000_000),
            group_key: Some("tanaka".into()),
            event_count: 7,
            policy_ref: Some("基本方針6(6)".into()),
            evidence: None,
        };
        let batch = alerts_to_batch(&[
            alert.clone(),
            Alert {
                zone: None,
                ..alert
            },
        ])
        .unwrap();
        assert_eq!(batch.schema(), Table::Alerts.schema());
        assert_eq!(batch.num_rows(), 2);
        let zone = batch.column_by_name("zone").unwrap();
        assert!(zone.is_valid(0) && zone.is_null(1));
        let counts = batch
            .column_by_name("event_count")
            .unwrap()
            .as_primitive::<arrow::datatypes::UInt64Type>();
        assert_eq!(counts.value(1), 7);
    }

    #[test]
    fn severities_order_by_urgency() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Informational);
    }
}
