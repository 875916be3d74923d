//! sanso-detect turns record batches into alerts.
//!
//! This crate holds the alert model: [`Alert`], the record every detection produces, and
//! [`alerts_to_batch`], which lays alerts out in the `alerts` table's Arrow schema
//! (defined with the other schemas in [`sanso_ingest::schema`]) so that they land in the
//! lake beside the events that raised them. The Sigma rule compiler and the vectorised
//! evaluator build on it.

mod alert;

pub use alert::{Alert, Severity, alerts_to_batch};
