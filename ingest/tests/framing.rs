//! The TCP frame decoder against go-syslog's RFC 6587 vectors, rsyslog's over-long frame
//! test, and property tests: however the stream is cut into reads, the same frames come
//! out, matching a naive oracle, with the buffer bounded by the maximum frame length.

use std::path::PathBuf;

use proptest::prelude::*;
use sanso_ingest::framing::{Decoded, FrameDecoder, Framing, FramingError};
use sanso_ingest::syslog::{self, Expected, Rfc, SyslogError, TimeContext};

/// What a caller sees: a frame's bytes and whether it was cut, or a framing error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Frame(Vec<u8>, bool),
    Error(&'static str),
}

fn frame(bytes: &[u8]) -> Event {
    Event::Frame(bytes.to_vec(), false)
}

fn truncated(bytes: &[u8]) -> Event {
    Event::Frame(bytes.to_vec(), true)
}

/// Errors compared by kind: how many bytes they skip depends on what the read held.
fn kind(error: &FramingError) -> &'static str {
    match error {
        FramingError::InvalidLength { .. } => "invalid length",
        FramingError::LengthTooLarge { .. } => "length too large",
        FramingError::MissingSpace { .. } => "missing space",
    }
}

/// Feeds `input` to a decoder in reads of the given sizes (cycled), as a socket loop
/// would, and checks the decoder's promises on every call.
fn decode_in_reads(framing: Framing, max: usize, input: &[u8], reads: &[usize]) -> Vec<Event> {
    let mut decoder = FrameDecoder::new(framing, max);
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    let mut rest = input;
    let mut sizes = reads.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match decoder.next_frame(&buf) {
                Ok(Decoded::Frame(f)) => {
                    assert!(
                        f.line.end <= f.consumed && f.consumed <= buf.len(),
                        "{f:?} in {}",
                        buf.len()
                    );
                    assert!(f.line.len() <= max);
                    events.push(Event::Frame(buf[f.line.clone()].to_vec(), f.truncated));
                    buf.drain(..f.consumed);
                }
                Ok(Decoded::Skip(n)) => {
                    assert!(n > 0 && n <= buf.len());
                    buf.drain(..n);
                }
                Ok(Decoded::NeedMore) => break,
                Err(e) => {
                    assert!(e.skip() > 0 && e.skip() <= buf.len());
                    events.push(Event::Error(kind(&e)));
                    buf.drain(..e.skip());
                }
            }
        }
        // Memory stays bounded: at most a maximal frame, its length header and a CR.
        assert!(
            buf.len() <= max + 11,
            "buffer grew to {} with max {max}",
            buf.len()
        );
    }
    if let Some(f) = decoder.finish(&buf) {
        events.push(Event::Frame(buf[f.line].to_vec(), f.truncated));
    }
    events
}

/// All at once, then one byte at a time: the two extremes of how reads can fall.
fn decode(framing: Framing, max: usize, input: &[u8]) -> Vec<Event> {
    let whole = decode_in_reads(framing, max, input, &[input.len().max(1)]);
    let bytewise = decode_in_reads(framing, max, input, &[1]);
    assert_eq!(whole, bytewise, "whole vs byte by byte");
    whole
}

fn ctx() -> TimeContext {
    TimeContext::new(chrono_tz::Asia::Tokyo, 1_582_156_800_000_000)
}

fn parse(event: &Event) -> Result<syslog::SyslogMessage<'_>, SyslogError> {
    match event {
        Event::Frame(bytes, _) => {
            syslog::parse(std::str::from_utf8(bytes).expect("utf-8 frame"), &ctx())
        }
        Event::Error(e) => panic!("not a frame: {e}"),
    }
}

/// go-syslog's `octetcounting/parser_test.go`.
mod go_syslog_octet_counting {
    use super::*;

    const OC: Framing = Framing::OctetCounting;

    #[test]
    fn empty() {
        assert_eq!(decode(OC, 8192, b""), []);
    }

    #[test]
    fn ok_then_malformed_message() {
        let events = decode(OC, 8192, b"16 <1>1 - - - - - -17 <2>12 A B C D E -");
        assert_eq!(
            events,
            [frame(b"<1>1 - - - - - -"), frame(b"<2>12 A B C D E -")]
        );
        assert!(parse(&events[0]).is_ok());
        assert_eq!(
            parse(&events[1]),
            Err(SyslogError::Rfc5424 {
                expected: Expected::Timestamp,
                col: 6
            })
        );
        let events = decode(
            OC,
            8192,
            b"16 <1>1 - - - - - -17 <2>12 A B C D E -16 <1>1 - - - - - -",
        );
        assert_eq!(
            events,
            [
                frame(b"<1>1 - - - - - -"),
                frame(b"<2>12 A B C D E -"),
                frame(b"<1>1 - - - - - -")
            ]
        );
    }

    #[test]
    fn ok_then_bad_length() {
        assert_eq!(
            decode(OC, 8192, b"16 <1>1 - - - - - -xaaa"),
            [frame(b"<1>1 - - - - - -"), Event::Error("invalid length")]
        );
        let events = decode(OC, 8192, b"16 <1>1 A B C D E -xaaa");
        assert_eq!(
            events,
            [frame(b"<1>1 A B C D E -"), Event::Error("invalid length")]
        );
        assert_eq!(
            parse(&events[0]),
            Err(SyslogError::Rfc5424 {
                expected: Expected::Timestamp,
                col: 5
            })
        );
    }

    #[test]
    fn length_counts_octets_not_characters() {
        let events = decode(OC, 8192, "23 <1>1 - - - - - - hellø".as_bytes());
        assert_eq!(events, [frame("<1>1 - - - - - - hellø".as_bytes())]);
        assert_eq!(parse(&events[0]).map(|m| m.msg), Ok("hellø"));
    }

    /// go-syslog reports "found EOF"; sanso returns what arrived, marked truncated, and
    /// lets the syslog parser judge it (`<1>1` does not claim RFC 5424).
    #[test]
    fn cut_short_by_the_end_of_the_stream() {
        let events = decode(OC, 8192, b"16 <1>1");
        assert_eq!(events, [truncated(b"<1>1")]);
        assert_eq!(
            parse(&events[0]).map(|m| (m.rfc, m.msg)),
            Ok((Rfc::Rfc3164, "1"))
        );
        // A dangling length is left for the syslog parser, which rejects it.
        let events = decode(OC, 8192, b"1");
        assert_eq!(events, [frame(b"1")]);
        assert_eq!(parse(&events[0]), Err(SyslogError::NotSyslog));
    }

    #[test]
    fn missing_space_after_the_length() {
        assert_eq!(decode(OC, 8192, b"16<1>1"), [Event::Error("missing space")]);
    }

    #[test]
    fn three_frames() {
        let events = decode(
            OC,
            8192,
            "48 <1>1 2003-10-11T22:14:15.003Z host.local - - - -25 <3>1 - host.local - - - -38 <2>1 - host.local su - - - κόσμε".as_bytes(),
        );
        assert_eq!(events.len(), 3);
        let parsed: Vec<_> = events
            .iter()
            .map(|e| parse(e).map(|m| (m.severity, m.hostname, m.app_name, m.msg)))
            .collect();
        assert_eq!(
            parsed,
            [
                Ok((Some(1), Some("host.local"), None, "")),
                Ok((Some(3), Some("host.local"), None, "")),
                Ok((Some(2), Some("host.local"), Some("su"), "κόσμε")),
            ]
        );
    }

    /// go-syslog's `8192`-octet frames: at the limit they pass whole, beyond it they are cut.
    #[test]
    fn frames_at_and_beyond_the_maximum() {
        let header = format!(
            "<191>999 2018-12-31T23:59:59.999999-23:59 {} {} {} {} - ",
            "h".repeat(255),
            "a".repeat(48),
            "p".repeat(128),
            "m".repeat(32)
        );
        let message = format!("{header}{}", "x".repeat(8192 - header.len()));
        assert_eq!(message.len(), 8192);
        let input = format!("8192 {message}8192 {message}16 <1>1 - - - - - -");
        let events = decode(OC, 8192, input.as_bytes());
        assert_eq!(
            events,
            [
                frame(message.as_bytes()),
                frame(message.as_bytes()),
                frame(b"<1>1 - - - - - -")
            ]
        );
        assert_eq!(
            parse(&events[0]).map(|m| m.msg.len()),
            Ok(8192 - header.len())
        );
        let events = decode(OC, 8191, input.as_bytes());
        assert_eq!(
            events,
            [
                truncated(&message.as_bytes()[..8191]),
                truncated(&message.as_bytes()[..8191]),
                frame(b"<1>1 - - - - - -")
            ]
        );
    }

    /// go-syslog errors on a frame longer than the maximum; sanso keeps its first bytes and
    /// skips the rest by count, so the next frame is still found.
    #[test]
    fn longer_than_the_maximum() {
        assert_eq!(
            decode(OC, 10, b"16 <1>1 - - - - - -3 abc"),
            [truncated(b"<1>1 - - -"), frame(b"abc")]
        );
    }

    #[test]
    fn wrong_length_then_garbage() {
        let events = decode(OC, 8192, b"16 <1>217 <11>1 - - - - - -");
        assert_eq!(
            events,
            [frame(b"<1>217 <11>1 - -"), Event::Error("invalid length")]
        );
        assert_eq!(
            parse(&events[0]),
            Err(SyslogError::Rfc5424 {
                expected: Expected::Timestamp,
                col: 7
            })
        );
    }
}

/// go-syslog's `nontransparent/parser_test.go` and `example_test.go`.
mod go_syslog_non_transparent {
    use super::*;

    const NL: Framing = Framing::Newline;

    #[test]
    fn with_and_without_trailer() {
        assert_eq!(
            decode(NL, 8192, b"<1>1 - - - - - -\n"),
            [frame(b"<1>1 - - - - - -")]
        );
        assert_eq!(
            decode(NL, 8192, b"<3>1 - - - - - -"),
            [frame(b"<3>1 - - - - - -")]
        );
        assert_eq!(
            decode(NL, 8192, b"<1>1 - - - - - -\n<2>1 - - - - - -\n"),
            [frame(b"<1>1 - - - - - -"), frame(b"<2>1 - - - - - -")]
        );
        assert_eq!(
            decode(NL, 8192, b"<1>1 - - - - - -\n<2>1 - - - - - -"),
            [frame(b"<1>1 - - - - - -"), frame(b"<2>1 - - - - - -")]
        );
    }

    /// go-syslog reports `<1>1` as a parse error; it does not claim RFC 5424, so sanso
    /// reads it as an RFC 3164 line without a header.
    #[test]
    fn incomplete_messages() {
        let events = decode(NL, 8192, b"<1>1\n<2>1\n");
        assert_eq!(events, [frame(b"<1>1"), frame(b"<2>1")]);
        assert_eq!(
            parse(&events[1]).map(|m| (m.rfc, m.severity, m.msg)),
            Ok((Rfc::Rfc3164, Some(2), "1"))
        );
        let events = decode(NL, 8192, b"<1>1 - - - - - - -\n<3>1\n");
        assert_eq!(parse(&events[0]).map(|m| m.msg), Ok("-"));
    }

    /// Only LF ends a frame: CR and NUL inside stay in the line. go-syslog can be told to
    /// end frames at NUL instead; sanso cannot, and a message with a line feed in it
    /// becomes two frames (use octet counting for multi-line messages).
    #[test]
    fn only_line_feed_ends_a_frame() {
        assert_eq!(
            decode(NL, 8192, b"<2>1 - - - - - - A\x00B\n"),
            [frame(b"<2>1 - - - - - - A\x00B")]
        );
        assert_eq!(
            decode(NL, 8192, b"<2>1 - - - - - - A\rB\r\n"),
            [frame(b"<2>1 - - - - - - A\rB")]
        );
        assert_eq!(
            decode(NL, 8192, b"<2>1 - - - - - - A\nB\n<1>1 -\n"),
            [frame(b"<2>1 - - - - - - A"), frame(b"B"), frame(b"<1>1 -")]
        );
        assert_eq!(
            decode(Framing::OctetCounting, 8192, b"20 <2>1 - - - - - - A\nB"),
            [frame(b"<2>1 - - - - - - A\nB")]
        );
    }

    #[test]
    fn blank_lines_are_not_frames() {
        assert_eq!(decode(NL, 8192, b"\n\r\n<1>1 -\n\n"), [frame(b"<1>1 -")]);
    }
}

/// rsyslog's `imtcp-octet-framing-too-long-vg.sh`: a length of hundreds of digits.
#[test]
fn absurd_length_does_not_cost_the_connection() {
    let script = std::fs::read_to_string(
        [
            env!("CARGO_MANIFEST_DIR"),
            "testdata",
            "syslog",
            "rsyslog-tests",
            "imtcp-octet-framing-too-long-vg.sh",
        ]
        .iter()
        .collect::<PathBuf>(),
    )
    .expect("script");
    let line = script
        .lines()
        .find_map(|l| {
            l.strip_prefix("echo \"")?
                .split_once("\" > ")
                .map(|(m, _)| m)
        })
        .expect("input line");
    assert!(line.len() > 1000 && line.ends_with("test5 ab"));
    let input = format!("{line}\n17 <13>1 - - - - - -");
    // Octet counting: an error, then back in step after the line feed.
    assert_eq!(
        decode(Framing::OctetCounting, 128, input.as_bytes()),
        [Event::Error("invalid length"), frame(b"<13>1 - - - - - -")]
    );
    // Auto: not a length, so a line, cut at the maximum.
    let events = decode(Framing::Auto, 128, input.as_bytes());
    assert_eq!(
        events,
        [
            truncated(&line.as_bytes()[..128]),
            frame(b"<13>1 - - - - - -")
        ]
    );
}

#[test]
fn auto_detects_per_frame() {
    let input = b"17 <13>1 - - - - - -<13>Oct 11 22:14:15 host app: hi\r\n2024-03-05T10:00:00+09:00 host app: iso\n3 abc";
    assert_eq!(
        decode(Framing::Auto, 1024, input),
        [
            frame(b"<13>1 - - - - - -"),
            frame(b"<13>Oct 11 22:14:15 host app: hi"),
            frame(b"2024-03-05T10:00:00+09:00 host app: iso"),
            frame(b"abc"),
        ]
    );
}

#[test]
fn overlong_lines_are_cut_once() {
    let input = b"abcdefghij\nkl\nmnopqrstuvwxyz";
    assert_eq!(
        decode(Framing::Newline, 4, input),
        [truncated(b"abcd"), frame(b"kl"), truncated(b"mnop")]
    );
    for reads in [[1, 2, 3], [5, 1, 7], [11, 3, 2]] {
        assert_eq!(
            decode_in_reads(Framing::Newline, 4, input, &reads),
            [truncated(b"abcd"), frame(b"kl"), truncated(b"mnop")]
        );
    }
}

/// The naive oracle for newline framing: split on LF, drop one CR before it, skip empty
/// lines, cut at `max`.
fn newline_oracle(input: &[u8], max: usize) -> Vec<Event> {
    input
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| Event::Frame(line[..line.len().min(max)].to_vec(), line.len() > max))
        .collect()
}

fn octet_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = format!("{} ", message.len()).into_bytes();
    framed.extend_from_slice(message);
    framed
}

fn reads() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..48, 1..16)
}

/// Line contents that newline framing returns unchanged: no LF, no trailing CR, not empty.
/// (Mapped rather than filtered, so proptest does not give up on rejected bytes.)
fn line_content() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..200).prop_map(|mut line| {
        for byte in &mut line {
            if *byte == b'\n' {
                *byte = b'.';
            }
        }
        if line.last() == Some(&b'\r') {
            line.push(b'.');
        }
        line
    })
}

proptest! {
    #[test]
    fn newline_frames_survive_any_reads(lines in proptest::collection::vec((line_content(), any::<bool>()), 0..20), reads in reads()) {
        let mut input = Vec::new();
        for (line, crlf) in &lines {
            input.extend_from_slice(line);
            input.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
        }
        let want: Vec<Event> = lines.iter().map(|(line, _)| frame(line)).collect();
        prop_assert_eq!(decode_in_reads(Framing::Newline, 1024, &input, &reads), want);
    }

    #[test]
    fn newline_framing_matches_the_oracle(input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'\0'), any::<u8>()], 0..300), max in 1usize..24, reads in reads()) {
        prop_assert_eq!(decode_in_reads(Framing::Newline, max, &input, &reads), newline_oracle(&input, max));
    }

    #[test]
    fn octet_frames_survive_any_reads(messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..200), 0..20), max in 1usize..256, reads in reads()) {
        let input: Vec<u8> = messages.iter().flat_map(|m| octet_frame(m)).collect();
        let want: Vec<Event> = messages.iter().map(|m| Event::Frame(m[..m.len().min(max)].to_vec(), m.len() > max)).collect();
        prop_assert_eq!(decode_in_reads(Framing::OctetCounting, max, &input, &reads), want.clone());
        prop_assert_eq!(decode_in_reads(Framing::Auto, max, &input, &reads), want);
    }

    #[test]
    fn auto_framing_mixes_both(frames in proptest::collection::vec((any::<bool>(), line_content()), 0..20), reads in reads()) {
        let mut input = Vec::new();
        let mut want = Vec::new();
        for (counted, message) in &frames {
            if *counted {
                input.extend(octet_frame(message));
                want.push(frame(message));
            } else if !message[0].is_ascii_digit() {
                input.extend_from_slice(message);
                input.push(b'\n');
                want.push(frame(message));
            }
        }
        prop_assert_eq!(decode_in_reads(Framing::Auto, 1024, &input, &reads), want);
    }

    /// Whatever arrives, no panic, the caller's buffer stays bounded, and the same events
    /// come out however the stream is read.
    #[test]
    fn any_stream_any_reads(input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b' '), Just(b'0'), Just(b'7'), any::<u8>()], 0..300), max in 1usize..64, reads in reads(), framing in prop_oneof![Just(Framing::Newline), Just(Framing::OctetCounting), Just(Framing::Auto)]) {
        let whole = decode_in_reads(framing, max, &input, &[input.len().max(1)]);
        prop_assert_eq!(decode_in_reads(framing, max, &input, &reads), whole);
    }
}
