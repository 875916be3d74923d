//! The front end: Sigma YAML to a typed model.
//!
//! [`load_path`] and [`parse_str`] read files into a [`RuleSet`] of [`Rule`]s,
//! [`Filter`]s and [`Correlation`]s. Conditions are parsed into [`Condition`] ASTs by a
//! recursive-descent parser ([`condition`]), modifiers into typed [`Modifiers`], and the
//! legacy `| count() by x > n` syntax into correlations ([`legacy`]). Anything sanso does
//! not support is a [`LoadError`] naming the file, the rule and the feature.
//!
//! ```
//! use std::path::Path;
//! let text = "title: Root login\nid: R-1\nlogsource: {product: linux, service: sshd}\n\
//!             detection:\n  sel: {user: root}\n  condition: sel\n";
//! let set = sanso_detect::sigma::parse_str(text, Path::new("r.yml")).into_result().unwrap();
//! assert_eq!(set.rules[0].meta.id.as_deref(), Some("R-1"));
//! ```

pub mod condition;
mod error;
pub mod legacy;
mod load;
mod model;
mod modifiers;

pub use condition::{Condition, ConditionError, ConditionErrorKind, Quantifier};
pub use error::{LoadError, RuleErrorKind};
pub use load::{FIXTURE_SUFFIXES, Loaded, is_rule_file, load_path, parse_duration, parse_str};
pub use model::{
    Absence, Alias, CmpOp, Correlation, CorrelationKind, Detection, FieldItem, Filter, Logsource,
    Meta, Origin, ParsedCondition, Rule, RuleLabel, RuleRef, RuleSet, Search, SearchBody, Silence,
    Value,
};
pub use modifiers::{Modifier, ModifierError, Modifiers};
