//! Lowering: the Sigma model to the IR, one expression per rule and table.
//!
//! For each rule: the logsource picks the tables; on each table every search is lowered
//! once (fields resolved through the [`FieldMapping`], modifiers applied), the condition
//! AST is rewritten over those searches, filter documents that name the rule are
//! and-ed in, and [`simplify`](super::simplify) tidies the result. Correlations are
//! resolved to the rules they count and to the columns they group by; a correlation
//! that references another (chaining) is lowered after it, to the positions of the
//! referenced correlation's group-by values.

use sanso_ingest::schema::{Table, col};

use super::derived::Derived;
use super::expr::{Expr, IpRange, Leaf, Number, Piece, StrPattern, Target, Test};
use super::fields::FieldMapping;
use super::placeholders::Placeholders;
use super::simplify::simplify;
use super::values::{self, Encoding, ValueError};
use crate::error::{CompileError, CompileErrorKind};
use crate::sigma::{
    CmpOp, Condition, Correlation, CorrelationKind, Detection, FieldItem, Meta, Modifier,
    Modifiers, Quantifier, Rule, RuleRef, RuleSet, SearchBody, Value, condition,
};

/// A rule in IR form.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleIr {
    /// Title, id, level, policy clause, ...
    pub meta: Meta,
    /// The expression on each table the rule runs on.
    pub tables: Vec<(Table, Expr)>,
    /// `group-by` of the rule itself (sanso extension), resolved per table.
    pub group_by: Vec<(Table, Vec<Target>)>,
    /// Whether matches raise alerts of their own (false when only correlations use them).
    pub generate: bool,
    /// The sanso `absence` extension, resolved: matches alert only when unconfirmed.
    pub absence: Option<AbsenceIr>,
    /// The sanso `silence` extension, resolved: matches are heartbeats per group.
    pub silence: Option<SilenceIr>,
}

/// A rule's `absence`, resolved (see [`crate::sigma::Absence`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceIr {
    /// Index of the confirming rule in [`Lowered::rules`]; its `group-by` has the same
    /// number of fields, so that keys compare.
    pub confirm: usize,
    /// How far from a match, either way, a confirmation counts; microseconds.
    pub within: i64,
}

/// A rule's `silence`, resolved (see [`crate::sigma::Silence`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SilenceIr {
    /// Expected interval per group key, microseconds.
    pub expected: Vec<(String, i64)>,
    /// The interval for any other group that has been seen (`*`), microseconds.
    pub default: Option<i64>,
}

/// What one entry of a correlation's `rules` refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// A detection rule: index into [`Lowered::rules`].
    Rule(usize),
    /// Another correlation (chaining): index into [`Lowered::correlations`], always
    /// lower than the referencing correlation's own index.
    Correlation(usize),
}

/// Where a correlation reads one referenced rule's matches.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationSource {
    /// Index of the rule in [`Lowered::rules`].
    pub rule: usize,
    /// Position of the rule in the correlation's `rules`.
    pub position: usize,
    /// The table.
    pub table: Table,
    /// The group-by columns on that table, in `group-by` order.
    pub group_by: Vec<Target>,
    /// The counted or summed column, for `value_count` and `value_sum`.
    pub field: Option<Target>,
}

/// Where a correlation reads the firings of a correlation it references (see
/// [`crate::correlate::Cascade`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedSource {
    /// Index of the referenced correlation in [`Lowered::correlations`].
    pub correlation: usize,
    /// Its position in the referencing correlation's `rules`.
    pub position: usize,
    /// For each `group-by` field of the referencing correlation, the index of the
    /// referenced correlation's `group-by` field that holds it.
    pub group_by: Vec<usize>,
    /// Likewise for the field counted by `value_count` or summed by `value_sum`.
    pub field: Option<usize>,
}

/// A correlation in IR form.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationIr {
    /// Title, id, level, ...
    pub meta: Meta,
    /// The correlation type.
    pub kind: CorrelationKind,
    /// The referenced rules and correlations, in `rules:` order (the order
    /// `temporal_ordered` wants).
    pub rules: Vec<Reference>,
    /// One source per referenced rule and table.
    pub sources: Vec<CorrelationSource>,
    /// One source per referenced correlation.
    pub chained: Vec<ChainedSource>,
    /// The `group-by` names as written, for the alert's group key.
    pub group_by: Vec<String>,
    /// Window length, microseconds.
    pub timespan: i64,
    /// The threshold.
    pub condition: Vec<(CmpOp, f64)>,
    /// Whether the referenced rules also raise their own alerts.
    pub generate: bool,
    /// Whether firings raise alerts of their own (false when the correlation only
    /// feeds another one that does not say `generate: true`).
    pub alerts: bool,
}

/// The IR of a whole rule set, and the errors of the documents that could not lower.
#[derive(Debug, Clone, Default)]
pub struct Lowered {
    /// Rules, in [`RuleSet::rules`] order; a rule that failed is left out of no index,
    /// its `tables` are simply empty.
    pub rules: Vec<RuleIr>,
    /// Correlations that lowered, each after the correlations it references.
    pub correlations: Vec<CorrelationIr>,
    /// One error per document that did not.
    pub errors: Vec<CompileError>,
}

/// Lowers every document of `set`.
pub fn lower(set: &RuleSet, mapping: &FieldMapping, placeholders: &Placeholders) -> Lowered {
    let mut out = Lowered::default();
    for rule in &set.rules {
        match lower_rule(rule, mapping, placeholders) {
            Ok(ir) => out.rules.push(ir),
            Err(kind) => {
                out.errors.push(CompileError {
                    rule: rule.meta.label(),
                    kind,
                });
                out.rules.push(RuleIr {
                    meta: rule.meta.clone(),
                    tables: Vec::new(),
                    group_by: Vec::new(),
                    generate: false,
                    absence: None,
                    silence: None,
                });
            }
        }
    }
    for filter in &set.filters {
        let targets: Result<Vec<usize>, _> =
            filter.rules.iter().map(|r| find_rule(set, r)).collect();
        let result = targets.and_then(|targets| {
            let mut filtered = Vec::new();
            for index in targets {
                for (table, _) in &out.rules[index].tables {
                    let ctx = Ctx {
                        mapping,
                        placeholders,
                        table: *table,
                    };
                    filtered.push((index, *table, ctx.detection(&filter.detection)?));
                }
            }
            Ok(filtered)
        });
        match result {
            Ok(filtered) => {
                for (index, table, condition) in filtered {
                    if let Some((_, expr)) = out.rules[index]
                        .tables
                        .iter_mut()
                        .find(|(t, _)| *t == table)
                    {
                        let rule = std::mem::replace(expr, Expr::Const(false));
                        *expr = simplify(Expr::All(vec![rule, condition]));
                    }
                }
            }
            Err(kind) => out.errors.push(CompileError {
                rule: filter.meta.label(),
                kind,
            }),
        }
    }
    let mut chain = Chain {
        set,
        rules: &out.rules,
        mapping,
        state: vec![Visit::New; set.correlations.len()],
        lowered: Vec::new(),
        errors: Vec::new(),
    };
    for index in 0..set.correlations.len() {
        chain.visit(index);
    }
    out.correlations = chain.lowered;
    out.errors.extend(chain.errors);
    for ir in &mut out.rules {
        ir.generate = !ir.tables.is_empty();
    }
    for (index, rule) in set.rules.iter().enumerate() {
        if out.rules[index].tables.is_empty() {
            continue;
        }
        let resolved = extensions(set, &out.rules, rule, placeholders);
        match resolved {
            Ok((absence, silence)) => {
                if let Some(a) = &absence {
                    out.rules[a.confirm].generate = false;
                }
                if silence.is_some() {
                    out.rules[index].generate = false;
                }
                out.rules[index].absence = absence;
                out.rules[index].silence = silence;
            }
            Err(kind) => out.errors.push(CompileError {
                rule: rule.meta.label(),
                kind,
            }),
        }
    }
    // Sigma v2: rules (and correlations) a correlation uses stay silent unless it says
    // `generate: true`.
    let mut silenced = Vec::new();
    for correlation in out.correlations.iter().filter(|c| !c.generate) {
        for reference in &correlation.rules {
            match *reference {
                Reference::Rule(rule) => out.rules[rule].generate = false,
                Reference::Correlation(index) => silenced.push(index),
            }
        }
    }
    for index in silenced {
        out.correlations[index].alerts = false;
    }
    out
}

/// A document a correlation, filter or absence names: index into [`RuleSet::rules`] or
/// [`RuleSet::correlations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Rule(usize),
    Correlation(usize),
}

/// A rule or correlation by `name`, else by `id`; at each step rules come first.
fn find(set: &RuleSet, name: &str) -> Result<Named, CompileErrorKind> {
    let keys: [fn(&Meta) -> Option<&str>; 2] = [|m| m.name.as_deref(), |m| m.id.as_deref()];
    for key in keys {
        if let Some(i) = set.rules.iter().position(|r| key(&r.meta) == Some(name)) {
            return Ok(Named::Rule(i));
        }
        if let Some(i) = set
            .correlations
            .iter()
            .position(|c| key(&c.meta) == Some(name))
        {
            return Ok(Named::Correlation(i));
        }
    }
    Err(CompileErrorKind::UnknownRule(name.to_owned()))
}

/// A detection rule by `name` or `id`, for filters and `absence`.
fn find_rule(set: &RuleSet, name: &str) -> Result<usize, CompileErrorKind> {
    match find(set, name)? {
        Named::Rule(i) => Ok(i),
        Named::Correlation(_) => Err(CompileErrorKind::Unsupported(format!(
            "`{name}` is a correlation; filters and `absence` apply to detection rules"
        ))),
    }
}

/// How far lowering of one correlation has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    /// On the current path: meeting it again means the chain loops.
    Active,
    /// Lowered, at this index of [`Lowered::correlations`].
    Done(usize),
    Failed,
}

/// Lowers correlations depth first, so that a referenced correlation is lowered (and
/// placed) before the correlations that reference it.
struct Chain<'a> {
    set: &'a RuleSet,
    rules: &'a [RuleIr],
    mapping: &'a FieldMapping,
    state: Vec<Visit>,
    lowered: Vec<CorrelationIr>,
    errors: Vec<CompileError>,
}

impl Chain<'_> {
    /// Lowers `set.correlations[index]` after everything it references; `None` when it
    /// (or something it references) cannot run, with the error recorded.
    fn visit(&mut self, index: usize) -> Option<usize> {
        match self.state[index] {
            Visit::Done(at) => return Some(at),
            Visit::Failed | Visit::Active => return None,
            Visit::New => {}
        }
        self.state[index] = Visit::Active;
        let set = self.set;
        let correlation = &set.correlations[index];
        let result = self
            .references(correlation)
            .and_then(|refs| lower_correlation(self, correlation, &refs));
        match result {
            Ok(ir) => {
                self.lowered.push(ir);
                self.state[index] = Visit::Done(self.lowered.len() - 1);
                Some(self.lowered.len() - 1)
            }
            Err(kind) => {
                self.errors.push(CompileError {
                    rule: correlation.meta.label(),
                    kind,
                });
                self.state[index] = Visit::Failed;
                None
            }
        }
    }

    /// The correlation's `rules`, each resolved and, for a correlation, lowered first.
    fn references(&mut self, c: &Correlation) -> Result<Vec<Reference>, CompileErrorKind> {
        let mut out = Vec::with_capacity(c.rules.len());
        for r in &c.rules {
            let name = match r {
                RuleRef::Index(i) => {
                    out.push(Reference::Rule(*i));
                    continue;
                }
                RuleRef::Named(name) => name,
            };
            match find(self.set, name)? {
                Named::Rule(i) => out.push(Reference::Rule(i)),
                Named::Correlation(j) => {
                    if self.state[j] == Visit::Active {
                        return Err(CompileErrorKind::InvalidValue {
                            field: "correlation.rules".into(),
                            reason: format!(
                                "`{name}` leads back to this correlation; a chain must not loop"
                            ),
                        });
                    }
                    let at = self.visit(j).ok_or_else(|| {
                        CompileErrorKind::Unsupported(format!(
                            "chaining onto correlation `{name}`, which cannot run itself"
                        ))
                    })?;
                    out.push(Reference::Correlation(at));
                }
            }
        }
        Ok(out)
    }
}

/// A rule's `absence` and `silence`, resolved against the other rules and the
/// placeholders.
fn extensions(
    set: &RuleSet,
    rules: &[RuleIr],
    rule: &Rule,
    placeholders: &Placeholders,
) -> Result<(Option<AbsenceIr>, Option<SilenceIr>), CompileErrorKind> {
    let absence = match &rule.absence {
        None => None,
        Some(a) => {
            let confirm = find_rule(set, &a.rule)?;
            let confirming = &set.rules[confirm];
            if rules[confirm].tables.is_empty() {
                return Err(CompileErrorKind::Unsupported(format!(
                    "absence of rule `{}`, which cannot run itself",
                    a.rule
                )));
            }
            if confirming.meta.group_by.len() != rule.meta.group_by.len() {
                return Err(CompileErrorKind::InvalidValue {
                    field: "absence.rule".into(),
                    reason: format!(
                        "`{}` must have a group-by of {} field(s), as this rule has",
                        a.rule,
                        rule.meta.group_by.len()
                    ),
                });
            }
            Some(AbsenceIr {
                confirm,
                within: a.within,
            })
        }
    };
    let silence = match &rule.silence {
        None => None,
        Some(s) => Some(silence(&s.expected, placeholders)?),
    };
    Ok((absence, silence))
}

/// `GROUP DURATION` entries, with `%name%` entries expanded from the placeholders.
fn silence(entries: &[String], placeholders: &Placeholders) -> Result<SilenceIr, CompileErrorKind> {
    let mut out = SilenceIr::default();
    let mut expanded = Vec::new();
    for entry in entries {
        let name = entry
            .trim()
            .strip_prefix('%')
            .and_then(|e| e.strip_suffix('%'));
        match name {
            Some(name) => expanded.extend(
                placeholders
                    .get(name)
                    .ok_or_else(|| CompileErrorKind::MissingPlaceholder {
                        field: "silence.expected".into(),
                        name: name.to_owned(),
                    })?
                    .iter()
                    .cloned(),
            ),
            None => expanded.push(entry.clone()),
        }
    }
    for entry in expanded {
        let invalid = || CompileErrorKind::InvalidValue {
            field: "silence.expected".into(),
            reason: format!("`{entry}` is not `GROUP DURATION` (e.g. `fw-core 5m`)"),
        };
        let (group, interval) = entry
            .trim()
            .rsplit_once(char::is_whitespace)
            .ok_or_else(invalid)?;
        let interval = crate::sigma::parse_duration(interval.trim()).ok_or_else(invalid)?;
        match group.trim() {
            "*" => out.default = Some(interval),
            group => out.expected.push((group.to_owned(), interval)),
        }
    }
    Ok(out)
}

fn lower_rule(
    rule: &Rule,
    mapping: &FieldMapping,
    placeholders: &Placeholders,
) -> Result<RuleIr, CompileErrorKind> {
    let tables = mapping.tables(&rule.logsource);
    if tables.is_empty() {
        return Err(CompileErrorKind::UnsupportedLogsource(
            rule.logsource.clone(),
        ));
    }
    let mut out = Vec::new();
    let mut group_by = Vec::new();
    for &table in tables {
        let ctx = Ctx {
            mapping,
            placeholders,
            table,
        };
        out.push((table, ctx.detection(&rule.detection)?));
        let targets = rule
            .meta
            .group_by
            .iter()
            .map(|f| ctx.resolve(f))
            .collect::<Result<_, _>>()?;
        group_by.push((table, targets));
    }
    Ok(RuleIr {
        meta: rule.meta.clone(),
        tables: out,
        group_by,
        generate: true,
        absence: None,
        silence: None,
    })
}

/// The handle a correlation's `aliases` use for a referenced document: its `name`,
/// else its `id`, else its title.
fn handle(meta: &Meta) -> &str {
    meta.name
        .as_deref()
        .or(meta.id.as_deref())
        .unwrap_or(&meta.title)
}

/// A `group-by` or counted field of `c`, as the referenced document `meta` spells it.
fn field_for(c: &Correlation, meta: &Meta, name: &str) -> Result<String, CompileErrorKind> {
    let Some(alias) = c.aliases.iter().find(|a| a.name == name) else {
        return Ok(name.to_owned());
    };
    alias
        .fields
        .iter()
        .find(|(r, _)| meta.name.as_deref() == Some(r) || meta.id.as_deref() == Some(r))
        .map(|(_, f)| f.clone())
        .ok_or_else(|| CompileErrorKind::InvalidValue {
            field: name.to_owned(),
            reason: format!("alias has no field for rule `{}`", handle(meta)),
        })
}

fn lower_correlation(
    chain: &Chain<'_>,
    c: &Correlation,
    refs: &[Reference],
) -> Result<CorrelationIr, CompileErrorKind> {
    let (set, rules, mapping) = (chain.set, chain.rules, chain.mapping);
    let mut sources = Vec::new();
    let mut chained = Vec::new();
    for (position, reference) in refs.iter().enumerate() {
        let index = match *reference {
            Reference::Rule(index) => index,
            Reference::Correlation(at) => {
                chained.push(chained_source(c, &chain.lowered[at], at, position)?);
                continue;
            }
        };
        let rule = &set.rules[index];
        let ir = &rules[index];
        if ir.tables.is_empty() {
            return Err(CompileErrorKind::Unsupported(format!(
                "counting rule `{}`, which cannot run itself",
                rule.meta.id.as_deref().unwrap_or(&rule.meta.title)
            )));
        }
        for (table, _) in &ir.tables {
            let resolve = |name: &str| -> Result<Target, CompileErrorKind> {
                let field = field_for(c, &rule.meta, name)?;
                mapping
                    .resolve(*table, &field)
                    .ok_or(CompileErrorKind::UnknownField {
                        field,
                        table: *table,
                    })
            };
            let group_by = c
                .group_by
                .iter()
                .map(|g| resolve(g))
                .collect::<Result<_, _>>()?;
            let field = c.field.as_deref().map(resolve).transpose()?;
            sources.push(CorrelationSource {
                rule: index,
                position,
                table: *table,
                group_by,
                field,
            });
        }
    }
    // Firing as events arrive needs a threshold that more events can cross; a temporal
    // correlation without a condition means "every rule seen".
    let lower_bound = c
        .condition
        .iter()
        .any(|(op, _)| matches!(op, CmpOp::Gt | CmpOp::Gte | CmpOp::Eq));
    let implicit = c.condition.is_empty()
        && matches!(
            c.kind,
            CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
        );
    if !(lower_bound || implicit) {
        return Err(CompileErrorKind::Unsupported(
            "a correlation condition without gt, gte or eq (detecting absence needs windows that close)".into(),
        ));
    }
    Ok(CorrelationIr {
        meta: c.meta.clone(),
        kind: c.kind,
        rules: refs.to_vec(),
        sources,
        chained,
        group_by: c.group_by.clone(),
        timespan: c.timespan,
        condition: c.condition.clone(),
        generate: c.generate,
        alerts: true,
    })
}

/// How `c` reads the firings of the lowered correlation `inner` (at index `at`): a
/// firing carries the values of `inner`'s `group-by`, so every field `c` groups by or
/// counts must be one of them (by alias where the names differ).
fn chained_source(
    c: &Correlation,
    inner: &CorrelationIr,
    at: usize,
    position: usize,
) -> Result<ChainedSource, CompileErrorKind> {
    let pick = |name: &str| -> Result<usize, CompileErrorKind> {
        let field = field_for(c, &inner.meta, name)?;
        inner
            .group_by
            .iter()
            .position(|g| *g == field)
            .ok_or_else(|| CompileErrorKind::InvalidValue {
                field: name.to_owned(),
                reason: format!(
                    "correlation `{}` groups by [{}], so its alerts carry no `{field}`",
                    handle(&inner.meta),
                    inner.group_by.join(", ")
                ),
            })
    };
    Ok(ChainedSource {
        correlation: at,
        position,
        group_by: c
            .group_by
            .iter()
            .map(|g| pick(g))
            .collect::<Result<_, _>>()?,
        field: c.field.as_deref().map(pick).transpose()?,
    })
}

struct Ctx<'a> {
    mapping: &'a FieldMapping,
    placeholders: &'a Placeholders,
    table: Table,
}

impl Ctx<'_> {
    fn resolve(&self, field: &str) -> Result<Target, CompileErrorKind> {
        if let Some(derived) = Derived::resolve(field, self.table, self.placeholders)? {
            return Ok(Target::Derived(derived));
        }
        self.mapping
            .resolve(self.table, field)
            .ok_or_else(|| CompileErrorKind::UnknownField {
                field: field.to_owned(),
                table: self.table,
            })
    }

    fn detection(&self, detection: &Detection) -> Result<Expr, CompileErrorKind> {
        let mut searches = Vec::with_capacity(detection.searches.len());
        for search in &detection.searches {
            let expr = match &search.body {
                SearchBody::Maps(maps) => {
                    let mut alternatives = Vec::with_capacity(maps.len());
                    for map in maps {
                        let items = map
                            .iter()
                            .map(|item| self.item(item))
                            .collect::<Result<_, _>>()?;
                        alternatives.push(Expr::All(items));
                    }
                    Expr::Any(alternatives)
                }
                SearchBody::Keywords(values) => {
                    let item = FieldItem {
                        field: None,
                        modifiers: Modifiers::default(),
                        values: values.clone(),
                    };
                    self.item(&item)?
                }
            };
            searches.push((search.name.as_str(), expr));
        }
        let conditions = detection
            .conditions
            .iter()
            .map(|c| rewrite(&c.ast, &searches))
            .collect();
        Ok(simplify(Expr::Any(conditions)))
    }

    fn item(&self, item: &FieldItem) -> Result<Expr, CompileErrorKind> {
        let label = item.field.as_deref().unwrap_or("keywords");
        let invalid = |reason: String| CompileErrorKind::InvalidValue {
            field: label.to_owned(),
            reason,
        };
        let target = match &item.field {
            Some(field) => self.resolve(field)?,
            None if self.table.schema().field_with_name(col::RAW).is_ok() => {
                Target::Column(col::RAW.to_owned())
            }
            None => {
                return Err(CompileErrorKind::UnknownField {
                    field: col::RAW.into(),
                    table: self.table,
                });
            }
        };
        let m = &item.modifiers;
        let leaf = |test| {
            Expr::Leaf(Leaf {
                target: target.clone(),
                test,
            })
        };
        if m.has(Modifier::Exists) {
            return match item.values.as_slice() {
                [Value::Bool(true)] => Ok(leaf(Test::NotNull)),
                [Value::Bool(false)] => Ok(leaf(Test::Null)),
                _ => Err(invalid("`exists` takes true or false".into())),
            };
        }
        let mut per_value = Vec::with_capacity(item.values.len());
        for value in &item.values {
            let expanded = match value {
                Value::Str(s) if m.has(Modifier::Expand) => values::expand(s, self.placeholders)
                    .map_err(|e| match e {
                        ValueError::MissingPlaceholder(name) => {
                            CompileErrorKind::MissingPlaceholder {
                                field: label.to_owned(),
                                name,
                            }
                        }
                        ValueError::TooManyExpansions => {
                            invalid("expands to too many alternatives".into())
                        }
                    })?
                    .into_iter()
                    .map(Value::Str)
                    .collect(),
                v => vec![v.clone()],
            };
            let mut alternatives = Vec::with_capacity(expanded.len());
            for v in &expanded {
                let expr = if m.has(Modifier::FieldRef) {
                    let Value::Str(other) = v else {
                        return Err(invalid("`fieldref` takes field names".into()));
                    };
                    let other = self.resolve(other)?;
                    leaf(Test::FieldRef {
                        other,
                        cased: m.has(Modifier::Cased),
                    })
                } else {
                    leaf(self.test(m, v, item.field.is_none()).map_err(invalid)?)
                };
                alternatives.push(if m.has(Modifier::Neq) {
                    Expr::All(vec![leaf(Test::NotNull), Expr::Not(Box::new(expr))])
                } else {
                    expr
                });
            }
            per_value.push(Expr::Any(alternatives));
        }
        Ok(if m.has(Modifier::All) {
            Expr::All(per_value)
        } else {
            Expr::Any(per_value)
        })
    }

    /// The test for one value under the modifiers.
    fn test(&self, m: &Modifiers, value: &Value, keyword: bool) -> Result<Test, String> {
        let textual = m.position().is_some()
            || m.has(Modifier::Windash)
            || m.has(Modifier::Base64)
            || m.has(Modifier::Base64Offset)
            || m.has(Modifier::Re)
            || m.has(Modifier::Cidr)
            || keyword;
        if let Some(modifier) = m.numeric() {
            let op = match modifier {
                Modifier::Lt => CmpOp::Lt,
                Modifier::Lte => CmpOp::Lte,
                Modifier::Gt => CmpOp::Gt,
                _ => CmpOp::Gte,
            };
            let number = match value {
                Value::Int(i) => Some(Number::Int(i128::from(*i))),
                Value::Float(f) => Some(Number::Float(*f)),
                Value::Str(s) => Number::parse(s),
                _ => None,
            };
            return number
                .map(|value| Test::Num { op, value })
                .ok_or_else(|| format!("`{modifier}` needs a number, not `{value}`"));
        }
        let text = match value {
            Value::Null if textual => return Err("null cannot take string modifiers".into()),
            Value::Null => return Ok(Test::Null),
            Value::Bool(b) if !textual => return Ok(Test::Bool(*b)),
            Value::Int(i) if !textual => {
                return Ok(Test::Num {
                    op: CmpOp::Eq,
                    value: Number::Int(i128::from(*i)),
                });
            }
            Value::Float(f) if !textual => {
                return Ok(Test::Num {
                    op: CmpOp::Eq,
                    value: Number::Float(*f),
                });
            }
            Value::Str(s) => s.clone(),
            other => other.to_string(),
        };
        if m.has(Modifier::Cidr) {
            return IpRange::parse(&text)
                .map(|r| Test::Cidr(vec![r]))
                .ok_or_else(|| format!("`{text}` is not a CIDR range"));
        }
        if m.has(Modifier::Re) {
            regex_automata::util::syntax::parse(&text)
                .map_err(|e| format!("invalid regular expression `{text}`: {e}"))?;
            return Ok(Test::Str(vec![StrPattern::Regex {
                pattern: text,
                ignore_case: m.has(Modifier::ReIgnoreCase),
                multi_line: m.has(Modifier::ReMultiLine),
                dot_all: m.has(Modifier::ReDotAll),
            }]));
        }
        let variants = if m.has(Modifier::Windash) {
            values::windash(&text)
                .map_err(|_| "windash expands to too many alternatives".to_owned())?
        } else {
            vec![text]
        };
        let position = match m.position() {
            None if keyword => Some(Modifier::Contains),
            p => p,
        };
        let wrap = |pieces: Vec<Piece>, cased: bool| {
            let (before, after) = match position {
                Some(Modifier::Contains) => (true, true),
                Some(Modifier::StartsWith) => (false, true),
                Some(Modifier::EndsWith) => (true, false),
                _ => (false, false),
            };
            let pieces = before
                .then_some(Piece::Star)
                .into_iter()
                .chain(pieces)
                .chain(after.then_some(Piece::Star));
            StrPattern::glob(pieces, cased)
        };
        let mut patterns = Vec::new();
        for variant in variants {
            let pieces = values::parse_glob(&variant);
            if m.has(Modifier::Base64) || m.has(Modifier::Base64Offset) {
                let literal =
                    values::literal_text(&pieces).ok_or("wildcards cannot be base64-encoded")?;
                let encoding = match m.encoding() {
                    Some(Modifier::Utf16Le) => Encoding::Utf16Le,
                    Some(Modifier::Utf16Be) => Encoding::Utf16Be,
                    Some(Modifier::Utf16) => Encoding::Utf16,
                    _ => Encoding::Utf8,
                };
                let bytes = values::encode(&literal, encoding);
                let encoded = if m.has(Modifier::Base64) {
                    vec![values::base64(&bytes)]
                } else {
                    values::base64_offsets(&bytes)
                };
                // Base64 text is case-sensitive by nature.
                patterns.extend(encoded.into_iter().map(|e| wrap(vec![Piece::Lit(e)], true)));
            } else {
                patterns.push(wrap(pieces, m.has(Modifier::Cased)));
            }
        }
        Ok(Test::Str(patterns))
    }
}

/// The condition AST over lowered searches. `them` leaves out identifiers that start
/// with `_`, as Sigma specifies.
fn rewrite(condition: &Condition, searches: &[(&str, Expr)]) -> Expr {
    match condition {
        Condition::Search(name) => searches
            .iter()
            .find(|(n, _)| n == name)
            .map_or(Expr::Const(false), |(_, e)| e.clone()),
        Condition::Of {
            quantifier,
            pattern,
        } => {
            let selected = searches
                .iter()
                .filter(|(n, _)| match pattern {
                    None => !n.starts_with('_'),
                    Some(p) => condition::pattern_matches(p, n),
                })
                .map(|(_, e)| e.clone())
                .collect();
            match quantifier {
                Quantifier::Any => Expr::Any(selected),
                Quantifier::All => Expr::All(selected),
            }
        }
        Condition::Not(inner) => Expr::Not(Box::new(rewrite(inner, searches))),
        Condition::And(items) => Expr::All(items.iter().map(|c| rewrite(c, searches)).collect()),
        Condition::Or(items) => Expr::Any(items.iter().map(|c| rewrite(c, searches)).collect()),
    }
}
