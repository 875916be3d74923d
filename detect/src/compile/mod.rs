//! The back end: IR to a program of vectorised kernels, per table.
//!
//! Each table gets one [`TableProgram`], shared by every rule that runs on the table:
//!
//! * distinct *leaves*: a [`Kernel`] chosen at compile time (string patterns, numeric
//!   comparison, CIDR ranges, null test, field reference) plus the column it reads;
//!   two rules testing `action = deny` evaluate it once per batch;
//! * per column, one [`ColumnMatcher`] for all the string-pattern leaves on it, so a
//!   value is scanned once whatever the number of rules testing it;
//! * distinct *nodes*: the rules' boolean expressions, hash-consed, so that a
//!   sub-expression several rules share (a filter, a common selection) is a single
//!   node and evaluates once per batch. Within a conjunction or disjunction the
//!   cheapest operands come first, so that short-circuiting skips the dear ones.
//!
//! Evaluation picks the array shape (dictionary, string, integer, boolean) once per
//! batch and never interprets the rule per row.

pub mod matcher;

use std::collections::{BTreeMap, HashMap};

use sanso_ingest::schema::Table;

use self::matcher::ColumnMatcher;
use crate::error::{CompileError, CompileErrorKind};
use crate::ir::{CmpOp, Expr, IpRange, Leaf, Lowered, Number, StrPattern, Target, Test};

/// What a leaf tests, with everything that can be built ahead of time built.
#[derive(Debug, Clone)]
pub enum Kernel {
    /// String alternatives: one member of a column's [`ColumnMatcher`].
    Str {
        /// Index into [`TableProgram::matchers`].
        matcher: usize,
        /// The member of that matcher this leaf is.
        member: usize,
    },
    /// `cell op value`.
    Num {
        /// The operator.
        op: CmpOp,
        /// The right-hand side.
        value: Number,
    },
    /// Boolean equality.
    Bool(bool),
    /// Address ranges.
    Cidr(CidrRanges),
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

impl Kernel {
    /// A rough relative cost per row, to put cheap operands of a conjunction first.
    fn cost(&self) -> u32 {
        match self {
            Kernel::Null | Kernel::NotNull => 1,
            Kernel::Num { .. } | Kernel::Bool(_) => 2,
            Kernel::Str { .. } => 4,
            Kernel::Cidr(_) => 6,
            Kernel::FieldRef { .. } => 8,
        }
    }
}

/// CIDR ranges, sorted and merged, in both key spaces: the full `u128` space of
/// [`crate::ir::ip_key`], and the part inside the IPv4-mapped block as `u32`
/// `(first, last - first)` pairs, for columns whose addresses are all IPv4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrRanges {
    /// Sorted, disjoint, non-adjacent ranges.
    pub wide: Vec<IpRange>,
    /// The same ranges clipped to IPv4, as `(first address, span)`.
    pub v4: Vec<(u32, u32)>,
}

/// The IPv4-mapped block of the IPv6 space, where [`crate::ir::ip_key`] puts IPv4.
pub const V4_MAPPED: IpRange = IpRange {
    first: 0xffff_0000_0000,
    last: 0xffff_ffff_ffff,
};

impl CidrRanges {
    /// Sorts and merges `ranges`, and derives the IPv4 view. An IPv6 range that spans
    /// the IPv4-mapped block keeps only its parts outside it (see [`IpRange`]).
    pub fn new(ranges: &[IpRange]) -> CidrRanges {
        let pieces: Vec<IpRange> = ranges
            .iter()
            .flat_map(|&r| {
                if r.is_ipv4() {
                    return [Some(r), None];
                }
                let below = (r.first < V4_MAPPED.first).then(|| IpRange {
                    first: r.first,
                    last: r.last.min(V4_MAPPED.first - 1),
                });
                let above = (r.last > V4_MAPPED.last).then(|| IpRange {
                    first: r.first.max(V4_MAPPED.last + 1),
                    last: r.last,
                });
                [below, above]
            })
            .flatten()
            .collect();
        let wide = merge_ranges(&pieces);
        let v4 = wide
            .iter()
            .filter_map(|r| {
                let first = r.first.max(V4_MAPPED.first);
                let last = r.last.min(V4_MAPPED.last);
                (first <= last).then(|| {
                    let base = (first - V4_MAPPED.first) as u32;
                    (base, (last - first) as u32)
                })
            })
            .collect();
        CidrRanges { wide, v4 }
    }
}

/// A leaf: a kernel applied to a column.
#[derive(Debug, Clone)]
pub struct CompiledLeaf {
    /// The column.
    pub target: Target,
    /// The test.
    pub kernel: Kernel,
}

/// A node of the rules' expression graph; children are indices into
/// [`TableProgram::nodes`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// Conjunction, evaluated in order, stopping when nothing is left true.
    All(Vec<usize>),
    /// Disjunction, stopping when everything is true.
    Any(Vec<usize>),
    /// Negation.
    Not(usize),
    /// A leaf of the table program.
    Leaf(usize),
    /// A constant.
    Const(bool),
}

/// The string-pattern leaves on one column, compiled together.
#[derive(Debug, Clone)]
pub struct FusedColumn {
    /// The column.
    pub target: Target,
    /// Its matcher; member `i` is leaf `leaves[i]`.
    pub matcher: ColumnMatcher,
    /// Whether some member needs a scan (`contains`, regex, ...) rather than only
    /// exact comparisons, so that reducing a repetitive column to its distinct values
    /// first pays off.
    pub scans: bool,
}

/// Everything that runs on one table.
#[derive(Debug, Clone, Default)]
pub struct TableProgram {
    /// Distinct leaves, shared by the rules.
    pub leaves: Vec<CompiledLeaf>,
    /// One matcher per column that string-pattern leaves read.
    pub matchers: Vec<FusedColumn>,
    /// Distinct nodes; a node's children come before it.
    pub nodes: Vec<Node>,
    /// `(rule index, root node)` for every rule on the table.
    pub rules: Vec<(usize, usize)>,
}

/// A table's program while rules are added to it.
#[derive(Default)]
struct Draft {
    program: TableProgram,
    leaves: HashMap<String, usize>,
    nodes: HashMap<Node, usize>,
    /// Per node: its cost estimate.
    costs: Vec<u32>,
    /// Per string column: the members' patterns and whether one needs a scan.
    columns: Vec<(Target, Vec<Vec<StrPattern>>, bool)>,
}

/// Compiles the lowered rules into one program per table.
pub fn compile(lowered: &Lowered) -> Result<BTreeMap<Table, TableProgram>, Vec<CompileError>> {
    let mut drafts: BTreeMap<Table, Draft> = BTreeMap::new();
    let mut errors = Vec::new();
    for (index, rule) in lowered.rules.iter().enumerate() {
        for (table, expr) in &rule.tables {
            let draft = drafts.entry(*table).or_default();
            match draft.node(expr) {
                Ok(node) => draft.program.rules.push((index, node)),
                Err(kind) => errors.push(CompileError {
                    rule: rule.meta.label(),
                    kind,
                }),
            }
        }
    }
    let mut programs = BTreeMap::new();
    for (table, draft) in drafts {
        let mut program = draft.program;
        for (target, members, scans) in draft.columns {
            match ColumnMatcher::new(&members) {
                Ok(matcher) => program.matchers.push(FusedColumn {
                    target,
                    matcher,
                    scans,
                }),
                // Every member compiled alone (`matcher::check`), and a union too
                // large for one regex falls back to one per member: this is a bug.
                Err(e) => errors.push(CompileError {
                    rule: lowered.rules[program.rules[0].0].meta.label(),
                    kind: CompileErrorKind::InvalidValue {
                        field: target.to_string(),
                        reason: format!("patterns do not compile together: {}", e.0),
                    },
                }),
            }
        }
        programs.insert(table, program);
    }
    if errors.is_empty() {
        Ok(programs)
    } else {
        Err(errors)
    }
}

impl Draft {
    fn node(&mut self, expr: &Expr) -> Result<usize, CompileErrorKind> {
        let node = match expr {
            Expr::All(items) => Node::All(self.operands(items)?),
            Expr::Any(items) => Node::Any(self.operands(items)?),
            Expr::Not(inner) => Node::Not(self.node(inner)?),
            Expr::Const(b) => Node::Const(*b),
            Expr::Leaf(leaf) => Node::Leaf(self.leaf(leaf)?),
        };
        Ok(self.intern(node))
    }

    /// The operands of a conjunction or disjunction, cheapest first.
    fn operands(&mut self, items: &[Expr]) -> Result<Vec<usize>, CompileErrorKind> {
        let mut nodes = items
            .iter()
            .map(|e| self.node(e))
            .collect::<Result<Vec<_>, _>>()?;
        // By index after cost, so that operand order does not make equal expressions
        // distinct nodes.
        nodes.sort_by_key(|&n| (self.costs[n], n));
        nodes.dedup();
        Ok(nodes)
    }

    /// The index of an equal node built before, or of a new one.
    fn intern(&mut self, node: Node) -> usize {
        if let Some(&index) = self.nodes.get(&node) {
            return index;
        }
        let cost = match &node {
            Node::All(items) | Node::Any(items) => items.iter().map(|&i| self.costs[i]).sum(),
            Node::Not(inner) => self.costs[*inner],
            Node::Leaf(leaf) => {
                let leaf = &self.program.leaves[*leaf];
                let read = match leaf.target {
                    Target::Column(_) => 0,
                    Target::Extra(_) | Target::Derived(_) => 4,
                };
                leaf.kernel.cost() + read
            }
            Node::Const(_) => 0,
        };
        let index = self.program.nodes.len();
        self.program.nodes.push(node.clone());
        self.costs.push(cost);
        self.nodes.insert(node, index);
        index
    }

    /// The index of an equal leaf compiled before, or of a new one.
    fn leaf(&mut self, leaf: &Leaf) -> Result<usize, CompileErrorKind> {
        // The IR's Debug form is a faithful key: it spells out target, test and every
        // pattern, and it is only computed at compile time.
        let key = format!("{:?}/{:?}", leaf.target, leaf.test);
        if let Some(&index) = self.leaves.get(&key) {
            return Ok(index);
        }
        let kernel = match &leaf.test {
            Test::Str(patterns) => self.member(&leaf.target, patterns)?,
            Test::Num { op, value } => Kernel::Num {
                op: *op,
                value: *value,
            },
            Test::Bool(b) => Kernel::Bool(*b),
            Test::Cidr(ranges) => Kernel::Cidr(CidrRanges::new(ranges)),
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
        self.leaves.insert(key, index);
        Ok(index)
    }

    /// Adds a string-pattern leaf to its column's matcher.
    fn member(
        &mut self,
        target: &Target,
        patterns: &[StrPattern],
    ) -> Result<Kernel, CompileErrorKind> {
        matcher::check(patterns).map_err(|e| CompileErrorKind::InvalidValue {
            field: target.to_string(),
            reason: format!("patterns do not compile: {}", e.0),
        })?;
        let at = match self.columns.iter().position(|(t, _, _)| t == target) {
            Some(at) => at,
            None => {
                self.columns.push((target.clone(), Vec::new(), false));
                self.columns.len() - 1
            }
        };
        let (_, members, scans) = &mut self.columns[at];
        *scans |= patterns.iter().any(|p| !is_exact(p));
        members.push(patterns.to_vec());
        Ok(Kernel::Str {
            matcher: at,
            member: members.len() - 1,
        })
    }
}

/// Whether a pattern is a plain equality (no wildcard, not a regex).
fn is_exact(pattern: &StrPattern) -> bool {
    matches!(pattern, StrPattern::Glob { pieces, .. }
        if pieces.iter().all(|p| matches!(p, crate::ir::Piece::Lit(_))))
}

/// Sorts ranges and merges overlapping or adjacent ones, so that a lookup is a binary
/// search.
fn merge_ranges(ranges: &[IpRange]) -> Vec<IpRange> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<IpRange> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            // An IPv4 range that touches an IPv6 one stays apart from it, so that each
            // merged range is of one family, as `IpRange::contains` reads it.
            Some(last)
                if r.first <= last.last.saturating_add(1) && r.is_ipv4() == last.is_ipv4() =>
            {
                last.last = last.last.max(r.last)
            }
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::ir::{FieldMapping, Placeholders};

    fn program(text: &str) -> TableProgram {
        let set = crate::sigma::parse_str(text, Path::new("t.yml"))
            .into_result()
            .unwrap();
        let lowered = crate::ir::lower(&set, &FieldMapping::default(), &Placeholders::default());
        let mut programs = compile(&lowered).unwrap();
        programs.remove(&Table::Network).unwrap()
    }

    const SHARED_FILTER: &str = "\
title: a\nid: A\nlogsource: {category: firewall}\ndetection:\n  sel: {application: ssh}\n  \
filter: {action: [deny, drop], dst_port: 22}\n  condition: sel and not filter\n---\n\
title: b\nid: B\nlogsource: {category: firewall}\ndetection:\n  sel: {application: rdp}\n  \
filter: {dst_port: 22, action: [deny, drop]}\n  condition: not filter and sel\n";

    #[test]
    fn rules_share_sub_expressions() {
        let p = program(SHARED_FILTER);
        let [(_, a), (_, b)] = p.rules[..] else {
            panic!("two rules: {:?}", p.rules)
        };
        let (Node::All(a), Node::All(b)) = (&p.nodes[a], &p.nodes[b]) else {
            panic!("conjunctions: {:?}", p.nodes)
        };
        let shared: Vec<_> = a.iter().filter(|n| b.contains(n)).collect();
        assert_eq!(shared.len(), 1, "{a:?} / {b:?}");
        assert!(matches!(p.nodes[*shared[0]], Node::Not(_)));
    }

    #[test]
    fn string_leaves_of_a_column_share_one_matcher() {
        let p = program(SHARED_FILTER);
        let apps: Vec<_> = p
            .leaves
            .iter()
            .filter_map(|l| match l.kernel {
                Kernel::Str { matcher, member } => Some((matcher, member)),
                _ => None,
            })
            .filter(|&(m, _)| p.matchers[m].target == Target::Column("app".into()))
            .collect();
        assert_eq!(apps.len(), 2);
        assert_eq!(apps[0].0, apps[1].0, "one matcher for the column");
        assert_ne!(apps[0].1, apps[1].1, "one member per leaf");
        assert!(!p.matchers[apps[0].0].scans, "equality only: no scan");
    }

    #[test]
    fn ipv4_view_clips_to_the_mapped_block() {
        let ranges = CidrRanges::new(&[
            IpRange::parse("10.0.0.0/8").unwrap(),
            IpRange::parse("::/0").unwrap(),
        ]);
        let ten = IpRange::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            ranges.wide,
            [
                IpRange {
                    first: 0,
                    last: V4_MAPPED.first - 1
                },
                ten,
                IpRange {
                    first: V4_MAPPED.last + 1,
                    last: u128::MAX
                },
            ],
            "`::/0` holds every IPv6 address and no IPv4 one"
        );
        assert_eq!(ranges.v4, [(0x0a00_0000, 0x00ff_ffff)]);
        let all_v4 = CidrRanges::new(&[IpRange::parse("0.0.0.0/0").unwrap()]);
        assert_eq!(all_v4.v4, [(0, u32::MAX)]);
        let ranges = CidrRanges::new(&[
            IpRange::parse("10.1.0.0/16").unwrap(),
            IpRange::parse("fd00::/8").unwrap(),
        ]);
        assert_eq!(ranges.v4, [(0x0a01_0000, 0xffff)]);
    }

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
