//! The typed model of Sigma documents: rules, filters and correlations.
//!
//! Everything here is plain data, validated only as far as the YAML allows: search
//! identifiers and modifiers are parsed, conditions are ASTs, but fields are still
//! Sigma's names. Mapping fields to sanso's columns is the next layer's job
//! ([`crate::ir`]).

use std::fmt;
use std::path::PathBuf;

use crate::alert::Severity;

use super::condition::Condition;
use super::modifiers::Modifiers;

/// Where a document came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file (or a label such as `<inline>`).
    pub path: PathBuf,
    /// 1-based index of the document in the file (documents are separated by `---`).
    pub document: usize,
    /// 1-based line where the document starts.
    pub line: usize,
}

/// The attributes every document kind shares.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    /// `title`.
    pub title: String,
    /// `id`, usually a UUID; sanso's policy rules use ids such as `OMZ-15`.
    pub id: Option<String>,
    /// `name`, the handle correlations use to refer to a rule.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `status` (`stable`, `test`, `experimental`, ...).
    pub status: Option<String>,
    /// `level`, as an alert severity.
    pub level: Option<Severity>,
    /// `tags`, e.g. `attack.t1110`.
    pub tags: Vec<String>,
    /// The custom attribute `policy_ref`: the clause of the basic policy the rule enforces.
    pub policy_ref: Option<String>,
    /// The custom attribute `group-by` on a detection rule (sanso extension): fields whose
    /// values key the alerts of a rule that is not a correlation.
    pub group_by: Vec<String>,
    /// Where the document was read.
    pub origin: Origin,
}

impl Meta {
    /// The name alerts carry in `rule_id`: the rule's `id`, else its title.
    pub fn rule_id(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.title)
    }
}

impl Meta {
    /// A short handle for messages: the id if there is one, else the title.
    pub fn label(&self) -> RuleLabel {
        RuleLabel {
            id: self.id.clone(),
            title: self.title.clone(),
            path: self.origin.path.clone(),
            line: self.origin.line,
        }
    }
}

/// Names a document in an error: `rules/x.yml:12: rule OMZ-15 "Brute force"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleLabel {
    /// The rule's id, when it has one.
    pub id: Option<String>,
    /// The rule's title (may be empty when the title itself is what is missing).
    pub title: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The line its document starts on.
    pub line: usize,
}

impl fmt::Display for RuleLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: rule", self.path.display(), self.line)?;
        if let Some(id) = &self.id {
            write!(f, " {id}")?;
        }
        if !self.title.is_empty() {
            write!(f, " {:?}", self.title)?;
        }
        Ok(())
    }
}

/// A Sigma scalar as written in the rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string, with Sigma's `*`, `?` wildcards and `\` escapes still in it.
    Str(String),
    /// An integer.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`: the field is absent or empty.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

/// `logsource`: what kind of log a rule is written for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Logsource {
    /// e.g. `firewall`, `proxy`, `webserver`.
    pub category: Option<String>,
    /// e.g. `windows`, `linux`.
    pub product: Option<String>,
    /// e.g. `security`, `sshd`, `auth`.
    pub service: Option<String>,
}

impl fmt::Display for Logsource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            ("category", &self.category),
            ("product", &self.product),
            ("service", &self.service),
        ];
        let mut first = true;
        for (key, value) in parts {
            if let Some(value) = value {
                if !first {
                    f.write_str(", ")?;
                }
                write!(f, "{key}={value}")?;
                first = false;
            }
        }
        if first {
            f.write_str("(empty)")?;
        }
        Ok(())
    }
}

/// One `field|modifiers: values` entry of a selection.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldItem {
    /// The Sigma field name; `None` for a keyword search over the whole line.
    pub field: Option<String>,
    /// The parsed modifiers.
    pub modifiers: Modifiers,
    /// The values; more than one means any of them (all with `|all`).
    pub values: Vec<Value>,
}

/// The body of a search identifier.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchBody {
    /// One or more maps: any of the maps, and within a map all of its fields.
    Maps(Vec<Vec<FieldItem>>),
    /// A keyword list: any of the values, searched in the raw line.
    Keywords(Vec<Value>),
}

/// A named search of a detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The search identifier, e.g. `selection`.
    pub name: String,
    /// What it matches.
    pub body: SearchBody,
}

/// A condition as written and as parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCondition {
    /// The condition text, for messages.
    pub text: String,
    /// Its AST.
    pub ast: Condition,
}

/// `detection`: the searches and the condition over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The search identifiers, in document order.
    pub searches: Vec<Search>,
    /// The condition; a list in the document means any of them.
    pub conditions: Vec<ParsedCondition>,
}

impl Detection {
    /// Looks up a search identifier.
    pub fn search(&self, name: &str) -> Option<&Search> {
        self.searches.iter().find(|s| s.name == name)
    }
}

/// A detection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Title, id, level, ...
    pub meta: Meta,
    /// The log it is written for.
    pub logsource: Logsource,
    /// What it looks for.
    pub detection: Detection,
    /// The sanso extension `absence`: a match alerts only when no confirming event
    /// comes near it.
    pub absence: Option<Absence>,
    /// The sanso extension `silence`: the matches are heartbeats, and a group whose
    /// heartbeat stops alerts.
    pub silence: Option<Silence>,
}

/// `absence:` (sanso extension) on a detection rule with a `group-by`:
///
/// ```yaml
/// group-by: [user]
/// absence:
///   rule: OMZ-14-mfa-event   # the confirming rule, which has the same group-by
///   within: 60s              # before or after the match
/// ```
///
/// A match raises an alert only when the confirming rule matched no event with the
/// same group key within `within` before or after it. The engine holds the match until
/// event time has passed it by `within` (or the input ends), so the alert comes late
/// by that much. The confirming rule raises no alerts of its own. Sigma v2 has no way
/// to say "A without B"; its correlation conditions only count what is there.
#[derive(Debug, Clone, PartialEq)]
pub struct Absence {
    /// The confirming rule, by id or name.
    pub rule: String,
    /// How far from the match, either way, a confirmation counts; microseconds.
    pub within: i64,
}

/// `silence:` (sanso extension) on a detection rule with a `group-by`:
///
/// ```yaml
/// group-by: [device]
/// silence:
///   expected: '%source_intervals%'   # entries `GROUP DURATION`, `*` for any group
/// ```
///
/// Every match is a heartbeat of its group. When event time (or the clock, for a
/// live pipeline) passes a group's last heartbeat by more than its expected interval,
/// the rule raises one alert; the next heartbeat re-arms it. Groups named in the list
/// are watched from the start, so a source that never speaks is noticed too.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    /// The interval list as written: a `%placeholder%` or literal entries.
    pub expected: Vec<String>,
}

/// A Sigma v2 filter document: a condition added to other rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Title, id, ...
    pub meta: Meta,
    /// The log it applies to, when given.
    pub logsource: Option<Logsource>,
    /// Ids or names of the rules it filters.
    pub rules: Vec<String>,
    /// The filter's searches and condition (usually `not selection`).
    pub detection: Detection,
}

/// The correlation types of Sigma v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationKind {
    /// Number of matching events per group and window.
    EventCount,
    /// Number of distinct values of a field per group and window.
    ValueCount,
    /// All referenced rules matched within the window, in any order.
    Temporal,
    /// All referenced rules matched within the window, in the order listed.
    TemporalOrdered,
    /// Sum of a numeric field per group and window.
    ValueSum,
}

impl CorrelationKind {
    /// Sigma's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
            CorrelationKind::ValueSum => "value_sum",
        }
    }
}

/// A numeric comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `==`
    Eq,
}

impl CmpOp {
    /// Applies the operator.
    pub fn test<T: PartialOrd>(self, left: T, right: T) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Lte => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Gte => left >= right,
            CmpOp::Eq => left == right,
        }
    }
}

/// How a correlation refers to a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRef {
    /// By `name` or `id`, as written in `rules:`.
    Named(String),
    /// By position in [`RuleSet::rules`]: a legacy `| count()` rule refers to itself so.
    Index(usize),
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleRef::Named(n) => f.write_str(n),
            RuleRef::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// One `aliases` entry: a name for a field that is spelt differently in each rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The alias, used in `group-by`.
    pub name: String,
    /// For each rule (by name or id), its field.
    pub fields: Vec<(String, String)>,
}

/// A correlation document.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Title, id, level, ...
    pub meta: Meta,
    /// The correlation type.
    pub kind: CorrelationKind,
    /// The rules whose matches it counts.
    pub rules: Vec<RuleRef>,
    /// Fields (or aliases) whose values key the windows.
    pub group_by: Vec<String>,
    /// Window length, microseconds.
    pub timespan: i64,
    /// The threshold: one or two bounds.
    pub condition: Vec<(CmpOp, f64)>,
    /// The field counted by `value_count` or summed by `value_sum`.
    pub field: Option<String>,
    /// Field aliases.
    pub aliases: Vec<Alias>,
    /// Whether the referenced rules also raise their own alerts.
    pub generate: bool,
}

/// Every document read from a set of files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// Detection rules.
    pub rules: Vec<Rule>,
    /// Filter documents.
    pub filters: Vec<Filter>,
    /// Correlation documents, including those made from legacy `| count()` conditions.
    pub correlations: Vec<Correlation>,
}

impl RuleSet {
    /// Documents of all kinds.
    pub fn len(&self) -> usize {
        self.rules.len() + self.filters.len() + self.correlations.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds another set's documents, keeping legacy references valid.
    pub fn extend(&mut self, other: RuleSet) {
        let offset = self.rules.len();
        self.rules.extend(other.rules);
        self.filters.extend(other.filters);
        self.correlations
            .extend(other.correlations.into_iter().map(|mut c| {
                for r in &mut c.rules {
                    if let RuleRef::Index(i) = r {
                        *i += offset;
                    }
                }
                c
            }));
    }
}
