//! The back end: IR to a program of vectorised kernels, per table.
//!
//! Each table gets one [`TableProgram`]: a list of distinct leaves, shared by every rule
//! that runs on the table (two rules testing `action = deny` evaluate it once per
//! batch), and per rule a tree of [`Node`]s over those leaves. A leaf is a
//! [`Kernel`] chosen at compile time (string matcher, numeric comparison, CIDR ranges,
//! null test, field reference) plus the column it reads; evaluation picks the array
//! shape (dictionary, string, integer, boolean) once per batch and never interprets
//! the rule per row.

pub mod matcher;

use std::collections::{BTreeMap, HashMap};

use sanso_ingest::schema::Table;

use self::matcher::StrMatcher;
use crate::error::{CompileError, CompileErrorKind};
use crate::ir::{CmpOp, Expr, IpRange, Leaf, Lowered, Number, Target, Test};

/// What a leaf tests, with everything that can be built ahead of time built.
#[derive(Debug, Clone)]
pub enum Kernel {
    /// String alternatives.
    Str(StrMatcher),
    /// `cell op value`.
    Num {
        /// The operator.
        op: CmpOp,
        /// The right-hand side.
        value: Number,
    },
    /// Boolean equality.
    Bool(bool),
    /// Address ranges, sorted and merged.
    Cidr(Vec<IpRange>),
    /// The cell is null.
    Null,
    /// The cell is not null.
    NotNull,
    /// Equal to another column on the same row.
    FieldRef {
        /// The other column.
        other: Target,
        /// Case-sensitive comparison.
        cased: bool,
    },
}

/// A leaf: a kernel applied to a column.
#[derive(Debug, Clone)]
pub struct CompiledLeaf {
    /// The column.
    pub target: Target,
    /// The test.
    pub kernel: Kernel,
}

/// A rule's expression over leaf indices.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Conjunction, evaluated left to right, stopping when nothing is left true.
    All(Vec<Node>),
    /// Disjunction, stopping when everything is true.
    Any(Vec<Node>),
    /// Negation.
    Not(Box<Node>),
    /// A leaf of the table program.
    Leaf(usize),
    /// A constant.
    Const(bool),
}

/// Everything that runs on one table.
#[derive(Debug, Clone, Default)]
pub struct TableProgram {
    /// Distinct leaves, shared by the rules.
    pub leaves: Vec<CompiledLeaf>,
    /// `(rule index, expression)` for every rule on the table.
    pub rules: Vec<(usize, Node)>,
}

/// Compiles the lowered rules into one program per table.
pub fn compile(lowered: &Lowered) -> Result<BTreeMap<Table, TableProgram>, Vec<CompileError>> {
    let mut programs: BTreeMap<Table, TableProgram> = BTreeMap::new();
    let mut interned: HashMap<(Table, String), usize> = HashMap::new();
    let mut errors = Vec::new();
    for (index, rule) in lowered.rules.iter().enumerate() {
        for (table, expr) in &rule.tables {
            let program = programs.entry(*table).or_default();
            let mut builder = Builder {
                table: *table,
                program,
                interned: &mut interned,
            };
            match builder.node(expr) {
                Ok(node) => builder.program.rules.push((index, node)),
                Err(kind) => errors.push(CompileError {
                    rule: rule.meta.label(),
                    kind,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(programs)
    } else {
        Err(errors)
    }
}

struct Builder<'a> {
    table: Table,
    program: &'a mut TableProgram,
    interned: &'a mut HashMap<(Table, String), usize>,
}

impl Builder<'_> {
    fn node(&mut self, expr: &Expr) -> Result<Node, CompileErrorKind> {
        Ok(match expr {
            Expr::All(items) => Node::All(
                items
                    .iter()
                    .map(|e| self.node(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Any(items) => Node::Any(
                items
                    .iter()
                    .map(|e| self.node(e))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(inner) => Node::Not(Box::new(self.node(inner)?)),
            Expr::Const(b) => Node::Const(*b),
            Expr::Leaf(leaf) => Node::Leaf(self.leaf(leaf)?),
        })
    }

    /// The index of an equal leaf compiled before, or of a new one.
    fn leaf(&mut self, leaf: &Leaf) -> Result<usize, CompileErrorKind> {
        // The IR's Debug form is a faithful key: it spells out target, test and every
        // pattern, and it is only computed at compile time.
        let key = (self.table, format!("{:?}/{:?}", leaf.target, leaf.test));
        if let Some(&index) = self.interned.get(&key) {
            return Ok(index);
        }
        let kernel = match &leaf.test {
            Test::Str(patterns) => Kernel::Str(StrMatcher::new(patterns).map_err(|e| {
                CompileErrorKind::InvalidValue {
                    field: leaf.target.to_string(),
                    reason: format!("patterns do not compile: {}", e.0),
                }
            })?),
            Test::Num { op, value } => Kernel::Num {
                op: *op,
                value: *value,
            },
            Test::Bool(b) => Kernel::Bool(*b),
            Test::Cidr(ranges) => Kernel::Cidr(merge_ranges(ranges)),
            Test::Null => Kernel::Null,
            Test::NotNull => Kernel::NotNull,
            Test::FieldRef { other, cased } => Kernel::FieldRef {
                other: other.clone(),
                cased: *cased,
            },
        };
        let index = self.program.leaves.len();
        self.program.leaves.push(CompiledLeaf {
            target: leaf.target.clone(),
            kernel,
        });
        self.interned.insert(key, index);
        Ok(index)
    }
}

/// Sorts ranges and merges overlapping or adjacent ones, so that a lookup is a binary
/// search.
fn merge_ranges(ranges: &[IpRange]) -> Vec<IpRange> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<IpRange> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.first <= last.last.saturating_add(1) => {
                last.last = last.last.max(r.last)
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge() {
        let r = |a, b| IpRange { first: a, last: b };
        assert_eq!(
            merge_ranges(&[r(10, 20), r(0, 5), r(6, 8), r(15, 30), r(40, 50)]),
            [r(0, 8), r(10, 30), r(40, 50)]
        );
        assert_eq!(merge_ranges(&[r(0, u128::MAX), r(5, 6)]), [r(0, u128::MAX)]);
    }
}
