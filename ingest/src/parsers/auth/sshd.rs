//! Authentication lines of a Linux `auth.log` / `secure`: OpenSSH `sshd`, PAM modules,
//! `sudo`, `su`, `login`, `systemd-logind` and the shadow-utils account tools.
//!
//! # What is accepted
//!
//! The syslog MSG (after `host tag[pid]: `) together with the syslog APP-NAME / TAG
//! without its pid (`sshd`, `sshd-session`, `sudo`, `su`, `login`, `systemd-logind`,
//! `useradd`, ...; PAM module lines are read whatever program logged them, `CRON` too).
//! The app chooses the grammar; without one, the grammars are tried in turn (their
//! opening words do not overlap). `error: ` and `fatal: ` prefixes and a trailing
//! ` [preauth]` are read and removed before matching.
//!
//! # Which lines become events
//!
//! One rule decides: a line becomes an event when it records an outcome for an identity
//! or a remote peer, that is
//!
//! * an authentication decision (`Accepted`, `Failed`, `Invalid user`, `User .. not
//!   allowed`, `ROOT LOGIN REFUSED`, maximum attempts exceeded, `Disconnecting .. Too
//!   many authentication failures`, PAM `authentication failure`, `PAM n more
//!   authentication failures`, an expired account): `activity` `logon`, or
//!   `privilege_use` when the PAM service is `sudo` or `su`; an account locked by
//!   `pam_faillock`/`pam_tally2`: `lockout`; sshd's `Partial` (one of several required
//!   methods passed): `mfa`;
//! * a connection that ended before authenticating, whatever the stage (`Did not receive
//!   identification string`, bad banner, `Unable to negotiate`, timeout, protocol error,
//!   `Connection closed/reset by ..`, `Disconnected from ..`, `Received disconnect ..`
//!   with `[preauth]`, tcp_wrappers `refused connect`, penalties): `logon` `failure`,
//!   because the peer tried and did not get in. These are the scan and brute-force
//!   signals, each with its own `reason` so that rules can weigh them;
//! * a session opened or closed (PAM `session opened/closed` of any service,
//!   post-authentication `Disconnected from user`, `Received disconnect` and `Connection
//!   closed`, systemd-logind's `New session`, `Session .. logged out`, `Removed
//!   session`): `logon` / `logoff` `success`. Sessions nobody logged on to, the jobs of
//!   `cron`/`atd` and the `systemd-user` manager, are kept (they are what the line says)
//!   and marked by `logon_type` `batch` / `service`, so rules about people can leave
//!   them out;
//! * a privilege use (`sudo` command or refusal, `su`): `privilege_use`;
//! * an account or group change (`useradd`, `groupadd`, `userdel`, `usermod`, `gpasswd`,
//!   password changes): `account_change`.
//!
//! Everything else from these programs (`Server listening on`, `Received signal 15`,
//! `Postponed ..`, `Starting session` / `Close session` channel details,
//! `kex_exchange_identification` lines without an address, systemd-logind's seats and
//! buttons) is rejected with [`ParseError::Unrecognised`] and a reason, and lands in the
//! `unparsed` table: nothing is dropped, and the auth table is not flooded with rows
//! that assert nothing.
//!
//! sshd writes several lines per connection (`Failed password` then `Connection closed
//! by authenticating user .. [preauth]`; `Accepted` then `session opened`). Each line is
//! one row, as everywhere in sanso; a rule that counts password guesses should select
//! `reason = 'bad password'` (or `'invalid user'`), not every failure.
//!
//! # Mapping
//!
//! * `protocol`: `ssh` for sshd; for PAM lines from the PAM service (`sshd` → `ssh`,
//!   `sudo`, `su`, anything else `pam`); `sudo`, `su` and `pam` (login) for those
//!   programs; null for systemd-logind (which does not authenticate) and account tools.
//! * `user`: the account the line is about: the one logged on to or attempted for
//!   sshd, PAM `auth` and sessions; for `privilege_use` the user who invoked `sudo`/`su`
//!   (PAM `ruser`, else `logname`, else `user`); for account changes the account changed
//!   (null for group-only changes). An empty user name is null.
//! * `src_ip` / `src_host`: the peer, when it is an address / a host name (`UseDNS`,
//!   tcp_wrappers). An IPv6 zone (`%eth0`) and the IPv4-mapped `::ffff:` prefix are
//!   removed so that zone ranges match.
//! * `logon_type`: the SSH method (`password`, `publickey`, `keyboard-interactive`,
//!   `hostbased`, ...; the `/pam` sub-method is cut) when sshd names it; `batch` for PAM
//!   sessions of `cron`, `crond` and `atd` and `service` for `systemd-user`, after the
//!   OCSF / Windows logon types of scheduled tasks and services.
//! * `reason`: a short fixed text, for failures and for what changed: `invalid user`,
//!   `bad password`, `publickey rejected`, `authentication failed` (other methods), `user
//!   not allowed`, `root login refused`, `too many authentication failures`, `repeated
//!   authentication failures` (PAM's `n more`), `pam authentication failure`,
//!   `disconnected before authentication`, `authentication timeout`, `no identification
//!   string`, `bad protocol identification`, `no matching algorithms`, `protocol error`,
//!   `connection refused`, `source penalised`, `too many unauthenticated connections`,
//!   `account locked`, `account expired`, `not in sudoers`, `command not allowed`,
//!   `password required`, `not allowed on host`, `command refused`, `further
//!   authentication required`, `user created`, `group created`, `user deleted`, `group
//!   deleted`, `user added to group`, `user removed from group`, `password changed`,
//!   `password locked`, `password unlocked`.
//! * `is_privileged`: true for every `privilege_use`, for any event about `root`, and for
//!   group changes involving `root`, `sudo`, `wheel` or `admin`; otherwise null (unknown,
//!   not false).
//! * `is_mfa`: true on sshd's `Partial ..` line (`activity` `mfa`): a first method
//!   succeeded and `AuthenticationMethods` demands another. The final `Accepted` line
//!   alone cannot tell, so it leaves `is_mfa` null.
//! * `time`, `dst_host`, `user_domain`, `event_code`: null (the syslog header and the
//!   reporting device supply time and host).
//!
//! # Untrusted user names
//!
//! A client chooses its user name, spaces and all, and sshd logs it before the address.
//! Addresses are therefore read from the right: the last ` from ` of a line, the last
//! word before ` port N`. The one message that logs client text after the address
//! (`Disconnecting .. user X IP port N: reason` with reason `Change of username ..`) is
//! read from the left; there, a user name containing `<ip> port <n>:` could mislead.
//!
//! # Performance
//!
//! Matching is by literal prefixes and `memmem` searches on the message; values are
//! borrowed slices and nothing is allocated. Lines are tried against the grammars of
//! their app only, so a line costs a handful of prefix comparisons.

use std::net::IpAddr;
use std::sync::LazyLock;

use memchr::memmem;

use crate::error::ParseError;
use crate::event::AuthEvent;

/// Parser name, for the `format` column and configuration.
pub const NAME: &str = "sshd";

// Built once: automatic detection asks every line that is not sshd's these questions,
// and building a searcher per call costs more than the search.
static SUDO_TTY: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b" : TTY="));
static SUDO_NOT_IN_SUDOERS: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b" : user NOT in sudoers"));

/// Cheap check that a line is for this parser: it comes from one of the programs above,
/// or is a PAM module line, or (without an app) opens like an sshd, PAM or sudo message.
pub fn looks_like(app: Option<&str>, msg: &str) -> bool {
    let msg = msg.trim_start();
    if msg.starts_with("pam_") {
        return true;
    }
    match App::of(app) {
        App::Other => false,
        App::Unknown => {
            SSHD_OPENINGS.iter().any(|p| msg.starts_with(p))
                || SUDO_TTY.find(msg.as_bytes()).is_some()
                || SUDO_NOT_IN_SUDOERS.find(msg.as_bytes()).is_some()
        }
        _ => true,
    }
}

/// Parses the MSG of an auth.log line from program `app` into an authentication event.
///
/// # Errors
///
/// [`ParseError::Unrecognised`] with the reason when the line records no outcome (see
/// the module documentation for the rule).
pub fn parse<'a>(app: Option<&str>, msg: &'a str) -> Result<AuthEvent<'a>, ParseError> {
    let msg = msg.trim();
    if msg.starts_with("pam_") {
        return pam(msg);
    }
    let app = App::of(app);
    let event = match app {
        App::Sshd => sshd(msg),
        App::Sudo => sudo(msg),
        App::Su => su(msg),
        App::Login => login(msg),
        App::Logind => logind(msg),
        App::Account => account(msg),
        App::Other => None,
        App::Unknown => sshd(msg)
            .or_else(|| sudo(msg))
            .or_else(|| su(msg))
            .or_else(|| account(msg))
            .or_else(|| login(msg)),
    };
    event.ok_or(unrecognised(match app {
        App::Sshd => "sshd message that records no authentication outcome",
        App::Sudo => "sudo message without a command or refusal",
        App::Su => "su message without an outcome",
        App::Login => "login message without an outcome",
        App::Logind => "systemd-logind message that is not a session start or end",
        App::Account => "account tool message that is not a change summary",
        App::Other | App::Unknown => "not an authentication message",
    }))
}

/// Opening words of the sshd messages this parser reads, for detection without an app.
const SSHD_OPENINGS: &[&str] = &[
    "Accepted ",
    "Failed ",
    "Partial ",
    "Invalid user ",
    "User ",
    "ROOT LOGIN REFUSED",
    "error: ",
    "fatal: ",
    "Disconnecting",
    "Connection closed by ",
    "Connection reset by ",
    "Disconnected from ",
    "Received disconnect from ",
    "Did not receive identification string",
    "Bad protocol version identification",
    "banner exchange: ",
    "Unable to negotiate with ",
    "Timeout before authentication",
    "ssh_dispatch_run_fatal: ",
    "refused connect from ",
    "drop connection #",
    "Magic value check failed",
    "maximum authentication attempts exceeded",
    "PAM ",
    "PAM: ",
];

/// The program that logged the line, which picks the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Sshd,
    Sudo,
    Su,
    Login,
    Logind,
    Account,
    Other,
    Unknown,
}

impl App {
    fn of(app: Option<&str>) -> App {
        match app {
            None => App::Unknown,
            Some("sshd" | "sshd-session" | "sshd-auth") => App::Sshd,
            Some("sudo") => App::Sudo,
            Some("su") => App::Su,
            Some("login") => App::Login,
            Some("systemd-logind") => App::Logind,
            Some(
                "useradd" | "userdel" | "usermod" | "groupadd" | "groupdel" | "groupmod" | "passwd"
                | "chpasswd" | "gpasswd" | "chage",
            ) => App::Account,
            Some(_) => App::Other,
        }
    }
}

// ---------------------------------------------------------------------------------------
// sshd

fn sshd(msg: &str) -> Option<AuthEvent<'_>> {
    let msg = msg
        .strip_prefix("error: ")
        .or_else(|| msg.strip_prefix("fatal: "))
        .unwrap_or(msg);
    let (msg, preauth) = match msg.strip_suffix("[preauth]") {
        Some(rest) => (rest.trim_end(), true),
        None => (msg, false),
    };

    if let Some(rest) = msg.strip_prefix("Accepted ") {
        let (method, user, peer) = method_user_peer(rest)?;
        return Some(with_method(
            ssh(LOGON, SUCCESS, None, user.name, peer),
            method,
        ));
    }
    if let Some(rest) = msg.strip_prefix("Failed ") {
        let (method, user, peer) = method_user_peer(rest)?;
        let reason = if user.invalid {
            "invalid user"
        } else {
            match method {
                "password" => "bad password",
                "publickey" => "publickey rejected",
                _ => "authentication failed",
            }
        };
        return Some(with_method(
            ssh(LOGON, FAILURE, Some(reason), user.name, peer),
            method,
        ));
    }
    if let Some(rest) = msg.strip_prefix("Partial ") {
        let (method, user, peer) = method_user_peer(rest)?;
        let event = ssh(
            "mfa",
            SUCCESS,
            Some("further authentication required"),
            user.name,
            peer,
        );
        return Some(AuthEvent {
            is_mfa: Some(true),
            ..with_method(event, method)
        });
    }
    if let Some(rest) = msg.strip_prefix("Invalid user ") {
        let (user, peer) = user_from_peer(rest)?;
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("invalid user"),
            non_empty(user),
            peer,
        ));
    }
    if let Some(rest) = msg.strip_prefix("User ") {
        // `User X from HOST not allowed because <sshd's reason>`
        let at = memmem::rfind(rest.as_bytes(), b" not allowed because ")?;
        let (user, peer) = user_from_peer(&rest[..at])?;
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("user not allowed"),
            non_empty(user),
            peer,
        ));
    }
    if let Some(rest) = msg.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("root login refused"),
            Some("root"),
            peer_at(rest)?,
        ));
    }
    if let Some(rest) = msg.strip_prefix("maximum authentication attempts exceeded for ") {
        let (user, peer) = user_from_peer(rest)?;
        let user = Named::parse(user);
        return Some(ssh(LOGON, FAILURE, Some(TOO_MANY), user.name, peer));
    }
    if let Some(rest) = msg.strip_prefix("Disconnecting: Too many authentication failures") {
        // OpenSSH before 7.x: `.. failures for [invalid user ]X[ from HOST port N ssh2]`.
        let rest = rest.strip_prefix(" for ").unwrap_or(rest);
        let (user, peer) = match user_from_peer(rest) {
            Some((user, peer)) => (user, peer),
            None => (rest, Peer::default()),
        };
        return Some(ssh(
            LOGON,
            FAILURE,
            Some(TOO_MANY),
            Named::parse(user).name,
            peer,
        ));
    }
    if let Some(rest) = msg.strip_prefix("Disconnecting ") {
        // `Disconnecting <authenticating|invalid> user X IP port N: <reason>`
        let (who, reason) = split_before_reason(rest)?;
        let (_, user, peer) = connection_peer(who)?;
        let why = if reason.starts_with("Too many authentication failures") {
            TOO_MANY
        } else {
            PREAUTH_DISCONNECT
        };
        return Some(ssh(LOGON, FAILURE, Some(why), user, peer));
    }
    for opening in [
        "Connection closed by ",
        "Connection reset by ",
        "Disconnected from ",
    ] {
        if let Some(rest) = msg.strip_prefix(opening) {
            let (kind, user, peer) = connection_peer(rest)?;
            return Some(if preauth || kind == UserKind::Unauthenticated {
                ssh(LOGON, FAILURE, Some(PREAUTH_DISCONNECT), user, peer)
            } else {
                ssh(LOGOFF, SUCCESS, None, user, peer)
            });
        }
    }
    if let Some(rest) = msg.strip_prefix("Received disconnect from ") {
        let peer = peer_at(rest)?;
        return Some(if preauth {
            ssh(LOGON, FAILURE, Some(PREAUTH_DISCONNECT), None, peer)
        } else {
            ssh(LOGOFF, SUCCESS, None, None, peer)
        });
    }
    if let Some(rest) = msg.strip_prefix("Did not receive identification string from ") {
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("no identification string"),
            None,
            peer_at(rest)?,
        ));
    }
    if msg.starts_with("Bad protocol version identification ") {
        let at = memmem::rfind(msg.as_bytes(), b" from ")?;
        return Some(ssh(
            LOGON,
            FAILURE,
            Some(BAD_BANNER),
            None,
            peer_at(&msg[at + 6..])?,
        ));
    }
    if let Some(rest) = msg.strip_prefix("banner exchange: Connection from ") {
        return Some(ssh(LOGON, FAILURE, Some(BAD_BANNER), None, peer_at(rest)?));
    }
    if let Some(rest) = msg.strip_prefix("Unable to negotiate with ") {
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("no matching algorithms"),
            None,
            peer_at(rest)?,
        ));
    }
    if let Some(rest) = msg.strip_prefix("Timeout before authentication for ") {
        let rest = rest.strip_prefix("connection from ").unwrap_or(rest);
        return Some(ssh(
            LOGON,
            FAILURE,
            Some("authentication timeout"),
            None,
            peer_at(rest)?,
        ));
    }
    if let Some(rest) = msg.strip_prefix("ssh_dispatch_run_fatal: Connection from ") {
        // After authentication this is a session dying, which `session closed` records.
        if !preauth {
            return None;
        }
        let (who, _) = split_before_reason(rest)?;
        let (_, user, peer) = connection_peer(who)?;
        return Some(ssh(LOGON, FAILURE, Some(PROTOCOL_ERROR), user, peer));
    }
    if msg.starts_with("Magic value check failed ") {
        let at = memmem::rfind(msg.as_bytes(), b" from ")?;
        return Some(ssh(
            LOGON,
            FAILURE,
            Some(PROTOCOL_ERROR),
            None,
            peer_at(&msg[at + 6..])?,
        ));
    }
    if let Some(rest) = msg.strip_prefix("refused connect from ") {
        return refused_connect(rest);
    }
    if let Some(rest) = msg.strip_prefix("drop connection #") {
        // `drop connection #0 from [1.2.3.4]:48602 on [1.1.1.1]:22 penalty: ..` or
        // `.. past MaxStartups`
        let rest = rest
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .strip_prefix(" from [")?;
        let (addr, tail) = rest.split_once(']')?;
        let why = if memmem::find(tail.as_bytes(), b"penalty").is_some() {
            "source penalised"
        } else {
            "too many unauthenticated connections"
        };
        return Some(ssh(LOGON, FAILURE, Some(why), None, Peer::parse(addr)?));
    }
    if let Some(rest) = msg.strip_prefix("PAM ") {
        // `PAM 2 more authentication failures; logname= uid=0 .. rhost=1.2.3.4  user=root`
        let (_, fields) = rest.split_once("; ")?;
        let kv = PamFields::parse(fields);
        let event = ssh(
            LOGON,
            FAILURE,
            Some("repeated authentication failures"),
            kv.user,
            kv.peer(),
        );
        return Some(event);
    }
    if let Some(rest) = msg.strip_prefix("PAM: ") {
        // `PAM: Authentication failure for [illegal user ]X from HOST`,
        // `PAM: unknown user for illegal user X from HOST`
        let (what, who) = rest.split_once(" for ")?;
        let (user, peer) = user_from_peer(who)?;
        let user = Named::parse(user);
        let reason = if user.invalid || what == "unknown user" {
            "invalid user"
        } else {
            PAM_FAILURE
        };
        return Some(ssh(LOGON, FAILURE, Some(reason), user.name, peer));
    }
    None
}

const LOGON: &str = "logon";
const LOGOFF: &str = "logoff";
const SUCCESS: &str = "success";
const FAILURE: &str = "failure";
const TOO_MANY: &str = "too many authentication failures";
const PREAUTH_DISCONNECT: &str = "disconnected before authentication";
const BAD_BANNER: &str = "bad protocol identification";
const PROTOCOL_ERROR: &str = "protocol error";
const PAM_FAILURE: &str = "pam authentication failure";
const PRIVILEGE_USE: &str = "privilege_use";
const ACCOUNT_CHANGE: &str = "account_change";

fn ssh<'a>(
    activity: &'static str,
    outcome: &'static str,
    reason: Option<&'static str>,
    user: Option<&'a str>,
    peer: Peer<'a>,
) -> AuthEvent<'a> {
    AuthEvent {
        user,
        src_ip: peer.ip,
        src_host: peer.host,
        protocol: Some("ssh"),
        activity: Some(activity),
        outcome: Some(outcome),
        reason,
        is_privileged: root(user),
        ..AuthEvent::default()
    }
}

/// Adds the SSH method as `logon_type`; `keyboard-interactive/pam` becomes
/// `keyboard-interactive`.
fn with_method<'a>(event: AuthEvent<'a>, method: &'a str) -> AuthEvent<'a> {
    let method = method.split_once('/').map_or(method, |(m, _)| m);
    AuthEvent {
        logon_type: non_empty(method),
        ..event
    }
}

/// `<method> for [invalid user ]X from HOST port N ssh2[: key]`.
fn method_user_peer(rest: &str) -> Option<(&str, Named<'_>, Peer<'_>)> {
    let (method, rest) = rest.split_once(" for ")?;
    let (user, peer) = user_from_peer(rest)?;
    Some((method, Named::parse(user), peer))
}

/// Splits `X from HOST ..` at the last ` from `, the one sshd wrote after the user name.
fn user_from_peer(rest: &str) -> Option<(&str, Peer<'_>)> {
    let at = memmem::rfind(rest.as_bytes(), b" from ")?;
    Some((&rest[..at], peer_at(&rest[at + 6..])?))
}

/// The address that opens `rest`, ended by a space, `,` or the end; the trailing `:` of
/// old `Received disconnect from 1.2.3.4: 11: ..` lines is tolerated.
fn peer_at(rest: &str) -> Option<Peer<'_>> {
    let end = rest.find([' ', ',']).unwrap_or(rest.len());
    let token = &rest[..end];
    Peer::parse(token).or_else(|| Peer::parse(token.strip_suffix(':')?))
}

/// Splits `<who> IP port N: <reason>` after the first ` port <digits>:`, leaving `who`
/// ending in `port N` for [`connection_peer`].
fn split_before_reason(rest: &str) -> Option<(&str, &str)> {
    let bytes = rest.as_bytes();
    for at in memmem::find_iter(bytes, b" port ") {
        let digits = bytes[at + 6..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let colon = at + 6 + digits;
        if digits > 0 && bytes.get(colon) == Some(&b':') {
            return Some((&rest[..colon], rest[colon + 1..].trim_start()));
        }
    }
    None
}

/// `[<authenticating|invalid> user X ]IP[ port N]`, read from the right.
fn connection_peer(rest: &str) -> Option<(UserKind, Option<&str>, Peer<'_>)> {
    let rest = match memmem::rfind(rest.as_bytes(), b" port ") {
        Some(at) if rest[at + 6..].bytes().all(|b| b.is_ascii_digit()) => &rest[..at],
        _ => rest,
    };
    let (who, addr) = rest.rsplit_once(' ').unwrap_or(("", rest));
    let peer = Peer::parse(addr)?;
    if who.is_empty() {
        return Some((UserKind::Session, None, peer));
    }
    let (kind, user) = match who
        .strip_prefix("authenticating user ")
        .or_else(|| who.strip_prefix("invalid user "))
    {
        Some(user) => (UserKind::Unauthenticated, user),
        None => (UserKind::Session, who.strip_prefix("user ")?),
    };
    Some((kind, non_empty(user), peer))
}

/// tcp_wrappers: `refused connect from [user@]host (ADDR)`.
fn refused_connect(rest: &str) -> Option<AuthEvent<'_>> {
    let (client, addr) = rest.strip_suffix(')')?.rsplit_once(" (")?;
    let mut peer = Peer::parse(addr)?;
    let host = client.rsplit_once('@').map_or(client, |(_, h)| h);
    if Peer::parse(host).map(|p| p.ip) != Some(peer.ip) && is_host_name(host) {
        peer.host = Some(host);
    }
    Some(ssh(LOGON, FAILURE, Some("connection refused"), None, peer))
}

/// How sshd named the user in a connection message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserKind {
    /// `authenticating user X` (an account, not yet authenticated) or `invalid user X`.
    Unauthenticated,
    /// `user X`, or no user at all: an authenticated session, unless `[preauth]` says
    /// otherwise.
    Session,
}

/// A user as sshd wrote it after `for`: `invalid user X` / `illegal user X` or just `X`.
#[derive(Debug, Clone, Copy)]
struct Named<'a> {
    name: Option<&'a str>,
    invalid: bool,
}

impl<'a> Named<'a> {
    fn parse(text: &'a str) -> Self {
        match text
            .strip_prefix("invalid user ")
            .or_else(|| text.strip_prefix("illegal user "))
        {
            Some(name) => Named {
                name: non_empty(name),
                invalid: true,
            },
            None => Named {
                name: non_empty(text),
                invalid: false,
            },
        }
    }
}

/// A remote peer: an IP address or, failing that, a host name.
#[derive(Debug, Clone, Copy, Default)]
struct Peer<'a> {
    ip: Option<&'a str>,
    host: Option<&'a str>,
}

impl<'a> Peer<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let ip = text.split_once('%').map_or(text, |(addr, _zone)| addr);
        let ip = match ip.strip_prefix("::ffff:") {
            Some(v4) if v4.contains('.') => v4,
            _ => ip,
        };
        if ip.parse::<IpAddr>().is_ok() {
            return Some(Peer {
                ip: Some(ip),
                host: None,
            });
        }
        is_host_name(text).then_some(Peer {
            ip: None,
            host: Some(text),
        })
    }
}

/// Letters, digits, `-`, `_` and `.`, with at least one letter: what `UseDNS` logs.
fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && text.bytes().any(|b| b.is_ascii_alphabetic())
}

// ---------------------------------------------------------------------------------------
// PAM

/// `pam_<module>(<service>:<type>): <text>`.
fn pam(msg: &str) -> Result<AuthEvent<'_>, ParseError> {
    const NO_OUTCOME: &str = "PAM message that records no authentication outcome";
    let (head, text) = msg.split_once("): ").ok_or(unrecognised(NO_OUTCOME))?;
    let (module, scope) = head.split_once('(').ok_or(unrecognised(NO_OUTCOME))?;
    let (service, kind) = scope.split_once(':').ok_or(unrecognised(NO_OUTCOME))?;
    let protocol = match service {
        "sshd" => "ssh",
        "sudo" | "sudo-i" => "sudo",
        "su" | "su-l" => "su",
        _ => "pam",
    };
    let elevates = matches!(
        service,
        "sudo" | "sudo-i" | "su" | "su-l" | "runuser" | "runuser-l"
    );
    let base = AuthEvent {
        protocol: Some(protocol),
        ..AuthEvent::default()
    };

    match kind {
        "session" => {
            // Jobs and the user manager are started by the system: no one logged on.
            let logon_type = match service {
                "cron" | "crond" | "atd" => Some("batch"),
                "systemd-user" => Some("service"),
                _ => None,
            };
            let (activity, rest) = if let Some(rest) = text.strip_prefix("session opened for user ")
            {
                (LOGON, rest)
            } else if let Some(rest) = text.strip_prefix("session closed for user ") {
                (LOGOFF, rest)
            } else {
                return Err(unrecognised(NO_OUTCOME));
            };
            // `root(uid=0) by vagrant(uid=1000)` or older `root by (uid=0)`.
            let user = rest.split_once(" by ").map_or(rest, |(u, _)| u);
            let user = non_empty(user.split_once('(').map_or(user, |(u, _)| u));
            Ok(AuthEvent {
                user,
                logon_type,
                activity: Some(activity),
                outcome: Some(SUCCESS),
                is_privileged: root(user),
                ..base
            })
        }
        "auth" => {
            let activity = if elevates { PRIVILEGE_USE } else { LOGON };
            let is_privileged = |user| if elevates { Some(true) } else { root(user) };
            if let Some(fields) = text.strip_prefix("authentication failure; ") {
                let kv = PamFields::parse(fields);
                let peer = kv.peer();
                let user = if elevates {
                    kv.ruser.or(kv.logname).or(kv.user)
                } else {
                    kv.user
                };
                return Ok(AuthEvent {
                    user,
                    src_ip: peer.ip,
                    src_host: peer.host,
                    activity: Some(activity),
                    outcome: Some(FAILURE),
                    reason: Some(PAM_FAILURE),
                    is_privileged: is_privileged(user),
                    ..base
                });
            }
            if text == "check pass; user unknown" {
                return Ok(AuthEvent {
                    activity: Some(activity),
                    outcome: Some(FAILURE),
                    reason: Some("invalid user"),
                    is_privileged: elevates.then_some(true),
                    ..base
                });
            }
            let locked = match module {
                // `user zbadguy (4001) tally 6, deny 5`
                "pam_tally" | "pam_tally2" => text
                    .strip_prefix("user ")
                    .and_then(|rest| rest.split_once(" ("))
                    .filter(|(_, rest)| memmem::find(rest.as_bytes(), b" deny ").is_some())
                    .map(|(user, _)| user),
                // `Consecutive login failures for user root account temporarily locked`
                "pam_faillock" => text
                    .strip_prefix("Consecutive login failures for user ")
                    .and_then(|rest| rest.split_once(" account "))
                    .map(|(user, _)| user),
                _ => None,
            };
            let user = non_empty(locked.ok_or(unrecognised(NO_OUTCOME))?);
            Ok(AuthEvent {
                user,
                activity: Some("lockout"),
                outcome: Some(FAILURE),
                reason: Some("account locked"),
                is_privileged: is_privileged(user),
                ..base
            })
        }
        "account" => {
            // `account alice has expired (account expired)`
            let user = text
                .strip_prefix("account ")
                .and_then(|rest| rest.strip_suffix(" has expired (account expired)"))
                .ok_or(unrecognised(NO_OUTCOME))?;
            let user = non_empty(user);
            Ok(AuthEvent {
                user,
                activity: Some(LOGON),
                outcome: Some(FAILURE),
                reason: Some("account expired"),
                is_privileged: root(user),
                ..base
            })
        }
        "chauthtok" => {
            let user = text
                .strip_prefix("password changed for ")
                .ok_or(unrecognised(NO_OUTCOME))?;
            let user = non_empty(user);
            Ok(AuthEvent {
                user,
                activity: Some(ACCOUNT_CHANGE),
                outcome: Some(SUCCESS),
                reason: Some("password changed"),
                is_privileged: root(user),
                ..base
            })
        }
        _ => Err(unrecognised(NO_OUTCOME)),
    }
}

/// The `key=value` fields PAM appends to `authentication failure;` lines.
#[derive(Debug, Default)]
struct PamFields<'a> {
    logname: Option<&'a str>,
    ruser: Option<&'a str>,
    rhost: Option<&'a str>,
    user: Option<&'a str>,
}

impl<'a> PamFields<'a> {
    fn parse(fields: &'a str) -> Self {
        let mut kv = PamFields::default();
        for (key, value) in fields.split(' ').filter_map(|field| field.split_once('=')) {
            let value = non_empty(value);
            match key {
                "logname" => kv.logname = value,
                "ruser" => kv.ruser = value,
                "rhost" => kv.rhost = value,
                "user" => kv.user = value,
                _ => {}
            }
        }
        kv
    }

    fn peer(&self) -> Peer<'a> {
        self.rhost.and_then(Peer::parse).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// sudo, su, login

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls`, or with a
/// refusal first: `alice : user NOT in sudoers ; TTY=.. ; COMMAND=..`.
fn sudo(msg: &str) -> Option<AuthEvent<'_>> {
    let (user, rest) = msg.split_once(" : ")?;
    let user = user.trim();
    if user.is_empty() || user.contains(' ') || memmem::find(rest.as_bytes(), b"COMMAND=").is_none()
    {
        return None;
    }
    let first = rest.split(" ; ").next().unwrap_or(rest);
    let (outcome, reason) = if first.contains('=') {
        (SUCCESS, None)
    } else {
        let has = |text: &str| memmem::find(first.as_bytes(), text.as_bytes()).is_some();
        let reason = if has("NOT in sudoers") {
            "not in sudoers"
        } else if has("incorrect password attempt") {
            "bad password"
        } else if has("command not allowed") {
            "command not allowed"
        } else if has("a password is required") {
            "password required"
        } else if has("NOT authorized on host") {
            "not allowed on host"
        } else {
            "command refused"
        };
        (FAILURE, Some(reason))
    };
    Some(privilege_use("sudo", outcome, reason, user))
}

/// util-linux `(to root) alice on pts/0` / `FAILED SU (to root) alice on pts/0`;
/// shadow-utils `Successful su for root by alice` / `FAILED su for root by alice` and the
/// summary `+ pts/0 alice:root` / `- pts/0 alice:root`.
fn su(msg: &str) -> Option<AuthEvent<'_>> {
    let (outcome, rest) = match msg.strip_prefix("FAILED SU ") {
        Some(rest) => (FAILURE, rest),
        None => (SUCCESS, msg),
    };
    if let Some(rest) = rest.strip_prefix("(to ") {
        let (_, rest) = rest.split_once(") ")?;
        let (user, _tty) = rest.rsplit_once(" on ")?;
        return Some(su_event(outcome, user));
    }
    for (opening, outcome) in [("Successful su for ", SUCCESS), ("FAILED su for ", FAILURE)] {
        if let Some(rest) = msg.strip_prefix(opening) {
            let (_, user) = rest.rsplit_once(" by ")?;
            return Some(su_event(outcome, user));
        }
    }
    for (opening, outcome) in [("+ ", SUCCESS), ("- ", FAILURE)] {
        if let Some(rest) = msg.strip_prefix(opening) {
            let (_tty, users) = rest.split_once(' ')?;
            let (user, _target) = users.split_once(':')?;
            return Some(su_event(outcome, user));
        }
    }
    None
}

fn su_event<'a>(outcome: &'static str, user: &'a str) -> AuthEvent<'a> {
    let reason = (outcome == FAILURE).then_some(PAM_FAILURE);
    privilege_use("su", outcome, reason, user)
}

fn privilege_use<'a>(
    protocol: &'static str,
    outcome: &'static str,
    reason: Option<&'static str>,
    user: &'a str,
) -> AuthEvent<'a> {
    AuthEvent {
        user: non_empty(user),
        protocol: Some(protocol),
        activity: Some(PRIVILEGE_USE),
        outcome: Some(outcome),
        reason,
        is_privileged: Some(true),
        ..AuthEvent::default()
    }
}

/// util-linux `login`: `FAILED LOGIN 1 FROM host FOR alice, Authentication failure`,
/// `TOO MANY LOGIN TRIES (5) FROM host FOR alice, ..`, `ROOT LOGIN ON tty1[ FROM host]`,
/// `LOGIN ON tty1 BY alice[ FROM host]`.
fn login(msg: &str) -> Option<AuthEvent<'_>> {
    let failure = msg
        .strip_prefix("FAILED LOGIN ")
        .map(|rest| (rest, PAM_FAILURE))
        .or_else(|| {
            msg.strip_prefix("TOO MANY LOGIN TRIES ")
                .map(|rest| (rest, TOO_MANY))
        });
    if let Some((rest, reason)) = failure {
        let (_count, rest) = rest.split_once(" FROM ")?;
        let (from, rest) = rest.split_once(" FOR ")?;
        let user = rest.rsplit_once(", ").map_or(rest, |(user, _)| user);
        return Some(login_event(FAILURE, Some(reason), user, from));
    }
    if let Some(rest) = msg.strip_prefix("ROOT LOGIN ON ") {
        let from = rest.split_once(" FROM ").map_or("", |(_, from)| from);
        return Some(login_event(SUCCESS, None, "root", from));
    }
    let (_tty, rest) = msg.strip_prefix("LOGIN ON ")?.split_once(" BY ")?;
    let (user, from) = rest.split_once(" FROM ").unwrap_or((rest, ""));
    Some(login_event(SUCCESS, None, user, from))
}

/// A `login` event; `from` holds the remote host, or the terminal of a console login.
fn login_event<'a>(
    outcome: &'static str,
    reason: Option<&'static str>,
    user: &'a str,
    from: &'a str,
) -> AuthEvent<'a> {
    let is_tty = from.starts_with("tty") || from.starts_with("pts") || from.starts_with('/');
    let peer = if is_tty {
        Peer::default()
    } else {
        Peer::parse(from).unwrap_or_default()
    };
    let user = non_empty(user);
    AuthEvent {
        user,
        src_ip: peer.ip,
        src_host: peer.host,
        protocol: Some("pam"),
        activity: Some(LOGON),
        outcome: Some(outcome),
        reason,
        is_privileged: root(user),
        ..AuthEvent::default()
    }
}

/// systemd-logind: `New session 3 of user alice.`, `Session 3 logged out. Waiting for
/// processes to exit.`, `Removed session 3.`.
fn logind(msg: &str) -> Option<AuthEvent<'_>> {
    let session = |activity, user| AuthEvent {
        user,
        activity: Some(activity),
        outcome: Some(SUCCESS),
        is_privileged: root(user),
        ..AuthEvent::default()
    };
    if let Some(rest) = msg.strip_prefix("New session ") {
        let (_id, user) = rest.split_once(" of user ")?;
        return Some(session(
            LOGON,
            non_empty(user.strip_suffix('.').unwrap_or(user)),
        ));
    }
    let ended = msg
        .strip_prefix("Session ")
        .is_some_and(|rest| rest.contains(" logged out."))
        || msg.starts_with("Removed session ");
    ended.then(|| session(LOGOFF, None))
}

// ---------------------------------------------------------------------------------------
// Account tools (shadow-utils)

fn account(msg: &str) -> Option<AuthEvent<'_>> {
    // `new user: name=apache, UID=48, GID=48, home=.., shell=..`
    if let Some(rest) = msg.strip_prefix("new user: name=") {
        let user = rest.split_once(',').map_or(rest, |(user, _)| user);
        return Some(change("user created", user, root(Some(user))));
    }
    // `new group: name=apache, GID=48`
    if let Some(rest) = msg.strip_prefix("new group: name=") {
        let group = rest.split_once(',').map_or(rest, |(group, _)| group);
        return Some(change("group created", "", admin_group(group)));
    }
    if let Some(user) = quoted_after(msg, "delete user '") {
        return Some(change("user deleted", user, root(Some(user))));
    }
    if let Some(group) = msg
        .strip_prefix("group '")
        .and_then(|r| r.strip_suffix("' removed"))
    {
        return Some(change("group deleted", "", admin_group(group)));
    }
    // usermod/useradd `add 'alice' to group 'sudo'`, `delete 'alice' from group 'sudo'`;
    // their `shadow group` twins repeat the change for /etc/gshadow and are left out.
    for (opening, link, reason) in [
        ("add '", "' to group '", "user added to group"),
        ("delete '", "' from group '", "user removed from group"),
    ] {
        if let Some(rest) = msg.strip_prefix(opening) {
            let (user, group) = rest.split_once(link)?;
            return Some(change(reason, user, admin_group(group.strip_suffix('\'')?)));
        }
    }
    // gpasswd `user alice added by root to group sudo`, `.. removed by root from group sudo`
    if let Some(rest) = msg.strip_prefix("user ") {
        for (link, target, reason) in [
            (" added by ", " to group ", "user added to group"),
            (" removed by ", " from group ", "user removed from group"),
        ] {
            if let Some((user, rest)) = rest.split_once(link) {
                let (_by, group) = rest.split_once(target)?;
                return Some(change(reason, user, admin_group(group)));
            }
        }
    }
    // usermod `change user 'alice' password`, `lock user 'alice' password`, ..
    for (opening, reason) in [
        ("change user '", "password changed"),
        ("lock user '", "password locked"),
        ("unlock user '", "password unlocked"),
    ] {
        if let Some(user) = msg
            .strip_prefix(opening)
            .and_then(|r| r.strip_suffix("' password"))
        {
            return Some(change(reason, user, root(Some(user))));
        }
    }
    None
}

fn change<'a>(reason: &'static str, user: &'a str, is_privileged: Option<bool>) -> AuthEvent<'a> {
    AuthEvent {
        user: non_empty(user),
        activity: Some(ACCOUNT_CHANGE),
        outcome: Some(SUCCESS),
        reason: Some(reason),
        is_privileged,
        ..AuthEvent::default()
    }
}

/// The text between `opening` and the next `'`.
fn quoted_after<'a>(msg: &'a str, opening: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(opening)?;
    rest.split_once('\'').map(|(value, _)| value)
}

fn admin_group(group: &str) -> Option<bool> {
    matches!(group, "root" | "sudo" | "wheel" | "admin").then_some(true)
}

fn root(user: Option<&str>) -> Option<bool> {
    (user == Some("root")).then_some(true)
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
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

    /// The ssh event most tests expect, to be adjusted with struct update syntax.
    fn ssh_ev<'a>(
        activity: &'static str,
        outcome: &'static str,
        reason: Option<&'static str>,
        user: Option<&'a str>,
        ip: Option<&'a str>,
    ) -> AuthEvent<'a> {
        AuthEvent {
            user,
            src_ip: ip,
            protocol: Some("ssh"),
            activity: Some(activity),
            outcome: Some(outcome),
            reason,
            is_privileged: root(user),
            ..AuthEvent::default()
        }
    }

    #[test]
    fn sshd_shapes() {
        let fail = |reason, user, ip| ssh_ev(LOGON, FAILURE, Some(reason), user, ip);
        let cases: Vec<(&str, AuthEvent<'_>)> = vec![
            (
                "Accepted keyboard-interactive/pam for alice from 192.0.2.1 port 50000 ssh2",
                AuthEvent {
                    logon_type: Some("keyboard-interactive"),
                    ..ssh_ev(LOGON, SUCCESS, None, Some("alice"), Some("192.0.2.1"))
                },
            ),
            (
                "Failed publickey for root from 192.0.2.1 port 50000 ssh2: ED25519 SHA256:abc",
                AuthEvent {
                    logon_type: Some("publickey"),
                    ..fail("publickey rejected", Some("root"), Some("192.0.2.1"))
                },
            ),
            (
                "Failed none for invalid user  from 192.0.2.1 port 50000 ssh2",
                AuthEvent {
                    logon_type: Some("none"),
                    ..fail("invalid user", None, Some("192.0.2.1"))
                },
            ),
            (
                "Failed hostbased for bob from 192.0.2.1 port 50000 ssh2",
                AuthEvent {
                    logon_type: Some("hostbased"),
                    ..fail("authentication failed", Some("bob"), Some("192.0.2.1"))
                },
            ),
            (
                "Partial publickey for alice from 192.0.2.1 port 50000 ssh2: ED25519 SHA256:abc",
                AuthEvent {
                    logon_type: Some("publickey"),
                    is_mfa: Some(true),
                    ..ssh_ev(
                        "mfa",
                        SUCCESS,
                        Some("further authentication required"),
                        Some("alice"),
                        Some("192.0.2.1"),
                    )
                },
            ),
            // A user name that imitates the address part: the address sshd wrote last wins.
            (
                "Invalid user x from 6.6.6.6 port 1 from 192.0.2.9 port 22",
                fail(
                    "invalid user",
                    Some("x from 6.6.6.6 port 1"),
                    Some("192.0.2.9"),
                ),
            ),
            (
                "error: maximum authentication attempts exceeded for invalid user admin from \
                 192.0.2.1 port 4919 ssh2 [preauth]",
                fail(TOO_MANY, Some("admin"), Some("192.0.2.1")),
            ),
            (
                "Disconnecting authenticating user root 192.0.2.1 port 4919: Too many \
                 authentication failures [preauth]",
                fail(TOO_MANY, Some("root"), Some("192.0.2.1")),
            ),
            (
                "Disconnecting: Too many authentication failures for root [preauth]",
                fail(TOO_MANY, Some("root"), None),
            ),
            (
                "Received disconnect from 192.0.2.1 port 5:11: Bye Bye [preauth]",
                fail(PREAUTH_DISCONNECT, None, Some("192.0.2.1")),
            ),
            (
                "Received disconnect from 2001:db8::1: 11: Bye Bye [preauth]",
                fail(PREAUTH_DISCONNECT, None, Some("2001:db8::1")),
            ),
            (
                "Received disconnect from 192.0.2.1 port 5:11: disconnected by user",
                ssh_ev(LOGOFF, SUCCESS, None, None, Some("192.0.2.1")),
            ),
            (
                "Disconnected from user alice 192.0.2.1 port 5",
                ssh_ev(LOGOFF, SUCCESS, None, Some("alice"), Some("192.0.2.1")),
            ),
            (
                "Connection closed by invalid user oracle 192.0.2.1 port 5",
                fail(PREAUTH_DISCONNECT, Some("oracle"), Some("192.0.2.1")),
            ),
            (
                "Did not receive identification string from ::ffff:192.0.2.1 port 5",
                fail("no identification string", None, Some("192.0.2.1")),
            ),
            (
                "Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.1 port 5",
                fail(BAD_BANNER, None, Some("192.0.2.1")),
            ),
            (
                "drop connection #3 from [192.0.2.1]:5 on [198.51.100.1]:22 past MaxStartups",
                fail(
                    "too many unauthenticated connections",
                    None,
                    Some("192.0.2.1"),
                ),
            ),
            (
                "ssh_dispatch_run_fatal: Connection from authenticating user root 192.0.2.1 port \
                 5: Broken pipe [preauth]",
                fail(PROTOCOL_ERROR, Some("root"), Some("192.0.2.1")),
            ),
            (
                "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= \
                 rhost=192.0.2.1  user=root",
                fail(
                    "repeated authentication failures",
                    Some("root"),
                    Some("192.0.2.1"),
                ),
            ),
            (
                "Failed password for root from scanner.example.net port 5 ssh2",
                AuthEvent {
                    src_host: Some("scanner.example.net"),
                    logon_type: Some("password"),
                    ..fail("bad password", Some("root"), None)
                },
            ),
        ];
        for (msg, expected) in cases {
            let reason = expected.reason;
            assert_eq!(parse(Some("sshd"), msg), Ok(expected), "{msg}");
            // The message alone is enough when the app is not known.
            assert!(looks_like(None, msg), "{msg}");
            assert_eq!(parse(None, msg).map(|e| e.reason), Ok(reason), "{msg}");
        }
    }

    #[test]
    fn pam_shapes() {
        let cases = [
            (
                "CRON",
                "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                AuthEvent {
                    user: Some("root"),
                    protocol: Some("pam"),
                    logon_type: Some("batch"),
                    activity: Some(LOGON),
                    outcome: Some(SUCCESS),
                    is_privileged: Some(true),
                    ..AuthEvent::default()
                },
            ),
            (
                "systemd",
                "pam_unix(systemd-user:session): session closed for user alice",
                AuthEvent {
                    user: Some("alice"),
                    protocol: Some("pam"),
                    logon_type: Some("service"),
                    activity: Some(LOGOFF),
                    outcome: Some(SUCCESS),
                    ..AuthEvent::default()
                },
            ),
            (
                "sshd",
                "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
                AuthEvent {
                    user: Some("alice"),
                    protocol: Some("ssh"),
                    activity: Some(LOGON),
                    outcome: Some(SUCCESS),
                    ..AuthEvent::default()
                },
            ),
            (
                "sudo",
                "pam_unix(sudo:session): session closed for user root",
                AuthEvent {
                    user: Some("root"),
                    protocol: Some("sudo"),
                    activity: Some(LOGOFF),
                    outcome: Some(SUCCESS),
                    is_privileged: Some(true),
                    ..AuthEvent::default()
                },
            ),
            (
                "su",
                "pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 \
                 tty=pts/0 ruser=alice rhost=  user=root",
                AuthEvent {
                    user: Some("alice"),
                    protocol: Some("su"),
                    activity: Some(PRIVILEGE_USE),
                    outcome: Some(FAILURE),
                    reason: Some(PAM_FAILURE),
                    is_privileged: Some(true),
                    ..AuthEvent::default()
                },
            ),
            (
                "sshd",
                "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh \
                 ruser= rhost=bastion.example.jp user=bob",
                AuthEvent {
                    user: Some("bob"),
                    src_host: Some("bastion.example.jp"),
                    protocol: Some("ssh"),
                    activity: Some(LOGON),
                    outcome: Some(FAILURE),
                    reason: Some(PAM_FAILURE),
                    ..AuthEvent::default()
                },
            ),
            (
                "sshd",
                "pam_faillock(sshd:auth): Consecutive login failures for user root account \
                 temporarily locked",
                AuthEvent {
                    user: Some("root"),
                    protocol: Some("ssh"),
                    activity: Some("lockout"),
                    outcome: Some(FAILURE),
                    reason: Some("account locked"),
                    is_privileged: Some(true),
                    ..AuthEvent::default()
                },
            ),
            (
                "login",
                "pam_unix(login:account): account carol has expired (account expired)",
                AuthEvent {
                    user: Some("carol"),
                    protocol: Some("pam"),
                    activity: Some(LOGON),
                    outcome: Some(FAILURE),
                    reason: Some("account expired"),
                    ..AuthEvent::default()
                },
            ),
            (
                "passwd",
                "pam_unix(passwd:chauthtok): password changed for dave",
                AuthEvent {
                    user: Some("dave"),
                    protocol: Some("pam"),
                    activity: Some(ACCOUNT_CHANGE),
                    outcome: Some(SUCCESS),
                    reason: Some("password changed"),
                    ..AuthEvent::default()
                },
            ),
        ];
        for (app, msg, expected) in cases {
            assert!(looks_like(Some(app), msg), "{msg}");
            assert_eq!(parse(Some(app), msg), Ok(expected), "{msg}");
        }
    }

    #[test]
    fn sudo_su_login_and_account_shapes() {
        let privilege = |protocol, outcome, reason, user| AuthEvent {
            user: Some(user),
            protocol: Some(protocol),
            activity: Some(PRIVILEGE_USE),
            outcome: Some(outcome),
            reason,
            is_privileged: Some(true),
            ..AuthEvent::default()
        };
        let logon = |outcome, reason, user, ip| AuthEvent {
            user: Some(user),
            src_ip: ip,
            protocol: Some("pam"),
            activity: Some(LOGON),
            outcome: Some(outcome),
            reason,
            is_privileged: root(Some(user)),
            ..AuthEvent::default()
        };
        let changed = |reason, user, is_privileged| AuthEvent {
            user,
            activity: Some(ACCOUNT_CHANGE),
            outcome: Some(SUCCESS),
            reason: Some(reason),
            is_privileged,
            ..AuthEvent::default()
        };
        let cases = [
            (
                "sudo",
                "alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
                privilege("sudo", FAILURE, Some("bad password"), "alice"),
            ),
            (
                "sudo",
                "alice : command not allowed ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
                privilege("sudo", FAILURE, Some("command not allowed"), "alice"),
            ),
            (
                "sudo",
                "alice : PWD=/ ; USER=postgres ; COMMAND=/usr/bin/psql",
                privilege("sudo", SUCCESS, None, "alice"),
            ),
            (
                "su",
                "(to root) alice on pts/0",
                privilege("su", SUCCESS, None, "alice"),
            ),
            (
                "su",
                "FAILED SU (to root) alice on pts/0",
                privilege("su", FAILURE, Some(PAM_FAILURE), "alice"),
            ),
            (
                "su",
                "Successful su for root by alice",
                privilege("su", SUCCESS, None, "alice"),
            ),
            (
                "su",
                "FAILED su for root by alice",
                privilege("su", FAILURE, Some(PAM_FAILURE), "alice"),
            ),
            (
                "su",
                "- pts/0 alice:root",
                privilege("su", FAILURE, Some(PAM_FAILURE), "alice"),
            ),
            (
                "login",
                "FAILED LOGIN 1 FROM 192.0.2.1 FOR bob, Authentication failure",
                logon(FAILURE, Some(PAM_FAILURE), "bob", Some("192.0.2.1")),
            ),
            (
                "login",
                "TOO MANY LOGIN TRIES (5) FROM tty1 FOR bob, Authentication failure",
                logon(FAILURE, Some(TOO_MANY), "bob", None),
            ),
            (
                "login",
                "ROOT LOGIN ON tty1",
                logon(SUCCESS, None, "root", None),
            ),
            (
                "login",
                "LOGIN ON pts/1 BY carol FROM 192.0.2.7",
                logon(SUCCESS, None, "carol", Some("192.0.2.7")),
            ),
            (
                "useradd",
                "add 'alice' to group 'sudo'",
                changed("user added to group", Some("alice"), Some(true)),
            ),
            (
                "usermod",
                "delete 'alice' from group 'users'",
                changed("user removed from group", Some("alice"), None),
            ),
            (
                "gpasswd",
                "user bob added by root to group wheel",
                changed("user added to group", Some("bob"), Some(true)),
            ),
            (
                "userdel",
                "delete user 'bob'",
                changed("user deleted", Some("bob"), None),
            ),
            (
                "groupdel",
                "group 'docker' removed",
                changed("group deleted", None, None),
            ),
            (
                "usermod",
                "lock user 'bob' password",
                changed("password locked", Some("bob"), None),
            ),
        ];
        for (app, msg, expected) in cases {
            assert!(looks_like(Some(app), msg), "{msg}");
            assert_eq!(parse(Some(app), msg), Ok(expected), "{msg}");
        }
    }

    #[test]
    fn logind_sessions() {
        let session = |activity, user| AuthEvent {
            user,
            activity: Some(activity),
            outcome: Some(SUCCESS),
            ..AuthEvent::default()
        };
        let cases = [
            (
                "New session 42 of user alice.",
                session(LOGON, Some("alice")),
            ),
            (
                "Session 42 logged out. Waiting for processes to exit.",
                session(LOGOFF, None),
            ),
            ("Removed session 42.", session(LOGOFF, None)),
        ];
        for (msg, expected) in cases {
            assert!(looks_like(Some("systemd-logind"), msg), "{msg}");
            assert_eq!(parse(Some("systemd-logind"), msg), Ok(expected), "{msg}");
        }
    }

    #[test]
    fn lines_without_outcome_are_rejected_with_reasons() {
        let sshd = unrecognised("sshd message that records no authentication outcome");
        let pam = unrecognised("PAM message that records no authentication outcome");
        let cases = [
            (Some("sshd"), "Server listening on 0.0.0.0 port 22.", sshd),
            (Some("sshd"), "Received signal 15; terminating.", sshd),
            (
                Some("sshd"),
                "Postponed keyboard-interactive for alice from 192.0.2.1 port 5 ssh2 [preauth]",
                sshd,
            ),
            (
                Some("sshd"),
                "Starting session: shell on pts/0 for alice from 192.0.2.1 port 5 id 0",
                sshd,
            ),
            (
                Some("sshd"),
                "error: kex_exchange_identification: banner line too long",
                sshd,
            ),
            (
                Some("sshd"),
                "ssh_dispatch_run_fatal: Connection from user alice 192.0.2.1 port 5: Broken pipe",
                sshd,
            ),
            (
                Some("sshd"),
                "Disconnected from totobad user ftp 192.0.2.1 port 26138 [preauth]",
                sshd,
            ),
            (
                Some("sshd"),
                "Accepted password for alice from nowhere! port 5 ssh2",
                sshd,
            ),
            (
                Some("sshd"),
                "pam_unix(sshd:auth): auth could not identify password for [alice]",
                pam,
            ),
            (Some("sshd"), "pam_unix(sshd", pam),
            (
                Some("systemd-logind"),
                "New seat seat0.",
                unrecognised("systemd-logind message that is not a session start or end"),
            ),
            (
                Some("sudo"),
                "unable to resolve host web01",
                unrecognised("sudo message without a command or refusal"),
            ),
            (
                Some("systemd"),
                "Started Session 3 of User alice.",
                unrecognised("not an authentication message"),
            ),
            (None, "", unrecognised("not an authentication message")),
        ];
        for (app, msg, err) in cases {
            assert_eq!(parse(app, msg), Err(err), "{msg}");
        }
    }

    #[test]
    fn looks_like_other_formats() {
        assert!(!looks_like(
            Some("kernel"),
            "[UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8"
        ));
        assert!(!looks_like(
            None,
            "[UFW BLOCK] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8"
        ));
        assert!(!looks_like(
            None,
            "1525334330.556 3 120.65.1.1 TCP_MISS/200 2014 GET http://h/ - DIRECT/h text/plain"
        ));
        assert!(!looks_like(
            Some("systemd-networkd"),
            "eth0: Gained carrier"
        ));
        assert!(looks_like(
            Some("CRON"),
            "pam_unix(cron:session): session closed for user root"
        ));
        assert!(looks_like(
            None,
            "alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls"
        ));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(
            app in proptest::option::of("sshd|sudo|su|login|useradd|CRON|[a-z]{0,8}"),
            msg in "\\PC*",
        ) {
            let _ = looks_like(app.as_deref(), &msg);
            let _ = parse(app.as_deref(), &msg);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let msg = String::from_utf8_lossy(&b);
            for app in [None, Some("sshd"), Some("sudo"), Some("su"), Some("login"), Some("useradd")] {
                let _ = looks_like(app, &msg);
                let _ = parse(app, &msg);
            }
        }

        #[test]
        fn never_panics_on_message_shaped_noise(
            opening in proptest::sample::select(SSHD_OPENINGS),
            words in proptest::collection::vec(
                "from|port|for|user|invalid|authenticating|\\[preauth\\]|:|[0-9.:%a-f]{0,12}|\\(|\\)|'|=|;",
                0..12,
            ),
        ) {
            let msg = format!("{opening}{}", words.join(" "));
            for app in [None, Some("sshd")] {
                let _ = looks_like(app, &msg);
                if let Ok(e) = parse(app, &msg) {
                    prop_assert!(e.src_ip.is_none_or(|ip| ip.parse::<IpAddr>().is_ok()));
                }
            }
        }
    }
}
