//! The Parquet lake: its folder layout and the writer that fills it.

pub mod compact;
mod layout;
pub mod retention;
mod writer;

pub use compact::{CompactPolicy, CompactStats, CompactionAwareStore, compact_lake};
pub use layout::{FILE_EXTENSION, Partition, UNKNOWN_ZONE, table_dir};
pub use writer::{FlushStats, LakeWriter, PreparedFlush};
