//! The append-only, hash-chained event log of incidents.
//!
//! One file, `<lake>/_sanso/incidents/events.jsonl`, one JSON object per line:
//!
//! ```text
//! {"event":{"seq":1,"incident":"INC-2026-0001",...,"prev":"000…0"},"hash":"9f2c…"}
//! {"event":{"seq":2,"incident":"INC-2026-0001",...,"prev":"9f2c…"},"hash":"41d7…"}
//! ```
//!
//! `hash` is the SHA-256 of the event's JSON, and each event names the hash of the one
//! before it in `prev`. Editing, removing or reordering any line therefore breaks the
//! chain at that line, and [`IncidentStore::load`] refuses the log, naming the line.
//! (Cutting lines off the end leaves a valid, shorter chain; the head hash that
//! `sanso incident verify` prints, and that each evidence export records, lets an
//! auditor anchor the log outside the machine.)
//!
//! # Concurrency and durability
//!
//! `sanso run` (through HTTP) and the CLI may append at the same time: an append takes
//! an exclusive lock on the file, reads and checks the whole log, folds it, validates the
//! new event against the incident's current state, writes one line and `fsync`s it
//! before answering. A line torn by a crash mid-write was never acknowledged; it is
//! ignored when reading and cut off by the next append.
//!
//! # Performance
//!
//! Every read and append replays the whole log. A city opens a few incidents a month,
//! so the log stays in the kilobytes to low megabytes, and replaying it is cheaper than
//! keeping a second, derived copy of the state consistent.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::IncidentError;
use super::record::{Authority, Change, Event, Incident, Severity, Stage};

/// The `prev` of the first event.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    event: Event,
    hash: String,
}

/// The folder of the log below the lake root.
pub fn incidents_dir(lake: &Path) -> PathBuf {
    lake.join("_sanso").join("incidents")
}

/// What a request to open an incident carries.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// A one-line description.
    pub title: String,
    /// How serious it is.
    pub severity: Severity,
    /// The alerts it is opened from (at least one).
    pub alerts: Vec<String>,
    /// Who opens it.
    pub by: String,
    /// When the city knew of it; now when absent.
    pub at: Option<DateTime<Utc>>,
    /// Free text.
    pub note: Option<String>,
}

/// What a request to record progress carries; see [`Change::Updated`].
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// The step reached, if the incident moves on.
    pub stage: Option<Stage>,
    /// Authorities outside the city it was reported to.
    pub reported_to: Vec<Authority>,
    /// Alerts to attach.
    pub alerts: Vec<String>,
    /// Who records it.
    pub by: String,
    /// When it happened; now when absent.
    pub at: Option<DateTime<Utc>>,
    /// Free text.
    pub note: Option<String>,
}

/// The log read and checked: every event, and the incidents they fold into.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Every event, in log order.
    pub events: Vec<Event>,
    /// Every incident by id.
    pub incidents: BTreeMap<String, Incident>,
    /// SHA-256 of the last entry, or all zeros for an empty log.
    pub head: String,
}

impl Ledger {
    /// The incident `id`.
    pub fn get(&self, id: &str) -> Result<&Incident, IncidentError> {
        self.incidents
            .get(id)
            .ok_or_else(|| IncidentError::NotFound { id: id.to_owned() })
    }

    /// The events of incident `id`, oldest first.
    pub fn history<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.incident == id)
    }
}

/// The incident log of one lake; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct IncidentStore {
    path: PathBuf,
}

impl IncidentStore {
    /// The store of the lake at `lake`. Nothing is created until the first append.
    pub fn new(lake: &Path) -> Self {
        IncidentStore {
            path: incidents_dir(lake).join("events.jsonl"),
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and checks the whole log.
    pub fn load(&self) -> Result<Ledger, IncidentError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Ledger {
                    head: GENESIS.to_owned(),
                    ..Ledger::default()
                });
            }
            Err(source) => return Err(self.io(source)),
        };
        file.lock_shared().map_err(|e| self.io(e))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| self.io(e))?;
        replay(&self.path, complete_lines(&text))
    }

    /// Opens a new incident and returns it.
    pub fn open_incident(&self, request: NewIncident) -> Result<Incident, IncidentError> {
        self.append(|ledger, now| {
            let at = request.at.unwrap_or(now);
            let year = at.year();
            let prefix = format!("INC-{year}-");
            let number = ledger
                .incidents
                .keys()
                .filter(|id| id.starts_with(&prefix))
                .count()
                + 1;
            Ok(Draft {
                incident: format!("{prefix}{number:04}"),
                at,
                by: request.by.clone(),
                note: request.note.clone(),
                change: Change::Opened {
                    title: request.title.clone(),
                    severity: request.severity,
                    alerts: request.alerts.clone(),
                },
            })
        })
    }

    /// Records progress on incident `id` and returns it as it now stands.
    pub fn update(&self, id: &str, request: Update) -> Result<Incident, IncidentError> {
        self.append(|_, now| {
            Ok(Draft {
                incident: id.to_owned(),
                at: request.at.unwrap_or(now),
                by: request.by.clone(),
                note: request.note.clone(),
                change: Change::Updated {
                    stage: request.stage,
                    reported_to: request.reported_to.clone(),
                    alerts: request.alerts.clone(),
                },
            })
        })
    }

    /// Places (`hold`) or lifts a legal hold on incident `id`.
    pub fn set_hold(
        &self,
        id: &str,
        hold: bool,
        by: &str,
        note: Option<String>,
    ) -> Result<Incident, IncidentError> {
        self.append(|_, now| {
            Ok(Draft {
                incident: id.to_owned(),
                at: now,
                by: by.to_owned(),
                note: note.clone(),
                change: if hold { Change::Held } else { Change::Released },
            })
        })
    }

    /// Under the exclusive lock: replays the log, drafts the event from it, checks the
    /// event against the incident, then writes and syncs it.
    fn append(
        &self,
        draft: impl FnOnce(&Ledger, DateTime<Utc>) -> Result<Draft, IncidentError>,
    ) -> Result<Incident, IncidentError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|source| IncidentError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let created = !self.path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| self.io(e))?;
        let complete = complete_lines(&text);
        let ledger = replay(&self.path, complete)?;
        if complete.len() < text.len() {
            tracing::warn!(
                path = %self.path.display(),
                bytes = text.len() - complete.len(),
                "cutting off a line torn by an interrupted append"
            );
            file.set_len(complete.len() as u64)
                .map_err(|e| self.io(e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| self.io(e))?;
        }

        let now = Utc::now();
        let Draft {
            incident,
            at,
            by,
            note,
            change,
        } = draft(&ledger, now)?;
        let event = Event {
            seq: ledger.events.len() as u64 + 1,
            incident,
            at,
            recorded_at: now,
            by,
            note,
            change,
            prev: ledger.head.clone(),
        };
        let record = match ledger.incidents.get(&event.incident) {
            Some(existing) => {
                let mut record = existing.clone();
                record.apply(&event)?;
                record
            }
            None => Incident::open(&event)?,
        };
        let mut line = serde_json::to_vec(&Entry {
            hash: hash(&event),
            event,
        })
        .map_err(|source| IncidentError::Encode { source })?;
        line.push(b'\n');
        file.write_all(&line).map_err(|e| self.io(e))?;
        file.sync_data().map_err(|e| self.io(e))?;
        if created {
            // The new file's name must survive a crash as well as its content.
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|source| IncidentError::Io {
                    path: dir.to_owned(),
                    source,
                })?;
        }
        Ok(record)
    }

    fn io(&self, source: std::io::Error) -> IncidentError {
        IncidentError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// An event before the store numbers, chains and dates it.
struct Draft {
    incident: String,
    at: DateTime<Utc>,
    by: String,
    note: Option<String>,
    change: Change,
}

/// The text up to and including its last newline: a line without one was torn.
fn complete_lines(text: &str) -> &str {
    text.rfind('\n').map_or("", |end| &text[..=end])
}

/// Checks the chain line by line and folds the events.
fn replay(path: &Path, text: &str) -> Result<Ledger, IncidentError> {
    let mut ledger = Ledger {
        head: GENESIS.to_owned(),
        ..Ledger::default()
    };
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let tampered = |reason: String| IncidentError::Tampered {
            path: path.to_owned(),
            line: number,
            reason,
        };
        let entry: Entry = serde_json::from_str(line)
            .map_err(|err| tampered(format!("not an incident event: {err}")))?;
        let event = entry.event;
        if event.prev != ledger.head {
            return Err(tampered(format!(
                "it names {} as the previous entry, but that is {}",
                event.prev, ledger.head
            )));
        }
        let computed = hash(&event);
        if computed != entry.hash {
            return Err(tampered(format!(
                "its content hashes to {computed}, not to the recorded {}",
                entry.hash
            )));
        }
        if event.seq != number as u64 {
            return Err(tampered(format!("it is numbered {}", event.seq)));
        }
        match ledger.incidents.get_mut(&event.incident) {
            Some(incident) => incident.apply(&event),
            None => Incident::open(&event).map(|incident| {
                ledger.incidents.insert(incident.id.clone(), incident);
            }),
        }
        .map_err(|err| tampered(format!("the lifecycle does not allow it: {err}")))?;
        ledger.head = computed;
        ledger.events.push(event);
    }
    Ok(ledger)
}

/// SHA-256 (hex) of the event's JSON encoding, which is deterministic: fields in
/// declaration order, no maps.
fn hash(event: &Event) -> String {
    let json = serde_json::to_vec(event).unwrap_or_default();
    hex(&Sha256::digest(&json))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(store: &IncidentStore) -> Incident {
        store
            .open_incident(NewIncident {
                title: "Password guessing on srv-core01".into(),
                severity: Severity::High,
                alerts: vec!["00aa".into()],
                by: "tanaka".into(),
                at: Some("2026-11-20T01:00:00Z".parse().unwrap()),
                note: Some("seen on the dashboard".into()),
            })
            .unwrap()
    }

    fn report(store: &IncidentStore, id: &str) -> Result<Incident, IncidentError> {
        store.update(
            id,
            Update {
                stage: Some(Stage::Reported),
                by: "suzuki".into(),
                at: Some("2026-11-20T02:00:00Z".parse().unwrap()),
                ..Update::default()
            },
        )
    }

    #[test]
    fn appends_survive_a_reopen_and_fold_into_the_same_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = IncidentStore::new(dir.path());
        assert!(store.load().unwrap().incidents.is_empty());
        let first = open(&store);
        assert_eq!(first.id, "INC-2026-0001");
        assert_eq!(open(&store).id, "INC-2026-0002");
        let reported = report(&store, &first.id).unwrap();
        assert_eq!(reported.stage, Stage::Reported);

        let ledger = IncidentStore::new(dir.path()).load().unwrap();
        assert_eq!(ledger.events.len(), 3);
        assert_eq!(ledger.get(&first.id).unwrap(), &reported);
        assert_eq!(ledger.head.len(), 64);
        assert!(matches!(
            ledger.get("INC-2026-0099"),
            Err(IncidentError::NotFound { .. })
        ));
    }

    #[test]
    fn a_refused_event_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = IncidentStore::new(dir.path());
        let id = open(&store).id;
        report(&store, &id).unwrap();
        assert!(matches!(
            report(&store, &id),
            Err(IncidentError::Transition { .. })
        ));
        assert!(matches!(
            report(&store, "INC-2026-0042"),
            Err(IncidentError::NotFound { .. })
        ));
        assert_eq!(store.load().unwrap().events.len(), 2);
    }

    #[test]
    fn editing_removing_or_reordering_a_line_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = IncidentStore::new(dir.path());
        let id = open(&store).id;
        report(&store, &id).unwrap();
        store.set_hold(&id, true, "legal", None).unwrap();
        let original = fs::read_to_string(store.path()).unwrap();
        let lines: Vec<&str> = original.lines().collect();

        let edited = original.replacen("\"severity\":\"high\"", "\"severity\":\"low\"", 1);
        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        let swapped = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        for (what, text, line) in [
            ("edited", edited, 1),
            ("removed", removed, 2),
            ("swapped", swapped, 1),
        ] {
            fs::write(store.path(), text).unwrap();
            match store.load() {
                Err(IncidentError::Tampered { line: at, .. }) => assert_eq!(at, line, "{what}"),
                other => panic!("{what}: {other:?}"),
            }
            // Nothing can be appended to a broken log either.
            assert!(report(&store, &id).is_err(), "{what}");
        }
        fs::write(store.path(), &original).unwrap();
        assert_eq!(store.load().unwrap().events.len(), 3);
    }

    #[test]
    fn a_torn_last_line_is_ignored_then_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let store = IncidentStore::new(dir.path());
        let id = open(&store).id;
        let mut file = OpenOptions::new().append(true).open(store.path()).unwrap();
        file.write_all(b"{\"event\":{\"seq\":2,").unwrap();
        assert_eq!(store.load().unwrap().events.len(), 1);
        report(&store, &id).unwrap();
        let ledger = store.load().unwrap();
        assert_eq!(ledger.events.len(), 2);
        assert_eq!(ledger.get(&id).unwrap().stage, Stage::Reported);
    }
}
