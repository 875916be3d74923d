//! sanso-query owns the Parquet lake: where every table's rows live, how they get there,
//! and how analysts read them back with SQL.
//!
//! ```text
//!  (Table, RecordBatch) ──> LakeWriter ──> <lake>/<table>/date=…/zone=…/part-….parquet
//!                                                          │
//!                          Lake::open ── DataFusion ListingTable per table ──> SQL
//! ```
//!
//! The [`lake`] module decides the layout and writes files atomically (write, fsync,
//! rename), so a reader never sees half a file; [`session`] registers the tables over
//! that layout and runs read-only SQL. The schemas themselves come from
//! [`sanso_ingest::schema`], the single place they are defined. sanso's processes run on
//! the allocator that [`allocator`] names.

pub mod allocator;
pub mod error;
pub mod flight;
pub mod functions;
pub mod incidents;
pub mod lake;
pub mod rewrite;
pub mod session;

pub use error::{LakeError, QueryError, QueryFailure};
pub use lake::{LakeWriter, PreparedFlush};
pub use session::{Lake, QueryLimits};
