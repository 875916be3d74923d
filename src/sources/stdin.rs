//! Standard input as a source: newline-framed lines until it ends.

use std::io::{BufRead, BufReader};

use super::{Chunk, Message, Sender};

/// Lines handed over at a time.
const CHUNK_LINES: usize = 1024;

/// Reads standard input on the calling thread until it ends or the channel closes.
pub fn read(source: usize, max_line: usize, tx: Sender) {
    // Our own buffer, so that we can tell when it runs dry and hand over what we have
    // instead of waiting for a full chunk from a slow writer.
    let mut reader = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut line = Vec::new();
    let mut chunk = Chunk::new(source, None);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                if !text.is_empty() {
                    chunk.push_at_most(text, max_line);
                }
            }
            Err(err) => {
                tracing::error!(%err, "reading standard input");
                break;
            }
        }
        if chunk.lines.len() >= CHUNK_LINES || reader.buffer().is_empty() {
            let full = std::mem::replace(&mut chunk, Chunk::new(source, None));
            if !full.is_empty() && tx.blocking_send(Message::Lines(full)).is_err() {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(Message::Lines(chunk));
    }
    tracing::info!("standard input ended");
}
