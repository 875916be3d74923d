//! Joins on a time band (`f.time BETWEEN s.time - INTERVAL '5 minutes' AND s.time`) given
//! a bucket key, so that the hash join meets only pairs that can match.
//!
//! A band condition is not an equality, so the hash join can only use the other keys
//! (`f.src_ip = s.src_ip`) and must test the band on every pair those keys produce: the
//! "success after failures" query tests 10⁸ pairs for 1 720 matches. With the band
//! `x ∈ [y + lo, y + hi]` and `w = hi - lo`, cut time into buckets of width `w`: `x`
//! falls in bucket `⌊(y + lo) / w⌋` or the next one, never further. The rule gives the
//! `y` side both candidate buckets (one row each, through `unnest`), the `x` side its
//! bucket, and joins on the bucket too. Every matching pair then meets exactly once,
//! since `x` has one bucket and the two candidates differ, and the band condition stays
//! in the join to drop the pairs that share a bucket without matching.
//!
//! The band reads the same either way round (`y ∈ [x - hi, x - lo]`), so the rule picks
//! which side to copy: always the join's right input. The copies become the join's left
//! input, the one DataFusion's hash join builds its table from, and the other input is
//! streamed past the table whole, one bucket per row, without the join's dynamic filter
//! ([`WithholdBandJoinFilter`]). A row costs more to hash into the table than to look up,
//! so this is fastest when the right input is the smaller; the plan's statistics cannot
//! say which is, when both sides read one table. In "success after failures" (`FROM auth
//! s JOIN auth f`) on the benchmark lake, the table holds 50.4 k copies of 25.2 k failures
//! and 733.7 k successes stream past it: 78–82 ms, against 90–91 ms for the plan the rule
//! made before, which built the table from the successes and streamed the copies. Written
//! the other way round, the query takes 128–142 ms (97–107 with that plan).
//!
//! It applies to inner joins whose filter holds both bounds of one timestamp column
//! against one on the other side, offsets being fixed durations (which
//! [`super::FixedIntervalArithmetic`] makes of fixed intervals).

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::functions_nested::expr_fn::make_array;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, ExprSchemable, Join, JoinType, LogicalPlan, LogicalPlanBuilder,
    Operator, cast, lit, when,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::{nanos_per, whole_units};

mod probe;

pub use probe::{FilterBarrierExec, WithholdBandJoinFilter};

/// The bucket column the rule adds to the duplicated side.
const BUCKET: &str = "__sanso_band_bucket";

/// See the [module docs](self).
#[derive(Debug, Default)]
pub struct BandJoinBuckets;

impl OptimizerRule for BandJoinBuckets {
    fn name(&self) -> &str {
        "sanso_band_join_buckets"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = &plan else {
            return Ok(Transformed::no(plan));
        };
        if join.join_type != JoinType::Inner
            || join.left.schema().has_column_with_unqualified_name(BUCKET)
            || join.right.schema().has_column_with_unqualified_name(BUCKET)
        {
            return Ok(Transformed::no(plan));
        }
        let Some(filter) = &join.filter else {
            return Ok(Transformed::no(plan));
        };
        let Some(band) = find_band(filter, join) else {
            return Ok(Transformed::no(plan));
        };
        bucketed(join, &band).map(Transformed::yes)
    }
}

/// `x ∈ [y + lo, y + hi]`, offsets in the timestamps' unit, `x` a column of the join's
/// left input and `y` one of its right input (the side that is copied).
#[derive(Debug)]
struct Band {
    x: Column,
    y: Column,
    lo: i64,
    hi: i64,
}

/// One bound of a band: `x op y + offset`, `op` being `>=` or `<=`.
struct Bound {
    x: Column,
    y: Column,
    lower: bool,
    offset: i64,
}

fn find_band(filter: &Expr, join: &Join) -> Option<Band> {
    let mut bounds = Vec::new();
    for conjunct in split_conjunction(filter) {
        match conjunct {
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) => {
                bounds.extend(bound(expr, Operator::GtEq, low, join));
                bounds.extend(bound(expr, Operator::LtEq, high, join));
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                bounds.extend(bound(left, *op, right, join));
                bounds.extend(op.swap().and_then(|op| bound(right, op, left, join)));
            }
            _ => {}
        }
    }
    bounds.iter().filter(|b| b.lower).find_map(|low| {
        let high = bounds
            .iter()
            .find(|h| !h.lower && h.x == low.x && h.y == low.y)?;
        if high.offset <= low.offset {
            return None;
        }
        Some(if join.right.schema().has_column(&low.y) {
            Band {
                x: low.x.clone(),
                y: low.y.clone(),
                lo: low.offset,
                hi: high.offset,
            }
        } else {
            Band {
                x: low.y.clone(),
                y: low.x.clone(),
                lo: -high.offset,
                hi: -low.offset,
            }
        })
    })
}

/// `column op other`, as a bound of `column` by a column of the other input.
fn bound(column: &Expr, op: Operator, other: &Expr, join: &Join) -> Option<Bound> {
    let lower = match op {
        Operator::GtEq => true,
        Operator::LtEq => false,
        _ => return None,
    };
    let Expr::Column(x) = column else {
        return None;
    };
    let (y, offset) = column_plus_offset(other)?;
    let (left, right) = (join.left.schema(), join.right.schema());
    let opposite = (left.has_column(x) && right.has_column(&y))
        || (right.has_column(x) && left.has_column(&y));
    let unit = timestamp_unit(left, right, x)?;
    if !opposite || timestamp_unit(left, right, &y)? != unit {
        return None;
    }
    Some(Bound {
        x: x.clone(),
        y,
        lower,
        offset: whole_units(offset, unit)?,
    })
}

fn timestamp_unit(left: &DFSchema, right: &DFSchema, column: &Column) -> Option<TimeUnit> {
    let schema = if left.has_column(column) { left } else { right };
    match Expr::Column(column.clone()).get_type(schema).ok()? {
        DataType::Timestamp(unit, _) => Some(unit),
        _ => None,
    }
}

/// A duration literal in nanoseconds.
fn duration_nanos(value: &ScalarValue) -> Option<i128> {
    let (count, unit) = match value {
        ScalarValue::DurationSecond(Some(v)) => (*v, TimeUnit::Second),
        ScalarValue::DurationMillisecond(Some(v)) => (*v, TimeUnit::Millisecond),
        ScalarValue::DurationMicrosecond(Some(v)) => (*v, TimeUnit::Microsecond),
        ScalarValue::DurationNanosecond(Some(v)) => (*v, TimeUnit::Nanosecond),
        _ => return None,
    };
    Some(i128::from(count) * nanos_per(unit))
}

/// `y`, `y + d` or `y - d`, with `d` a duration literal; the offset in nanoseconds.
fn column_plus_offset(expr: &Expr) -> Option<(Column, i128)> {
    match expr {
        Expr::Column(y) => Some((y.clone(), 0)),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (Expr::Column(y), Expr::Literal(duration, _)) = (left.as_ref(), right.as_ref())
            else {
                return None;
            };
            let nanos = duration_nanos(duration)?;
            match op {
                Operator::Plus => Some((y.clone(), nanos)),
                Operator::Minus => Some((y.clone(), -nanos)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `⌊value / width⌋` for integers of either sign.
fn floor_div(value: Expr, width: i64) -> Expr {
    when(
        (value.clone() % lit(width)).lt(lit(0i64)),
        value.clone() / lit(width) - lit(1i64),
    )
    .otherwise(value / lit(width))
    .expect("a CASE with one branch and an ELSE")
}

fn bucketed(join: &Join, band: &Band) -> Result<LogicalPlan> {
    let width = band.hi - band.lo;
    let y_key = floor_div(
        cast(Expr::Column(band.y.clone()), DataType::Int64) + lit(band.lo),
        width,
    );
    let mut columns: Vec<Expr> = join
        .right
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    columns.push(make_array(vec![y_key.clone(), y_key + lit(1i64)]).alias(BUCKET));
    let copies = LogicalPlanBuilder::from(Arc::unwrap_or_clone(Arc::clone(&join.right)))
        .project(columns)?
        .unnest_column(BUCKET)?
        .build()?;
    let x_bucket = floor_div(cast(Expr::Column(band.x.clone()), DataType::Int64), width);
    let y_bucket = Expr::Column(Column::new_unqualified(BUCKET));
    let whole = Arc::unwrap_or_clone(Arc::clone(&join.left));
    // The copies become the left input, the one the hash table is built from.
    let on = join
        .on
        .iter()
        .cloned()
        .chain([(x_bucket, y_bucket)])
        .map(|(x_side, y_side)| (y_side, x_side))
        .collect();
    let bucketed = Join::try_new(
        Arc::new(copies),
        Arc::new(whole),
        on,
        join.filter.clone(),
        join.join_type,
        join.join_constraint,
        join.null_equality,
        join.null_aware,
    )?;
    // The join's own columns, without the bucket.
    let original: Vec<Expr> = join
        .schema
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    LogicalPlanBuilder::from(LogicalPlan::Join(bucketed))
        .project(original)?
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rewrite::testing::{optimized_plan, run};
    use arrow::array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use datafusion::execution::context::{SessionConfig, SessionContext};
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::physical_plan::displayable;
    use parquet::arrow::ArrowWriter;
    use std::fs::File;
    use std::path::Path;

    const MINUTE: i64 = 60_000_000;

    /// Tables `s(k, t)` and `f(k, t)` of UTC timestamps around the epoch (before it too).
    fn tables() -> [(&'static str, RecordBatch); 2] {
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("t", utc, true),
        ]));
        let table = |seed: i64, rows: i64| {
            let keys = Int64Array::from_iter((0..rows).map(|i| (i % 3 != 2).then_some(i % 2)));
            let times = TimestampMicrosecondArray::from_iter(
                (0..rows).map(|i| (i % 7 != 6).then_some(((i * seed) % 41 - 20) * MINUTE / 2)),
            )
            .with_timezone("UTC");
            RecordBatch::try_new(schema.clone(), vec![Arc::new(keys), Arc::new(times)]).unwrap()
        };
        [("s", table(13, 60)), ("f", table(17, 90))]
    }

    /// The [`tables`] in memory, with or without the rules.
    fn session(bucket: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if bucket {
            super::super::register(&ctx);
        }
        for (name, batch) in tables() {
            ctx.register_batch(name, batch).unwrap();
        }
        ctx
    }

    /// The [`tables`] as Parquet files in `dir`, scanned with filters pushed into the scan
    /// as the lake's are, and bucketed; with sanso's physical rules, or DataFusion's alone.
    ///
    /// The joins are planned as for tables too large to collect in one partition, as the
    /// lake's are: DataFusion would otherwise build its table from whichever input its
    /// statistics show to be small, and these are all small.
    async fn parquet_session(dir: &Path, physical_rules: bool) -> SessionContext {
        let mut config = SessionConfig::new();
        config.options_mut().execution.parquet.pushdown_filters = true;
        let optimizer = &mut config.options_mut().optimizer;
        optimizer.hash_join_single_partition_threshold = 0;
        optimizer.hash_join_single_partition_threshold_rows = 0;
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        if physical_rules {
            state = state.with_physical_optimizer_rules(super::super::physical_rules());
        }
        let ctx = SessionContext::new_with_state(state.build());
        super::super::register(&ctx);
        for (name, batch) in tables() {
            let path = dir.join(format!("{name}.parquet"));
            let mut writer =
                ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            ctx.register_parquet(name, path.to_str().unwrap(), Default::default())
                .await
                .unwrap();
        }
        ctx
    }

    /// The physical plan of `sql`, indented.
    async fn physical_plan(ctx: &SessionContext, sql: &str) -> String {
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        displayable(plan.as_ref()).indent(true).to_string()
    }

    async fn same_rows_and_bucketed(sql: &str) {
        let fast = session(true);
        let plan = optimized_plan(&fast, sql).await;
        assert!(plan.contains(BUCKET), "not bucketed:\n{plan}");
        let rows = run(&fast, sql).await;
        assert_eq!(rows, run(&session(false), sql).await, "{sql}");
        assert!(
            rows.lines().count() > 10,
            "too few rows to compare:\n{rows}"
        );
    }

    const SUCCESS_AFTER_FAILURES: &str = "SELECT s.k, s.t, count(*) AS n FROM s JOIN f \
        ON f.k = s.k AND f.t BETWEEN s.t - INTERVAL '5 minutes' AND s.t \
        GROUP BY s.k, s.t ORDER BY s.k, s.t";

    #[tokio::test]
    async fn a_window_before_each_event() {
        same_rows_and_bucketed(SUCCESS_AFTER_FAILURES).await;
    }

    #[tokio::test]
    async fn bounds_written_either_way_and_no_other_key() {
        same_rows_and_bucketed(
            "SELECT s.t AS a, f.t AS b FROM s JOIN f ON s.t + INTERVAL '90 seconds' >= f.t \
             AND f.t >= s.t - INTERVAL '2 minutes' ORDER BY a, b",
        )
        .await;
        same_rows_and_bucketed(
            "SELECT f.t AS b, s.t AS a FROM f JOIN s ON f.t <= s.t + INTERVAL '3 minutes' \
             AND f.t >= s.t + INTERVAL '1 minute' AND f.k = s.k ORDER BY b, a",
        )
        .await;
    }

    #[tokio::test]
    async fn the_right_input_is_copied_and_the_table_built_from_it() {
        let ctx = session(true);
        for (sql, streamed) in [
            (
                "SELECT count(*) FROM s JOIN f ON f.k = s.k \
                 AND f.t BETWEEN s.t - INTERVAL '5 minutes' AND s.t",
                "TableScan: s",
            ),
            (
                "SELECT count(*) FROM f JOIN s ON f.k = s.k \
                 AND f.t BETWEEN s.t - INTERVAL '5 minutes' AND s.t",
                "TableScan: f",
            ),
        ] {
            let plan = optimized_plan(&ctx, sql).await;
            let line = |needle: &str| plan.lines().position(|l| l.contains(needle)).unwrap();
            // The join's left input, the one its table is built from, is listed first.
            assert!(line("Unnest") < line(streamed), "{sql}:\n{plan}");
        }
    }

    #[tokio::test]
    async fn the_streamed_input_is_scanned_without_the_join_filter() {
        let dir = tempfile::tempdir().unwrap();
        let sql = SUCCESS_AFTER_FAILURES;
        let datafusion_alone = physical_plan(&parquet_session(dir.path(), false).await, sql).await;
        assert!(
            datafusion_alone.contains("DynamicFilter"),
            "DataFusion no longer hands the join's filter to the scan:\n{datafusion_alone}"
        );
        let ctx = parquet_session(dir.path(), true).await;
        let plan = physical_plan(&ctx, sql).await;
        assert!(plan.contains("FilterBarrierExec"), "{plan}");
        assert!(!plan.contains("DynamicFilter"), "{plan}");
        assert_eq!(run(&ctx, sql).await, run(&session(false), sql).await);
    }

    #[tokio::test]
    async fn other_joins_keep_their_dynamic_filter() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = parquet_session(dir.path(), true).await;
        let plan = physical_plan(
            &ctx,
            "SELECT count(*) FROM s JOIN f ON f.k = s.k AND f.t = s.t",
        )
        .await;
        assert!(plan.contains("DynamicFilter"), "{plan}");
        assert!(!plan.contains("FilterBarrierExec"), "{plan}");
    }

    #[tokio::test]
    async fn what_the_rule_leaves_alone() {
        let ctx = session(true);
        for sql in [
            // One bound only.
            "SELECT count(*) FROM s JOIN f ON f.k = s.k AND f.t >= s.t",
            // An outer join keeps unmatched rows, which a bucket key would change.
            "SELECT count(*) FROM s LEFT JOIN f ON f.t BETWEEN s.t - INTERVAL '1 minute' AND s.t",
            // A calendar interval has no fixed width.
            "SELECT count(*) FROM s JOIN f ON f.t BETWEEN s.t - INTERVAL '1 month' AND s.t",
        ] {
            let plan = optimized_plan(&ctx, sql).await;
            assert!(!plan.contains(BUCKET), "{sql}:\n{plan}");
        }
    }
}
