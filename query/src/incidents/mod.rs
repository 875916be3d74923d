//! Incident records: alerts become incidents that the city's CSIRT follows through
//! 認知 → 報告 → 封じ込め → 終結 (detected, reported, contained, closed).
//!
//! ```text
//!  CLI / HTTP ──NewIncident / Update──> IncidentStore::append ──> events.jsonl (hash chain)
//!                                                                      │ replay + fold
//!  SQL: incidents, incident_events <──IncidentTableProvider <── Ledger ┘
//! ```
//!
//! * [`record`]: the lifecycle. An incident's state is a fold over its [`Event`]s;
//!   [`Incident::apply`] is the only place the rules live.
//! * [`store`]: the durable, append-only log next to the lake, with a SHA-256 chain so
//!   that rewriting history is detected.
//! * [`table`]: the SQL tables over the log, read afresh at every scan.
//!
//! The key decision is to store events, never state: a report to the police or an
//! auditor can show who did what when, and a state that disagrees with its history
//! cannot exist.

pub mod record;
pub mod store;
pub mod table;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use record::{Authority, Change, Event, Incident, Note, Severity, Stage};
pub use store::{IncidentStore, Ledger, NewIncident, Update, hex, incidents_dir};
pub use table::{IncidentTable, IncidentTableProvider};

/// An incident operation was refused or the log could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncidentError {
    /// The log could not be read or written.
    #[error("incident log {}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An event could not be encoded.
    #[error("encoding an incident event: {source}")]
    Encode {
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The log's hash chain or content does not hold: it was altered outside sanso.
    #[error(
        "incident log {} was altered at line {line}: {reason}; restore it from a backup \
         and compare with the head hash recorded in evidence exports",
        path.display()
    )]
    Tampered {
        /// The log file.
        path: PathBuf,
        /// The first line (from 1) that does not fit.
        line: usize,
        /// What does not fit.
        reason: String,
    },
    /// No incident has this id.
    #[error("no incident {id}")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// An incident may be opened only once.
    #[error("incident {id} is already open")]
    AlreadyOpen {
        /// The incident.
        id: String,
    },
    /// The lifecycle does not allow the step.
    #[error(
        "incident {id} is at {from}; it cannot move to {to}: steps go 認知 → 報告 → 封じ込め → 終結 \
         one at a time, and 終結 (closed) may follow any step"
    )]
    Transition {
        /// The incident.
        id: String,
        /// Its current step.
        from: Stage,
        /// The step asked for.
        to: Stage,
    },
    /// A step dated before the one it follows.
    #[error("incident {id}: {to} at {at} would be before {from} at {previous}")]
    BeforePreviousStep {
        /// The incident.
        id: String,
        /// The step asked for.
        to: Stage,
        /// Its date.
        at: DateTime<Utc>,
        /// The current step.
        from: Stage,
        /// When the current step was reached.
        previous: DateTime<Utc>,
    },
    /// An update that changes nothing.
    #[error("incident {id}: the update has no step, report, alert or note")]
    EmptyUpdate {
        /// The incident.
        id: String,
    },
    /// Holding a held incident, or releasing one that is not held.
    #[error(
        "incident {id} is {} under legal hold",
        if *on_hold { "already" } else { "not" }
    )]
    HoldUnchanged {
        /// The incident.
        id: String,
        /// Whether it is held.
        on_hold: bool,
    },
    /// An incident must be opened from at least one alert.
    #[error("an incident is opened from at least one alert id")]
    NoAlerts,
    /// A required text is empty.
    #[error("`{field}` must not be empty")]
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// A name that is not one of the known values.
    #[error("unknown {what} `{value}` (expected {expected})")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The name given.
        value: String,
        /// The accepted names.
        expected: &'static str,
    },
}
