//! IR expressions as SQL predicates over one lake table.
//!
//! The SQL must mean exactly what the kernels compute (the semantics are written down in
//! [`crate::ir`]); the differences that matter, and how they are bridged:
//!
//! * SQL logic has three values and a null cell makes most tests null, where the IR has
//!   two and a null cell fails every test but [`Test::Null`]. `NOT` is therefore written
//!   `NOT coalesce(e, false)`: for the monotone `AND`/`OR` below it, null-as-false at the
//!   negation gives the two-valued answer, and `WHERE` already drops nulls at the top.
//! * The *text* of a non-string cell is its `Utf8` cast, as in the kernels
//!   (`CAST(port AS VARCHAR)`); integer comparisons read the integers themselves.
//! * Globs become `LIKE` (`ILIKE` unless cased) with `%`, `_` and `\` escaped; CIDR
//!   ranges become `cidr_contains` calls, one per prefix of the range; regular
//!   expressions keep their flags as an inline group in `regexp_like`.
//! * The lake keeps `zone` in the partition path, with `unknown` for rows that had none;
//!   `NULLIF` turns it back into the null the batch had.

use std::net::{Ipv4Addr, Ipv6Addr};

use arrow::datatypes::DataType;
use sanso_ingest::schema::{Table, col};

use super::SqlError;
use crate::ir::{CmpOp, Expr, IpRange, Leaf, Number, Piece, StrPattern, Target, Test};

/// The partition value the lake writes for rows without a zone.
const UNKNOWN_ZONE: &str = "unknown";

/// `expr` as a SQL boolean expression over `table`'s columns.
pub fn predicate(table: Table, expr: &Expr) -> Result<String, SqlError> {
    let mut out = String::new();
    write_expr(table, expr, &mut out)?;
    Ok(out)
}

/// A string literal: single quotes doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A column name, quoted so that keywords and odd characters are safe.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn write_expr(table: Table, expr: &Expr, out: &mut String) -> Result<(), SqlError> {
    match expr {
        Expr::Const(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Expr::All(items) | Expr::Any(items) if items.is_empty() => {
            out.push_str(if matches!(expr, Expr::All(_)) {
                "TRUE"
            } else {
                "FALSE"
            });
        }
        Expr::All(items) | Expr::Any(items) => {
            let joiner = if matches!(expr, Expr::All(_)) {
                " AND "
            } else {
                " OR "
            };
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                write_expr(table, item, out)?;
            }
            out.push(')');
        }
        Expr::Not(inner) => {
            out.push_str("(NOT coalesce(");
            write_expr(table, inner, out)?;
            out.push_str(", FALSE))");
        }
        Expr::Leaf(leaf) => write_leaf(table, leaf, out)?,
    }
    Ok(())
}

/// The SQL of a target's value, and its Arrow type in the lake.
pub fn value(table: Table, target: &Target) -> Result<(String, DataType), SqlError> {
    match target {
        Target::Column(name) if name == col::ZONE => Ok((
            format!("NULLIF({}, {})", ident(col::ZONE), quote(UNKNOWN_ZONE)),
            DataType::Utf8,
        )),
        Target::Column(name) => {
            let schema = table.schema();
            let field = schema
                .field_with_name(name)
                .map_err(|_| SqlError::UnknownColumn {
                    table,
                    column: name.clone(),
                })?;
            Ok((ident(name), field.data_type().clone()))
        }
        Target::Extra(key) => Ok((
            format!("{}[{}]", ident(col::EXTRA), quote(key)),
            DataType::Utf8,
        )),
        // Derived fields (ir::derived) are computed per batch and have no lake column yet.
        Target::Derived(derived) => Err(SqlError::UnknownColumn {
            table,
            column: derived.name().to_owned(),
        }),
    }
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// The text of a target, as the kernels see it: strings as they are, anything else
/// through the `Utf8` cast.
pub fn text(table: Table, target: &Target) -> Result<String, SqlError> {
    let (sql, data_type) = value(table, target)?;
    Ok(if is_text(&data_type) {
        sql
    } else {
        format!("CAST({sql} AS VARCHAR)")
    })
}

fn write_leaf(table: Table, leaf: &Leaf, out: &mut String) -> Result<(), SqlError> {
    let (sql, data_type) = value(table, &leaf.target)?;
    let text = || -> Result<String, SqlError> { text(table, &leaf.target) };
    let rendered = match &leaf.test {
        Test::Null => format!("({sql} IS NULL)"),
        Test::NotNull => format!("({sql} IS NOT NULL)"),
        Test::Bool(want) if data_type == DataType::Boolean => {
            format!("({sql} = {})", if *want { "TRUE" } else { "FALSE" })
        }
        Test::Bool(want) => format!(
            "(lower({}) = {})",
            text()?,
            quote(if *want { "true" } else { "false" })
        ),
        Test::Num { op, value } => {
            let op = cmp(*op);
            let literal = number(*value)?;
            match data_type {
                // Microseconds, as the kernels compare them.
                DataType::Timestamp(_, _) => format!("(CAST({sql} AS BIGINT) {op} {literal})"),
                _ if data_type.is_integer() => format!("({sql} {op} {literal})"),
                // Number::parse: trimmed decimal text; not-a-number text never matches.
                _ => format!("(try_cast(trim({}) AS DOUBLE) {op} {literal})", text()?),
            }
        }
        Test::Str(patterns) => {
            let text = text()?;
            let alternatives: Vec<String> = patterns.iter().map(|p| pattern(&text, p)).collect();
            any(&alternatives)
        }
        Test::Cidr(ranges) => {
            let text = text()?;
            let alternatives: Vec<String> = ranges
                .iter()
                .flat_map(|r| prefixes(*r))
                .map(|prefix| format!("cidr_contains({text}, {})", quote(&prefix)))
                .collect();
            any(&alternatives)
        }
        Test::FieldRef { other, cased } => {
            let left = text()?;
            let right = self::text(table, other)?;
            if *cased {
                format!("({left} = {right})")
            } else {
                format!("(lower({left}) = lower({right}))")
            }
        }
    };
    out.push_str(&rendered);
    Ok(())
}

/// `(a OR b ...)`, or `FALSE` for no alternatives.
fn any(alternatives: &[String]) -> String {
    if alternatives.is_empty() {
        "FALSE".to_owned()
    } else {
        format!("({})", alternatives.join(" OR "))
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Lte => "<=",
        CmpOp::Gt => ">",
        CmpOp::Gte => ">=",
        CmpOp::Eq => "=",
    }
}

fn number(value: Number) -> Result<String, SqlError> {
    match value {
        Number::Int(i) => i64::try_from(i)
            .map(|i| i.to_string())
            .map_err(|_| SqlError::IntegerRange(i)),
        // `{:?}` keeps a decimal point (`2.0`), so SQL reads a double, not an integer.
        Number::Float(f) => Ok(format!("{f:?}")),
    }
}

fn pattern(text: &str, pattern: &StrPattern) -> String {
    match pattern {
        StrPattern::Glob { pieces, cased } => {
            let mut like = String::new();
            for piece in pieces {
                match piece {
                    Piece::Star => like.push('%'),
                    Piece::One => like.push('_'),
                    Piece::Lit(lit) => {
                        for c in lit.chars() {
                            if matches!(c, '%' | '_' | '\\') {
                                like.push('\\');
                            }
                            like.push(c);
                        }
                    }
                }
            }
            let op = if *cased { "LIKE" } else { "ILIKE" };
            format!("{text} {op} {}", quote(&like))
        }
        StrPattern::Regex {
            pattern,
            ignore_case,
            multi_line,
            dot_all,
        } => {
            let flags: String = [(*ignore_case, 'i'), (*multi_line, 'm'), (*dot_all, 's')]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| *f)
                .collect();
            let pattern = if flags.is_empty() {
                pattern.clone()
            } else {
                format!("(?{flags}){pattern}")
            };
            format!("regexp_like({text}, {})", quote(&pattern))
        }
    }
}

/// The CIDR prefixes that cover an inclusive address range exactly, IPv4 ones written
/// as IPv4 (the kernels' IPv4 addresses live in the IPv4-mapped IPv6 space).
fn prefixes(range: IpRange) -> Vec<String> {
    const MAPPED: u128 = 0xffff_0000_0000;
    let mask = |bits: u32| {
        if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        }
    };
    let mut out = Vec::new();
    let mut start = range.first;
    while start <= range.last {
        let mut bits = if start == 0 {
            128
        } else {
            start.trailing_zeros()
        };
        while start | mask(bits) > range.last {
            bits -= 1;
        }
        let end = start | mask(bits);
        if bits <= 32 && start >> 32 == MAPPED >> 32 {
            let v4 = Ipv4Addr::from((start & 0xffff_ffff) as u32);
            out.push(format!("{v4}/{}", 32 - bits));
        } else {
            out.push(format!("{}/{}", Ipv6Addr::from(start), 128 - bits));
        }
        match end.checked_add(1) {
            Some(next) if end < range.last => start = next,
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(column: &str, test: Test) -> Expr {
        Expr::Leaf(Leaf {
            target: Target::Column(column.into()),
            test,
        })
    }

    #[test]
    fn ranges_become_exact_prefixes() {
        let r = IpRange::parse("10.0.0.0/8").unwrap();
        assert_eq!(prefixes(r), ["10.0.0.0/8"]);
        let r = IpRange {
            first: IpRange::parse("10.0.0.1").unwrap().first,
            last: IpRange::parse("10.0.0.6").unwrap().first,
        };
        assert_eq!(
            prefixes(r),
            ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]
        );
        assert_eq!(prefixes(IpRange::parse("::/0").unwrap()), ["::/0"]);
        assert_eq!(prefixes(IpRange::parse("fd00::/8").unwrap()), ["fd00::/8"]);
        assert_eq!(
            prefixes(IpRange::parse("0.0.0.0/0").unwrap()),
            ["0.0.0.0/0"]
        );
    }

    #[test]
    fn globs_escape_like_metacharacters() {
        let expr = leaf(
            "url",
            Test::Str(vec![StrPattern::glob(
                [Piece::Star, Piece::Lit("50%_it's\\".into()), Piece::One],
                false,
            )]),
        );
        assert_eq!(
            predicate(Table::Http, &expr).unwrap(),
            r#"("url" ILIKE '%50\%\_it''s\\_')"#
        );
    }

    #[test]
    fn negation_treats_null_as_false() {
        let expr = Expr::Not(Box::new(leaf(
            "user",
            Test::Str(vec![StrPattern::glob([Piece::Lit("root".into())], true)]),
        )));
        assert_eq!(
            predicate(Table::Auth, &expr).unwrap(),
            r#"(NOT coalesce(("user" LIKE 'root'), FALSE))"#
        );
    }

    #[test]
    fn numbers_read_integers_or_parse_text() {
        let port = leaf(
            "dst_port",
            Test::Num {
                op: CmpOp::Lt,
                value: Number::Int(1024),
            },
        );
        assert_eq!(
            predicate(Table::Network, &port).unwrap(),
            r#"("dst_port" < 1024)"#
        );
        let text = leaf(
            "user",
            Test::Num {
                op: CmpOp::Gte,
                value: Number::Float(2.0),
            },
        );
        assert_eq!(
            predicate(Table::Auth, &text).unwrap(),
            r#"(try_cast(trim("user") AS DOUBLE) >= 2.0)"#
        );
        let huge = leaf(
            "dst_port",
            Test::Num {
                op: CmpOp::Eq,
                value: Number::Int(i128::from(u64::MAX)),
            },
        );
        assert!(matches!(
            predicate(Table::Network, &huge),
            Err(SqlError::IntegerRange(_))
        ));
    }

    #[test]
    fn unknown_columns_are_errors() {
        let expr = leaf("nope", Test::NotNull);
        assert!(matches!(
            predicate(Table::Auth, &expr),
            Err(SqlError::UnknownColumn { .. })
        ));
    }
}
