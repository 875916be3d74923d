//! The pre-v2 aggregation syntax, `selection | count(field) by group > n`, imported as a
//! correlation document.
//!
//! `count()` becomes `event_count`, `count(field)` becomes `value_count` on `field` and
//! `sum(field)` becomes `value_sum`; `by group` becomes `group-by` and the rule's
//! `detection.timeframe` becomes the `timespan`. `min`, `max`, `avg` and `near` have no
//! correlation equivalent and are rejected.

use super::error::RuleErrorKind;
use super::model::{CmpOp, Correlation, CorrelationKind, Meta, RuleRef};

/// A parsed `| aggregation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// What is aggregated.
    pub kind: CorrelationKind,
    /// The aggregated field, for `count(field)` and `sum(field)`.
    pub field: Option<String>,
    /// The `by` field.
    pub group_by: Option<String>,
    /// The comparison.
    pub op: CmpOp,
    /// The threshold.
    pub threshold: f64,
}

fn invalid() -> RuleErrorKind {
    RuleErrorKind::Invalid {
        key: "condition".into(),
        expected: "an aggregation such as `count(field) by field > 10` after `|`",
    }
}

/// Parses the text after `|`.
pub fn parse(text: &str) -> Result<Aggregation, RuleErrorKind> {
    let text = text.trim();
    let open = text.find('(').ok_or_else(|| {
        if text.split_whitespace().next() == Some("near") {
            RuleErrorKind::Unsupported("aggregation `near`".into())
        } else {
            invalid()
        }
    })?;
    let function = text[..open].trim();
    let close = text[open..]
        .find(')')
        .map(|i| open + i)
        .ok_or_else(invalid)?;
    let field = text[open + 1..close].trim();
    let field = (!field.is_empty()).then(|| field.to_owned());
    let kind = match (function, &field) {
        ("count", None) => CorrelationKind::EventCount,
        ("count", Some(_)) => CorrelationKind::ValueCount,
        ("sum", Some(_)) => CorrelationKind::ValueSum,
        ("min" | "max" | "avg" | "near", _) => {
            return Err(RuleErrorKind::Unsupported(format!(
                "aggregation `{function}`"
            )));
        }
        _ => return Err(invalid()),
    };
    let mut rest = text[close + 1..].trim();
    let mut group_by = None;
    if let Some(after) = rest.strip_prefix("by ") {
        let after = after.trim_start();
        let end = after
            .find(|c: char| c.is_whitespace() || "<>=".contains(c))
            .unwrap_or(after.len());
        group_by = Some(after[..end].to_owned());
        rest = after[end..].trim();
    }
    let (op, number) = [
        (">=", CmpOp::Gte),
        ("<=", CmpOp::Lte),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
        ("=", CmpOp::Eq),
    ]
    .into_iter()
    .find_map(|(sym, op)| rest.strip_prefix(sym).map(|n| (op, n)))
    .ok_or_else(invalid)?;
    let threshold = number.trim().parse::<f64>().map_err(|_| invalid())?;
    Ok(Aggregation {
        kind,
        field,
        group_by,
        op,
        threshold,
    })
}

impl Aggregation {
    /// The correlation equivalent, counting the rule at `rule_index` over `timespan`
    /// microseconds; it takes over the rule's id, title and level.
    pub fn into_correlation(self, rule_index: usize, meta: &Meta, timespan: i64) -> Correlation {
        Correlation {
            meta: meta.clone(),
            kind: self.kind,
            rules: vec![RuleRef::Index(rule_index)],
            group_by: self.group_by.into_iter().collect(),
            timespan,
            condition: vec![(self.op, self.threshold)],
            field: self.field,
            aliases: Vec::new(),
            generate: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_forms() {
        let a = parse(" count() by src_ip > 10").unwrap();
        assert_eq!(a.kind, CorrelationKind::EventCount);
        assert_eq!(
            (a.group_by.as_deref(), a.op, a.threshold),
            (Some("src_ip"), CmpOp::Gt, 10.0)
        );
        let a = parse("count(dst_port) by src_ip>=50").unwrap();
        assert_eq!(
            (a.kind, a.field.as_deref(), a.op),
            (CorrelationKind::ValueCount, Some("dst_port"), CmpOp::Gte)
        );
        let a = parse("count() > 3").unwrap();
        assert_eq!(a.group_by, None);
        let a = parse("sum(bytes_out) by user > 5e7").unwrap();
        assert_eq!((a.kind, a.threshold), (CorrelationKind::ValueSum, 5e7));
    }

    #[test]
    fn rejects_what_has_no_correlation() {
        assert_eq!(
            parse("avg(x) by y > 1"),
            Err(RuleErrorKind::Unsupported("aggregation `avg`".into()))
        );
        assert_eq!(
            parse("near sel2"),
            Err(RuleErrorKind::Unsupported("aggregation `near`".into()))
        );
        assert!(parse("count() by x").is_err());
        assert!(parse("count() > many").is_err());
        assert!(parse("frobnicate").is_err());
    }
}
