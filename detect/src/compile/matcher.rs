//! String matchers: a set of [`StrPattern`] alternatives compiled into the fewest
//! passes over a value.
//!
//! Patterns are sorted by shape, once, at compile time:
//!
//! | shape | kernel |
//! |---|---|
//! | `lit` (exact) | length check + byte compare, or a hash set when there are many |
//! | `lit*` / `*lit` | prefix / suffix byte compare |
//! | `*lit*` | one Aho-Corasick automaton for all of them (ASCII case folding built in) |
//! | anything else (`?`, inner `*`, `re`) | one multi-pattern regex-automata meta regex |
//!
//! so a `contains` list of fifty strings is still one pass over each value.
//!
//! # Performance
//!
//! Matching a value costs at most one hash lookup, a few short compares, one
//! Aho-Corasick scan and one regex search, whatever the number of patterns. Building is
//! the expensive part (automata construction); it happens once per rule set.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::Regex;

use crate::ir::{Piece, StrPattern};

/// Exact literals up to this many are compared one by one; more go into a hash set.
const LINEAR_EXACT: usize = 8;

/// Compiled alternatives for one leaf.
#[derive(Debug, Clone)]
pub struct StrMatcher {
    exact: Vec<Literal>,
    exact_set: HashSet<Box<[u8]>>,
    exact_set_cased: HashSet<Box<[u8]>>,
    prefixes: Vec<Literal>,
    suffixes: Vec<Literal>,
    contains: Option<AhoCorasick>,
    contains_cased: Option<AhoCorasick>,
    regex: Option<Regex>,
}

#[derive(Debug, Clone)]
struct Literal {
    bytes: Box<[u8]>,
    cased: bool,
}

impl Literal {
    fn eq(&self, hay: &[u8]) -> bool {
        if self.cased {
            *self.bytes == *hay
        } else {
            self.bytes.eq_ignore_ascii_case(hay)
        }
    }
}

/// A matcher could not be built (a regex too large for the engine's limits).
#[derive(Debug, Clone)]
pub struct BuildError(pub String);

impl StrMatcher {
    /// Sorts the patterns by shape and builds one kernel per shape.
    pub fn new(patterns: &[StrPattern]) -> Result<StrMatcher, BuildError> {
        let mut exact = Vec::new();
        let mut prefixes = Vec::new();
        let mut suffixes = Vec::new();
        let mut contains = Vec::new();
        let mut contains_cased = Vec::new();
        let mut regexes = Vec::new();
        for pattern in patterns {
            match pattern {
                StrPattern::Glob { pieces, cased } => {
                    let literal = |s: &str| Literal {
                        bytes: s.as_bytes().into(),
                        cased: *cased,
                    };
                    match pieces.as_slice() {
                        [] => exact.push(literal("")),
                        [Piece::Lit(s)] => exact.push(literal(s)),
                        [Piece::Lit(s), Piece::Star] => prefixes.push(literal(s)),
                        [Piece::Star, Piece::Lit(s)] => suffixes.push(literal(s)),
                        [Piece::Star, Piece::Lit(s), Piece::Star] if *cased => {
                            contains_cased.push(s.clone())
                        }
                        [Piece::Star, Piece::Lit(s), Piece::Star] => contains.push(s.clone()),
                        _ => regexes.push(glob_regex(pieces, *cased)),
                    }
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
                    regexes.push(if flags.is_empty() {
                        pattern.clone()
                    } else {
                        format!("(?{flags}){pattern}")
                    });
                }
            }
        }
        let (mut exact_set, mut exact_set_cased) = (HashSet::new(), HashSet::new());
        if exact.len() > LINEAR_EXACT {
            for lit in exact.drain(..) {
                if lit.cased {
                    exact_set_cased.insert(lit.bytes);
                } else {
                    exact_set.insert(lit.bytes.to_ascii_lowercase().into_boxed_slice());
                }
            }
        }
        let automaton =
            |patterns: Vec<String>, fold: bool| -> Result<Option<AhoCorasick>, BuildError> {
                if patterns.is_empty() {
                    return Ok(None);
                }
                // An empty literal matches everything; the automaton handles that too.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(fold)
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&patterns)
                    .map(Some)
                    .map_err(|e| BuildError(e.to_string()))
            };
        let regex = if regexes.is_empty() {
            None
        } else {
            Some(Regex::new_many(&regexes).map_err(|e| BuildError(e.to_string()))?)
        };
        Ok(StrMatcher {
            exact,
            exact_set,
            exact_set_cased,
            prefixes,
            suffixes,
            contains: automaton(contains, true)?,
            contains_cased: automaton(contains_cased, false)?,
            regex,
        })
    }

    /// Whether any alternative matches `hay`. `fold` is scratch space for lower-casing
    /// (only used with many case-insensitive exact literals).
    #[inline]
    pub fn is_match(&self, hay: &[u8], fold: &mut Vec<u8>) -> bool {
        if self.exact.iter().any(|l| l.eq(hay)) {
            return true;
        }
        if !self.exact_set.is_empty() {
            fold.clear();
            fold.extend(hay.iter().map(u8::to_ascii_lowercase));
            if self.exact_set.contains(fold.as_slice()) {
                return true;
            }
        }
        if !self.exact_set_cased.is_empty() && self.exact_set_cased.contains(hay) {
            return true;
        }
        let prefix = |l: &Literal| hay.len() >= l.bytes.len() && l.eq(&hay[..l.bytes.len()]);
        if self.prefixes.iter().any(prefix) {
            return true;
        }
        let suffix =
            |l: &Literal| hay.len() >= l.bytes.len() && l.eq(&hay[hay.len() - l.bytes.len()..]);
        if self.suffixes.iter().any(suffix) {
            return true;
        }
        if self.contains.as_ref().is_some_and(|ac| ac.is_match(hay)) {
            return true;
        }
        if self
            .contains_cased
            .as_ref()
            .is_some_and(|ac| ac.is_match(hay))
        {
            return true;
        }
        self.regex.as_ref().is_some_and(|re| re.is_match(hay))
    }
}

/// A glob as an anchored regex. Case folding is ASCII only (`[aA]`), matching the
/// literal kernels; `*` and `?` are Unicode-aware (`?` is one character, not one byte).
fn glob_regex(pieces: &[Piece], cased: bool) -> String {
    let mut out = String::from("(?s)^");
    for piece in pieces {
        match piece {
            Piece::Star => out.push_str(".*"),
            Piece::One => out.push('.'),
            Piece::Lit(s) => {
                for c in s.chars() {
                    if !cased && c.is_ascii_alphabetic() {
                        out.push('[');
                        out.push(c.to_ascii_lowercase());
                        out.push(c.to_ascii_uppercase());
                        out.push(']');
                    } else {
                        if "\\.+*?()|[]{}^$#&-~".contains(c) {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
            }
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::values::parse_glob;

    fn m(patterns: &[(&str, bool)]) -> StrMatcher {
        let patterns: Vec<_> = patterns
            .iter()
            .map(|(p, cased)| StrPattern::glob(parse_glob(p), *cased))
            .collect();
        StrMatcher::new(&patterns).unwrap()
    }

    fn hit(m: &StrMatcher, hay: &str) -> bool {
        m.is_match(hay.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn each_shape() {
        let x = m(&[
            ("Admin", false),
            ("svc_*", false),
            ("*.exe", false),
            ("*mimikatz*", false),
            ("a?c*d", false),
        ]);
        for yes in [
            "admin",
            "ADMIN",
            "svc_backup",
            "SVC_",
            "run.EXE",
            "xxMimiKatzxx",
            "abcd",
            "aXcYYd",
        ] {
            assert!(hit(&x, yes), "{yes}");
        }
        for no in [
            "administrator",
            "my_svc",
            "exe.",
            "mimi",
            "acd",
            "abcde",
            "",
        ] {
            assert!(!hit(&x, no), "{no}");
        }
    }

    #[test]
    fn cased_and_many_exact() {
        let x = m(&[("Root", true), ("*Key*", true)]);
        assert!(hit(&x, "Root") && !hit(&x, "root"));
        assert!(hit(&x, "aKeyb") && !hit(&x, "akeyb"));
        let names: Vec<String> = (0..20).map(|i| format!("User{i}")).collect();
        let patterns: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), false)).collect();
        let x = m(&patterns);
        assert!(hit(&x, "user7") && hit(&x, "USER19") && !hit(&x, "user20"));
    }

    #[test]
    fn globs_escape_regex_syntax_and_fold_ascii_only() {
        let x = m(&[("a.b?(c)*", false)]);
        assert!(hit(&x, "A.bX(c)tail"));
        assert!(!hit(&x, "aXbX(c)"));
        let x = m(&[("é?", false)]);
        assert!(hit(&x, "éa") && !hit(&x, "Éa"), "only ASCII letters fold");
        let x = m(&[("?", false)]);
        assert!(hit(&x, "日") && !hit(&x, "日本"), "`?` is one character");
    }

    #[test]
    fn regexes_carry_their_flags() {
        let re = |pattern: &str, ignore_case| StrPattern::Regex {
            pattern: pattern.into(),
            ignore_case,
            multi_line: false,
            dot_all: false,
        };
        let x = StrMatcher::new(&[re("^adm[0-9]+$", false), re("EVIL", true)]).unwrap();
        assert!(hit(&x, "adm42") && !hit(&x, "ADM42") && hit(&x, "so evil"));
    }
}
