//! A naive, row-at-a-time interpreter of the IR: the oracle the vectorised engine is
//! checked against. It follows the semantics written in `sanso_detect::ir` and shares
//! nothing with the kernels but the IR types, `Number` and the regex engine.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, TimestampMicrosecondType};
use regex_automata::meta::Regex;
use sanso_detect::ir::{Expr, Number, Piece, StrPattern, Target, Test, parse_ip_key};

enum Cell {
    Null,
    Value {
        text: String,
        int: Option<i128>,
        boolean: Option<bool>,
    },
}

fn cell(batch: &RecordBatch, target: &Target, row: usize) -> Cell {
    let array: ArrayRef = match target {
        Target::Column(name) => batch.column_by_name(name).expect("column exists").clone(),
        // Derived values are inputs here, not what the oracle checks: the kernels that
        // test them are.
        Target::Derived(d) => d
            .evaluate(sanso_ingest::schema::Table::Network, batch)
            .expect("derived"),
        Target::Extra(key) => {
            let map = batch
                .column_by_name("extra")
                .expect("extra")
                .as_map()
                .clone();
            if map.is_null(row) {
                return Cell::Null;
            }
            let entries = map.value(row);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1).as_string::<i32>();
            return match (0..keys.len()).find(|&i| keys.value(i) == key) {
                Some(i) if values.is_valid(i) => Cell::Value {
                    text: values.value(i).to_owned(),
                    int: None,
                    boolean: None,
                },
                _ => Cell::Null,
            };
        }
    };
    let slice = array.slice(row, 1);
    let null = match slice.data_type() {
        DataType::Dictionary(_, _) => {
            let d = slice.as_dictionary::<Int32Type>();
            d.keys().is_null(0) || d.values().is_null(d.keys().value(0) as usize)
        }
        _ => slice.is_null(0),
    };
    if null {
        return Cell::Null;
    }
    let text = cast(&slice, &DataType::Utf8)
        .unwrap()
        .as_string::<i32>()
        .value(0)
        .to_owned();
    let int = match slice.data_type() {
        DataType::Timestamp(_, _) => Some(i128::from(
            slice.as_primitive::<TimestampMicrosecondType>().value(0),
        )),
        t if t.is_integer() => Some(text.parse().unwrap()),
        _ => None,
    };
    let boolean = (slice.data_type() == &DataType::Boolean).then(|| slice.as_boolean().value(0));
    Cell::Value { text, int, boolean }
}

fn eq_char(a: char, b: char, cased: bool) -> bool {
    if cased {
        a == b
    } else {
        a.eq_ignore_ascii_case(&b)
    }
}

fn glob(pieces: &[Piece], s: &[char], cased: bool) -> bool {
    match pieces.split_first() {
        None => s.is_empty(),
        Some((Piece::Lit(lit), rest)) => {
            let lit: Vec<char> = lit.chars().collect();
            s.len() >= lit.len()
                && lit.iter().zip(s).all(|(a, b)| eq_char(*a, *b, cased))
                && glob(rest, &s[lit.len()..], cased)
        }
        Some((Piece::One, rest)) => !s.is_empty() && glob(rest, &s[1..], cased),
        Some((Piece::Star, rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..], cased)),
    }
}

fn pattern(p: &StrPattern, text: &str) -> bool {
    match p {
        StrPattern::Glob { pieces, cased } => {
            glob(pieces, &text.chars().collect::<Vec<_>>(), *cased)
        }
        StrPattern::Regex {
            pattern,
            ignore_case,
            multi_line,
            dot_all,
        } => {
            let config = regex_automata::util::syntax::Config::new()
                .case_insensitive(*ignore_case)
                .multi_line(*multi_line)
                .dot_matches_new_line(*dot_all);
            let re = Regex::builder().syntax(config).build(pattern).unwrap();
            re.is_match(text)
        }
    }
}

fn test(batch: &RecordBatch, target: &Target, t: &Test, row: usize) -> bool {
    let c = cell(batch, target, row);
    let Cell::Value { text, int, boolean } = c else {
        return matches!(t, Test::Null);
    };
    match t {
        Test::Null => false,
        Test::NotNull => true,
        Test::Str(patterns) => patterns.iter().any(|p| pattern(p, &text)),
        Test::Num { op, value } => match int {
            Some(i) => value.test_int(*op, i),
            None => Number::parse(&text).is_some_and(|n| value.test(*op, n)),
        },
        Test::Bool(b) => match boolean {
            Some(v) => v == *b,
            None => text.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        },
        Test::Cidr(ranges) => {
            parse_ip_key(&text).is_some_and(|k| ranges.iter().any(|r| r.contains(k)))
        }
        Test::FieldRef { other, cased } => match cell(batch, other, row) {
            Cell::Value { text: other, .. } => {
                if *cased {
                    text == other
                } else {
                    text.eq_ignore_ascii_case(&other)
                }
            }
            Cell::Null => false,
        },
    }
}

/// Whether `expr` holds on `row`.
pub fn eval(batch: &RecordBatch, expr: &Expr, row: usize) -> bool {
    match expr {
        Expr::All(items) => items.iter().all(|e| eval(batch, e, row)),
        Expr::Any(items) => items.iter().any(|e| eval(batch, e, row)),
        Expr::Not(inner) => !eval(batch, inner, row),
        Expr::Const(b) => *b,
        Expr::Leaf(leaf) => test(batch, &leaf.target, &leaf.test, row),
    }
}

/// The rows `expr` matches.
pub fn rows(batch: &RecordBatch, expr: &Expr) -> Vec<u32> {
    (0..batch.num_rows())
        .filter(|&r| eval(batch, expr, r))
        .map(|r| r as u32)
        .collect()
}
