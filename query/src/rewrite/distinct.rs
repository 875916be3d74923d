//! Several distinct aggregates over different columns, split into one aggregation each.
//!
//! `count(DISTINCT dst_port)` and `count(DISTINCT dst_ip)` in one `GROUP BY` (the port
//! scan query) make DataFusion keep a hash set per group and aggregate, which for a
//! million groups of strings costs seconds and gigabytes. One distinct aggregate alone is
//! rewritten by DataFusion's `SingleDistinctToGroupBy` into two plain hash aggregations
//! (group by the keys and the value, then count), which are fast. This rule brings every
//! query to that case: it aggregates the input once per distinct argument (and once for
//! the plain aggregates), each with the query's group keys, and joins the results on the
//! keys, nulls matching nulls, since a null key is a group of its own.
//!
//! When every aggregate is distinct and skips nulls (`count`, `sum`, `avg`, `min`, `max`),
//! the parts need not be joined: each input row is copied once per distinct argument,
//! and two plain aggregations over the copies give every aggregate from one read of the
//! input (`one_pass`), whatever the input is. The port scan query thereby reads
//! `network` once instead of twice.
//!
//! Otherwise the input is computed once per part, so the split applies only where that is
//! cheap and gives the same rows each time: scans, filters, projections and aliases, with
//! no volatile expression. Grouping sets and distinct aggregates with several arguments,
//! a filter or an ordering are left alone.

use std::sync::Arc;

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, NullEquality, Result};
use datafusion::logical_expr::expr::{AggregateFunction, AggregateFunctionParams};
use datafusion::logical_expr::{
    Aggregate, Expr, JoinType, LogicalPlan, LogicalPlanBuilder, col, lit, when,
};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use super::with_schema_of;

/// See the [module docs](self).
#[derive(Debug, Default)]
pub struct SplitDistinctAggregates;

impl OptimizerRule for SplitDistinctAggregates {
    fn name(&self) -> &str {
        "sanso_split_distinct_aggregates"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Aggregate(aggregate) = &plan else {
            return Ok(Transformed::no(plan));
        };
        let Some(parts) = parts(aggregate) else {
            return Ok(Transformed::no(plan));
        };
        if aggregate.aggr_expr.iter().all(skips_nulls_when_distinct) {
            one_pass(aggregate, &parts).map(Transformed::yes)
        } else if recomputable(&aggregate.input) {
            split(aggregate, parts).map(Transformed::yes)
        } else {
            Ok(Transformed::no(plan))
        }
    }
}

/// The aggregate expressions' indexes, one group per distinct argument and one for the
/// plain aggregates; `None` when the rule does not apply.
fn parts(aggregate: &Aggregate) -> Option<Vec<Vec<usize>>> {
    if aggregate.group_expr.is_empty()
        || matches!(aggregate.group_expr.first(), Some(Expr::GroupingSet(_)))
    {
        return None;
    }
    let mut distinct: Vec<(&Expr, Vec<usize>)> = Vec::new();
    let mut plain = Vec::new();
    for (i, expr) in aggregate.aggr_expr.iter().enumerate() {
        let Expr::AggregateFunction(AggregateFunction {
            params:
                AggregateFunctionParams {
                    distinct: is_distinct,
                    args,
                    filter,
                    order_by,
                    ..
                },
            ..
        }) = unalias(expr)
        else {
            return None;
        };
        if !is_distinct {
            plain.push(i);
            continue;
        }
        let [arg] = args.as_slice() else {
            return None;
        };
        if filter.is_some() || !order_by.is_empty() {
            return None;
        }
        match distinct.iter_mut().find(|(seen, _)| *seen == arg) {
            Some((_, indexes)) => indexes.push(i),
            None => distinct.push((arg, vec![i])),
        }
    }
    if distinct.len() < 2 {
        return None;
    }
    let mut parts: Vec<Vec<usize>> = distinct.into_iter().map(|(_, i)| i).collect();
    if !plain.is_empty() {
        parts.push(plain);
    }
    Some(parts)
}

/// Aggregates that skip nulls, so that one over distinct values is the same aggregate,
/// without `DISTINCT`, over the deduplicated rows of [`one_pass`], where each row holds
/// one argument and nulls for the others.
const NULL_SKIPPING: [&str; 5] = ["count", "sum", "avg", "min", "max"];

fn skips_nulls_when_distinct(expr: &Expr) -> bool {
    matches!(
        unalias(expr),
        Expr::AggregateFunction(AggregateFunction { func, params })
            if params.distinct && NULL_SKIPPING.contains(&func.name())
    )
}

fn unalias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(alias) => unalias(&alias.expr),
        other => other,
    }
}

/// Whether `plan` can be computed twice at little cost and with the same rows.
fn recomputable(plan: &LogicalPlan) -> bool {
    let deterministic = |exprs: &[Expr]| exprs.iter().all(|e| !e.is_volatile());
    match plan {
        LogicalPlan::TableScan(scan) => deterministic(&scan.filters),
        LogicalPlan::Filter(filter) => {
            !filter.predicate.is_volatile() && recomputable(&filter.input)
        }
        LogicalPlan::Projection(projection) => {
            deterministic(&projection.expr) && recomputable(&projection.input)
        }
        LogicalPlan::SubqueryAlias(alias) => recomputable(&alias.input),
        _ => false,
    }
}

/// Every aggregate distinct and null-skipping: the input read once, each row copied once
/// per distinct argument, the copy for argument `i` holding it and nulls for the others.
/// Grouping by the keys and all arguments removes the duplicates, and grouping that by
/// the keys alone gives each aggregate, without `DISTINCT`, over its argument's values.
fn one_pass(aggregate: &Aggregate, parts: &[Vec<usize>]) -> Result<LogicalPlan> {
    const COPY: &str = "__sanso_distinct_copy";
    let key_name = |k: usize| format!("__sanso_distinct_key_{k}");
    let arg_name = |p: usize| format!("__sanso_distinct_arg_{p}");
    let copies: Vec<Vec<Expr>> = (0..parts.len()).map(|p| vec![lit(p as i64)]).collect();
    let copies = LogicalPlanBuilder::values(copies)?
        .project(vec![col("column1").alias(COPY)])?
        .build()?;
    let mut projection: Vec<Expr> = aggregate
        .group_expr
        .iter()
        .enumerate()
        .map(|(k, expr)| expr.clone().alias(key_name(k)))
        .collect();
    let mut arg_of = vec![0; aggregate.aggr_expr.len()];
    for (p, indexes) in parts.iter().enumerate() {
        let Expr::AggregateFunction(first) = unalias(&aggregate.aggr_expr[indexes[0]]) else {
            unreachable!("parts() holds aggregate functions only");
        };
        let arg = first.params.args[0].clone();
        projection.push(
            when(col(COPY).eq(lit(p as i64)), arg)
                .end()?
                .alias(arg_name(p)),
        );
        for &i in indexes {
            arg_of[i] = p;
        }
    }
    let keys: Vec<Expr> = (0..aggregate.group_expr.len())
        .map(|k| col(key_name(k)))
        .collect();
    let mut distinct_rows = keys.clone();
    distinct_rows.extend((0..parts.len()).map(|p| col(arg_name(p))));
    let aggr_expr = aggregate
        .aggr_expr
        .iter()
        .zip(&arg_of)
        .map(|(expr, &p)| {
            let Expr::AggregateFunction(function) = unalias(expr) else {
                unreachable!("parts() holds aggregate functions only");
            };
            Expr::AggregateFunction(AggregateFunction::new_udf(
                Arc::clone(&function.func),
                vec![col(arg_name(p))],
                false,
                None,
                Vec::new(),
                function.params.null_treatment,
            ))
        })
        .collect::<Vec<_>>();
    let grouped = LogicalPlanBuilder::from(copies)
        .cross_join(aggregate.input.as_ref().clone())?
        .project(projection)?
        .aggregate(distinct_rows, Vec::<Expr>::new())?
        .aggregate(keys, aggr_expr)?
        .build()?;
    with_schema_of(grouped, &aggregate.schema)
}

/// One aggregation per part, joined on the group keys, projected back to the original
/// aggregation's columns and names.
fn split(aggregate: &Aggregate, parts: Vec<Vec<usize>>) -> Result<LogicalPlan> {
    let keys = aggregate.group_expr.len();
    let original = aggregate.schema.clone();
    // Where each output column of the original comes from: (part alias, column name).
    let mut sources: Vec<Option<(String, String)>> = vec![None; original.fields().len()];
    let mut joined: Option<LogicalPlanBuilder> = None;
    let mut key_columns: Vec<Column> = Vec::new();
    for (n, indexes) in parts.iter().enumerate() {
        let alias = format!("__sanso_distinct_{n}");
        let aggr_expr = indexes
            .iter()
            .map(|&i| aggregate.aggr_expr[i].clone())
            .collect();
        let part = LogicalPlan::Aggregate(Aggregate::try_new(
            Arc::clone(&aggregate.input),
            aggregate.group_expr.clone(),
            aggr_expr,
        )?);
        let schema = part.schema().clone();
        let part = LogicalPlanBuilder::from(part).alias(alias.as_str())?;
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        for (position, &i) in indexes.iter().enumerate() {
            sources[keys + i] = Some((alias.clone(), names[keys + position].clone()));
        }
        let part_keys: Vec<Column> = names[..keys]
            .iter()
            .map(|name| Column::new(Some(alias.as_str()), name))
            .collect();
        joined = Some(match joined {
            None => {
                for (k, name) in names[..keys].iter().enumerate() {
                    sources[k] = Some((alias.clone(), name.clone()));
                }
                key_columns = part_keys;
                part
            }
            Some(left) => left.join_detailed(
                part.build()?,
                JoinType::Inner,
                (key_columns.clone(), part_keys),
                None,
                NullEquality::NullEqualsNull,
            )?,
        });
    }
    let joined = joined.expect("parts() returns at least two parts");
    let projection = original
        .iter()
        .zip(sources)
        .map(|((qualifier, field), source)| {
            let (alias, name) = source.expect("every column comes from a part");
            Expr::Column(Column::new(Some(alias), name))
                .alias_qualified(qualifier.cloned(), field.name())
        })
        .collect::<Vec<_>>();
    joined.project(projection)?.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rewrite::testing::{optimized_plan, run};
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::execution::context::SessionContext;

    /// A session with `t(g, h, port, host)`, nulls in every column, with or without the
    /// rule.
    fn session(split: bool) -> SessionContext {
        let ctx = SessionContext::new();
        if split {
            ctx.add_optimizer_rule(Arc::new(SplitDistinctAggregates));
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Utf8, true),
            Field::new("h", DataType::Int64, true),
            Field::new("port", DataType::Int64, true),
            Field::new("host", DataType::Utf8, true),
        ]));
        let g = StringArray::from(vec![
            Some("a"),
            Some("a"),
            Some("a"),
            Some("b"),
            None,
            None,
            Some("b"),
            Some("a"),
        ]);
        let h = Int64Array::from(vec![
            Some(1),
            Some(1),
            Some(2),
            Some(1),
            None,
            None,
            None,
            Some(1),
        ]);
        let port = Int64Array::from(vec![
            Some(22),
            Some(22),
            Some(80),
            None,
            Some(443),
            Some(443),
            Some(22),
            Some(23),
        ]);
        let host = StringArray::from(vec![
            Some("x"),
            Some("y"),
            Some("x"),
            Some("x"),
            None,
            Some("z"),
            Some("z"),
            Some("x"),
        ]);
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(g), Arc::new(h), Arc::new(port), Arc::new(host)],
        )
        .unwrap();
        ctx.register_batch("t", batch).unwrap();
        ctx
    }

    /// Same rows as without the rule, and the plan holds a join of the parts.
    async fn same_rows_and_split(sql: &str) {
        let fast = session(true);
        let plan = optimized_plan(&fast, sql).await;
        assert!(plan.contains("__sanso_distinct_1"), "not split:\n{plan}");
        assert_eq!(
            run(&fast, sql).await,
            run(&session(false), sql).await,
            "{sql}"
        );
    }

    /// Same rows as without the rule, and the plan reads its input once.
    async fn same_rows_in_one_pass(sql: &str) {
        same_rows_in_one_pass_of(sql, 1).await;
    }

    /// Same rows as without the rule, and the plan holds `scans` scans, its input's.
    async fn same_rows_in_one_pass_of(sql: &str, scans: usize) {
        let fast = session(true);
        let plan = optimized_plan(&fast, sql).await;
        assert!(
            plan.contains("__sanso_distinct_copy"),
            "not one pass:\n{plan}"
        );
        assert_eq!(plan.matches("TableScan").count(), scans, "{plan}");
        assert_eq!(
            run(&fast, sql).await,
            run(&session(false), sql).await,
            "{sql}"
        );
    }

    #[tokio::test]
    async fn two_distinct_counts_in_one_pass_agree() {
        same_rows_in_one_pass(
            "SELECT g, h, count(DISTINCT port) AS ports, count(DISTINCT host) AS hosts \
             FROM t WHERE port IS NULL OR port <> 23 GROUP BY g, h ORDER BY g, h",
        )
        .await;
    }

    #[tokio::test]
    async fn having_and_plain_aggregates_keep_their_names() {
        same_rows_and_split(
            "SELECT g, count(DISTINCT port), count(DISTINCT host), count(*) AS n, \
             sum(DISTINCT port) AS port_sum, max(host) FROM t GROUP BY g \
             HAVING count(DISTINCT port) >= 1 OR count(DISTINCT host) >= 2 ORDER BY g",
        )
        .await;
    }

    #[tokio::test]
    async fn distinct_sums_minimums_and_averages_in_one_pass_agree() {
        same_rows_in_one_pass(
            "SELECT g, sum(DISTINCT port) AS s, min(DISTINCT host), avg(DISTINCT port), \
             count(DISTINCT host) AS hosts, max(DISTINCT h) FROM t GROUP BY g \
             HAVING count(DISTINCT host) >= 1 ORDER BY g",
        )
        .await;
    }

    #[tokio::test]
    async fn one_pass_reads_any_input_once() {
        same_rows_in_one_pass_of(
            "SELECT a.g, count(DISTINCT a.port) AS ports, count(DISTINCT b.host) AS hosts \
             FROM t a JOIN t b ON a.g = b.g GROUP BY a.g ORDER BY a.g",
            2,
        )
        .await;
        same_rows_in_one_pass(
            "SELECT g, count(DISTINCT port), count(DISTINCT host) FROM t \
             WHERE random() < 2 GROUP BY g ORDER BY g",
        )
        .await;
    }

    #[tokio::test]
    async fn other_distinct_aggregates_are_split() {
        same_rows_and_split(
            "SELECT g, count(DISTINCT port), bit_or(DISTINCT h) FROM t GROUP BY g ORDER BY g",
        )
        .await;
    }

    #[tokio::test]
    async fn grouping_by_an_expression_of_an_aliased_table() {
        same_rows_in_one_pass(
            "SELECT lower(s.g) AS k, s.h % 2 AS parity, count(DISTINCT s.port) AS ports, \
             count(DISTINCT s.host) AS hosts FROM t s GROUP BY lower(s.g), s.h % 2 \
             ORDER BY k, parity",
        )
        .await;
    }

    #[tokio::test]
    async fn what_the_rule_leaves_alone() {
        let ctx = session(true);
        for sql in [
            // One distinct argument: DataFusion's own rule handles it.
            "SELECT g, count(DISTINCT port), sum(DISTINCT port) FROM t GROUP BY g",
            // No group keys: one hash set per aggregate is already all there is.
            "SELECT count(DISTINCT port), count(DISTINCT host) FROM t",
            // Split, an input that is not cheap to compute twice.
            "SELECT a.g, count(DISTINCT a.port), count(DISTINCT b.host), count(*) \
             FROM t a JOIN t b ON a.g = b.g GROUP BY a.g",
            // Split, a volatile input would differ between the parts.
            "SELECT g, count(DISTINCT port), count(DISTINCT host), max(h) FROM t \
             WHERE random() < 2 GROUP BY g",
        ] {
            let plan = optimized_plan(&ctx, sql).await;
            assert!(!plan.contains("__sanso_distinct"), "{sql}:\n{plan}");
        }
    }
}
