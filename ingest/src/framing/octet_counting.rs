//! Octet counting: `MSG-LEN SP SYSLOG-MSG` (RFC 6587 section 3.4.1).

/// Most digits in a length. Nine digits allow frames just under 1 GB, far beyond any
/// sensible maximum frame length, while a longer digit run is certainly not a length.
pub(crate) const MAX_LEN_DIGITS: usize = 9;

/// What the start of a buffer holds under octet counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Header {
    /// A message of `len` bytes starts at `body`.
    Complete { len: usize, body: usize },
    /// Digits so far, the space not yet received.
    Incomplete,
    /// Not a valid length.
    Invalid(Invalid),
}

/// Why a header is not a valid length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// No digit, or a leading zero (`MSG-LEN = NONZERO-DIGIT *DIGIT`).
    NotALength,
    /// More than [`MAX_LEN_DIGITS`] digits.
    TooLarge,
    /// The digits are followed by something other than a space.
    MissingSpace,
}

/// Reads the `MSG-LEN SP` header at the start of `buf`.
pub(crate) fn header(buf: &[u8]) -> Header {
    let digits = buf
        .iter()
        .take(MAX_LEN_DIGITS + 1)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || buf[0] == b'0' {
        return Header::Invalid(Invalid::NotALength);
    }
    if digits > MAX_LEN_DIGITS {
        return Header::Invalid(Invalid::TooLarge);
    }
    match buf.get(digits) {
        None => Header::Incomplete,
        Some(b' ') => {
            let len = buf[..digits]
                .iter()
                .fold(0usize, |n, &d| n * 10 + usize::from(d - b'0'));
            Header::Complete {
                len,
                body: digits + 1,
            }
        }
        Some(_) => Header::Invalid(Invalid::MissingSpace),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(header(b"16 <1>1"), Header::Complete { len: 16, body: 3 });
        assert_eq!(
            header(b"999999999 "),
            Header::Complete {
                len: 999_999_999,
                body: 10
            }
        );
        assert_eq!(header(b"16"), Header::Incomplete);
        assert_eq!(header(b"1"), Header::Incomplete);
        assert_eq!(header(b""), Header::Invalid(Invalid::NotALength));
        assert_eq!(header(b"x16 "), Header::Invalid(Invalid::NotALength));
        assert_eq!(header(b"016 "), Header::Invalid(Invalid::NotALength));
        assert_eq!(header(b"0 "), Header::Invalid(Invalid::NotALength));
        assert_eq!(header(b"1234567890 "), Header::Invalid(Invalid::TooLarge));
        assert_eq!(header(b"16<1>1"), Header::Invalid(Invalid::MissingSpace));
        assert_eq!(
            header(b"2024-03-05"),
            Header::Invalid(Invalid::MissingSpace)
        );
    }
}
