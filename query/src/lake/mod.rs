//! The Parquet lake: where it lives, its folder layout, and the writer that fills it.

pub mod compact;
mod file_order;
mod layout;
mod local_store;
pub mod offsets;
pub mod retention;
pub mod store;
mod writer;

pub use compact::{CompactPolicy, CompactStats, CompactionAwareStore, compact_lake};
pub use layout::{FILE_EXTENSION, Partition, UNKNOWN_ZONE, table_dir};
pub use local_store::LocalLakeStore;
pub use store::{LakeLocation, StoreOptions};
pub use writer::{FlushStats, LakeWriter, PreparedFlush};
