//! The IR: a rule as a boolean expression over typed tests on sanso columns.
//!
//! Compared with the Sigma AST, the IR is small and easy to analyse: field names are
//! columns, every modifier has been applied (placeholders expanded, `windash` and
//! `base64` turned into literal alternatives, CIDRs into integer ranges), and a leaf is
//! one test on one column. The compiler ([`crate::compile`]) turns it into kernels; a
//! naive row-at-a-time interpreter over the same IR is the test oracle.
//!
//! # Semantics of a leaf on one row
//!
//! * A null cell matches only [`Test::Null`]; every other test is false on it.
//! * The *text* of a cell is the string for string columns and Arrow's `Utf8` cast of
//!   anything else (`443`, `true`).
//! * [`Test::Str`]: the text matches any of the patterns. A [`StrPattern::Glob`] matches
//!   the whole text, `*` any run of characters, `?` one character, comparing ASCII
//!   letters case-insensitively unless `cased`. A [`StrPattern::Regex`] is searched
//!   (unanchored).
//! * [`Test::Num`]: integer columns compare exactly, string cells are parsed as a number
//!   first (no match when they are not one).
//! * [`Test::Cidr`]: the text parses as an IPv4 or IPv6 address inside one of the ranges.

use std::fmt;
use std::net::IpAddr;

use sanso_ingest::zones::{Cidr, is_mapped_ipv4, range_holds};

use super::derived::Derived;
pub use sanso_ingest::zones::ip_key;

pub use crate::sigma::CmpOp;

/// A boolean expression over leaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every sub-expression holds.
    All(Vec<Expr>),
    /// At least one sub-expression holds.
    Any(Vec<Expr>),
    /// The sub-expression does not hold.
    Not(Box<Expr>),
    /// One test on one column.
    Leaf(Leaf),
    /// A constant.
    Const(bool),
}

/// One test on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// What is tested.
    pub target: Target,
    /// The test.
    pub test: Test,
}

/// Where a leaf reads its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A column of the table, by name.
    Column(String),
    /// A key of the `extra` map column.
    Extra(String),
    /// A value computed from other columns (JST hour, business hours, clock skew, ...).
    Derived(Derived),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Column(c) => f.write_str(c),
            Target::Extra(k) => write!(f, "extra['{k}']"),
            Target::Derived(d) => f.write_str(d.name()),
        }
    }
}

/// A test on one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The text matches any of the patterns.
    Str(Vec<StrPattern>),
    /// A numeric comparison, `cell op value`.
    Num {
        /// The operator.
        op: CmpOp,
        /// The right-hand side.
        value: Number,
    },
    /// The cell is this boolean (for string cells: its text is `true` / `false`).
    Bool(bool),
    /// The cell is an address inside one of the ranges.
    Cidr(Vec<IpRange>),
    /// The cell is null (the field is absent).
    Null,
    /// The cell is not null (`exists: true`).
    NotNull,
    /// The cell's text equals another field's text on the same row.
    FieldRef {
        /// The other field.
        other: Target,
        /// Compare case-sensitively.
        cased: bool,
    },
}

/// A string pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrPattern {
    /// A Sigma wildcard pattern, matched against the whole text.
    Glob {
        /// The pattern.
        pieces: Vec<Piece>,
        /// Compare ASCII letters case-sensitively.
        cased: bool,
    },
    /// A regular expression (`|re`), searched.
    Regex {
        /// The expression, in regex-automata syntax.
        pattern: String,
        /// `|re|i`.
        ignore_case: bool,
        /// `|re|m`.
        multi_line: bool,
        /// `|re|s`.
        dot_all: bool,
    },
}

/// A piece of a glob.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

impl StrPattern {
    /// A glob from pieces, normalised: adjacent literals joined, runs of `*` collapsed.
    pub fn glob(pieces: impl IntoIterator<Item = Piece>, cased: bool) -> StrPattern {
        let mut out: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (out.last_mut(), piece) {
                (_, Piece::Lit(s)) if s.is_empty() => {}
                (Some(Piece::Lit(prev)), Piece::Lit(s)) => prev.push_str(&s),
                (Some(Piece::Star), Piece::Star) => {}
                (_, piece) => out.push(piece),
            }
        }
        StrPattern::Glob { pieces: out, cased }
    }
}

/// A number in a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer, compared exactly with integer cells.
    Int(i128),
    /// A number with a fraction.
    Float(f64),
}

impl Number {
    /// Parses a decimal integer or float.
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(i) = text.parse::<i128>() {
            return Some(Number::Int(i));
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::Float)
    }

    /// `cell op self` for an integer cell.
    pub fn test_int(self, op: CmpOp, cell: i128) -> bool {
        match self {
            Number::Int(n) => op.test(cell, n),
            Number::Float(f) => op.test(cell as f64, f),
        }
    }

    /// `cell op self` for a numeric cell of either kind.
    pub fn test(self, op: CmpOp, cell: Number) -> bool {
        match (cell, self) {
            (Number::Int(c), _) => self.test_int(op, c),
            (Number::Float(c), Number::Int(n)) => op.test(c, n as f64),
            (Number::Float(c), Number::Float(n)) => op.test(c, n),
        }
    }
}

/// An inclusive address range; IPv4 addresses live in the IPv4-mapped IPv6 space
/// (`::ffff:a.b.c.d`), so one integer comparison serves both families. As in the zone
/// map's [`Cidr`], an IPv4 address is only in a range of IPv4 addresses, never in a
/// wider IPv6 range such as `::/0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    /// First address.
    pub first: u128,
    /// Last address.
    pub last: u128,
}

impl IpRange {
    /// Parses `10.0.0.0/8`, `fd00::/8` or a bare address, as the zone map does.
    pub fn parse(text: &str) -> Option<IpRange> {
        let (first, last) = Cidr::parse(text)?.bounds();
        Some(IpRange { first, last })
    }

    /// Whether the address key is inside.
    pub fn contains(&self, key: u128) -> bool {
        range_holds(self.first, self.last, key)
    }

    /// Whether the range holds IPv4 addresses only.
    pub fn is_ipv4(&self) -> bool {
        is_mapped_ipv4(self.first) && is_mapped_ipv4(self.last)
    }
}

/// Parses address text into its key; `None` when it is not an address.
pub fn parse_ip_key(text: &str) -> Option<u128> {
    text.parse::<IpAddr>().ok().map(ip_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_both_families() {
        let r = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(r.contains(parse_ip_key("10.255.1.2").unwrap()));
        assert!(!r.contains(parse_ip_key("11.0.0.0").unwrap()));
        let r = IpRange::parse("fd00::/8").unwrap();
        assert!(r.contains(parse_ip_key("fd12::1").unwrap()));
        assert!(!r.contains(parse_ip_key("10.0.0.1").unwrap()));
        let all = IpRange::parse("::/0").unwrap();
        assert!(all.contains(0) && all.contains(u128::MAX));
        assert!(
            !all.contains(parse_ip_key("10.0.0.1").unwrap()),
            "an IPv6 range holds no IPv4 address"
        );
        let mapped = IpRange::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(mapped.contains(parse_ip_key("10.0.0.1").unwrap()));
        assert_eq!(
            IpRange::parse("192.168.1.7").unwrap().first,
            parse_ip_key("192.168.1.7").unwrap()
        );
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        assert!(IpRange::parse("nope/8").is_none());
        // A /0 in IPv4 covers exactly the mapped IPv4 space.
        let v4 = IpRange::parse("0.0.0.0/0").unwrap();
        assert!(v4.contains(parse_ip_key("255.255.255.255").unwrap()));
        assert!(!v4.contains(parse_ip_key("::1").unwrap()));
    }

    #[test]
    fn numbers_compare_across_kinds() {
        assert!(Number::Int(10).test_int(CmpOp::Gte, 10));
        assert!(Number::Float(9.5).test_int(CmpOp::Gt, 10));
        assert!(Number::Int(3).test(CmpOp::Lt, Number::Float(2.5)));
        assert_eq!(Number::parse(" 42 "), Some(Number::Int(42)));
        assert_eq!(Number::parse("4.5"), Some(Number::Float(4.5)));
        assert_eq!(Number::parse("inf"), None);
        assert_eq!(Number::parse("x"), None);
    }

    #[test]
    fn globs_normalise() {
        let g = StrPattern::glob(
            [
                Piece::Star,
                Piece::Star,
                Piece::Lit("a".into()),
                Piece::Lit("b".into()),
                Piece::Lit(String::new()),
            ],
            false,
        );
        assert_eq!(
            g,
            StrPattern::Glob {
                pieces: vec![Piece::Star, Piece::Lit("ab".into())],
                cased: false
            }
        );
    }
}
