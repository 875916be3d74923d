//! Threshold overrides: a deployment's counts and windows for the rules it runs.
//!
//! The pack's thresholds are the design's starting points; a city tunes them in its
//! configuration without editing rule files:
//!
//! ```toml
//! [detection.thresholds]
//! "OMZ-15" = { count = 5, timespan = "10m" }
//! "OMZ-14" = { timespan = "90s" }
//! ```
//!
//! On a correlation, `count` replaces the value of its lower bound (`gt`, `gte` or `eq`)
//! and `timespan` its window; on a rule with `absence`, `timespan` is the `within`. An
//! id that names nothing, or an override the document cannot take, is an error: a
//! misspelt id must not leave the default in force unnoticed.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::sigma::{CmpOp, RuleSet, parse_duration};

/// One rule's override.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// The count, distinct count or sum a correlation must reach.
    pub count: Option<f64>,
    /// The window, as a Sigma duration (`30s`, `10m`, `1h`).
    pub timespan: Option<String>,
}

/// An override that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ThresholdError {
    /// No correlation or rule has the id.
    #[error("threshold for `{0}`: no correlation or rule has this id")]
    UnknownRule(String),
    /// The timespan does not parse.
    #[error("threshold for `{id}`: `{timespan}` is not a duration such as 10m")]
    BadTimespan {
        /// The rule id.
        id: String,
        /// The value given.
        timespan: String,
    },
    /// The document has nothing the override could change.
    #[error("threshold for `{id}`: {reason}")]
    NotApplicable {
        /// The rule id.
        id: String,
        /// Why.
        reason: &'static str,
    },
}

/// Applies every override to the documents of `set`.
pub fn apply(
    set: &mut RuleSet,
    overrides: &BTreeMap<String, Threshold>,
) -> Result<(), ThresholdError> {
    for (id, threshold) in overrides {
        let timespan = threshold
            .timespan
            .as_deref()
            .map(|t| {
                parse_duration(t).ok_or_else(|| ThresholdError::BadTimespan {
                    id: id.clone(),
                    timespan: t.to_owned(),
                })
            })
            .transpose()?;
        let named = |meta: &crate::sigma::Meta| {
            meta.id.as_deref() == Some(id) || meta.name.as_deref() == Some(id)
        };
        if let Some(c) = set.correlations.iter_mut().find(|c| named(&c.meta)) {
            if let Some(count) = threshold.count {
                let bound = c
                    .condition
                    .iter_mut()
                    .find(|(op, _)| matches!(op, CmpOp::Gt | CmpOp::Gte | CmpOp::Eq))
                    .ok_or_else(|| ThresholdError::NotApplicable {
                        id: id.clone(),
                        reason: "the correlation has no gt, gte or eq condition to set",
                    })?;
                bound.1 = count;
            }
            if let Some(timespan) = timespan {
                c.timespan = timespan;
            }
            continue;
        }
        let Some(rule) = set.rules.iter_mut().find(|r| named(&r.meta)) else {
            return Err(ThresholdError::UnknownRule(id.clone()));
        };
        match (&mut rule.absence, threshold.count, timespan) {
            (Some(_), Some(_), _) => {
                return Err(ThresholdError::NotApplicable {
                    id: id.clone(),
                    reason: "an `absence` rule takes a timespan, not a count",
                });
            }
            (Some(absence), None, Some(timespan)) => absence.within = timespan,
            (Some(_), None, None) => {}
            (None, _, _) => {
                return Err(ThresholdError::NotApplicable {
                    id: id.clone(),
                    reason: "a detection rule without `absence` has no threshold",
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma;

    const RULES: &str = "title: F\nid: F\nlogsource: {product: sanso, service: auth}\n\
        detection: {s: {outcome: failure}, condition: s}\n---\n\
        title: C\nid: C\ncorrelation: {type: event_count, rules: [F], group-by: [user], timespan: 10m, condition: {gte: 5}}\n---\n\
        title: M\nid: M\nlogsource: {product: sanso, service: auth}\ngroup-by: [user]\n\
        detection: {s: {activity: mfa}, condition: s}\n---\n\
        title: A\nid: A\nlogsource: {product: sanso, service: auth}\ngroup-by: [user]\n\
        detection: {s: {activity: logon}, condition: s}\nabsence: {rule: M, within: 60s}\n";

    fn set() -> RuleSet {
        sigma::parse_str(RULES, "t.yml".as_ref())
            .into_result()
            .unwrap()
    }

    fn one(id: &str, count: Option<f64>, timespan: Option<&str>) -> BTreeMap<String, Threshold> {
        BTreeMap::from([(
            id.to_owned(),
            Threshold {
                count,
                timespan: timespan.map(Into::into),
            },
        )])
    }

    #[test]
    fn overrides_counts_windows_and_absence() {
        let mut s = set();
        apply(&mut s, &one("C", Some(3.0), Some("2m"))).unwrap();
        assert_eq!(s.correlations[0].condition, [(CmpOp::Gte, 3.0)]);
        assert_eq!(s.correlations[0].timespan, 120_000_000);
        apply(&mut s, &one("A", None, Some("90s"))).unwrap();
        assert_eq!(s.rules[2].absence.as_ref().unwrap().within, 90_000_000);
    }

    #[test]
    fn rejects_what_it_cannot_apply() {
        let mut s = set();
        assert_eq!(
            apply(&mut s, &one("nope", Some(1.0), None)).unwrap_err(),
            ThresholdError::UnknownRule("nope".into())
        );
        assert!(matches!(
            apply(&mut s, &one("C", None, Some("soon"))),
            Err(ThresholdError::BadTimespan { .. })
        ));
        assert!(matches!(
            apply(&mut s, &one("F", Some(2.0), None)),
            Err(ThresholdError::NotApplicable { .. })
        ));
        assert!(matches!(
            apply(&mut s, &one("A", Some(2.0), None)),
            Err(ThresholdError::NotApplicable { .. })
        ));
    }
}
