//! Apache/NCSA common and combined access logs, as web servers and proxies write them.
//!
//! # What is accepted
//!
//! The NCSA common log format (`%h %l %u %t "%r" %>s %b`), optionally followed by the
//! referer and user agent of the combined format (`"%{Referer}i" "%{User-Agent}i"`):
//!
//! ```text
//! 10.30.4.20 - tanaka [20/Nov/2026:09:00:01 +0900] "GET http://www.example.jp/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0 ..."
//! ```
//!
//! This is what Apache (`LogFormat ... combined`), nginx (`log_format combined`, the
//! default), Squid (`logformat common` / `combined`) and many appliances write. The user
//! (`%u`) is everything between the ident and the `[` of the time, so a name with spaces
//! survives. The quoted request line ends at the first `"` that is not escaped by a
//! backslash (Apache writes `\"` and `\\`; nginx writes `\x22`) and is followed by a space
//! or the end of the line, so an unescaped quote inside a broken request does not cut it
//! short. After the user agent, or after the size in the common format, these optional
//! trailing fields are recognised, in any order:
//!
//! - a duration: an integer is Apache's `%D` (microseconds), a decimal fraction is
//!   seconds (nginx `$request_time`, `0.123`), and `T/D` is Apache's `%T/%D`, whose
//!   microseconds are used. A bare integer could also be Apache's `%T` (whole seconds);
//!   it is read as `%D` because that is the variant proxies append in practice, so a
//!   `%T` of `2` becomes 0 ms: configure `%D` where the duration matters;
//! - Squid's `%Ss:%Sh` (`TCP_MISS:HIER_DIRECT`), which its built-in `common` and
//!   `combined` formats append.
//!
//! Anything else after them (nginx's `"$http_x_forwarded_for"`, site additions) is kept
//! whole, as written, in `extra` under `trailing`.
//!
//! # Mapping
//!
//! | column | from |
//! |---|---|
//! | `time` | `%t` (`[20/Nov/2026:09:00:01 +0900]`, an optional `.fraction` after the seconds) converted to UTC with its offset |
//! | `src_ip` | `%h` when it is an IP address; a host name (`HostnameLookups On`) goes to `extra` as `remote_host` |
//! | `user` | `%u`, without quotes some servers put around it; `-` is null. `%l` (identd, almost always `-`) goes to `extra` as `ident` |
//! | `method`, `url` | the request line `METHOD target HTTP/x.y`, its version to `extra` as `protocol`; a request line without a version (HTTP/0.9) has method and target. A request line that is `-` (no request was read, as for `408`) leaves both null; one whose first word is not an HTTP token (TLS bytes sent to a plain-HTTP port, binary junk) leaves both null and is kept in `extra` as `request` |
//! | `url_host`, `url_path` | from the target: the host without user info, port or IPv6 brackets, and the path without query or fragment; `CONNECT host:443` has a host and no path; an origin-form target (`/path`) a path and no host (the `Host` header is not in the format) |
//! | `status` | `%>s`; `-` and `0` are null |
//! | `bytes_in` | `%b`, the bytes sent to the client (the response body); its `-` means zero bytes in CLF and becomes `0`; a line without it (a status directly followed by the quoted referer, as a few servers write) has null. `bytes_out` is not in the format and stays null |
//! | `user_agent` | the sixth field; `-` and `""` are null. The referer goes to `extra` as `referer` |
//! | `duration_ms` | the optional duration, see above |
//! | `cache_result` | the part of Squid's `%Ss:%Sh` before the colon; the hierarchy code goes to `extra` as `hierarchy` |
//! | `action` | only with Squid's result code: `block` when it says `DENIED` (except a `407`, a request for proxy credentials, which stays null), else `allow`; null on lines without it, since a web server's log says nothing about policy |
//!
//! Backslash escapes inside quoted fields are kept as written: undoing them would need a
//! copy of the value, and the `raw` column keeps the line anyway.
//!
//! # Shared helpers
//!
//! The calendar arithmetic and the URL splitting at the end of this file are shared with
//! the other proxy parsers ([`super::w3c`], [`super::zscaler`]), which read the same kinds
//! of values.
//!
//! # Performance
//!
//! One left-to-right pass: `memchr` finds the `[`, `]`, quotes and spaces, numbers are
//! parsed in place and every value is a borrowed slice of the message. The only
//! allocation is the `extra` vector, which holds the protocol version and the referer on
//! most lines. [`looks_like`] reads up to the end of the time stamp.

use std::net::IpAddr;

use memchr::{memchr, memchr2, memmem};

use crate::error::ParseError;
use crate::event::{HttpEvent, Micros};

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "combined";

/// Cheap check that `msg` has the shape of a common or combined line: a first word made
/// of the characters of an address or host name, at least two more space-separated
/// words, then `[dd/Mon/yyyy:hh:mm:ss ±hhmm]` and a quoted request.
pub fn looks_like(msg: &str) -> bool {
    let b = msg.as_bytes();
    let Some(open) = memchr(b'[', b) else {
        return false;
    };
    let prefix = &b[..open];
    let host_len = prefix.iter().take_while(|&&c| is_host_byte(c)).count();
    let words_before = prefix
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .count();
    if host_len == 0
        || prefix.get(host_len) != Some(&b' ')
        || words_before < 3
        || prefix.last() != Some(&b' ')
    {
        return false;
    }
    let Some(close) = memchr(b']', &b[open..]).map(|i| open + i) else {
        return false;
    };
    clf_time(&msg[open + 1..close]).is_some() && b[close + 1..].starts_with(b" \"")
}

/// Parses a common or combined line into an HTTP event borrowing from it.
///
/// # Errors
///
/// [`ParseError::MissingField`] naming the first field the line ends before;
/// [`ParseError::InvalidField`] naming the first field whose value does not parse.
pub fn parse(msg: &str) -> Result<HttpEvent<'_>, ParseError> {
    let line = msg.trim_end_matches([' ', '\t', '\r', '\n']);
    let b = line.as_bytes();
    let mut e = HttpEvent::default();

    // `%h %l %u` before the `[` of the time.
    let open = memchr(b'[', b).ok_or(missing("time"))?;
    let mut words = line[..open].trim_end_matches(' ').splitn(3, ' ');
    let host = words
        .next()
        .filter(|h| !h.is_empty())
        .ok_or(missing("host"))?;
    let ident = words.next().ok_or(missing("ident"))?;
    let user = words.next().ok_or(missing("user"))?.trim_start_matches(' ');
    match host.parse::<IpAddr>() {
        Ok(_) => e.src_ip = Some(host),
        Err(_) if host != "-" => e.extra.push(("remote_host", host)),
        Err(_) => {}
    }
    if let Some(ident) = dash_is_none(ident) {
        e.extra.push(("ident", ident));
    }
    // Some servers quote the user name.
    let user = user
        .strip_prefix('"')
        .and_then(|u| u.strip_suffix('"'))
        .unwrap_or(user);
    e.user = dash_is_none(user);

    let close = memchr(b']', &b[open..])
        .map(|i| open + i)
        .ok_or(invalid("time"))?;
    e.time = Some(clf_time(&line[open + 1..close]).ok_or(invalid("time"))?);

    let rest = line[close + 1..].trim_start_matches(' ');
    if !rest.starts_with('"') {
        return Err(missing("request"));
    }
    let (request, rest) = quoted(rest).ok_or(invalid("request"))?;
    read_request(request, &mut e);

    let (status, rest) = token(rest).ok_or(missing("status"))?;
    e.status = match status {
        "-" => None,
        s => match digits(s) {
            Some(0) => None,
            Some(n) => Some(u16::try_from(n).map_err(|_| invalid("status"))?),
            None => return Err(invalid("status")),
        },
    };
    // A few servers leave `%b` out and go straight to the referer.
    let mut rest = rest.trim_start_matches(' ');
    if !rest.starts_with('"') {
        let (bytes, after) = token(rest).ok_or(missing("bytes"))?;
        e.bytes_in = Some(match bytes {
            "-" => 0,
            s => digits(s).ok_or(invalid("bytes"))?,
        });
        rest = after.trim_start_matches(' ');
    }
    if rest.starts_with('"') {
        let (referer, after) = quoted(rest).ok_or(invalid("referer"))?;
        if !referer.is_empty() && referer != "-" {
            e.extra.push(("referer", referer));
        }
        rest = after.trim_start_matches(' ');
        if rest.starts_with('"') {
            let (agent, after) = quoted(rest).ok_or(invalid("user_agent"))?;
            e.user_agent = (!agent.is_empty() && agent != "-").then_some(agent);
            rest = after;
        }
    }
    read_trailing(rest, &mut e);

    if let Some(code) = e.cache_result {
        e.action = squid_verdict(code, e.status);
    }
    (e.url_host, e.url_path) = match e.url {
        Some(url) => split_url(e.method, url),
        None => (None, None),
    };
    Ok(e)
}

/// Splits the request line into method, target and protocol version.
fn read_request<'a>(request: &'a str, e: &mut HttpEvent<'a>) {
    if request.is_empty() || request == "-" {
        return;
    }
    let Some((method, target)) = request.split_once(' ') else {
        e.extra.push(("request", request));
        return;
    };
    if !method.bytes().all(is_tchar) || method.is_empty() {
        e.extra.push(("request", request));
        return;
    }
    let target = match target.rsplit_once(' ') {
        Some((target, protocol)) if protocol.starts_with("HTTP/") => {
            e.extra.push(("protocol", protocol));
            target
        }
        _ => target,
    };
    e.method = Some(method);
    e.url = (!target.is_empty()).then_some(target);
}

/// Reads the optional duration and Squid result code, keeping the rest as `trailing`.
fn read_trailing<'a>(mut rest: &'a str, e: &mut HttpEvent<'a>) {
    while let Some((word, after)) = token(rest) {
        if word.starts_with('"') {
            break;
        }
        if let (None, Some((code, hierarchy))) = (e.cache_result, squid_code(word)) {
            e.cache_result = Some(code);
            e.extra.push(("hierarchy", hierarchy));
        } else if let (None, Some(ms)) = (e.duration_ms, duration_ms(word)) {
            e.duration_ms = Some(ms);
        } else {
            break;
        }
        rest = after;
    }
    let rest = rest.trim_matches(' ');
    if !rest.is_empty() {
        e.extra.push(("trailing", rest));
    }
}

/// `TCP_MISS:HIER_DIRECT`: Squid's result and hierarchy codes.
fn squid_code(word: &str) -> Option<(&str, &str)> {
    let (code, hierarchy) = word.split_once(':')?;
    let is_code = |s: &str| {
        s.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && s.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    };
    (is_code(code) && is_code(hierarchy)).then_some((code, hierarchy))
}

/// The verdict of a Squid result code, as in the module documentation.
fn squid_verdict(code: &str, status: Option<u16>) -> Option<&'static str> {
    if memmem::find(code.as_bytes(), b"DENIED").is_some() {
        return (status != Some(407)).then_some("block");
    }
    if status.is_none() && code.starts_with("NONE") {
        return None;
    }
    Some("allow")
}

/// `%D` microseconds, `%T/%D`, or seconds with a fraction, as milliseconds.
fn duration_ms(word: &str) -> Option<u64> {
    if let Some((_, micros)) = word.split_once('/') {
        return digits(micros).map(|us| us / 1000);
    }
    match word.split_once('.') {
        Some((secs, frac)) => seconds_ms(secs, frac),
        None => digits(word).map(|us| us / 1000),
    }
}

/// The value of a quoted field starting at `s[0] == '"'`, and the text after its closing
/// quote: the first unescaped `"` followed by a space or the end of the line.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = 1;
    loop {
        let at = i + memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[at] == b'\\' {
            i = at + 2;
            continue;
        }
        if matches!(b.get(at + 1), None | Some(b' ')) {
            return Some((&s[1..at], &s[at + 1..]));
        }
        i = at + 1;
    }
}

/// The next space-separated word and the text after it.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    if s.is_empty() {
        return None;
    }
    let end = memchr(b' ', s.as_bytes()).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// A character of an IP address (with an IPv6 zone) or a host name.
fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_' | b'%')
}

/// An RFC 9110 token character, the alphabet of HTTP methods.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `dd/Mon/yyyy:hh:mm:ss[.frac] ±hhmm` as UTC microseconds.
pub(crate) fn clf_time(s: &str) -> Option<Micros> {
    let b = s.as_bytes();
    let day = two_digits(b, 0)?;
    let month = month(b.get(3..6)?)?;
    let year = digits(s.get(7..11)?)?;
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let (secs_of_day, after) = clock(s.get(12..)?)?;
    let (micros, after) = match after.strip_prefix('.') {
        Some(frac) => {
            let end = frac.bytes().take_while(u8::is_ascii_digit).count();
            (fraction_micros(&frac[..end])?, &frac[end..])
        }
        None => (0, after),
    };
    let offset = after.strip_prefix(' ').and_then(numeric_offset)?;
    if !is_valid_date(year, month, day) {
        return None;
    }
    Some(civil_micros(year, month, day, secs_of_day, micros) - offset * 1_000_000)
}

/// `+hhmm` or `-hhmm` as seconds east of UTC.
pub(crate) fn numeric_offset(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 5 {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = (two_digits(b, 1)?, two_digits(b, 3)?);
    (hours <= 23 && minutes <= 59).then(|| sign * i64::from(hours * 3600 + minutes * 60))
}

fn dash_is_none(value: &str) -> Option<&str> {
    (!value.is_empty() && value != "-").then_some(value)
}

fn missing(field: &'static str) -> ParseError {
    ParseError::MissingField {
        format: NAME,
        field,
    }
}

fn invalid(field: &'static str) -> ParseError {
    ParseError::InvalidField {
        format: NAME,
        field,
    }
}

// ---------------------------------------------------------------------------------------
// Helpers shared with the other proxy parsers.

/// A non-empty string of ASCII digits as a number (no sign, no overflow).
pub(crate) fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Two ASCII digits at `pos`.
pub(crate) fn two_digits(b: &[u8], pos: usize) -> Option<u32> {
    match b.get(pos..pos + 2)? {
        [t @ b'0'..=b'9', u @ b'0'..=b'9'] => Some(u32::from(t - b'0') * 10 + u32::from(u - b'0')),
        _ => None,
    }
}

/// `hh:mm:ss` at the start of `s` as seconds of the day (a leap second `:60` lands on the
/// next second, as in POSIX time), and the text after it.
pub(crate) fn clock(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let (h, m, sec) = (two_digits(b, 0)?, two_digits(b, 3)?, two_digits(b, 6)?);
    if b[2] != b':' || b[5] != b':' || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some((i64::from(h * 3600 + m * 60 + sec), &s[8..]))
}

/// Up to six digits of a decimal fraction of a second as microseconds; longer fractions
/// are truncated.
pub(crate) fn fraction_micros(frac: &str) -> Option<i64> {
    if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut micros = 0;
    let mut digits = frac.bytes();
    for _ in 0..6 {
        micros = micros * 10 + digits.next().map_or(0, |d| i64::from(d - b'0'));
    }
    Some(micros)
}

/// `seconds.fraction` as whole milliseconds (truncated).
pub(crate) fn seconds_ms(secs: &str, frac: &str) -> Option<u64> {
    let secs = digits(secs)?;
    let micros = u64::try_from(fraction_micros(frac)?).ok()?;
    secs.checked_mul(1000)?.checked_add(micros / 1000)
}

/// A month's number from its English abbreviation, as the syslog reader spells them.
pub(crate) fn month(name: &[u8]) -> Option<u32> {
    crate::syslog::timestamp::month(name).map(u32::from)
}

/// Whether `year-month-day` exists in the Gregorian calendar (years 1 to 9999).
pub(crate) fn is_valid_date(year: u64, month: u32, day: u32) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    (1..=9999).contains(&year) && (1..=days).contains(&day)
}

/// Microseconds since the epoch of a valid UTC date and time of day.
pub(crate) fn civil_micros(
    year: u64,
    month: u32,
    day: u32,
    secs_of_day: i64,
    micros: i64,
) -> Micros {
    // Valid dates have years of at most four digits, so the cast is exact.
    let days = crate::syslog::timestamp::days_from_civil(year as i64, month, day);
    (days * 86_400 + secs_of_day) * 1_000_000 + micros
}

/// A wall-clock date and time read in `tz`, as UTC microseconds: for appliances that log
/// local time without an offset. In a repeated hour (the end of daylight saving time) the
/// earlier instant is taken; a time in a skipped hour does not exist and is not guessed.
pub(crate) fn local_micros(
    tz: chrono_tz::Tz,
    (year, month, day): (u64, u32, u32),
    secs_of_day: i64,
) -> Option<Micros> {
    use chrono::TimeZone;
    if !is_valid_date(year, month, day) {
        return None;
    }
    let utc_as_if = civil_micros(year, month, day, secs_of_day, 0);
    let local = chrono::DateTime::from_timestamp_micros(utc_as_if)?.naive_utc();
    Some(
        tz.from_local_datetime(&local)
            .earliest()?
            .timestamp_micros(),
    )
}

/// Host and path of a request target, borrowed from it.
///
/// An absolute URL (`http://user@host:8080/path?q`) gives the host without user info,
/// port or IPv6 brackets, and the path without query or fragment; an origin-form target
/// (`/path?q`) only a path; an authority-form target (`CONNECT host:443`, or any
/// `host:port`) only a host.
pub(crate) fn split_url<'a>(
    method: Option<&str>,
    url: &'a str,
) -> (Option<&'a str>, Option<&'a str>) {
    if let Some(scheme_end) = memmem::find(url.as_bytes(), b"://") {
        return split_authority_path(&url[scheme_end + 3..]);
    }
    if url.starts_with('/') {
        return (
            None,
            non_empty(&url[..url.find(['?', '#']).unwrap_or(url.len())]),
        );
    }
    let is_authority = method == Some("CONNECT")
        || url
            .rsplit_once(':')
            .is_some_and(|(h, port)| !h.is_empty() && digits(port).is_some());
    if is_authority && !url.contains('/') {
        return (url_host(url), None);
    }
    (None, None)
}

/// Host and path of `authority/path?query`, a URL without its scheme.
pub(crate) fn split_authority_path(rest: &str) -> (Option<&str>, Option<&str>) {
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let path = &rest[authority_end..];
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    (url_host(&rest[..authority_end]), non_empty(path))
}

/// The host of an authority: no `user@`, no `:port`, no IPv6 brackets.
pub(crate) fn url_host(authority: &str) -> Option<&str> {
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = hostport.strip_prefix('[') {
        return non_empty(&bracketed[..bracketed.find(']').unwrap_or(bracketed.len())]);
    }
    let host = match hostport.rsplit_once(':') {
        Some((h, port)) if port.is_empty() || port.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => hostport,
    };
    non_empty(host)
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PROXY: &str = "10.30.4.20 - tanaka [20/Nov/2026:09:00:01 +0900] \
        \"GET http://www.example.jp/news/index.html?id=3 HTTP/1.1\" 200 5120 \"-\" \
        \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"";

    /// 2026-11-20T00:00:01Z.
    const NOV_20: Micros = 1_795_132_801_000_000;

    #[test]
    fn proxy_line_field_by_field() {
        assert_eq!(
            parse(PROXY).unwrap(),
            HttpEvent {
                time: Some(NOV_20),
                src_ip: Some("10.30.4.20"),
                user: Some("tanaka"),
                method: Some("GET"),
                url: Some("http://www.example.jp/news/index.html?id=3"),
                url_host: Some("www.example.jp"),
                url_path: Some("/news/index.html"),
                status: Some(200),
                bytes_in: Some(5120),
                user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }
        );
        assert!(looks_like(PROXY));
    }

    #[test]
    fn common_format_with_squid_codes() {
        // Squid's built-in `logformat common`: `... %>Hs %<st %Ss:%Sh`.
        let line = "10.30.4.21 - - [20/Nov/2026:00:00:01 +0000] \"CONNECT mail.example.com:443 HTTP/1.1\" 403 3862 TCP_DENIED:HIER_NONE";
        let e = parse(line).unwrap();
        assert_eq!(e.time, Some(NOV_20));
        assert_eq!(
            (e.method, e.url),
            (Some("CONNECT"), Some("mail.example.com:443"))
        );
        assert_eq!((e.url_host, e.url_path), (Some("mail.example.com"), None));
        assert_eq!(
            (e.cache_result, e.action),
            (Some("TCP_DENIED"), Some("block"))
        );
        assert_eq!(
            e.extra,
            [("protocol", "HTTP/1.1"), ("hierarchy", "HIER_NONE")]
        );
        let challenge = line.replace("403 3862", "407 3862");
        assert_eq!(parse(&challenge).unwrap().action, None);
        let miss = line
            .replace("TCP_DENIED:HIER_NONE", "TCP_MISS:HIER_DIRECT")
            .replace(" 403 ", " 200 ");
        assert_eq!(parse(&miss).unwrap().action, Some("allow"));
    }

    #[test]
    fn trailing_durations() {
        let base =
            "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 10 \"-\" \"ua\"";
        let cases = [
            (" 1234567", Some(1234), None),
            (" 0.123", Some(123), None),
            (" 2/2345678", Some(2345), None),
            (" 1234567 TCP_MISS:HIER_DIRECT", Some(1234), None),
            (" \"10.0.0.9\"", None, Some("\"10.0.0.9\"")),
            (
                " 0.5 \"-\" extra words",
                Some(500),
                Some("\"-\" extra words"),
            ),
            (" abc", None, Some("abc")),
        ];
        for (suffix, ms, trailing) in cases {
            let line = format!("{base}{suffix}");
            let e = parse(&line).unwrap();
            assert_eq!(e.duration_ms, ms, "{suffix}");
            let kept = e
                .extra
                .iter()
                .find(|(k, _)| *k == "trailing")
                .map(|(_, v)| *v);
            assert_eq!(kept, trailing, "{suffix}");
        }
    }

    #[test]
    fn request_line_shapes() {
        let line =
            |request: &str| format!("1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"{request}\" 400 0");
        let read = |request: &str| {
            let text: &'static str = line(request).leak();
            let e = parse(text).unwrap();
            (e.method, e.url, e.extra)
        };
        assert_eq!(read("-"), (None, None, vec![]));
        assert_eq!(read(""), (None, None, vec![]));
        assert_eq!(read("GET /x"), (Some("GET"), Some("/x"), vec![]));
        assert_eq!(
            read("\\x16\\x03\\x01\\x02\\x00\\x01\\x00"),
            (
                None,
                None,
                vec![("request", "\\x16\\x03\\x01\\x02\\x00\\x01\\x00")]
            )
        );
        assert_eq!(
            read("\u{16}\u{3}\u{1} junk"),
            (None, None, vec![("request", "\u{16}\u{3}\u{1} junk")])
        );
        // Apache escapes a quote in the request line; an unescaped one does not end it.
        assert_eq!(
            read("GET /a\\\"b HTTP/1.0"),
            (Some("GET"), Some("/a\\\"b"), vec![("protocol", "HTTP/1.0")])
        );
        assert_eq!(
            read("GET /a\"b HTTP/1.0"),
            (Some("GET"), Some("/a\"b"), vec![("protocol", "HTTP/1.0")])
        );
        assert_eq!(
            read("GET /a b HTTP/1.1"),
            (Some("GET"), Some("/a b"), vec![("protocol", "HTTP/1.1")])
        );
    }

    #[test]
    fn hosts_users_and_nulls() {
        let e = parse("proxy.example.jp x j.doe smith [20/Nov/2026:09:00:01 -0130] \"GET / HTTP/1.1\" - - \"\" \"-\"").unwrap();
        assert_eq!(e.src_ip, None);
        assert_eq!(e.user, Some("j.doe smith"));
        assert_eq!((e.status, e.bytes_in, e.user_agent), (None, Some(0), None));
        // 09:00:01 at -01:30 is 10:30:01 UTC.
        assert_eq!(e.time, Some(NOV_20 + 37_800_000_000));
        assert_eq!(
            e.extra,
            [
                ("remote_host", "proxy.example.jp"),
                ("ident", "x"),
                ("protocol", "HTTP/1.1")
            ]
        );
        let v6 = parse("2001:db8::1 - - [20/Nov/2026:09:00:01.250 +0900] \"GET / HTTP/2.0\" 0 1")
            .unwrap();
        assert_eq!(
            (v6.src_ip, v6.status, v6.time),
            (Some("2001:db8::1"), None, Some(NOV_20 + 250_000))
        );
    }

    #[test]
    fn quoted_user_and_missing_size() {
        let e = parse("10.42.42.39 - \"jeff\" [19/Apr/1943:03:14:13 +0000] \"GET / HTTP/1.1\" 401 \"-\" \"ua\"").unwrap();
        assert_eq!(
            (e.user, e.status, e.bytes_in, e.user_agent),
            (Some("jeff"), Some(401), None, Some("ua"))
        );
    }

    #[test]
    fn rejects_with_reasons() {
        let cases = [
            ("", missing("time")),
            (
                "1.2.3.4 - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 1",
                missing("user"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900 \"GET / HTTP/1.1\" 200 1",
                invalid("time"),
            ),
            (
                "1.2.3.4 - - [31/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 1",
                invalid("time"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:24:00:01 +0900] \"GET / HTTP/1.1\" 200 1",
                invalid("time"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01] \"GET / HTTP/1.1\" 200 1",
                invalid("time"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] GET / 200 1",
                missing("request"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1",
                invalid("request"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\"",
                missing("status"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 2x0 1",
                invalid("status"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 70000 1",
                invalid("status"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200",
                missing("bytes"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 -1",
                invalid("bytes"),
            ),
            (
                "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 1 \"-",
                invalid("referer"),
            ),
        ];
        for (line, err) in cases {
            assert_eq!(parse(line), Err(err), "{line}");
        }
    }

    #[test]
    fn looks_like_shape() {
        assert!(looks_like(
            "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"-\" 408 -"
        ));
        assert!(!looks_like(
            "1.2.3.4 - [20/Nov/2026:09:00:01 +0900] \"-\" 408 -"
        ));
        assert!(!looks_like(
            "1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] 408 -"
        ));
        assert!(!looks_like(
            "Jun  8 14:34:33 host kernel: [1.0] IN=eth0 OUT= SRC=1.2.3.4"
        ));
        assert!(!looks_like(
            "[Mon Aug 31 16:27:04 2015] [error] [client 10.17.42.3] Premature end"
        ));
        assert!(!looks_like(
            "1525334330.556 3 120.65.1.1 TCP_MISS/200 2014 GET http://h/ - DIRECT/h -"
        ));
        assert!(!looks_like(""));
        // A combined line quoted inside something else is not one.
        assert!(!looks_like(
            "\tMessage: `1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"GET / HTTP/1.1\" 200 1`"
        ));
        assert!(!looks_like(
            " 1.2.3.4 - - [20/Nov/2026:09:00:01 +0900] \"-\" 408 -"
        ));
    }

    #[test]
    fn civil_time_matches_chrono() {
        use chrono::{NaiveDate, NaiveTime};
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2026, 11, 20),
            (1969, 12, 31),
            (9999, 12, 31),
            (1, 1, 1),
        ] {
            let ours = civil_micros(y, m, d, 3661, 7);
            let date = NaiveDate::from_ymd_opt(y as i32, m, d).unwrap();
            let theirs = date
                .and_time(NaiveTime::from_hms_micro_opt(1, 1, 1, 7).unwrap())
                .and_utc()
                .timestamp_micros();
            assert_eq!(ours, theirs, "{y}-{m}-{d}");
        }
        assert!(
            !is_valid_date(2025, 2, 29) && is_valid_date(2024, 2, 29) && !is_valid_date(0, 1, 1)
        );
    }

    #[test]
    fn url_splitting() {
        let cases = [
            (
                Some("GET"),
                "http://user:pw@example.jp:8080/a/b?q=1#f",
                Some("example.jp"),
                Some("/a/b"),
            ),
            (Some("GET"), "http://example.jp", Some("example.jp"), None),
            (
                Some("GET"),
                "http://[2001:db8::1]:80/x",
                Some("2001:db8::1"),
                Some("/x"),
            ),
            (Some("CONNECT"), "example.jp:443", Some("example.jp"), None),
            (None, "example.jp:443", Some("example.jp"), None),
            (Some("GET"), "/index.html?x", None, Some("/index.html")),
            (Some("GET"), "*", None, None),
        ];
        for (method, url, host, path) in cases {
            assert_eq!(split_url(method, url), (host, path), "{url}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_borrows_from_the_line(s in "\\PC*") {
            let _ = looks_like(&s);
            if let Ok(e) = parse(&s) {
                for value in [e.src_ip, e.user, e.method, e.url, e.url_host, e.url_path, e.user_agent, e.cache_result]
                    .into_iter()
                    .flatten()
                    .chain(e.extra.iter().map(|(_, v)| *v))
                {
                    prop_assert!(s.contains(value));
                }
            }
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let s = String::from_utf8_lossy(&b);
            let _ = looks_like(&s);
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_shaped_noise(
            host in "[0-9a-f:.]{0,12}",
            user in "[ -~]{0,8}",
            stamp in "[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,8})? [+-][0-9]{4}",
            request in "[ -~]{0,30}",
            tail in "[ -~]{0,40}",
        ) {
            let line = format!("{host} - {user} [{stamp}] \"{request}\" {tail}");
            let _ = looks_like(&line);
            let _ = parse(&line);
        }
    }
}
