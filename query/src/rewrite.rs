//! Logical plan rewrites that make investigation queries faster without changing what
//! they return; [`register`] adds them to every [`Lake`](crate::Lake) session.
//!
//! - [`FixedIntervalArithmetic`], below: analysts write time windows as intervals
//!   (`s.time - INTERVAL '5 minutes'`). Arrow evaluates `timestamp ± interval` element by
//!   element through calendar arithmetic (the interval may hold months, whose length
//!   depends on the date), which costs tens of nanoseconds a row. When the interval has
//!   a fixed length the same result is `timestamp ± duration`, a vectorised integer
//!   addition. DataFusion folds the constant cases (`now() - INTERVAL '7 days'`) itself;
//!   the rewrite matters where a column is on the left, above all in join conditions,
//!   where the expression is evaluated once per candidate pair: the "success after
//!   failures" self-join evaluates it about 10⁸ times on the 50 M-event benchmark lake.
//! - [`distinct::SplitDistinctAggregates`]: distinct counts of several columns in one
//!   `GROUP BY` (the port scan query's ports and hosts), computed from one read of the
//!   input as two plain aggregations, or as one aggregation per column joined on the
//!   group keys.
//! - [`band_join::BandJoinBuckets`]: a join on a time band (`f.time BETWEEN s.time -
//!   INTERVAL '5 minutes' AND s.time`) also joined on a time bucket, so that the hash join
//!   meets only pairs that can match.
//! - [`string_keys::GroupByStringViews`]: `GROUP BY` keys that are dictionaries of text,
//!   or text columns, grouped as string views, which DataFusion's columnar group tables
//!   take and compare fastest.
//!
//! Two rewrites work on physical plans, and [`physical_rules`] places them among
//! DataFusion's:
//!
//! - [`dictionary_keys::CompareDictionaryKeys`]: Parquet scan filters such as `action =
//!   'block'` computed on the dictionary's keys.
//! - [`band_join::WithholdBandJoinFilter`]: the input a band join streams is scanned
//!   without the join's dynamic filter, which costs more there than it saves.

pub mod band_join;
pub mod dictionary_keys;
pub mod distinct;
pub mod string_keys;

use std::sync::Arc;

use arrow::datatypes::{DataType, IntervalDayTime, IntervalMonthDayNano, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, Projection,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;

const NANOS_PER_DAY: i128 = 86_400 * 1_000_000_000;

/// The first of DataFusion's optimizer rules that tidy projections up after the rest.
const FIRST_TIDYING_RULE: &str = "extract_leaf_expressions";

/// Adds sanso's plan rewrites to `ctx`'s optimizer, after DataFusion's rules that shape
/// the plan and before those that tidy its projections up.
///
/// The rewrites add projections (casts to string views, bucket columns). Placed after
/// the tidying rules, as `add_optimizer_rule` would, they leave those projections for
/// the optimizer's next pass to merge, and a plan that changed in a pass costs another:
/// a query they rewrote took three passes where two do. The optimizer is about 0.6 of
/// the 1.5 ms that a query over an empty table takes to plan and run
/// (`benches/RESULTS.md`).
pub fn register(ctx: &SessionContext) {
    let rules = ctx.state().optimizers().to_vec();
    let tidying = rules
        .iter()
        .position(|rule| rule.name() == FIRST_TIDYING_RULE)
        .unwrap_or(rules.len());
    for rule in &rules[tidying..] {
        ctx.remove_optimizer_rule(rule.name());
    }
    let sanso: [Arc<dyn OptimizerRule + Send + Sync>; 4] = [
        Arc::new(FixedIntervalArithmetic),
        Arc::new(distinct::SplitDistinctAggregates),
        Arc::new(band_join::BandJoinBuckets),
        Arc::new(string_keys::GroupByStringViews),
    ];
    for rule in sanso.into_iter().chain(rules[tidying..].iter().cloned()) {
        ctx.add_optimizer_rule(rule);
    }
}

/// DataFusion's rule that hands dynamic filters down, after the plan has its final shape.
const POST_OPTIMIZATION_FILTER_PUSHDOWN: &str = "FilterPushdown(Post)";

/// The physical optimizer's rules: DataFusion's own, with sanso's where they must run.
///
/// [`band_join::WithholdBandJoinFilter`] decides which input a join's dynamic filter may
/// reach, so it runs before DataFusion hands those filters down; the others run last.
pub fn physical_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    let pushdown = rules
        .iter()
        .position(|rule| rule.name() == POST_OPTIMIZATION_FILTER_PUSHDOWN)
        .unwrap_or(rules.len());
    rules.insert(pushdown, Arc::new(band_join::WithholdBandJoinFilter));
    rules.push(Arc::new(dictionary_keys::CompareDictionaryKeys));
    rules
}

/// Rewrites `timestamp ± interval` into `timestamp ± duration` when the interval has a
/// fixed length in the timestamp's zone: no months, and days only where every day has 24
/// hours (no zone, or UTC), and a whole number of the timestamp's units.
#[derive(Debug, Default)]
pub struct FixedIntervalArithmetic;

impl OptimizerRule for FixedIntervalArithmetic {
    fn name(&self) -> &str {
        "sanso_fixed_interval_arithmetic"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        // Most nodes hold no interval arithmetic; the schema and names below cost more
        // than looking.
        if !has_interval_arithmetic(&plan)? {
            return Ok(Transformed::no(plan));
        }
        let schema = expression_schema(&plan);
        // An unaliased expression names its output column: the rewritten expression must
        // keep the original's name, or the plan's schema would change.
        let names = NamePreserver::new(&plan);
        plan.map_expressions(|expr| {
            let name = names.save(&expr);
            let rewritten = expr.transform_up(|expr| fixed_interval(expr, &schema))?;
            Ok(rewritten.update_data(|expr| name.restore(expr)))
        })
    }
}

/// Whether any expression of `plan`'s node adds or subtracts an interval literal.
fn has_interval_arithmetic(plan: &LogicalPlan) -> Result<bool> {
    let mut found = false;
    plan.apply_expressions(|expr| {
        found = expr.exists(|expr| {
            Ok(matches!(
                expr,
                Expr::BinaryExpr(BinaryExpr { left, op: Operator::Plus | Operator::Minus, right })
                    if is_interval_literal(left) || is_interval_literal(right)
            ))
        })?;
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    Ok(found)
}

fn is_interval_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Literal(
            ScalarValue::IntervalMonthDayNano(_)
                | ScalarValue::IntervalDayTime(_)
                | ScalarValue::IntervalYearMonth(_),
            _
        )
    )
}

/// The columns a node's expressions can refer to: those of its inputs (a join's filter
/// sees both sides), or, for a leaf, its own.
fn expression_schema(plan: &LogicalPlan) -> DFSchema {
    let inputs = plan.inputs();
    let Some((first, rest)) = inputs.split_first() else {
        return plan.schema().as_ref().clone();
    };
    let mut schema = first.schema().as_ref().clone();
    for input in rest {
        schema.merge(input.schema());
    }
    schema
}

fn fixed_interval(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let (timestamp, interval, op) = match (left.as_ref(), op, right.as_ref()) {
        (ts, Operator::Plus | Operator::Minus, Expr::Literal(interval, _)) => (ts, interval, *op),
        (Expr::Literal(interval, _), Operator::Plus, ts) => (ts, interval, Operator::Plus),
        _ => return Ok(Transformed::no(expr)),
    };
    // A type that cannot be resolved here (a column this node does not see) is left alone.
    let Ok(DataType::Timestamp(unit, zone)) = timestamp.get_type(schema) else {
        return Ok(Transformed::no(expr));
    };
    let Some(duration) = fixed_duration(interval, unit, zone.as_deref()) else {
        return Ok(Transformed::no(expr));
    };
    Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
        Box::new(timestamp.clone()),
        op,
        Box::new(Expr::Literal(duration, None)),
    ))))
}

/// `interval` as a duration in `unit`, if it means the same span at every instant of a
/// timestamp in `zone`.
fn fixed_duration(
    interval: &ScalarValue,
    unit: TimeUnit,
    zone: Option<&str>,
) -> Option<ScalarValue> {
    let (days, nanos) = match interval {
        ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano {
            months: 0,
            days,
            nanoseconds,
        })) => (*days, i128::from(*nanoseconds)),
        ScalarValue::IntervalDayTime(Some(IntervalDayTime { days, milliseconds })) => {
            (*days, i128::from(*milliseconds) * 1_000_000)
        }
        _ => return None,
    };
    // Arrow adds days in the timestamp's zone, where a day across a daylight saving
    // change is not 24 hours long.
    let days_are_fixed = matches!(zone, None | Some("UTC" | "+00:00" | "Z"));
    if days != 0 && !days_are_fixed {
        return None;
    }
    let value = Some(whole_units(i128::from(days) * NANOS_PER_DAY + nanos, unit)?);
    Some(match unit {
        TimeUnit::Second => ScalarValue::DurationSecond(value),
        TimeUnit::Millisecond => ScalarValue::DurationMillisecond(value),
        TimeUnit::Microsecond => ScalarValue::DurationMicrosecond(value),
        TimeUnit::Nanosecond => ScalarValue::DurationNanosecond(value),
    })
}

/// `plan` projected to the columns of `schema`, in order: each of its columns cast to
/// the type and named as the column of `schema` in the same place. It gives a rewritten
/// plan the schema of the plan it replaces, which the optimizer requires.
///
/// The projection takes `schema` as it is rather than working it out again from the
/// expressions: that is the same schema, and deriving it (each expression's name, type
/// and field) was two fifths of what the string-view rewrite cost a query over an empty
/// table.
fn with_schema_of(plan: LogicalPlan, schema: &DFSchemaRef) -> Result<LogicalPlan> {
    let columns = plan
        .schema()
        .iter()
        .zip(schema.iter())
        .map(|((qualifier, field), (original_qualifier, original))| {
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            let column = if field.data_type() == original.data_type() {
                column
            } else {
                column.cast_to(original.data_type(), plan.schema())?
            };
            Ok(column.alias_qualified(original_qualifier.cloned(), original.name()))
        })
        .collect::<Result<Vec<_>>>()?;
    Projection::try_new_with_schema(columns, Arc::new(plan), Arc::clone(schema))
        .map(LogicalPlan::Projection)
}

/// Nanoseconds in one `unit`.
fn nanos_per(unit: TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// `nanos` as a count of `unit`, if it is a whole number of them that fits an `i64`.
fn whole_units(nanos: i128, unit: TimeUnit) -> Option<i64> {
    let per_unit = nanos_per(unit);
    if nanos % per_unit != 0 {
        return None;
    }
    i64::try_from(nanos / per_unit).ok()
}

/// What the rules' tests share: running a query, and showing its optimized plan.
#[cfg(test)]
mod testing {
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::execution::context::SessionContext;

    /// The rows `sql` returns, as a table.
    pub async fn run(ctx: &SessionContext, sql: &str) -> String {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        pretty_format_batches(&batches).unwrap().to_string()
    }

    /// The logical plan of `sql` after the optimizer, indented.
    pub async fn optimized_plan(ctx: &SessionContext, sql: &str) -> String {
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        plan.display_indent().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::testing::{optimized_plan, run};
    use arrow::array::{RecordBatch, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use datafusion::logical_expr::LogicalPlanBuilder;

    /// A session with one table `t(ts)` of UTC timestamps, with or without the rewrite.
    fn session(rewrite: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if rewrite {
            register(&ctx);
        }
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let schema = Arc::new(Schema::new(vec![Field::new("ts", utc, true)]));
        // 2024-02-29T23:59:59.999999Z, the epoch, a null, and a time before the epoch.
        let ts = TimestampMicrosecondArray::from(vec![
            Some(1_709_251_199_999_999),
            Some(0),
            None,
            Some(-86_400_000_001),
        ])
        .with_timezone("UTC");
        let batch = RecordBatch::try_new(schema, vec![Arc::new(ts)]).unwrap();
        ctx.register_batch("t", batch).unwrap();
        ctx
    }

    const WINDOWS: &str = "SELECT ts, ts - INTERVAL '5 minutes', ts + INTERVAL '1 day 2 hours' AS b, \
        INTERVAL '90 seconds' + ts AS c, ts - INTERVAL '1 millisecond' AS d FROM t ORDER BY ts";

    #[tokio::test]
    async fn fixed_intervals_become_durations_with_the_same_results() {
        let fast = session(true);
        let plan = optimized_plan(&fast, WINDOWS).await;
        // All four intervals; the unaliased column keeps its name, interval and all.
        assert_eq!(plan.matches("DurationMicrosecond").count(), 4, "{plan}");
        assert_eq!(
            run(&fast, WINDOWS).await,
            run(&session(false), WINDOWS).await
        );
    }

    #[tokio::test]
    async fn join_conditions_are_rewritten() {
        let ctx = session(true);
        let sql = "SELECT count(*) FROM t s JOIN t f \
            ON f.ts BETWEEN s.ts - INTERVAL '5 minutes' AND s.ts";
        let plan = optimized_plan(&ctx, sql).await;
        assert!(!plan.contains("IntervalMonthDayNano"), "{plan}");
        assert_eq!(run(&ctx, sql).await, run(&session(false), sql).await);
    }

    #[tokio::test]
    async fn calendar_intervals_are_left_to_arrow() {
        let ctx = session(true);
        for sql in [
            "SELECT ts - INTERVAL '1 month' FROM t",
            "SELECT ts - INTERVAL '1 nanosecond' FROM t",
            "SELECT arrow_cast(ts, 'Timestamp(Microsecond, Some(\"Asia/Tokyo\"))') - INTERVAL '1 day' FROM t",
        ] {
            let plan = optimized_plan(&ctx, sql).await;
            assert!(plan.contains("IntervalMonthDayNano"), "{sql}: {plan}");
        }
    }

    #[tokio::test]
    async fn lake_sessions_rewrite_fixed_intervals() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::Lake::open(dir.path(), Arc::default()).await.unwrap();
        let plan = lake
            .plan("SELECT time - INTERVAL '5 minutes', time FROM auth WHERE time + INTERVAL '1 hour' > now()")
            .await
            .unwrap()
            .into_optimized_plan()
            .unwrap()
            .display_indent()
            .to_string();
        assert!(plan.contains("DurationMicrosecond"), "{plan}");
    }

    #[tokio::test]
    async fn lake_sessions_run_the_physical_rules_in_their_places() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::Lake::open(dir.path(), Arc::default()).await.unwrap();
        let state = lake.context().state();
        let names: Vec<&str> = state
            .physical_optimizers()
            .iter()
            .map(|r| r.name())
            .collect();
        let place = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert!(
            place("sanso_withhold_band_join_filter") < place(POST_OPTIMIZATION_FILTER_PUSHDOWN),
            "{names:?}"
        );
        assert_eq!(names.last(), Some(&"sanso_compare_dictionary_keys"));
        assert_eq!(names.len(), PhysicalOptimizer::new().rules.len() + 2);
    }

    #[tokio::test]
    async fn a_rewritten_plan_keeps_the_schema_it_replaces() {
        let ctx = session(false);
        let plan = ctx
            .sql("SELECT ts, count(*) AS n FROM t GROUP BY ts")
            .await
            .unwrap()
            .into_unoptimized_plan();
        let replaced = Arc::clone(plan.schema());
        let as_text = LogicalPlanBuilder::from(plan)
            .project([
                Expr::Column(Column::from_name("ts"))
                    .cast_to(&DataType::Utf8, &replaced)
                    .unwrap()
                    .alias("ts"),
                Expr::Column(Column::from_name("n")),
            ])
            .unwrap()
            .build()
            .unwrap();
        let restored = with_schema_of(as_text, &replaced).unwrap();
        assert!(Arc::ptr_eq(restored.schema(), &replaced));
        let LogicalPlan::Projection(projection) = &restored else {
            panic!("a projection: {restored}");
        };
        assert_eq!(
            projection
                .expr
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["CAST(ts AS Timestamp(µs, \"UTC\")) AS ts", "n AS n"]
        );
    }

    /// The log availability query, which the string-view rewrite changes, settles in one
    /// pass and a second that confirms it; with the rewrites after DataFusion's tidying
    /// rules it took three.
    #[tokio::test]
    async fn rewritten_plans_settle_in_two_optimizer_passes() {
        let dir = tempfile::tempdir().unwrap();
        let lake = crate::Lake::open(dir.path(), Arc::default()).await.unwrap();
        let state = lake.context().state();
        let plan = state
            .create_logical_plan("SELECT device, zone, count(*) FROM network GROUP BY device, zone")
            .await
            .unwrap();
        let analyzed = state
            .analyzer()
            .execute_and_check(plan, state.config_options(), |_, _| {})
            .unwrap();
        let mut passes = 0;
        let optimized = state
            .optimizer()
            .optimize(analyzed, &state, |_, rule| {
                passes += usize::from(rule.name() == "optimize_projections");
            })
            .unwrap();
        assert!(
            optimized
                .display_indent()
                .to_string()
                .contains("__sanso_group_key"),
            "the rewrite did not apply:\n{}",
            optimized.display_indent()
        );
        assert_eq!(passes, 2);
    }

    #[test]
    fn durations_are_in_the_timestamp_unit() {
        let five_minutes = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(
            0,
            0,
            300_000_000_000,
        )));
        assert_eq!(
            fixed_duration(&five_minutes, TimeUnit::Second, None),
            Some(ScalarValue::DurationSecond(Some(300)))
        );
        assert_eq!(
            fixed_duration(&five_minutes, TimeUnit::Nanosecond, Some("UTC")),
            Some(ScalarValue::DurationNanosecond(Some(300_000_000_000)))
        );
        let day = ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(1, 0)));
        assert_eq!(
            fixed_duration(&day, TimeUnit::Millisecond, Some("UTC")),
            Some(ScalarValue::DurationMillisecond(Some(86_400_000)))
        );
        assert_eq!(
            fixed_duration(&day, TimeUnit::Millisecond, Some("Europe/Paris")),
            None
        );
        assert_eq!(
            fixed_duration(
                &ScalarValue::IntervalMonthDayNano(None),
                TimeUnit::Second,
                None
            ),
            None
        );
    }
}
