//! The `incidents` and `incident_events` SQL tables.
//!
//! Both are read from the log at every scan rather than registered once as memory
//! tables, so a long-running session (the HTTP API, Flight SQL) sees an incident the
//! moment it is written, from whichever process wrote it.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListBuilder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use sanso_ingest::schema::timestamp_type;

use super::record::{Change, Stage};
use super::store::{IncidentStore, Ledger};

/// Which of the two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentTable {
    /// One row per incident, as its history makes it.
    Incidents,
    /// One row per event of the log.
    Events,
}

impl IncidentTable {
    /// Both tables.
    pub const ALL: [IncidentTable; 2] = [IncidentTable::Incidents, IncidentTable::Events];

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            IncidentTable::Incidents => "incidents",
            IncidentTable::Events => "incident_events",
        }
    }

    /// The table's columns.
    pub fn schema(self) -> SchemaRef {
        match self {
            IncidentTable::Incidents => INCIDENTS.clone(),
            IncidentTable::Events => EVENTS.clone(),
        }
    }

    /// The ledger laid out as this table.
    pub fn batch(
        self,
        ledger: &Ledger,
    ) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
        match self {
            IncidentTable::Incidents => incidents_batch(ledger),
            IncidentTable::Events => events_batch(ledger),
        }
    }
}

fn list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        false,
    )
}

fn time(name: &str, nullable: bool) -> Field {
    Field::new(name, timestamp_type(), nullable)
}

static INCIDENTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("title", DataType::Utf8, false),
        Field::new("severity", DataType::Utf8, false),
        Field::new("state", DataType::Utf8, false),
        Field::new("state_ja", DataType::Utf8, false),
        Field::new("opened_by", DataType::Utf8, false),
        time("detected_at", false),
        time("reported_at", true),
        time("contained_at", true),
        time("closed_at", true),
        time("updated_at", false),
        list("alert_ids"),
        list("reported_outside"),
        Field::new("on_hold", DataType::Boolean, false),
        Field::new("seconds_to_report", DataType::Int64, true),
        Field::new("seconds_to_contain", DataType::Int64, true),
        Field::new("seconds_to_close", DataType::Int64, true),
        Field::new("notes", DataType::UInt64, false),
        Field::new("events", DataType::UInt64, false),
    ]))
});

static EVENTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("seq", DataType::UInt64, false),
        Field::new("incident_id", DataType::Utf8, false),
        time("at", false),
        time("recorded_at", false),
        Field::new("by", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("state", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
        list("reported_to"),
        list("alert_ids"),
        Field::new("prev_hash", DataType::Utf8, false),
    ]))
});

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

fn incidents_batch(ledger: &Ledger) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    let mut id = StringBuilder::new();
    let mut title = StringBuilder::new();
    let mut severity = StringBuilder::new();
    let mut state = StringBuilder::new();
    let mut state_ja = StringBuilder::new();
    let mut opened_by = StringBuilder::new();
    let mut stamps: [TimestampMicrosecondBuilder; 5] = Default::default();
    let mut alerts = ListBuilder::new(StringBuilder::new());
    let mut outside = ListBuilder::new(StringBuilder::new());
    let mut on_hold = BooleanBuilder::new();
    let mut durations: [Int64Builder; 3] = Default::default();
    let mut notes = UInt64Builder::new();
    let mut events = UInt64Builder::new();
    for incident in ledger.incidents.values() {
        id.append_value(&incident.id);
        title.append_value(&incident.title);
        severity.append_value(incident.severity.as_str());
        state.append_value(incident.stage.as_str());
        state_ja.append_value(incident.stage.japanese());
        opened_by.append_value(&incident.opened_by);
        let times = [
            Some(incident.detected_at),
            incident.reported_at,
            incident.contained_at,
            incident.closed_at,
            Some(incident.updated_at),
        ];
        for (builder, at) in stamps.iter_mut().zip(times) {
            builder.append_option(at.map(micros));
        }
        for alert in &incident.alerts {
            alerts.values().append_value(alert);
        }
        alerts.append(true);
        for (authority, _) in &incident.reported_outside {
            outside.values().append_value(authority.as_str());
        }
        outside.append(true);
        on_hold.append_value(incident.on_hold);
        for (builder, stage) in
            durations
                .iter_mut()
                .zip([Stage::Reported, Stage::Contained, Stage::Closed])
        {
            builder.append_option(incident.seconds_to(stage));
        }
        notes.append_value(incident.notes.len() as u64);
        events.append_value(incident.events);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(title.finish()),
        Arc::new(severity.finish()),
        Arc::new(state.finish()),
        Arc::new(state_ja.finish()),
        Arc::new(opened_by.finish()),
    ];
    columns.extend(
        stamps
            .iter_mut()
            .map(|b| Arc::new(b.finish().with_timezone("UTC")) as ArrayRef),
    );
    columns.push(Arc::new(alerts.finish()));
    columns.push(Arc::new(outside.finish()));
    columns.push(Arc::new(on_hold.finish()));
    columns.extend(
        durations
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef),
    );
    columns.push(Arc::new(notes.finish()));
    columns.push(Arc::new(events.finish()));
    RecordBatch::try_new(INCIDENTS.clone(), columns)
}

fn events_batch(ledger: &Ledger) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    let mut seq = UInt64Builder::new();
    let mut incident = StringBuilder::new();
    let mut at = TimestampMicrosecondBuilder::new();
    let mut recorded_at = TimestampMicrosecondBuilder::new();
    let mut by = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut state = StringBuilder::new();
    let mut note = StringBuilder::new();
    let mut reported_to = ListBuilder::new(StringBuilder::new());
    let mut alerts = ListBuilder::new(StringBuilder::new());
    let mut prev = StringBuilder::new();
    for event in &ledger.events {
        seq.append_value(event.seq);
        incident.append_value(&event.incident);
        at.append_value(micros(event.at));
        recorded_at.append_value(micros(event.recorded_at));
        by.append_value(&event.by);
        kind.append_value(event.change.kind());
        note.append_option(event.note.as_deref());
        let (stage, to, ids): (Option<Stage>, &[_], &[String]) = match &event.change {
            Change::Opened { alerts, .. } => (Some(Stage::Detected), &[], alerts),
            Change::Updated {
                stage,
                reported_to,
                alerts,
            } => (*stage, reported_to, alerts),
            Change::Held | Change::Released => (None, &[], &[]),
        };
        state.append_option(stage.map(Stage::as_str));
        for authority in to {
            reported_to.values().append_value(authority.as_str());
        }
        reported_to.append(true);
        for id in ids {
            alerts.values().append_value(id);
        }
        alerts.append(true);
        prev.append_value(&event.prev);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(seq.finish()),
        Arc::new(incident.finish()),
        Arc::new(at.finish().with_timezone("UTC")),
        Arc::new(recorded_at.finish().with_timezone("UTC")),
        Arc::new(by.finish()),
        Arc::new(kind.finish()),
        Arc::new(state.finish()),
        Arc::new(note.finish()),
        Arc::new(reported_to.finish()),
        Arc::new(alerts.finish()),
        Arc::new(prev.finish()),
    ];
    RecordBatch::try_new(EVENTS.clone(), columns)
}

/// A [`TableProvider`] over the incident log.
#[derive(Debug)]
pub struct IncidentTableProvider {
    store: IncidentStore,
    table: IncidentTable,
}

impl IncidentTableProvider {
    /// `table` over the log of `store`.
    pub fn new(store: IncidentStore, table: IncidentTable) -> Self {
        IncidentTableProvider { store, table }
    }
}

#[async_trait]
impl TableProvider for IncidentTableProvider {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let ledger = self
            .store
            .load()
            .map_err(|err| DataFusionError::External(Box::new(err)))?;
        let batch = self.table.batch(&ledger)?;
        let exec =
            MemorySourceConfig::try_new_exec(&[vec![batch]], self.schema(), projection.cloned())?;
        Ok(exec)
    }
}
