//! RFC 3164, read the way devices actually write it.
//!
//! ```text
//! [<PRI>] [TIMESTAMP [":"]] [HOSTNAME] [TAG] [STRUCTURED-DATA] MSG
//! TIMESTAMP = "Mmm dd hh:mm:ss" (with the variants of `timestamp::bsd`) / RFC 3339
//! TAG       = NAME ["[" PID "]"] [":"]
//! ```
//!
//! RFC 3164 only describes what it saw, so the header is recognised by a few rules chosen
//! to keep the message body intact for the format parsers behind this one:
//!
//! - Without `<PRI>` the line must start with a timestamp, or it is not syslog.
//! - With `<PRI>` but no timestamp there is no hostname (the sender left out the whole
//!   header); only a TAG that is unmistakable (see below) is taken.
//! - After the timestamp, the first token is the TAG rather than the hostname when it is
//!   unmistakably one: `NAME[PID]` (`haproxy[73411]:`) or `NAME:` followed by a space
//!   (`%ASA-4-102030: Deny ...`, `su: 'su root' failed`). Otherwise it is the hostname.
//! - After the hostname, the next token is a TAG only when a `:` or `[PID]` ends it
//!   (`su:`, `sshd[3402]:`, `postfix/smtpd[1713]:`, `tag[1234]`). A bare word is the start
//!   of the message, so `PA-VM 1,2024/03/05 10:00:00,...` keeps its CSV and
//!   `host Some message here` keeps its first word (go-syslog and logstash read it so;
//!   rsyslog would make `Some` the tag). Two spaces after the hostname mean no TAG.
//! - `NAME` excludes whitespace and `:[]="{}`, so JSON and `key=value` bodies never yield a
//!   TAG, and `CEF:`/`LEEF:` are never TAGs, so those bodies start with their marker.
//! - `:` alone in the TAG position (`asa01 : %ASA-6-...`) separates header and message.
//! - The message may start with RFC 5424 structured data (rsyslog does this); it is taken
//!   only when every element has a parameter and it is followed by a space or the end.
//! - Spaces between the TAG and the message are dropped.
//!
//! A timestamp of the right shape whose values are impossible (`Feb 30`, `25:00:00`) leaves
//! `time` empty and the rest of the header is still read: the line is syslog, only its
//! clock is wrong.

use super::error::SyslogError;
use super::message::{Rfc, SyslogMessage, body, slice};
use super::structured_data::{self, Mode};
use super::time_context::TimeContext;
use super::timestamp::{self, Strictness, is_space};

/// Parses an RFC 3164 line from `pos` (after the `<PRI>`, if there was one).
///
/// Fails only when there is neither a `<PRI>` nor a timestamp.
pub(crate) fn parse<'a>(
    line: &'a str,
    pos: usize,
    pri: Option<u8>,
    ctx: &TimeContext,
) -> Result<SyslogMessage<'a>, SyslogError> {
    let b = line.as_bytes();
    let mut msg = SyslogMessage::new(Rfc::Rfc3164, pri);
    let mut p = skip_spaces(b, pos);
    match stamp(b, p) {
        Some((stamp, end)) => {
            msg.time = ctx.resolve(stamp);
            p = end;
            // Cisco writes a colon right after the time: `Mar  7 19:06:53: host ...`.
            if b.get(p) == Some(&b':') {
                p += 1;
            }
            p = header(line, p, &mut msg);
        }
        None if pri.is_none() => return Err(SyslogError::NotSyslog),
        None => {
            p = skip_spaces(b, p);
            if let Some(tag) = tag(b, p, Position::First) {
                p = tag.apply(line, &mut msg);
            }
        }
    }
    if b.get(p) == Some(&b'[')
        && let Ok(end) = structured_data::scan(b, p, Mode::Rfc3164)
    {
        msg.structured_data = Some(slice(line, p, end));
        p = skip_spaces(b, end);
    }
    msg.msg = body(line, p);
    Ok(msg)
}

/// Whether a timestamp starts at `pos` (used by `looks_like_syslog`).
pub(crate) fn starts_with_stamp(b: &[u8], pos: usize) -> bool {
    stamp(b, pos).is_some()
}

/// A BSD or RFC 3339 stamp at `pos`, ending at whitespace, `:` or the end of the line.
fn stamp(b: &[u8], pos: usize) -> Option<(timestamp::Stamp, usize)> {
    timestamp::bsd(b, pos).or_else(|| {
        let (stamp, end) = timestamp::rfc3339(b, pos, Strictness::Loose).ok()?;
        b.get(end)
            .is_none_or(|&c| is_space(c) || c == b':')
            .then_some((stamp, end))
    })
}

/// HOSTNAME and TAG after the timestamp. Returns where the message starts.
fn header<'a>(line: &'a str, pos: usize, msg: &mut SyslogMessage<'a>) -> usize {
    let b = line.as_bytes();
    let p = skip_spaces(b, pos);
    if p == b.len() {
        return p;
    }
    if let Some(tag) = tag(b, p, Position::First) {
        return tag.apply(line, msg);
    }
    let host_end = p + b[p..].iter().take_while(|&&c| !is_space(c)).count();
    let host = slice(line, p, host_end);
    if is_never_a_host(host) {
        // Programs that write their own files after a timestamp (OpenVPN's
        // `ip:port` or `user/ip:port` peer) are not syslog: the message starts here.
        return p;
    }
    msg.hostname = (host != "-").then_some(host);
    if host_end == b.len() {
        return host_end;
    }
    let next = host_end + 1;
    if b.get(next).is_some_and(|&c| is_space(c)) {
        return skip_spaces(b, next);
    }
    match tag(b, next, Position::AfterHost) {
        Some(tag) => tag.apply(line, msg),
        None => next,
    }
}

/// A token no host name can be: a socket address (`192.0.2.7:1194`, `[2001:db8::1]:1194`),
/// alone or after a user name (`tanaka/192.0.2.7:1194`). Relay chains such as
/// `host1/host2` stay host names.
fn is_never_a_host(token: &str) -> bool {
    let last = token.rsplit('/').next().unwrap_or(token);
    last.parse::<std::net::SocketAddr>().is_ok()
}

/// Where a TAG candidate stands, which decides how much evidence it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// First token of the header, which is otherwise the hostname: needs `[PID]` or a `:`
    /// followed by whitespace or the end (so `2001:db8::1` stays a hostname).
    First,
    /// After the hostname: a `:` or `[PID]` anywhere ends the TAG (`root[8539]:msg`).
    AfterHost,
}

/// A recognised TAG: byte ranges of its name and pid, and where the message starts.
struct Tag {
    name: (usize, usize),
    pid: Option<(usize, usize)>,
    msg_start: usize,
}

impl Tag {
    fn apply<'a>(&self, line: &'a str, msg: &mut SyslogMessage<'a>) -> usize {
        if self.name.0 < self.name.1 {
            msg.app_name = Some(slice(line, self.name.0, self.name.1));
        }
        msg.procid = self.pid.map(|(s, e)| slice(line, s, e));
        self.msg_start
    }
}

/// A TAG (`NAME ["[" PID "]"] [":"]`) at `pos`, if the evidence suffices for `position`.
fn tag(b: &[u8], pos: usize, position: Position) -> Option<Tag> {
    let name_end = pos
        + b.get(pos..)?
            .iter()
            .take_while(|&&c| is_name_byte(c))
            .count();
    let name = (pos, name_end);
    let ends_field = |i: usize| b.get(i).is_none_or(|&c| is_space(c));
    match b.get(name_end) {
        Some(b':') => {
            let is_marker = matches!(&b[pos..name_end], b"CEF" | b"LEEF");
            let clear = position == Position::AfterHost || ends_field(name_end + 1);
            // An empty name before `:` is the separator of `host : message`.
            let allowed = if name_end == pos {
                ends_field(name_end + 1)
            } else {
                clear && !is_marker
            };
            allowed.then(|| Tag {
                name,
                pid: None,
                msg_start: skip_spaces(b, name_end + 1),
            })
        }
        Some(b'[') if name_end > pos => {
            let pid_start = name_end + 1;
            let pid_len = b[pid_start..]
                .iter()
                .take_while(|&&c| c != b']' && !c.is_ascii_whitespace())
                .count();
            let pid_end = pid_start + pid_len;
            if pid_len == 0 || b.get(pid_end) != Some(&b']') {
                return None;
            }
            let mut after = pid_end + 1;
            if b.get(after) == Some(&b':') {
                after += 1;
            } else if !ends_field(after) {
                return None;
            }
            Some(Tag {
                name,
                pid: Some((pid_start, pid_end)),
                msg_start: skip_spaces(b, after),
            })
        }
        _ => None,
    }
}

fn is_name_byte(c: u8) -> bool {
    !c.is_ascii_whitespace() && !matches!(c, b':' | b'[' | b']' | b'=' | b'"' | b'{' | b'}')
}

fn skip_spaces(b: &[u8], mut p: usize) -> usize {
    while b.get(p).is_some_and(|&c| is_space(c)) {
        p += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_of(s: &str, position: Position) -> Option<(&str, Option<&str>, &str)> {
        tag(s.as_bytes(), 0, position).map(|t| {
            (
                &s[t.name.0..t.name.1],
                t.pid.map(|(a, b)| &s[a..b]),
                &s[t.msg_start..],
            )
        })
    }

    #[test]
    fn tags_after_the_hostname() {
        let after = |s| tag_of(s, Position::AfterHost);
        assert_eq!(after("su: msg"), Some(("su", None, "msg")));
        assert_eq!(
            after("sshd[3402]: Accepted"),
            Some(("sshd", Some("3402"), "Accepted"))
        );
        assert_eq!(
            after("root[8539]:syslog message"),
            Some(("root", Some("8539"), "syslog message"))
        );
        assert_eq!(
            after("tag[1234] This is"),
            Some(("tag", Some("1234"), "This is"))
        );
        assert_eq!(after("tag:msgnum:3"), Some(("tag", None, "msgnum:3")));
        assert_eq!(
            after("sshd(pam_unix)[12750]: x"),
            Some(("sshd(pam_unix)", Some("12750"), "x"))
        );
        assert_eq!(
            after(": %ASA-6-302013: Built"),
            Some(("", None, "%ASA-6-302013: Built"))
        );
        assert_eq!(after("Some message here"), None);
        assert_eq!(after("1,2024/03/05 10:00:00,x"), None);
        assert_eq!(after("date=2024-03-05 time=10:00:00"), None);
        assert_eq!(after("{\"username\": 1}"), None);
        assert_eq!(after("CEF:0|Vendor|Product"), None);
        assert_eq!(after("foo[bar]baz"), None);
        assert_eq!(after("foo[] x"), None);
        assert_eq!(after("[audit] user"), None);
    }

    #[test]
    fn first_position_needs_clear_evidence() {
        let first = |s| tag_of(s, Position::First);
        assert_eq!(
            first("haproxy[73411]: Proxy"),
            Some(("haproxy", Some("73411"), "Proxy"))
        );
        assert_eq!(
            first("%ASA-4-102030: Deny udp"),
            Some(("%ASA-4-102030", None, "Deny udp"))
        );
        assert_eq!(first("su:"), Some(("su", None, "")));
        assert_eq!(first(": a message"), Some(("", None, "a message")));
        assert_eq!(first("2001:db8::1 sshd[1]: x"), None);
        assert_eq!(first("05/21/2017:00:00:00 GMT"), None);
        assert_eq!(first("mymachine app"), None);
    }
}
