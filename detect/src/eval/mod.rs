//! Evaluation: a table program over one record batch, producing a mask per rule.
//!
//! ```text
//! for each rule on the table:
//!     mask = eval(root)
//! eval(n)         = scratch.nodes[n] or else compute it      // once per batch, shared
//! eval(Leaf i)    = all-null column? a constant : kernel(column)
//! eval(All xs)    = m = eval(x0); for x in rest { if m has no true bit: stop; m &= eval(x) }
//! eval(Any xs)    = m = eval(x0); for x in rest { if m is all true: stop;   m |= eval(x) }
//! eval(Not x)     = !eval(x)
//! string leaves   = the column's fused matcher, run once over its distinct values (a
//!                   dictionary column) or its valid rows, fills every member's mask
//! ```
//!
//! Masks carry no nulls ([`kernels`] turns a null cell into `false`), so combining them
//! is plain bitwise and/or/not over 64 rows per instruction — the same result as
//! `and_kleene`/`or_kleene` over null-free arrays, without allocating null buffers.
//! A rule whose conjuncts read columns that are all null in the batch therefore costs
//! one check per column and nothing per row.

mod cache;
pub mod kernels;

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder};
use arrow::buffer::{BooleanBuffer, Buffer};
use arrow::datatypes::{DataType, Int32Type};
use sanso_ingest::schema::{Table, col};

pub use self::cache::Scratch;
use self::cache::{Column, FusedHits};
use crate::compile::matcher::{ColumnMatcher, ScanScratch};
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
    scratch.reset(program);
    let mut evaluator = Evaluator {
        table,
        program,
        batch,
        scratch,
    };
    program
        .rules
        .iter()
        .map(|(rule, node)| Ok((*rule, evaluator.node(*node)?)))
        .collect()
}

struct Evaluator<'a> {
    table: Table,
    program: &'a TableProgram,
    batch: &'a RecordBatch,
    scratch: &'a mut Scratch,
}

impl Evaluator<'_> {
    fn node(&mut self, index: usize) -> Result<BooleanBuffer, EvalError> {
        if let Some(Some(mask)) = self.scratch.nodes.get(index) {
            return Ok(mask.clone()); // a reference-counted buffer: no copy
        }
        let rows = self.batch.num_rows();
        let program = self.program;
        let mask = match &program.nodes[index] {
            Node::Leaf(i) => self.leaf(*i)?,
            Node::Const(b) => constant(*b, rows),
            Node::Not(inner) => !&self.node(*inner)?,
            Node::All(items) => {
                let mut acc = BooleanBuffer::new_set(rows);
                for &item in items {
                    if acc.count_set_bits() == 0 {
                        break;
                    }
                    acc = &acc & &self.node(item)?;
                }
                acc
            }
            Node::Any(items) => {
                let mut acc = BooleanBuffer::new_unset(rows);
                for &item in items {
                    if acc.count_set_bits() == rows {
                        break;
                    }
                    acc = &acc | &self.node(item)?;
                }
                acc
            }
        };
        if let Some(slot) = self.scratch.nodes.get_mut(index) {
            *slot = Some(mask.clone());
        }
        Ok(mask)
    }

    fn leaf(&mut self, index: usize) -> Result<BooleanBuffer, EvalError> {
        let program = self.program;
        let leaf = &program.leaves[index];
        let column = self.column(&leaf.target)?;
        if column.all_null {
            let holds = matches!(leaf.kernel, Kernel::Null);
            return Ok(constant(holds, self.batch.num_rows()));
        }
        let array = column.array;
        Ok(match &leaf.kernel {
            Kernel::FieldRef { other, cased } => {
                let other = self.column(other)?;
                if other.all_null {
                    BooleanBuffer::new_unset(self.batch.num_rows())
                } else {
                    kernels::field_ref(&array, &other.array, *cased)?
                }
            }
            Kernel::Str { matcher, member } => {
                let hits = self.fused(*matcher, &array)?;
                match &hits.keys {
                    Some(keys) => kernels::gather(keys, &hits.members[*member]),
                    None => hits.members[*member].clone(),
                }
            }
            Kernel::Cidr(ranges) if array.data_type() == &DataType::Utf8 => {
                self.ip_keys(&leaf.target, &array).in_ranges(ranges)
            }
            kernel => kernels::eval(kernel, &array)?,
        })
    }

    /// The column a leaf reads, prepared once per batch: an `extra` key is pulled out
    /// of the map, and a string column that a matcher scans and whose values repeat is
    /// re-encoded as a dictionary, so that the scan runs once per distinct value.
    fn column(&mut self, target: &Target) -> Result<Column, EvalError> {
        if let Some(column) = self.scratch.columns.iter().find(|c| &c.target == target) {
            return Ok(column.clone());
        }
        let array = column(self.table, self.batch, target)?;
        let scanned = self
            .program
            .matchers
            .iter()
            .any(|m| m.scans && &m.target == target);
        let array = match target {
            // Unique per row by design: hashing would only cost.
            Target::Column(name) if name == col::RAW || name == col::SOURCE => array,
            _ if scanned => dictionary_if_repetitive(array)?,
            _ => array,
        };
        let column = Column {
            target: target.clone(),
            all_null: array.logical_null_count() == array.len(),
            array,
        };
        self.scratch.columns.push(column.clone());
        Ok(column)
    }

    /// Runs a column's fused matcher, once per batch, over the column's distinct values
    /// (a dictionary) or its valid rows.
    fn fused(&mut self, index: usize, array: &ArrayRef) -> Result<&FusedHits, EvalError> {
        let Scratch { fused, scan, .. } = &mut *self.scratch;
        Ok(match &mut fused[index] {
            Some(hits) => hits,
            slot @ None => slot.insert(fused_hits(
                &self.program.matchers[index].matcher,
                array,
                scan,
            )?),
        })
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

fn constant(value: bool, rows: usize) -> BooleanBuffer {
    if value {
        BooleanBuffer::new_set(rows)
    } else {
        BooleanBuffer::new_unset(rows)
    }
}

/// Every member's mask over the units the matcher runs on: the dictionary's values
/// (with the keys to map them to rows) or the rows themselves.
fn fused_hits(
    matcher: &ColumnMatcher,
    array: &ArrayRef,
    scan: &mut ScanScratch,
) -> Result<FusedHits, EvalError> {
    let (keys, text) = match array.data_type() {
        DataType::Dictionary(key, _) if **key == DataType::Int32 => {
            let dict = array.as_dictionary::<Int32Type>();
            let values = dict.values();
            let values = match values.data_type() {
                DataType::Utf8 => values.clone(),
                _ => arrow::compute::cast(values, &DataType::Utf8)?,
            };
            (Some(dict.keys().clone()), values)
        }
        DataType::Utf8 => (None, array.clone()),
        _ => (None, arrow::compute::cast(array, &DataType::Utf8)?),
    };
    let members = scan_units(matcher, text.as_string::<i32>(), scan);
    Ok(FusedHits { keys, members })
}

/// Scans every valid value once, setting the bit of each member it satisfies.
///
/// # Performance
///
/// Null cells are skipped 64 at a time, so a sparse column (a threat name present on
/// one row in ten) costs in proportion to its values, not its rows.
pub(crate) fn scan_units(
    matcher: &ColumnMatcher,
    text: &StringArray,
    scan: &mut ScanScratch,
) -> Vec<BooleanBuffer> {
    let len = text.len();
    let words = len.div_ceil(64);
    let mut bits = vec![0u64; words * matcher.members()];
    let offsets = text.value_offsets();
    let data = text.value_data();
    let mut one = |row: usize| {
        let value = &data[offsets[row] as usize..offsets[row + 1] as usize];
        let (word, bit) = (row / 64, 1u64 << (row % 64));
        matcher.scan(value, scan, |member| bits[member * words + word] |= bit);
    };
    match text.nulls() {
        Some(nulls) => nulls.valid_indices().for_each(&mut one),
        None => (0..len).for_each(&mut one),
    }
    (0..matcher.members())
        .map(|member| {
            let words = &bits[member * words..(member + 1) * words];
            BooleanBuffer::new(Buffer::from_slice_ref(words), 0, len)
        })
        .collect()
}

/// Columns shorter than this are evaluated as they are.
const MIN_DICTIONARY_ROWS: usize = 64;

/// Values looked at to guess whether a column repeats.
const SAMPLE: usize = 256;

/// A plain string column with at most one distinct value per two rows, as a
/// dictionary; anything else unchanged.
///
/// # Performance
///
/// A sample of [`SAMPLE`] evenly spaced values decides first, so a column of unique
/// values (addresses, URLs) costs a few hundred hash insertions, not a hashing pass.
/// A repetitive column costs one hashing pass, paid once for every leaf on it.
fn dictionary_if_repetitive(array: ArrayRef) -> Result<ArrayRef, EvalError> {
    if array.data_type() != &DataType::Utf8 || array.len() < MIN_DICTIONARY_ROWS {
        return Ok(array);
    }
    let text = array.as_string::<i32>();
    let step = (text.len() / SAMPLE).max(1);
    let mut seen = HashSet::with_capacity(SAMPLE);
    let mut sampled = 0;
    for row in (0..text.len()).step_by(step) {
        if text.is_valid(row) {
            sampled += 1;
            seen.insert(text.value(row));
        }
    }
    if seen.len() * 2 > sampled {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use arrow::array::StringArray;
    use sanso_ingest::batch::{Batches, Common};
    use sanso_ingest::event::{Event, NetworkEvent};
    use sanso_ingest::zones::ZoneMap;

    use super::*;
    use crate::ir::{Piece, StrPattern};
    use crate::{Detector, FieldMapping, Placeholders};

    #[test]
    fn only_repetitive_columns_become_dictionaries() {
        let unique: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..1000).map(|i| format!("10.0.{}.{}", i / 256, i % 256)),
        ));
        let out = dictionary_if_repetitive(unique).unwrap();
        assert_eq!(out.data_type(), &DataType::Utf8);
        let repeated: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..1000).map(|i| format!("user{}", i % 7)),
        ));
        let out = dictionary_if_repetitive(repeated).unwrap();
        assert!(matches!(out.data_type(), DataType::Dictionary(_, _)));
    }

    #[test]
    fn scans_skip_nulls_and_agree_with_each_row() {
        let cells: Vec<Option<String>> = (0..300)
            .map(|i| (i % 7 == 0).then(|| format!("trojan.x{}", i % 13)))
            .collect();
        let text = StringArray::from(cells.clone());
        let members = vec![
            vec![StrPattern::glob(
                [Piece::Star, Piece::Lit("x1".into()), Piece::Star],
                false,
            )],
            vec![StrPattern::Regex {
                pattern: "[05]$".into(),
                ignore_case: false,
                multi_line: false,
                dot_all: false,
            }],
        ];
        let matcher = ColumnMatcher::new(&members).unwrap();
        let got = scan_units(&matcher, &text, &mut ScanScratch::default());
        for (row, cell) in cells.iter().enumerate() {
            let cell = cell.as_deref();
            assert_eq!(got[0].value(row), cell.is_some_and(|c| c.contains("x1")));
            assert_eq!(
                got[1].value(row),
                cell.is_some_and(|c| c.ends_with('0') || c.ends_with('5'))
            );
        }
    }

    /// A batch of network events without any threat name.
    fn batch_without_threats() -> RecordBatch {
        let mut batches = Batches::new(Arc::new(ZoneMap::default()));
        for i in 0..100 {
            let common = Common {
                time: i,
                received_at: i,
                zone: None,
                device: Some("fw1"),
                format: Some("test"),
                source: "test",
                raw: "line",
                raw_bytes: None,
            };
            let event = NetworkEvent {
                action: Some(if i % 2 == 0 { "deny" } else { "allow" }),
                ..NetworkEvent::default()
            };
            batches.push(&common, &Event::Network(event));
        }
        batches.finish().remove(0).1
    }

    #[test]
    fn leaves_on_an_all_null_column_are_constants() {
        let text = "\
title: a\nid: A\nlogsource: {category: firewall}\ndetection:\n  \
sel: {threat|contains: x, action: deny}\n  condition: sel\n---\n\
title: b\nid: B\nlogsource: {category: firewall}\ndetection:\n  \
sel: {threat: null, action: deny}\n  condition: sel\n";
        let set = crate::sigma::parse_str(text, Path::new("t.yml"))
            .into_result()
            .unwrap();
        let detector =
            Detector::compile(&set, &FieldMapping::default(), &Placeholders::default()).unwrap();
        let matches = detector
            .evaluate(Table::Network, &batch_without_threats())
            .unwrap();
        assert_eq!(matches.len(), 1, "{matches:?}");
        assert_eq!(detector.rules()[matches[0].rule].meta.rule_id(), "B");
        assert_eq!(matches[0].rows.len(), 50);
    }
}
