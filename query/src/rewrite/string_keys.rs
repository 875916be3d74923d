//! `GROUP BY` over text, grouped by the text as string views.
//!
//! The lake's low-cardinality text columns (`device`, `format`, `action`, `outcome`, …)
//! are read as dictionaries. DataFusion's fast group-key tables take plain and view
//! strings but no dictionaries, so a single dictionary key sends a whole aggregation to
//! its generic row-encoded table, which encodes every key of every row into a byte
//! string before hashing it. The log availability query (50 M rows by device, format and
//! zone) spent a third of its time there. Cast to string views, the same keys point into
//! the dictionary's own bytes without copying them, and the columnar table compares them
//! in place.
//!
//! Plain text columns are grouped as views too. The partition columns (`zone`, `date`)
//! come as plain strings, which the columnar table compares byte by byte through their
//! offsets; a short view it compares as one 16-byte value. That was 12 % of the same
//! query. Computed text keys are left as they are: casting them would cost a pass of
//! its own after the expression.
//!
//! The aggregation's output is cast back, so the plan's schema and the rows are
//! unchanged. Grouping sets are left alone: their keys are nullable in ways a cast would
//! not keep.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Aggregate, Expr, ExprSchemable, LogicalPlan, Projection, Union};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::with_schema_of;

/// See the [module docs](self).
#[derive(Debug, Default)]
pub struct GroupByStringViews;

impl OptimizerRule for GroupByStringViews {
    fn name(&self) -> &str {
        "sanso_group_by_string_views"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &plan else {
            return Ok(Transformed::no(plan));
        };
        if matches!(aggregate.group_expr.first(), Some(Expr::GroupingSet(_))) {
            return Ok(Transformed::no(plan));
        }
        let input = aggregate.input.as_ref();
        let mut views = Vec::new();
        let mut other_keys = Vec::new();
        let mut group_expr = Vec::with_capacity(aggregate.group_expr.len());
        for (expr, (qualifier, field)) in aggregate.group_expr.iter().zip(aggregate.schema.iter()) {
            if groups_as_view(expr, &expr.get_type(input.schema())?) {
                let name = format!("__sanso_group_key_{}", views.len());
                views.push(
                    expr.clone()
                        .cast_to(&DataType::Utf8View, input.schema())?
                        .alias(&name),
                );
                group_expr.push(
                    Expr::Column(Column::new_unqualified(name))
                        .alias_qualified(qualifier.cloned(), field.name()),
                );
            } else {
                other_keys.push(expr);
                group_expr.push(expr.clone());
            }
        }
        if views.is_empty() {
            return Ok(Transformed::no(plan));
        }
        let read = other_keys.into_iter().chain(&aggregate.aggr_expr);
        let Some(mut projection) = columns_of(input, read) else {
            return Ok(Transformed::no(plan));
        };
        projection.extend(views);
        let grouped = LogicalPlan::Aggregate(Aggregate::try_new(
            Arc::new(project_into(input, projection)?),
            group_expr,
            aggregate.aggr_expr.clone(),
        )?);
        with_schema_of(grouped, &aggregate.schema).map(Transformed::yes)
    }
}

/// The columns of `input` that `exprs` read, in `input`'s order, or `None` if one of
/// them refers to a column `input` does not have.
///
/// The projection under the rewritten aggregate carries the columns its other keys and
/// its aggregates read, and the views, not every column of the input: a projection of
/// all of them, which the optimizer pruned again, was a quarter of the rule's cost on a
/// query over an empty table.
fn columns_of<'a>(input: &LogicalPlan, exprs: impl Iterator<Item = &'a Expr>) -> Option<Vec<Expr>> {
    let schema = input.schema();
    let mut indices = exprs
        .flat_map(|expr| expr.column_refs())
        .map(|column| schema.index_of_column(column).ok())
        .collect::<Option<Vec<usize>>>()?;
    indices.sort_unstable();
    indices.dedup();
    Some(
        indices
            .into_iter()
            .map(|index| Expr::Column(Column::from(schema.qualified_field(index))))
            .collect(),
    )
}

/// `input` projected to `exprs`, which name every column they make.
///
/// Over a union the projection goes into each branch, where DataFusion hands it on to the
/// scan: a Parquet column is then decoded into views directly, which is what makes the
/// rule pay. Above the union the same casts would convert every batch after reading it,
/// and the log availability query (a union of three tables) gained nothing.
fn project_into(input: &LogicalPlan, exprs: Vec<Expr>) -> Result<LogicalPlan> {
    if let LogicalPlan::Union(union) = input
        && let Some(branches) = union_branches(union, &exprs)
    {
        let branches = branches
            .into_iter()
            .map(|(branch, exprs)| project_into(branch, exprs).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        return Ok(LogicalPlan::Union(Union::try_new(branches)?));
    }
    Projection::try_new(exprs, Arc::new(input.clone())).map(LogicalPlan::Projection)
}

/// Each branch of `union` with `exprs` rewritten to its columns, or `None` if an
/// expression refers to a column the union does not have by that name.
fn union_branches<'a>(
    union: &'a Union,
    exprs: &[Expr],
) -> Option<Vec<(&'a LogicalPlan, Vec<Expr>)>> {
    union
        .inputs
        .iter()
        .map(|branch| {
            let branch_exprs = exprs
                .iter()
                .map(|expr| {
                    let name = expr.schema_name().to_string();
                    let rewritten = expr.clone().unalias().transform(|e| match e {
                        Expr::Column(column) => {
                            let index = union.schema.index_of_column(&column)?;
                            let field = branch.schema().qualified_field(index);
                            Ok(Transformed::yes(Expr::Column(Column::from(field))))
                        }
                        other => Ok(Transformed::no(other)),
                    });
                    rewritten.ok().map(|e| e.data.alias(name))
                })
                .collect::<Option<Vec<_>>>()?;
            Some((branch.as_ref(), branch_exprs))
        })
        .collect()
}

/// Whether the rule groups `key`, of type `data_type`, as a view: a dictionary of text,
/// or a column of plain text.
fn groups_as_view(key: &Expr, data_type: &DataType) -> bool {
    match data_type {
        DataType::Dictionary(_, values) => matches!(
            values.as_ref(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        DataType::Utf8 | DataType::LargeUtf8 => matches!(key, Expr::Column(_)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rewrite::testing::{optimized_plan, run};
    use arrow::array::{DictionaryArray, Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{Field, Int32Type, Schema};
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::execution::context::SessionContext;
    use datafusion::optimizer::OptimizerContext;

    /// A session with `t(device, action, bytes, zone)`: two dictionary columns with nulls
    /// and a value no row uses, and a plain text column with a null, with or without the
    /// rule.
    fn session(rewrite: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if rewrite {
            ctx.add_optimizer_rule(Arc::new(GroupByStringViews));
        }
        let dictionary =
            || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let schema = Arc::new(Schema::new(vec![
            Field::new("device", dictionary(), true),
            Field::new("action", dictionary(), true),
            Field::new("bytes", DataType::Int64, true),
            Field::new("zone", DataType::Utf8, true),
        ]));
        let values = Arc::new(StringArray::from(vec![
            "fw-core", "proxy", "unused", "allow", "deny",
        ]));
        let device = DictionaryArray::<Int32Type>::try_new(
            vec![Some(0), Some(1), Some(0), None, Some(1), Some(0)].into(),
            values.clone(),
        )
        .unwrap();
        let action = DictionaryArray::<Int32Type>::try_new(
            vec![Some(3), Some(4), Some(4), Some(3), None, Some(3)].into(),
            values,
        )
        .unwrap();
        let bytes = Int64Array::from(vec![Some(10), Some(20), None, Some(40), Some(50), Some(60)]);
        let zone = StringArray::from(vec![
            Some("core"),
            Some("lgwan"),
            Some("core"),
            None,
            Some("an internet zone name longer than a view holds inline"),
            Some("lgwan"),
        ]);
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(device),
                Arc::new(action),
                Arc::new(bytes),
                Arc::new(zone),
            ],
        )
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        ctx
    }

    const QUERIES: [&str; 6] = [
        "SELECT device, action, count(*) AS n, sum(bytes) AS b FROM t \
            GROUP BY device, action ORDER BY device, action",
        "SELECT zone, device, arrow_typeof(zone), count(*) FROM t \
            GROUP BY zone, device ORDER BY zone, device",
        "SELECT t.device AS d, max(bytes) FROM t GROUP BY t.device HAVING max(bytes) > 15 ORDER BY d",
        "SELECT upper(action) AS a, count(*) FROM t GROUP BY upper(action), action ORDER BY a",
        "SELECT arrow_typeof(device), arrow_typeof(action), count(*) FROM t \
            GROUP BY device, action ORDER BY 3",
        UNION,
    ];

    const UNION: &str = "SELECT device, count(*) AS n, max(bytes) FROM \
        (SELECT device, bytes FROM t WHERE action = 'allow' UNION ALL SELECT device, bytes FROM t) \
        GROUP BY device ORDER BY device";

    #[tokio::test]
    async fn text_keys_are_grouped_as_views_with_the_same_rows_and_types() {
        let rewritten = session(true);
        let plain = session(false);
        for sql in QUERIES {
            assert_eq!(run(&rewritten, sql).await, run(&plain, sql).await, "{sql}");
            let schema = |ctx: &SessionContext| {
                let ctx = ctx.clone();
                async move { ctx.sql(sql).await.unwrap().schema().as_arrow().clone() }
            };
            assert_eq!(schema(&rewritten).await, schema(&plain).await, "{sql}");
        }
        let plan = optimized_plan(&rewritten, QUERIES[0]).await;
        assert!(plan.contains("CAST(t.device AS Utf8View)"), "{plan}");
        assert!(plan.contains("CAST(t.action AS Utf8View)"), "{plan}");
        let plan = optimized_plan(&rewritten, QUERIES[1]).await;
        assert!(plan.contains("CAST(t.zone AS Utf8View)"), "{plan}");
    }

    #[tokio::test]
    async fn over_a_union_each_branch_casts_its_own_keys() {
        let plan = optimized_plan(&session(true), UNION).await;
        let depth = |line: &str| line.len() - line.trim_start().len();
        let union = plan
            .lines()
            .find(|l| l.trim_start() == "Union")
            .expect(&plan);
        let casts: Vec<&str> = plan.lines().filter(|l| l.contains("AS Utf8View")).collect();
        assert_eq!(casts.len(), 2, "{plan}");
        assert!(casts.iter().all(|l| depth(l) > depth(union)), "{plan}");
    }

    #[tokio::test]
    async fn the_keys_projection_carries_only_what_the_aggregate_reads() {
        let ctx = session(false);
        let projected = |sql: &'static str| {
            let ctx = ctx.clone();
            async move {
                let plan = ctx.sql(sql).await.unwrap().into_unoptimized_plan();
                let aggregate = plan
                    .inputs()
                    .into_iter()
                    .find(|p| matches!(p, LogicalPlan::Aggregate(_)))
                    .expect("an aggregate under the query's projection")
                    .clone();
                let rewritten = GroupByStringViews
                    .rewrite(aggregate, &OptimizerContext::new())
                    .unwrap();
                assert!(rewritten.transformed, "{sql}");
                let mut names = Vec::new();
                rewritten
                    .data
                    .apply(|node| {
                        if let LogicalPlan::Projection(projection) = node
                            && let LogicalPlan::TableScan(_) = projection.input.as_ref()
                        {
                            names = projection
                                .expr
                                .iter()
                                .map(|e| e.schema_name().to_string())
                                .collect();
                        }
                        Ok(TreeNodeRecursion::Continue)
                    })
                    .unwrap();
                names
            }
        };
        assert_eq!(
            projected("SELECT device, count(*) FROM t GROUP BY device").await,
            ["__sanso_group_key_0"]
        );
        assert_eq!(
            projected("SELECT device, bytes, sum(bytes) FROM t GROUP BY device, bytes").await,
            ["t.bytes", "__sanso_group_key_0"]
        );
        assert_eq!(
            projected("SELECT device, lower(zone), max(bytes) FROM t GROUP BY device, lower(zone)")
                .await,
            ["t.bytes", "t.zone", "__sanso_group_key_0"]
        );
    }

    #[tokio::test]
    async fn other_keys_computed_text_and_grouping_sets_are_left_alone() {
        let ctx = session(true);
        for sql in [
            "SELECT bytes, count(*) FROM t GROUP BY bytes",
            "SELECT lower(zone), count(*) FROM t GROUP BY lower(zone)",
        ] {
            let plan = optimized_plan(&ctx, sql).await;
            assert!(!plan.contains("Utf8View"), "{plan}");
        }
        let rollup = "SELECT device, action, count(*) FROM t GROUP BY ROLLUP(device, action) \
            ORDER BY device, action";
        assert!(!optimized_plan(&ctx, rollup).await.contains("Utf8View"));
        assert_eq!(run(&ctx, rollup).await, run(&session(false), rollup).await);
    }
}
