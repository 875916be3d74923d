//! Syslog over UDP: one message per datagram.

use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;

use super::{Chunk, Message, Sender};
use crate::metrics::Metrics;

/// The largest datagram a UDP syslog sender can produce.
const MAX_DATAGRAM: usize = 65_535;

/// Receives datagrams until the channel closes.
pub async fn serve(
    socket: UdpSocket,
    source: usize,
    tx: Sender,
    metrics: Metrics,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut last_peer: Option<(std::net::SocketAddr, Arc<str>)> = None;
    loop {
        let (len, addr) = socket.recv_from(&mut buf).await?;
        // Senders often end a datagram with a newline or a NUL; neither is part of it.
        let datagram = trim_trailer(&buf[..len]);
        if datagram.is_empty() {
            continue;
        }
        let peer = match &last_peer {
            Some((last, text)) if *last == addr => text.clone(),
            _ => {
                let text: Arc<str> = Arc::from(addr.ip().to_string());
                last_peer = Some((addr, text.clone()));
                text
            }
        };
        let mut chunk = Chunk::new(source, Some(peer));
        chunk.push(datagram);
        match tx.try_send(Message::Lines(chunk)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => metrics.udp_dropped.inc(),
            Err(TrySendError::Closed(_)) => return Ok(()),
        }
    }
}

fn trim_trailer(mut datagram: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | 0] = datagram {
        datagram = rest;
    }
    datagram
}

#[cfg(test)]
mod tests {
    use super::trim_trailer;

    #[test]
    fn trailers_are_trimmed_but_inner_bytes_kept() {
        assert_eq!(trim_trailer(b"a\r\n\0"), b"a");
        assert_eq!(trim_trailer(b"a\nb\n"), b"a\nb");
        assert_eq!(trim_trailer(b"\n"), b"");
    }
}
