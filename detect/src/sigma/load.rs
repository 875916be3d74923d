//! Reading Sigma YAML into the typed model.
//!
//! A file may hold several documents separated by `---`: rules, filters and correlation
//! documents, in any order. Each document is read on its own, so one bad rule is
//! reported with its file and line while the others still load; [`Loaded`] carries both
//! the documents that loaded and the errors of those that did not.

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value as Yaml};

use super::condition::{self, Condition};
use super::error::{LoadError, RuleErrorKind};
use super::legacy::{self, Aggregation};
use super::model::{
    Absence, Alias, CmpOp, Correlation, CorrelationKind, Detection, FieldItem, Filter, Logsource,
    Meta, Origin, ParsedCondition, Rule, RuleRef, RuleSet, Search, SearchBody, Silence, Value,
};
use super::modifiers::Modifiers;
use crate::alert::Severity;

/// File names ending in this are rule fixtures ([`crate::fixture`]), not rules.
pub const FIXTURE_SUFFIXES: [&str; 2] = [".fixture.yml", ".fixture.yaml"];

/// The outcome of loading: every document that loaded, and an error for each that did not.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The documents that loaded.
    pub set: RuleSet,
    /// One error per file or document that did not.
    pub errors: Vec<LoadError>,
}

impl Loaded {
    /// The documents, or every error when there was any.
    pub fn into_result(self) -> Result<RuleSet, Vec<LoadError>> {
        if self.errors.is_empty() {
            Ok(self.set)
        } else {
            Err(self.errors)
        }
    }

    fn absorb(&mut self, other: Loaded) {
        self.set.extend(other.set);
        self.errors.extend(other.errors);
    }
}

/// Loads a rule file, or every `*.yml` / `*.yaml` file under a directory (recursively,
/// in name order, leaving out fixtures).
pub fn load_path(path: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let mut files = Vec::new();
    if let Err(source) = collect_files(path, &mut files) {
        loaded.errors.push(LoadError::Io {
            path: path.to_owned(),
            source,
        });
        return loaded;
    }
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => loaded.absorb(parse_str(&text, &file)),
            Err(source) => loaded.errors.push(LoadError::Io { path: file, source }),
        }
    }
    loaded
}

/// Whether a file name is a rule file (YAML and not a fixture).
pub fn is_rule_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.ends_with(".yml") || name.ends_with(".yaml"))
        && !FIXTURE_SUFFIXES.iter().any(|s| name.ends_with(s))
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        // A file named explicitly is read even without a YAML extension.
        std::fs::metadata(path)?;
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, out)?;
        } else if is_rule_file(&entry) {
            out.push(entry);
        }
    }
    Ok(())
}

/// Splits a YAML stream at `---` lines: `(first line number, text)` per document.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let marker = line
            .strip_prefix("---")
            .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        let end = line
            .strip_prefix("...")
            .filter(|rest| rest.trim().is_empty());
        if marker.is_some() || end.is_some() {
            docs.push((start, std::mem::take(&mut current)));
            start = i + 2;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs
}

/// Parses the documents of one file's text; `path` is used in messages.
pub fn parse_str(text: &str, path: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (document, (line, doc)) in split_documents(text).into_iter().enumerate() {
        let value: Yaml = match serde_yaml_ng::from_str(&doc) {
            Ok(v) => v,
            Err(e) => {
                let (l, c) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((1, 1));
                loaded.errors.push(LoadError::Yaml {
                    path: path.to_owned(),
                    line: line + l - 1,
                    column: c,
                    // The parser's own "at line N" counts from the document, not the file.
                    message: {
                        let message = e.to_string();
                        match message.find(" at line ") {
                            Some(i) => message[..i].to_owned(),
                            None => message,
                        }
                    },
                });
                continue;
            }
        };
        if value.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        let origin = Origin {
            path: path.to_owned(),
            document: document + 1,
            line,
        };
        if let Err(e) = add_document(&mut loaded.set, value, origin) {
            loaded.errors.push(e);
        }
    }
    loaded
}

/// A document's attributes while it is being read, to label errors.
struct Doc {
    map: Mapping,
    meta: Meta,
}

impl Doc {
    fn error(&self, kind: RuleErrorKind) -> LoadError {
        LoadError::Rule {
            rule: Box::new(self.meta.label()),
            kind: Box::new(kind),
        }
    }

    fn get(&self, key: &str) -> Option<&Yaml> {
        self.map.get(key)
    }
}

fn add_document(set: &mut RuleSet, value: Yaml, origin: Origin) -> Result<(), LoadError> {
    let label_only = Meta {
        origin: origin.clone(),
        ..Meta::default()
    };
    let Yaml::Mapping(map) = value else {
        return Err(LoadError::Rule {
            rule: Box::new(label_only.label()),
            kind: Box::new(RuleErrorKind::Invalid {
                key: "document".into(),
                expected: "a mapping",
            }),
        });
    };
    // Read id and title first, leniently, so that every later error can name the rule.
    let mut doc = Doc {
        meta: Meta {
            origin,
            ..Meta::default()
        },
        map,
    };
    doc.meta.id = doc.get("id").and_then(scalar_text);
    doc.meta.title = doc.get("title").and_then(scalar_text).unwrap_or_default();
    doc.meta = read_meta(&doc)?;

    if let Some(action) = doc.get("action") {
        let action = scalar_text(action).unwrap_or_default();
        return Err(doc.error(RuleErrorKind::Unsupported(format!(
            "rule collections (`action: {action}`)"
        ))));
    }
    if let Some(correlation) = doc.get("correlation") {
        let correlation = read_correlation(&doc, correlation)?;
        set.correlations.push(correlation);
    } else if let Some(filter) = doc.get("filter") {
        let filter = read_filter(&doc, filter)?;
        set.filters.push(filter);
    } else if let Some(detection) = doc.get("detection") {
        let logsource = match doc.get("logsource") {
            Some(l) => read_logsource(&doc, l)?,
            None => return Err(doc.error(RuleErrorKind::Missing("logsource"))),
        };
        let (detection, aggregation) = read_detection(&doc, detection, "detection", true)?;
        let index = set.rules.len();
        if let Some((aggregation, timespan)) = aggregation {
            set.correlations
                .push(aggregation.into_correlation(index, &doc.meta, timespan));
        }
        let absence = doc
            .get("absence")
            .map(|a| read_absence(&doc, a))
            .transpose()?;
        let silence = doc
            .get("silence")
            .map(|s| read_silence(&doc, s))
            .transpose()?;
        if (absence.is_some() || silence.is_some()) && doc.meta.group_by.is_empty() {
            return Err(doc.error(RuleErrorKind::Missing("group-by")));
        }
        if absence.is_some() && silence.is_some() {
            return Err(doc.error(RuleErrorKind::Unsupported(
                "`absence` and `silence` on one rule".into(),
            )));
        }
        set.rules.push(Rule {
            meta: doc.meta,
            logsource,
            detection,
            absence,
            silence,
        });
    } else {
        return Err(doc.error(RuleErrorKind::UnknownDocument));
    }
    Ok(())
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn invalid(key: impl Into<String>, expected: &'static str) -> RuleErrorKind {
    RuleErrorKind::Invalid {
        key: key.into(),
        expected,
    }
}

fn opt_string(doc: &Doc, key: &str) -> Result<Option<String>, LoadError> {
    match doc.get(key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(v) => scalar_text(v)
            .map(Some)
            .ok_or_else(|| doc.error(invalid(key, "a string"))),
    }
}

/// A string or a list of strings.
fn string_list(doc: &Doc, value: Option<&Yaml>, key: &str) -> Result<Vec<String>, LoadError> {
    match value {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .map(|v| {
                scalar_text(v)
                    .ok_or_else(|| doc.error(invalid(key, "a string or a list of strings")))
            })
            .collect(),
        Some(v) => scalar_text(v)
            .map(|s| vec![s])
            .ok_or_else(|| doc.error(invalid(key, "a string or a list of strings"))),
    }
}

fn read_meta(doc: &Doc) -> Result<Meta, LoadError> {
    let mut meta = doc.meta.clone();
    meta.title =
        opt_string(doc, "title")?.ok_or_else(|| doc.error(RuleErrorKind::Missing("title")))?;
    meta.id = opt_string(doc, "id")?;
    meta.name = opt_string(doc, "name")?;
    meta.description = opt_string(doc, "description")?;
    meta.status = opt_string(doc, "status")?;
    meta.policy_ref = opt_string(doc, "policy_ref")?;
    meta.tags = string_list(doc, doc.get("tags"), "tags")?;
    meta.group_by = string_list(doc, doc.get("group-by"), "group-by")?;
    meta.level = match opt_string(doc, "level")?.as_deref() {
        None => None,
        Some("informational") => Some(Severity::Informational),
        Some("low") => Some(Severity::Low),
        Some("medium") => Some(Severity::Medium),
        Some("high") => Some(Severity::High),
        Some("critical") => Some(Severity::Critical),
        Some(_) => {
            return Err(doc.error(invalid(
                "level",
                "one of informational, low, medium, high, critical",
            )));
        }
    };
    Ok(meta)
}

fn read_logsource(doc: &Doc, value: &Yaml) -> Result<Logsource, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid("logsource", "a mapping")));
    };
    let get = |key: &str| -> Result<Option<String>, LoadError> {
        match map.get(key) {
            None | Some(Yaml::Null) => Ok(None),
            Some(v) => scalar_text(v)
                .map(Some)
                .ok_or_else(|| doc.error(invalid(format!("logsource.{key}"), "a string"))),
        }
    };
    Ok(Logsource {
        category: get("category")?,
        product: get("product")?,
        service: get("service")?,
    })
}

fn sigma_value(value: &Yaml) -> Option<Value> {
    Some(match value {
        Yaml::String(s) => Value::Str(s.clone()),
        Yaml::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Null => Value::Null,
        _ => return None,
    })
}

fn read_field_item(
    doc: &Doc,
    search: &str,
    key: &Yaml,
    value: &Yaml,
) -> Result<FieldItem, LoadError> {
    let key =
        scalar_text(key).ok_or_else(|| doc.error(invalid(format!("{search} keys"), "strings")))?;
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    let modifiers = Modifiers::parse(parts).map_err(|error| {
        doc.error(RuleErrorKind::Modifier {
            field: key.clone(),
            error,
        })
    })?;
    let expected = "a value or a list of values";
    let values = match value {
        Yaml::Sequence(items) => items
            .iter()
            .map(|v| {
                sigma_value(v)
                    .ok_or_else(|| doc.error(invalid(format!("{search}.{key}"), expected)))
            })
            .collect::<Result<Vec<_>, _>>()?,
        v => vec![
            sigma_value(v)
                .ok_or_else(|| doc.error(invalid(format!("{search}.{key}"), expected)))?,
        ],
    };
    if values.is_empty() {
        return Err(doc.error(invalid(format!("{search}.{key}"), "a non-empty list")));
    }
    let field = (!field.is_empty()).then(|| field.to_owned());
    Ok(FieldItem {
        field,
        modifiers,
        values,
    })
}

fn read_search(doc: &Doc, name: &str, value: &Yaml) -> Result<SearchBody, LoadError> {
    let map_items = |map: &Mapping| -> Result<Vec<FieldItem>, LoadError> {
        if map.is_empty() {
            return Err(doc.error(invalid(name, "a non-empty mapping")));
        }
        map.iter()
            .map(|(k, v)| read_field_item(doc, name, k, v))
            .collect()
    };
    match value {
        Yaml::Mapping(map) => Ok(SearchBody::Maps(vec![map_items(map)?])),
        Yaml::Sequence(items) if !items.is_empty() && items.iter().all(Yaml::is_mapping) => {
            let maps = items
                .iter()
                .filter_map(Yaml::as_mapping)
                .map(map_items)
                .collect::<Result<_, _>>()?;
            Ok(SearchBody::Maps(maps))
        }
        Yaml::Sequence(items) if !items.is_empty() => items
            .iter()
            .map(|v| match sigma_value(v) {
                Some(Value::Null) | None => {
                    Err(doc.error(invalid(name, "a list of keywords or of mappings")))
                }
                Some(v) => Ok(v),
            })
            .collect::<Result<_, _>>()
            .map(SearchBody::Keywords),
        Yaml::String(_) | Yaml::Number(_) => Ok(SearchBody::Keywords(
            sigma_value(value).into_iter().collect(),
        )),
        _ => Err(doc.error(invalid(
            name,
            "a mapping, a list of mappings or a list of keywords",
        ))),
    }
}

/// A detection and its legacy aggregation with the `timeframe` it needs.
type ReadDetection = (Detection, Option<(Aggregation, i64)>);

/// Reads `detection` (or a filter's `filter`, whose `rules` key is not a search).
fn read_detection(
    doc: &Doc,
    value: &Yaml,
    key: &str,
    allow_aggregation: bool,
) -> Result<ReadDetection, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid(key, "a mapping")));
    };
    let mut searches = Vec::new();
    let mut condition_texts = Vec::new();
    let mut timeframe = None;
    for (k, v) in map {
        let name =
            scalar_text(k).ok_or_else(|| doc.error(invalid(format!("{key} keys"), "strings")))?;
        match name.as_str() {
            "condition" => condition_texts = string_list(doc, Some(v), "condition")?,
            "timeframe" => {
                let text = scalar_text(v).unwrap_or_default();
                timeframe =
                    Some(parse_duration(&text).ok_or_else(|| {
                        doc.error(invalid("timeframe", "a duration such as 10m"))
                    })?);
            }
            "rules" if key == "filter" => {}
            _ => searches.push(Search {
                body: read_search(doc, &name, v)?,
                name,
            }),
        }
    }
    if condition_texts.is_empty() {
        return Err(doc.error(RuleErrorKind::Missing("condition")));
    }
    let mut conditions = Vec::new();
    let mut aggregation = None;
    let detection_so_far = Detection {
        searches,
        conditions: Vec::new(),
    };
    for text in condition_texts {
        let (condition_text, pipe) = match text.split_once('|') {
            Some((c, p)) => (c.trim().to_owned(), Some(p)),
            None => (text.trim().to_owned(), None),
        };
        let ast = condition::parse(&condition_text).map_err(|error| {
            doc.error(RuleErrorKind::Condition {
                condition: text.clone(),
                error,
            })
        })?;
        check_identifiers(&detection_so_far, &ast, &text).map_err(|k| doc.error(k))?;
        if let Some(pipe) = pipe {
            if pipe.contains('|') {
                // `a | count() > 5 and b | count() > 5`: each aggregation would be a
                // correlation of its own, and their conjunction a temporal one.
                return Err(doc.error(RuleErrorKind::Unsupported(
                    "several aggregations (`|`) in one condition".into(),
                )));
            }
            if !allow_aggregation {
                return Err(doc.error(RuleErrorKind::Unsupported(
                    "an aggregation (`|`) in a filter".into(),
                )));
            }
            if aggregation.is_some() {
                return Err(doc.error(RuleErrorKind::Unsupported(
                    "more than one aggregation condition".into(),
                )));
            }
            let parsed = legacy::parse(pipe).map_err(|k| doc.error(k))?;
            let timespan = timeframe.ok_or_else(|| {
                doc.error(RuleErrorKind::Missing(
                    "detection.timeframe (needed by the `|` aggregation)",
                ))
            })?;
            aggregation = Some((parsed, timespan));
        }
        conditions.push(ParsedCondition {
            text: condition_text,
            ast,
        });
    }
    if aggregation.is_some() && conditions.len() > 1 {
        return Err(doc.error(RuleErrorKind::Unsupported(
            "an aggregation in a list of conditions".into(),
        )));
    }
    Ok((
        Detection {
            searches: detection_so_far.searches,
            conditions,
        },
        aggregation,
    ))
}

/// Every identifier the condition names exists, and every pattern matches one.
fn check_identifiers(
    detection: &Detection,
    ast: &Condition,
    text: &str,
) -> Result<(), RuleErrorKind> {
    match ast {
        Condition::Search(name) => match detection.search(name) {
            Some(_) => Ok(()),
            None => Err(RuleErrorKind::UnknownSearch {
                condition: text.to_owned(),
                name: name.clone(),
            }),
        },
        Condition::Of { pattern, .. } => {
            let any = match pattern {
                None => !detection.searches.is_empty(),
                Some(p) => detection
                    .searches
                    .iter()
                    .any(|s| condition::pattern_matches(p, &s.name)),
            };
            if any {
                Ok(())
            } else {
                Err(RuleErrorKind::EmptyPattern {
                    condition: text.to_owned(),
                    pattern: pattern.clone().unwrap_or_else(|| "them".into()),
                })
            }
        }
        Condition::Not(inner) => check_identifiers(detection, inner, text),
        Condition::And(items) | Condition::Or(items) => items
            .iter()
            .try_for_each(|c| check_identifiers(detection, c, text)),
    }
}

/// `30s`, `10m`, `1h`, `2d`, `1w` as microseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].trim().parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    (number > 0).then_some(number.checked_mul(seconds)?.checked_mul(1_000_000)?)
}

fn read_filter(doc: &Doc, value: &Yaml) -> Result<Filter, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid("filter", "a mapping")));
    };
    let rules = string_list(doc, map.get("rules"), "filter.rules")?;
    if rules.is_empty() {
        return Err(doc.error(RuleErrorKind::Missing("filter.rules")));
    }
    let logsource = doc
        .get("logsource")
        .map(|l| read_logsource(doc, l))
        .transpose()?;
    let (detection, _) = read_detection(doc, value, "filter", false)?;
    Ok(Filter {
        meta: doc.meta.clone(),
        logsource,
        rules,
        detection,
    })
}

fn read_absence(doc: &Doc, value: &Yaml) -> Result<Absence, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid("absence", "a mapping with rule and within")));
    };
    if let Some(key) = map
        .keys()
        .filter_map(scalar_text)
        .find(|k| k != "rule" && k != "within")
    {
        return Err(doc.error(RuleErrorKind::Unsupported(format!("absence.{key}"))));
    }
    let rule = map
        .get("rule")
        .and_then(scalar_text)
        .ok_or_else(|| doc.error(RuleErrorKind::Missing("absence.rule")))?;
    let within = match map.get("within") {
        Some(v) => scalar_text(v)
            .and_then(|t| parse_duration(&t))
            .ok_or_else(|| doc.error(invalid("absence.within", "a duration such as 60s")))?,
        None => return Err(doc.error(RuleErrorKind::Missing("absence.within"))),
    };
    Ok(Absence { rule, within })
}

fn read_silence(doc: &Doc, value: &Yaml) -> Result<Silence, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid("silence", "a mapping with expected")));
    };
    if let Some(key) = map.keys().filter_map(scalar_text).find(|k| k != "expected") {
        return Err(doc.error(RuleErrorKind::Unsupported(format!("silence.{key}"))));
    }
    let expected = string_list(doc, map.get("expected"), "silence.expected")?;
    if expected.is_empty() {
        return Err(doc.error(RuleErrorKind::Missing("silence.expected")));
    }
    Ok(Silence { expected })
}

fn read_correlation(doc: &Doc, value: &Yaml) -> Result<Correlation, LoadError> {
    let Yaml::Mapping(map) = value else {
        return Err(doc.error(invalid("correlation", "a mapping")));
    };
    let kind = match map.get("type").and_then(scalar_text).as_deref() {
        Some("event_count") => CorrelationKind::EventCount,
        Some("value_count") => CorrelationKind::ValueCount,
        Some("temporal") => CorrelationKind::Temporal,
        Some("temporal_ordered") => CorrelationKind::TemporalOrdered,
        Some("value_sum") => CorrelationKind::ValueSum,
        Some(other) => {
            return Err(doc.error(RuleErrorKind::Unsupported(format!(
                "correlation type `{other}`"
            ))));
        }
        None => return Err(doc.error(RuleErrorKind::Missing("correlation.type"))),
    };
    let rules = string_list(doc, map.get("rules"), "correlation.rules")?;
    if rules.is_empty() {
        return Err(doc.error(RuleErrorKind::Missing("correlation.rules")));
    }
    let group_by = string_list(doc, map.get("group-by"), "correlation.group-by")?;
    let timespan = match map.get("timespan").or_else(|| map.get("timeframe")) {
        Some(v) => scalar_text(v)
            .and_then(|t| parse_duration(&t))
            .ok_or_else(|| doc.error(invalid("correlation.timespan", "a duration such as 10m")))?,
        None => return Err(doc.error(RuleErrorKind::Missing("correlation.timespan"))),
    };
    let mut condition = Vec::new();
    let mut field = None;
    match map.get("condition") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Mapping(c)) => {
            for (k, v) in c {
                let key = scalar_text(k).unwrap_or_default();
                let op = match key.as_str() {
                    "gt" => CmpOp::Gt,
                    "gte" => CmpOp::Gte,
                    "lt" => CmpOp::Lt,
                    "lte" => CmpOp::Lte,
                    "eq" => CmpOp::Eq,
                    "field" => {
                        field = scalar_text(v);
                        continue;
                    }
                    other => {
                        return Err(doc.error(RuleErrorKind::Unsupported(format!(
                            "correlation condition `{other}`"
                        ))));
                    }
                };
                let number = v.as_f64().ok_or_else(|| {
                    doc.error(invalid(format!("correlation.condition.{key}"), "a number"))
                })?;
                condition.push((op, number));
            }
        }
        Some(_) => {
            return Err(doc.error(invalid(
                "correlation.condition",
                "a mapping such as {gte: 10}",
            )));
        }
    }
    let needs_condition = !matches!(
        kind,
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
    );
    if needs_condition && condition.is_empty() {
        return Err(doc.error(RuleErrorKind::Missing("correlation.condition")));
    }
    let needs_field = matches!(
        kind,
        CorrelationKind::ValueCount | CorrelationKind::ValueSum
    );
    if needs_field && field.is_none() {
        return Err(doc.error(RuleErrorKind::Missing("correlation.condition.field")));
    }
    let mut aliases = Vec::new();
    match map.get("aliases") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Mapping(a)) => {
            for (name, per_rule) in a {
                let name = scalar_text(name).unwrap_or_default();
                let Yaml::Mapping(per_rule) = per_rule else {
                    return Err(doc.error(invalid(
                        format!("correlation.aliases.{name}"),
                        "a mapping of rule to field",
                    )));
                };
                let fields = per_rule
                    .iter()
                    .map(|(r, f)| match (scalar_text(r), scalar_text(f)) {
                        (Some(r), Some(f)) => Ok((r, f)),
                        _ => Err(doc.error(invalid(
                            format!("correlation.aliases.{name}"),
                            "a mapping of rule to field",
                        ))),
                    })
                    .collect::<Result<_, _>>()?;
                aliases.push(Alias { name, fields });
            }
        }
        Some(_) => return Err(doc.error(invalid("correlation.aliases", "a mapping"))),
    }
    let generate = match map.get("generate").or_else(|| doc.get("generate")) {
        None => false,
        Some(Yaml::Bool(b)) => *b,
        Some(_) => return Err(doc.error(invalid("correlation.generate", "true or false"))),
    };
    Ok(Correlation {
        meta: doc.meta.clone(),
        kind,
        rules: rules.into_iter().map(RuleRef::Named).collect(),
        group_by,
        timespan,
        condition,
        field,
        aliases,
        generate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::modifiers::Modifier;

    fn load(text: &str) -> Loaded {
        parse_str(text, Path::new("test.yml"))
    }

    const RULE: &str = r#"
title: Denied from core
id: OMZ-02
level: medium
policy_ref: 基本方針6(3)①
tags: [attack.discovery]
logsource: {category: firewall}
detection:
  selection:
    action: deny
    src_zone: core
  filter:
    dst_port|lt: 1024
  keywords:
    - scan
    - probe
  condition: selection and not filter or keywords
"#;

    #[test]
    fn reads_a_rule() {
        let set = load(RULE).into_result().unwrap();
        let rule = &set.rules[0];
        assert_eq!(rule.meta.id.as_deref(), Some("OMZ-02"));
        assert_eq!(rule.meta.level, Some(Severity::Medium));
        assert_eq!(rule.meta.policy_ref.as_deref(), Some("基本方針6(3)①"));
        assert_eq!(rule.logsource.category.as_deref(), Some("firewall"));
        assert_eq!(rule.detection.searches.len(), 3);
        let SearchBody::Maps(maps) = &rule.detection.search("filter").unwrap().body else {
            panic!()
        };
        assert_eq!(maps[0][0].modifiers.as_slice(), [Modifier::Lt]);
        assert_eq!(maps[0][0].values, [Value::Int(1024)]);
        assert!(
            matches!(&rule.detection.search("keywords").unwrap().body, SearchBody::Keywords(k) if k.len() == 2)
        );
    }

    #[test]
    fn reads_several_documents_and_keeps_going_past_errors() {
        let text = format!(
            "{RULE}---\ntitle: broken\nid: X-1\nlogsource: {{category: firewall}}\ndetection:\n  sel:\n    a|contians: x\n  condition: sel\n---\n{RULE}"
        );
        let loaded = load(&text);
        assert_eq!(loaded.set.rules.len(), 2);
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(
            loaded.errors[0].to_string(),
            "test.yml:19: rule X-1 \"broken\": field `a|contians`: unknown modifier `contians`"
        );
    }

    #[test]
    fn condition_errors_name_rule_and_column() {
        let text = "title: t\nid: R\nlogsource: {product: linux, service: sshd}\ndetection:\n  sel: {user: root}\n  condition: sel and\n";
        let e = load(text).into_result().unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "test.yml:1: rule R \"t\": condition `sel and`: column 8: expected a search identifier, `not`, `(`, `1 of` or `all of`, found the end of the condition"
        );
        let text = "title: t\nlogsource: {category: proxy}\ndetection:\n  sel: {user: root}\n  condition: sel or other\n";
        let e = load(text).into_result().unwrap_err();
        assert!(
            e[0].to_string().ends_with(
                "condition `sel or other` names `other`, which is not a search identifier"
            ),
            "{}",
            e[0]
        );
        let text = "title: t\nlogsource: {category: proxy}\ndetection:\n  sel: {user: root}\n  condition: 1 of filter*\n";
        assert!(
            load(text).into_result().unwrap_err()[0]
                .to_string()
                .contains("`filter*` matches no search identifier")
        );
    }

    #[test]
    fn yaml_errors_carry_the_line_of_the_file() {
        let text = format!("{RULE}---\ntitle: [unclosed\n");
        let e = load(&text).into_result().unwrap_err();
        assert!(
            matches!(e[0], LoadError::Yaml { line, .. } if line == 20),
            "{}",
            e[0]
        );
    }

    #[test]
    fn legacy_aggregation_becomes_a_correlation() {
        let text = "title: spray\nid: S-1\nlogsource: {product: windows, service: security}\ndetection:\n  sel: {EventID: 4625}\n  timeframe: 10m\n  condition: sel | count(TargetUserName) by IpAddress > 10\n";
        let set = load(text).into_result().unwrap();
        let c = &set.correlations[0];
        assert_eq!(
            (c.kind, c.timespan),
            (CorrelationKind::ValueCount, 600_000_000)
        );
        assert_eq!(c.rules, [RuleRef::Index(0)]);
        assert_eq!(c.group_by, ["IpAddress"]);
        assert_eq!(c.field.as_deref(), Some("TargetUserName"));
        assert_eq!(c.meta.id.as_deref(), Some("S-1"));
        let no_timeframe = text.replace("  timeframe: 10m\n", "");
        assert!(
            load(&no_timeframe).into_result().unwrap_err()[0]
                .to_string()
                .contains("missing `detection.timeframe")
        );
    }

    #[test]
    fn reads_correlations_and_filters() {
        let text = r#"
title: many failures
id: C-1
correlation:
  type: event_count
  rules: [fail]
  group-by: [user]
  timespan: 10m
  condition: {gte: 5}
  aliases:
    account:
      fail: TargetUserName
      other: user
---
title: drop the scanner
filter:
  rules: OMZ-02
  scanner: {src_ip: 10.0.0.9}
  condition: not scanner
---
title: odd
correlation: {type: sequence, rules: [a], timespan: 1m}
"#;
        let loaded = load(text);
        assert_eq!(loaded.errors.len(), 1);
        assert!(
            loaded.errors[0]
                .to_string()
                .ends_with("unsupported feature: correlation type `sequence`")
        );
        let c = &loaded.set.correlations[0];
        assert_eq!(c.condition, [(CmpOp::Gte, 5.0)]);
        assert_eq!(c.aliases[0].fields.len(), 2);
        let f = &loaded.set.filters[0];
        assert_eq!(f.rules, ["OMZ-02"]);
        assert_eq!(f.detection.searches.len(), 1);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90_000_000));
        assert_eq!(parse_duration("1h"), Some(3_600_000_000));
        assert_eq!(parse_duration("0m"), None);
        assert_eq!(parse_duration("5y"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn rejects_collections_and_unknown_documents() {
        let e = load("title: g\naction: global\nlogsource: {category: proxy}\n")
            .into_result()
            .unwrap_err();
        assert!(
            e[0].to_string()
                .contains("unsupported feature: rule collections (`action: global`)")
        );
        let e = load("title: what\nfoo: 1\n").into_result().unwrap_err();
        assert!(e[0].to_string().contains("not a Sigma rule"));
        let e = load("logsource: {category: proxy}\ndetection: {s: {a: 1}, condition: s}\n")
            .into_result()
            .unwrap_err();
        assert!(e[0].to_string().ends_with("missing `title`"));
    }
}
