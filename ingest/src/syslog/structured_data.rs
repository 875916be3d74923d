//! `STRUCTURED-DATA`: `[id name="value" ...]` elements.
//!
//! The scanner validates the RFC 5424 grammar and returns where the elements end; the
//! caller keeps the raw text, so no element or parameter is copied or allocated. Parameter
//! values are skipped with `memchr3` over `"`, `\` and `]`, the only bytes that matter
//! inside them.
//!
//! Two deliberate departures from the strictest reading, both from real senders:
//! - a backslash before any character other than `"`, `\` or `]` is an ordinary
//!   backslash, as RFC 5424 section 6.3.3 prescribes (Windows paths such as
//!   `path="C:\Windows"` arrive unescaped); go-syslog rejects it;
//! - spaces after `=` (`eventSource= "Application"`) are accepted, as rsyslog and
//!   syslog-loose do; their test vectors carry this from real messages.

use memchr::memchr3;

use super::error::Expected;

/// Longest `SD-ID` or `PARAM-NAME`.
const MAX_NAME: usize = 32;

/// Elements whose ids are checked for duplicates. Checking against a fixed array keeps the
/// scan allocation-free and linear; later elements are not compared.
const TRACKED_IDS: usize = 16;

/// Which grammar [`scan`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// RFC 5424: any valid element, including one without parameters (`[sdid]`).
    Rfc5424,
    /// Structured data some RFC 3164 senders (rsyslog) put at the start of the message:
    /// every element must have a parameter, and the data must end at whitespace or the
    /// end of the line. This keeps kernel stamps (`[12345.678]`) and bracketed prefixes
    /// (`[WAN_LOCAL-default-D]IN=eth0`) in the message where they belong.
    Rfc3164,
}

/// Scans structured data starting at `pos`, where `b[pos]` is `[`.
///
/// Returns the offset just after the last `]`, or what was expected and the column where
/// the grammar broke.
pub(crate) fn scan(b: &[u8], pos: usize, mode: Mode) -> Result<usize, (Expected, usize)> {
    debug_assert_eq!(b.get(pos), Some(&b'['));
    let mut ids = [(0usize, 0usize); TRACKED_IDS];
    let mut tracked = 0;
    let mut p = pos;
    while b.get(p) == Some(&b'[') {
        let id_start = p + 1;
        p = name(b, id_start).map_err(|col| (Expected::SdId, col))?;
        let id = &b[id_start..p];
        if ids[..tracked].iter().any(|&(s, e)| &b[s..e] == id) {
            return Err((Expected::UniqueSdId, id_start));
        }
        if tracked < TRACKED_IDS {
            ids[tracked] = (id_start, p);
            tracked += 1;
        }
        let mut params = 0usize;
        loop {
            match b.get(p) {
                Some(b']') => {
                    p += 1;
                    break;
                }
                Some(b' ') => {
                    p = param(b, p + 1)?;
                    params += 1;
                }
                _ if params == 0 => return Err((Expected::SdId, p)),
                _ => return Err((Expected::SdParam, p)),
            }
        }
        if mode == Mode::Rfc3164 && params == 0 {
            return Err((Expected::SdParam, p - 1));
        }
    }
    if mode == Mode::Rfc3164 && !b.get(p).is_none_or(|&c| c == b' ' || c == b'\t') {
        return Err((Expected::SpaceAfter("structured data"), p));
    }
    Ok(p)
}

/// `name="value"` at `pos`; returns the offset after the closing quote.
fn param(b: &[u8], pos: usize) -> Result<usize, (Expected, usize)> {
    let mut p = name(b, pos).map_err(|col| (Expected::SdParam, col))?;
    if b.get(p) != Some(&b'=') {
        return Err((Expected::SdParam, p));
    }
    p += 1;
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    if b.get(p) != Some(&b'"') {
        return Err((Expected::SdParam, p));
    }
    value(b, p + 1)
}

/// A `PARAM-VALUE` from `pos` (just after the opening quote) to its closing quote.
fn value(b: &[u8], mut p: usize) -> Result<usize, (Expected, usize)> {
    loop {
        let Some(found) = b.get(p..).and_then(|rest| memchr3(b'"', b'\\', b']', rest)) else {
            return Err((Expected::SdParam, b.len()));
        };
        p += found;
        match b[p] {
            b'"' => return Ok(p + 1),
            b']' => return Err((Expected::SdEscape, p)),
            // A backslash escapes `"`, `\` and `]`; before anything else it is literal.
            _ => {
                p += if matches!(b.get(p + 1), Some(b'"' | b'\\' | b']')) {
                    2
                } else {
                    1
                }
            }
        }
    }
}

/// An `SD-NAME` (1 to 32 printable US-ASCII characters except `=`, space, `]` and `"`)
/// at `pos`. Returns its end, or the column of the first byte that cannot be part of it
/// (the 33rd character when it is too long).
fn name(b: &[u8], pos: usize) -> Result<usize, usize> {
    let mut p = pos;
    while p < b.len() && is_name_byte(b[p]) {
        if p - pos == MAX_NAME {
            return Err(p);
        }
        p += 1;
    }
    if p == pos { Err(p) } else { Ok(p) }
}

fn is_name_byte(c: u8) -> bool {
    (33..=126).contains(&c) && !matches!(c, b'=' | b']' | b'"')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(s: &str) -> Result<usize, (Expected, usize)> {
        scan(s.as_bytes(), 0, Mode::Rfc5424)
    }

    #[test]
    fn valid_elements() {
        for s in [
            "[sdid]",
            "[id pk=\"\"]",
            "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
            r#"[meta escape="\]\"\\\\\]\""]"#,
            r#"[meta es="\\double\\slash"]"#,
            "[meta gr=\"κόσμε\" es=\"ñ\"][beta pr=\"₡\"]",
            r#"[win path="C:\Windows\System32"]"#,
            r#"[x a= "b"]"#,
        ] {
            assert_eq!(strict(s), Ok(s.len()), "{s}");
        }
        assert_eq!(strict("[a][b] msg"), Ok(6));
    }

    #[test]
    fn invalid_elements_name_the_column() {
        for (s, expected, col) in [
            ("[]", Expected::SdId, 1),
            ("[ ]", Expected::SdId, 1),
            ("[=]", Expected::SdId, 1),
            ("[]]", Expected::SdId, 1),
            ("[\"]", Expected::SdId, 1),
            ("[abcdefghilmnopqrstuvzabcdefghilmX]", Expected::SdId, 33),
            (
                "[id abcdefghilmnopqrstuvzabcdefghilmX=\"val\"]",
                Expected::SdParam,
                36,
            ),
            ("[meta escape=\"]\"]", Expected::SdEscape, 14),
            ("[meta escape=\"\"\"]", Expected::SdParam, 15),
            ("[meta escape=\"\\\"]", Expected::SdEscape, 16),
            ("[meta sequenceId=10]", Expected::SdParam, 17),
            ("[id1][id1]", Expected::UniqueSdId, 6),
            ("[id", Expected::SdId, 3),
            ("[id a=\"b\"", Expected::SdParam, 9),
        ] {
            assert_eq!(strict(s), Err((expected, col)), "{s}");
        }
    }

    #[test]
    fn rfc3164_mode_is_narrower() {
        let loose = |s: &str| scan(s.as_bytes(), 0, Mode::Rfc3164);
        assert_eq!(loose("[origin software=\"rsyslogd\"] start"), Ok(28));
        assert!(loose("[12345.678] eth0 up").is_err());
        assert!(loose("[WAN_LOCAL-default-D]IN=eth0").is_err());
        assert!(loose("[a b=\"c\"]x").is_err());
    }
}
