//! OpenVPN server logs: authentication results, connections and disconnections of
//! clients.
//!
//! # What is accepted
//!
//! The syslog MSG of `openvpn` (also `ovpn-<instance>`, the Debian unit's tag) or a line
//! of OpenVPN's own `--log` file, whose `2024-12-15 14:11:27 ` (2.5 and later) or
//! `Sun Dec 15 14:11:27 2024 ` (earlier) date is skipped. A server prefixes the messages
//! about a client with the peer, `203.0.113.7:51234 `, and once the client has a common
//! name with `tanaka/203.0.113.7:51234 ` (the order `ip:port/name` is read too); IPv6
//! peers appear as `[AF_INET6]2001:db8::7:51234` or `2001:db8::7:51234`.
//!
//! # Which lines become events
//!
//! | message | activity, outcome | `reason` |
//! |---|---|---|
//! | `TLS: Username/Password authentication succeeded for username 'u'` | logon success | null (`logon_type` `password`) |
//! | `TLS Auth Error: Auth Username/Password verification failed for peer` | logon failure | `password verification failed` |
//! | `TLS Auth Error: ..Certificate..` / other `TLS Auth Error:` | logon failure | `certificate verification failed` / `authentication failed` |
//! | `AUTH: Received control message: AUTH_FAILED`, `SENT CONTROL [u]: 'AUTH_FAILED'` | logon failure | `auth failed` |
//! | `WARNING: Failed running command (--auth-user-pass-verify)..` | logon failure | `password verification failed` |
//! | `PLUGIN_CALL: ..PLUGIN_AUTH_USER_PASS_VERIFY failed..` / `..status=1` | logon failure | `plugin authentication failed` |
//! | `AUTH-PAM: BACKGROUND: user 'u' failed to authenticate: ..` | logon failure | `pam authentication failure` |
//! | `TLS Error: TLS handshake failed` | logon failure | `tls handshake failed` |
//! | `TLS Error: incoming packet authentication failed` / `cannot locate HMAC` | logon failure | `packet authentication failed` (tls-auth key) |
//! | `TLS Error: tls-crypt unwrapping failed` | logon failure | `tls-crypt unwrapping failed` |
//! | `TLS Error: TLS key negotiation failed to occur within ..` | logon failure | `tls negotiation timeout` |
//! | `VERIFY OK: depth=0, ..CN=u..` | logon success | `certificate verified` (`logon_type` `certificate`) |
//! | `VERIFY ERROR: depth=n, error=e: ..`, `VERIFY <kind> ERROR`, `VERIFY CRL: .. is revoked` | logon failure | `certificate verification failed` / `certificate revoked` |
//! | `[u] Peer Connection Initiated with ..` | logon success | `peer connection initiated` |
//! | `MULTI_sva: pool returned IPv4=a` / `MULTI: primary virtual IP for ..: a` | logon success | `address assigned` (`extra['assigned_ip']`) |
//! | `SIGTERM[soft,remote-exit] received, client-instance exiting` (or `restarting`) | logoff success | `client exit`, `inactivity timeout`, `connection reset`, or the signal reason as logged |
//! | `Inactivity timeout (--ping-restart)..`, `Connection reset, restarting` (after a peer prefix) | logoff success | `inactivity timeout`, `connection reset` |
//!
//! A failed TLS handshake is a failed logon: the peer tried to connect and did not get
//! in, which is what scan and brute-force rules count (as sshd's pre-authentication
//! disconnects are). `Peer Connection Initiated` means the control channel's TLS
//! handshake completed, with certificate checks when they are configured; with a
//! deferred username/password check the decision comes in a later line, hence its own
//! `reason`. The other lines OpenVPN writes around these (`TCP connection established`,
//! `OpenSSL: error:..` and the other `TLS Error:` details of a handshake that the `TLS
//! handshake failed` line then records, `VERIFY OK` for CA certificates (depth above
//! 0), deferred authentication, plugin calls that succeeded, `MULTI: Learn`, start-up
//! and routing lines) are rejected with a reason and land in `unparsed`.
//!
//! # Mapping
//!
//! | column | from |
//! |---|---|
//! | `src_ip` | the peer in the prefix, else the peer in `.. from [AF_INET]ip:port` / `with [AF_INET]ip:port`; `::ffff:` removed |
//! | `user` | the user name the message names (`username 'u'`, `[u]`, `user 'u'`, the certificate's `CN=`), else the common name of the prefix; `UNDEF` is null |
//! | `protocol` | `vpn` |
//! | `extra` | `src_port` (the peer's port), `assigned_ip`, `assigned_ipv6`, `verify_error`, `depth`, `signal` |
//! | `time`, `dst_host` | null: the file's date has no zone; the reporting device is the server |
//!
//! # Performance
//!
//! The date and peer prefixes are read by hand, the message is matched by literal
//! prefixes; values are slices of the line and nothing is allocated except `extra`.

use std::net::IpAddr;

use memchr::memmem;

use crate::error::ParseError;
use crate::event::AuthEvent;

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "openvpn";

/// Cheap check that a line is from an OpenVPN server: the syslog app is `openvpn` or
/// `ovpn-*`, or the message (after an optional date and peer prefix) opens with one of
/// the messages above. The generic openings (`Inactivity timeout`, `Connection reset`,
/// `SIG..`) need a peer prefix or the app.
pub fn looks_like(app: Option<&str>, msg: &str) -> bool {
    if app.is_some_and(|a| a.starts_with("openvpn") || a.starts_with("ovpn-")) {
        return true;
    }
    let rest = strip_date(msg.trim_start());
    // Reading a peer address costs more than all the rest, and most lines detection
    // tries here are other programs': let them go unless an opening could start at the
    // text or after its first word, where it follows a peer.
    let after_first_word = rest.split_once(' ').map(|(_, after)| after.trim_start());
    if !may_open(rest) && !after_first_word.is_some_and(may_open) {
        return false;
    }
    let (peer, rest) = Peer::strip(rest);
    DISTINCT_OPENINGS.iter().any(|o| rest.starts_with(o))
        || (peer.is_some() && GENERIC_OPENINGS.iter().any(|o| rest.starts_with(o)))
}

/// Whether `text` starts as an opening could: every one of [`DISTINCT_OPENINGS`] and
/// [`GENERIC_OPENINGS`] starts with a capital letter or `[`.
fn may_open(text: &str) -> bool {
    text.as_bytes()
        .first()
        .is_some_and(|&b| b.is_ascii_uppercase() || b == b'[')
}

/// Message openings that only OpenVPN writes.
const DISTINCT_OPENINGS: &[&str] = &[
    "TLS: Username/Password authentication ",
    "TLS Auth Error: ",
    "TLS Error: ",
    "TLS_ERROR: ",
    "VERIFY ",
    "Peer Connection Initiated with ",
    "MULTI_sva: ",
    "MULTI: ",
    "AUTH: Received control message: ",
    "SENT CONTROL [",
    "PLUGIN_CALL: ",
    "AUTH-PAM: ",
    "WARNING: Failed running command (--auth-user-pass-verify)",
    "TCP connection established with ",
    "OpenSSL: ",
];

/// Openings other programs could write too.
const GENERIC_OPENINGS: &[&str] = &[
    "SIG",
    "Inactivity timeout",
    "Connection reset",
    "TLS: ",
    "[",
];

/// Parses one OpenVPN log line (file line or syslog MSG).
///
/// # Errors
///
/// [`ParseError::Unrecognised`] with a reason for lines that record no authentication
/// outcome, connection or disconnection (see the module documentation).
pub fn parse(msg: &str) -> Result<AuthEvent<'_>, ParseError> {
    let rest = strip_date(msg.trim());
    let (peer, rest) = Peer::strip(rest);
    let peer = peer.unwrap_or_default();
    // `[name] ` after the prefix: the common name OpenVPN knows for the peer.
    let (bracket_name, rest) = match rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((name, after)) if !name.contains(' ') => (Some(name), after),
        _ => (None, rest),
    };
    let mut ev = Ev {
        peer,
        user: None,
        extra: Vec::new(),
    };
    let event = ev.message(rest, bracket_name)?;
    Ok(ev.finish(event, bracket_name))
}

/// The parts of an event that the message decides.
struct Decided<'a> {
    activity: &'static str,
    outcome: &'static str,
    reason: Option<&'a str>,
    logon_type: Option<&'static str>,
}

/// An event being built: the peer, a user named by the message, `extra`.
struct Ev<'a> {
    peer: Peer<'a>,
    user: Option<&'a str>,
    extra: Vec<(&'a str, &'a str)>,
}

impl<'a> Ev<'a> {
    fn message(
        &mut self,
        m: &'a str,
        bracket_name: Option<&'a str>,
    ) -> Result<Decided<'a>, ParseError> {
        if let Some(rest) = m.strip_prefix("TLS: Username/Password authentication ") {
            let rest = rest
                .strip_prefix("succeeded for username '")
                .ok_or(unrecognised(
                    "username/password authentication not decided yet",
                ))?;
            self.user = rest.rfind('\'').map(|end| &rest[..end]);
            return Ok(success(None, Some("password")));
        }
        if let Some(rest) = m.strip_prefix("TLS Auth Error: ") {
            let reason = if rest.contains("Username/Password") {
                "password verification failed"
            } else if rest.contains("Certificate") || rest.contains("certificate") {
                "certificate verification failed"
            } else {
                "authentication failed"
            };
            return Ok(failure(reason));
        }
        if let Some(rest) = m.strip_prefix("TLS Error: ") {
            let reason = tls_error_reason(rest).ok_or(unrecognised(
                "TLS error detail (the failure is recorded by `TLS handshake failed`)",
            ))?;
            self.peer_from(rest);
            return Ok(failure(reason));
        }
        if m.starts_with("TLS_ERROR: ") || m.starts_with("OpenSSL: ") {
            return Err(unrecognised(
                "TLS error detail (the failure is recorded by `TLS handshake failed`)",
            ));
        }
        if let Some(rest) = m.strip_prefix("VERIFY ") {
            return self.verify(rest);
        }
        if let Some(rest) = m.strip_prefix("Peer Connection Initiated with ") {
            self.peer_from(rest);
            return Ok(success(Some("peer connection initiated"), None));
        }
        if let Some(rest) = m.strip_prefix("MULTI_sva: pool returned ") {
            for part in rest.split(", ") {
                if let Some(ip) = part
                    .strip_prefix("IPv4=")
                    .filter(|ip| ip.parse::<IpAddr>().is_ok())
                {
                    self.extra.push(("assigned_ip", ip));
                }
                if let Some(ip) = part
                    .strip_prefix("IPv6=")
                    .filter(|ip| ip.parse::<IpAddr>().is_ok())
                {
                    self.extra.push(("assigned_ipv6", ip));
                }
            }
            return Ok(success(Some("address assigned"), None));
        }
        if let Some(rest) = m.strip_prefix("MULTI: primary virtual IP for ") {
            // `name/ip:port: 10.8.0.6`
            let (who, ip) = rest
                .rsplit_once(": ")
                .ok_or(unrecognised("malformed primary virtual IP line"))?;
            if self.peer.ip.is_none() {
                self.peer = Peer::parse(who).unwrap_or_default();
            }
            if ip.parse::<IpAddr>().is_ok() {
                self.extra.push(("assigned_ip", ip));
            }
            return Ok(success(Some("address assigned"), None));
        }
        if m.starts_with("AUTH: Received control message: AUTH_FAILED") {
            return Ok(failure("auth failed"));
        }
        if let Some(rest) = m.strip_prefix("SENT CONTROL [")
            && let Some((name, message)) = rest.split_once("]: ")
        {
            if message.starts_with("'AUTH_FAILED") {
                self.user = Some(name);
                return Ok(failure("auth failed"));
            }
            return Err(unrecognised(
                "control message that is not an authentication result",
            ));
        }
        if m.starts_with("WARNING: Failed running command (--auth-user-pass-verify)") {
            return Ok(failure("password verification failed"));
        }
        if let Some(rest) = m.strip_prefix("PLUGIN_CALL: ") {
            let b = rest.as_bytes();
            if memmem::find(b, b"PLUGIN_AUTH_USER_PASS_VERIFY").is_some()
                && (memmem::find(b, b" failed").is_some()
                    || memmem::find(b, b"status=")
                        .is_some_and(|at| !rest[at + 7..].starts_with('0')))
            {
                return Ok(failure("plugin authentication failed"));
            }
            return Err(unrecognised(
                "plugin call that is not an authentication failure",
            ));
        }
        if let Some(rest) = m.strip_prefix("AUTH-PAM: BACKGROUND: user '")
            && let Some((user, outcome)) = rest.rsplit_once("' ")
        {
            if outcome.starts_with("failed to authenticate") {
                self.user = Some(user);
                return Ok(failure("pam authentication failure"));
            }
            return Err(unrecognised("PAM plugin message that is not a failure"));
        }
        if m.starts_with("SIG")
            && let Some(open) = m.find('[')
            && let Some((inside, after)) = m[open + 1..].split_once(']')
            && (after.contains("client-instance exiting")
                || after.contains("client-instance restarting"))
        {
            // `SIGTERM[soft,remote-exit]`, `SIGUSR1[soft,ping-restart]`
            self.extra.push(("signal", &m[..open]));
            let why = inside.rsplit(',').next().unwrap_or(inside);
            return Ok(logoff(Some(match why {
                "remote-exit" => "client exit",
                "ping-restart" | "ping-exit" => "inactivity timeout",
                "connection-reset" => "connection reset",
                other => other,
            })));
        }
        if m.starts_with("Inactivity timeout (--ping-")
            && (self.peer.ip.is_some() || bracket_name.is_some())
        {
            return Ok(logoff(Some("inactivity timeout")));
        }
        if m.starts_with("Connection reset, restarting")
            && (self.peer.ip.is_some() || bracket_name.is_some())
        {
            return Ok(logoff(Some("connection reset")));
        }
        Err(unrecognised(
            "OpenVPN message that records no authentication outcome",
        ))
    }

    /// `VERIFY OK: depth=0, <subject>`, `VERIFY ERROR: depth=n, error=e: <subject>`,
    /// `VERIFY <kind> ERROR: ..`, `VERIFY CRL: certificate serial number n is revoked`.
    fn verify(&mut self, rest: &'a str) -> Result<Decided<'a>, ParseError> {
        if let Some(rest) = rest.strip_prefix("OK: depth=") {
            let (depth, subject) = rest.split_once(", ").unwrap_or((rest, ""));
            if depth != "0" {
                return Err(unrecognised("certificate chain step (CA certificate)"));
            }
            self.user = common_name(subject);
            return Ok(success(Some("certificate verified"), Some("certificate")));
        }
        if let Some(rest) = rest.strip_prefix("CRL: ") {
            if rest.ends_with("is revoked") {
                return Ok(failure_with("certificate revoked", Some("certificate")));
            }
            return Err(unrecognised("CRL check that is not a revocation"));
        }
        let (kind, detail) = rest
            .split_once(": ")
            .ok_or(unrecognised("malformed VERIFY line"))?;
        if !kind.ends_with("ERROR") {
            return Err(unrecognised("VERIFY line that is not a result"));
        }
        if let Some(after) = detail.strip_prefix("depth=") {
            let (depth, after) = after.split_once(", ").unwrap_or((after, ""));
            self.extra.push(("depth", depth));
            if let Some(error) = after.strip_prefix("error=") {
                let (error, subject) = error.split_once(": ").unwrap_or((error, ""));
                self.extra.push(("verify_error", error));
                if depth == "0" {
                    self.user = common_name(subject);
                }
            }
        } else if kind != "ERROR" {
            // `VERIFY X509NAME ERROR: <subject>, must be <name>`, `VERIFY EKU ERROR: ..`
            self.extra
                .push(("verify_error", kind.strip_suffix(" ERROR").unwrap_or(kind)));
            self.user = common_name(detail);
        }
        Ok(failure_with(
            "certificate verification failed",
            Some("certificate"),
        ))
    }

    /// Takes the peer from `.. from [AF_INET]ip:port` / `with [AF_INET]ip:port` when the
    /// prefix had none (a line read without it).
    fn peer_from(&mut self, rest: &'a str) {
        if self.peer.ip.is_some() {
            return;
        }
        if let Some(at) = memmem::rfind(rest.as_bytes(), b"[AF_INET") {
            let addr = rest[at..].split(' ').next().unwrap_or("");
            if let Some(peer) = Peer::parse(addr) {
                self.peer = peer;
            }
        }
    }

    fn finish(mut self, d: Decided<'a>, bracket_name: Option<&'a str>) -> AuthEvent<'a> {
        let user = self
            .user
            .or(bracket_name)
            .or(self.peer.name)
            .filter(|u| !u.is_empty() && *u != "UNDEF");
        if let Some(port) = self.peer.port {
            self.extra.insert(0, ("src_port", port));
        }
        AuthEvent {
            user,
            src_ip: self.peer.ip,
            protocol: Some("vpn"),
            logon_type: d.logon_type,
            activity: Some(d.activity),
            outcome: Some(d.outcome),
            reason: d.reason,
            extra: self.extra,
            ..AuthEvent::default()
        }
    }
}

fn success<'a>(reason: Option<&'a str>, logon_type: Option<&'static str>) -> Decided<'a> {
    Decided {
        activity: "logon",
        outcome: "success",
        reason,
        logon_type,
    }
}

fn failure<'a>(reason: &'a str) -> Decided<'a> {
    failure_with(reason, None)
}

fn failure_with<'a>(reason: &'a str, logon_type: Option<&'static str>) -> Decided<'a> {
    Decided {
        activity: "logon",
        outcome: "failure",
        reason: Some(reason),
        logon_type,
    }
}

fn logoff(reason: Option<&str>) -> Decided<'_> {
    Decided {
        activity: "logoff",
        outcome: "success",
        reason,
        logon_type: None,
    }
}

/// The `TLS Error:` messages that end a handshake attempt; `None` for the details.
fn tls_error_reason(rest: &str) -> Option<&'static str> {
    Some(if rest.starts_with("TLS handshake failed") {
        "tls handshake failed"
    } else if rest.starts_with("incoming packet authentication failed")
        || rest.starts_with("cannot locate HMAC")
    {
        "packet authentication failed"
    } else if rest.starts_with("tls-crypt unwrapping failed") {
        "tls-crypt unwrapping failed"
    } else if rest.starts_with("TLS key negotiation failed to occur") {
        "tls negotiation timeout"
    } else {
        return None;
    })
}

/// The `CN` of a certificate subject, in the `C=JP, CN=tanaka` (2.4 and later) or
/// `/C=JP/CN=tanaka` (older) form.
fn common_name(subject: &str) -> Option<&str> {
    let at = memmem::rfind(subject.as_bytes(), b"CN=")?;
    if at > 0 && !matches!(subject.as_bytes()[at - 1], b' ' | b',' | b'/') {
        return None;
    }
    let value = &subject[at + 3..];
    let end = value.find([',', '/']).unwrap_or(value.len());
    Some(value[..end].trim()).filter(|v| !v.is_empty())
}

/// A peer prefix: `ip:port`, `name/ip:port` or `ip:port/name`.
#[derive(Debug, Clone, Copy, Default)]
struct Peer<'a> {
    ip: Option<&'a str>,
    port: Option<&'a str>,
    name: Option<&'a str>,
}

impl<'a> Peer<'a> {
    /// Splits a peer prefix off the message, if the first word is one.
    fn strip(text: &'a str) -> (Option<Peer<'a>>, &'a str) {
        let Some((word, rest)) = text.split_once(' ') else {
            return (None, text);
        };
        match Peer::parse(word) {
            Some(peer) => (Some(peer), rest.trim_start()),
            None => (None, text),
        }
    }

    fn parse(word: &'a str) -> Option<Peer<'a>> {
        if let Some((ip, port)) = ip_port(word) {
            return Some(Peer {
                ip: Some(ip),
                port: Some(port),
                name: None,
            });
        }
        let (left, right) = word.split_once('/')?;
        if let Some((ip, port)) = ip_port(right) {
            return Some(Peer {
                ip: Some(ip),
                port: Some(port),
                name: Some(left),
            });
        }
        let (ip, port) = ip_port(left)?;
        Some(Peer {
            ip: Some(ip),
            port: Some(port),
            name: Some(right),
        })
    }
}

/// `ip:port`, `[AF_INET]ip:port`, `[AF_INET6]ip:port` or `[ip]:port`, with the
/// IPv4-mapped prefix removed.
fn ip_port(text: &str) -> Option<(&str, &str)> {
    let text = text
        .strip_prefix("[AF_INET]")
        .or_else(|| text.strip_prefix("[AF_INET6]"))
        .unwrap_or(text);
    let (host, port) = text.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
        return None;
    }
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let host = host
        .strip_prefix("::ffff:")
        .filter(|h| h.parse::<std::net::Ipv4Addr>().is_ok())
        .unwrap_or(host);
    host.parse::<IpAddr>().ok().map(|_| (host, port))
}

/// Skips the date of a `--log` file line: `2024-12-15 14:11:27 ` or
/// `Sun Dec 15 14:11:27 2024 ` (day possibly space-padded).
fn strip_date(line: &str) -> &str {
    let b = line.as_bytes();
    let shape_at = |at: usize, shape: &[u8]| {
        b.get(at..at + shape.len()).is_some_and(|s| {
            s.iter().zip(shape).all(|(&c, &p)| match p {
                b'0' => c.is_ascii_digit(),
                b'a' => c.is_ascii_alphabetic(),
                b'_' => c == b' ' || c.is_ascii_digit(),
                _ => c == p,
            })
        })
    };
    if shape_at(0, b"0000-00-00 00:00:00 ") {
        return &line[20..];
    }
    if shape_at(0, b"aaa aaa _0 00:00:00 0000 ") {
        return &line[25..];
    }
    line
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

    fn vpn<'a>(
        activity: &'static str,
        outcome: &'static str,
        user: Option<&'a str>,
        ip: Option<&'a str>,
    ) -> AuthEvent<'a> {
        AuthEvent {
            user,
            src_ip: ip,
            protocol: Some("vpn"),
            activity: Some(activity),
            outcome: Some(outcome),
            ..AuthEvent::default()
        }
    }

    #[test]
    fn server_lines_field_by_field() {
        let cases = [
            (
                "203.0.113.7:51234 TLS: Username/Password authentication succeeded for username 'tanaka'",
                AuthEvent {
                    logon_type: Some("password"),
                    extra: vec![("src_port", "51234")],
                    ..vpn("logon", "success", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "Sun Dec 15 14:11:27 2024 203.0.113.7:51234 TLS Auth Error: Auth Username/Password verification failed for peer",
                AuthEvent {
                    reason: Some("password verification failed"),
                    extra: vec![("src_port", "51234")],
                    ..vpn("logon", "failure", None, Some("203.0.113.7"))
                },
            ),
            (
                "tanaka/203.0.113.7:51234 SENT CONTROL [tanaka]: 'AUTH_FAILED' (status=1)",
                AuthEvent {
                    reason: Some("auth failed"),
                    extra: vec![("src_port", "51234")],
                    ..vpn("logon", "failure", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "203.0.113.7:51234 [tanaka] Peer Connection Initiated with [AF_INET]203.0.113.7:51234",
                AuthEvent {
                    reason: Some("peer connection initiated"),
                    extra: vec![("src_port", "51234")],
                    ..vpn("logon", "success", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "tanaka/203.0.113.7:51234 MULTI_sva: pool returned IPv4=10.8.0.6, IPv6=(Not enabled)",
                AuthEvent {
                    reason: Some("address assigned"),
                    extra: vec![("src_port", "51234"), ("assigned_ip", "10.8.0.6")],
                    ..vpn("logon", "success", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "MULTI: primary virtual IP for tanaka/2001:db8::7:51234: 10.8.0.6",
                AuthEvent {
                    reason: Some("address assigned"),
                    extra: vec![("src_port", "51234"), ("assigned_ip", "10.8.0.6")],
                    ..vpn("logon", "success", Some("tanaka"), Some("2001:db8::7"))
                },
            ),
            (
                "tanaka/203.0.113.7:51234 SIGTERM[soft,remote-exit] received, client-instance exiting",
                AuthEvent {
                    reason: Some("client exit"),
                    extra: vec![("src_port", "51234"), ("signal", "SIGTERM")],
                    ..vpn("logoff", "success", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "tanaka/203.0.113.7:51234 [tanaka] Inactivity timeout (--ping-restart), restarting",
                AuthEvent {
                    reason: Some("inactivity timeout"),
                    extra: vec![("src_port", "51234")],
                    ..vpn("logoff", "success", Some("tanaka"), Some("203.0.113.7"))
                },
            ),
            (
                "2024-12-15 14:11:27 [AF_INET6]2001:db8::9:1194 VERIFY OK: depth=0, C=JP, O=City, CN=sato, emailAddress=sato@city.lg.jp",
                AuthEvent {
                    reason: Some("certificate verified"),
                    logon_type: Some("certificate"),
                    extra: vec![("src_port", "1194")],
                    ..vpn("logon", "success", Some("sato"), Some("2001:db8::9"))
                },
            ),
            (
                "203.0.113.8:1194 VERIFY ERROR: depth=0, error=certificate has expired: C=JP, CN=suzuki, serial=2",
                AuthEvent {
                    reason: Some("certificate verification failed"),
                    logon_type: Some("certificate"),
                    extra: vec![
                        ("src_port", "1194"),
                        ("depth", "0"),
                        ("verify_error", "certificate has expired"),
                    ],
                    ..vpn("logon", "failure", Some("suzuki"), Some("203.0.113.8"))
                },
            ),
            (
                "AUTH-PAM: BACKGROUND: user 'yamada' failed to authenticate: Authentication failure",
                AuthEvent {
                    reason: Some("pam authentication failure"),
                    ..vpn("logon", "failure", Some("yamada"), None)
                },
            ),
            (
                "203.0.113.9:40000 PLUGIN_CALL: POST /usr/lib/openvpn/openvpn-plugin-auth-pam.so/PLUGIN_AUTH_USER_PASS_VERIFY status=1",
                AuthEvent {
                    reason: Some("plugin authentication failed"),
                    extra: vec![("src_port", "40000")],
                    ..vpn("logon", "failure", None, Some("203.0.113.9"))
                },
            ),
            (
                "TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)",
                AuthEvent {
                    reason: Some("tls negotiation timeout"),
                    ..vpn("logon", "failure", None, None)
                },
            ),
        ];
        for (line, expected) in cases {
            assert!(looks_like(None, line), "{line}");
            assert_eq!(parse(line), Ok(expected), "{line}");
        }
    }

    #[test]
    fn other_lines_are_rejected_with_reasons() {
        let cases = [
            (
                "2024-12-15 14:10:00 OpenVPN 2.6.3 x86_64-linux-gnu started",
                "OpenVPN message that records no authentication outcome",
            ),
            (
                "203.0.113.7:51234 TLS: Username/Password authentication deferred for username 'tanaka'",
                "username/password authentication not decided yet",
            ),
            (
                "203.0.113.7:51234 VERIFY OK: depth=1, CN=City CA",
                "certificate chain step (CA certificate)",
            ),
            (
                "203.0.113.7:51234 TLS_ERROR: BIO read tls_read_plaintext error",
                "TLS error detail (the failure is recorded by `TLS handshake failed`)",
            ),
            (
                "203.0.113.7:51234 PLUGIN_CALL: POST /x.so/PLUGIN_AUTH_USER_PASS_VERIFY status=0",
                "plugin call that is not an authentication failure",
            ),
            (
                "tanaka/203.0.113.7:51234 MULTI: Learn: 10.8.0.6 -> tanaka/203.0.113.7:51234",
                "OpenVPN message that records no authentication outcome",
            ),
            (
                "Connection reset, restarting [0]",
                "OpenVPN message that records no authentication outcome",
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(line), Err(unrecognised(reason)), "{line}");
        }
        assert!(!looks_like(None, "Connection reset, restarting [0]"));
        assert!(!looks_like(None, "SIGTERM received, exiting"));
        assert!(!looks_like(
            None,
            "Accepted password for root from 192.0.2.1 port 22 ssh2"
        ));
        assert!(looks_like(Some("ovpn-server"), "anything"));
    }

    #[test]
    fn every_opening_passes_the_quick_check() {
        for opening in DISTINCT_OPENINGS.iter().chain(GENERIC_OPENINGS) {
            assert!(may_open(opening), "{opening}");
        }
    }

    /// The check as it was before the quick rejection: the peer read for every line.
    fn looks_like_reading_every_peer(msg: &str) -> bool {
        let rest = strip_date(msg.trim_start());
        let (peer, rest) = Peer::strip(rest);
        DISTINCT_OPENINGS.iter().any(|o| rest.starts_with(o))
            || (peer.is_some() && GENERIC_OPENINGS.iter().any(|o| rest.starts_with(o)))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(msg in "\\PC*", app in proptest::option::of("openvpn|[a-z]{0,6}")) {
            if !looks_like(app.as_deref(), &msg) {
                prop_assert!(!looks_like_reading_every_peer(&msg));
            }
            let _ = parse(&msg);
        }

        #[test]
        fn never_panics_on_message_shaped_noise(
            prefix in "(([a-z]{1,5}/)?(1\\.2\\.3\\.4|::ffff:1\\.2\\.3\\.4|2001:db8::1|\\[AF_INET\\]1\\.2\\.3\\.4):[0-9]{1,6} )?",
            opening in proptest::sample::select(DISTINCT_OPENINGS),
            words in proptest::collection::vec("depth=|error=|CN=|'|\\[|\\]|: |, |/|[a-z0-9.:]{0,8}", 0..10),
        ) {
            let line = format!("{prefix}{opening}{}", words.concat());
            prop_assert_eq!(looks_like(None, &line), looks_like_reading_every_peer(&line));
            if let Ok(e) = parse(&line) {
                prop_assert!(e.src_ip.is_none_or(|ip| ip.parse::<IpAddr>().is_ok()));
            }
        }
    }
}
