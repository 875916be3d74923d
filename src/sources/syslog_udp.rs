//! Syslog over UDP: one message per datagram.
//!
//! UDP cannot slow a sender down, so when sanso falls behind, datagrams are lost in one
//! of two places, and both are counted in `sanso_udp_dropped_total`: here, when the
//! queue to the ingest thread is full (`reason="queue_full"`), and in the kernel, when
//! the socket's receive buffer overflows before this task reads it
//! (`reason="socket_buffer"`, read from the socket's `drops` column of `/proc/net/udp`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus::IntCounter;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;

use super::{Chunk, Message, Sender};
use crate::metrics::Metrics;

/// The largest datagram a UDP syslog sender can produce.
const MAX_DATAGRAM: usize = 65_535;

/// How often the kernel's drop counter of the socket is read.
const KERNEL_POLL: Duration = Duration::from_secs(1);

/// Receives datagrams until the channel closes.
pub async fn serve(
    socket: UdpSocket,
    source: usize,
    tx: Sender,
    metrics: Metrics,
) -> std::io::Result<()> {
    let queue_full = metrics.udp_dropped.with_label_values(&["queue_full"]);
    let mut kernel = KernelDrops::of(
        &socket,
        metrics.udp_dropped.with_label_values(&["socket_buffer"]),
    );
    let mut poll = tokio::time::interval(KERNEL_POLL);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut last_peer: Option<(std::net::SocketAddr, Arc<str>)> = None;
    loop {
        // `recv_from` is cancel-safe: a datagram is either returned or left queued.
        let (len, addr) = tokio::select! {
            received = socket.recv_from(&mut buf) => received?,
            _ = poll.tick() => {
                kernel.update();
                continue;
            }
        };
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
            Err(TrySendError::Full(_)) => queue_full.inc(),
            Err(TrySendError::Closed(_)) => return Ok(()),
        }
    }
}

/// The kernel's count of datagrams dropped on one socket, carried into a counter.
struct KernelDrops {
    /// `/proc/net/udp` or `/proc/net/udp6`, and the socket's inode; `None` where the
    /// kernel does not tell (no procfs).
    socket: Option<(&'static str, u64)>,
    seen: u64,
    counter: IntCounter,
}

impl KernelDrops {
    fn of(socket: &UdpSocket, counter: IntCounter) -> Self {
        let table = match socket.local_addr() {
            Ok(SocketAddr::V4(_)) => "/proc/net/udp",
            Ok(SocketAddr::V6(_)) => "/proc/net/udp6",
            Err(_) => {
                return KernelDrops {
                    socket: None,
                    seen: 0,
                    counter,
                };
            }
        };
        let socket = socket_inode(socket).map(|inode| (table, inode));
        let seen = socket
            .and_then(|(table, inode)| kernel_drops(table, inode))
            .unwrap_or(0);
        KernelDrops {
            socket,
            seen,
            counter,
        }
    }

    fn update(&mut self) {
        let Some((table, inode)) = self.socket else {
            return;
        };
        if let Some(drops) = kernel_drops(table, inode) {
            self.counter.inc_by(drops.saturating_sub(self.seen));
            self.seen = self.seen.max(drops);
        }
    }
}

#[cfg(unix)]
fn socket_inode(socket: &UdpSocket) -> Option<u64> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/self/fd/{}", socket.as_raw_fd()))
        .ok()
        .map(|meta| meta.ino())
}

#[cfg(not(unix))]
fn socket_inode(_: &UdpSocket) -> Option<u64> {
    None
}

/// The `drops` column of the socket with `inode` in a `/proc/net/udp`-style table.
fn kernel_drops(table: &str, inode: u64) -> Option<u64> {
    parse_drops(&std::fs::read_to_string(table).ok()?, inode)
}

/// Finds the row of `inode` (the tenth column) and reads its `drops` (the thirteenth).
fn parse_drops(table: &str, inode: u64) -> Option<u64> {
    table.lines().skip(1).find_map(|row| {
        let columns: Vec<&str> = row.split_whitespace().collect();
        if columns.get(9)?.parse::<u64>().ok()? != inode {
            return None;
        }
        columns.get(12)?.parse().ok()
    })
}

fn trim_trailer(mut datagram: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r' | 0] = datagram {
        datagram = rest;
    }
    datagram
}

#[cfg(test)]
mod tests {
    use super::{parse_drops, trim_trailer};

    #[test]
    fn drops_are_read_from_the_row_of_the_socket() {
        let table = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1234: 0100007F:1572 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0
 1235: 0100007F:1573 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 5151 2 0000000000000000 17
";
        assert_eq!(parse_drops(table, 5151), Some(17));
        assert_eq!(parse_drops(table, 4242), Some(0));
        assert_eq!(parse_drops(table, 9), None);
    }

    #[test]
    fn trailers_are_trimmed_but_inner_bytes_kept() {
        assert_eq!(trim_trailer(b"a\r\n\0"), b"a");
        assert_eq!(trim_trailer(b"a\nb\n"), b"a\nb");
        assert_eq!(trim_trailer(b"\n"), b"");
    }
}
