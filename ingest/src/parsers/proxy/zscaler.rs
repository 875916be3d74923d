//! Zscaler Internet Access web logs, as NSS feeds send them in JSON.
//!
//! # What is accepted
//!
//! One JSON object per line, either wrapped the way Zscaler's Splunk feed template
//! writes it or flat:
//!
//! ```text
//! {"sourcetype":"zscalernss-web","event":{"datetime":"Mon Jun 20 15:29:11 2022","action":"Blocked","ClientIP":"172.17.3.49","url":"ebay.com/",...}}
//! {"datetime":"Mon Jun 20 15:29:11 2022","action":"Blocked","ClientIP":"172.17.3.49","url":"ebay.com/",...}
//! ```
//!
//! The feed output format is written by the administrator, so the keys are whatever the
//! template names them. Recognised are the keys of Zscaler's JSON template for Splunk
//! (`datetime`, `ClientIP`, `requestmethod`, ...) and, as aliases, the NSS variable names
//! they stand for in "NSS Feed Output Format: Web Logs" (`cip`, `reqmethod`, `respcode`,
//! ...), except `host`, which is also a key of a Splunk HEC envelope (the sender), and
//! `time` when it is a number (HEC's epoch time, kept in `extra`) rather than text. A
//! number may arrive as a JSON number or as a string (the Splunk template quotes
//! `"%d{...}"` fields). Other feed types (`zscalernss-fw`, `zscalernss-dns`, ...) are
//! rejected with the reason, as is an object with none of the web fields (`url`,
//! `requestmethod`, `urlcategory` or their aliases).
//!
//! # Mapping
//!
//! | column | key (alias) |
//! |---|---|
//! | `time` | `epochtime` (seconds since the epoch, UTC); else `datetime` (or text `time`: `%s{time}`, `Mon Jun 20 15:29:11 2022`, or `2022-06-20 15:29:11`) read in the zone of a `tz` key (`GMT`, `UTC`, `GMT+09:00`, or an IANA name such as `Asia/Tokyo`). NSS writes `%s{time}` without a zone, in the zone chosen when the feed was configured, so without `tz` or `epochtime` in the template the time is left to the syslog header or the time of receipt, and `datetime` stays in `extra`; add `"epochtime":%d{epochtime}` to the template to get the event time |
//! | `src_ip` | `ClientIP` (`cip`) |
//! | `user` | `user` (`login`) |
//! | `method` | `requestmethod` (`reqmethod`) |
//! | `url` | `url` (`eurl`), as NSS writes it: usually without the scheme (`ebay.com/`) |
//! | `url_host` | `hostname` (`ehost`), else the host of the URL |
//! | `url_path` | the path of the URL, without query |
//! | `status` | `status` (`respcode`); `0` is null |
//! | `bytes_in` / `bytes_out` | `responsesize` (`respsize`) / `requestsize` (`reqsize`): the whole response and request, headers included |
//! | `content_type` | `contenttype` |
//! | `user_agent` | `useragent` (`ua`, `eua`) |
//! | `category` | `urlcategory` (`urlcat`); the super-category and class stay in `extra` |
//! | `action` | `action`: `Allowed` is `allow`, `Blocked` is `block` |
//! | `duration_ms` | `clienttranstime` (`ctime`), the client-side transaction time in milliseconds; the server round trip (`servertranstime`) stays in `extra` |
//! | `dst_ip` | `serverip` (`sip`) |
//! | `extra` | every other key with its value as text: integers as written, other numbers in Rust's shortest round-trip form (`1.50` becomes `1.5`), `true`/`false`, nested objects and arrays as compact JSON |
//!
//! NSS writes `None`, `NA` and `N/A` where a field has no value (`"threatname":"None"`);
//! those, the empty string and JSON `null` are null and are not kept in `extra`. A value
//! that does not fit its column (an `action` other than the two above, a status that is
//! not a number, a client address that is not an IP address) goes to `extra` under its
//! key instead, and so does a second key for a column already filled.
//!
//! # Performance
//!
//! The object is read with `serde_json` in one pass by hand-written visitors rather than a
//! derived struct: keys and values are borrowed `&str` slices of the line, only strings
//! with escapes are unescaped into the per-line arena (`alloc_str`), and each key is
//! matched as it arrives, so no intermediate map or `String` is built. A derived struct
//! would need `#[serde(flatten)]` to keep the unknown keys, which buffers every value and
//! cannot borrow escaped strings, and typed fields would reject numbers sent as strings.
//! Numbers kept in `extra` are rendered into the arena; only floats, which NSS web feeds
//! do not send, go through a temporary `String`. [`looks_like`] is a prefix check and
//! two `memmem` searches with finders built once.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::LazyLock;

use bumpalo::Bump;
use chrono::{NaiveDate, TimeZone};
use memchr::memmem::{self, Finder};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::combined::{
    civil_micros, clock, digits, is_valid_date, month, split_authority_path, split_url,
};
use crate::error::ParseError;
use crate::event::{HttpEvent, Micros};

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "zscaler";

static NSS_SOURCETYPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"zscalernss-"));
static ZSCALER_VALUE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"Zscaler\""));

/// Cheap check that `msg` is a JSON object from an NSS feed: it starts with `{` and
/// names a `zscalernss-` source type or the vendor `"Zscaler"`.
pub fn looks_like(msg: &str) -> bool {
    let b = msg.trim_start().as_bytes();
    b.first() == Some(&b'{')
        && (NSS_SOURCETYPE.find(b).is_some() || ZSCALER_VALUE.find(b).is_some())
}

/// Parses an NSS web log object into an HTTP event borrowing from `msg` and `arena`.
///
/// # Errors
///
/// [`ParseError::Unrecognised`] when the line is not valid JSON, is not an object (or
/// has an `event` that is not one), comes from another NSS feed type, or has none of the
/// web log fields.
pub fn parse<'a>(msg: &'a str, arena: &'a Bump) -> Result<HttpEvent<'a>, ParseError> {
    let mut fields = Fields::new(arena);
    let mut de = serde_json::Deserializer::from_str(msg);
    Object {
        fields: &mut fields,
        top: true,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|err| match err.classify() {
        serde_json::error::Category::Data => unrecognised("not a JSON object of fields"),
        _ => unrecognised("invalid JSON"),
    })?;
    fields.finish()
}

/// A JSON value as the visitors see it, before it is placed.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Str(&'a str),
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// A nested object or array, rendered as compact JSON.
    Json(&'a str),
}

/// The event being filled, and the values that are decided only at the end.
struct Fields<'a> {
    arena: &'a Bump,
    e: HttpEvent<'a>,
    /// `datetime`, and where it was pushed into `extra`, to take it out again when it
    /// gives the event time.
    datetime: Option<(usize, &'a str)>,
    epoch_seconds: Option<u64>,
    tz: Option<&'a str>,
    sourcetype: Option<&'a str>,
    /// Whether a web log field (URL, method or category) was seen.
    web: bool,
}

impl<'a> Fields<'a> {
    fn new(arena: &'a Bump) -> Self {
        Fields {
            arena,
            e: HttpEvent {
                extra: Vec::with_capacity(32),
                ..HttpEvent::default()
            },
            datetime: None,
            epoch_seconds: None,
            tz: None,
            sourcetype: None,
            web: false,
        }
    }

    /// Places one key and value, as in the module documentation.
    fn field(&mut self, key: &'a str, value: Value<'a>) {
        match value {
            Value::Null | Value::Str("" | "None" | "NA" | "N/A") => return,
            _ => {}
        }
        match key {
            "datetime" | "time"
                if self.datetime.is_none()
                    && (key == "datetime" || matches!(value, Value::Str(_))) =>
            {
                let text = self.text(value);
                self.datetime = Some((self.e.extra.len(), text));
                self.e.extra.push((key, text));
            }
            "epochtime" if self.epoch_seconds.is_none() => match number(value) {
                Some(secs) if secs <= MAX_EPOCH_SECONDS => self.epoch_seconds = Some(secs),
                _ => self.push_extra(key, value),
            },
            "tz" => {
                self.tz = Some(self.text(value));
                self.push_extra(key, value);
            }
            "sourcetype" => {
                self.sourcetype = Some(self.text(value));
                self.push_extra(key, value);
            }
            "ClientIP" | "cip" => match value {
                Value::Str(ip) if self.e.src_ip.is_none() && ip.parse::<IpAddr>().is_ok() => {
                    self.e.src_ip = Some(ip)
                }
                _ => self.push_extra(key, value),
            },
            "serverip" | "sip" => match value {
                Value::Str(ip) if self.e.dst_ip.is_none() && ip.parse::<IpAddr>().is_ok() => {
                    self.e.dst_ip = Some(ip)
                }
                _ => self.push_extra(key, value),
            },
            "user" | "login" => self.set_text(Column::User, key, value),
            "requestmethod" | "reqmethod" => {
                self.web = true;
                self.set_text(Column::Method, key, value);
            }
            "url" | "eurl" => {
                self.web = true;
                self.set_text(Column::Url, key, value);
            }
            "hostname" | "ehost" => self.set_text(Column::UrlHost, key, value),
            "contenttype" => self.set_text(Column::ContentType, key, value),
            "useragent" | "ua" | "eua" => self.set_text(Column::UserAgent, key, value),
            "urlcategory" | "urlcat" => {
                self.web = true;
                self.set_text(Column::Category, key, value);
            }
            "status" | "respcode" => match number(value) {
                Some(0) if self.e.status.is_none() => {}
                Some(n) if self.e.status.is_none() && n <= u64::from(u16::MAX) => {
                    self.e.status = u16::try_from(n).ok();
                }
                _ => self.push_extra(key, value),
            },
            "responsesize" | "respsize" => match number(value) {
                Some(n) if self.e.bytes_in.is_none() => self.e.bytes_in = Some(n),
                _ => self.push_extra(key, value),
            },
            "requestsize" | "reqsize" => match number(value) {
                Some(n) if self.e.bytes_out.is_none() => self.e.bytes_out = Some(n),
                _ => self.push_extra(key, value),
            },
            "clienttranstime" | "ctime" => match number(value) {
                Some(n) if self.e.duration_ms.is_none() => self.e.duration_ms = Some(n),
                _ => self.push_extra(key, value),
            },
            "action" => match value {
                Value::Str(a) if self.e.action.is_none() && a.eq_ignore_ascii_case("Allowed") => {
                    self.e.action = Some("allow");
                }
                Value::Str(a) if self.e.action.is_none() && a.eq_ignore_ascii_case("Blocked") => {
                    self.e.action = Some("block");
                }
                _ => self.push_extra(key, value),
            },
            _ => self.push_extra(key, value),
        }
    }

    /// Fills a text column, or keeps the value in `extra` when the column is taken.
    fn set_text(&mut self, column: Column, key: &'a str, value: Value<'a>) {
        let text = self.text(value);
        let slot = match column {
            Column::User => &mut self.e.user,
            Column::Method => &mut self.e.method,
            Column::Url => &mut self.e.url,
            Column::UrlHost => &mut self.e.url_host,
            Column::ContentType => &mut self.e.content_type,
            Column::UserAgent => &mut self.e.user_agent,
            Column::Category => &mut self.e.category,
        };
        match slot {
            None => *slot = Some(text),
            Some(_) => self.e.extra.push((key, text)),
        }
    }

    fn push_extra(&mut self, key: &'a str, value: Value<'a>) {
        let text = self.text(value);
        self.e.extra.push((key, text));
    }

    /// A value as text: strings as they are, numbers rendered into the arena.
    fn text(&self, value: Value<'a>) -> &'a str {
        match value {
            Value::Str(s) | Value::Json(s) => s,
            Value::Uint(n) => render_integer(self.arena, false, n),
            Value::Int(n) => render_integer(self.arena, n < 0, n.unsigned_abs()),
            Value::Float(f) => self.arena.alloc_str(&f.to_string()),
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            Value::Null => "",
        }
    }

    /// The event, once every key has been seen.
    fn finish(mut self) -> Result<HttpEvent<'a>, ParseError> {
        if self
            .sourcetype
            .is_some_and(|s| s.starts_with("zscalernss-") && s != "zscalernss-web")
        {
            return Err(unrecognised("not a web log (another NSS feed type)"));
        }
        if !self.web {
            return Err(unrecognised(
                "no web log field (url, requestmethod or urlcategory)",
            ));
        }
        let e = &mut self.e;
        e.time = match (self.epoch_seconds, self.datetime) {
            (Some(secs), _) => i64::try_from(secs).ok().map(|s| s * 1_000_000),
            (None, Some((_, text))) => self.tz.and_then(|tz| zoned_time(text, tz)),
            (None, None) => None,
        };
        if let (Some(_), Some((at, _))) = (e.time, self.datetime) {
            e.extra.remove(at);
        }
        if let Some(url) = e.url {
            let (host, path) =
                if memmem::find(url.as_bytes(), b"://").is_some() || url.starts_with('/') {
                    split_url(e.method, url)
                } else {
                    split_authority_path(url)
                };
            e.url_host = e.url_host.or(host);
            e.url_path = path;
        }
        Ok(self.e)
    }
}

/// The text columns [`Fields::set_text`] fills.
#[derive(Clone, Copy)]
enum Column {
    User,
    Method,
    Url,
    UrlHost,
    ContentType,
    UserAgent,
    Category,
}

/// 9999-12-31T23:59:59Z: later epoch times are not times.
const MAX_EPOCH_SECONDS: u64 = 253_402_300_799;

/// A non-negative integer sent as a JSON number or as a string of digits.
fn number(value: Value<'_>) -> Option<u64> {
    match value {
        Value::Uint(n) => Some(n),
        Value::Str(s) => digits(s),
        _ => None,
    }
}

/// `Mon Jun 20 15:29:11 2022` or `2022-06-20 15:29:11` read in the zone `tz`.
fn zoned_time(text: &str, tz: &str) -> Option<Micros> {
    let (year, month, day, secs) = ctime(text).or_else(|| iso_time(text))?;
    if let Some(offset) = fixed_offset(tz) {
        return Some(civil_micros(year, month, day, secs, 0) - offset * 1_000_000);
    }
    let zone = chrono_tz::Tz::from_str(tz).ok()?;
    let secs = u32::try_from(secs).ok()?;
    let local = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?.and_hms_opt(
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )?;
    // In a repeated hour (the end of daylight saving time) the earlier instant is taken;
    // a time in a skipped hour does not exist and is not guessed.
    Some(
        zone.from_local_datetime(&local)
            .earliest()?
            .timestamp_micros(),
    )
}

/// `GMT`, `UTC`, `Z`, or one of the first two followed by `+hh`, `+hh:mm` or `+hhmm`,
/// as seconds east of UTC.
fn fixed_offset(tz: &str) -> Option<i64> {
    let rest = tz.strip_prefix("GMT").or_else(|| tz.strip_prefix("UTC"));
    let rest = match rest {
        Some(rest) => rest,
        None if tz == "Z" => "",
        None => return None,
    };
    if rest.is_empty() {
        return Some(0);
    }
    let sign = match rest.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = match rest[1..].split_once(':') {
        Some((h, m)) => (digits(h)?, digits(m)?),
        None if rest.len() == 5 => (digits(rest.get(1..3)?)?, digits(rest.get(3..)?)?),
        None => (digits(&rest[1..])?, 0),
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * i64::try_from(hours * 3600 + minutes * 60).ok()?)
}

/// `%s{time}`: `Mon Jun 20 15:29:11 2022` (the weekday optional, the day possibly
/// space-padded) as a valid date and seconds of the day.
fn ctime(text: &str) -> Option<(u64, u32, u32, i64)> {
    let mut words = text.split_ascii_whitespace();
    let mut first = words.next()?;
    if month(first.as_bytes()).is_none() {
        first = words.next()?;
    }
    let month = month(first.as_bytes())?;
    let day = u32::try_from(digits(words.next()?)?).ok()?;
    let (secs, rest) = clock(words.next()?)?;
    let year = digits(words.next()?)?;
    (rest.is_empty() && words.next().is_none() && is_valid_date(year, month, day))
        .then_some((year, month, day, secs))
}

/// `2022-06-20 15:29:11` or `2022-06-20T15:29:11`.
fn iso_time(text: &str) -> Option<(u64, u32, u32, i64)> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    let year = digits(&text[..4])?;
    let month = u32::try_from(digits(&text[5..7])?).ok()?;
    let day = u32::try_from(digits(&text[8..10])?).ok()?;
    let (secs, rest) = clock(&text[11..])?;
    (rest.is_empty() && is_valid_date(year, month, day)).then_some((year, month, day, secs))
}

/// The decimal digits of an integer, in the arena.
fn render_integer(arena: &Bump, negative: bool, mut n: u64) -> &str {
    let mut buf = [0u8; 21];
    let mut at = buf.len();
    loop {
        at -= 1;
        // `n % 10` is a single digit.
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    // ASCII digits are UTF-8, so this never falls back.
    std::str::from_utf8(&buf[at..]).map_or("", |s| arena.alloc_str(s))
}

fn unrecognised(reason: &'static str) -> ParseError {
    ParseError::Unrecognised {
        format: NAME,
        reason,
    }
}

// ---------------------------------------------------------------------------------------
// serde visitors: one pass over the object, values placed as they arrive.

/// An object whose keys are fields; at the top level, an `event` key holds the fields.
struct Object<'a, 'f> {
    fields: &'f mut Fields<'a>,
    top: bool,
}

impl<'a> DeserializeSeed<'a> for Object<'a, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for Object<'a, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'a>>(self, mut map: M) -> Result<(), M::Error> {
        let arena = self.fields.arena;
        while let Some(key) = map.next_key_seed(Text(arena))? {
            if self.top && key == "event" {
                map.next_value_seed(Object {
                    fields: &mut *self.fields,
                    top: false,
                })?;
            } else {
                let value = map.next_value_seed(Scalar(arena))?;
                self.fields.field(key, value);
            }
        }
        Ok(())
    }
}

/// A string borrowed from the line, or unescaped into the arena.
#[derive(Clone, Copy)]
struct Text<'a>(&'a Bump);

impl<'a> DeserializeSeed<'a> for Text<'a> {
    type Value = &'a str;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<&'a str, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'a> Visitor<'a> for Text<'a> {
    type Value = &'a str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<&'a str, E> {
        Ok(v)
    }

    fn visit_str<E>(self, v: &str) -> Result<&'a str, E> {
        Ok(self.0.alloc_str(v))
    }
}

/// Any value; strings borrowed or unescaped into the arena, containers rendered.
#[derive(Clone, Copy)]
struct Scalar<'a>(&'a Bump);

impl<'a> DeserializeSeed<'a> for Scalar<'a> {
    type Value = Value<'a>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Value<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for Scalar<'a> {
    type Value = Value<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<Value<'a>, E> {
        Ok(Value::Str(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value<'a>, E> {
        Ok(Value::Str(self.0.alloc_str(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(Value::Uint(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Int(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value<'a>, E> {
        Ok(Value::Float(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }

    // NSS web feeds are flat: containers are rare enough to go through `serde_json::Value`.
    fn visit_map<M: MapAccess<'a>>(self, map: M) -> Result<Value<'a>, M::Error> {
        let value = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Value::Json(self.0.alloc_str(&value.to_string())))
    }

    fn visit_seq<S: SeqAccess<'a>>(self, seq: S) -> Result<Value<'a>, S::Error> {
        let value = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Value::Json(self.0.alloc_str(&value.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Written from Zscaler's "NSS Feed Output Format: Web Logs" (the field tables and the
    /// example line at the top of the page: `Mon Jun 20 15:29:11 2022`, `ebay.com/`,
    /// `Blocked`, `172.17.3.49`, `66.211.175.229`, `403`, `curl/7.68.0`, ...), in the JSON
    /// shape of Zscaler's Splunk feed template, numbers unquoted.
    const BLOCKED: &str = r#"{"sourcetype":"zscalernss-web","event":{"datetime":"Mon Jun 20 15:29:11 2022","reason":"Not allowed to browse this category","event_id":7111380384411598849,"protocol":"HTTP","action":"Blocked","transactionsize":14061,"responsesize":14061,"requestsize":0,"urlcategory":"Online Shopping","serverip":"66.211.175.229","clienttranstime":0,"requestmethod":"GET","refererURL":"None","useragent":"curl/7.68.0","product":"NSS","location":"new-gre","ClientIP":"172.17.3.49","status":"403","user":"new-gre","url":"ebay.com/","vendor":"Zscaler","hostname":"ebay.com","clientpublicIP":"172.17.3.49","threatcategory":"None","threatname":"None","filetype":"None","appname":"Ebay","pagerisk":72,"department":"Default Department","urlsupercategory":"Shopping and Auctions","appclass":"Consumer Apps","dlpengine":"None","urlclass":"Productivity Loss","threatclass":"None","dlpdictionaries":"None","fileclass":"None","bwthrottle":"NO","servertranstime":0,"contenttype":"Other","unscannabletype":"None","deviceowner":"NA","devicehostname":"NA"}}"#;

    #[test]
    fn blocked_line_field_by_field() {
        let arena = Bump::new();
        assert!(looks_like(BLOCKED));
        assert_eq!(
            parse(BLOCKED, &arena).unwrap(),
            HttpEvent {
                src_ip: Some("172.17.3.49"),
                user: Some("new-gre"),
                method: Some("GET"),
                url: Some("ebay.com/"),
                url_host: Some("ebay.com"),
                url_path: Some("/"),
                status: Some(403),
                bytes_in: Some(14061),
                bytes_out: Some(0),
                content_type: Some("Other"),
                user_agent: Some("curl/7.68.0"),
                category: Some("Online Shopping"),
                action: Some("block"),
                duration_ms: Some(0),
                dst_ip: Some("66.211.175.229"),
                extra: vec![
                    ("sourcetype", "zscalernss-web"),
                    ("datetime", "Mon Jun 20 15:29:11 2022"),
                    ("reason", "Not allowed to browse this category"),
                    ("event_id", "7111380384411598849"),
                    ("protocol", "HTTP"),
                    ("transactionsize", "14061"),
                    ("product", "NSS"),
                    ("location", "new-gre"),
                    ("vendor", "Zscaler"),
                    ("clientpublicIP", "172.17.3.49"),
                    ("appname", "Ebay"),
                    ("pagerisk", "72"),
                    ("department", "Default Department"),
                    ("urlsupercategory", "Shopping and Auctions"),
                    ("appclass", "Consumer Apps"),
                    ("urlclass", "Productivity Loss"),
                    ("bwthrottle", "NO"),
                    ("servertranstime", "0"),
                ],
                ..HttpEvent::default()
            }
        );
    }

    #[test]
    fn times_need_a_zone() {
        let arena = Bump::new();
        let with = |extra: &str| {
            format!(r#"{{"url":"a.example/","datetime":"Mon Jun 20 15:29:11 2022"{extra}}}"#)
        };
        let time = |line: String| parse(line.leak(), &arena).unwrap().time;
        // 2022-06-20T15:29:11Z.
        let utc = 1_655_738_951_000_000;
        assert_eq!(time(with("")), None);
        assert_eq!(time(with(r#","tz":"GMT""#)), Some(utc));
        assert_eq!(
            time(with(r#","tz":"GMT+09:00""#)),
            Some(utc - 9 * 3_600_000_000)
        );
        assert_eq!(
            time(with(r#","tz":"UTC-0530""#)),
            Some(utc + 19_800_000_000)
        );
        assert_eq!(
            time(with(r#","tz":"Asia/Tokyo""#)),
            Some(utc - 9 * 3_600_000_000)
        );
        assert_eq!(time(with(r#","tz":"Mars/Olympus""#)), None);
        assert_eq!(time(with(r#","epochtime":"1655738951""#)), Some(utc));
        assert_eq!(time(with(r#","tz":"GMT","epochtime":1"#)), Some(1_000_000));
        let iso = r#"{"url":"a.example/","datetime":"2022-06-20 15:29:11","tz":"UTC"}"#;
        let e = parse(iso, &arena).unwrap();
        assert_eq!(e.time, Some(utc));
        // The text is not kept once it has given the time; the zone is.
        assert_eq!(e.extra, [("tz", "UTC")]);
        assert_eq!(ctime("Jun  2 01:02:03 2022"), Some((2022, 6, 2, 3723)));
        assert_eq!(ctime("Mon Jun 31 01:02:03 2022"), None);
    }

    #[test]
    fn flat_objects_escapes_and_aliases() {
        let arena = Bump::new();
        let line = r#"{"cip":"10.30.4.22","sip":"203.0.113.10","reqmethod":"CONNECT","eurl":"cloud.example.net:443","urlcat":"Web Conferencing","respcode":200,"respsize":"45210","reqsize":2305,"ua":"Mozilla/5.0 \"q\" \u30c6\u30b9\u30c8","login":"suzuki@city.example.jp","ctime":30490,"refererURL":"https:\/\/portal.example.jp\/","vendor":"Zscaler","score":-3,"ratio":0.5,"ok":true,"tags":["a",{"b":null}],"nothing":null}"#;
        let e = parse(line, &arena).unwrap();
        assert_eq!(
            (e.src_ip, e.dst_ip),
            (Some("10.30.4.22"), Some("203.0.113.10"))
        );
        assert_eq!(
            (e.method, e.url, e.url_host, e.url_path),
            (
                Some("CONNECT"),
                Some("cloud.example.net:443"),
                Some("cloud.example.net"),
                None
            )
        );
        assert_eq!(
            (e.status, e.bytes_in, e.bytes_out, e.duration_ms),
            (Some(200), Some(45210), Some(2305), Some(30490))
        );
        assert_eq!(e.user_agent, Some("Mozilla/5.0 \"q\" テスト"));
        assert_eq!(
            (e.user, e.category, e.action),
            (
                Some("suzuki@city.example.jp"),
                Some("Web Conferencing"),
                None
            )
        );
        assert_eq!(
            e.extra,
            [
                ("refererURL", "https://portal.example.jp/"),
                ("vendor", "Zscaler"),
                ("score", "-3"),
                ("ratio", "0.5"),
                ("ok", "true"),
                ("tags", r#"["a",{"b":null}]"#),
            ]
        );
    }

    #[test]
    fn values_that_do_not_fit_go_to_extra() {
        let arena = Bump::new();
        let line = r#"{"url":"http://h.example/a/b?c","action":"Caution","ClientIP":"pc-01","status":"abc","url":"second","responsesize":-1,"requestmethod":"GET"}"#;
        let e = parse(line, &arena).unwrap();
        assert_eq!(
            (e.url, e.url_host, e.url_path, e.action, e.src_ip, e.status),
            (
                Some("http://h.example/a/b?c"),
                Some("h.example"),
                Some("/a/b"),
                None,
                None,
                None
            )
        );
        assert_eq!(
            e.extra,
            [
                ("action", "Caution"),
                ("ClientIP", "pc-01"),
                ("status", "abc"),
                ("url", "second"),
                ("responsesize", "-1")
            ]
        );
    }

    #[test]
    fn rejects_with_reasons() {
        let arena = Bump::new();
        let cases = [
            ("", "invalid JSON"),
            (r#"{"url":"a""#, "invalid JSON"),
            (r#"{"url":"a"} x"#, "invalid JSON"),
            (r#"["Zscaler"]"#, "not a JSON object of fields"),
            (
                r#"{"sourcetype":"zscalernss-web","event":"x"}"#,
                "not a JSON object of fields",
            ),
            (
                r#"{"sourcetype":"zscalernss-fw","event":{"action":"Allow","url":"x"}}"#,
                "not a web log (another NSS feed type)",
            ),
            (
                r#"{"vendor":"Zscaler","action":"Allowed"}"#,
                "no web log field (url, requestmethod or urlcategory)",
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(line, &arena), Err(unrecognised(reason)), "{line}");
        }
    }

    #[test]
    fn looks_like_shape() {
        assert!(looks_like(r#" {"sourcetype" : "zscalernss-web"}"#));
        assert!(looks_like(r#"{"vendor": "Zscaler"}"#));
        assert!(!looks_like(r#"{"EventID":4625,"Computer":"dc01"}"#));
        assert!(!looks_like(r#"vendor="Zscaler" {"#));
        assert!(!looks_like(""));
    }

    #[test]
    fn integers_render_exactly() {
        let arena = Bump::new();
        for (negative, n, text) in [
            (false, 0, "0"),
            (false, u64::MAX, "18446744073709551615"),
            (true, 1 << 63, "-9223372036854775808"),
        ] {
            assert_eq!(render_integer(&arena, negative, n), text);
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC*") {
            let arena = Bump::new();
            let _ = looks_like(&s);
            let _ = parse(&s, &arena);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let arena = Bump::new();
            let s = String::from_utf8_lossy(&b);
            let _ = looks_like(&s);
            let _ = parse(&s, &arena);
        }

        #[test]
        fn string_fields_round_trip(
            pairs in proptest::collection::vec(("[a-zA-Z]{1,10}", "\\PC{0,20}"), 0..12),
            url in "[a-z./]{1,20}",
        ) {
            // Whatever the keys and values, each value comes back in its column or in
            // extra, unescaped, and nothing else appears.
            prop_assume!(pairs.iter().all(|(k, _)| k != "event"));
            let mut object = serde_json::Map::new();
            object.insert("url".into(), url.clone().into());
            for (k, v) in &pairs {
                object.entry(k.clone()).or_insert_with(|| v.clone().into());
            }
            let line = serde_json::Value::Object(object.clone()).to_string();
            let mut arena = Bump::new();
            let e = parse(&line, &arena).unwrap();
            prop_assert_eq!(e.url, Some(url.as_str()));
            for (k, v) in &e.extra {
                prop_assert_eq!(object.get(*k).and_then(|v| v.as_str()), Some(*v));
            }
            // Every string lies in the line or in the arena.
            let spans: Vec<(usize, usize)> = [e.src_ip, e.user, e.method, e.url, e.url_host, e.url_path,
                e.content_type, e.user_agent, e.category, e.dst_ip]
                .into_iter()
                .flatten()
                .chain(e.extra.iter().flat_map(|(k, v)| [*k, *v]))
                .map(|s| (s.as_ptr() as usize, s.len()))
                .collect();
            drop(e);
            let within = |(start, len): (usize, usize), base: usize, size: usize| start >= base && start + len <= base + size;
            let chunks: Vec<(usize, usize)> = arena.iter_allocated_chunks().map(|c| (c.as_ptr() as usize, c.len())).collect();
            for span in spans {
                prop_assert!(
                    span.1 == 0
                        || within(span, line.as_ptr() as usize, line.len())
                        || chunks.iter().any(|&(base, size)| within(span, base, size))
                );
            }
        }
    }
}
