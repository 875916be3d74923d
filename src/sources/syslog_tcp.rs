//! Syslog over TCP (RFC 6587 framing), and the stream reader TLS shares.

use std::sync::Arc;

use sanso_ingest::framing::{Decoded, FrameDecoder, Framing};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Chunk, Message, Sender};
use crate::metrics::Metrics;

/// Connections served at once per listener; further ones wait in the accept queue.
pub const MAX_CONNECTIONS: usize = 1024;

/// Bytes read from a socket at a time.
const READ_SIZE: usize = 64 * 1024;

/// How a stream listener frames and labels what it reads.
#[derive(Clone)]
pub struct StreamSettings {
    /// Index of the source.
    pub source: usize,
    /// Framing of the byte stream.
    pub framing: Framing,
    /// Longest frame kept whole.
    pub max_line: usize,
}

/// Accepts connections until the channel closes, each served by its own task.
pub async fn serve(
    listener: TcpListener,
    settings: StreamSettings,
    tx: Sender,
    metrics: Metrics,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, addr) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (settings, tx, metrics) = (settings.clone(), tx.clone(), metrics.clone());
        tokio::spawn(async move {
            let peer: Arc<str> = Arc::from(addr.ip().to_string());
            if let Err(err) = read_frames(stream, &settings, Some(peer), &tx, &metrics).await {
                tracing::debug!(%addr, %err, "syslog connection ended with an error");
            }
            drop(permit);
        });
    }
}

/// Reads frames from one stream until it ends, sending one chunk per read.
///
/// Waiting on the bounded channel here is what turns a slow lake into TCP back-pressure:
/// while this task waits, it does not read, the socket's receive window fills and the
/// sender's writes block.
pub async fn read_frames<S: AsyncRead + Unpin>(
    mut stream: S,
    settings: &StreamSettings,
    peer: Option<Arc<str>>,
    tx: &Sender,
    metrics: &Metrics,
) -> std::io::Result<()> {
    let mut decoder = FrameDecoder::new(settings.framing, settings.max_line);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_SIZE * 2);
    let mut start = 0;
    loop {
        if start > 0 && start >= buf.len() / 2 {
            buf.drain(..start);
            start = 0;
        }
        let filled = buf.len();
        buf.resize(filled + READ_SIZE, 0);
        let read = stream.read(&mut buf[filled..]).await?;
        buf.truncate(filled + read);

        let mut chunk = Chunk::new(settings.source, peer.clone());
        if read == 0 {
            if let Some(frame) = decoder.finish(&buf[start..]) {
                chunk.push(&buf[start..][frame.line]);
                chunk.truncated += u64::from(frame.truncated);
            }
            send(chunk, tx).await;
            return Ok(());
        }
        loop {
            match decoder.next_frame(&buf[start..]) {
                Ok(Decoded::Frame(frame)) => {
                    chunk.push(&buf[start..][frame.line.clone()]);
                    chunk.truncated += u64::from(frame.truncated);
                    start += frame.consumed;
                }
                Ok(Decoded::Skip(bytes)) => start += bytes,
                Ok(Decoded::NeedMore) => break,
                Err(err) => {
                    // Keep the bytes: they go on as a line of their own and land in
                    // `unparsed` unless they parse after all.
                    metrics.framing_errors.inc();
                    let skip = err.skip().min(buf.len() - start);
                    let bad = &buf[start..start + skip];
                    chunk.push(bad.strip_suffix(b"\n").unwrap_or(bad));
                    start += skip;
                }
            }
        }
        if !send(chunk, tx).await {
            return Ok(());
        }
    }
}

/// Sends a chunk if it holds lines; false once the pipeline has shut down.
async fn send(chunk: Chunk, tx: &Sender) -> bool {
    chunk.is_empty() || tx.send(Message::Lines(chunk)).await.is_ok()
}
