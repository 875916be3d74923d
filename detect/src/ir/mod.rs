//! The middle layer: Sigma documents lowered to a small IR over sanso's columns.
//!
//! * [`fields`]: Sigma taxonomy names → tables and columns ([`FieldMapping`]).
//! * [`derived`]: fields computed per batch (JST hour, business hours, holidays,
//!   clock skew, the core allowlist tuples).
//! * [`lower`](lower()): rules, filters and correlations → [`RuleIr`] / [`CorrelationIr`],
//!   applying every modifier at compile time.
//! * [`simplify`](simplify()): flattening, constant folding, merging alternatives.
//!
//! The IR ([`Expr`]) is public so that other back ends (the SQL one for `sanso hunt`,
//! the test oracle) read the same meaning the vectorised engine runs.

pub mod derived;
mod expr;
pub mod fields;
mod lower;
mod placeholders;
mod simplify;
pub mod values;

pub use derived::Derived;
pub use expr::{
    CmpOp, Expr, IpRange, Leaf, Number, Piece, StrPattern, Target, Test, ip_key, parse_ip_key,
};
pub use fields::{FieldMapping, MappingConfig, MappingError};
pub use lower::{
    AbsenceIr, ChainedSource, CorrelationIr, CorrelationSource, Lowered, Reference, RuleIr,
    SilenceIr, lower,
};
pub use placeholders::Placeholders;
pub use simplify::simplify;
