//! sanso-detect turns record batches into alerts: Sigma rules compiled to vectorised
//! kernels over Arrow, with windowed correlations and suppression on top.
//!
//! # Layers
//!
//! Rules go through a pipeline of representations, each simpler to analyse than the
//! one before (the way regex-syntax goes from AST to HIR):
//!
//! ```text
//!  Sigma YAML ──sigma──> RuleSet (typed model; condition AST; typed modifiers)
//!             ──ir─────> RuleIr / CorrelationIr (columns, not field names; every
//!                        modifier applied: placeholders, windash, base64, CIDR ranges)
//!             ──compile> TableProgram per table (shared leaves, kernels built once)
//!  RecordBatch ─eval───> one mask per rule ──Detector──> Vec<Match>
//!             ──Engine─> correlations (windows per group) + suppression ──> Vec<Alert>
//! ```
//!
//! * [`sigma`]: the front end. Loads files into a [`sigma::RuleSet`]; anything sanso
//!   cannot run is a [`sigma::LoadError`] naming the file, rule and feature.
//! * [`ir`]: field mapping ([`FieldMapping`], a readable default table a deployment
//!   overrides with TOML), placeholders ([`Placeholders`]) and lowering. The IR is
//!   public so that other back ends (SQL for hunting, the test oracle) share its
//!   meaning.
//! * [`Detector`]: the compiled, stateless rule set. Its evaluation is columnar: a leaf
//!   on a dictionary column is evaluated once per distinct value and gathered by key,
//!   string alternatives run as one Aho-Corasick or one multi-pattern regex pass, CIDR
//!   tests are integer range lookups, numeric tests read the integer buffers, and
//!   masks combine as bitmaps. Nothing interprets a rule row by row.
//! * [`Engine`]: the stateful part: correlations (`event_count`, `value_count`,
//!   `value_sum`, `temporal`, `temporal_ordered`) with sliding windows by event time
//!   and bounded memory, alert construction, and per-(rule, group) suppression.
//! * [`check`] and [`fixture`]: `sanso rules check` and `sanso rules test`.
//! * [`pack`]: the built-in policy rule pack (OMZ-01 … OMZ-22), embedded at build time,
//!   and [`thresholds`]: a deployment's overrides of its counts and windows.
//!
//! # Extensions to Sigma
//!
//! Two policy rules ask about what did *not* happen, which Sigma's correlations (they
//! count what did) cannot say. sanso adds two attributes to detection rules, handled
//! by the engine's watch state (see `engine/watch.rs`):
//!
//! * [`absence`](sigma::Absence): a match alerts only if a confirming rule matched the
//!   same group key within a time either side (OMZ-14, logon without MFA);
//! * [`silence`](sigma::Silence): matches are heartbeats per group, and a group
//!   silent past its expected interval alerts (OMZ-22, a source that stopped).
//!
//! Rules may also test [derived fields](ir::derived) computed per batch: the JST hour,
//! weekday, public holiday, business hours and maintenance windows, clock skew, and
//! the core allowlist tuples. Every other unsupported Sigma feature is still rejected
//! at load with the rule and the feature named.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use sanso_detect::{Detector, Engine, EngineConfig, FieldMapping, Placeholders, sigma};
//! use sanso_ingest::batch::{Batches, Common};
//! use sanso_ingest::event::{AuthEvent, Event};
//! use sanso_ingest::schema::Table;
//!
//! let rules = r#"
//! title: Root logon
//! id: R-1
//! level: high
//! policy_ref: 基本方針6(6)
//! logsource: {product: linux, service: sshd}
//! detection:
//!   sel: {user: root, outcome: success}
//!   condition: sel
//! "#;
//! let set = sigma::parse_str(rules, "r.yml".as_ref()).into_result().unwrap();
//! let (mapping, placeholders) = (FieldMapping::default(), Placeholders::default());
//! let detector = Detector::compile(&set, &mapping, &placeholders).unwrap();
//!
//! let mut batches = Batches::new(Default::default());
//! let common = Common {
//!     time: 1_763_596_800_000_000,
//!     received_at: 1_763_596_800_000_000,
//!     zone: None,
//!     device: Some("srv1"),
//!     format: Some("sshd"),
//!     source: "file:/var/log/auth.log:1",
//!     raw: "Accepted password for root",
//!     raw_bytes: None,
//! };
//! let event = AuthEvent { user: Some("root"), outcome: Some("success"), ..Default::default() };
//! batches.push(&common, &Event::Auth(event));
//! let (table, batch) = batches.finish().remove(0);
//!
//! let matches = detector.evaluate(table, &batch).unwrap();
//! assert_eq!(matches[0].rows, [0]);
//!
//! let mut engine = Engine::new(Arc::new(detector), EngineConfig::default());
//! let alerts = engine.process(Table::Auth, &batch).unwrap();
//! assert_eq!(alerts[0].policy_ref.as_deref(), Some("基本方針6(6)"));
//! ```
//!
//! # Errors
//!
//! Errors are typed by phase: [`sigma::LoadError`] (reading), [`CompileError`] (a rule
//! that loaded but cannot run: unknown field, missing placeholder, bad CIDR ...) and
//! [`EvalError`] (a batch that is not of the table it was given as). Every rule error
//! starts with `file:line: rule ID "title":`. Nothing on the evaluation path panics on
//! input.

#![warn(missing_docs)]

mod alert;
pub mod check;
mod compile;
mod correlate;
mod detector;
mod engine;
mod error;
mod eval;
pub mod fixture;
pub mod ir;
pub mod pack;
pub mod sigma;
pub mod sql;
pub mod thresholds;

pub use alert::{Alert, Severity, alerts_to_batch};
pub use detector::{Detector, Match};
pub use engine::{Engine, EngineConfig, EngineStats, alert_id};
pub use error::{CompileError, CompileErrorKind, CompileErrors, EvalError};
pub use eval::Scratch;
pub use ir::{FieldMapping, Placeholders};
