//! Rule fixtures: events and the matches or alerts they must produce.
//!
//! A fixture file (`*.fixture.yml`, beside the rules it tests) holds one or more YAML
//! documents like this:
//!
//! ```yaml
//! fixture: five failures raise OMZ-15
//! table: auth                      # network, http, auth or unparsed
//! placeholders: {admins: [root]}   # optional, for |expand
//! events:                          # one row per event, columns by name
//!   - {user: tanaka, outcome: failure, raw: "sshd: Failed password for tanaka"}
//!   - {time: "2025-11-20T00:00:05Z", user: tanaka, outcome: failure}
//! expect:
//!   - {rule: OMZ-15-fail, rows: [0, 1]}   # rows a detection rule matches
//!   - {rule: OMZ-15, alerts: 1}          # alerts a rule or correlation raises
//! ```
//!
//! Columns are the table's own ([`sanso_ingest::schema`]); `extra` is a mapping. `time`
//! is RFC 3339 or microseconds, and defaults to 2025-11-20T00:00:00Z plus one second per
//! row; `received_at` likewise, and defaults to `time`; `raw` defaults to the row rendered as `key=value` pairs. `src_zone` and
//! `dst_zone` are set by naming the zone (`core`, `lgwan`, `internet`, `external`); on
//! `http`, `src_zone` follows `src_ip` (core 10.10.0.0/16, lgwan 10.20.0.0/16,
//! internet 10.30.0.0/16). A case in the test corpus also carries its rules inline,
//! under `rules:`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{AuthEvent, Event, HttpEvent, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use serde::Deserialize;
use serde_yaml_ng::Value as Yaml;

use crate::detector::Detector;
use crate::engine::{Engine, EngineConfig};
use crate::ir::{FieldMapping, Placeholders};
use crate::sigma::{self, RuleSet};

/// Default time of the first row: 2025-11-20T00:00:00Z.
pub const T0: i64 = 1_763_596_800_000_000;

/// One fixture.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the fixture shows.
    pub fixture: String,
    /// The table of the events.
    pub table: String,
    /// Sigma documents, for self-contained test cases.
    #[serde(default)]
    pub rules: Option<String>,
    /// Placeholder values, added to those given to [`Fixture::run`].
    #[serde(default)]
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// The events, one mapping of column to value each.
    pub events: Vec<BTreeMap<String, Yaml>>,
    /// What must come out.
    pub expect: Vec<Expectation>,
}

/// One expected outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The rule or correlation, by id, name or title.
    pub rule: String,
    /// The rows the rule matches (detection rules).
    #[serde(default)]
    pub rows: Option<Vec<u32>>,
    /// The number of alerts it raises.
    #[serde(default)]
    pub alerts: Option<usize>,
}

/// A fixture that could not be read or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a fixture.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A row names a column the table lacks, or gives it a value of the wrong type.
    #[error("fixture `{fixture}`, row {row}: {message}")]
    Row {
        /// The fixture.
        fixture: String,
        /// 0-based row.
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// The inline rules do not load.
    #[error("fixture `{fixture}`: {message}")]
    Rules {
        /// The fixture.
        fixture: String,
        /// The load or compile errors.
        message: String,
    },
    /// Evaluation failed.
    #[error("fixture `{fixture}`: {source}")]
    Eval {
        /// The fixture.
        fixture: String,
        /// The error.
        source: crate::EvalError,
    },
}

/// The outcome of one fixture: empty `failures` means it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureReport {
    /// The fixture's name.
    pub fixture: String,
    /// One line per unmet expectation.
    pub failures: Vec<String>,
}

/// Reads every fixture document of one file.
pub fn parse_fixtures(text: &str, path: &Path) -> Result<Vec<Fixture>, FixtureError> {
    let mut out = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let fixture = Fixture::deserialize(document).map_err(|e| FixtureError::Format {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        out.push(fixture);
    }
    Ok(out)
}

/// Every fixture file (`*.fixture.yml` / `*.fixture.yaml`) under `dir`, in name order.
pub fn load_fixtures(dir: &Path) -> Result<Vec<(PathBuf, Fixture)>, FixtureError> {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> FixtureError + '_ {
        move |source| FixtureError::Io {
            path: path.to_owned(),
            source,
        }
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(io(&path))? {
                pending.push(entry.map_err(io(&path))?.path());
            }
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| sigma::FIXTURE_SUFFIXES.iter().any(|s| n.ends_with(s)))
        {
            files.push(path);
        }
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(io(&file))?;
        out.extend(
            parse_fixtures(&text, &file)?
                .into_iter()
                .map(|f| (file.clone(), f)),
        );
    }
    Ok(out)
}

/// The zone map fixtures use: zones named as interfaces, and one /16 per zone.
fn fixture_zones() -> Arc<ZoneMap> {
    let config = |cidr: &str, name: &str| ZoneConfig {
        cidrs: vec![cidr.to_owned()],
        interfaces: vec![name.to_owned()],
        ..ZoneConfig::default()
    };
    let (core, lgwan, internet) = (
        config("10.10.0.0/16", "core"),
        config("10.20.0.0/16", "lgwan"),
        config("10.30.0.0/16", "internet"),
    );
    let external = ZoneConfig {
        interfaces: vec!["external".into()],
        ..ZoneConfig::default()
    };
    let zones = [
        (Zone::Core, &core),
        (Zone::Lgwan, &lgwan),
        (Zone::Internet, &internet),
        (Zone::External, &external),
    ];
    Arc::new(ZoneMap::new(zones).unwrap_or_default())
}

fn text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A row's values as text, with typed accessors that report the column on error.
struct Row<'a> {
    fixture: &'a str,
    index: usize,
    values: BTreeMap<&'a str, String>,
    extra: Vec<(String, String)>,
}

impl<'a> Row<'a> {
    fn new(
        fixture: &'a str,
        index: usize,
        row: &'a BTreeMap<String, Yaml>,
    ) -> Result<Row<'a>, FixtureError> {
        let mut values = BTreeMap::new();
        let mut extra = Vec::new();
        for (key, value) in row {
            if key == "extra" {
                let Yaml::Mapping(map) = value else {
                    return Err(Row::error_at(
                        fixture,
                        index,
                        "`extra` must be a mapping".into(),
                    ));
                };
                for (k, v) in map {
                    match (text(k), text(v)) {
                        (Some(k), Some(v)) => extra.push((k, v)),
                        _ => {
                            return Err(Row::error_at(
                                fixture,
                                index,
                                "`extra` holds strings".into(),
                            ));
                        }
                    }
                }
            } else if let Some(v) = text(value) {
                values.insert(key.as_str(), v);
            } else if !value.is_null() {
                return Err(Row::error_at(
                    fixture,
                    index,
                    format!("`{key}` must be a scalar"),
                ));
            }
        }
        Ok(Row {
            fixture,
            index,
            values,
            extra,
        })
    }

    fn error_at(fixture: &str, row: usize, message: String) -> FixtureError {
        FixtureError::Row {
            fixture: fixture.to_owned(),
            row,
            message,
        }
    }

    fn error(&self, message: String) -> FixtureError {
        Row::error_at(self.fixture, self.index, message)
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    fn num<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, FixtureError> {
        self.str(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| self.error(format!("`{key}` is not a number: {v}")))
            })
            .transpose()
    }

    fn time(&self) -> Result<i64, FixtureError> {
        Ok(self
            .instant("time")?
            .unwrap_or(T0 + self.index as i64 * 1_000_000))
    }

    /// A timestamp column, RFC 3339 or microseconds.
    fn instant(&self, key: &str) -> Result<Option<i64>, FixtureError> {
        self.str(key)
            .map(|t| {
                t.parse::<i64>().or_else(|_| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map(|d| d.timestamp_micros())
                        .map_err(|_| {
                            self.error(format!("`{key}` is neither RFC 3339 nor microseconds: {t}"))
                        })
                })
            })
            .transpose()
    }

    fn check_columns(&self, table: Table) -> Result<(), FixtureError> {
        let schema = table.schema();
        match self
            .values
            .keys()
            .find(|k| schema.field_with_name(k).is_err())
        {
            Some(unknown) => Err(self.error(format!("table {table} has no column `{unknown}`"))),
            None => Ok(()),
        }
    }
}

impl Fixture {
    /// The table, checked.
    pub fn table(&self) -> Result<Table, FixtureError> {
        Table::from_name(&self.table)
            .filter(|t| Table::EVENT_TABLES.contains(t))
            .ok_or_else(|| FixtureError::Rules {
                fixture: self.fixture.clone(),
                message: format!(
                    "`{}` is not an event table (network, http, auth, unparsed)",
                    self.table
                ),
            })
    }

    /// The events as one record batch of the real schema, built through
    /// [`sanso_ingest::batch::Batches`].
    pub fn batch(&self) -> Result<RecordBatch, FixtureError> {
        let table = self.table()?;
        let mut batches = Batches::new(fixture_zones());
        let rows: Vec<Row<'_>> = self
            .events
            .iter()
            .enumerate()
            .map(|(i, r)| Row::new(&self.fixture, i, r))
            .collect::<Result<_, _>>()?;
        for row in &rows {
            row.check_columns(table)?;
            let rendered: String;
            let raw = match row.str("raw") {
                Some(raw) => raw,
                None => {
                    rendered = row
                        .values
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    &rendered
                }
            };
            let source = format!("fixture:{}:{}", self.fixture, row.index);
            let time = row.time()?;
            let zone = row
                .str("zone")
                .map(|z| z.parse::<Zone>().map_err(|e| row.error(e)))
                .transpose()?;
            let common = Common {
                time,
                received_at: row.instant("received_at")?.unwrap_or(time),
                zone,
                device: row.str("device"),
                format: row.str("format"),
                source: &source,
                raw,
                raw_bytes: None,
            };
            let extra: Vec<(&str, &str)> = row
                .extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let event = match table {
                Table::Network => Event::Network(NetworkEvent {
                    time: Some(time),
                    src_ip: row.str("src_ip"),
                    src_port: row.num("src_port")?,
                    dst_ip: row.str("dst_ip"),
                    dst_port: row.num("dst_port")?,
                    protocol: row.str("protocol"),
                    action: row.str("action"),
                    rule: row.str("rule"),
                    bytes_in: row.num("bytes_in")?,
                    bytes_out: row.num("bytes_out")?,
                    packets: row.num("packets")?,
                    duration_ms: row.num("duration_ms")?,
                    src_intf: row.str("src_intf"),
                    dst_intf: row.str("dst_intf"),
                    src_device_zone: row.str("src_zone"),
                    dst_device_zone: row.str("dst_zone"),
                    app: row.str("app"),
                    threat_name: row.str("threat_name"),
                    threat_severity: row.str("threat_severity"),
                    nat_src_ip: row.str("nat_src_ip"),
                    nat_src_port: row.num("nat_src_port")?,
                    nat_dst_ip: row.str("nat_dst_ip"),
                    nat_dst_port: row.num("nat_dst_port")?,
                    extra,
                }),
                Table::Http => Event::Http(HttpEvent {
                    time: Some(time),
                    src_ip: row.str("src_ip"),
                    user: row.str("user"),
                    method: row.str("method"),
                    url: row.str("url"),
                    url_host: row.str("url_host"),
                    url_path: row.str("url_path"),
                    status: row.num("status")?,
                    bytes_in: row.num("bytes_in")?,
                    bytes_out: row.num("bytes_out")?,
                    content_type: row.str("content_type"),
                    user_agent: row.str("user_agent"),
                    category: row.str("category"),
                    action: row.str("action"),
                    duration_ms: row.num("duration_ms")?,
                    dst_ip: row.str("dst_ip"),
                    cache_result: row.str("cache_result"),
                    reason: row.str("reason"),
                    extra,
                }),
                Table::Auth => Event::Auth(AuthEvent {
                    time: Some(time),
                    user: row.str("user"),
                    user_domain: row.str("user_domain"),
                    src_ip: row.str("src_ip"),
                    src_host: row.str("src_host"),
                    dst_host: row.str("dst_host"),
                    protocol: row.str("protocol"),
                    logon_type: row.str("logon_type"),
                    activity: row.str("activity"),
                    outcome: row.str("outcome"),
                    reason: row.str("reason"),
                    event_code: row.num("event_code")?,
                    is_mfa: row.num("is_mfa")?,
                    is_privileged: row.num("is_privileged")?,
                    extra,
                }),
                _ => {
                    batches.push_unparsed(
                        &common,
                        row.str("error").unwrap_or(""),
                        row.str("format_guess"),
                    );
                    continue;
                }
            };
            batches.push(&common, &event);
        }
        let schema = table.schema();
        Ok(batches
            .finish()
            .into_iter()
            .find(|(t, _)| *t == table)
            .map(|(_, b)| b)
            .unwrap_or_else(|| RecordBatch::new_empty(schema)))
    }

    /// The inline rules of a test-corpus case.
    pub fn inline_rules(&self) -> Result<RuleSet, FixtureError> {
        let text = self.rules.as_deref().unwrap_or("");
        sigma::parse_str(text, Path::new(&format!("<{}>", self.fixture)))
            .into_result()
            .map_err(|errors| FixtureError::Rules {
                fixture: self.fixture.clone(),
                message: errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            })
    }

    /// Runs the fixture against `rules` (plus its inline rules, if any) and checks
    /// every expectation.
    pub fn run(
        &self,
        rules: &RuleSet,
        mapping: &FieldMapping,
        placeholders: &Placeholders,
    ) -> Result<FixtureReport, FixtureError> {
        let mut set = rules.clone();
        if self.rules.is_some() {
            set.extend(self.inline_rules()?);
        }
        let mut placeholders = placeholders.clone();
        for (name, values) in &self.placeholders {
            placeholders.insert(name, values.iter().cloned());
        }
        let detector =
            Detector::compile(&set, mapping, &placeholders).map_err(|e| FixtureError::Rules {
                fixture: self.fixture.clone(),
                message: e.to_string(),
            })?;
        let table = self.table()?;
        let batch = self.batch()?;
        let eval_error = |source| FixtureError::Eval {
            fixture: self.fixture.clone(),
            source,
        };
        let matches = detector.evaluate(table, &batch).map_err(eval_error)?;
        let mut engine = Engine::new(Arc::new(detector), EngineConfig::default());
        let mut alerts = engine.process(table, &batch).map_err(eval_error)?;
        // The fixture is the whole input: matches waiting on an `absence` window end here.
        alerts.extend(engine.finish());
        let detector = engine.detector();
        let mut failures = Vec::new();
        for expect in &self.expect {
            let named = |m: &sigma::Meta| {
                m.id.as_deref() == Some(&expect.rule)
                    || m.name.as_deref() == Some(&expect.rule)
                    || m.title == expect.rule
            };
            let rule = detector.rules().iter().position(|r| named(&r.meta));
            let correlation = detector.correlations().iter().find(|c| named(&c.meta));
            if rule.is_none() && correlation.is_none() {
                failures.push(format!("no rule or correlation `{}`", expect.rule));
                continue;
            }
            if let Some(want) = &expect.rows {
                let got = rule
                    .and_then(|r| matches.iter().find(|m| m.rule == r))
                    .map(|m| m.rows.clone())
                    .unwrap_or_default();
                if &got != want {
                    failures.push(format!(
                        "`{}` matched rows {got:?}, expected {want:?}",
                        expect.rule
                    ));
                }
            }
            if let Some(want) = expect.alerts {
                let meta = correlation
                    .map(|c| &c.meta)
                    .or_else(|| rule.map(|r| &detector.rules()[r].meta));
                let id = meta
                    .map(|m| m.id.clone().unwrap_or_else(|| m.title.clone()))
                    .unwrap_or_default();
                let got = alerts.iter().filter(|a| a.rule_id == id).count();
                if got != want {
                    failures.push(format!(
                        "`{}` raised {got} alerts, expected {want}",
                        expect.rule
                    ));
                }
            }
        }
        Ok(FixtureReport {
            fixture: self.fixture.clone(),
            failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;

    use super::*;

    const CASE: &str = r#"
fixture: failures
table: auth
rules: |
  title: failed logon
  id: F-1
  logsource: {product: windows, service: security}
  detection:
    sel: {EventID: 4625}
    condition: sel
events:
  - {event_code: 4625, user: tanaka, zone: core, extra: {LogonProcessName: User32}}
  - {event_code: 4624, user: tanaka}
expect:
  - {rule: F-1, rows: [0], alerts: 1}
"#;

    #[test]
    fn builds_real_batches_and_runs() {
        let fixtures = parse_fixtures(CASE, Path::new("case.yml")).unwrap();
        let batch = fixtures[0].batch().unwrap();
        assert_eq!(batch.schema(), Table::Auth.schema());
        let zone = batch
            .column_by_name("zone")
            .unwrap()
            .as_dictionary::<Int32Type>();
        assert!(zone.is_valid(0) && zone.is_null(1));
        let report = fixtures[0]
            .run(
                &RuleSet::default(),
                &FieldMapping::default(),
                &Placeholders::default(),
            )
            .unwrap();
        assert_eq!(report.failures, Vec::<String>::new());
    }

    #[test]
    fn reports_unmet_expectations_and_bad_rows() {
        let wrong = CASE.replace("rows: [0]", "rows: [1]");
        let f = &parse_fixtures(&wrong, Path::new("case.yml")).unwrap()[0];
        let report = f
            .run(
                &RuleSet::default(),
                &FieldMapping::default(),
                &Placeholders::default(),
            )
            .unwrap();
        assert_eq!(report.failures, ["`F-1` matched rows [0], expected [1]"]);
        let bad = CASE.replace("user: tanaka}", "usr: tanaka}");
        let f = &parse_fixtures(&bad, Path::new("case.yml")).unwrap()[0];
        assert!(
            f.batch()
                .unwrap_err()
                .to_string()
                .contains("table auth has no column `usr`")
        );
    }
}
