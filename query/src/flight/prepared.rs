//! Prepared statements held between the calls of one Flight SQL exchange.
//!
//! ADBC and JDBC run every query as a prepared statement: create it, ask for its flight
//! info, fetch it, close it. Planning the SQL at each of the first three calls cost 1 to
//! 4 ms apiece on the README's investigation queries, about as much as some of those
//! queries take to run. The logical plan is therefore made once, when the statement is
//! created, and kept under a random handle for the later calls. The physical plan is
//! still made at every fetch, so a statement fetched again lists the files written since
//! and sees `now()` as the time of that fetch.
//!
//! A client that never closes its statements must not grow the server without bound:
//! only the newest [`PreparedStatements::CAPACITY`] are kept, and a call naming one that
//! was dropped is told to prepare it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use datafusion::logical_expr::LogicalPlan;
use tonic::Status;

/// One prepared statement: its plan and the schema its results are sent in.
pub(super) struct Prepared {
    pub plan: LogicalPlan,
    pub schema: SchemaRef,
}

/// The server's open prepared statements, by handle.
#[derive(Default)]
pub(super) struct PreparedStatements {
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    /// Each statement with the order it was created in, for dropping the oldest.
    statements: HashMap<Handle, (u64, Arc<Prepared>)>,
    created: u64,
}

/// Random, so that a handle from an earlier server process, or a guessed one, names
/// nothing rather than someone else's statement.
type Handle = [u8; 16];

impl PreparedStatements {
    /// How many statements are kept open at once.
    pub const CAPACITY: usize = 1024;

    /// Keeps `prepared` and returns the handle that names it.
    pub fn insert(&self, prepared: Prepared) -> Bytes {
        let handle: Handle = rand::random();
        let mut open = self.lock();
        if open.statements.len() >= Self::CAPACITY {
            let oldest = open
                .statements
                .iter()
                .min_by_key(|(_, (created, _))| *created)
                .map(|(handle, _)| *handle);
            if let Some(oldest) = oldest {
                open.statements.remove(&oldest);
            }
        }
        open.created += 1;
        let created = open.created;
        open.statements
            .insert(handle, (created, Arc::new(prepared)));
        Bytes::copy_from_slice(&handle)
    }

    /// The statement `handle` names.
    pub fn get(&self, handle: &[u8]) -> Result<Arc<Prepared>, Status> {
        Handle::try_from(handle)
            .ok()
            .and_then(|handle| {
                let open = self.lock();
                open.statements.get(&handle).map(|(_, p)| Arc::clone(p))
            })
            .ok_or_else(|| {
                Status::not_found(format!(
                    "no such prepared statement: it was closed, the server restarted, or \
                     more than {} newer statements were prepared since; prepare it again",
                    Self::CAPACITY
                ))
            })
    }

    /// Forgets the statement `handle` names; closing one twice is not an error.
    pub fn close(&self, handle: &[u8]) {
        if let Ok(handle) = Handle::try_from(handle) {
            self.lock().statements.remove(&handle);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // A panic elsewhere while the lock was held leaves the map itself whole.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Schema;
    use datafusion::logical_expr::{EmptyRelation, LogicalPlan};

    fn prepared() -> Prepared {
        let schema = Arc::new(Schema::empty());
        Prepared {
            plan: LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: true,
                schema: Arc::new(datafusion::common::DFSchema::empty()),
            }),
            schema,
        }
    }

    #[test]
    fn a_statement_is_found_until_it_is_closed() {
        let statements = PreparedStatements::default();
        let handle = statements.insert(prepared());
        assert!(statements.get(&handle).is_ok());
        statements.close(&handle);
        assert_eq!(
            statements.get(&handle).err().map(|s| s.code()),
            Some(tonic::Code::NotFound)
        );
        statements.close(&handle);
        assert!(statements.get(b"not a handle").is_err());
    }

    #[test]
    fn statements_never_closed_are_dropped_oldest_first() {
        let statements = PreparedStatements::default();
        let first = statements.insert(prepared());
        let second = statements.insert(prepared());
        for _ in 2..PreparedStatements::CAPACITY {
            statements.insert(prepared());
        }
        assert!(statements.get(&first).is_ok());
        let newest = statements.insert(prepared());
        assert!(statements.get(&first).is_err());
        assert!(statements.get(&second).is_ok());
        assert!(statements.get(&newest).is_ok());
        assert_eq!(
            statements.lock().statements.len(),
            PreparedStatements::CAPACITY
        );
    }
}
