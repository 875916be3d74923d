//! `sanso incident …`: incident records from the command line, and what the HTTP API
//! shares with it (the alert check and the Prometheus gauges).
//!
//! The records themselves live in [`sanso_query::incidents`]: an append-only,
//! hash-chained log beside the lake. This module turns arguments into requests, checks
//! that the alerts named exist in the lake, and prints the results.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use prometheus::{GaugeVec, IntGauge, IntGaugeVec, Opts};
use sanso_query::incidents::{
    Authority, Incident, IncidentStore, Ledger, NewIncident, Severity, Stage, Update,
};
use sanso_query::{Lake, QueryError};

use crate::cli::OutputFormat;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::output::write_result;

/// `sanso incident`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident (認知) from one or more alerts.
    Open(OpenArgs),
    /// Record progress: a step (報告, 封じ込め, 終結), a report outside, alerts, a note.
    Update(UpdateArgs),
    /// List every incident.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show one incident with its full history.
    Show {
        /// The incident, e.g. INC-2026-0001.
        id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Place a legal hold: the incident's data is kept out of retention deletion.
    Hold(HoldArgs),
    /// Lift a legal hold.
    Release(HoldArgs),
    /// Check the log's hash chain and print its head hash, to record elsewhere.
    Verify,
}

/// `sanso incident open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// A one-line description.
    #[arg(long)]
    pub title: String,
    /// informational, low, medium, high or critical.
    #[arg(long)]
    pub severity: Severity,
    /// An alert id from the `alerts` table; repeat for several.
    #[arg(long = "alert", required = true)]
    pub alerts: Vec<String>,
    /// Who opens it.
    #[arg(long, env = "USER")]
    pub by: String,
    /// When the city knew of it (RFC 3339); default: now.
    #[arg(long)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
}

/// `sanso incident update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The incident.
    pub id: String,
    /// The step reached: reported (報告), contained (封じ込め) or closed (終結).
    #[arg(long)]
    pub state: Option<Stage>,
    /// Reported outside the city: prefecture, ministry or police; repeat for several.
    #[arg(long = "reported-to")]
    pub reported_to: Vec<Authority>,
    /// An alert id to attach; repeat for several.
    #[arg(long = "alert")]
    pub alerts: Vec<String>,
    /// Who records it.
    #[arg(long, env = "USER")]
    pub by: String,
    /// When it happened (RFC 3339); default: now.
    #[arg(long)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Free text.
    #[arg(long)]
    pub note: Option<String>,
}

/// `sanso incident hold` and `release`.
#[derive(Debug, Args)]
pub struct HoldArgs {
    /// The incident.
    pub id: String,
    /// Who orders it.
    #[arg(long, env = "USER")]
    pub by: String,
    /// Why, e.g. the police's request number.
    #[arg(long)]
    pub note: Option<String>,
}

/// Runs one `sanso incident` command against the lake at `data`.
pub fn command(config: &Config, data: &Path, command: &IncidentCommand) -> anyhow::Result<()> {
    let store = IncidentStore::new(data);
    let tz = config.timezone;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lake = || {
        runtime.block_on(Lake::open_with_limits(
            data,
            Arc::new(config.zone_map()),
            config.query.limits(),
        ))
    };
    match command {
        IncidentCommand::Open(args) => {
            let lake = lake()?;
            require_alerts(&runtime.block_on(missing_alerts(&lake, &args.alerts))?)?;
            let incident = store.open_incident(NewIncident {
                title: args.title.clone(),
                severity: args.severity,
                alerts: args.alerts.clone(),
                by: args.by.clone(),
                at: args.at.map(|t| t.with_timezone(&Utc)),
                note: args.note.clone(),
            })?;
            println!("{}", incident.id);
        }
        IncidentCommand::Update(args) => {
            if !args.alerts.is_empty() {
                let lake = lake()?;
                require_alerts(&runtime.block_on(missing_alerts(&lake, &args.alerts))?)?;
            }
            let incident = store.update(
                &args.id,
                Update {
                    stage: args.state,
                    reported_to: args.reported_to.clone(),
                    alerts: args.alerts.clone(),
                    by: args.by.clone(),
                    at: args.at.map(|t| t.with_timezone(&Utc)),
                    note: args.note.clone(),
                },
            )?;
            println!("{}: {}", incident.id, incident.stage);
        }
        IncidentCommand::List { format } => {
            let lake = lake()?;
            let (schema, batches) = runtime.block_on(lake.sql(
                "SELECT id, severity, state_ja, state, on_hold, detected_at, title \
                 FROM incidents ORDER BY id",
            ))?;
            let mut out = std::io::stdout().lock();
            write_result(&mut out, *format, schema, &batches)?;
        }
        IncidentCommand::Show { id, json } => {
            let ledger = store.load()?;
            let incident = ledger.get(id)?;
            if *json {
                let history: Vec<_> = ledger.history(id).collect();
                let body = serde_json::json!({ "incident": incident, "history": history });
                println!("{}", serde_json::to_string_pretty(&body)?);
            } else {
                print!("{}", describe(&ledger, incident, tz));
            }
        }
        IncidentCommand::Hold(args) | IncidentCommand::Release(args) => {
            let hold = matches!(command, IncidentCommand::Hold(_));
            let incident = store.set_hold(&args.id, hold, &args.by, args.note.clone())?;
            let state = if incident.on_hold {
                "on legal hold"
            } else {
                "released from legal hold"
            };
            println!("{}: {state}", incident.id);
        }
        IncidentCommand::Verify => {
            let ledger = store.load()?;
            println!(
                "{}: {} events, {} incidents, chain intact\nhead {}",
                store.path().display(),
                ledger.events.len(),
                ledger.incidents.len(),
                ledger.head
            );
        }
    }
    Ok(())
}

/// The ids in `ids` that the lake's `alerts` table does not hold.
pub async fn missing_alerts(lake: &Lake, ids: &[String]) -> Result<Vec<String>, QueryError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = ids.iter().map(|id| sanso_detect::sql::quote(id)).collect();
    let query = format!(
        "SELECT DISTINCT alert_id FROM alerts WHERE alert_id IN ({})",
        list.join(", ")
    );
    let (_, batches) = lake.sql(&query).await?;
    let mut found = BTreeSet::new();
    for batch in &batches {
        let column = arrow::array::AsArray::as_string::<i32>(batch.column(0));
        found.extend(column.iter().flatten().map(str::to_owned));
    }
    Ok(ids
        .iter()
        .filter(|id| !found.contains(*id))
        .cloned()
        .collect())
}

fn require_alerts(missing: &[String]) -> anyhow::Result<()> {
    anyhow::ensure!(
        missing.is_empty(),
        "no alert {} in the lake's alerts table (SELECT alert_id, rule_id, time FROM alerts \
         lists them)",
        missing.join(", ")
    );
    Ok(())
}

/// The incident as text, times in the configured timezone.
fn describe(ledger: &Ledger, incident: &Incident, tz: Tz) -> String {
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&tz)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", incident.id, incident.title);
    let _ = writeln!(out, "  severity    {}", incident.severity.as_str());
    let _ = writeln!(out, "  state       {}", incident.stage);
    let _ = writeln!(out, "  opened by   {}", incident.opened_by);
    for stage in Stage::ALL {
        let at = match stage {
            Stage::Detected => Some(incident.detected_at),
            Stage::Reported => incident.reported_at,
            Stage::Contained => incident.contained_at,
            Stage::Closed => incident.closed_at,
        };
        if let Some(at) = at {
            let after = incident.seconds_to(stage).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<22}  {}  (+{}h{:02}m)",
                stage.to_string(),
                local(at),
                after / 3600,
                after % 3600 / 60
            );
        }
    }
    let _ = writeln!(out, "  alerts      {}", incident.alerts.join(", "));
    for (authority, at) in &incident.reported_outside {
        let _ = writeln!(
            out,
            "  reported to {} at {}",
            authority.as_str(),
            local(*at)
        );
    }
    let _ = writeln!(
        out,
        "  legal hold  {}",
        if incident.on_hold { "yes" } else { "no" }
    );
    let _ = writeln!(out, "history:");
    for event in ledger.history(&incident.id) {
        let _ = write!(
            out,
            "  #{} {} {} {}",
            event.seq,
            local(event.at),
            event.by,
            event.change.kind()
        );
        if let sanso_query::incidents::Change::Updated {
            stage: Some(stage), ..
        } = &event.change
        {
            let _ = write!(out, " → {stage}");
        }
        if let Some(note) = &event.note {
            let _ = write!(out, ": {note}");
        }
        out.push('\n');
    }
    out
}

/// Incident figures for the monthly report, as Prometheus gauges: counts by severity
/// and state, holds, and the mean time from detection to each later step.
#[derive(Clone)]
pub struct IncidentGauges {
    incidents: IntGaugeVec,
    on_hold: IntGauge,
    mean_seconds: GaugeVec,
}

impl IncidentGauges {
    /// Creates the gauges and registers them with `metrics`.
    pub fn register(metrics: &Metrics) -> anyhow::Result<Self> {
        let gauges = IncidentGauges {
            incidents: IntGaugeVec::new(
                Opts::new(
                    "sanso_incidents",
                    "Incidents by severity and lifecycle state",
                ),
                &["severity", "state"],
            )?,
            on_hold: IntGauge::new(
                "sanso_incidents_on_hold",
                "Incidents whose data a legal hold keeps out of retention deletion",
            )?,
            mean_seconds: GaugeVec::new(
                Opts::new(
                    "sanso_incident_mean_seconds_to",
                    "Mean seconds from detection (認知) to each step, over incidents that reached it",
                ),
                &["step"],
            )?,
        };
        metrics.register(Box::new(gauges.incidents.clone()))?;
        metrics.register(Box::new(gauges.on_hold.clone()))?;
        metrics.register(Box::new(gauges.mean_seconds.clone()))?;
        gauges.refresh(&Ledger::default());
        Ok(gauges)
    }

    /// Sets every gauge from the ledger.
    pub fn refresh(&self, ledger: &Ledger) {
        for severity in Severity::ALL {
            for stage in Stage::ALL {
                let count = ledger
                    .incidents
                    .values()
                    .filter(|i| i.severity == severity && i.stage == stage)
                    .count();
                self.incidents
                    .with_label_values(&[severity.as_str(), stage.as_str()])
                    .set(count as i64);
            }
        }
        self.on_hold
            .set(ledger.incidents.values().filter(|i| i.on_hold).count() as i64);
        for stage in [Stage::Reported, Stage::Contained, Stage::Closed] {
            let times: Vec<i64> = ledger
                .incidents
                .values()
                .filter_map(|i| i.seconds_to(stage))
                .collect();
            let mean = if times.is_empty() {
                0.0
            } else {
                times.iter().sum::<i64>() as f64 / times.len() as f64
            };
            self.mean_seconds
                .with_label_values(&[stage.as_str()])
                .set(mean);
        }
    }

    /// Reads the log of the lake at `data` and refreshes the gauges; a log that cannot
    /// be read leaves them as they were and is reported.
    pub fn refresh_from(&self, data: &Path) {
        match IncidentStore::new(data).load() {
            Ok(ledger) => self.refresh(&ledger),
            Err(err) => tracing::error!(%err, "reading the incident log for metrics"),
        }
    }
}

/// Parses an RFC 3339 time given over HTTP.
pub fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("`{text}` is not an RFC 3339 time"))
}
