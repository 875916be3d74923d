//! W3C extended log format and its extension ELFF: Microsoft IIS, ISA/TMG/Forefront,
//! Symantec (Blue Coat) ProxySG, and other proxies that write `#Fields:` headers.
//!
//! # What is accepted
//!
//! A stream of directive lines and data lines:
//!
//! ```text
//! #Software: SGOS 6.7.5.1
//! #Version: 1.0
//! #Date: 2026-11-20 00:00:00
//! #Fields: date time time-taken c-ip cs-username sc-filter-result cs-categories sc-status s-action cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs(User-Agent) s-ip sc-bytes cs-bytes
//! 2026-11-20 00:00:01 215 10.30.4.20 tanaka PROXIED "Technology/Internet" 200 TCP_NC_MISS GET http www.example.jp 80 /index.html ?lang=ja "Mozilla/5.0 (Windows NT 10.0)" 10.30.0.5 5120 412
//! ```
//!
//! The `#Fields:` directive declares the columns of the data lines that follow, and a
//! writer may declare a new layout at any point (IIS does at every restart), so the
//! layout is state of the source: [`W3cState`], which the line parser keeps per source.
//! A directive line updates the state and is answered with
//! `Err(Unrecognised { reason: "directive line, not an event" })`, so that it still lands
//! in the `unparsed` table as a record of its own; a data line before any `#Fields:` is
//! rejected with `"data line before any #Fields: directive"`.
//!
//! Data values are separated by runs of spaces or tabs. `-` is null. A value containing
//! spaces is quoted (ProxySG: `"Technology/Internet"`), and a quote inside it is written
//! twice, as the W3C draft specifies; the column gets the text between the quotes with
//! any doubled quote kept as written. IIS instead writes the spaces of header values as
//! `+` (`Mozilla/5.0+(Windows+NT+10.0)`); that is kept as logged too, so a search has to
//! use the `+` form. A data line must have exactly as many values as the layout has
//! columns; one that does not is rejected, because a shifted column would put, say, a
//! user name into `status`.
//!
//! # Mapping
//!
//! Field names are matched without regard to case.
//!
//! | column | W3C field |
//! |---|---|
//! | `time` | `date` + `time`, UTC as the W3C draft prescribes (IIS and ProxySG both write UTC there); a layout without `date` takes the day of the last `#Date:` directive, as the draft allows. An optional `.fraction` of the second is kept |
//! | `src_ip` | `c-ip` (an IPv6 zone index `%0` is dropped) |
//! | `user` | `cs-username` |
//! | `method` | `cs-method` |
//! | `url` | `cs-uri` when the layout has it; otherwise assembled from `cs-uri-scheme`, `cs-host`, `cs-uri-port`, `cs-uri-path`/`cs-uri-stem` and `cs-uri-query` as `scheme://host:port/path?query` (the port only when it is not the scheme's default; no `scheme://` without a scheme, as in IIS, whose `s-port` is the server's port and stays in `extra`). Assembling needs the per-line arena, see [`parse_in`] |
//! | `url_host` | `cs-host` (without a port), else the host of `cs-uri` |
//! | `url_path` | `cs-uri-stem` or `cs-uri-path`, else the path of `cs-uri` |
//! | `status` | `sc-status`; `0` is null |
//! | `bytes_in` / `bytes_out` | `sc-bytes` (sent to the client) / `cs-bytes` (sent by the client) |
//! | `duration_ms` | `time-taken`: an integer is milliseconds (IIS 6 and later, ProxySG, TMG), a decimal fraction is seconds (the W3C draft's unit, kept by older writers) |
//! | `user_agent` | `cs(User-Agent)`, or TMG's `c-agent` |
//! | `content_type` | `rs(Content-Type)` (ProxySG: the origin's reply), `sc(Content-Type)`, or TMG's `cs-mime-type` |
//! | `category` | `cs-categories` (ProxySG; several categories stay `;`-separated) |
//! | `cache_result` | `s-action` (ProxySG: `TCP_HIT`, `TCP_NC_MISS`, `TCP_TUNNELED`, `TCP_DENIED`, ...) |
//! | `action` | see below |
//! | `dst_ip` | the first of `r-ip` (the remote server: TMG, ProxySG), `s-supplier-ip` (ProxySG's upstream address) and `s-ip` that the layout has; `s-ip` only where it is the server that was asked, not when the `#Software:` directive before the `#Fields:` says `SGOS`, because ProxySG's `s-ip` is the appliance itself. A field not chosen stays in `extra` |
//! | `extra` | every other non-null value, under its field name as the header wrote it (`cs(Referer)`, `s-sitename`, `x-exception-id`, `x-virus-id`, ...), and `sc-filter-result` too, whose `PROXIED`/`OBSERVED` distinction the `action` column does not keep |
//!
//! `action` comes from `sc-filter-result` when the layout has it (`PROXIED` and
//! `OBSERVED` are `allow`, `DENIED` is `block`), else from `s-action` (`block` when it
//! says `DENIED`, otherwise `allow`). A denial with status `407` is the proxy asking for
//! credentials, the first step of every authenticated request rather than a policy
//! verdict, and stays null, as in the Squid parser. A web server's log (IIS) has neither
//! field and leaves `action` null.
//!
//! A `c-ip` or chosen `dst_ip` field whose value is not an IP address (a host name, or
//! text mangled by a copy-paste) goes to `extra` under its field name instead.
//!
//! # Performance
//!
//! The `#Fields:` line is analysed once into a vector of column kinds, so a data line is
//! mapped by index with a `match` on the kind and no string comparison per field. Values
//! are found with a byte loop (they are a few bytes long, too short for a vectorised
//! search to pay off) and borrowed from the line; numbers are parsed in place.
//! [`looks_like`] walks the same values once to count them and check the shapes of the
//! typed fields. A line allocates only the `extra` vector, sized once from the layout,
//! and the assembled URL, which goes into the arena.
//!
//! # Memory
//!
//! Field names of `extra` entries must outlive the line, but they are written only in
//! the `#Fields:` line: they are interned once per distinct name in a process-wide table
//! and leaked, which costs a few kilobytes for the names real writers use. The table is
//! bounded (4096 names of at most 256 bytes); past that bound, a new name is recorded as
//! `w3c-field`, so a stream of ever-new names cannot exhaust memory.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex, PoisonError};

use bumpalo::Bump;
use memchr::{memchr, memmem};

use super::combined::{
    civil_micros, clock, digits, fraction_micros, is_valid_date, seconds_ms, split_url, url_host,
};
use crate::error::ParseError;
use crate::event::{HttpEvent, Micros};

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "w3c";

/// The column layout declared by the last `#Fields:` directive of a source, and what the
/// other directives said that data lines need.
#[derive(Debug, Default)]
pub struct W3cState {
    /// One entry per field of the last `#Fields:` directive, in order.
    columns: Vec<Column>,
    /// How many fields may go to `extra`, to size it once per line.
    extra_capacity: usize,
    /// Whether the layout lacks `cs-uri`, so that the URL is assembled from its parts.
    assemble_url: bool,
    /// The day of the last `#Date:` directive, for layouts without a `date` field.
    directive_date: Option<(u64, u32, u32)>,
    /// Whether the last `#Software:` directive named ProxySG (`SGOS`), whose `s-ip` is
    /// the appliance rather than the server asked.
    proxysg: bool,
}

/// One field of the layout: what it maps to, and its name as the header wrote it.
#[derive(Debug, Clone, Copy)]
struct Column {
    kind: Kind,
    name: &'static str,
}

/// Where a field's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Time,
    ClientIp,
    User,
    Method,
    Uri,
    Scheme,
    Host,
    Port,
    Path,
    Query,
    Status,
    BytesToClient,
    BytesFromClient,
    TimeTaken,
    UserAgent,
    ContentType,
    FilterResult,
    Categories,
    ServerAction,
    DstIp,
    Extra,
}

/// The directives of the W3C draft and ProxySG (`#Remark:`); [`looks_like`] claims
/// comment lines only with one of these names.
const DIRECTIVES: [&str; 7] = [
    "Fields",
    "Software",
    "Version",
    "Date",
    "Remark",
    "Start-Date",
    "End-Date",
];

/// Whether `line` is a W3C directive, or a data line that fits the layout of the last
/// `#Fields:` directive: as many values as fields, and where the layout puts a date, a
/// time, an address or a number, a value of that shape (or `-`).
///
/// The shape checks keep a line of another format that happens to have as many words
/// from being claimed (`2024-12-15 14:10:00 Incoming Control Channel ...` has the word
/// count of IIS's default layout). A data line whose address field holds something else
/// is therefore left to the other formats in automatic detection, and ends in `unparsed`
/// unless the source's format is set to `w3c`.
pub fn looks_like(state: &W3cState, line: &str) -> bool {
    if let Some(directive) = line.strip_prefix('#') {
        return directive
            .split_once(':')
            .is_some_and(|(name, _)| DIRECTIVES.contains(&name));
    }
    if state.columns.is_empty() {
        return false;
    }
    let mut values = Values { rest: line };
    for column in &state.columns {
        let Some(Ok(value)) = values.next() else {
            return false;
        };
        let fits = value == "-"
            || match column.kind {
                Kind::Date => date(value).is_some(),
                Kind::Time => time_of_day(value).is_some(),
                Kind::ClientIp | Kind::DstIp => ip_shaped(value),
                Kind::Status | Kind::BytesToClient | Kind::BytesFromClient => {
                    digits(value).is_some()
                }
                Kind::TimeTaken => time_taken_ms(value).is_some(),
                _ => true,
            };
        if !fits {
            return false;
        }
    }
    values.next().is_none()
}

/// Parses a line, without an arena: as [`parse_in`], except that a URL which must be
/// assembled from several fields stays null (its parts go to `extra`), since there is
/// nowhere to put the joined text. A layout with `cs-uri`, or with only a path, loses
/// nothing.
///
/// # Errors
///
/// As [`parse_in`].
pub fn parse<'a>(state: &mut W3cState, line: &'a str) -> Result<HttpEvent<'a>, ParseError> {
    parse_line(state, line, None)
}

/// Parses a data line with the current layout into an HTTP event borrowing from the line
/// and `arena`; a directive line updates `state` instead.
///
/// # Errors
///
/// [`ParseError::Unrecognised`] for a directive line (`"directive line, not an event"`),
/// a data line before any `#Fields:`, a data line whose number of values differs from the
/// layout's, or an unterminated quoted value; [`ParseError::InvalidField`] naming the
/// first field (`date`, `time`, `sc-status`, `sc-bytes`, `cs-bytes`, `time-taken`) whose
/// value does not parse.
pub fn parse_in<'a>(
    state: &mut W3cState,
    line: &'a str,
    arena: &'a Bump,
) -> Result<HttpEvent<'a>, ParseError> {
    parse_line(state, line, Some(arena))
}

fn parse_line<'a>(
    state: &mut W3cState,
    line: &'a str,
    arena: Option<&'a Bump>,
) -> Result<HttpEvent<'a>, ParseError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if let Some(directive) = line.strip_prefix('#') {
        state.directive(directive);
        return Err(unrecognised("directive line, not an event"));
    }
    if state.columns.is_empty() {
        return Err(unrecognised("data line before any #Fields: directive"));
    }

    let mut e = HttpEvent {
        extra: Vec::with_capacity(state.extra_capacity),
        ..HttpEvent::default()
    };
    let mut parts = UrlParts::default();
    let (mut day, mut clock_time, mut filter_result) = (None, None, None);
    let mut values = Values { rest: line };
    for column in &state.columns {
        let value = match values.next() {
            Some(Ok(value)) => value,
            Some(Err(Unterminated)) => return Err(unrecognised("unterminated quoted value")),
            None => {
                return Err(unrecognised(
                    "fewer values than the #Fields: directive names",
                ));
            }
        };
        if value == "-" || value.is_empty() {
            continue;
        }
        match column.kind {
            Kind::Date => day = Some(date(value).ok_or(invalid("date"))?),
            Kind::Time => clock_time = Some(time_of_day(value).ok_or(invalid("time"))?),
            Kind::ClientIp => match ip(value) {
                Some(ip) => e.src_ip = Some(ip),
                None => e.extra.push((column.name, value)),
            },
            Kind::DstIp => match ip(value) {
                Some(ip) => e.dst_ip = Some(ip),
                None => e.extra.push((column.name, value)),
            },
            Kind::User => e.user = Some(value),
            Kind::Method => e.method = Some(value),
            Kind::Uri => e.url = Some(value),
            Kind::Scheme => parts.scheme = Some((column.name, value)),
            Kind::Host => {
                parts.host = Some(value);
                e.url_host = url_host(value);
            }
            Kind::Port => parts.port = Some((column.name, value)),
            Kind::Path => {
                parts.path = Some(value);
                e.url_path = Some(value);
            }
            Kind::Query => parts.query = Some((column.name, value)),
            Kind::Status => {
                e.status = match digits(value) {
                    Some(0) => None,
                    Some(n) => Some(u16::try_from(n).map_err(|_| invalid("sc-status"))?),
                    None => return Err(invalid("sc-status")),
                }
            }
            Kind::BytesToClient => e.bytes_in = Some(digits(value).ok_or(invalid("sc-bytes"))?),
            Kind::BytesFromClient => e.bytes_out = Some(digits(value).ok_or(invalid("cs-bytes"))?),
            Kind::TimeTaken => {
                e.duration_ms = Some(time_taken_ms(value).ok_or(invalid("time-taken"))?)
            }
            Kind::UserAgent => e.user_agent = Some(value),
            Kind::ContentType => e.content_type = Some(value),
            Kind::FilterResult => {
                filter_result = Some(value);
                e.extra.push((column.name, value));
            }
            Kind::Categories => e.category = Some(value),
            Kind::ServerAction => e.cache_result = Some(value),
            Kind::Extra => e.extra.push((column.name, value)),
        }
    }
    if values.next().is_some() {
        return Err(unrecognised(
            "more values than the #Fields: directive names",
        ));
    }

    if let (Some((year, month, d)), Some((secs, micros))) =
        (day.or(state.directive_date), clock_time)
    {
        e.time = Some(civil_micros(year, month, d, secs, micros));
    }
    match e.url {
        Some(url) if e.url_host.is_none() || e.url_path.is_none() => {
            let (host, path) = split_url(e.method, url);
            e.url_host = e.url_host.or(host);
            e.url_path = e.url_path.or(path);
        }
        Some(_) => {}
        None if state.assemble_url => e.url = parts.assemble(arena, &mut e.extra),
        None => {}
    }
    e.action = verdict(filter_result, e.cache_result, e.status);
    Ok(e)
}

/// The verdict of `sc-filter-result`, else of `s-action`, as in the module documentation.
fn verdict(
    filter_result: Option<&str>,
    server_action: Option<&str>,
    status: Option<u16>,
) -> Option<&'static str> {
    let denied = match filter_result {
        Some(r) if r.eq_ignore_ascii_case("DENIED") => true,
        Some(r) if r.eq_ignore_ascii_case("PROXIED") || r.eq_ignore_ascii_case("OBSERVED") => false,
        _ => memmem::find(server_action?.as_bytes(), b"DENIED").is_some(),
    };
    match (denied, status) {
        (true, Some(407)) => None,
        (true, _) => Some("block"),
        (false, _) => Some("allow"),
    }
}

/// The pieces of a URL that ProxySG-style layouts log in separate fields.
#[derive(Default)]
struct UrlParts<'a> {
    scheme: Option<(&'static str, &'a str)>,
    host: Option<&'a str>,
    port: Option<(&'static str, &'a str)>,
    path: Option<&'a str>,
    query: Option<(&'static str, &'a str)>,
}

impl<'a> UrlParts<'a> {
    /// `scheme://host:port/path?query` with the parts that are present, written into the
    /// arena; a bare path needs no copy. Parts that cannot be placed (a scheme or port
    /// without a host, a query without host or path), and every part when there is no
    /// arena, go to `extra` instead, so that nothing is lost.
    fn assemble(
        self,
        arena: Option<&'a Bump>,
        extra: &mut Vec<(&'a str, &'a str)>,
    ) -> Option<&'a str> {
        let (scheme, port) = match self.host {
            Some(_) => (self.scheme, self.port),
            None => {
                extra.extend([self.scheme, self.port].into_iter().flatten());
                (None, None)
            }
        };
        if self.host.is_none() && (self.path.is_none() || self.query.is_none()) {
            extra.extend(self.query);
            return self.path;
        }
        let Some(arena) = arena else {
            extra.extend([scheme, port, self.query].into_iter().flatten());
            return None;
        };
        let (scheme, separator) = match scheme {
            Some((_, scheme)) => (scheme, "://"),
            None => ("", ""),
        };
        let (colon, port) = match port {
            Some((_, port)) if !is_default_port(scheme, port) => (":", port),
            _ => ("", ""),
        };
        let (question, query) = match self.query {
            Some((_, query)) if query.starts_with('?') => ("", query),
            Some((_, query)) => ("?", query),
            None => ("", ""),
        };
        let (host, path) = (self.host.unwrap_or_default(), self.path.unwrap_or_default());
        // A path logged without its leading `/` would otherwise run into the host or
        // port (`host:8080index.html`) and name another resource.
        let slash = if !host.is_empty() && !path.is_empty() && !path.starts_with('/') {
            "/"
        } else {
            ""
        };
        concat(
            arena,
            &[
                scheme, separator, host, colon, port, slash, path, question, query,
            ],
        )
    }
}

fn is_default_port(scheme: &str, port: &str) -> bool {
    (scheme.eq_ignore_ascii_case("http") && port == "80")
        || (scheme.eq_ignore_ascii_case("https") && port == "443")
}

/// The concatenation of `parts`, in the arena.
fn concat<'a>(arena: &'a Bump, parts: &[&str]) -> Option<&'a str> {
    let len = parts.iter().map(|p| p.len()).sum();
    let buf = arena.alloc_slice_fill_copy(len, 0u8);
    let mut at = 0;
    for part in parts {
        buf[at..at + part.len()].copy_from_slice(part.as_bytes());
        at += part.len();
    }
    // Joined UTF-8 strings are UTF-8, so this never fails.
    std::str::from_utf8(buf).ok()
}

impl W3cState {
    /// Applies a directive line (without its `#`).
    fn directive(&mut self, text: &str) {
        let Some((name, value)) = text.split_once(':') else {
            return;
        };
        let value = value.trim_matches([' ', '\t']);
        match name {
            "Fields" => self.set_fields(value),
            "Date" => self.directive_date = value.get(..10).and_then(date),
            "Software" => self.proxysg = value.starts_with("SGOS"),
            _ => {}
        }
    }

    /// Analyses a `#Fields:` list into column kinds, once for all the lines that follow.
    fn set_fields(&mut self, fields: &str) {
        let lower: Vec<String> = fields
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let has = |name: &str| lower.iter().any(|f| f == name);
        self.assemble_url = !has("cs-uri");
        let dst = ["r-ip", "s-supplier-ip", "s-ip"]
            .into_iter()
            .find(|&f| has(f) && !(f == "s-ip" && self.proxysg));
        self.columns.clear();
        for (name, lower) in fields.split_ascii_whitespace().zip(&lower) {
            let kind = match lower.as_str() {
                "date" => Kind::Date,
                "time" => Kind::Time,
                "c-ip" => Kind::ClientIp,
                "cs-username" => Kind::User,
                "cs-method" => Kind::Method,
                "cs-uri" => Kind::Uri,
                "cs-uri-scheme" if self.assemble_url => Kind::Scheme,
                "cs-host" => Kind::Host,
                "cs-uri-port" if self.assemble_url => Kind::Port,
                "cs-uri-stem" | "cs-uri-path" => Kind::Path,
                "cs-uri-query" if self.assemble_url => Kind::Query,
                "sc-status" => Kind::Status,
                "sc-bytes" => Kind::BytesToClient,
                "cs-bytes" => Kind::BytesFromClient,
                "time-taken" => Kind::TimeTaken,
                "cs(user-agent)" | "c-agent" => Kind::UserAgent,
                "rs(content-type)" | "sc(content-type)" | "cs-mime-type" => Kind::ContentType,
                "sc-filter-result" => Kind::FilterResult,
                "cs-categories" => Kind::Categories,
                "s-action" => Kind::ServerAction,
                f if Some(f) == dst => Kind::DstIp,
                _ => Kind::Extra,
            };
            self.columns.push(Column {
                kind,
                name: intern(name),
            });
        }
        // Extra fields, the filter result, and the URL parts and addresses that may
        // fall back to `extra`.
        self.extra_capacity = self
            .columns
            .iter()
            .filter(|c| {
                !matches!(
                    c.kind,
                    Kind::Date
                        | Kind::Time
                        | Kind::User
                        | Kind::Method
                        | Kind::Uri
                        | Kind::Host
                        | Kind::Path
                        | Kind::Status
                        | Kind::BytesToClient
                        | Kind::BytesFromClient
                        | Kind::TimeTaken
                        | Kind::UserAgent
                        | Kind::ContentType
                        | Kind::Categories
                        | Kind::ServerAction
                )
            })
            .count();
    }
}

/// The values of a data line: runs of spaces or tabs separate them, and a quoted value
/// (`"a b"`, with `""` for a quote inside) is returned without its quotes.
struct Values<'a> {
    rest: &'a str,
}

/// A quoted value without its closing quote.
struct Unterminated;

impl<'a> Iterator for Values<'a> {
    type Item = Result<&'a str, Unterminated>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest.as_bytes();
        let start = b.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        let rest = &self.rest[start..];
        let b = &b[start..];
        match b.first() {
            None => {
                self.rest = rest;
                None
            }
            Some(b'"') => {
                let mut from = 1;
                loop {
                    let Some(at) = memchr(b'"', &b[from..]).map(|i| from + i) else {
                        self.rest = "";
                        return Some(Err(Unterminated));
                    };
                    if b.get(at + 1) == Some(&b'"') {
                        from = at + 2;
                        continue;
                    }
                    self.rest = &rest[at + 1..];
                    return Some(Ok(&rest[1..at]));
                }
            }
            Some(_) => {
                // Values are short: a plain loop beats a vectorised search here.
                let end = b
                    .iter()
                    .position(|&c| c == b' ' || c == b'\t')
                    .unwrap_or(b.len());
                self.rest = &rest[end..];
                Some(Ok(&rest[..end]))
            }
        }
    }
}

/// `yyyy-mm-dd` as a valid date.
fn date(value: &str) -> Option<(u64, u32, u32)> {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&value[..4])?;
    let month = u32::try_from(digits(&value[5..7])?).ok()?;
    let day = u32::try_from(digits(&value[8..])?).ok()?;
    is_valid_date(year, month, day).then_some((year, month, day))
}

/// `hh:mm:ss[.fraction]` as seconds of the day and microseconds.
fn time_of_day(value: &str) -> Option<(i64, Micros)> {
    let (secs, rest) = clock(value)?;
    let micros = match rest.strip_prefix('.') {
        Some(frac) => fraction_micros(frac)?,
        None if rest.is_empty() => 0,
        None => return None,
    };
    Some((secs, micros))
}

/// `time-taken` as milliseconds: an integer is milliseconds, a decimal fraction seconds.
fn time_taken_ms(value: &str) -> Option<u64> {
    match value.split_once('.') {
        Some((secs, frac)) => seconds_ms(secs, frac),
        None => digits(value),
    }
}

/// Whether a value has the characters of an IP address, before any `%zone`: a cheap
/// test for [`looks_like`], which [`ip`] confirms when parsing.
fn ip_shaped(value: &str) -> bool {
    let addr = value.split('%').next().unwrap_or_default();
    !addr.is_empty()
        && addr
            .bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b'.' || c == b':')
}

/// The address of an IP field, without an IPv6 zone index, if it is one.
fn ip(value: &str) -> Option<&str> {
    let addr = value.split_once('%').map_or(value, |(addr, _)| addr);
    addr.parse::<IpAddr>().is_ok().then_some(addr)
}

/// The name an `extra` entry gets once the interning table is full.
const OVERFLOW_NAME: &str = "w3c-field";
const MAX_NAMES: usize = 4096;
const MAX_NAME_LEN: usize = 256;

/// A `'static` copy of a field name, shared by every source that uses it.
fn intern(name: &str) -> &'static str {
    static NAMES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);
    // A poisoned lock only means another thread panicked while holding it; the set of
    // leaked names is still valid.
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = names.get(name) {
        return known;
    }
    if names.len() >= MAX_NAMES || name.len() > MAX_NAME_LEN {
        return OVERFLOW_NAME;
    }
    let leaked: &'static str = Box::leak(name.into());
    names.insert(leaked);
    leaked
}

fn unrecognised(reason: &'static str) -> ParseError {
    ParseError::Unrecognised {
        format: NAME,
        reason,
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

    /// A ProxySG `main` layout, written from Symantec's "ProxySG Log Formats" reference
    /// (the `main` ELFF format's field list), with sanso's own values.
    const SG_FIELDS: &str = "#Fields: date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id";
    const SG_GET: &str = "2026-11-20 00:00:01 215 10.30.4.20 tanaka - - PROXIED \"Technology/Internet\" - 200 TCP_NC_MISS GET text/html http www.example.jp 80 /index.html ?lang=ja html \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\" 10.30.0.5 5120 412 -";

    /// 2026-11-20T00:00:01Z.
    const NOV_20: Micros = 1_795_132_801_000_000;

    fn state_with(directives: &[&str]) -> W3cState {
        let mut state = W3cState::default();
        for d in directives {
            assert_eq!(
                parse(&mut state, d),
                Err(unrecognised("directive line, not an event"))
            );
        }
        state
    }

    #[test]
    fn proxysg_line_field_by_field() {
        let arena = Bump::new();
        let mut state = state_with(&["#Software: SGOS 6.7.5.1", SG_FIELDS]);
        assert!(looks_like(&state, SG_GET));
        assert_eq!(
            parse_in(&mut state, SG_GET, &arena).unwrap(),
            HttpEvent {
                time: Some(NOV_20),
                src_ip: Some("10.30.4.20"),
                user: Some("tanaka"),
                method: Some("GET"),
                url: Some("http://www.example.jp/index.html?lang=ja"),
                url_host: Some("www.example.jp"),
                url_path: Some("/index.html"),
                status: Some(200),
                bytes_in: Some(5120),
                bytes_out: Some(412),
                content_type: Some("text/html"),
                user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                category: Some("Technology/Internet"),
                action: Some("allow"),
                duration_ms: Some(215),
                cache_result: Some("TCP_NC_MISS"),
                // ProxySG's s-ip is the appliance: not the destination.
                extra: vec![
                    ("sc-filter-result", "PROXIED"),
                    ("cs-uri-extension", "html"),
                    ("s-ip", "10.30.0.5"),
                ],
                ..HttpEvent::default()
            }
        );
        // Without an arena the URL cannot be joined: its parts are kept instead.
        let e = parse(&mut state, SG_GET).unwrap();
        assert_eq!(e.url, None);
        assert_eq!(
            &e.extra[3..],
            [
                ("cs-uri-scheme", "http"),
                ("cs-uri-port", "80"),
                ("cs-uri-query", "?lang=ja")
            ]
        );
    }

    #[test]
    fn verdicts() {
        let cases = [
            (
                Some("PROXIED"),
                Some("TCP_DENIED"),
                Some(200),
                Some("allow"),
            ),
            (Some("OBSERVED"), None, Some(200), Some("allow")),
            (Some("DENIED"), Some("TCP_HIT"), Some(403), Some("block")),
            (Some("DENIED"), Some("TCP_DENIED"), Some(407), None),
            (None, Some("TCP_DENIED"), Some(403), Some("block")),
            (None, Some("TCP_DENIED"), Some(407), None),
            (None, Some("TCP_TUNNELED"), Some(200), Some("allow")),
            (Some("weird"), Some("TCP_MISS"), None, Some("allow")),
            (None, None, Some(200), None),
        ];
        for (filter, server_action, status, action) in cases {
            assert_eq!(
                verdict(filter, server_action, status),
                action,
                "{filter:?} {server_action:?} {status:?}"
            );
        }
    }

    #[test]
    fn a_new_fields_directive_remaps_the_lines_after_it() {
        let mut state = state_with(&["#Fields: c-ip sc-status"]);
        assert_eq!(parse(&mut state, "10.0.0.1 200").unwrap().status, Some(200));
        let _ = parse(&mut state, "#Fields: sc-status c-ip");
        let e = parse(&mut state, "404 10.0.0.2").unwrap();
        assert_eq!((e.src_ip, e.status), (Some("10.0.0.2"), Some(404)));
        assert_eq!(parse(&mut state, "10.0.0.1 200"), Err(invalid("sc-status")));
    }

    #[test]
    fn date_from_the_date_directive() {
        let mut state = state_with(&["#Date: 2026-11-20 00:00:00", "#Fields: time c-ip"]);
        assert_eq!(
            parse(&mut state, "00:00:01.5 10.0.0.1").unwrap().time,
            Some(NOV_20 + 500_000)
        );
        let mut state = state_with(&["#Fields: time c-ip"]);
        assert_eq!(parse(&mut state, "00:00:01 10.0.0.1").unwrap().time, None);
    }

    #[test]
    fn quoting_and_nulls() {
        let mut state = state_with(&["#Fields: cs-categories cs(User-Agent) cs-username x-note"]);
        let e = parse(&mut state, "\"a; b\"\t\"say \"\"hi\"\"\"  - \"\"").unwrap();
        assert_eq!(
            (e.category, e.user_agent, e.user),
            (Some("a; b"), Some("say \"\"hi\"\""), None)
        );
        assert!(e.extra.is_empty());
        assert_eq!(
            parse(&mut state, "a b c \"d"),
            Err(unrecognised("unterminated quoted value"))
        );
        assert_eq!(
            parse(&mut state, "a b c"),
            Err(unrecognised(
                "fewer values than the #Fields: directive names"
            ))
        );
        assert_eq!(
            parse(&mut state, "a b c d e"),
            Err(unrecognised(
                "more values than the #Fields: directive names"
            ))
        );
    }

    #[test]
    fn destinations_and_addresses() {
        // TMG: r-ip is the remote server; s-ip is then left in extra.
        let mut state = state_with(&["#Fields: c-ip s-ip r-ip cs-uri"]);
        let e = parse(
            &mut state,
            "::1%0 10.0.0.5 203.0.113.7 http://a.example/x?y",
        )
        .unwrap();
        assert_eq!((e.src_ip, e.dst_ip), (Some("::1"), Some("203.0.113.7")));
        assert_eq!(
            (e.url, e.url_host, e.url_path),
            (Some("http://a.example/x?y"), Some("a.example"), Some("/x"))
        );
        assert_eq!(e.extra, [("s-ip", "10.0.0.5")]);
        // IIS: s-ip is the web server that was asked.
        let mut state = state_with(&[
            "#Software: Microsoft Internet Information Services 10.0",
            "#Fields: c-ip s-ip",
        ]);
        let e = parse(&mut state, "[10.0.0.1](http://10.0.0.1) 10.0.0.5").unwrap();
        assert_eq!((e.src_ip, e.dst_ip), (None, Some("10.0.0.5")));
        assert_eq!(e.extra, [("c-ip", "[10.0.0.1](http://10.0.0.1)")]);
    }

    #[test]
    fn url_assembly() {
        let arena = Bump::new();
        let fields =
            "#Fields: cs-method cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query";
        let mut state = state_with(&[fields]);
        let mut url = |line: &'static str| {
            parse_in(&mut state, line, &arena).map(|e| (e.url, e.url_host, e.url_path))
        };
        assert_eq!(
            url("GET https h.example 443 /a q=1"),
            Ok((
                Some("https://h.example/a?q=1"),
                Some("h.example"),
                Some("/a")
            ))
        );
        assert_eq!(
            url("CONNECT tcp h.example 443 / -"),
            Ok((Some("tcp://h.example:443/"), Some("h.example"), Some("/")))
        );
        assert_eq!(
            url("GET - h.example 8080 /a -"),
            Ok((Some("h.example:8080/a"), Some("h.example"), Some("/a")))
        );
        // Found by fuzzing: a path without its `/` must not run into the port.
        assert_eq!(
            url("GET - h.example 8080 index.html -"),
            Ok((
                Some("h.example:8080/index.html"),
                Some("h.example"),
                Some("index.html")
            ))
        );
        assert_eq!(url("GET - - - /a ?b"), Ok((Some("/a?b"), None, Some("/a"))));
        assert_eq!(url("GET - - - /a -"), Ok((Some("/a"), None, Some("/a"))));
        assert_eq!(url("GET - - - - -"), Ok((None, None, None)));
        let e = parse_in(&mut state, "GET https - 443 - ?q", &arena).unwrap();
        assert_eq!(e.url, None);
        assert_eq!(
            e.extra,
            [
                ("cs-uri-scheme", "https"),
                ("cs-uri-port", "443"),
                ("cs-uri-query", "?q")
            ]
        );
    }

    #[test]
    fn rejects_with_reasons() {
        let mut state = W3cState::default();
        assert_eq!(
            parse(&mut state, "2026-11-20 00:00:01 1.2.3.4"),
            Err(unrecognised("data line before any #Fields: directive"))
        );
        let mut state = state_with(&["#Fields: date time sc-status sc-bytes cs-bytes time-taken"]);
        let cases = [
            ("2026-02-30 00:00:01 200 1 1 1", invalid("date")),
            ("2026-11-20 24:00:01 200 1 1 1", invalid("time")),
            ("2026-11-20 00:00:01x 200 1 1 1", invalid("time")),
            ("2026-11-20 00:00:01 2OO 1 1 1", invalid("sc-status")),
            ("2026-11-20 00:00:01 99999 1 1 1", invalid("sc-status")),
            ("2026-11-20 00:00:01 200 -1 1 1", invalid("sc-bytes")),
            ("2026-11-20 00:00:01 200 1 x 1", invalid("cs-bytes")),
            ("2026-11-20 00:00:01 200 1 1 1.x", invalid("time-taken")),
        ];
        for (line, err) in cases {
            assert_eq!(parse(&mut state, line), Err(err), "{line}");
        }
        let e = parse(&mut state, "2026-11-20 00:00:01 0 0 0 1.2345").unwrap();
        assert_eq!(
            (e.status, e.bytes_in, e.duration_ms),
            (None, Some(0), Some(1234))
        );
    }

    #[test]
    fn looks_like_shape() {
        let state = state_with(&["#Fields: date time c-ip"]);
        for directive in [
            "#Software: SGOS",
            "#Fields: date",
            "#Remark: x",
            "#End-Date: 2026-11-20 00:00:00",
        ] {
            assert!(looks_like(&W3cState::default(), directive), "{directive}");
        }
        assert!(!looks_like(&state, "# a comment"));
        assert!(!looks_like(&state, "#Fieldz: date"));
        assert!(looks_like(&state, "2026-11-20 00:00:01 10.0.0.1"));
        assert!(looks_like(&state, "- - 10.0.0.1"));
        assert!(!looks_like(&state, "2026-11-20 00:00:01 10.0.0.1 x"));
        assert!(!looks_like(&state, "Nov 20 00:00:01 10.0.0.1"));
        assert!(!looks_like(&state, "2026-11-20 0:00:01 10.0.0.1"));
        assert!(!looks_like(&state, "2026-11-20 00:00:01 Incoming"));
        let typed = state_with(&["#Fields: c-ip sc-status sc-bytes time-taken"]);
        assert!(looks_like(&typed, "2001:db8::1%eth0 200 - 1.5"));
        assert!(!looks_like(&typed, "10.0.0.1 OK 1 1"));
        assert!(!looks_like(&typed, "10.0.0.1 200 1k 1"));
        assert!(!looks_like(&typed, "10.0.0.1 200 1 fast"));
        assert!(!looks_like(
            &W3cState::default(),
            "2026-11-20 00:00:01 10.0.0.1"
        ));
        assert!(!looks_like(&state_with(&["#Fields:"]), ""));
    }

    #[test]
    fn names_are_interned_once() {
        assert!(std::ptr::eq(intern("x-test-name"), intern("x-test-name")));
        assert_eq!(intern(&"n".repeat(MAX_NAME_LEN + 1)), OVERFLOW_NAME);
    }

    proptest! {
        #[test]
        fn never_panics_and_borrows_from_the_line(
            fields in proptest::collection::vec("[a-z()-]{1,12}", 0..8),
            lines in proptest::collection::vec("\\PC*", 0..6),
        ) {
            let arena = Bump::new();
            let mut state = W3cState::default();
            let _ = parse(&mut state, &format!("#Fields: {}", fields.join(" ")));
            for line in &lines {
                let _ = looks_like(&state, line);
                if let Ok(e) = parse_in(&mut state, line, &arena) {
                    let url = e.url;
                    for value in [e.src_ip, e.user, e.method, e.url_host, e.url_path, e.user_agent,
                        e.content_type, e.category, e.dst_ip, e.cache_result]
                        .into_iter()
                        .flatten()
                        .chain(e.extra.iter().map(|(_, v)| *v))
                    {
                        prop_assert!(line.contains(value));
                    }
                    // An assembled URL is made of the line's values and separators.
                    if let Some(url) = url {
                        prop_assert!(url.split(['/', ':', '?']).all(|piece| line.contains(piece)));
                    }
                }
            }
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let arena = Bump::new();
            let text = String::from_utf8_lossy(&b);
            let mut state = W3cState::default();
            for line in text.split(['\n', '\r']) {
                let _ = looks_like(&state, line);
                let _ = parse_in(&mut state, line, &arena);
            }
        }

        #[test]
        fn known_layouts_map_by_index(
            values in proptest::collection::vec("[!-~&&[^\"#]]{1,10}", 6),
        ) {
            // Any six unquoted values fit a six-field layout; a field maps to its column
            // or to extra, never elsewhere.
            let mut state = state_with(&["#Fields: cs-username cs-method x-a cs(User-Agent) x-b cs-categories"]);
            let line = values.join(" ");
            let e = parse(&mut state, &line).unwrap();
            fn non_null(v: &str) -> Option<&str> {
                (v != "-").then_some(v)
            }
            prop_assert_eq!(e.user, non_null(&values[0]));
            prop_assert_eq!(e.method, non_null(&values[1]));
            prop_assert_eq!(e.user_agent, non_null(&values[3]));
            prop_assert_eq!(e.category, non_null(&values[5]));
            let extra: Vec<_> = [("x-a", &values[2]), ("x-b", &values[4])]
                .into_iter()
                .filter_map(|(k, v)| non_null(v).map(|v| (k, v)))
                .collect();
            prop_assert_eq!(e.extra, extra);
        }
    }
}
