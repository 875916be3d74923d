//! Value rewriting done once at compile time: Sigma wildcards into glob pieces,
//! placeholders, `windash`, and the base64 family into literal alternatives.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::expr::Piece;
use super::placeholders::Placeholders;

/// Upper bound on the alternatives one value may expand to (placeholders × windash
/// variants); past it the rule is rejected rather than compiled into a huge matcher.
pub const MAX_EXPANSIONS: usize = 4096;

/// Why a value could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// `%name%` has no configured values.
    MissingPlaceholder(String),
    /// The value would expand to more than [`MAX_EXPANSIONS`] alternatives.
    TooManyExpansions,
}

/// Parses a Sigma string into glob pieces: `*` and `?` are wildcards; `\*`, `\?` and
/// `\\` stand for the characters themselves; a backslash before anything else is kept.
pub fn parse_glob(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    lit.push(next);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(if c == '*' { Piece::Star } else { Piece::One });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    pieces
}

/// The text of a glob without wildcards, or `None` when it has any.
pub fn literal_text(pieces: &[Piece]) -> Option<String> {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Lit(s) => out.push_str(s),
            Piece::Star | Piece::One => return None,
        }
    }
    Some(out)
}

/// Replaces every `%name%` with each configured value (the cartesian product when a
/// value holds several placeholders).
pub fn expand(text: &str, placeholders: &Placeholders) -> Result<Vec<String>, ValueError> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        let prefix = &rest[..start];
        let values = placeholders
            .get(name)
            .ok_or_else(|| ValueError::MissingPlaceholder(name.to_owned()))?;
        if results.len() * values.len() > MAX_EXPANSIONS {
            return Err(ValueError::TooManyExpansions);
        }
        results = results
            .iter()
            .flat_map(|r| values.iter().map(move |v| format!("{r}{prefix}{v}")))
            .collect();
        rest = &rest[start + len + 2..];
    }
    for r in &mut results {
        r.push_str(rest);
    }
    Ok(results)
}

/// The dashes Windows command lines accept for options: hyphen, slash, en dash, em dash
/// and horizontal bar.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every variant of `text` with each option dash replaced by every Windows dash. An
/// option dash is a `-` or `/` that starts the text or follows a non-word character
/// and is followed by a word character (pySigma's `\B[-/]\b`).
pub fn windash(text: &str) -> Result<Vec<String>, ValueError> {
    let chars: Vec<char> = text.chars().collect();
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            matches!(chars[i], '-' | '/')
                && (i == 0 || !is_word(chars[i - 1]))
                && chars.get(i + 1).is_some_and(|&c| is_word(c))
        })
        .collect();
    let count = DASHES
        .len()
        .checked_pow(positions.len() as u32)
        .filter(|&n| n <= MAX_EXPANSIONS);
    let count = count.ok_or(ValueError::TooManyExpansions)?;
    let mut variants = Vec::with_capacity(count);
    for n in 0..count {
        let mut chars = chars.clone();
        let mut digits = n;
        for &p in &positions {
            chars[p] = DASHES[digits % DASHES.len()];
            digits /= DASHES.len();
        }
        variants.push(chars.into_iter().collect());
    }
    Ok(variants)
}

/// Text encodings applied before base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (no modifier).
    Utf8,
    /// `utf16le` / `wide`.
    Utf16Le,
    /// `utf16be`.
    Utf16Be,
    /// `utf16`: a little-endian byte-order mark, then UTF-16LE.
    Utf16,
}

/// The bytes of `text` in `encoding`.
pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Encoding::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Encoding::Utf16 => [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// `|base64`: the standard encoding, with padding.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// `|base64offset`: the three texts that appear inside a longer base64 string that
/// contains `bytes` at offset 0, 1 or 2 modulo 3 (pySigma's algorithm: encode with
/// 0–2 leading spaces and cut the characters those spaces and the padding touch).
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut shifted = vec![b' '; i];
            shifted.extend_from_slice(bytes);
            let encoded = STANDARD.encode(&shifted);
            let end = encoded.len().saturating_sub(END_CUT[(bytes.len() + i) % 3]);
            encoded.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_escapes() {
        assert_eq!(
            parse_glob("a*b?c"),
            vec![
                Piece::Lit("a".into()),
                Piece::Star,
                Piece::Lit("b".into()),
                Piece::One,
                Piece::Lit("c".into())
            ]
        );
        assert_eq!(
            parse_glob(r"a\*b\?c\\d\e"),
            vec![Piece::Lit(r"a*b?c\d\e".into())]
        );
        assert_eq!(parse_glob(r"end\"), vec![Piece::Lit(r"end\".into())]);
        assert_eq!(literal_text(&parse_glob("x*")), None);
        assert_eq!(literal_text(&parse_glob(r"x\*")), Some("x*".into()));
    }

    #[test]
    fn placeholders_expand_as_a_product() {
        let mut p = Placeholders::default();
        p.insert("a", ["1", "2"]);
        p.insert("b", ["x"]);
        assert_eq!(expand("%a%-%b%!", &p).unwrap(), ["1-x!", "2-x!"]);
        assert_eq!(expand("plain", &p).unwrap(), ["plain"]);
        assert_eq!(expand("100%", &p).unwrap(), ["100%"]);
        assert_eq!(
            expand("%zz%", &p),
            Err(ValueError::MissingPlaceholder("zz".into()))
        );
    }

    #[test]
    fn windash_variants() {
        let v = windash("-enc").unwrap();
        assert_eq!(
            v,
            ["-enc", "/enc", "\u{2013}enc", "\u{2014}enc", "\u{2015}enc"]
        );
        assert_eq!(
            windash(" /c x-y").unwrap().len(),
            5,
            "the dash inside x-y is not an option"
        );
        assert_eq!(windash("-a -b").unwrap().len(), 25);
        assert_eq!(windash("plain").unwrap(), ["plain"]);
        assert_eq!(
            windash("-a -b -c -d -e -f"),
            Err(ValueError::TooManyExpansions)
        );
    }

    #[test]
    fn base64_family_matches_pysigma() {
        assert_eq!(base64(b"sigma"), "c2lnbWE=");
        // pySigma: SigmaBase64OffsetModifier on "sigma rules".
        assert_eq!(
            base64_offsets(b"sigma rules"),
            ["c2lnbWEgcnVsZX", "NpZ21hIHJ1bGVz", "zaWdtYSBydWxlc"]
        );
        assert_eq!(encode("ab", Encoding::Utf16Le), [b'a', 0, b'b', 0]);
        assert_eq!(encode("a", Encoding::Utf16Be), [0, b'a']);
        assert_eq!(encode("a", Encoding::Utf16), [0xff, 0xfe, b'a', 0]);
    }
}
