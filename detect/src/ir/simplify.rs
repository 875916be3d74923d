//! Tidying the IR: flatten nested `All`/`Any`, fold constants, and merge alternatives
//! on one column into a single leaf.
//!
//! The merge is what lets the compiler run a `contains` list, or several selections
//! that test the same column, as one multi-pattern pass instead of one pass per value.

use super::expr::{Expr, Leaf, Test};

/// Simplifies an expression; the result means the same on every row.
pub fn simplify(expr: Expr) -> Expr {
    match expr {
        Expr::Not(inner) => match simplify(*inner) {
            Expr::Const(b) => Expr::Const(!b),
            Expr::Not(inner) => *inner,
            inner => Expr::Not(Box::new(inner)),
        },
        Expr::All(items) => junction(items, true),
        Expr::Any(items) => junction(items, false),
        leaf @ (Expr::Leaf(_) | Expr::Const(_)) => leaf,
    }
}

/// `All` (`is_all`) or `Any`: `identity` is the constant that drops out (true for
/// `All`), its opposite short-circuits the whole junction.
fn junction(items: Vec<Expr>, is_all: bool) -> Expr {
    let identity = is_all;
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match simplify(item) {
            Expr::Const(b) if b == identity => {}
            Expr::Const(_) => return Expr::Const(!identity),
            Expr::All(inner) if is_all => flat.extend(inner),
            Expr::Any(inner) if !is_all => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if !is_all {
        flat = merge_alternatives(flat);
    }
    match flat.len() {
        0 => Expr::Const(identity),
        1 => flat.remove(0),
        _ if is_all => Expr::All(flat),
        _ => Expr::Any(flat),
    }
}

/// Within an `Any`, joins string leaves on the same target into one leaf with all the
/// patterns, and CIDR leaves likewise; order of first appearance is kept.
fn merge_alternatives(items: Vec<Expr>) -> Vec<Expr> {
    let mut out: Vec<Expr> = Vec::with_capacity(items.len());
    for item in items {
        if let Expr::Leaf(Leaf { target, test }) = &item {
            let existing = out.iter_mut().find_map(|e| match e {
                Expr::Leaf(Leaf {
                    target: t,
                    test: existing,
                }) if t == target => match (existing, test) {
                    (Test::Str(a), Test::Str(_)) => Some(MergeInto::Str(a)),
                    (Test::Cidr(a), Test::Cidr(_)) => Some(MergeInto::Cidr(a)),
                    _ => None,
                },
                _ => None,
            });
            match (existing, test) {
                (Some(MergeInto::Str(a)), Test::Str(b)) => {
                    for p in b {
                        if !a.contains(p) {
                            a.push(p.clone());
                        }
                    }
                    continue;
                }
                (Some(MergeInto::Cidr(a)), Test::Cidr(b)) => {
                    a.extend(b.iter().copied());
                    a.sort_unstable();
                    a.dedup();
                    continue;
                }
                _ => {}
            }
        }
        out.push(item);
    }
    out
}

enum MergeInto<'a> {
    Str(&'a mut Vec<super::expr::StrPattern>),
    Cidr(&'a mut Vec<super::expr::IpRange>),
}

#[cfg(test)]
mod tests {
    use super::super::expr::{Piece, StrPattern, Target};
    use super::*;

    fn leaf(column: &str, lit: &str) -> Expr {
        Expr::Leaf(Leaf {
            target: Target::Column(column.into()),
            test: Test::Str(vec![StrPattern::glob([Piece::Lit(lit.into())], false)]),
        })
    }

    #[test]
    fn flattens_and_folds() {
        let e = Expr::All(vec![
            Expr::Const(true),
            Expr::All(vec![leaf("a", "1"), leaf("b", "2")]),
        ]);
        assert_eq!(simplify(e), Expr::All(vec![leaf("a", "1"), leaf("b", "2")]));
        assert_eq!(
            simplify(Expr::Any(vec![leaf("a", "1"), Expr::Const(true)])),
            Expr::Const(true)
        );
        assert_eq!(simplify(Expr::All(vec![])), Expr::Const(true));
        assert_eq!(simplify(Expr::Any(vec![])), Expr::Const(false));
        assert_eq!(
            simplify(Expr::Not(Box::new(Expr::Not(Box::new(leaf("a", "1")))))),
            leaf("a", "1")
        );
        assert_eq!(
            simplify(Expr::Not(Box::new(Expr::All(vec![])))),
            Expr::Const(false)
        );
    }

    #[test]
    fn merges_alternatives_on_one_column() {
        let e = Expr::Any(vec![
            leaf("a", "1"),
            leaf("b", "x"),
            Expr::Any(vec![leaf("a", "2"), leaf("a", "1")]),
        ]);
        let Expr::Any(items) = simplify(e) else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        let Expr::Leaf(Leaf {
            test: Test::Str(patterns),
            ..
        }) = &items[0]
        else {
            panic!()
        };
        assert_eq!(patterns.len(), 2);
    }
}
