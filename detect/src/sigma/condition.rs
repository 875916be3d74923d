//! The detection condition: a hand-written recursive-descent parser into an AST.
//!
//! ```text
//! condition  := or
//! or         := and ("or" and)*
//! and        := not ("and" not)*
//! not        := "not" not | primary
//! primary    := "(" or ")" | quantifier "of" target | identifier
//! quantifier := "1" | "any" | "all"
//! target     := "them" | identifier-pattern        (with `*` wildcards)
//! ```
//!
//! Precedence is the usual one, `not` > `and` > `or`; keywords are case-insensitive.
//! Errors carry the 1-based column where the parser stopped, so a rule author can find
//! the mistake in a long condition. The legacy aggregation after `|` is split off before
//! this parser runs (see [`super::legacy`]).

use std::fmt;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A search identifier, e.g. `selection`.
    Search(String),
    /// `1 of sel*`, `all of them`, ...
    Of {
        /// `1`/`any` or `all`.
        quantifier: Quantifier,
        /// `None` for `them`, otherwise a pattern over search identifiers.
        pattern: Option<String>,
    },
    /// Negation.
    Not(Box<Condition>),
    /// Conjunction of two or more conditions.
    And(Vec<Condition>),
    /// Disjunction of two or more conditions.
    Or(Vec<Condition>),
}

/// How many of the selected searches must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// `1 of` / `any of`.
    Any,
    /// `all of`.
    All,
}

/// Why a condition did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// 1-based column (in characters) where the problem is.
    pub column: usize,
    /// What went wrong there.
    pub kind: ConditionErrorKind,
}

/// The kinds of condition syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConditionErrorKind {
    /// The condition is empty.
    Empty,
    /// A character that cannot start a token.
    BadCharacter(char),
    /// A token where something else was expected.
    Unexpected {
        /// What the parser wanted.
        expected: &'static str,
        /// What it found.
        found: String,
    },
    /// The condition ended too early.
    UnexpectedEnd {
        /// What the parser wanted.
        expected: &'static str,
    },
    /// `2 of ...` and other counts: Sigma defines only `1 of` and `all of`.
    UnsupportedQuantifier(String),
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: ", self.column)?;
        match &self.kind {
            ConditionErrorKind::Empty => f.write_str("empty condition"),
            ConditionErrorKind::BadCharacter(c) => write!(f, "unexpected character `{c}`"),
            ConditionErrorKind::Unexpected { expected, found } => {
                write!(f, "expected {expected}, found `{found}`")
            }
            ConditionErrorKind::UnexpectedEnd { expected } => {
                write!(f, "expected {expected}, found the end of the condition")
            }
            ConditionErrorKind::UnsupportedQuantifier(q) => {
                write!(
                    f,
                    "unsupported quantifier `{q} of` (only `1 of`, `any of` and `all of`)"
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
}

struct Lexed<'a> {
    token: Token<'a>,
    column: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '*')
}

fn lex(text: &str) -> Result<Vec<Lexed<'_>>, ConditionError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some((column, (start, c))) = chars.next() {
        let column = column + 1;
        let token = match c {
            c if c.is_whitespace() => continue,
            '(' => Token::Open,
            ')' => Token::Close,
            c if is_word_char(c) => {
                let mut end = start + c.len_utf8();
                while let Some((_, (i, c))) = chars.peek().copied() {
                    if !is_word_char(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                Token::Word(&text[start..end])
            }
            c => {
                return Err(ConditionError {
                    column,
                    kind: ConditionErrorKind::BadCharacter(c),
                });
            }
        };
        tokens.push(Lexed { token, column });
    }
    Ok(tokens)
}

/// Parses a condition (without any `| aggregation`).
pub fn parse(text: &str) -> Result<Condition, ConditionError> {
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err(ConditionError {
            column: 1,
            kind: ConditionErrorKind::Empty,
        });
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        end_column: text.chars().count() + 1,
    };
    let condition = parser.or()?;
    if let Some(extra) = parser.tokens.get(parser.pos) {
        return Err(ConditionError {
            column: extra.column,
            kind: ConditionErrorKind::Unexpected {
                expected: "`and`, `or` or the end of the condition",
                found: show(&extra.token),
            },
        });
    }
    Ok(condition)
}

fn show(token: &Token<'_>) -> String {
    match token {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Word(w) => (*w).into(),
    }
}

fn is_keyword(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

const RESERVED: [&str; 7] = ["and", "or", "not", "of", "them", "all", "any"];

struct Parser<'a> {
    tokens: Vec<Lexed<'a>>,
    pos: usize,
    end_column: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.pos).map(|l| &l.token)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if is_keyword(w, keyword))
    }

    fn error(&self, expected: &'static str) -> ConditionError {
        match self.tokens.get(self.pos) {
            Some(l) => ConditionError {
                column: l.column,
                kind: ConditionErrorKind::Unexpected {
                    expected,
                    found: show(&l.token),
                },
            },
            None => ConditionError {
                column: self.end_column,
                kind: ConditionErrorKind::UnexpectedEnd { expected },
            },
        }
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut terms = vec![self.and()?];
        while self.peek_keyword("or") {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Condition::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut terms = vec![self.not()?];
        while self.peek_keyword("and") {
            self.pos += 1;
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Condition::And(terms)
        })
    }

    fn not(&mut self) -> Result<Condition, ConditionError> {
        if self.peek_keyword("not") {
            self.pos += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ConditionError> {
        const EXPECTED: &str = "a search identifier, `not`, `(`, `1 of` or `all of`";
        match self.peek().cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(self.error("`)`"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let next = self.tokens.get(self.pos + 1).map(|l| &l.token);
                let next_is_of = matches!(next, Some(Token::Word(w)) if is_keyword(w, "of"));
                if next_is_of {
                    return self.of(word);
                }
                if RESERVED.iter().any(|k| is_keyword(word, k)) || word.contains('*') {
                    return Err(self.error(EXPECTED));
                }
                self.pos += 1;
                Ok(Condition::Search(word.to_owned()))
            }
            _ => Err(self.error(EXPECTED)),
        }
    }

    /// `quantifier of target`, with the parser at the quantifier.
    fn of(&mut self, quantifier: &str) -> Result<Condition, ConditionError> {
        let column = self.tokens[self.pos].column;
        let quantifier = if quantifier == "1" || is_keyword(quantifier, "any") {
            Quantifier::Any
        } else if is_keyword(quantifier, "all") {
            Quantifier::All
        } else if quantifier.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConditionError {
                column,
                kind: ConditionErrorKind::UnsupportedQuantifier(quantifier.to_owned()),
            });
        } else {
            return Err(self.error("`1`, `any` or `all` before `of`"));
        };
        self.pos += 2;
        match self.peek() {
            Some(Token::Word(w)) if is_keyword(w, "them") => {
                self.pos += 1;
                Ok(Condition::Of {
                    quantifier,
                    pattern: None,
                })
            }
            Some(Token::Word(w)) if !RESERVED.iter().any(|k| is_keyword(w, k)) => {
                let pattern = (*w).to_owned();
                self.pos += 1;
                Ok(Condition::Of {
                    quantifier,
                    pattern: Some(pattern),
                })
            }
            _ => Err(self.error("`them` or a search identifier pattern after `of`")),
        }
    }
}

/// Whether a search identifier matches an `of` pattern (`*` matches any run of
/// characters, everything else literally).
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match pieces.split_first() {
        Some(split) => split,
        None => return name.is_empty(),
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for piece in middle {
        match remaining.find(piece) {
            Some(i) => remaining = &remaining[i + piece.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Condition {
        Condition::Search(name.into())
    }

    #[test]
    fn precedence_is_not_and_or() {
        let c = parse("a or b and not c").unwrap();
        assert_eq!(
            c,
            Condition::Or(vec![
                s("a"),
                Condition::And(vec![s("b"), Condition::Not(Box::new(s("c")))])
            ])
        );
        let c = parse("not a and b").unwrap();
        assert_eq!(
            c,
            Condition::And(vec![Condition::Not(Box::new(s("a"))), s("b")])
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let c = parse("(a or b) and c").unwrap();
        assert_eq!(
            c,
            Condition::And(vec![Condition::Or(vec![s("a"), s("b")]), s("c")])
        );
        assert_eq!(parse("((a))").unwrap(), s("a"));
    }

    #[test]
    fn quantified_patterns() {
        assert_eq!(
            parse("1 of sel* and not all of filter_*").unwrap(),
            Condition::And(vec![
                Condition::Of {
                    quantifier: Quantifier::Any,
                    pattern: Some("sel*".into())
                },
                Condition::Not(Box::new(Condition::Of {
                    quantifier: Quantifier::All,
                    pattern: Some("filter_*".into())
                })),
            ])
        );
        assert_eq!(
            parse("ALL OF them").unwrap(),
            Condition::Of {
                quantifier: Quantifier::All,
                pattern: None
            }
        );
        assert_eq!(
            parse("any of them").unwrap(),
            Condition::Of {
                quantifier: Quantifier::Any,
                pattern: None
            }
        );
    }

    #[test]
    fn chains_flatten() {
        assert_eq!(
            parse("a and b and c").unwrap(),
            Condition::And(vec![s("a"), s("b"), s("c")])
        );
        assert_eq!(
            parse("a or b or c").unwrap(),
            Condition::Or(vec![s("a"), s("b"), s("c")])
        );
        assert_eq!(
            parse("not not a").unwrap(),
            Condition::Not(Box::new(Condition::Not(Box::new(s("a")))))
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse("sel and").unwrap_err();
        assert_eq!(e.column, 8);
        assert!(matches!(e.kind, ConditionErrorKind::UnexpectedEnd { .. }));
        let e = parse("(a or b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "column 8: expected `)`, found the end of the condition"
        );
        let e = parse("a b").unwrap_err();
        assert_eq!(e.column, 3);
        let e = parse("a & b").unwrap_err();
        assert_eq!(
            e,
            ConditionError {
                column: 3,
                kind: ConditionErrorKind::BadCharacter('&')
            }
        );
        let e = parse("2 of sel*").unwrap_err();
        assert_eq!(
            e.kind,
            ConditionErrorKind::UnsupportedQuantifier("2".into())
        );
        assert_eq!(parse("  ").unwrap_err().kind, ConditionErrorKind::Empty);
        assert!(parse("a and or b").is_err());
        assert!(parse("sel*").is_err());
        assert!(parse("1 of").is_err());
        assert!(parse(")").is_err());
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = parse("選択 and )").unwrap_err();
        assert_eq!(e.column, 8);
    }

    #[test]
    fn patterns_match_identifiers() {
        assert!(pattern_matches("sel*", "selection"));
        assert!(pattern_matches("sel*", "sel"));
        assert!(!pattern_matches("sel*", "filter"));
        assert!(pattern_matches("*_main", "filter_main"));
        assert!(pattern_matches("a*b*c", "axxbyyc"));
        assert!(!pattern_matches("a*b*c", "axxc"));
        assert!(pattern_matches("exact", "exact"));
        assert!(!pattern_matches("exact", "exactly"));
        assert!(pattern_matches("*", "anything"));
        assert!(!pattern_matches("ab*ba", "aba"));
    }
}
