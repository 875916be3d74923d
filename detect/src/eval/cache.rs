//! Caller-owned scratch space for evaluation.

use arrow::array::ArrayRef;
use arrow::buffer::BooleanBuffer;

use super::kernels::IpKeys;
use crate::ir::Target;

/// Per-batch memory reused across batches: leaf masks (so a leaf shared by many rules
/// is computed once per batch), values pulled out of the `extra` map, and a buffer for
/// case folding.
///
/// Create one per thread with [`Detector::scratch`](crate::Detector::scratch) and pass
/// it to [`Detector::evaluate_with`](crate::Detector::evaluate_with); its allocations
/// then settle at the batch size.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) leaves: Vec<Option<BooleanBuffer>>,
    /// Columns as the kernels see them this batch: `extra` keys pulled out, repetitive
    /// string columns re-encoded as dictionaries.
    pub(crate) columns: Vec<(Target, ArrayRef)>,
    pub(crate) ip_keys: Vec<(Target, IpKeys)>,
    pub(crate) fold: Vec<u8>,
}

impl Scratch {
    /// Forgets the previous batch, keeping the allocations.
    pub(crate) fn reset(&mut self, leaves: usize) {
        self.leaves.clear();
        self.leaves.resize(leaves, None);
        self.columns.clear();
        self.ip_keys.clear();
    }
}
