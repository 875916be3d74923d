//! The event's own XML (`<Event xmlns=..><System>..</System><EventData>..</EventData></Event>`),
//! read into a [`Record`] by a hand-written tag scanner.
//!
//! The shape is fixed by the Windows event schema, so a general XML parser is not
//! needed; the scanner knows where the few values it wants live:
//!
//! ```text
//! depth 0  <Event ..>
//! depth 1    <System>                      <EventData>                 <UserData>
//! depth 2      <EventID>4625</EventID>       <Data Name='k'>v</Data>     <LogFileCleared ..>
//!              <TimeCreated SystemTime=../>  <Data Name='k'/>  (empty)
//!              <Provider Name=../>                                       depth 3: <k>v</k>
//!              <Channel>, <Computer>, <Keywords>
//! ```
//!
//! Tags are found with `memchr`; the text of an element is taken only when its closing
//! tag follows with no child in between (a leaf), so whatever stands between elements
//! (indentation, or the `- ` markers of XML copied out of Event Viewer) is ignored.
//! Attribute values may be quoted with `'` or `"`. The five predefined entities and
//! numeric character references are decoded into the arena; text without `&` is
//! borrowed. Comments, processing instructions and `<!..>` declarations are skipped;
//! CDATA sections are skipped too (Windows does not write them in these events).
//! `RenderingInfo` (the rendered message of forwarded events) is ignored. An event
//! whose tags do not balance back to `</Event>` (a truncated line) is malformed.

use bumpalo::Bump;
use memchr::{memchr, memmem};

use super::{Record, Stop};

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 16;

/// Reads one XML event, which starts at `text[0]` (`<Event`), into `rec`.
pub(super) fn read<'a>(text: &'a str, arena: &'a Bump, rec: &mut Record<'a>) -> Result<(), Stop> {
    let b = text.as_bytes();
    let mut pos = 0;
    // Names of the open elements, to check that closing tags match; Windows events nest
    // five levels, so a deeper event is malformed rather than a reason to allocate.
    let mut open: [&str; MAX_DEPTH] = [""; MAX_DEPTH];
    let mut depth = 0usize;
    let mut section = Section::None;
    // The element opened last, while no child has opened inside it yet: its text is
    // its value if its closing tag comes next.
    let mut leaf: Option<Leaf<'a>> = None;
    loop {
        let Some(at) = memchr(b'<', &b[pos..]) else {
            return Err(Stop::Malformed);
        };
        let lt = pos + at;
        let rest = &b[lt..];
        if rest.starts_with(b"<!--") {
            pos = lt + 4 + find(&rest[4..], b"-->")? + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            pos = lt + 9 + find(&rest[9..], b"]]>")? + 3;
        } else if rest.starts_with(b"<?") {
            pos = lt + 2 + find(&rest[2..], b"?>")? + 2;
        } else if rest.starts_with(b"<!") {
            pos = lt + 2 + memchr(b'>', &rest[2..]).ok_or(Stop::Malformed)? + 1;
        } else if rest.starts_with(b"</") {
            let gt = lt + 2 + memchr(b'>', &rest[2..]).ok_or(Stop::Malformed)?;
            let name = text.get(lt + 2..gt).ok_or(Stop::Malformed)?.trim_end();
            depth = depth.checked_sub(1).ok_or(Stop::Malformed)?;
            if open[depth] != name {
                return Err(Stop::Malformed);
            }
            if let Some(element) = leaf.take() {
                let value = text.get(element.content..lt).ok_or(Stop::Malformed)?;
                leaf_value(element, value, depth + 1, section, arena, rec)?;
            }
            pos = gt + 1;
            if depth == 0 {
                return Ok(());
            }
        } else {
            let gt = tag_end(b, lt + 1)?;
            let self_closing = b[gt - 1] == b'/';
            let inner = text
                .get(lt + 1..if self_closing { gt - 1 } else { gt })
                .ok_or(Stop::Malformed)?;
            let name_end = inner
                .find(|c: char| c.is_ascii_whitespace() || c == '/')
                .unwrap_or(inner.len());
            let (name, attrs) = inner.split_at(name_end);
            pos = gt + 1;
            match depth {
                0 if name != "Event" => return Err(Stop::Malformed),
                1 => {
                    section = match name {
                        "System" => Section::System,
                        "EventData" | "UserData" => {
                            rec.check_before_data()?;
                            Section::Data
                        }
                        _ => Section::Other,
                    };
                }
                2 if section == Section::System => match name {
                    "Provider" => rec.provider = attribute(attrs, "Name", arena)?,
                    "TimeCreated" => {
                        rec.time =
                            attribute(attrs, "SystemTime", arena)?.and_then(super::utc_micros);
                    }
                    _ => {}
                },
                _ => {}
            }
            if self_closing {
                leaf = None;
                if depth == 0 {
                    return Ok(());
                }
            } else {
                if depth == MAX_DEPTH {
                    return Err(Stop::Malformed);
                }
                open[depth] = name;
                leaf = Some(Leaf {
                    name,
                    attrs,
                    content: pos,
                });
                depth += 1;
            }
        }
    }
}

/// Which child of `<Event>` the scanner is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    System,
    /// `EventData` or `UserData`.
    Data,
    Other,
}

/// An element that may turn out to be a leaf.
#[derive(Debug, Clone, Copy)]
struct Leaf<'a> {
    name: &'a str,
    attrs: &'a str,
    /// Offset just after its start tag.
    content: usize,
}

/// Stores the text of a leaf element that the record wants. `depth` counts the open
/// elements, the leaf included (`<Event>` is 1).
fn leaf_value<'a>(
    leaf: Leaf<'a>,
    raw: &'a str,
    depth: usize,
    section: Section,
    arena: &'a Bump,
    rec: &mut Record<'a>,
) -> Result<(), Stop> {
    match (section, depth) {
        (Section::System, 3) => match leaf.name {
            "EventID" => rec.event_id = Some(decode(raw, arena)?),
            "Channel" => rec.channel = Some(decode(raw, arena)?),
            "Computer" => rec.computer = Some(decode(raw, arena)?),
            "Keywords" => rec.audit_from_keywords(Some(raw)),
            _ => {}
        },
        // `<Data Name='TargetUserName'>x</Data>` under EventData; unnamed `<Data>`
        // (classic events) carries no key and is left to `raw`.
        (Section::Data, 3) if leaf.name == "Data" => {
            if let Some(key) = attribute(leaf.attrs, "Name", arena)? {
                rec.data(key, decode(raw, arena)?);
            }
        }
        // `<UserData><LogFileCleared ..><SubjectUserName>x</SubjectUserName>..`
        (Section::Data, 4) => rec.data(leaf.name, decode(raw, arena)?),
        _ => {}
    }
    Ok(())
}

/// The offset of the `>` closing the start tag that begins before `from`, stepping over
/// quoted attribute values (which may contain `>`).
fn tag_end(b: &[u8], from: usize) -> Result<usize, Stop> {
    let mut p = from;
    loop {
        match b.get(p) {
            None => return Err(Stop::Malformed),
            Some(b'>') => return Ok(p),
            Some(&q @ (b'"' | b'\'')) => {
                p += 1
                    + memchr(q, b.get(p + 1..).ok_or(Stop::Malformed)?).ok_or(Stop::Malformed)?
                    + 1;
            }
            Some(_) => p += 1,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Result<usize, Stop> {
    memmem::find(haystack, needle).ok_or(Stop::Malformed)
}

/// The decoded value of attribute `name` in the attribute text of a start tag.
fn attribute<'a>(attrs: &'a str, name: &str, arena: &'a Bump) -> Result<Option<&'a str>, Stop> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start();
        let Some(eq) = rest.find('=') else {
            return Ok(None);
        };
        let key = rest[..eq].trim_end();
        let after = rest[eq + 1..].trim_start();
        let quote = match after.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => q as char,
            _ => return Err(Stop::Malformed),
        };
        let close = after[1..].find(quote).ok_or(Stop::Malformed)? + 1;
        if key == name {
            return decode(&after[1..close], arena).map(Some);
        }
        rest = &after[close + 1..];
    }
}

/// Decodes entity and character references into the arena; text without `&` is
/// returned as it is. The result is never longer than the input (`&#x1F600;` is nine
/// bytes for four), so one arena slice of the input's length holds it. An unknown or
/// unterminated reference is kept literally rather than rejected.
fn decode<'a>(raw: &'a str, arena: &'a Bump) -> Result<&'a str, Stop> {
    let raw = raw.trim();
    if memchr(b'&', raw.as_bytes()).is_none() {
        return Ok(raw);
    }
    let out = arena.alloc_slice_fill_copy(raw.len(), 0u8);
    let mut n = 0;
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out[n..n + amp].copy_from_slice(&rest.as_bytes()[..amp]);
        n += amp;
        rest = &rest[amp..];
        let decoded = rest
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| reference(&rest[1..semi]).map(|c| (c, semi + 1)));
        match decoded {
            Some((c, used)) => {
                n += c.encode_utf8(&mut out[n..]).len();
                rest = &rest[used..];
            }
            None => {
                out[n] = b'&';
                n += 1;
                rest = &rest[1..];
            }
        }
    }
    out[n..n + rest.len()].copy_from_slice(rest.as_bytes());
    n += rest.len();
    std::str::from_utf8(&out[..n]).map_err(|_| Stop::Malformed)
}

/// The character a reference (`amp`, `#38`, `#x26`, without `&` and `;`) stands for.
fn reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_decoded() {
        let arena = Bump::new();
        assert_eq!(decode("a &amp; b", &arena).unwrap(), "a & b");
        assert_eq!(decode("&lt;&gt;&quot;&apos;", &arena).unwrap(), "<>\"'");
        assert_eq!(decode("&#x7530;&#20013;", &arena).unwrap(), "田中");
        assert_eq!(decode("&#x1F600;", &arena).unwrap(), "😀");
        assert_eq!(
            decode("AT&T; & &bogus; &#xZZ; &", &arena).unwrap(),
            "AT&T; & &bogus; &#xZZ; &"
        );
        assert_eq!(decode(" plain ", &arena).unwrap(), "plain");
    }

    #[test]
    fn attributes_take_either_quote() {
        let arena = Bump::new();
        let attrs =
            r#" Name='Microsoft-Windows-Security-Auditing' Guid="{5484}" Empty='' Gt='a>b'"#;
        assert_eq!(
            attribute(attrs, "Name", &arena),
            Ok(Some("Microsoft-Windows-Security-Auditing"))
        );
        assert_eq!(attribute(attrs, "Guid", &arena), Ok(Some("{5484}")));
        assert_eq!(attribute(attrs, "Empty", &arena), Ok(Some("")));
        assert_eq!(attribute(attrs, "Gt", &arena), Ok(Some("a>b")));
        assert_eq!(attribute(attrs, "Missing", &arena), Ok(None));
        assert_eq!(
            attribute(" Name=unquoted", "Name", &arena),
            Err(Stop::Malformed)
        );
    }

    #[test]
    fn truncated_or_unbalanced_events_are_malformed() {
        let arena = Bump::new();
        for text in [
            "<Event><System><EventID>4625</EventID>",
            "<Event><System><EventID>4625</EventID></System>",
            "<Event><System><Provider Name='x",
            "<Event><!-- never closed",
            "<NotEvent></NotEvent>",
            "<Event></System></Event></Event>",
            "<Event><System><EventID>4625</Channel></System></Event>",
        ] {
            let mut rec = Record::default();
            assert_eq!(read(text, &arena, &mut rec), Err(Stop::Malformed), "{text}");
        }
    }
}
