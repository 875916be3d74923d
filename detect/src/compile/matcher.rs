//! String matchers: every string-pattern leaf on one column compiled into one matcher,
//! so that a value is scanned once whatever the number of leaves and patterns on it.
//!
//! Each leaf is a *member* of its column's [`ColumnMatcher`]; [`ColumnMatcher::scan`]
//! reports every member one value satisfies. Patterns are sorted by shape, once, at
//! compile time:
//!
//! | shape | kernel |
//! |---|---|
//! | `lit`, `lit*`, `*lit`, `*lit*` | one overlapping Aho-Corasick automaton per case mode; an occurrence counts when its anchoring holds (exact: the whole value; prefix: starts at 0; suffix: ends at the end) |
//! | anything else (`?`, inner `*`, `re`) | one multi-pattern regex-automata meta regex that reports every pattern matching anywhere |
//! | the empty literal | decided by the value's length, no scan |
//!
//! so the twenty `contains` leaves of twenty rules on one column are still one pass
//! over each value.
//!
//! # Performance
//!
//! Matching a value costs at most two Aho-Corasick scans (case-folded and cased) and
//! one regex scan, whatever the number of members and patterns. Building is the
//! expensive part (automata construction); it happens once per rule set.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Input, MatchKind as RegexMatchKind, PatternSet};

use crate::ir::{Piece, StrPattern};

/// A matcher could not be built (a regex too large for the engine's limits).
#[derive(Debug, Clone)]
pub struct BuildError(pub String);

/// Where a literal must sit in the value for its occurrence to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// The whole value.
    Exact,
    /// At the start.
    Prefix,
    /// At the end.
    Suffix,
    /// Anywhere.
    Contains,
}

/// The literals of one case mode, in one automaton.
#[derive(Debug, Clone)]
struct Literals {
    automaton: AhoCorasick,
    /// Per automaton pattern: the member it belongs to and its anchoring.
    patterns: Vec<(usize, Anchor)>,
}

/// Regular expressions searched together; one per column unless the union is too
/// large for the engine, then one per member.
#[derive(Debug, Clone)]
struct Regexes {
    regex: Regex,
    /// Per regex pattern: the member it belongs to.
    members: Vec<usize>,
}

/// All string-pattern leaves on one column.
#[derive(Debug, Clone)]
pub struct ColumnMatcher {
    members: usize,
    folded: Option<Literals>,
    cased: Option<Literals>,
    regexes: Vec<Regexes>,
    /// Members an empty prefix, suffix or `contains` literal makes true on any value.
    always: Vec<usize>,
    /// Members an empty exact literal makes true on the empty value.
    on_empty: Vec<usize>,
}

/// Scratch for [`ColumnMatcher::scan`]: the regex pattern set, kept between calls so
/// that scanning allocates nothing.
#[derive(Debug)]
pub struct ScanScratch {
    set: PatternSet,
}

impl Default for ScanScratch {
    fn default() -> Self {
        ScanScratch {
            set: PatternSet::new(0),
        }
    }
}

impl ColumnMatcher {
    /// Compiles `members`, each the alternatives of one leaf, into one matcher.
    pub fn new(members: &[Vec<StrPattern>]) -> Result<ColumnMatcher, BuildError> {
        let mut folded = (Vec::new(), Vec::new());
        let mut cased = (Vec::new(), Vec::new());
        let mut regexes: Vec<(usize, String)> = Vec::new();
        let (mut always, mut on_empty) = (Vec::new(), Vec::new());
        for (member, patterns) in members.iter().enumerate() {
            for pattern in patterns {
                let (pieces, is_cased) = match pattern {
                    StrPattern::Glob { pieces, cased } => (pieces, cased),
                    StrPattern::Regex {
                        pattern,
                        ignore_case,
                        multi_line,
                        dot_all,
                    } => {
                        let flags = [(*ignore_case, 'i'), (*multi_line, 'm'), (*dot_all, 's')];
                        regexes.push((member, regex_source(pattern, flags)));
                        continue;
                    }
                };
                let (literal, anchor) = match pieces.as_slice() {
                    [] => ("", Anchor::Exact),
                    [Piece::Lit(s)] => (s.as_str(), Anchor::Exact),
                    [Piece::Lit(s), Piece::Star] => (s.as_str(), Anchor::Prefix),
                    [Piece::Star, Piece::Lit(s)] => (s.as_str(), Anchor::Suffix),
                    [Piece::Star, Piece::Lit(s), Piece::Star] => (s.as_str(), Anchor::Contains),
                    [Piece::Star] => ("", Anchor::Contains),
                    _ => {
                        regexes.push((member, glob_regex(pieces, *is_cased)));
                        continue;
                    }
                };
                match (literal.is_empty(), anchor) {
                    (true, Anchor::Exact) => on_empty.push(member),
                    (true, _) => always.push(member),
                    (false, _) => {
                        let (texts, meta) = if *is_cased { &mut cased } else { &mut folded };
                        texts.push(literal.to_owned());
                        meta.push((member, anchor));
                    }
                }
            }
        }
        Ok(ColumnMatcher {
            members: members.len(),
            folded: literals(folded, true)?,
            cased: literals(cased, false)?,
            regexes: regex_groups(&regexes)?,
            always,
            on_empty,
        })
    }

    /// Number of members (leaves) the matcher serves.
    pub fn members(&self) -> usize {
        self.members
    }

    /// Calls `hit(member)` for every member that `hay` satisfies, possibly more than
    /// once for the same member.
    #[inline]
    pub fn scan(&self, hay: &[u8], scratch: &mut ScanScratch, mut hit: impl FnMut(usize)) {
        self.always.iter().copied().for_each(&mut hit);
        if hay.is_empty() {
            self.on_empty.iter().copied().for_each(&mut hit);
        }
        for literals in [&self.folded, &self.cased].into_iter().flatten() {
            for m in literals.automaton.find_overlapping_iter(hay) {
                let (member, anchor) = literals.patterns[m.pattern().as_usize()];
                let holds = match anchor {
                    Anchor::Contains => true,
                    Anchor::Prefix => m.start() == 0,
                    Anchor::Suffix => m.end() == hay.len(),
                    Anchor::Exact => m.start() == 0 && m.end() == hay.len(),
                };
                if holds {
                    hit(member);
                }
            }
        }
        for regexes in &self.regexes {
            // One set serves every matcher of the table: grow it to the largest.
            let patterns = regexes.regex.pattern_len();
            if scratch.set.capacity() < patterns {
                scratch.set = PatternSet::new(patterns);
            }
            scratch.set.clear();
            regexes
                .regex
                .which_overlapping_matches(&Input::new(hay), &mut scratch.set);
            for pattern in scratch.set.iter() {
                hit(regexes.members[pattern.as_usize()]);
            }
        }
    }
}

/// The literals of one case mode as an overlapping automaton (every occurrence of
/// every literal is reported, so anchoring can be checked per occurrence).
fn literals(
    (texts, patterns): (Vec<String>, Vec<(usize, Anchor)>),
    fold: bool,
) -> Result<Option<Literals>, BuildError> {
    if texts.is_empty() {
        return Ok(None);
    }
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(fold)
        .match_kind(MatchKind::Standard)
        .build(&texts)
        .map_err(|e| BuildError(e.to_string()))?;
    Ok(Some(Literals {
        automaton,
        patterns,
    }))
}

/// One regex for all members' patterns; if the union exceeds the engine's limits, one
/// per member (each was checked alone by [`check`]).
fn regex_groups(regexes: &[(usize, String)]) -> Result<Vec<Regexes>, BuildError> {
    if regexes.is_empty() {
        return Ok(Vec::new());
    }
    let build = |patterns: &[(usize, String)]| {
        let sources: Vec<&str> = patterns.iter().map(|(_, p)| p.as_str()).collect();
        Regex::builder()
            // `All`, so that an overlapping search reports every pattern that matches.
            .configure(Regex::config().match_kind(RegexMatchKind::All))
            .build_many(&sources)
            .map(|regex| Regexes {
                regex,
                members: patterns.iter().map(|(m, _)| *m).collect(),
            })
            .map_err(|e| BuildError(e.to_string()))
    };
    if let Ok(group) = build(regexes) {
        return Ok(vec![group]);
    }
    regexes.chunk_by(|a, b| a.0 == b.0).map(build).collect()
}

/// Checks that one leaf's patterns compile, so that a failure names the rule.
pub fn check(patterns: &[StrPattern]) -> Result<(), BuildError> {
    ColumnMatcher::new(&[patterns.to_vec()]).map(|_| ())
}

/// A `|re` pattern with its flags, in regex-automata syntax.
fn regex_source(pattern: &str, flags: [(bool, char); 3]) -> String {
    let flags: String = flags
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    if flags.is_empty() {
        pattern.to_owned()
    } else {
        format!("(?{flags}){pattern}")
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
    use proptest::prelude::*;

    use super::*;
    use crate::ir::values::parse_glob;

    fn globs(patterns: &[(&str, bool)]) -> Vec<StrPattern> {
        patterns
            .iter()
            .map(|(p, cased)| StrPattern::glob(parse_glob(p), *cased))
            .collect()
    }

    /// The members `hay` satisfies, ascending and without repeats.
    fn hits(m: &ColumnMatcher, hay: &str) -> Vec<usize> {
        let mut out = Vec::new();
        m.scan(hay.as_bytes(), &mut ScanScratch::default(), |i| out.push(i));
        out.sort_unstable();
        out.dedup();
        out
    }

    fn one(patterns: &[(&str, bool)]) -> ColumnMatcher {
        ColumnMatcher::new(&[globs(patterns)]).unwrap()
    }

    fn hit(m: &ColumnMatcher, hay: &str) -> bool {
        hits(m, hay) == [0]
    }

    /// The reference: each pattern of each member on its own, a glob by backtracking
    /// over characters, a regex by its own single-pattern engine.
    fn naive(members: &[Vec<StrPattern>], hay: &str) -> Vec<usize> {
        fn glob(pieces: &[Piece], s: &[char], cased: bool) -> bool {
            let eq = |a: &char, b: &char| {
                if cased {
                    a == b
                } else {
                    a.eq_ignore_ascii_case(b)
                }
            };
            match pieces.split_first() {
                None => s.is_empty(),
                Some((Piece::Lit(lit), rest)) => {
                    let lit: Vec<char> = lit.chars().collect();
                    s.len() >= lit.len()
                        && lit.iter().zip(s).all(|(a, b)| eq(a, b))
                        && glob(rest, &s[lit.len()..], cased)
                }
                Some((Piece::One, rest)) => !s.is_empty() && glob(rest, &s[1..], cased),
                Some((Piece::Star, rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..], cased)),
            }
        }
        let chars: Vec<char> = hay.chars().collect();
        members
            .iter()
            .enumerate()
            .filter(|(_, patterns)| {
                patterns.iter().any(|p| match p {
                    StrPattern::Glob { pieces, cased } => glob(pieces, &chars, *cased),
                    StrPattern::Regex {
                        pattern,
                        ignore_case,
                        ..
                    } => {
                        let config = regex_automata::util::syntax::Config::new()
                            .case_insensitive(*ignore_case);
                        Regex::builder()
                            .syntax(config)
                            .build(pattern)
                            .unwrap()
                            .is_match(hay)
                    }
                })
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn each_shape() {
        let x = one(&[
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
    fn anchors_hold_per_occurrence() {
        let x = one(&[("deny", false)]);
        assert!(!hit(&x, "denydeny") && !hit(&x, "undeny") && hit(&x, "DENY"));
        let x = one(&[("ab*", false), ("*ab", false)]);
        assert!(hit(&x, "abab") && hit(&x, "xab") && !hit(&x, "xabx"));
    }

    #[test]
    fn empty_literals() {
        let x = one(&[("", false)]);
        assert!(hit(&x, "") && !hit(&x, "a"));
        let x = one(&[("*", false)]);
        assert!(hit(&x, "") && hit(&x, "anything"));
    }

    #[test]
    fn cased_and_many_exact() {
        let x = one(&[("Root", true), ("*Key*", true)]);
        assert!(hit(&x, "Root") && !hit(&x, "root"));
        assert!(hit(&x, "aKeyb") && !hit(&x, "akeyb"));
        let names: Vec<String> = (0..20).map(|i| format!("User{i}")).collect();
        let patterns: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), false)).collect();
        let x = one(&patterns);
        assert!(hit(&x, "user7") && hit(&x, "USER19") && !hit(&x, "user20"));
    }

    #[test]
    fn globs_escape_regex_syntax_and_fold_ascii_only() {
        let x = one(&[("a.b?(c)*", false)]);
        assert!(hit(&x, "A.bX(c)tail"));
        assert!(!hit(&x, "aXbX(c)"));
        let x = one(&[("é?", false)]);
        assert!(hit(&x, "éa") && !hit(&x, "Éa"), "only ASCII letters fold");
        let x = one(&[("?", false)]);
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
        let x = ColumnMatcher::new(&[vec![re("^adm[0-9]+$", false), re("EVIL", true)]]).unwrap();
        assert!(hit(&x, "adm42") && !hit(&x, "ADM42") && hit(&x, "so evil"));
    }

    #[test]
    fn members_are_reported_separately() {
        let re = |pattern: &str| StrPattern::Regex {
            pattern: pattern.into(),
            ignore_case: false,
            multi_line: false,
            dot_all: false,
        };
        let members = vec![
            globs(&[("*.gen1*", false)]),
            globs(&[("*.GEN*", false)]),
            vec![re("^trojan")],
            vec![re("x[0-9]$")],
            globs(&[("worm*", true)]),
        ];
        let x = ColumnMatcher::new(&members).unwrap();
        assert_eq!(x.members(), 5);
        assert_eq!(hits(&x, "trojan.gen12"), [0, 1, 2]);
        assert_eq!(hits(&x, "worm.x4"), [3, 4]);
        assert_eq!(hits(&x, "Worm.x"), Vec::<usize>::new());
    }

    #[test]
    fn one_scratch_serves_matchers_of_any_size() {
        let re = |pattern: &str| StrPattern::Regex {
            pattern: pattern.into(),
            ignore_case: false,
            multi_line: false,
            dot_all: false,
        };
        let small = ColumnMatcher::new(&[vec![re("^a")]]).unwrap();
        let large = ColumnMatcher::new(&[vec![re("^b")], vec![re("^c")], vec![re("z$")]]).unwrap();
        let mut scratch = ScanScratch::default();
        let mut seen = Vec::new();
        small.scan(b"abc", &mut scratch, |m| seen.push(m));
        large.scan(b"cz", &mut scratch, |m| seen.push(10 + m));
        small.scan(b"a", &mut scratch, |m| seen.push(m));
        seen.sort_unstable();
        assert_eq!(seen, [0, 0, 11, 12]);
    }

    #[test]
    fn a_bad_regex_is_a_build_error() {
        let bad = StrPattern::Regex {
            pattern: "(unclosed".into(),
            ignore_case: false,
            multi_line: false,
            dot_all: false,
        };
        assert!(check(&[bad]).is_err());
        assert!(check(&globs(&[("a?b", false)])).is_ok());
    }

    const ALPHABET: &[&str] = &["a", "B", "b", "x", ".", "1", "日", "ab"];

    fn pattern() -> impl Strategy<Value = StrPattern> {
        let glob = (
            proptest::collection::vec(
                prop_oneof![
                    3 => proptest::sample::select(ALPHABET).prop_map(|s| Piece::Lit(s.into())),
                    1 => Just(Piece::Star),
                    1 => Just(Piece::One),
                ],
                0..4,
            ),
            any::<bool>(),
        )
            .prop_map(|(pieces, cased)| StrPattern::glob(pieces, cased));
        let regex = (
            proptest::sample::select(&["^a", "b$", "[0-9]", "a.b", "^$", "日+", "x|B"][..]),
            any::<bool>(),
        )
            .prop_map(|(pattern, ignore_case)| StrPattern::Regex {
                pattern: pattern.into(),
                ignore_case,
                multi_line: false,
                dot_all: false,
            });
        prop_oneof![3 => glob, 1 => regex]
    }

    proptest! {
        /// Any members, any value: the fused matcher reports exactly the members the
        /// reference does.
        #[test]
        fn fused_matches_the_reference(
            members in proptest::collection::vec(proptest::collection::vec(pattern(), 1..4), 1..6),
            values in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(ALPHABET), 0..6)
                    .prop_map(|parts| parts.concat()),
                1..8,
            ),
        ) {
            let x = ColumnMatcher::new(&members).unwrap();
            for value in &values {
                prop_assert_eq!(hits(&x, value), naive(&members, value), "value {:?}", value);
            }
        }
    }
}
