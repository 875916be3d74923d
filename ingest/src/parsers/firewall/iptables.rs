//! Linux netfilter `LOG` lines: iptables, ip6tables, nftables `log`, and the front ends
//! that write them (UFW, Shorewall, SuSEfirewall2, firewalld, Ubiquiti EdgeOS).
//!
//! # What is accepted
//!
//! The syslog MSG of a kernel log line (after `host kernel: `), shaped as
//!
//! ```text
//! [optional kernel uptime] [optional log prefix]IN=eth0 OUT= MAC=.. SRC=1.2.3.4 DST=.. LEN=52 .. PROTO=TCP SPT=.. DPT=.. ..
//! ```
//!
//! The log prefix is whatever the rule's `--log-prefix` said, separated from `IN=` by a
//! space or glued to it (`[wan-lan-default-D]IN=`, `Shorewall:net2fw:DROP:IN=`). `IN=`
//! must be followed by `OUT=` (netfilter always writes the two together) and `SRC=` and
//! `DST=` must hold IP addresses; anything else is rejected with the reason, for the
//! `unparsed` table. IPv6 lines (`SRC=fe80:..`, `TC=`, `HOPLIMIT=`) have the same keys.
//!
//! # Mapping
//!
//! | column | from |
//! |---|---|
//! | `src_intf`, `dst_intf` | `IN`, `OUT`; an empty value (a locally generated or locally delivered packet) is null |
//! | `src_ip`, `dst_ip`, `src_port`, `dst_port` | `SRC`, `DST`, `SPT`, `DPT` |
//! | `protocol` | `PROTO`, lower-cased through a fixed table (`tcp`, `udp`, `udplite`, `icmp`, `icmpv6`, `sctp`, `ah`, `esp`, ...); a protocol the kernel prints as a number keeps its number; an unknown name is kept as written |
//! | `bytes_out` | the first `LEN`: the IP packet's total length, header included. It is the size of the one packet `SRC` sent, hence `bytes_out` (bytes sent by the source, as for session logs); `bytes_in` stays null |
//! | `rule` | the log prefix without the kernel uptime, surrounding brackets and trailing `:` (`UFW BLOCK`, `Shorewall:net2fw:DROP`, `wan-lan-default-D`) |
//! | `action` | a verdict word in the prefix, else null (see below) |
//!
//! `packets` stays null although a line is one packet: a row of this table is one logged
//! packet by construction, and the column is kept for formats that summarise sessions.
//! MAC addresses, TTL, TCP flags and the rest stay in `raw`.
//!
//! A `LOG` rule does not decide anything: it logs and lets the next rule decide. Many
//! setups log only what they are about to drop, but that is a convention of the rule set,
//! so the verdict is taken only from a prefix that states one. The prefix is split into
//! words at every character that is not a letter or a digit, and the first verdict word
//! (any case) decides:
//!
//! | words | action | why |
//! |---|---|---|
//! | `ACCEPT`, `ACCEPTED`, `ACC`, `ALLOW`, `ALLOWED`, `PASS`, `PERMIT` | `allow` | `ACC` is SuSEfirewall2's `SFW2-INext-ACC-TCP` |
//! | `DROP`, `DROPPED` | `drop` | silently discarded |
//! | `REJECT`, `REJECTED`, `DENY`, `DENIED`, `BLOCK`, `BLOCKED` | `deny` | refused: `REJECT` answers with an ICMP error by default (a TCP reset only with `--reject-with tcp-reset`, which the log does not show, so never `reset`); UFW writes `BLOCK` both for its DROP-based `deny` and for `reject`, so only the generic `deny` is honest |
//!
//! Failing that, a Ubiquiti EdgeOS label `ruleset-rule-X` whose last part is the single
//! letter `A`, `D` or `R` gives `allow`, `drop` or `deny` (accept, drop, reject). A prefix
//! without a verdict (`[UFW AUDIT]`, a bare uptime) leaves `action` null.
//!
//! The packet that an ICMP error quotes is logged inside brackets after the outer one
//! (`PROTO=ICMP TYPE=3 CODE=3 [SRC=.. DST=.. ..]`); scanning stops at the bracket so the
//! quoted addresses never overwrite the real ones. The second `LEN` of UDP lines (the UDP
//! length) is ignored because the first value of each key wins.
//!
//! # Performance
//!
//! One left-to-right pass over the space-separated tokens after `IN=`, with `memchr` to
//! find each space and a byte-slice `match` on the key, ending at `DPT` (the last key
//! read) so the TCP window, flags and options are not scanned; every value is a borrowed
//! slice of the message, so a line costs no allocation. Measured at 0.3–0.4 µs per line
//! including [`looks_like`] (release build, one core of a busy 2-core machine), i.e.
//! 2.5–3.5 M lines/s. Locating `IN=` is a `memmem` search with a finder built once; the
//! prefix words are only examined when a prefix exists.

use std::net::IpAddr;
use std::sync::LazyLock;

use memchr::memchr;
use memchr::memmem::Finder;

use super::protocol;
use crate::error::ParseError;
use crate::event::NetworkEvent;

/// Parser name, for the `format` column and configuration.
pub const NAME: &str = "iptables";

static IN_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"IN="));
static SRC_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" SRC="));

/// Cheap check that `msg` is a netfilter log line: an `IN=` key directly followed by an
/// `OUT=` key, and a `SRC=` key.
pub fn looks_like(msg: &str) -> bool {
    find_in_key(msg.as_bytes()).is_some() && SRC_KEY.find(msg.as_bytes()).is_some()
}

/// Parses the syslog MSG of a netfilter log line into a network event borrowing from it.
///
/// # Errors
///
/// [`ParseError::MissingField`] when there is no `IN= OUT=` pair or no `SRC`/`DST`;
/// [`ParseError::InvalidField`] when an address, port or length does not parse.
pub fn parse(msg: &str) -> Result<NetworkEvent<'_>, ParseError> {
    let bytes = msg.as_bytes();
    let start = find_in_key(bytes).ok_or(missing("IN"))?;
    let (rule, action) = classify_prefix(&msg[..start]);
    let mut event = NetworkEvent {
        rule,
        action,
        ..NetworkEvent::default()
    };

    let mut pos = start;
    while pos < bytes.len() {
        let end = memchr(b' ', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let token = &msg[pos..end];
        pos = end + 1;
        let Some(&first) = token.as_bytes().first() else {
            continue;
        };
        if first == b'[' {
            // The header of the packet an ICMP error quotes: not this packet.
            break;
        }
        // Flags such as `DF` or `SYN` carry no `=`.
        let Some(eq) = memchr(b'=', token.as_bytes()) else {
            continue;
        };
        let (key, value) = (&token[..eq], &token[eq + 1..]);
        match key.as_bytes() {
            b"IN" => event.src_intf = non_empty(value),
            b"OUT" => event.dst_intf = non_empty(value),
            b"SRC" if event.src_ip.is_none() => event.src_ip = Some(ip(value, "SRC")?),
            b"DST" if event.dst_ip.is_none() => event.dst_ip = Some(ip(value, "DST")?),
            b"LEN" if event.bytes_out.is_none() => {
                event.bytes_out = Some(value.parse().map_err(|_| invalid("LEN"))?);
            }
            b"PROTO" if event.protocol.is_none() => event.protocol = protocol::normalise(value),
            b"SPT" if event.src_port.is_none() => {
                event.src_port = Some(value.parse().map_err(|_| invalid("SPT"))?);
            }
            b"DPT" => {
                event.dst_port = Some(value.parse().map_err(|_| invalid("DPT"))?);
                // Netfilter writes DPT after every key read here; the TCP window, flags
                // and options that follow are of no use.
                break;
            }
            _ => {}
        }
    }
    if event.src_ip.is_none() {
        return Err(missing("SRC"));
    }
    if event.dst_ip.is_none() {
        return Err(missing("DST"));
    }
    Ok(event)
}

/// Offset of the `IN=` key that starts the netfilter fields: the first `IN=` that begins
/// a word (so not the tail of `PHYSIN=` or of a prefix word) and whose value is followed
/// by ` OUT=`.
fn find_in_key(bytes: &[u8]) -> Option<usize> {
    IN_KEY.find_iter(bytes).find(|&at| {
        let word_start = at == 0 || !is_word_byte(bytes[at - 1]);
        let after = &bytes[at + 3..];
        word_start
            && memchr(b' ', after).is_some_and(|space| after[space + 1..].starts_with(b"OUT="))
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn ip<'a>(value: &'a str, key: &'static str) -> Result<&'a str, ParseError> {
    value
        .parse::<IpAddr>()
        .map(|_| value)
        .map_err(|_| invalid(key))
}

/// Splits the text before `IN=` into the rule (the cleaned log prefix) and the verdict
/// the prefix states, if any.
fn classify_prefix(prefix: &str) -> (Option<&str>, Option<&'static str>) {
    let mut p = prefix.trim();
    // Kernel uptime stamp `[  203.842973]`: the kernel's, not the rule's.
    if let Some(rest) = p.strip_prefix('[')
        && let Some(close) = rest.find(']')
        && rest[..close]
            .bytes()
            .all(|b| b == b' ' || b == b'.' || b.is_ascii_digit())
    {
        p = rest[close + 1..].trim_start();
    }
    if let Some(inner) = p.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
        p = inner.trim();
    }
    let p = p.trim_end_matches([':', ' ']);
    if p.is_empty() {
        return (None, None);
    }
    (Some(p), verdict(p))
}

fn verdict(prefix: &str) -> Option<&'static str> {
    let words = prefix
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    for word in words {
        let is = |w: &str| word.eq_ignore_ascii_case(w);
        if [
            "ACCEPT", "ACCEPTED", "ACC", "ALLOW", "ALLOWED", "PASS", "PERMIT",
        ]
        .into_iter()
        .any(is)
        {
            return Some("allow");
        }
        if ["DROP", "DROPPED"].into_iter().any(is) {
            return Some("drop");
        }
        if ["REJECT", "REJECTED", "DENY", "DENIED", "BLOCK", "BLOCKED"]
            .into_iter()
            .any(is)
        {
            return Some("deny");
        }
    }
    // Ubiquiti EdgeOS labels rules `ruleset-rule-A|D|R`.
    let mut parts = prefix.rsplit('-');
    let last = parts.next()?;
    if parts.count() < 2 {
        return None;
    }
    match last {
        "A" => Some("allow"),
        "D" => Some("drop"),
        "R" => Some("deny"),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const UFW: &str = "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 \
        SRC=203.0.113.7 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=54321 DF PROTO=TCP \
        SPT=51515 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0";

    #[test]
    fn ufw_block_line() {
        let e = parse(UFW).unwrap();
        assert_eq!(
            e,
            NetworkEvent {
                src_ip: Some("203.0.113.7"),
                src_port: Some(51515),
                dst_ip: Some("192.0.2.10"),
                dst_port: Some(22),
                protocol: Some("tcp"),
                action: Some("deny"),
                rule: Some("UFW BLOCK"),
                bytes_out: Some(60),
                src_intf: Some("eth0"),
                ..NetworkEvent::default()
            }
        );
    }

    #[test]
    fn verdict_words_and_labels() {
        let cases = [
            ("[UFW ALLOW] ", Some("UFW ALLOW"), Some("allow")),
            ("[UFW LIMIT BLOCK] ", Some("UFW LIMIT BLOCK"), Some("deny")),
            ("[UFW AUDIT] ", Some("UFW AUDIT"), None),
            (
                "[ 1234.5678] IPTABLES-DROP: ",
                Some("IPTABLES-DROP"),
                Some("drop"),
            ),
            ("[1234.5678] ", None, None),
            (
                "Shorewall:FORWARD:REJECT:",
                Some("Shorewall:FORWARD:REJECT"),
                Some("deny"),
            ),
            (
                "filter_IN_public_REJECT: ",
                Some("filter_IN_public_REJECT"),
                Some("deny"),
            ),
            (
                "STATE_INVALID_DROP: ",
                Some("STATE_INVALID_DROP"),
                Some("drop"),
            ),
            ("nft-accepted: ", Some("nft-accepted"), Some("allow")),
            (
                "SFW2-INext-ACC-TCP ",
                Some("SFW2-INext-ACC-TCP"),
                Some("allow"),
            ),
            ("[WAN_IN-10-A]", Some("WAN_IN-10-A"), Some("allow")),
            (
                "[wan-lan-default-D]",
                Some("wan-lan-default-D"),
                Some("drop"),
            ),
            ("[LAN_LOCAL-20-R]", Some("LAN_LOCAL-20-R"), Some("deny")),
            // One hyphen is not an EdgeOS label.
            ("FW-D ", Some("FW-D"), None),
            ("", None, None),
        ];
        for (prefix, rule, action) in cases {
            let line = format!("{prefix}IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=20 PROTO=47");
            let e = parse(&line).unwrap();
            assert_eq!((e.rule, e.action), (rule, action), "{prefix:?}");
            assert_eq!(
                e.protocol,
                Some("gre"),
                "protocol numbers get their IANA keyword"
            );
        }
    }

    #[test]
    fn icmp_error_keeps_outer_packet() {
        let line = "IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.1 LEN=88 TOS=0x00 PREC=0xC0 TTL=64 \
            ID=1 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.1 DST=198.51.100.1 LEN=60 TOS=0x00 \
            PREC=0x00 TTL=63 ID=2 PROTO=UDP SPT=53 DPT=40000 LEN=40 ] ";
        let e = parse(line).unwrap();
        assert_eq!(e.src_ip, Some("198.51.100.1"));
        assert_eq!(e.dst_ip, Some("192.0.2.1"));
        assert_eq!(e.protocol, Some("icmp"));
        assert_eq!(e.bytes_out, Some(88));
        assert_eq!((e.src_port, e.dst_port), (None, None));
    }

    #[test]
    fn ipv6_and_outgoing_packets() {
        let line = "IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0001 \
            DST=2001:db8::2 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1";
        let e = parse(line).unwrap();
        assert_eq!((e.src_intf, e.dst_intf), (None, Some("eth0")));
        assert_eq!(e.src_ip, Some("2001:0db8:0000:0000:0000:0000:0000:0001"));
        assert_eq!(e.protocol, Some("icmpv6"));
        assert_eq!(e.bytes_out, Some(72));
    }

    #[test]
    fn rejects_with_reasons() {
        let cases = [
            ("SRC=1.2.3.4 DST=5.6.7.8", missing("IN")),
            ("XX=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8", missing("IN")),
            // `IN=` without `OUT=` after it is not netfilter's.
            ("IN=eth0 SRC=1.2.3.4 DST=5.6.7.8", missing("IN")),
            ("IN=eth0 OUT= MAC= DST=5.6.7.8", missing("SRC")),
            ("IN=eth0 OUT= SRC=1.2.3.4", missing("DST")),
            ("IN=eth0 OUT= SRC=host DST=5.6.7.8", invalid("SRC")),
            (
                "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=70000",
                invalid("SPT"),
            ),
            (
                "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=-1",
                invalid("LEN"),
            ),
        ];
        for (line, err) in cases {
            assert_eq!(parse(line), Err(err), "{line}");
        }
    }

    #[test]
    fn looks_like_needs_in_out_and_src() {
        assert!(looks_like(UFW));
        assert!(looks_like("[FW]IN=eth0 OUT= SRC=1.2.3.4"));
        assert!(!looks_like("PHYSIN=eth0 OUT= SRC=1.2.3.4"));
        assert!(!looks_like("IN=eth0 OUT= DST=1.2.3.4"));
        assert!(!looks_like(
            "Accepted password for root from 1.2.3.4 port 22 ssh2"
        ));
        assert!(!looks_like(""));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC*") {
            let _ = looks_like(&s);
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let s = String::from_utf8_lossy(&b);
            let _ = looks_like(&s);
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_mangled_lines(
            cut in 0usize..400,
            noise in "[\\[\\] =A-Z0-9:.-]{0,40}",
        ) {
            let mut line = UFW.to_owned();
            let cut = line.char_indices().map(|(i, _)| i).find(|&i| i >= cut).unwrap_or(line.len());
            line.insert_str(cut, &noise);
            let _ = looks_like(&line);
            if let Ok(e) = parse(&line) {
                // Whatever parsed borrows from the line and is an address.
                prop_assert!(e.src_ip.unwrap().parse::<IpAddr>().is_ok());
            }
        }
    }
}
