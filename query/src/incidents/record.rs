//! What an incident is: the events of its history, and the record they fold into.
//!
//! An incident's state is never stored, only derived: [`Incident::apply`] folds one
//! [`Event`] into the record, and rejects an event that the lifecycle does not allow.
//! The same function checks a new event before it is written and replays the log when
//! it is read, so a log can only ever hold histories that the rules accept.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::IncidentError;

/// The steps of an incident's lifecycle, in order (basic policy 6(7): report to the
/// unified contact point, contain, then close).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// 認知: the city knows of it (opened from alerts).
    Detected,
    /// 報告: reported to the CSIRT (統一的な窓口).
    Reported,
    /// 封じ込め: the damage is contained.
    Contained,
    /// 終結: closed.
    Closed,
}

impl Stage {
    /// Every stage, in lifecycle order.
    pub const ALL: [Stage; 4] = [
        Stage::Detected,
        Stage::Reported,
        Stage::Contained,
        Stage::Closed,
    ];

    /// The English name, as stored and as SQL shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Detected => "detected",
            Stage::Reported => "reported",
            Stage::Contained => "contained",
            Stage::Closed => "closed",
        }
    }

    /// The Japanese name used in the city's procedures.
    pub fn japanese(self) -> &'static str {
        match self {
            Stage::Detected => "認知",
            Stage::Reported => "報告",
            Stage::Contained => "封じ込め",
            Stage::Closed => "終結",
        }
    }

    /// The step that normally follows, if any.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Detected => Some(Stage::Reported),
            Stage::Reported => Some(Stage::Contained),
            Stage::Contained => Some(Stage::Closed),
            Stage::Closed => None,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.japanese(), self.as_str())
    }
}

impl FromStr for Stage {
    type Err = IncidentError;

    /// Accepts the English or the Japanese name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| s == stage.as_str() || s == stage.japanese())
            .ok_or_else(|| IncidentError::UnknownName {
                what: "stage",
                value: s.to_owned(),
                expected: "detected (認知), reported (報告), contained (封じ込め), closed (終結)",
            })
    }
}

/// How serious an incident is, in the alerts' (Sigma's) levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a record.
    Informational,
    /// Minor.
    Low,
    /// Needs attention within the day.
    Medium,
    /// Needs attention now.
    High,
    /// A breach of the zone separation or an attack in progress.
    Critical,
}

impl Severity {
    /// Every level, least urgent first.
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The level's name.
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

impl FromStr for Severity {
    type Err = IncidentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|level| s == level.as_str())
            .ok_or_else(|| IncidentError::UnknownName {
                what: "severity",
                value: s.to_owned(),
                expected: "informational, low, medium, high, critical",
            })
    }
}

/// Bodies outside the city an incident may be reported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Authority {
    /// The prefecture (都道府県), which runs the security cloud.
    Prefecture,
    /// The Ministry of Internal Affairs and Communications (総務省) or another ministry.
    Ministry,
    /// The police (警察), when the attack may be a crime.
    Police,
}

impl Authority {
    /// Every authority.
    pub const ALL: [Authority; 3] = [
        Authority::Prefecture,
        Authority::Ministry,
        Authority::Police,
    ];

    /// The name as stored and as SQL shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::Prefecture => "prefecture",
            Authority::Ministry => "ministry",
            Authority::Police => "police",
        }
    }
}

impl FromStr for Authority {
    type Err = IncidentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Authority::ALL
            .into_iter()
            .find(|a| s == a.as_str())
            .ok_or_else(|| IncidentError::UnknownName {
                what: "authority",
                value: s.to_owned(),
                expected: "prefecture, ministry, police",
            })
    }
}

/// What one event changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The incident is opened (認知) from alerts.
    Opened {
        /// A one-line description.
        title: String,
        /// How serious it is.
        severity: Severity,
        /// The alerts it was opened from.
        alerts: Vec<String>,
    },
    /// Progress: a step of the lifecycle, reports outside the city, more alerts, or only
    /// the event's note.
    Updated {
        /// The step reached, if this update moves the incident on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<Stage>,
        /// Authorities the incident was reported to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reported_to: Vec<Authority>,
        /// Alerts attached to the incident.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        alerts: Vec<String>,
    },
    /// A legal hold: the incident's data is kept out of retention deletion.
    Held,
    /// The legal hold is lifted.
    Released,
}

impl Change {
    /// The kind's name, as the `incident_events` table shows it.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Opened { .. } => "opened",
            Change::Updated { .. } => "updated",
            Change::Held => "held",
            Change::Released => "released",
        }
    }
}

/// One entry of an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Position in the log, from 1, over all incidents.
    pub seq: u64,
    /// The incident, e.g. `INC-2026-0001`.
    pub incident: String,
    /// When it happened, as the person recording it states.
    pub at: DateTime<Utc>,
    /// When it was written to the log.
    pub recorded_at: DateTime<Utc>,
    /// Who did it or records it.
    pub by: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What changed.
    pub change: Change,
    /// SHA-256 (hex) of the previous entry; all zeros for the first.
    pub prev: String,
}

/// A note from an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub by: String,
    /// The text.
    pub text: String,
}

/// An incident as its history makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// `INC-YYYY-NNNN`.
    pub id: String,
    /// A one-line description.
    pub title: String,
    /// How serious it is.
    pub severity: Severity,
    /// The step reached.
    pub stage: Stage,
    /// Who opened it.
    pub opened_by: String,
    /// 認知: when the city knew of it.
    pub detected_at: DateTime<Utc>,
    /// 報告: when it was reported to the CSIRT.
    pub reported_at: Option<DateTime<Utc>>,
    /// 封じ込め: when it was contained.
    pub contained_at: Option<DateTime<Utc>>,
    /// 終結: when it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// The alerts it concerns, in the order they were attached.
    pub alerts: Vec<String>,
    /// Authorities outside the city it was reported to, with when.
    pub reported_outside: Vec<(Authority, DateTime<Utc>)>,
    /// Whether a legal hold keeps its data from retention deletion.
    pub on_hold: bool,
    /// The notes of its history.
    pub notes: Vec<Note>,
    /// Time of its latest event.
    pub updated_at: DateTime<Utc>,
    /// Events in its history.
    pub events: u64,
}

impl Incident {
    /// The record an `Opened` event creates; any other event is refused.
    pub fn open(event: &Event) -> Result<Incident, IncidentError> {
        let Change::Opened {
            title,
            severity,
            alerts,
        } = &event.change
        else {
            return Err(IncidentError::NotFound {
                id: event.incident.clone(),
            });
        };
        if alerts.is_empty() {
            return Err(IncidentError::NoAlerts);
        }
        if title.trim().is_empty() {
            return Err(IncidentError::EmptyField { field: "title" });
        }
        check_by(&event.by)?;
        let mut incident = Incident {
            id: event.incident.clone(),
            title: title.clone(),
            severity: *severity,
            stage: Stage::Detected,
            opened_by: event.by.clone(),
            detected_at: event.at,
            reported_at: None,
            contained_at: None,
            closed_at: None,
            alerts: Vec::new(),
            reported_outside: Vec::new(),
            on_hold: false,
            notes: Vec::new(),
            updated_at: event.at,
            events: 1,
        };
        incident.attach(alerts);
        incident.take_note(event);
        Ok(incident)
    }

    /// Folds one later event into the record, or says why the lifecycle forbids it.
    /// On error the record is unchanged.
    pub fn apply(&mut self, event: &Event) -> Result<(), IncidentError> {
        check_by(&event.by)?;
        match &event.change {
            Change::Opened { .. } => {
                return Err(IncidentError::AlreadyOpen {
                    id: self.id.clone(),
                });
            }
            Change::Updated {
                stage,
                reported_to,
                alerts,
            } => {
                if stage.is_none()
                    && reported_to.is_empty()
                    && alerts.is_empty()
                    && event.note.as_deref().is_none_or(|n| n.trim().is_empty())
                {
                    return Err(IncidentError::EmptyUpdate {
                        id: self.id.clone(),
                    });
                }
                if let Some(to) = *stage {
                    self.check_transition(to, event.at)?;
                    match to {
                        Stage::Detected => {}
                        Stage::Reported => self.reported_at = Some(event.at),
                        Stage::Contained => self.contained_at = Some(event.at),
                        Stage::Closed => self.closed_at = Some(event.at),
                    }
                    self.stage = to;
                }
                for authority in reported_to {
                    if !self.reported_outside.iter().any(|(a, _)| a == authority) {
                        self.reported_outside.push((*authority, event.at));
                    }
                }
                self.attach(alerts);
            }
            Change::Held if self.on_hold => {
                return Err(IncidentError::HoldUnchanged {
                    id: self.id.clone(),
                    on_hold: true,
                });
            }
            Change::Released if !self.on_hold => {
                return Err(IncidentError::HoldUnchanged {
                    id: self.id.clone(),
                    on_hold: false,
                });
            }
            Change::Held => self.on_hold = true,
            Change::Released => self.on_hold = false,
        }
        self.take_note(event);
        self.updated_at = self.updated_at.max(event.at);
        self.events += 1;
        Ok(())
    }

    /// The lifecycle moves forward one step at a time, except that an incident may be
    /// closed from any step (a false positive needs no containment); a step is never
    /// dated before the one it follows.
    fn check_transition(&self, to: Stage, at: DateTime<Utc>) -> Result<(), IncidentError> {
        let allowed = self.stage.next() == Some(to) || (to == Stage::Closed && self.stage < to);
        if !allowed {
            return Err(IncidentError::Transition {
                id: self.id.clone(),
                from: self.stage,
                to,
            });
        }
        let previous = self.stage_time(self.stage);
        if at < previous {
            return Err(IncidentError::BeforePreviousStep {
                id: self.id.clone(),
                to,
                at,
                from: self.stage,
                previous,
            });
        }
        Ok(())
    }

    /// When the incident reached `stage`, or its detection time for a step it skipped.
    fn stage_time(&self, stage: Stage) -> DateTime<Utc> {
        let at = match stage {
            Stage::Detected => None,
            Stage::Reported => self.reported_at,
            Stage::Contained => self.contained_at,
            Stage::Closed => self.closed_at,
        };
        at.unwrap_or(self.detected_at)
    }

    fn attach(&mut self, alerts: &[String]) {
        for alert in alerts {
            if !self.alerts.contains(alert) {
                self.alerts.push(alert.clone());
            }
        }
    }

    fn take_note(&mut self, event: &Event) {
        if let Some(text) = event.note.as_deref().filter(|n| !n.trim().is_empty()) {
            self.notes.push(Note {
                at: event.at,
                by: event.by.clone(),
                text: text.to_owned(),
            });
        }
    }

    /// Seconds from detection to `stage`, once reached.
    pub fn seconds_to(&self, stage: Stage) -> Option<i64> {
        let at = match stage {
            Stage::Detected => Some(self.detected_at),
            Stage::Reported => self.reported_at,
            Stage::Contained => self.contained_at,
            Stage::Closed => self.closed_at,
        }?;
        Some((at - self.detected_at).num_seconds())
    }
}

fn check_by(by: &str) -> Result<(), IncidentError> {
    if by.trim().is_empty() {
        return Err(IncidentError::EmptyField { field: "by" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        format!("2026-11-20T{hour:02}:00:00Z").parse().unwrap()
    }

    fn event(change: Change, hour: u32) -> Event {
        Event {
            seq: 1,
            incident: "INC-2026-0001".into(),
            at: at(hour),
            recorded_at: at(hour),
            by: "tanaka".into(),
            note: None,
            change,
            prev: String::new(),
        }
    }

    fn opened() -> Incident {
        Incident::open(&event(
            Change::Opened {
                title: "Brute force on core".into(),
                severity: Severity::High,
                alerts: vec!["a1".into()],
            },
            1,
        ))
        .unwrap()
    }

    fn to(stage: Stage, hour: u32) -> Event {
        event(
            Change::Updated {
                stage: Some(stage),
                reported_to: Vec::new(),
                alerts: Vec::new(),
            },
            hour,
        )
    }

    #[test]
    fn the_lifecycle_runs_forward_and_times_each_step() {
        let mut incident = opened();
        incident.apply(&to(Stage::Reported, 2)).unwrap();
        incident.apply(&to(Stage::Contained, 4)).unwrap();
        incident.apply(&to(Stage::Closed, 9)).unwrap();
        assert_eq!(incident.stage, Stage::Closed);
        assert_eq!(incident.seconds_to(Stage::Reported), Some(3600));
        assert_eq!(incident.seconds_to(Stage::Contained), Some(3 * 3600));
        assert_eq!(incident.seconds_to(Stage::Closed), Some(8 * 3600));
        assert_eq!(incident.events, 4);
    }

    #[test]
    fn skipping_a_step_going_back_or_dating_it_earlier_is_refused() {
        let mut incident = opened();
        let err = incident.apply(&to(Stage::Contained, 2)).unwrap_err();
        assert!(
            err.to_string().contains("認知 (detected)")
                && err.to_string().contains("封じ込め (contained)"),
            "{err}"
        );
        incident.apply(&to(Stage::Reported, 3)).unwrap();
        assert!(matches!(
            incident.apply(&to(Stage::Reported, 4)),
            Err(IncidentError::Transition { .. })
        ));
        assert!(matches!(
            incident.apply(&to(Stage::Contained, 2)),
            Err(IncidentError::BeforePreviousStep { .. })
        ));
        let before = incident.clone();
        assert!(incident.apply(&to(Stage::Detected, 5)).is_err());
        assert_eq!(incident, before, "a refused event changes nothing");
    }

    #[test]
    fn a_false_positive_closes_from_any_open_step_but_stays_closed() {
        let mut incident = opened();
        incident.apply(&to(Stage::Closed, 2)).unwrap();
        assert_eq!(incident.contained_at, None);
        assert!(incident.apply(&to(Stage::Closed, 3)).is_err());
        // Notes may still be added after closure.
        let mut note = event(
            Change::Updated {
                stage: None,
                reported_to: Vec::new(),
                alerts: Vec::new(),
            },
            4,
        );
        assert!(matches!(
            incident.apply(&note),
            Err(IncidentError::EmptyUpdate { .. })
        ));
        note.note = Some("confirmed benign with the vendor".into());
        incident.apply(&note).unwrap();
        assert_eq!(incident.notes.len(), 1);
    }

    #[test]
    fn holds_and_outside_reports_are_recorded_once() {
        let mut incident = opened();
        incident.apply(&event(Change::Held, 2)).unwrap();
        assert!(incident.on_hold);
        assert!(incident.apply(&event(Change::Held, 2)).is_err());
        incident.apply(&event(Change::Released, 3)).unwrap();
        assert!(incident.apply(&event(Change::Released, 3)).is_err());
        let police = Change::Updated {
            stage: None,
            reported_to: vec![Authority::Police, Authority::Police],
            alerts: vec!["a1".into(), "a2".into()],
        };
        incident.apply(&event(police, 4)).unwrap();
        assert_eq!(incident.reported_outside, vec![(Authority::Police, at(4))]);
        assert_eq!(incident.alerts, ["a1", "a2"]);
    }

    #[test]
    fn names_parse_in_english_and_japanese() {
        assert_eq!("封じ込め".parse::<Stage>().unwrap(), Stage::Contained);
        assert_eq!("reported".parse::<Stage>().unwrap(), Stage::Reported);
        assert!("done".parse::<Stage>().is_err());
        assert_eq!("police".parse::<Authority>().unwrap(), Authority::Police);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
