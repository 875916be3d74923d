//! Caller-owned scratch space for evaluation.

use arrow::array::{ArrayRef, Int32Array};
use arrow::buffer::BooleanBuffer;

use super::kernels::IpKeys;
use crate::compile::TableProgram;
use crate::compile::matcher::ScanScratch;
use crate::ir::Target;

/// Per-batch memory reused across batches: node masks (so a leaf or sub-expression
/// shared by many rules is computed once per batch), columns as the kernels see them,
/// the fused matchers' results and address keys.
///
/// Create one per thread with [`Detector::scratch`](crate::Detector::scratch) and pass
/// it to [`Detector::evaluate_with`](crate::Detector::evaluate_with); its allocations
/// then settle at the batch size.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) nodes: Vec<Option<BooleanBuffer>>,
    pub(crate) columns: Vec<Column>,
    pub(crate) fused: Vec<Option<FusedHits>>,
    pub(crate) ip_keys: Vec<(Target, IpKeys)>,
    pub(crate) scan: ScanScratch,
}

/// A column as the kernels see it this batch: an `extra` key pulled out, a repetitive
/// string column re-encoded as a dictionary.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) target: Target,
    pub(crate) array: ArrayRef,
    /// Every cell is null: leaves on it are constants.
    pub(crate) all_null: bool,
}

/// What a column's fused matcher found this batch.
#[derive(Debug)]
pub(crate) struct FusedHits {
    /// The dictionary keys when the matcher ran on dictionary values; `None` when it
    /// ran on the rows.
    pub(crate) keys: Option<Int32Array>,
    /// Per member, the values (or rows) it holds on.
    pub(crate) members: Vec<BooleanBuffer>,
}

impl Scratch {
    /// Forgets the previous batch, keeping the allocations.
    pub(crate) fn reset(&mut self, program: &TableProgram) {
        self.nodes.clear();
        self.nodes.resize(program.nodes.len(), None);
        self.fused.clear();
        self.fused.resize_with(program.matchers.len(), || None);
        self.columns.clear();
        self.ip_keys.clear();
    }
}
