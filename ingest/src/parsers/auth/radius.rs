//! FreeRADIUS authentication results, from `radius.log` or from syslog.
//!
//! # What is accepted
//!
//! The lines FreeRADIUS writes for each authentication when `log { auth = yes }`
//! (`rad_authlog()` in `src/main/auth.c`):
//!
//! ```text
//! Tue Nov 25 10:00:00 2026 : Auth: (12) Login OK: [tanaka] (from client vpn-gw port 0 cli 203.0.113.7)
//! Tue Nov 25 10:00:05 2026 : Auth: (13) Login incorrect (pap: Cleartext password does not match "known good" password): [tanaka] (from client vpn-gw port 0 cli 203.0.113.7)
//! (14) Invalid user: [ghost] (from client wlc01 port 1 cli AA-BB-CC-DD-EE-FF via TLS tunnel)
//! ```
//!
//! that is `[date : Auth: ][(request) ]<result>[ (<module message>)]: [<user>[/<password>]]
//! (from client <client> port <n>[ cli <calling station>][ via ..])[ <message>]`. The
//! date and `Auth:` level appear in the log file; through syslog the MSG starts at the
//! request number. FreeRADIUS 2 writes no request number. Results: `Login OK`, `Login
//! incorrect`, `Invalid user`, `Rejected in post-auth`, `Multiple logins`, and the older
//! `Home server says invalid user`. Other levels (`Info:`, `Error:`, `Proxy:`, debug
//! output) and lines without a result are rejected with a reason.
//!
//! # Passwords
//!
//! With `auth_badpass = yes` / `auth_goodpass = yes` FreeRADIUS logs the password after
//! the user name: `[tanaka/badpass]`. The parser never keeps it: the user is the text
//! before the first `/` and nothing after it is stored in any column or in `extra`. A
//! line does not say whether passwords are logged, so a user name that itself contains
//! `/` is cut there too (better a short user name than a stored password), except the
//! `host/` prefix of 802.1X machine accounts (`host/pc01.city.local`), which is kept
//! and the cut made after it. The `raw` column still holds the whole line, password
//! included; redacting it is the pipeline's decision.
//!
//! # Mapping
//!
//! | column | from |
//! |---|---|
//! | `user` | the bracketed name, cut as above; `<no User-Name attribute>` and empty are null |
//! | `src_ip` / `src_host` | `cli` (Calling-Station-Id) when it is an IP address / otherwise (a MAC address on Wi-Fi and wired 802.1X, a phone number on dial-up) |
//! | `dst_host` | the RADIUS client's short name (the NAS: VPN gateway, wireless controller, switch) |
//! | `protocol` | `radius` |
//! | `activity` | `logon`, or `mfa` when the line says a one-time-password module decided (below) |
//! | `outcome` | `success` for `Login OK`, `failure` otherwise |
//! | `reason` | failures: `bad password` when the module message says the password did not match (`pap` "does not match", `chap`/`mschap` "incorrect"/"failed"), `login incorrect` for other rejections, `invalid user`, `rejected in post-auth`, `rejected by home server`, `home server did not respond`, `too many sessions` |
//! | `time` | null: the file's `ctime` date has no zone, so the pipeline's syslog or receive time is used (a file read later would need the date read in the source's zone, which the parser does not know) |
//! | `extra` | `request` (the request number), `module_message`, `nas_port`, `via` (`TLS tunnel`, an inner EAP authentication, or `proxy to virtual server`), `message` (`msg_goodpass`/`msg_badpass` text after the bracket) |
//!
//! # MFA
//!
//! `is_mfa` is `Some(true)`, and `activity` `mfa`, only when the line says so: the
//! module message or the trailing message contains a word `otp`, `totp`, `hotp`, `mfa`
//! or `2fa` (`rlm_otp`, `totp: ..`, a `msg_goodpass` of `MFA OK`). A RADIUS Access-Accept
//! from an MFA server looks like any other `Login OK`, so otherwise `is_mfa` is null
//! (unknown), not false. The user name is never searched, since the client chooses it.
//!
//! # Performance
//!
//! Prefix comparisons and a few `memmem` searches on the line; every value is a slice
//! of the input and nothing is allocated except `extra` (five entries at most).

use std::net::IpAddr;

use memchr::memmem;

use crate::error::ParseError;
use crate::event::AuthEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "radius";

/// Cheap check that a line is a FreeRADIUS authentication result: logged by
/// `radiusd`/`freeradius`, or (for any program, or a file line) opening like one:
/// `<date> : <Level>: ` or `[(n) ]<result>` followed somewhere by `(from client `.
pub fn looks_like(app: Option<&str>, msg: &str) -> bool {
    if app.is_some_and(|a| a.starts_with("radiusd") || a.starts_with("freeradius")) {
        return true;
    }
    let (rest, level) = strip_header(msg.trim_start());
    match level {
        // Lines of other levels are FreeRADIUS's too: claimed, then rejected with the
        // reason, so that they are counted as this format's.
        Some(_) => true,
        None => {
            let rest = strip_request(rest).1;
            RESULTS.iter().any(|(opening, _)| rest.starts_with(opening))
                && memmem::find(rest.as_bytes(), b"(from client ").is_some()
        }
    }
}

/// Parses one FreeRADIUS authentication line (a file line or the syslog MSG).
///
/// # Errors
///
/// [`ParseError::Unrecognised`] for lines of another level or without an
/// authentication result, and for results without the `[user] (from client ..)` part.
pub fn parse(msg: &str) -> Result<AuthEvent<'_>, ParseError> {
    let (rest, level) = strip_header(msg.trim());
    if level.is_some_and(|l| l != "Auth") {
        return Err(unrecognised("not an Auth line"));
    }
    let (request, rest) = strip_request(rest);
    let (result, after) = RESULTS
        .iter()
        .find_map(|&(opening, result)| rest.strip_prefix(opening).map(|after| (result, after)))
        .ok_or(unrecognised("not an authentication result"))?;

    // `<result>[ (<module message>)]: [` — the module message is server text and comes
    // before the user name, so the first `: [` ends it.
    let open =
        memmem::find(after.as_bytes(), b": [").ok_or(unrecognised("no [user] after the result"))?;
    let detail = after[..open].trim();
    // The user name (and password) are client text: search for the client part from
    // the right so that neither can fake it.
    let bracket = &after[open + 3..];
    let close = memmem::rfind(bracket.as_bytes(), b"] (from client ")
        .ok_or(unrecognised("no (from client ..) after the user"))?;
    let user = user_name(&bracket[..close]);
    let client_part = &bracket[close + "] (from client ".len()..];
    let client =
        Client::parse(client_part).ok_or(unrecognised("malformed (from client ..) part"))?;

    // `Login incorrect (pap: ...)` — the parentheses hold the module message.
    let module_message = detail
        .strip_prefix('(')
        .and_then(|d| d.strip_suffix(')'))
        .filter(|m| !m.is_empty());
    let (outcome, reason) = match result {
        Outcome::Ok => ("success", None),
        Outcome::Incorrect => ("failure", Some(incorrect_reason(module_message))),
        Outcome::Failed(reason) => ("failure", Some(reason)),
    };
    let is_mfa = [module_message, client.message]
        .into_iter()
        .flatten()
        .any(mentions_otp);

    let mut extra = Vec::new();
    if let Some(request) = request {
        extra.push(("request", request));
    }
    if let Some(m) = module_message {
        extra.push(("module_message", m));
    } else if result == Outcome::Failed("too many sessions") && !detail.is_empty() {
        // `Multiple logins (max 1) [MPP attempt]`: keep the limit.
        extra.push(("module_message", detail));
    }
    extra.push(("nas_port", client.port));
    if let Some(via) = client.via {
        extra.push(("via", via));
    }
    if let Some(message) = client.message {
        extra.push(("message", message));
    }

    let (src_ip, src_host) = match client.cli {
        Some(cli) => match ip_address(cli) {
            Some(ip) => (Some(ip), None),
            None => (None, Some(cli)),
        },
        None => (None, None),
    };
    Ok(AuthEvent {
        user,
        src_ip,
        src_host,
        dst_host: Some(client.name).filter(|n| !n.is_empty()),
        protocol: Some("radius"),
        activity: Some(if is_mfa { "mfa" } else { "logon" }),
        outcome: Some(outcome),
        reason,
        is_mfa: is_mfa.then_some(true),
        extra,
        ..AuthEvent::default()
    })
}

/// How a result opening maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// `Login incorrect`: the reason depends on the module message.
    Incorrect,
    Failed(&'static str),
}

/// Result openings, longest first where one is a prefix of another.
const RESULTS: &[(&str, Outcome)] = &[
    ("Login OK", Outcome::Ok),
    (
        "Login incorrect (Home Server says so)",
        Outcome::Failed("rejected by home server"),
    ),
    (
        "Login incorrect (Home Server failed to respond)",
        Outcome::Failed("home server did not respond"),
    ),
    ("Login incorrect", Outcome::Incorrect),
    ("Invalid user", Outcome::Failed("invalid user")),
    (
        "Rejected in post-auth",
        Outcome::Failed("rejected in post-auth"),
    ),
    ("Multiple logins", Outcome::Failed("too many sessions")),
    (
        "Home server says invalid user",
        Outcome::Failed("rejected by home server"),
    ),
];

/// `bad password` when the module says the password did not match.
fn incorrect_reason(module_message: Option<&str>) -> &'static str {
    let Some(m) = module_message else {
        return "login incorrect";
    };
    let b = m.as_bytes();
    let bad_password = memmem::find(b, b"password does not match").is_some()
        || memmem::find(b, b"Password Incorrect").is_some()
        || memmem::find(b, b"Response is incorrect").is_some()
        || memmem::find(b, b"Password comparison failed").is_some()
        || memmem::find(b, b"password comparison failed").is_some();
    if bad_password {
        "bad password"
    } else {
        "login incorrect"
    }
}

/// Whether server text names a one-time-password or MFA step, as a whole word (letters
/// and digits; `_`, `:` and the rest separate words, so `rlm_otp` counts).
fn mentions_otp(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| {
            ["otp", "totp", "hotp", "mfa", "2fa"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w))
        })
}

/// The user from `user` or `user/password`; see the module documentation.
fn user_name(bracket: &str) -> Option<&str> {
    let (prefix, rest) = match bracket.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("host/") => (5, &bracket[5..]),
        _ => (0, bracket),
    };
    let end = prefix + rest.find('/').unwrap_or(rest.len());
    let user = &bracket[..end];
    (!user.is_empty() && user != "<no User-Name attribute>").then_some(user)
}

/// The `(from client ..)` part, after `from client `.
struct Client<'a> {
    name: &'a str,
    port: &'a str,
    cli: Option<&'a str>,
    via: Option<&'a str>,
    /// Text after the closing parenthesis.
    message: Option<&'a str>,
}

impl<'a> Client<'a> {
    /// `<name> port <n>[ cli <id>][ via <what>])[ <message>]`
    fn parse(text: &'a str) -> Option<Client<'a>> {
        let port_at = memmem::find(text.as_bytes(), b" port ")?;
        let name = &text[..port_at];
        let rest = &text[port_at + 6..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let (port, mut rest) = rest.split_at(digits);
        let mut cli = None;
        if let Some(after) = rest.strip_prefix(" cli ") {
            let end = memmem::find(after.as_bytes(), b" via ")
                .or_else(|| after.find(')'))
                .unwrap_or(after.len());
            cli = Some(&after[..end]).filter(|c| !c.is_empty());
            rest = &after[end..];
        }
        let mut via = None;
        if let Some(after) = rest.strip_prefix(" via ") {
            let end = after.find(')')?;
            via = Some(&after[..end]);
            rest = &after[end..];
        }
        let rest = rest.strip_prefix(')')?;
        let message = Some(rest.trim()).filter(|m| !m.is_empty());
        Some(Client {
            name,
            port,
            cli,
            via,
            message,
        })
    }
}

/// Strips the file's `Www Mmm dd hh:mm:ss yyyy : <Level>: ` header, returning the rest
/// and the level. A line without the header comes back whole, with no level.
fn strip_header(line: &str) -> (&str, Option<&str>) {
    let Some(after_date) = skip_ctime(line) else {
        return (line, None);
    };
    let Some(after_colon) = after_date.trim_start().strip_prefix(':') else {
        return (line, None);
    };
    let after_colon = after_colon.trim_start();
    match after_colon.split_once(": ") {
        Some((level, rest))
            if !level.is_empty() && level.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            (rest, Some(level))
        }
        _ => (line, None),
    }
}

/// The text after a `ctime()` date (`Tue Nov 25 10:00:00 2026`, day possibly
/// space-padded), if the line starts with one.
fn skip_ctime(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let weekday = b.get(..4)?;
    if !(weekday[..3].iter().all(u8::is_ascii_alphabetic) && weekday[3] == b' ') {
        return None;
    }
    let month = b.get(4..8)?;
    if !(month[..3].iter().all(u8::is_ascii_alphabetic) && month[3] == b' ') {
        return None;
    }
    let mut p = 8;
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    let day = b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&day) {
        return None;
    }
    p += day;
    // ` hh:mm:ss yyyy`
    let clock = b.get(p..p + 14)?;
    let shape = b" 00:00:00 0000";
    let matches = clock.iter().zip(shape).all(|(&c, &s)| {
        if s == b'0' {
            c.is_ascii_digit()
        } else {
            c == s
        }
    });
    matches.then(|| &line[p + 14..])
}

/// Splits off FreeRADIUS 3's request number `(12) `.
fn strip_request(text: &str) -> (Option<&str>, &str) {
    if let Some(inner) = text.strip_prefix('(')
        && let Some(close) = inner.find(") ")
        && close > 0
        && inner[..close].bytes().all(|b| b.is_ascii_digit())
    {
        return (Some(&inner[..close]), &inner[close + 2..]);
    }
    (None, text)
}

/// An IP address, without the IPv4-mapped `::ffff:` prefix.
fn ip_address(text: &str) -> Option<&str> {
    let v4 = text
        .strip_prefix("::ffff:")
        .filter(|t| t.parse::<std::net::Ipv4Addr>().is_ok());
    v4.or_else(|| text.parse::<IpAddr>().is_ok().then_some(text))
}

fn unrecognised(reason: &'static str) -> ParseError {
    ParseError::Unrecognised {
        format: NAME,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn file_line_login_ok() {
        let line = "Tue Nov 25 10:00:00 2026 : Auth: (12) Login OK: [tanaka] (from client vpn-gw port 0 cli 203.0.113.7)";
        assert!(looks_like(None, line));
        assert_eq!(
            parse(line),
            Ok(AuthEvent {
                user: Some("tanaka"),
                src_ip: Some("203.0.113.7"),
                dst_host: Some("vpn-gw"),
                protocol: Some("radius"),
                activity: Some("logon"),
                outcome: Some("success"),
                extra: vec![("request", "12"), ("nas_port", "0")],
                ..AuthEvent::default()
            })
        );
    }

    #[test]
    fn passwords_are_never_kept() {
        let line = "Wed Jan  7 09:15:02 2026 : Auth: (3) Login incorrect (pap: Cleartext password does not match \"known good\" password): [tanaka/s3cr/et] pw] (from client vpn-gw port 0 cli 203.0.113.7)";
        let e = parse(line).unwrap();
        assert_eq!(e.user, Some("tanaka"));
        assert_eq!(e.reason, Some("bad password"));
        assert_eq!(
            extra(&e, "module_message"),
            Some("pap: Cleartext password does not match \"known good\" password")
        );
        for (_, v) in &e.extra {
            assert!(!v.contains("s3cr"), "{v}");
        }
        let e = parse("Login incorrect: [host/pc01.city.local/hunter2] (from client wlc port 1)")
            .unwrap();
        assert_eq!(e.user, Some("host/pc01.city.local"));
        let e = parse("Login OK: [host/pc01.city.local] (from client wlc port 1)").unwrap();
        assert_eq!(e.user, Some("host/pc01.city.local"));
        let e = parse("Login OK: [/only-password] (from client wlc port 1)").unwrap();
        assert_eq!(e.user, None);
    }

    fn extra<'e>(e: &'e AuthEvent<'_>, key: &str) -> Option<&'e str> {
        e.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    #[test]
    fn syslog_messages_and_variants() {
        let e = parse("(14) Invalid user: [ghost] (from client wlc01 port 1 cli AA-BB-CC-DD-EE-FF via TLS tunnel)").unwrap();
        assert_eq!(
            (e.user, e.src_ip, e.src_host, e.reason),
            (
                Some("ghost"),
                None,
                Some("AA-BB-CC-DD-EE-FF"),
                Some("invalid user")
            )
        );
        assert_eq!(
            e.extra,
            [("request", "14"), ("nas_port", "1"), ("via", "TLS tunnel")]
        );
        assert!(looks_like(
            Some("radiusd"),
            "(14) Invalid user: [ghost] (from client wlc01 port 1)"
        ));

        let e = parse("(5) Login incorrect (Home Server says so): [tanaka@city] (from client proxy port 0 cli ::ffff:10.1.2.3)").unwrap();
        assert_eq!(
            (e.reason, e.src_ip),
            (Some("rejected by home server"), Some("10.1.2.3"))
        );

        let e = parse(
            "(6) Login OK: [tanaka] (from client vpn-gw port 0 cli 203.0.113.7) totp verified",
        )
        .unwrap();
        assert_eq!((e.activity, e.is_mfa), (Some("mfa"), Some(true)));
        assert_eq!(e.extra.last(), Some(&("message", "totp verified")));

        let e = parse(
            "(7) Login incorrect (rlm_otp: challenge failed): [tanaka] (from client vpn-gw port 0)",
        )
        .unwrap();
        assert_eq!(
            (e.activity, e.outcome, e.is_mfa, e.reason),
            (
                Some("mfa"),
                Some("failure"),
                Some(true),
                Some("login incorrect")
            )
        );

        // The client chooses its user name: an `otp` in it proves nothing.
        let e = parse("(8) Login OK: [otp] (from client vpn-gw port 0)").unwrap();
        assert_eq!((e.activity, e.is_mfa), (Some("logon"), None));

        let e = parse("Multiple logins (max 1) [MPP attempt]: [tanaka] (from client nas port 3 cli 0312345678)").unwrap();
        assert_eq!(
            (e.reason, e.src_host),
            (Some("too many sessions"), Some("0312345678"))
        );
        assert_eq!(extra(&e, "module_message"), Some("(max 1) [MPP attempt]"));

        // A user name cannot fake the client part: it is read from the right, and the
        // whole name the client sent is its user name.
        let e = parse("(9) Login OK: [x] (from client evil port 1 cli 6.6.6.6)] (from client nas port 2 cli 10.0.0.1)").unwrap();
        assert_eq!(e.user, Some("x] (from client evil port 1 cli 6.6.6.6)"));
        assert_eq!((e.dst_host, e.src_ip), (Some("nas"), Some("10.0.0.1")));
    }

    #[test]
    fn other_lines_are_rejected() {
        let cases = [
            (
                "Tue Nov 25 10:00:00 2026 : Info: Ready to process requests",
                "not an Auth line",
            ),
            (
                "Tue Nov 25 10:00:00 2026 : Error: (3) eap_peap: TLS Alert",
                "not an Auth line",
            ),
            (
                "Tue Nov 25 10:00:00 2026 : Auth: Something else",
                "not an authentication result",
            ),
            ("(3) Login OK", "no [user] after the result"),
            (
                "(3) Login OK: [tanaka]",
                "no (from client ..) after the user",
            ),
            (
                "(3) Login OK: [tanaka] (from client nas port x)",
                "malformed (from client ..) part",
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(line), Err(unrecognised(reason)), "{line}");
        }
        // A file line of another level is claimed, so that it is rejected as radius's.
        assert!(looks_like(
            None,
            "Tue Nov 25 10:00:00 2026 : Info: Ready to process requests"
        ));
        assert!(!looks_like(
            None,
            "Invalid user admin from 192.0.2.1 port 22"
        ));
        assert!(!looks_like(
            Some("sshd"),
            "Accepted password for root from 192.0.2.1 port 22 ssh2"
        ));
    }

    proptest! {
        #[test]
        fn never_panics_and_never_keeps_the_password(
            user in "[a-z/ \\]\\[()]{0,12}",
            password in "[A-Za-z0-9]{6,10}",
            tail in "[a-z0-9 .:()\\-]{0,30}",
        ) {
            let line = format!("(1) Login incorrect: [{user}/{password}] (from client {tail}");
            let _ = looks_like(None, &line);
            if let Ok(e) = parse(&line) {
                let fields = [e.user, e.src_ip, e.src_host, e.dst_host, e.reason];
                for v in fields.into_iter().flatten().chain(e.extra.iter().map(|(_, v)| *v)) {
                    prop_assert!(!v.contains(&password), "{v} in {line}");
                }
            }
        }

        #[test]
        fn never_panics_on_arbitrary_text(msg in "\\PC*", app in proptest::option::of("radiusd|[a-z]{0,6}")) {
            let _ = looks_like(app.as_deref(), &msg);
            let _ = parse(&msg);
        }
    }
}
