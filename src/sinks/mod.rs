//! Where alerts go besides the lake's `alerts` table.
//!
//! A sink is handed every alert the rules raise, as they are raised, on the ingest
//! thread; it must not block it. Delivery is checked asynchronously: failures are
//! logged and counted, never retried into the ingest path.

pub mod kafka;
