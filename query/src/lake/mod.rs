//! The Parquet lake: its folder layout and the writer that fills it.

mod layout;
mod writer;

pub use layout::{FILE_EXTENSION, Partition, UNKNOWN_ZONE, table_dir};
pub use writer::{FlushStats, LakeWriter, PreparedFlush};
