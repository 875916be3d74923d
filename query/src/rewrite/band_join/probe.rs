//! The streamed input of a bucketed band join, kept from the join's dynamic filter.
//!
//! Once DataFusion's hash join has built its table, it narrows the scan of the input it
//! streams with a filter on the join keys, a dynamic filter: their bounds, and whether
//! the table holds them. The streamed input of a band join (the side not copied) has the
//! bucket among its keys, an expression of its timestamp, so the scan would compute the
//! bucket and look the keys up for every row it reads, and the join would do the same
//! again for every row that passed. On "success after failures" the filter passes most
//! successes, and the query took 40 % longer with it than without (`benches/RESULTS.md`).
//!
//! [`WithholdBandJoinFilter`] puts a [`FilterBarrierExec`] between such a join and its
//! streamed input. The barrier lets no filter down, so the join's filter finds no scan
//! to hold it, and the join, which computes it only for a scan that does, skips it.
//! Other joins keep theirs.

use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, Statistics};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::CardinalityEffect;
use datafusion::physical_plan::filter_pushdown::{FilterDescription, FilterPushdownPhase};
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::{
    ChildStats, ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan,
    PlanProperties, ReplaceChildrenOptions, StatisticsArgs, replace_children_if_necessary,
};

use super::BUCKET;

/// Places a [`FilterBarrierExec`] above the streamed input of every hash join built
/// from band copies. It must run before DataFusion's post-optimization filter pushdown,
/// where joins hand their dynamic filters down.
#[derive(Debug, Default)]
pub struct WithholdBandJoinFilter;

impl PhysicalOptimizerRule for WithholdBandJoinFilter {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|plan| {
            let Some(join) = plan.downcast_ref::<HashJoinExec>() else {
                return Ok(Transformed::no(plan));
            };
            if !builds_on_band_copies(join) || join.right().is::<FilterBarrierExec>() {
                return Ok(Transformed::no(plan));
            }
            let barrier = Arc::new(FilterBarrierExec::new(Arc::clone(join.right())));
            let children = vec![Arc::clone(join.left()), barrier as Arc<dyn ExecutionPlan>];
            replace_children_if_necessary(plan, children).map(Transformed::yes)
        })
        .data()
    }

    fn name(&self) -> &str {
        "sanso_withhold_band_join_filter"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Whether `join` builds its table from the copies of a band join, which carry the
/// bucket as a column; its streamed input then computes the bucket for every row.
fn builds_on_band_copies(join: &HashJoinExec) -> bool {
    join.on().iter().any(|(build, _)| {
        build
            .downcast_ref::<Column>()
            .is_some_and(|column| column.name() == BUCKET)
    })
}

/// Passes its input's rows through untouched and lets no filter down to it.
#[derive(Debug, Clone)]
pub struct FilterBarrierExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl FilterBarrierExec {
    /// A barrier above `input`, with its partitioning, order and statistics.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        let properties = Arc::clone(input.properties());
        FilterBarrierExec { input, properties }
    }
}

impl DisplayAs for FilterBarrierExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "FilterBarrierExec")
    }
}

impl ExecutionPlan for FilterBarrierExec {
    fn name(&self) -> &str {
        "FilterBarrierExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children.swap_remove(0);
        Ok(Arc::new(match options.children_properties {
            ChildrenPropertiesMode::Keep => FilterBarrierExec {
                input,
                properties: Arc::clone(&self.properties),
            },
            ChildrenPropertiesMode::Recompute => FilterBarrierExec::new(input),
        }))
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        Ok(Arc::clone(&input_stats[0]))
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }

    fn cardinality_effect(&self) -> CardinalityEffect {
        CardinalityEffect::Equal
    }

    fn gather_filters_for_pushdown(
        &self,
        _phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> Result<FilterDescription> {
        Ok(FilterDescription::all_unsupported(
            &parent_filters,
            &self.children(),
        ))
    }
}
