//! sanso-ingest turns bytes into typed Arrow record batches.
//!
//! placeholder crate doc; rewritten once the modules settle.

pub mod batch;
pub mod error;
pub mod event;
pub mod evtx;
pub mod framing;
pub mod line;
pub mod parsers;
pub mod schema;
pub mod syslog;
pub mod zones;
