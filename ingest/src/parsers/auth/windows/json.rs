//! The JSON shapes of a Windows event, read into a [`Record`] by a small JSON scanner.
//!
//! Three shippers write the same event three ways; one walk over the top-level object
//! reads them all, because their top-level keys do not overlap:
//!
//! ```text
//! evtx_dump   {"Event": {"System": {"EventID": 4625 | {"#text": 4625, ..}, "Channel", "Computer",
//!                                   "Provider": {"#attributes": {"Name"}},
//!                                   "TimeCreated": {"#attributes": {"SystemTime"}}, "Keywords"},
//!                        "EventData": {name: value, ..} | "UserData": {wrapper: {name: value, ..}}}}
//! winlogbeat  {"@timestamp", "winlog": {"event_id", "channel", "provider_name", "computer_name",
//!                                       "keywords": [..], "event_data" | "user_data": {..}},
//!              "event": {"code", "outcome"}, ..ECS fields..}
//! NXLog       {"EventTime", "Hostname", "EventID", "Channel", "SourceName", "Keywords",
//!              "EventType", ..envelope.., TargetUserName: .., ..event data..}
//! ```
//!
//! # The scanner
//!
//! [`Reader`] walks the bytes once and hands out values as slices of the input. Only a
//! string with a backslash escape is copied, unescaped, into the per-line arena; values
//! that are not needed (the rendered `Message` of NXLog, ECS objects of winlogbeat) are
//! skipped with one `memchr` per quote in them and never decoded. Skipping nested values
//! is a loop with a depth counter, not recursion, and nesting deeper than
//! [`MAX_DEPTH`] is rejected, so no input can exhaust the stack. The grammar accepted is
//! JSON's, a little loosely: raw control characters inside strings are tolerated (some
//! shippers write them) and numbers are checked for their characters, not their shape.

use bumpalo::Bump;
use memchr::memchr;

use super::{Record, Stop};
use crate::event::Micros;

/// Deepest nesting a skipped value may have. Windows events nest four levels.
const MAX_DEPTH: u32 = 64;

/// Reads one JSON event into `rec`.
pub(super) fn read<'a>(text: &'a str, arena: &'a Bump, rec: &mut Record<'a>) -> Result<(), Stop> {
    let mut r = Reader {
        text,
        pos: 0,
        arena,
    };
    // `@timestamp` is the event's time for winlogbeat, which copies TimeCreated there,
    // but the collector's receive time for NXLog records that passed through Logstash,
    // so which one it is is only known once the whole object has been seen.
    let mut at_timestamp: Option<Micros> = None;
    let mut winlogbeat = false;
    r.object(|r, key| match key {
        "Event" => r.object_or_skip(|r, key| evtx_event(r, key, rec)),
        "winlog" => {
            winlogbeat = true;
            r.object_or_skip(|r, key| winlog(r, key, rec))
        }
        "event" => r.object_or_skip(|r, key| ecs_event(r, key, rec)),
        "@timestamp" => {
            at_timestamp = r.scalar()?.and_then(super::utc_micros);
            Ok(())
        }
        _ => nxlog_field(r, key, rec),
    })?;
    r.end()?;
    if winlogbeat {
        rec.time = rec.time.or(at_timestamp);
    } else {
        rec.collector_time = at_timestamp;
    }
    Ok(())
}

/// A member of evtx_dump's `Event` object.
fn evtx_event<'a>(r: &mut Reader<'a>, key: &'a str, rec: &mut Record<'a>) -> Result<(), Stop> {
    match key {
        "System" => r.object_or_skip(|r, key| match key {
            // `EventID` is an object when it has a `Qualifiers` attribute.
            "EventID" => {
                rec.event_id = r.text_or_member("#text")?;
                Ok(())
            }
            "Channel" => {
                rec.channel = r.scalar()?;
                Ok(())
            }
            "Computer" => {
                rec.computer = r.scalar()?;
                Ok(())
            }
            "Provider" => {
                rec.provider = r.attribute("Name")?;
                Ok(())
            }
            "TimeCreated" => {
                rec.time = r.attribute("SystemTime")?.and_then(super::utc_micros);
                Ok(())
            }
            "Keywords" => {
                rec.audit_from_keywords(r.scalar()?);
                Ok(())
            }
            _ => r.skip(),
        }),
        "EventData" => {
            rec.check_before_data()?;
            data_object(r, rec)
        }
        // `UserData` holds one element named after the event (`LogFileCleared`) whose
        // children are the data.
        "UserData" => {
            rec.check_before_data()?;
            r.object_or_skip(|r, _wrapper| data_object(r, rec))
        }
        _ => r.skip(),
    }
}

/// A member of winlogbeat's `winlog` object.
fn winlog<'a>(r: &mut Reader<'a>, key: &'a str, rec: &mut Record<'a>) -> Result<(), Stop> {
    match key {
        // A number in older winlogbeat, a string in newer ones.
        "event_id" => rec.event_id = r.scalar()?,
        "channel" => rec.channel = r.scalar()?,
        "provider_name" => rec.provider = r.scalar()?,
        "computer_name" => rec.computer = r.scalar()?,
        // `["Audit Failure"]` / `["Audit Success"]`.
        "keywords" if r.next_byte() == Some(b'[') => {
            return r.array(|r| {
                let keyword = r.scalar()?;
                rec.audit_from_name(keyword);
                Ok(())
            });
        }
        "event_data" | "user_data" => return data_object(r, rec),
        _ => return r.skip(),
    }
    Ok(())
}

/// A member of winlogbeat's ECS `event` object.
fn ecs_event<'a>(r: &mut Reader<'a>, key: &'a str, rec: &mut Record<'a>) -> Result<(), Stop> {
    match key {
        // `winlog.event_id` wins when both are present.
        "code" => {
            let code = r.scalar()?;
            rec.event_id = rec.event_id.or(code);
        }
        "outcome" => rec.audit_from_name(r.scalar()?),
        _ => r.skip()?,
    }
    Ok(())
}

/// A top-level member other than the evtx_dump and winlogbeat objects: for NXLog a System
/// field, an envelope field of NXLog or Logstash, or event data.
fn nxlog_field<'a>(r: &mut Reader<'a>, key: &'a str, rec: &mut Record<'a>) -> Result<(), Stop> {
    match key {
        "EventID" => rec.event_id = r.scalar()?,
        "Channel" => rec.channel = r.scalar()?,
        "SourceName" | "ProviderName" => rec.provider = r.scalar()?,
        "Hostname" => rec.computer = r.scalar()?,
        "Keywords" => rec.audit_from_keywords(r.scalar()?),
        "EventType" => rec.audit_from_name(r.scalar()?),
        // NXLog writes the agent's local time without a zone unless configured to add
        // one; a zone-less time cannot be placed, so it is kept in `extra` as evidence.
        "EventTime" => {
            if let Some(value) = r.scalar()? {
                match super::utc_micros(value) {
                    Some(micros) => rec.time = Some(micros),
                    None => rec.extra.push(("EventTime", value)),
                }
            }
        }
        // Envelope fields that describe the record or its transport, not the event:
        // the rendered `Message` repeats the event data in prose, and `raw` keeps it all.
        "EventReceivedTime"
        | "SourceModuleName"
        | "SourceModuleType"
        | "SeverityValue"
        | "Severity"
        | "ProviderGuid"
        | "Version"
        | "Task"
        | "Opcode"
        | "OpcodeValue"
        | "RecordNumber"
        | "ActivityID"
        | "RelatedActivityID"
        | "ExecutionProcessID"
        | "ThreadID"
        | "Category"
        | "Message"
        | "Domain"
        | "AccountName"
        | "UserID"
        | "AccountType"
        | "ERROR_EVT_UNRESOLVED" => r.skip()?,
        // Windows names its event data in CamelCase; lower-case and `@` keys at the top
        // level are the shippers' metadata (Logstash's `@version`, `host`, `port`,
        // `tags`; winlogbeat's ECS `message`, `agent`, `log`, ..).
        _ if key.starts_with(|c: char| c.is_ascii_lowercase() || c == '@') => r.skip()?,
        _ => {
            if let Some(value) = r.scalar()? {
                rec.data(key, value);
            }
        }
    }
    Ok(())
}

/// An object whose members are event data (`EventData`, `event_data`, `user_data`).
/// evtx_dump's `#attributes` and nested values are skipped.
fn data_object<'a>(r: &mut Reader<'a>, rec: &mut Record<'a>) -> Result<(), Stop> {
    r.object_or_skip(|r, key| {
        if key.starts_with('#') {
            return r.skip();
        }
        if let Some(value) = r.scalar()? {
            rec.data(key, value);
        }
        Ok(())
    })
}

/// A forward-only JSON scanner over one line.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    arena: &'a Bump,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The first byte of the next token.
    fn next_byte(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), Stop> {
        if self.next_byte() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Stop::Malformed)
        }
    }

    /// Only whitespace may follow the top-level value.
    fn end(&mut self) -> Result<(), Stop> {
        match self.next_byte() {
            None => Ok(()),
            Some(_) => Err(Stop::Malformed),
        }
    }

    /// Reads an object, calling `member` with each key; `member` must consume the value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, &'a str) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.expect(b'{')?;
        if self.next_byte() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.next_byte() != Some(b'"') {
                return Err(Stop::Malformed);
            }
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            match self.next_byte() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Stop::Malformed),
            }
        }
    }

    /// [`Self::object`] when the value is an object; any other value is skipped.
    fn object_or_skip(
        &mut self,
        member: impl FnMut(&mut Self, &'a str) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        if self.next_byte() == Some(b'{') {
            self.object(member)
        } else {
            self.skip()
        }
    }

    /// Reads an array, calling `element` for each element; `element` must consume it.
    fn array(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        self.expect(b'[')?;
        if self.next_byte() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            element(self)?;
            match self.next_byte() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Stop::Malformed),
            }
        }
    }

    /// A value as text: a string (unescaped), a number or boolean as written; `None` for
    /// `null`, and for an object or array, which is skipped.
    fn scalar(&mut self) -> Result<Option<&'a str>, Stop> {
        match self.next_byte() {
            Some(b'"') => self.string().map(Some),
            Some(b'{' | b'[') => self.skip().map(|()| None),
            Some(b't') => self.literal("true").map(Some),
            Some(b'f') => self.literal("false").map(Some),
            Some(b'n') => self.literal("null").map(|_| None),
            Some(b'-' | b'0'..=b'9') => Ok(Some(self.number())),
            _ => Err(Stop::Malformed),
        }
    }

    /// A scalar, or the scalar member `name` of an object (evtx_dump's `{"#text": ..}`).
    fn text_or_member(&mut self, name: &str) -> Result<Option<&'a str>, Stop> {
        if self.next_byte() != Some(b'{') {
            return self.scalar();
        }
        let mut found = None;
        self.object(|r, key| {
            if key == name {
                found = r.scalar()?;
                Ok(())
            } else {
                r.skip()
            }
        })?;
        Ok(found)
    }

    /// evtx_dump's `{"#attributes": {name: value}}`: the attribute `name`, if present.
    fn attribute(&mut self, name: &str) -> Result<Option<&'a str>, Stop> {
        let mut found = None;
        self.object_or_skip(|r, key| {
            if key == "#attributes" {
                r.object_or_skip(|r, key| {
                    if key == name {
                        found = r.scalar()?;
                        Ok(())
                    } else {
                        r.skip()
                    }
                })
            } else {
                r.skip()
            }
        })?;
        Ok(found)
    }

    fn literal(&mut self, word: &'static str) -> Result<&'static str, Stop> {
        if self.bytes()[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(word)
        } else {
            Err(Stop::Malformed)
        }
    }

    /// A number as written. Its characters are checked, its shape is not: the text goes
    /// to a string column, and event IDs are parsed again as integers.
    fn number(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes().get(self.pos)
        {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// The string at `pos` (which is `"`), unescaped. A string without escapes is a
    /// slice of the input; one with escapes is decoded into the arena.
    fn string(&mut self) -> Result<&'a str, Stop> {
        let start = self.pos + 1;
        let end = closing_quote(self.bytes(), start).ok_or(Stop::Malformed)?;
        self.pos = end + 1;
        let raw = self.text.get(start..end).ok_or(Stop::Malformed)?;
        if memchr(b'\\', raw.as_bytes()).is_some() {
            unescape(raw, self.arena)
        } else {
            Ok(raw)
        }
    }

    /// Skips one value of any kind.
    fn skip(&mut self) -> Result<(), Stop> {
        match self.next_byte() {
            Some(b'{' | b'[') => {}
            _ => return self.scalar().map(|_| ()),
        }
        // Containers: count brackets, stepping over strings whole.
        let mut depth = 0u32;
        loop {
            match self.bytes().get(self.pos) {
                None => return Err(Stop::Malformed),
                Some(b'{' | b'[') => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Stop::Malformed);
                    }
                    self.pos += 1;
                }
                Some(b'}' | b']') => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(b'"') => self.skip_string()?,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Steps over the string at `pos` without decoding it.
    fn skip_string(&mut self) -> Result<(), Stop> {
        self.pos = closing_quote(self.bytes(), self.pos + 1).ok_or(Stop::Malformed)? + 1;
        Ok(())
    }
}

/// The offset of the `"` that closes a string whose body starts at `from`: the first
/// quote that is not escaped, i.e. not preceded by an odd run of backslashes. This is
/// one `memchr` per quote in the body, so a long body full of escapes (NXLog's rendered
/// `Message`, with a `\r\n\t` on every line) costs one pass, not one search per escape.
fn closing_quote(b: &[u8], from: usize) -> Option<usize> {
    let mut p = from;
    loop {
        let quote = p + memchr(b'"', b.get(p..)?)?;
        let backslashes = b[from..quote]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some(quote);
        }
        p = quote + 1;
    }
}

/// Decodes the escapes of a JSON string body into the arena.
///
/// The decoded text is never longer than the escaped text (`\n` is two bytes for one,
/// `\uXXXX` six for at most three, a surrogate pair twelve for four), so one arena slice
/// of the raw length holds it. Unescaped runs are copied whole; they are valid UTF-8
/// because they are slices of a `&str` cut at ASCII backslashes. An unpaired surrogate
/// becomes U+FFFD, as in most JSON readers.
fn unescape<'a>(raw: &str, arena: &'a Bump) -> Result<&'a str, Stop> {
    let out = arena.alloc_slice_fill_copy(raw.len(), 0u8);
    let bytes = raw.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        let Some(at) = memchr(b'\\', &bytes[i..]) else {
            out[n..n + bytes.len() - i].copy_from_slice(&bytes[i..]);
            n += bytes.len() - i;
            break;
        };
        out[n..n + at].copy_from_slice(&bytes[i..i + at]);
        n += at;
        i += at + 1;
        let simple = match bytes.get(i) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                let (c, used) = unicode_escape(&bytes[i + 1..])?;
                i += 1 + used;
                n += c.encode_utf8(&mut out[n..]).len();
                continue;
            }
            _ => return Err(Stop::Malformed),
        };
        out[n] = simple;
        n += 1;
        i += 1;
    }
    std::str::from_utf8(&out[..n]).map_err(|_| Stop::Malformed)
}

/// The character of a `\u` escape whose four hex digits start `rest`, with the bytes
/// used (four, or ten for a surrogate pair `XXXX\uYYYY`).
fn unicode_escape(rest: &[u8]) -> Result<(char, usize), Stop> {
    let unit = hex4(rest).ok_or(Stop::Malformed)?;
    if (0xD800..0xDC00).contains(&unit)
        && rest.get(4..6) == Some(b"\\u")
        && let Some(low) = rest.get(6..).and_then(hex4)
        && (0xDC00..0xE000).contains(&low)
    {
        let c = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
        return Ok((char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER), 10));
    }
    Ok((
        char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
        4,
    ))
}

fn hex4(b: &[u8]) -> Option<u16> {
    let digits = b.get(..4)?;
    let mut value = 0u16;
    for &d in digits {
        value = value * 16 + u16::from(char::from(d).to_digit(16)? as u8);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(raw: &str) -> Result<String, Stop> {
        let arena = Bump::new();
        let text = format!("\"{raw}\"");
        let mut r = Reader {
            text: &text,
            pos: 0,
            arena: &arena,
        };
        r.string().map(str::to_owned)
    }

    #[test]
    fn strings_are_unescaped() {
        assert_eq!(read_str("plain").unwrap(), "plain");
        assert_eq!(read_str(r#"a\"b\\c\/d"#).unwrap(), "a\"b\\c/d");
        assert_eq!(read_str(r"\r\n\t\b\f").unwrap(), "\r\n\t\u{8}\u{c}");
        assert_eq!(read_str(r"\u7530\u4e2d").unwrap(), "田中");
        assert_eq!(read_str(r"\ud83d\ude00!").unwrap(), "😀!");
        assert_eq!(read_str(r"\ud83d lone").unwrap(), "\u{fffd} lone");
        assert_eq!(read_str("日本\\n語").unwrap(), "日本\n語");
        assert_eq!(read_str(r"\x"), Err(Stop::Malformed));
        assert_eq!(read_str(r"\u12"), Err(Stop::Malformed));
    }

    #[test]
    fn values_are_skipped_whole() {
        let arena = Bump::new();
        let text = r#"{"a": {"b": [1, "x]}", {"c": null}], "d": "}"}, "e": "kept"}"#;
        let mut r = Reader {
            text,
            pos: 0,
            arena: &arena,
        };
        let mut seen = Vec::new();
        r.object(|r, key| {
            if key == "e" {
                seen.push(r.scalar()?);
                Ok(())
            } else {
                r.skip()
            }
        })
        .unwrap();
        r.end().unwrap();
        assert_eq!(seen, [Some("kept")]);
    }

    #[test]
    fn deep_nesting_is_rejected_not_recursed() {
        let arena = Bump::new();
        let text = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let mut rec = Record::default();
        assert_eq!(read(&text, &arena, &mut rec), Err(Stop::Malformed));
    }

    #[test]
    fn truncated_input_is_malformed() {
        let arena = Bump::new();
        for text in [
            r#"{"EventID": 4625"#,
            r#"{"a": "b"#,
            r#"{"a": "b\"#,
            r#"{"a": tru}"#,
            "{",
            r#"{"a"}"#,
        ] {
            let mut rec = Record::default();
            assert_eq!(read(text, &arena, &mut rec), Err(Stop::Malformed), "{text}");
        }
    }
}
