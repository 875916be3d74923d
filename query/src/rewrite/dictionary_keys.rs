//! Equality with a text literal, on dictionary-encoded columns, computed on the keys.
//!
//! The lake's low-cardinality text (`action`, `outcome`, zones, categories) is read as
//! dictionaries, and the investigation queries filter on it: `action = 'block'`,
//! `outcome = 'failure'`. Arrow compares a dictionary with a literal by comparing each
//! dictionary value, then looking every row's key up in that result, one bit gather per
//! row: 9 % of the proxy-blocks query's CPU samples on the benchmark lake. When exactly one
//! value matches, the same result is a comparison of the keys with that value's key,
//! which compiles to vector instructions.
//!
//! [`CompareDictionaryKeys`] swaps such comparisons in Parquet scan predicates for a
//! [`DictionaryKeyComparison`], which falls back to Arrow's comparison whenever the
//! shortcut does not apply (null or repeated values, other key types). Statistics,
//! page-index and bloom-filter pruning see the original comparison: the expression's
//! [`snapshot`](PhysicalExpr::snapshot) is it.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array, Scalar};
use arrow::buffer::BooleanBuffer;
use arrow::compute::kernels::cmp;
use arrow::datatypes::{DataType, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{Result, ScalarValue};
use datafusion::datasource::physical_plan::ParquetSource;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::{ColumnarValue, Operator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Literal};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;

/// Rewrites `dictionary = 'text'` and `dictionary <> 'text'` in the predicates of Parquet
/// scans into [`DictionaryKeyComparison`]s.
#[derive(Debug, Default)]
pub struct CompareDictionaryKeys;

impl PhysicalOptimizerRule for CompareDictionaryKeys {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|plan| {
            let Some(scan) = plan.downcast_ref::<DataSourceExec>() else {
                return Ok(Transformed::no(plan));
            };
            let Some((config, source)) = scan.downcast_to_file_source::<ParquetSource>() else {
                return Ok(Transformed::no(plan));
            };
            let Some(predicate) = source.filter() else {
                return Ok(Transformed::no(plan));
            };
            let rewritten = rewrite_predicate(predicate)?;
            if !rewritten.transformed {
                return Ok(Transformed::no(plan));
            }
            let source = source.with_predicate(rewritten.data);
            let config = FileScanConfigBuilder::from(config.clone())
                .with_source(Arc::new(source))
                .build();
            Ok(Transformed::yes(
                DataSourceExec::from_data_source(config) as Arc<dyn ExecutionPlan>
            ))
        })
        .data()
    }

    fn name(&self) -> &str {
        "sanso_compare_dictionary_keys"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Replaces every eligible comparison in `predicate`.
pub fn rewrite_predicate(
    predicate: Arc<dyn PhysicalExpr>,
) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    predicate.transform_up(|expr| {
        Ok(match DictionaryKeyComparison::of(&expr) {
            Some(comparison) => Transformed::yes(Arc::new(comparison) as Arc<dyn PhysicalExpr>),
            None => Transformed::no(expr),
        })
    })
}

/// `column = 'text'` or `column <> 'text'` on a dictionary column with 32-bit keys,
/// computed on the keys where one dictionary value matches.
#[derive(Debug)]
pub struct DictionaryKeyComparison {
    /// The comparison as planned: evaluated where the shortcut does not apply, and what
    /// pruning sees.
    original: Arc<dyn PhysicalExpr>,
    /// The side that yields the dictionary.
    column: Arc<dyn PhysicalExpr>,
    /// The literal's text as a one-row array; only dictionaries whose values have its
    /// type take the shortcut.
    text: ArrayRef,
    /// `<>` rather than `=`.
    negated: bool,
}

impl DictionaryKeyComparison {
    /// The shortcut for `expr`, if it is such a comparison.
    fn of(expr: &Arc<dyn PhysicalExpr>) -> Option<Self> {
        let binary = expr.downcast_ref::<BinaryExpr>()?;
        let negated = match binary.op() {
            Operator::Eq => false,
            Operator::NotEq => true,
            _ => return None,
        };
        let (column, literal) = match (
            binary.left().downcast_ref::<Literal>(),
            binary.right().downcast_ref::<Literal>(),
        ) {
            (None, Some(literal)) => (binary.left(), literal),
            (Some(literal), None) => (binary.right(), literal),
            _ => return None,
        };
        let ScalarValue::Dictionary(key_type, text) = literal.value() else {
            return None;
        };
        let textual = matches!(
            text.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        if **key_type != DataType::Int32 || !textual || text.is_null() {
            return None;
        }
        Some(DictionaryKeyComparison {
            original: Arc::clone(expr),
            column: Arc::clone(column),
            text: text.to_array().ok()?,
            negated,
        })
    }

    /// The comparison of `dictionary` (already evaluated) computed on its keys; `None`
    /// where that is not the same as Arrow's comparison.
    fn on_keys(&self, dictionary: &ArrayRef) -> Result<Option<BooleanArray>> {
        let Some(dictionary) = dictionary.as_dictionary_opt::<Int32Type>() else {
            return Ok(None);
        };
        let values = dictionary.values();
        // A null value compares as null, which the keys cannot say.
        if values.data_type() != self.text.data_type() || values.null_count() > 0 {
            return Ok(None);
        }
        let matches = cmp::eq(values, &Scalar::new(&self.text))?;
        let keys = dictionary.keys();
        let mut matching = matches.values().set_indices();
        let result = match (matching.next(), matching.next()) {
            (None, _) => {
                let constant = if self.negated {
                    BooleanBuffer::new_set(keys.len())
                } else {
                    BooleanBuffer::new_unset(keys.len())
                };
                BooleanArray::new(constant, keys.nulls().cloned())
            }
            (Some(key), None) => {
                let Ok(key) = i32::try_from(key) else {
                    return Ok(None);
                };
                let key = Int32Array::new_scalar(key);
                if self.negated {
                    cmp::neq(keys, &key)?
                } else {
                    cmp::eq(keys, &key)?
                }
            }
            (Some(_), Some(_)) => return Ok(None),
        };
        Ok(Some(result))
    }
}

// The other fields are derived from the comparison.
impl PartialEq for DictionaryKeyComparison {
    fn eq(&self, other: &Self) -> bool {
        self.original.eq(&other.original)
    }
}

impl Eq for DictionaryKeyComparison {}

impl Hash for DictionaryKeyComparison {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.original.hash(state);
    }
}

impl fmt::Display for DictionaryKeyComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.original)
    }
}

impl PhysicalExpr for DictionaryKeyComparison {
    fn data_type(&self, input_schema: &Schema) -> Result<DataType> {
        self.original.data_type(input_schema)
    }

    fn nullable(&self, input_schema: &Schema) -> Result<bool> {
        self.original.nullable(input_schema)
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        if let ColumnarValue::Array(dictionary) = self.column.evaluate(batch)?
            && let Some(result) = self.on_keys(&dictionary)?
        {
            return Ok(ColumnarValue::Array(Arc::new(result)));
        }
        self.original.evaluate(batch)
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        vec![&self.original]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr>>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let [original] = <[_; 1]>::try_from(children).map_err(|children| {
            datafusion::common::DataFusionError::Internal(format!(
                "a dictionary key comparison has one child, not {}",
                children.len()
            ))
        })?;
        // A rewrite of the comparison (a cast on the column, literals simplified) may
        // leave it ineligible; the rewritten comparison then stands alone.
        Ok(match Self::of(&original) {
            Some(comparison) => Arc::new(comparison),
            None => original,
        })
    }

    fn snapshot(&self) -> Result<Option<Arc<dyn PhysicalExpr>>> {
        Ok(Some(Arc::clone(&self.original)))
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.original.fmt_sql(f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use arrow::record_batch::RecordBatch;
    use datafusion::common::ScalarValue;
    use datafusion::common::tree_node::TreeNode;
    use datafusion::execution::context::{SessionConfig, SessionContext};
    use datafusion::execution::session_state::SessionStateBuilder;
    use datafusion::logical_expr::Operator;
    use datafusion::physical_expr::PhysicalExpr;
    use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
    use datafusion::physical_plan::ExecutionPlan;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::{CompareDictionaryKeys, DictionaryKeyComparison, rewrite_predicate};

    fn dictionary_type() -> DataType {
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
    }

    fn text(value: &str) -> Arc<dyn PhysicalExpr> {
        Arc::new(Literal::new(ScalarValue::Dictionary(
            Box::new(DataType::Int32),
            Box::new(ScalarValue::from(value)),
        )))
    }

    #[test]
    fn the_comparison_on_keys_is_arrows_comparison_for_every_shape_of_dictionary() {
        let dictionaries: [Vec<Option<&str>>; 5] = [
            vec![Some("allow"), Some("deny"), Some("block")],
            // The literal absent.
            vec![Some("allow"), Some("deny")],
            // The literal twice, and a null value: both left to Arrow.
            vec![Some("block"), Some("allow"), Some("block")],
            vec![Some("allow"), None, Some("block")],
            // Empty: every key is null.
            vec![],
        ];
        let schema = Arc::new(Schema::new(vec![Field::new(
            "action",
            dictionary_type(),
            true,
        )]));
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("action", 0));
        for values in dictionaries {
            let len = values.len() as i32;
            let keys: Int32Array = (0..40)
                .map(|i| (len > 0 && i % 7 != 3).then(|| (i * 5 + i / 3) % len.max(1)))
                .collect();
            let dictionary = DictionaryArray::<Int32Type>::try_new(
                keys,
                Arc::new(StringArray::from(values.clone())),
            )
            .unwrap();
            // Sliced, as the Parquet reader's batches may be.
            for array in [dictionary.slice(0, 40), dictionary.slice(5, 29)] {
                let batch =
                    RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(array) as ArrayRef])
                        .unwrap();
                for op in [Operator::Eq, Operator::NotEq] {
                    for literal in ["block", "deny", "nothing"] {
                        for (left, right) in [
                            (Arc::clone(&column), text(literal)),
                            (text(literal), Arc::clone(&column)),
                        ] {
                            let original: Arc<dyn PhysicalExpr> =
                                Arc::new(BinaryExpr::new(left, op, right));
                            let shortcut = DictionaryKeyComparison::of(&original)
                                .expect("a comparison of a dictionary with text");
                            let expected = evaluated(&original, &batch);
                            let dictionary = batch.column(0);
                            let answer = shortcut.on_keys(dictionary).unwrap();
                            let matching = values.iter().filter(|v| **v == Some(literal));
                            let on_keys = !values.contains(&None) && matching.count() <= 1;
                            assert_eq!(answer.is_some(), on_keys, "{original} over {values:?}");
                            assert_eq!(
                                evaluated(&(Arc::new(shortcut) as _), &batch),
                                expected,
                                "{original} over {values:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    fn evaluated(expr: &Arc<dyn PhysicalExpr>, batch: &RecordBatch) -> BooleanArray {
        let result = expr
            .evaluate(batch)
            .unwrap()
            .into_array(batch.num_rows())
            .unwrap();
        result
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap()
            .clone()
    }

    #[test]
    fn other_comparisons_are_left_alone() {
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("action", 0));
        let plain_text: Arc<dyn PhysicalExpr> = Arc::new(Literal::new(ScalarValue::from("x")));
        let int16_keys: Arc<dyn PhysicalExpr> = Arc::new(Literal::new(ScalarValue::Dictionary(
            Box::new(DataType::Int16),
            Box::new(ScalarValue::from("x")),
        )));
        let null_text: Arc<dyn PhysicalExpr> = Arc::new(Literal::new(ScalarValue::Dictionary(
            Box::new(DataType::Int32),
            Box::new(ScalarValue::Utf8(None)),
        )));
        for (op, right) in [
            (Operator::Lt, text("x")),
            (Operator::Eq, plain_text),
            (Operator::Eq, int16_keys),
            (Operator::Eq, null_text),
            (Operator::Eq, Arc::clone(&column)),
        ] {
            let expr: Arc<dyn PhysicalExpr> =
                Arc::new(BinaryExpr::new(Arc::clone(&column), op, right));
            assert!(!rewrite_predicate(expr).unwrap().transformed);
        }
    }

    /// A session over one Parquet file of two row groups: `deny`/`drop` in the first,
    /// `allow`/`block` in the second.
    async fn session(dir: &std::path::Path, rewrite: bool) -> SessionContext {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "action",
            dictionary_type(),
            true,
        )]));
        let path = dir.join("t.parquet");
        let file = std::fs::File::create(&path).unwrap();
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(4))
            .build();
        let mut writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties)).unwrap();
        let actions: DictionaryArray<Int32Type> = [
            Some("deny"),
            Some("drop"),
            None,
            Some("deny"),
            Some("block"),
            Some("allow"),
            Some("block"),
            None,
        ]
        .into_iter()
        .collect();
        let batch = RecordBatch::try_new(schema, vec![Arc::new(actions) as ArrayRef]).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let mut config = SessionConfig::new();
        config.options_mut().execution.parquet.pushdown_filters = true;
        let mut state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features();
        if rewrite {
            state = state.with_physical_optimizer_rule(Arc::new(CompareDictionaryKeys));
        }
        let ctx = SessionContext::new_with_state(state.build());
        ctx.register_parquet("t", path.to_str().unwrap(), Default::default())
            .await
            .unwrap();
        ctx
    }

    /// Whether the plan's scan filter holds a comparison on keys.
    fn compares_keys(plan: &Arc<dyn ExecutionPlan>) -> bool {
        let mut found = false;
        plan.apply(|node| {
            if let Some((_, source)) = node
                .downcast_ref::<datafusion::datasource::source::DataSourceExec>()
                .and_then(|scan| {
                    scan.downcast_to_file_source::<datafusion::datasource::physical_plan::ParquetSource>()
                })
                && let Some(filter) = datafusion::datasource::physical_plan::FileSource::filter(source)
            {
                filter.apply(|expr| {
                    found |= expr.downcast_ref::<DictionaryKeyComparison>().is_some();
                    Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
                })?;
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        })
        .unwrap();
        found
    }

    #[tokio::test]
    async fn scans_compare_keys_and_still_skip_row_groups_by_their_statistics() {
        let dir = tempfile::tempdir().unwrap();
        for sql in [
            "SELECT count(*) AS n FROM t WHERE action = 'block'",
            "SELECT count(*) AS n FROM t WHERE action <> 'block'",
            "SELECT count(*) AS n FROM t WHERE 'deny' = action",
            "SELECT count(*) AS n FROM t WHERE action = 'nothing'",
        ] {
            let mut answers = Vec::new();
            for rewrite in [false, true] {
                let ctx = session(dir.path(), rewrite).await;
                let frame = ctx.sql(sql).await.unwrap();
                let plan = frame.clone().create_physical_plan().await.unwrap();
                assert_eq!(compares_keys(&plan), rewrite, "{sql}");
                answers.push(
                    arrow::util::pretty::pretty_format_batches(&frame.collect().await.unwrap())
                        .unwrap()
                        .to_string(),
                );
            }
            assert_eq!(answers[0], answers[1], "{sql}");
        }

        let ctx = session(dir.path(), true).await;
        let explained = ctx
            .sql("EXPLAIN ANALYZE SELECT count(*) FROM t WHERE action = 'block'")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let explained = arrow::util::pretty::pretty_format_batches(&explained)
            .unwrap()
            .to_string();
        assert!(
            explained.contains("row_groups_pruned_statistics=2 total → 1 matched"),
            "{explained}"
        );
    }
}
