//! Evaluation: a table program over one record batch, producing a mask per rule.
//!
//! ```text
//! for each rule on the table:
//!     mask = eval(node)
//! eval(Leaf i)  = scratch.leaves[i] or else kernel(column)   // once per batch, shared by rules
//! eval(All xs)  = m = eval(x0); for x in rest { if m has no true bit: stop; m &= eval(x) }
//! eval(Any xs)  = m = eval(x0); for x in rest { if m is all true: stop;   m |= eval(x) }
//! eval(Not x)   = !eval(x)
//! ```
//!
//! Masks carry no nulls ([`kernels`] turns a null cell into `false`), so combining them
//! is plain bitwise and/or/not over 64 rows per instruction — the same result as
//! `and_kleene`/`or_kleene` over null-free arrays, without allocating null buffers.

mod cache;
pub mod kernels;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::DataType;
use sanso_ingest::schema::{Table, col};

pub use self::cache::Scratch;
use crate::compile::{Kernel, Node, TableProgram};
use crate::error::EvalError;
use crate::ir::Target;

/// Evaluates every rule of `program`; returns `(rule index, mask)` for each.
pub fn evaluate(
    table: Table,
    program: &TableProgram,
    batch: &RecordBatch,
    scratch: &mut Scratch,
) -> Result<Vec<(usize, BooleanBuffer)>, EvalError> {
    scratch.reset(program.leaves.len());
    let mut evaluator = Evaluator {
        table,
        program,
        batch,
        scratch,
    };
    program
        .rules
        .iter()
        .map(|(rule, node)| Ok((*rule, evaluator.node(node)?)))
        .collect()
}

struct Evaluator<'a> {
    table: Table,
    program: &'a TableProgram,
    batch: &'a RecordBatch,
    scratch: &'a mut Scratch,
}

impl Evaluator<'_> {
    fn node(&mut self, node: &Node) -> Result<BooleanBuffer, EvalError> {
        let rows = self.batch.num_rows();
        match node {
            Node::Leaf(i) => self.leaf(*i),
            Node::Const(b) => Ok(if *b {
                BooleanBuffer::new_set(rows)
            } else {
                BooleanBuffer::new_unset(rows)
            }),
            Node::Not(inner) => Ok(!&self.node(inner)?),
            Node::All(items) => {
                let Some((first, rest)) = items.split_first() else {
                    return Ok(BooleanBuffer::new_set(rows));
                };
                let mut acc = self.node(first)?;
                for item in rest {
                    if acc.count_set_bits() == 0 {
                        break;
                    }
                    acc = &acc & &self.node(item)?;
                }
                Ok(acc)
            }
            Node::Any(items) => {
                let Some((first, rest)) = items.split_first() else {
                    return Ok(BooleanBuffer::new_unset(rows));
                };
                let mut acc = self.node(first)?;
                for item in rest {
                    if acc.count_set_bits() == rows {
                        break;
                    }
                    acc = &acc | &self.node(item)?;
                }
                Ok(acc)
            }
        }
    }

    fn leaf(&mut self, index: usize) -> Result<BooleanBuffer, EvalError> {
        if let Some(Some(mask)) = self.scratch.leaves.get(index) {
            return Ok(mask.clone()); // a reference-counted buffer: no copy
        }
        let leaf = &self.program.leaves[index];
        let column = self.column(&leaf.target)?;
        let mask = match &leaf.kernel {
            Kernel::FieldRef { other, cased } => {
                let other = self.column(other)?;
                kernels::field_ref(&column, &other, *cased)?
            }
            Kernel::Cidr(ranges) if column.data_type() == &DataType::Utf8 => {
                self.ip_keys(&leaf.target, &column).in_ranges(ranges)
            }
            kernel => kernels::eval(kernel, &column, &mut self.scratch.fold)?,
        };
        if let Some(slot) = self.scratch.leaves.get_mut(index) {
            *slot = Some(mask.clone());
        }
        Ok(mask)
    }

    /// The column a leaf reads, prepared once per batch: an `extra` key is pulled out
    /// of the map, and a string column with many repeated values is re-encoded as a
    /// dictionary so that every leaf on it runs once per distinct value.
    fn column(&mut self, target: &Target) -> Result<ArrayRef, EvalError> {
        if let Some((_, array)) = self.scratch.columns.iter().find(|(t, _)| t == target) {
            return Ok(array.clone());
        }
        let array = column(self.table, self.batch, target)?;
        let array = match target {
            // Unique per row by design: hashing would only cost.
            Target::Column(name) if name == col::RAW || name == col::SOURCE => array,
            _ => dictionary_if_repetitive(array)?,
        };
        self.scratch.columns.push((target.clone(), array.clone()));
        Ok(array)
    }

    fn ip_keys(&mut self, target: &Target, column: &ArrayRef) -> &kernels::IpKeys {
        let at = match self.scratch.ip_keys.iter().position(|(t, _)| t == target) {
            Some(at) => at,
            None => {
                self.scratch.ip_keys.push((
                    target.clone(),
                    kernels::IpKeys::new(column.as_string::<i32>()),
                ));
                self.scratch.ip_keys.len() - 1
            }
        };
        &self.scratch.ip_keys[at].1
    }
}

/// Columns shorter than this are evaluated as they are.
const MIN_DICTIONARY_ROWS: usize = 64;

/// A plain string column with at most one distinct value per two rows, as a
/// dictionary; anything else unchanged.
///
/// # Performance
///
/// One hashing pass over the column per batch, paid once for all the leaves that read
/// it; it pays off as soon as two leaves share the column or values repeat.
fn dictionary_if_repetitive(array: ArrayRef) -> Result<ArrayRef, EvalError> {
    if array.data_type() != &DataType::Utf8 || array.len() < MIN_DICTIONARY_ROWS {
        return Ok(array);
    }
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let encoded = arrow::compute::cast(&array, &dictionary)?;
    let distinct = encoded.as_any_dictionary().values().len();
    Ok(if distinct * 2 <= array.len() {
        encoded
    } else {
        array
    })
}

/// The array a target reads: a column, or one key of the `extra` map as a string column.
pub fn column(table: Table, batch: &RecordBatch, target: &Target) -> Result<ArrayRef, EvalError> {
    let named = |name: &str| {
        batch
            .column_by_name(name)
            .cloned()
            .ok_or_else(|| EvalError::MissingColumn {
                table,
                column: name.to_owned(),
            })
    };
    match target {
        Target::Column(name) => named(name),
        Target::Extra(key) => extra_values(table, &named(col::EXTRA)?, key),
        Target::Derived(derived) => derived.evaluate(table, batch),
    }
}

/// The value of `key` in each row's `extra` map, as a string column (null where the key
/// is absent).
///
/// # Performance
///
/// One pass over all map entries of the batch, once per key and batch (the result is
/// cached in the [`Scratch`]).
fn extra_values(table: Table, extra: &ArrayRef, key: &str) -> Result<ArrayRef, EvalError> {
    let bad = || EvalError::BadExtra {
        table,
        found: extra.data_type().to_string(),
    };
    let DataType::Map(_, _) = extra.data_type() else {
        return Err(bad());
    };
    let map = extra.as_map();
    let (Some(keys), Some(values)) = (
        map.keys().as_string_opt::<i32>(),
        map.values().as_string_opt::<i32>(),
    ) else {
        return Err(bad());
    };
    let offsets = map.value_offsets();
    let mut out = StringBuilder::with_capacity(map.len(), 0);
    for row in 0..map.len() {
        let found = if map.is_valid(row) {
            (offsets[row] as usize..offsets[row + 1] as usize)
                .find(|&e| keys.is_valid(e) && keys.value(e) == key)
        } else {
            None
        };
        match found {
            Some(e) if values.is_valid(e) => out.append_value(values.value(e)),
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}
