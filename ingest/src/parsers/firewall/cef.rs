//! ArcSight Common Event Format (CEF), as firewalls, IPS and UTM appliances send it.
//!
//! # What is accepted
//!
//! ```text
//! [syslog prefix] CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
//! ```
//!
//! as described in *Implementing ArcSight CEF* (Micro Focus, revision 25). The `CEF:`
//! marker may follow any text (a syslog header the syslog reader did not take, such as
//! pycef's `Nov 16 21:24:18 host CEF:0|...`) after a space, and spaces may follow its
//! colon (UniFi writes `CEF: 0|`). A message that starts with `Version|` is taken as CEF
//! whose `CEF:` a relay took for a syslog tag, but only when the source is configured as
//! CEF: [`looks_like`] wants the marker. The seven header fields must all be there (each
//! ended by `|`), though they may be empty; the extension may be empty.
//!
//! Header fields escape `|` and `\` with a backslash. The extension is a list of
//! `key=value` pairs separated by spaces, where a value runs until the space before the
//! next `key=` and so may hold spaces; values escape `=` and `\` (`\=`, `\\`) and write
//! line breaks as `\n` and `\r`. An unescaped `=` that is not preceded by a
//! `space key` stays in the value, so sloppy producers lose nothing. Keys are ASCII
//! letters, digits, `_`, `.` and `-`.
//!
//! # Escapes and the arena
//!
//! [`parse_in`] unescapes the values that hold a backslash into the per-line arena;
//! [`parse`], whose signature has no arena, keeps such values exactly as written
//! (`C:\\temp`, `a\=b`). Values without a backslash are borrowed from the message either
//! way.
//!
//! # Mapping
//!
//! | column | from |
//! |---|---|
//! | `src_ip`, `dst_ip` | `src`, `dst` (or their full names `sourceAddress`, `destinationAddress`); failing those, `c6a2` and `c6a3`, the IPv6 source and destination |
//! | `src_port`, `dst_port` | `spt`, `dpt` |
//! | `protocol` | `proto`, lower-cased through a fixed table (`TCP` → `tcp`, `6` → `tcp`), kept as written otherwise |
//! | `action` | `act`: `allow`/`accept`/`permit`/`pass` (and their past tenses) → `allow`; `deny`/`block`/`reject`/`refuse`(d) → `deny`; `drop`/`discard`(ed) → `drop`; `reset`, `reset-*`, `rst` → `reset`; another value leaves the column null and stays in `extra['act']` |
//! | `src_intf`, `dst_intf` | `deviceInboundInterface`, `deviceOutboundInterface` |
//! | `bytes_out`, `bytes_in` | `in` and `out`. CEF defines `in` as the bytes that flowed from source to destination and `out` the other way, which are sanso's (and OCSF's) `bytes_out` and `bytes_in`: the names are the other way round on purpose |
//! | `app` | `app` |
//! | `nat_src_ip`, `nat_src_port`, `nat_dst_ip`, `nat_dst_port` | `sourceTranslatedAddress`, `sourceTranslatedPort`, `destinationTranslatedAddress`, `destinationTranslatedPort` |
//! | `time` | `rt`: milliseconds since the epoch (ten digits or fewer are taken as seconds), RFC 3339, or `MMM dd yyyy HH:mm:ss[.SSS] ZONE` with `UTC`, `GMT`, `Z`, `JST` or a numeric offset; a time without zone or year is left to the syslog header and kept in `extra['rt']` |
//! | `duration_ms` | `end` − `start`, when both parse as above |
//! | `threat_name`, `threat_severity` | the header's Name and Severity, for threat events only (below) |
//! | `rule`, `src_device_zone`, `dst_device_zone` | a custom field whose label is a rule or policy name (`Rule`, `Rule Name`, `Policy`, ...) or a zone (`Source Zone`, `Destination Zone`, as Palo Alto labels its `cs4`/`cs5`) |
//!
//! An event is a threat when its Name or its category (`cat`) contains one of the words
//! `threat`, `intrusion`, `attack`, `exploit`, `malware`, `virus`, `spyware`,
//! `vulnerability`, `botnet`, `ransomware`, `trojan`, `phishing` (any case). The Severity
//! of a threat is written the way the other parsers write theirs: CEF's 0–3 `low`, 4–6
//! `medium`, 7–8 `high`, 9–10 (CEF's "Very-High") `critical`, and the same words as
//! text; other values are kept. For other events Name and Severity go to
//! `extra['name']` and `extra['severity']`.
//!
//! Everything else goes to `extra`: `device_vendor`, `device_product`,
//! `device_version`, `signature_id` from the header, then every other extension key under
//! its own name (`msg`, `cat`, `cnt`, `shost`, `suser`, `start`, `end`, vendor keys
//! such as `UNIFIcategory`, ...). Custom fields (`cs1`–`cs6`, `cn1`–`cn3`, `c6a1`–`c6a4`,
//! `cfp1`–`cfp4`, `deviceCustomDate1`–`2`, `flexString1`–`2`, ...) are stored under the
//! text of their `...Label` key when it has one, and the labels themselves are not kept.
//! `cnt` (how many times the event was seen) is not `packets`, so it stays in `extra`.
//!
//! # Performance
//!
//! The header is split with `memchr2` on `|` and `\`; the extension is scanned once with
//! `memchr3` on space, `=` and `\`, remembering the last space so that each `key=` is
//! found without looking back. Values are slices of the message except unescaped ones
//! ([`parse_in`] only); the one other allocation is the `extra` vector. Measured at
//! about 1.8 µs per UniFi event of 30–40 keys (0.5–1.3 KB) including [`looks_like`]
//! (release build, one core of a busy 2-core machine), i.e. about 0.55 M lines/s; see
//! `throughput_of_the_three_parsers` in `tests/firewall_formats_a.rs`.

use std::net::IpAddr;
use std::sync::LazyLock;

use bumpalo::Bump;
use memchr::memmem::Finder;
use memchr::{memchr2, memchr3};

use super::protocol;
use crate::error::ParseError;
use crate::event::{Event, Micros, NetworkEvent};

/// Parser name, for the `format` column and configuration.
pub const NAME: &str = "cef";

static MARKER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"CEF:"));

/// `extra` entries reserved up front: the header's four and a typical extension's.
const EXTRA_CAPACITY: usize = 32;

/// Custom-field labels kept per line before they are applied; more go to `extra` as is.
const MAX_LABELS: usize = 16;

/// Words in a Name or category that make an event a threat.
const THREAT_WORDS: [&str; 12] = [
    "threat",
    "intrusion",
    "attack",
    "exploit",
    "malware",
    "virus",
    "spyware",
    "vulnerability",
    "botnet",
    "ransomware",
    "trojan",
    "phishing",
];

/// Cheap check for a `CEF:` marker, at the start of the message or after a space,
/// followed by a version number and `|`.
pub fn looks_like(msg: &str) -> bool {
    marker(msg).is_some()
}

/// Parses a CEF message into a network event, keeping escaped values as written (see
/// [`parse_in`] for the unescaping variant).
///
/// # Errors
///
/// As [`parse_in`].
pub fn parse(msg: &str) -> Result<Event<'_>, ParseError> {
    parse_with(msg, None).map(Event::Network)
}

/// Parses a CEF message into a network event, unescaping values into `arena`.
///
/// # Errors
///
/// [`ParseError::Unrecognised`] when there is no `CEF:Version|` header;
/// [`ParseError::MissingField`] when the header has fewer than seven fields;
/// [`ParseError::InvalidField`] when an address, port, byte count or translated address
/// does not parse.
pub fn parse_in<'a>(msg: &'a str, arena: &'a Bump) -> Result<Event<'a>, ParseError> {
    parse_with(msg, Some(arena)).map(Event::Network)
}

fn parse_with<'a>(msg: &'a str, arena: Option<&'a Bump>) -> Result<NetworkEvent<'a>, ParseError> {
    let start = marker(msg)
        .or_else(|| bare_version(msg).then_some(0))
        .ok_or(ParseError::Unrecognised {
            format: NAME,
            reason: "no CEF:Version| header",
        })?;
    let text = &msg[start..];
    let version_end = text.find('|').ok_or(missing("version"))?;
    let mut rest = &text[version_end + 1..];
    let mut header = [""; 6];
    for (value, name) in header.iter_mut().zip(HEADER_FIELDS) {
        let (field, after) = header_field(rest).ok_or(missing(name))?;
        *value = unescape(field, arena, Escapes::Header);
        rest = after;
    }
    let [
        vendor,
        product,
        device_version,
        signature_id,
        name,
        severity,
    ] = header;

    let mut e = NetworkEvent {
        extra: Vec::with_capacity(EXTRA_CAPACITY),
        ..NetworkEvent::default()
    };
    push(&mut e.extra, "device_vendor", vendor);
    push(&mut e.extra, "device_product", product);
    push(&mut e.extra, "device_version", device_version);
    push(&mut e.extra, "signature_id", signature_id);

    let mut state = State::default();
    extension(rest, |key, raw| {
        apply(
            &mut e,
            &mut state,
            key,
            unescape(raw, arena, Escapes::Value),
        )
    })?;
    finish(&mut e, state, name, severity);
    Ok(e)
}

const HEADER_FIELDS: [&str; 6] = [
    "device_vendor",
    "device_product",
    "device_version",
    "signature_id",
    "name",
    "severity",
];

/// Offset of the version after a `CEF:` marker that starts the message or follows a
/// space, when a number and `|` follow it.
fn marker(msg: &str) -> Option<usize> {
    let bytes = msg.as_bytes();
    MARKER.find_iter(bytes).find_map(|at| {
        let starts_word = at == 0 || bytes[at - 1].is_ascii_whitespace();
        let version = at + 4 + bytes[at + 4..].iter().take_while(|&&b| b == b' ').count();
        (starts_word && bare_version(&msg[version..])).then_some(version)
    })
}

/// Whether `text` starts with a version number followed by `|`.
fn bare_version(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && text.as_bytes().get(digits) == Some(&b'|')
}

/// One header field up to its unescaped `|`, and what follows that `|`.
fn header_field(text: &str) -> Option<(&str, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr2(b'|', b'\\', &b[i..]) {
        let p = i + off;
        if b[p] == b'|' {
            return Some((&text[..p], &text[p + 1..]));
        }
        i = (p + 2).min(b.len());
    }
    None
}

/// Calls `f(key, raw value)` for each pair of the extension, in order, until it fails.
fn extension<'a, E>(
    ext: &'a str,
    mut f: impl FnMut(&'a str, &'a str) -> Result<(), E>,
) -> Result<(), E> {
    let b = ext.as_bytes();
    // The current key, where its value starts, and the last space seen since then.
    let mut key: Option<&'a str> = None;
    let mut value_start = 0;
    let mut last_space: Option<usize> = None;
    let mut i = 0;
    while let Some(off) = memchr3(b' ', b'=', b'\\', &b[i..]) {
        let p = i + off;
        match b[p] {
            b'\\' => {
                i = (p + 2).min(b.len());
                continue;
            }
            b' ' => last_space = Some(p),
            _ => {
                let key_start = last_space.map_or(value_start, |s| s + 1);
                let candidate = &ext[key_start..p];
                // An `=` not preceded by `space key` (or leading the extension) is part
                // of the value.
                if is_key(candidate) && (key.is_none() || last_space.is_some()) {
                    if let Some(k) = key {
                        f(k, ext[value_start..key_start].trim_end_matches(' '))?;
                    }
                    key = Some(candidate);
                    value_start = p + 1;
                    last_space = None;
                }
            }
        }
        i = p + 1;
    }
    match key {
        Some(k) => f(k, ext[value_start..].trim_end_matches([' ', '\r', '\n'])),
        None => Ok(()),
    }
}

fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// What the extension leaves for after the pass: labels, the category, the IPv6
/// addresses and the start and end times.
#[derive(Default)]
struct State<'a> {
    labels: [(&'a str, &'a str); MAX_LABELS],
    label_count: usize,
    category: Option<&'a str>,
    ipv6_src: Option<&'a str>,
    ipv6_dst: Option<&'a str>,
    start: Option<Micros>,
    end: Option<Micros>,
}

/// Maps one extension pair.
fn apply<'a>(
    e: &mut NetworkEvent<'a>,
    state: &mut State<'a>,
    key: &'a str,
    value: &'a str,
) -> Result<(), ParseError> {
    if value.is_empty() {
        return Ok(());
    }
    match key {
        "src" | "sourceAddress" => e.src_ip = Some(ip(value, "src")?),
        "dst" | "destinationAddress" => e.dst_ip = Some(ip(value, "dst")?),
        "spt" | "sourcePort" => e.src_port = Some(number(value, "spt")?),
        "dpt" | "destinationPort" => e.dst_port = Some(number(value, "dpt")?),
        "proto" | "transportProtocol" => {
            e.protocol = protocol::normalise(value);
        }
        "act" | "deviceAction" => {
            e.action = action(value);
            if e.action.is_none() {
                e.extra.push((key, value));
            }
        }
        "app" | "applicationProtocol" => e.app = Some(value),
        "in" | "bytesIn" => e.bytes_out = Some(number(value, "in")?),
        "out" | "bytesOut" => e.bytes_in = Some(number(value, "out")?),
        "deviceInboundInterface" => e.src_intf = Some(value),
        "deviceOutboundInterface" => e.dst_intf = Some(value),
        "sourceTranslatedAddress" => {
            e.nat_src_ip = Some(ip(value, "sourceTranslatedAddress")?);
        }
        "sourceTranslatedPort" => e.nat_src_port = Some(number(value, "sourceTranslatedPort")?),
        "destinationTranslatedAddress" => {
            e.nat_dst_ip = Some(ip(value, "destinationTranslatedAddress")?);
        }
        "destinationTranslatedPort" => {
            e.nat_dst_port = Some(number(value, "destinationTranslatedPort")?);
        }
        "rt" | "receiptTime" => match time(value) {
            Some(t) => e.time = Some(t),
            None => e.extra.push((key, value)),
        },
        "c6a2" => state.ipv6_src = Some(value),
        "c6a3" => state.ipv6_dst = Some(value),
        _ => {
            if let Some(base) = key.strip_suffix("Label")
                && state.label_count < MAX_LABELS
            {
                state.labels[state.label_count] = (base, value);
                state.label_count += 1;
                return Ok(());
            }
            match key {
                "cat" => state.category = Some(value),
                "start" => state.start = time(value),
                "end" => state.end = time(value),
                _ => {}
            }
            e.extra.push((key, value));
        }
    }
    Ok(())
}

/// Fills what needs the whole extension: IPv6 fallbacks, labels, duration, threat.
fn finish<'a>(e: &mut NetworkEvent<'a>, state: State<'a>, name: &'a str, severity: &'a str) {
    for (slot, value, key) in [
        (&mut e.src_ip, state.ipv6_src, "c6a2"),
        (&mut e.dst_ip, state.ipv6_dst, "c6a3"),
    ] {
        let Some(value) = value else { continue };
        if slot.is_none() && value.parse::<IpAddr>().is_ok() {
            *slot = Some(value);
        } else {
            e.extra.push((key, value));
        }
    }
    if let (Some(start), Some(end)) = (state.start, state.end)
        && end >= start
    {
        e.duration_ms = u64::try_from((end - start) / 1000).ok();
    }
    let labels = &state.labels[..state.label_count];
    if !labels.is_empty() {
        let (rule, src_zone, dst_zone) =
            (&mut e.rule, &mut e.src_device_zone, &mut e.dst_device_zone);
        e.extra.retain_mut(|(key, value)| {
            let Some(&(_, label)) = labels.iter().find(|(base, _)| *base == *key) else {
                return true;
            };
            let column = match LabelKind::of(label) {
                LabelKind::Rule => &mut *rule,
                LabelKind::SrcZone => &mut *src_zone,
                LabelKind::DstZone => &mut *dst_zone,
                LabelKind::Other => {
                    *key = label;
                    return true;
                }
            };
            if column.is_some() {
                *key = label;
                return true;
            }
            *column = Some(*value);
            false
        });
    }
    let is_threat = [Some(name), state.category]
        .into_iter()
        .flatten()
        .any(|text| THREAT_WORDS.iter().any(|w| contains_ignore_case(text, w)));
    if is_threat {
        e.threat_name = non_empty(name);
        e.threat_severity = non_empty(severity).map(|s| threat_severity(s).unwrap_or(s));
    } else {
        push(&mut e.extra, "name", name);
        push(&mut e.extra, "severity", severity);
    }
}

/// Which column a custom field's label points at.
enum LabelKind {
    Rule,
    SrcZone,
    DstZone,
    Other,
}

impl LabelKind {
    fn of(label: &str) -> Self {
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(label));
        if is(&[
            "rule",
            "rule name",
            "rulename",
            "rule_name",
            "policy",
            "policy name",
            "policyname",
            "policy_name",
        ]) {
            LabelKind::Rule
        } else if is(&["source zone", "src zone", "srczone", "from zone"]) {
            LabelKind::SrcZone
        } else if is(&["destination zone", "dst zone", "dstzone", "to zone"]) {
            LabelKind::DstZone
        } else {
            LabelKind::Other
        }
    }
}

fn action(value: &str) -> Option<&'static str> {
    const WORDS: [(&str, &str); 24] = [
        ("allow", "allow"),
        ("allowed", "allow"),
        ("accept", "allow"),
        ("accepted", "allow"),
        ("permit", "allow"),
        ("permitted", "allow"),
        ("pass", "allow"),
        ("passed", "allow"),
        ("deny", "deny"),
        ("denied", "deny"),
        ("block", "deny"),
        ("blocked", "deny"),
        ("reject", "deny"),
        ("rejected", "deny"),
        ("refuse", "deny"),
        ("refused", "deny"),
        ("drop", "drop"),
        ("dropped", "drop"),
        ("discard", "drop"),
        ("discarded", "drop"),
        ("reset", "reset"),
        ("reset-client", "reset"),
        ("reset-server", "reset"),
        ("reset-both", "reset"),
    ];
    if value.eq_ignore_ascii_case("rst") {
        return Some("reset");
    }
    WORDS
        .into_iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(value))
        .map(|(_, action)| action)
}

/// CEF severity (0–10 or a word) in the words the other parsers use.
fn threat_severity(value: &str) -> Option<&'static str> {
    if let Ok(n) = value.parse::<u8>() {
        return match n {
            0..=3 => Some("low"),
            4..=6 => Some("medium"),
            7..=8 => Some("high"),
            9..=10 => Some("critical"),
            _ => None,
        };
    }
    [
        ("low", "low"),
        ("medium", "medium"),
        ("high", "high"),
        ("very-high", "critical"),
        ("very high", "critical"),
        ("critical", "critical"),
    ]
    .into_iter()
    .find(|(word, _)| word.eq_ignore_ascii_case(value))
    .map(|(_, severity)| severity)
}

/// A CEF time value in UTC microseconds, when it says its zone.
fn time(value: &str) -> Option<Micros> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = value.parse().ok()?;
        return if value.len() <= 11 {
            n.checked_mul(1_000_000)
        } else {
            n.checked_mul(1000)
        };
    }
    if value.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|t| t.timestamp_micros());
    }
    month_day_year(value)
}

/// `MMM dd yyyy HH:mm:ss[.SSS] ZONE`, the CEF date form that carries a year and a zone.
fn month_day_year(value: &str) -> Option<Micros> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = value.split_ascii_whitespace();
    let (month, day, year, clock, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (Some(h), Some(m), Some(s), None) = (hms.next()?, hms.next()?, hms.next()?, hms.next())
    else {
        return None;
    };
    let micros = match fraction.len() {
        0 => 0,
        1..=6 if fraction.bytes().all(|b| b.is_ascii_digit()) => {
            fraction.parse::<u32>().ok()? * 10u32.pow(6 - fraction.len() as u32)
        }
        _ => return None,
    };
    let local =
        chrono::NaiveDate::from_ymd_opt(year.parse().ok()?, month as u32 + 1, day.parse().ok()?)?
            .and_hms_micro_opt(h, m, s, micros)?
            .and_utc()
            .timestamp_micros();
    Some(local - i64::from(zone_offset(zone)?) * 1_000_000)
}

/// Seconds east of UTC for the zones a CEF time may name without ambiguity.
fn zone_offset(zone: &str) -> Option<i32> {
    match zone {
        "UTC" | "GMT" | "Z" => return Some(0),
        "JST" => return Some(9 * 3600),
        _ => {}
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &zone[1..];
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (h, m) = match digits.split_once(':') {
        Some(hm) => hm,
        None if digits.len() == 4 => (&digits[..2], &digits[2..]),
        None => return None,
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    // Checked before multiplying: an offset of many digits would overflow.
    (h < 24 && m < 60).then(|| sign * (h * 3600 + m * 60))
}

/// Which escapes a text uses.
#[derive(Clone, Copy)]
enum Escapes {
    /// Header fields: `\|` and `\\`.
    Header,
    /// Extension values: `\=`, `\\`, `\n`, `\r` (and `\|`, which some producers write).
    Value,
}

/// `raw` without its escapes, written into `arena`; `raw` itself when there is no
/// backslash or no arena.
fn unescape<'a>(raw: &'a str, arena: Option<&'a Bump>, escapes: Escapes) -> &'a str {
    let Some(arena) = arena else { return raw };
    if !raw.contains('\\') {
        return raw;
    }
    let buf = arena.alloc_slice_fill_copy(raw.len(), 0u8);
    let b = raw.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        let next = b.get(i + 1).copied();
        let replacement = match (b[i], next, escapes) {
            (b'\\', Some(c @ (b'\\' | b'|')), _) => Some(c),
            (b'\\', Some(b'='), Escapes::Value) => Some(b'='),
            (b'\\', Some(b'n'), Escapes::Value) => Some(b'\n'),
            (b'\\', Some(b'r'), Escapes::Value) => Some(b'\r'),
            _ => None,
        };
        match replacement {
            Some(c) => {
                buf[n] = c;
                i += 2;
            }
            None => {
                buf[n] = b[i];
                i += 1;
            }
        }
        n += 1;
    }
    let buf: &'a [u8] = buf;
    // Only ASCII escape pairs were replaced by ASCII bytes, so the text stays UTF-8.
    std::str::from_utf8(&buf[..n]).unwrap_or(raw)
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn push<'a>(extra: &mut Vec<(&'a str, &'a str)>, key: &'a str, value: &'a str) {
    if !value.is_empty() {
        extra.push((key, value));
    }
}

fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn ip<'a>(value: &'a str, field: &'static str) -> Result<&'a str, ParseError> {
    value
        .parse::<IpAddr>()
        .map(|_| value)
        .map_err(|_| invalid(field))
}

fn number<T: std::str::FromStr>(value: &str, field: &'static str) -> Result<T, ParseError> {
    value.parse().map_err(|_| invalid(field))
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

    fn network(event: Result<Event<'_>, ParseError>) -> NetworkEvent<'_> {
        match event {
            Ok(Event::Network(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zone_offsets_are_range_checked_before_any_arithmetic() {
        assert_eq!(zone_offset("+09:00"), Some(9 * 3600));
        assert_eq!(zone_offset("-0530"), Some(-(5 * 3600 + 30 * 60)));
        // Found by fuzzing: these overflowed an i32 before the range check.
        assert_eq!(zone_offset("-0999999999:31"), None);
        assert_eq!(zone_offset("+12:99999999999"), None);
        assert_eq!(zone_offset("+24:00"), None);
    }

    fn extra<'a>(e: &NetworkEvent<'a>, key: &str) -> Option<&'a str> {
        e.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Written from the key table of *Implementing ArcSight CEF* (revision 25).
    const FIREWALL: &str = "CEF:0|Acme|NGFW|7.2|1001|Connection allowed|3|rt=1700000000123 \
        src=10.10.1.5 spt=51234 dst=198.51.100.7 dpt=443 proto=TCP act=accept \
        deviceInboundInterface=port1 deviceOutboundInterface=wan1 in=1200 out=5400 \
        sourceTranslatedAddress=203.0.113.5 sourceTranslatedPort=40001 app=HTTPS \
        cs1Label=Rule Name cs1=Allow web cs2=unlabelled cnt=3 msg=ok";

    #[test]
    fn firewall_event_maps_every_key() {
        let e = network(parse(FIREWALL));
        assert_eq!(
            e,
            NetworkEvent {
                time: Some(1_700_000_000_123_000),
                src_ip: Some("10.10.1.5"),
                src_port: Some(51234),
                dst_ip: Some("198.51.100.7"),
                dst_port: Some(443),
                protocol: Some("tcp"),
                action: Some("allow"),
                rule: Some("Allow web"),
                bytes_in: Some(5400),
                bytes_out: Some(1200),
                src_intf: Some("port1"),
                dst_intf: Some("wan1"),
                app: Some("HTTPS"),
                nat_src_ip: Some("203.0.113.5"),
                nat_src_port: Some(40001),
                extra: vec![
                    ("device_vendor", "Acme"),
                    ("device_product", "NGFW"),
                    ("device_version", "7.2"),
                    ("signature_id", "1001"),
                    ("cs2", "unlabelled"),
                    ("cnt", "3"),
                    ("msg", "ok"),
                    ("name", "Connection allowed"),
                    ("severity", "3"),
                ],
                ..NetworkEvent::default()
            }
        );
        assert!(looks_like(FIREWALL));
    }

    #[test]
    fn escapes_are_undone_in_the_arena_and_kept_without_it() {
        let msg = r"CEF:0|Ven\|dor|Prod\\uct|1|sig|Name|5|cs1Label=Path cs1=C:\\temp\\x msg=a\=b line\nnext fname=plain";
        let arena = Bump::new();
        let e = network(parse_in(msg, &arena));
        assert_eq!(extra(&e, "device_vendor"), Some("Ven|dor"));
        assert_eq!(extra(&e, "device_product"), Some(r"Prod\uct"));
        assert_eq!(extra(&e, "Path"), Some(r"C:\temp\x"));
        assert_eq!(extra(&e, "msg"), Some("a=b line\nnext"));
        assert_eq!(extra(&e, "fname"), Some("plain"));
        let kept = network(parse(msg));
        assert_eq!(extra(&kept, "device_vendor"), Some(r"Ven\|dor"));
        assert_eq!(extra(&kept, "msg"), Some(r"a\=b line\nnext"));
    }

    #[test]
    fn values_run_to_the_next_key() {
        let msg = "CEF:0|v|p|1|s|n|1| msg=Source IP: 10.0.0.1 says a=b=c  tail  x.y-z_1=2   ";
        let e = network(parse(msg));
        assert_eq!(extra(&e, "msg"), Some("Source IP: 10.0.0.1 says"));
        assert_eq!(extra(&e, "a"), Some("b=c  tail"));
        assert_eq!(extra(&e, "x.y-z_1"), Some("2"));
        // No extension at all, and an empty value.
        let e = network(parse("CEF:0|v|p|1|s|n|1|"));
        assert_eq!(extra(&e, "severity"), Some("1"));
        let e = network(parse("CEF:0|v|p|1|s|n|1|src= dst=10.0.0.2"));
        assert_eq!((e.src_ip, e.dst_ip), (None, Some("10.0.0.2")));
    }

    #[test]
    fn actions() {
        for (act, expected) in [
            ("Blocked", Some("deny")),
            ("drop", Some("drop")),
            ("reset-both", Some("reset")),
            ("PERMIT", Some("allow")),
            ("alert", None),
        ] {
            let msg = format!("CEF:0|v|p|1|s|n|1|act={act}");
            let e = network(parse(&msg));
            assert_eq!(e.action, expected, "{act}");
            assert_eq!(extra(&e, "act"), expected.is_none().then_some(act));
        }
    }

    #[test]
    fn threats_get_name_and_severity() {
        let e = network(parse(
            "CEF:0|Ubiquiti|UniFi Network|9.4|201|Threat Detected and Blocked|9|act=blocked",
        ));
        assert_eq!(e.threat_name, Some("Threat Detected and Blocked"));
        assert_eq!(e.threat_severity, Some("critical"));
        assert_eq!(extra(&e, "name"), None);
        let e = network(parse(
            "CEF:0|v|p|1|TROJ_X|Detected|High|cat=/Malware/Trojan",
        ));
        assert_eq!(
            (e.threat_name, e.threat_severity),
            (Some("Detected"), Some("high"))
        );
        for (severity, word) in [
            ("0", "low"),
            ("4", "medium"),
            ("8", "high"),
            ("Very-High", "critical"),
            ("11", "11"),
        ] {
            let msg = format!("CEF:0|v|p|1|s|Attack|{severity}|");
            let e = network(parse(&msg));
            assert_eq!(e.threat_severity, Some(word), "{severity}");
        }
    }

    #[test]
    fn labels_name_zones_and_custom_fields() {
        let msg = "CEF:0|Palo Alto Networks|PAN-OS|10.1|end|TRAFFIC|1|cs4=trust cs5=untrust \
            cs4Label=Source Zone cs5Label=Destination Zone cs1Label=Rule cs1=r1 c6a2=2001:db8::1 \
            c6a2Label=Source IPv6 Address c6a3=fd00::1 dst=192.0.2.1 cn1=7 cn1Label=Count";
        let e = network(parse(msg));
        assert_eq!(
            (e.src_device_zone, e.dst_device_zone),
            (Some("trust"), Some("untrust"))
        );
        assert_eq!(e.rule, Some("r1"));
        assert_eq!(e.src_ip, Some("2001:db8::1"));
        // `dst` wins over `c6a3`, which is kept.
        assert_eq!(
            (e.dst_ip, extra(&e, "c6a3")),
            (Some("192.0.2.1"), Some("fd00::1"))
        );
        assert_eq!(extra(&e, "Count"), Some("7"));
        assert!(!e.extra.iter().any(|(k, _)| k.ends_with("Label")));
    }

    #[test]
    fn times() {
        let cases = [
            ("1700000000123", Some(1_700_000_000_123_000)),
            ("1700000000", Some(1_700_000_000_000_000)),
            ("2023-11-14T22:13:20.5Z", Some(1_700_000_000_500_000)),
            ("Nov 14 2023 22:13:20 UTC", Some(1_700_000_000_000_000)),
            ("Nov 15 2023 07:13:20.250 JST", Some(1_700_000_000_250_000)),
            ("Nov 14 2023 23:13:20 +01:00", Some(1_700_000_000_000_000)),
            ("Nov 14 2023 17:13:20 -0500", Some(1_700_000_000_000_000)),
            ("Nov 14 22:13:20", None),
            ("Nov 14 2023 22:13:20", None),
            ("Nov 14 2023 22:13:20 PST", None),
            ("Foo 14 2023 22:13:20 UTC", None),
        ];
        for (text, expected) in cases {
            assert_eq!(time(text), expected, "{text}");
        }
        let e = network(parse(
            "CEF:0|v|p|1|s|n|1|start=1700000000000 end=1700000090500 rt=Nov 14 22:13:20",
        ));
        assert_eq!(e.duration_ms, Some(90_500));
        assert_eq!((e.time, extra(&e, "rt")), (None, Some("Nov 14 22:13:20")));
    }

    #[test]
    fn the_marker_may_follow_a_prefix() {
        let e = network(parse(
            "Nov 16 21:24:18 arcsightfwd.example CEF: 0|pycef|python CEF tests|1|2|Test event 1|3| field1=value1",
        ));
        assert_eq!(extra(&e, "field1"), Some("value1"));
        // Without its marker, only when the source is known to be CEF.
        let bare = "0|Ubiquiti|UniFi Network|9.4.19|201|Threat|7|src=10.0.0.1";
        assert!(!looks_like(bare));
        assert_eq!(network(parse(bare)).src_ip, Some("10.0.0.1"));
        for msg in [
            "xCEF:0|a|b|c|d|e|f|",
            "CEF:x|a",
            "CEF:|a",
            "LEEF:1.0|a|b|c|d|",
            "id=1 CEF=2",
        ] {
            assert!(!looks_like(msg), "{msg}");
        }
    }

    #[test]
    fn rejects_with_reasons() {
        let cases = [
            (
                "nothing here",
                ParseError::Unrecognised {
                    format: NAME,
                    reason: "no CEF:Version| header",
                },
            ),
            ("CEF:0|v|p|1|s|n", missing("name")),
            ("CEF:0|v|p|1|s|n|1", missing("severity")),
            (r"CEF:0|v|p|1|s|n|1\|", missing("severity")),
            ("CEF:0|v|p|1|s|n|1|src=host", invalid("src")),
            ("CEF:0|v|p|1|s|n|1|dpt=65536", invalid("dpt")),
            ("CEF:0|v|p|1|s|n|1|in=-1", invalid("in")),
        ];
        for (msg, err) in cases {
            assert_eq!(parse(msg), Err(err), "{msg}");
        }
    }

    /// Escapes a value the way a CEF producer must.
    fn escape(value: &str) -> String {
        value
            .replace('\\', "\\\\")
            .replace('=', "\\=")
            .replace('\n', "\\n")
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC*") {
            let arena = Bump::new();
            let _ = looks_like(&s);
            let _ = parse(&s);
            let _ = parse_in(&s, &arena);
            // Unescaping never changes whether a line is accepted.
            let line = format!("CEF:0|a\\|b|p|1|s|n|1|{s}");
            prop_assert_eq!(parse(&line).is_ok(), parse_in(&line, &arena).is_ok());
        }

        #[test]
        fn extension_values_round_trip(
            pairs in proptest::collection::vec(
                ("k[a-z]{1,6}", "[a-zA-Z0-9 =\\\\\n:.|/-]{0,20}"),
                1..8,
            ),
        ) {
            // Values do not start or end with a space, as producers trim them.
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| (k, v.trim_matches(' ').to_owned()))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let extension: Vec<String> =
                pairs.iter().map(|(k, v)| format!("{k}={}", escape(v))).collect();
            let msg = format!("CEF:0|v|p|1|s|n|1|{}", extension.join(" "));
            let arena = Bump::new();
            let e = network(parse_in(&msg, &arena));
            let ours: Vec<(&str, &str)> = e
                .extra
                .iter()
                .copied()
                .filter(|(k, _)| k.starts_with('k'))
                .collect();
            let theirs: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assert_eq!(ours, theirs);
        }
    }
}
