//! The TCP frame decoder, fed the way a connection feeds it: bytes arrive in pieces of a
//! size the input picks, the caller keeps what was not consumed and appends the next
//! piece. The first byte picks the framing (newline, octet counting, auto), the second
//! the maximum frame length, the third the piece size.
//!
//! Whatever the bytes: no panic, every frame lies within the buffer and within the
//! maximum length, the buffer never grows past one maximum frame plus one piece (memory
//! stays bounded whatever the peer sends), and the frames do not depend on how the
//! stream was cut into pieces: they are the same as when it all arrives at once.

use std::ops::Range;

use sanso_ingest::framing::{Decoded, FrameDecoder, Framing};

/// Runs one input.
pub fn run(data: &[u8]) {
    let [framing, max_len, piece, stream @ ..] = data else {
        return;
    };
    let framing = match framing % 3 {
        0 => Framing::Newline,
        1 => Framing::OctetCounting,
        _ => Framing::Auto,
    };
    let max_frame_len = 1 + usize::from(*max_len);
    let piece = 1 + usize::from(*piece);
    let in_pieces = decode(framing, max_frame_len, stream, piece);
    let at_once = decode(framing, max_frame_len, stream, stream.len().max(1));
    assert_eq!(
        in_pieces, at_once,
        "the frames depend on how the stream was cut"
    );
}

/// The frames of `stream`, each as its bytes and whether it was cut, when it arrives
/// `piece` bytes at a time; also checks the decoder's contract on every call.
fn decode(
    framing: Framing,
    max_frame_len: usize,
    stream: &[u8],
    piece: usize,
) -> Vec<Result<(Vec<u8>, bool), usize>> {
    let mut decoder = FrameDecoder::new(framing, max_frame_len);
    let mut frames = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for chunk in stream.chunks(piece) {
        buf.extend_from_slice(chunk);
        loop {
            let dropped = match decoder.next_frame(&buf) {
                Ok(Decoded::Frame(frame)) => {
                    assert!(within(&frame.line, frame.consumed, buf.len()), "{frame:?}");
                    assert!(frame.line.len() <= max_frame_len, "{frame:?}");
                    frames.push(Ok((buf[frame.line].to_vec(), frame.truncated)));
                    frame.consumed
                }
                Ok(Decoded::Skip(n)) => {
                    assert!(n > 0 && n <= buf.len(), "skip {n} of {}", buf.len());
                    n
                }
                Ok(Decoded::NeedMore) => break,
                Err(err) => {
                    assert!(err.skip() > 0 && err.skip() <= buf.len(), "{err:?}");
                    // Which bytes an error drops may depend on what has arrived; that
                    // one was reported does not.
                    frames.push(Err(0));
                    err.skip()
                }
            };
            buf.drain(..dropped);
        }
        // What waits for more is at most a frame's worth of header and body; the
        // decoder skips the rest of an over-long frame instead of buffering it.
        assert!(
            buf.len() <= max_frame_len + piece + 32,
            "{} bytes buffered with frames of at most {max_frame_len}",
            buf.len()
        );
    }
    if let Some(frame) = decoder.finish(&buf) {
        assert!(within(&frame.line, frame.consumed, buf.len()), "{frame:?}");
        assert!(frame.line.len() <= max_frame_len, "{frame:?}");
        frames.push(Ok((buf[frame.line].to_vec(), frame.truncated)));
    }
    frames
}

fn within(line: &Range<usize>, consumed: usize, len: usize) -> bool {
    line.start <= line.end && line.end <= consumed && consumed <= len
}
