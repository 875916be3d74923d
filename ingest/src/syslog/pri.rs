//! `<PRI>`: facility and severity in angle brackets.
//!
//! Both RFCs share it: `"<" PRIVAL ">"`, `PRIVAL` 0 to 191 without leading zeros
//! (`facility * 8 + severity`). A malformed `<PRI>` is rejected rather than skipped: a line
//! that starts with `<` but not with a priority is not syslog a later stage could trust.

use super::error::SyslogError;

/// Parses `<PRIVAL>` at `pos`, where `bytes[pos]` is `<`.
///
/// Returns the priority value and the offset just after `>`. The error column points at
/// the first byte that cannot continue a valid `<PRI>`, as go-syslog reports it: the
/// digit that makes the value exceed 191 or that follows a leading zero, or the byte that
/// is neither a digit nor `>`.
pub(crate) fn parse(bytes: &[u8], pos: usize) -> Result<(u8, usize), SyslogError> {
    debug_assert_eq!(bytes.get(pos), Some(&b'<'));
    let mut value: u8 = 0;
    let mut digits = 0usize;
    let mut i = pos + 1;
    loop {
        match bytes.get(i) {
            Some(&d @ b'0'..=b'9') => {
                // `value` is at most 191 here, so `value * 10 + 9` fits in a u16 and the
                // range check below happens before narrowing.
                let next = u16::from(value) * 10 + u16::from(d - b'0');
                if (digits == 1 && value == 0) || next > 191 {
                    return Err(SyslogError::Pri { col: i });
                }
                value = next as u8;
                digits += 1;
            }
            Some(b'>') if digits > 0 => return Ok((value, i + 1)),
            _ => return Err(SyslogError::Pri { col: i }),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pri(s: &str) -> Result<(u8, usize), SyslogError> {
        parse(s.as_bytes(), 0)
    }

    #[test]
    fn accepts_the_whole_range() {
        for v in 0..=191u8 {
            let s = format!("<{v}>x");
            assert_eq!(pri(&s), Ok((v, s.len() - 1)), "{s}");
        }
    }

    #[test]
    fn rejects_with_go_syslog_columns() {
        for (input, col) in [
            ("<>", 1),
            ("<aaa>", 1),
            ("<87]", 3),
            ("<192>", 3),
            ("<002>", 2),
            ("<00>", 2),
            ("<19000021>", 4),
            ("<1", 2),
            ("<", 1),
        ] {
            assert_eq!(pri(input), Err(SyslogError::Pri { col }), "{input}");
        }
    }
}
