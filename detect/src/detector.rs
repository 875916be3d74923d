//! The compiled, stateless detector: rules in, matching rows out.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use sanso_ingest::schema::Table;

use crate::compile::{self, TableProgram};
use crate::error::{CompileErrors, EvalError};
use crate::eval::{self, Scratch};
use crate::ir::{self, CorrelationIr, FieldMapping, Placeholders, RuleIr};
use crate::sigma::RuleSet;

/// Rows of one batch that one rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in [`Detector::rules`].
    pub rule: usize,
    /// Matching row indices, ascending.
    pub rows: Vec<u32>,
}

/// A rule set compiled to vectorised programs, one per table.
///
/// Build once with [`Detector::compile`], then evaluate any number of batches, from any
/// number of threads (it is `Sync`; give each thread its own [`Scratch`]). It holds no
/// state between batches: windows, correlations and suppression live in
/// [`crate::Engine`].
#[derive(Debug, Clone)]
pub struct Detector {
    rules: Vec<RuleIr>,
    correlations: Vec<CorrelationIr>,
    programs: BTreeMap<Table, TableProgram>,
}

impl Detector {
    /// Compiles every rule, filter and correlation of `set`.
    ///
    /// Fails with every problem found, not just the first, so that a rule directory can
    /// be fixed in one round.
    pub fn compile(
        set: &RuleSet,
        mapping: &FieldMapping,
        placeholders: &Placeholders,
    ) -> Result<Detector, CompileErrors> {
        let lowered = ir::lower(set, mapping, placeholders);
        let mut errors = lowered.errors.clone();
        let programs = match compile::compile(&lowered) {
            Ok(programs) => programs,
            Err(more) => {
                errors.extend(more);
                BTreeMap::new()
            }
        };
        if !errors.is_empty() {
            return Err(CompileErrors(errors));
        }
        Ok(Detector {
            rules: lowered.rules,
            correlations: lowered.correlations,
            programs,
        })
    }

    /// The rules, in [`RuleSet::rules`] order; [`Match::rule`] indexes this.
    pub fn rules(&self) -> &[RuleIr] {
        &self.rules
    }

    /// The correlations.
    pub fn correlations(&self) -> &[CorrelationIr] {
        &self.correlations
    }

    /// Number of distinct leaves compiled for a table (leaves shared between rules
    /// count once).
    pub fn leaf_count(&self, table: Table) -> usize {
        self.programs.get(&table).map_or(0, |p| p.leaves.len())
    }

    /// Scratch space for [`Detector::evaluate_with`].
    pub fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// Evaluates every rule that runs on `table` over `batch`.
    ///
    /// # Performance
    ///
    /// Allocates a fresh [`Scratch`]; in a loop, use [`Detector::evaluate_with`].
    pub fn evaluate(&self, table: Table, batch: &RecordBatch) -> Result<Vec<Match>, EvalError> {
        self.evaluate_with(table, batch, &mut Scratch::default())
    }

    /// [`Detector::evaluate`] with caller-owned scratch space.
    ///
    /// # Performance
    ///
    /// Each distinct leaf costs one pass over its column (over the dictionary values
    /// plus one gather for dictionary columns); conjunctions stop as soon as no row is
    /// left, so selective first conditions make rules cheap.
    pub fn evaluate_with(
        &self,
        table: Table,
        batch: &RecordBatch,
        scratch: &mut Scratch,
    ) -> Result<Vec<Match>, EvalError> {
        let Some(program) = self.programs.get(&table) else {
            return Ok(Vec::new());
        };
        if batch.num_rows() == 0 {
            return Ok(Vec::new());
        }
        let masks = eval::evaluate(table, program, batch, scratch)?;
        Ok(masks
            .into_iter()
            .filter(|(_, mask)| mask.count_set_bits() > 0)
            .map(|(rule, mask)| Match {
                rule,
                rows: mask.set_indices().map(|i| i as u32).collect(),
            })
            .collect())
    }
}
