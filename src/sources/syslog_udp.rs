//! Syslog over UDP: one message per datagram.
//!
//! UDP cannot slow a sender down, so when sanso falls behind, datagrams are lost in one
//! of two places, and both are counted in `sanso_udp_dropped_total`: here, when the
//! queue to the ingest thread is full (`reason="queue_full"`), and in the kernel, when
//! the socket's receive buffer overflows before this task reads it
//! (`reason="socket_buffer"`, read from the socket's `drops` column of `/proc/net/udp`).
//!
//! Both places are made roomy: the socket asks the kernel for a large receive buffer,
//! and the datagrams waiting in it travel to the ingest thread as one chunk, so that
//! the queue's slots hold bursts rather than single lines.

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

/// The receive buffer asked of the kernel: thousands of syslog lines, so that a pause of
/// a second in reading (a flush's `fsync`, a busy CPU) loses none of them. Linux grants
/// at most `net.core.rmem_max`.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Datagrams already waiting are gathered into one chunk up to this many bytes.
const CHUNK_BYTES: usize = 64 * 1024;

/// Binds the listener on `listen` with as large a receive buffer as the kernel grants,
/// and logs what it got: a warning, naming the sysctl to raise, where that is less than
/// [`RECEIVE_BUFFER`].
pub async fn bind(listen: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind(listen).await?;
    match enlarge_receive_buffer(&socket) {
        Ok(granted) if granted >= RECEIVE_BUFFER => {
            tracing::info!(%listen, receive_buffer = granted, "listening for syslog over UDP");
        }
        Ok(granted) => tracing::warn!(
            %listen,
            receive_buffer = granted,
            "listening for syslog over UDP with a small receive buffer: bursts may be dropped (raise net.core.rmem_max to {RECEIVE_BUFFER} or more)"
        ),
        Err(err) => tracing::warn!(
            %listen,
            "listening for syslog over UDP, with the kernel's default receive buffer: {err}"
        ),
    }
    Ok(socket)
}

/// Asks the kernel for a [`RECEIVE_BUFFER`]-byte receive buffer on `socket` and returns
/// the bytes granted, fewer where `net.core.rmem_max` is lower.
pub fn enlarge_receive_buffer(socket: &UdpSocket) -> std::io::Result<usize> {
    let socket = socket2::SockRef::from(socket);
    socket.set_recv_buffer_size(RECEIVE_BUFFER)?;
    let reported = socket.recv_buffer_size()?;
    // Linux reports twice what it grants, the other half being room for its bookkeeping.
    Ok(if cfg!(target_os = "linux") {
        reported / 2
    } else {
        reported
    })
}

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
    let mut peers = PeerNames::default();
    loop {
        // `recv_from` is cancel-safe: a datagram is either returned or left queued.
        let (len, addr) = tokio::select! {
            received = socket.recv_from(&mut buf) => received?,
            _ = poll.tick() => {
                kernel.update();
                continue;
            }
        };
        let mut chunk = Chunk::new(source, Some(peers.name(addr)));
        push_datagram(&mut chunk, &buf[..len]);
        while chunk.data.len() < CHUNK_BYTES {
            let (len, addr) = match socket.try_recv_from(&mut buf) {
                Ok(received) => received,
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(err) => return Err(err),
            };
            let peer = peers.name(addr);
            if chunk.peer.as_ref() != Some(&peer) {
                let earlier = std::mem::replace(&mut chunk, Chunk::new(source, Some(peer)));
                if !send(&tx, earlier, &queue_full) {
                    return Ok(());
                }
            }
            push_datagram(&mut chunk, &buf[..len]);
        }
        if !send(&tx, chunk, &queue_full) {
            return Ok(());
        }
    }
}

/// Adds one datagram's line to `chunk`. Senders often end a datagram with a newline or a
/// NUL; neither is part of the line, and a datagram of nothing else carries none.
fn push_datagram(chunk: &mut Chunk, datagram: &[u8]) {
    let line = trim_trailer(datagram);
    if !line.is_empty() {
        chunk.push(line);
    }
}

/// Hands `chunk` to the ingest thread, or counts its lines as dropped when the queue is
/// full. Returns false once the ingest thread is gone.
fn send(tx: &Sender, chunk: Chunk, queue_full: &IntCounter) -> bool {
    if chunk.is_empty() {
        return true;
    }
    let lines = chunk.lines.len() as u64;
    match tx.try_send(Message::Lines(chunk)) {
        Ok(()) => true,
        Err(TrySendError::Full(_)) => {
            queue_full.inc_by(lines);
            true
        }
        Err(TrySendError::Closed(_)) => false,
    }
}

/// The text of the last sender's address, kept while datagrams come from it.
#[derive(Default)]
struct PeerNames {
    last: Option<(SocketAddr, Arc<str>)>,
}

impl PeerNames {
    fn name(&mut self, addr: SocketAddr) -> Arc<str> {
        match &self.last {
            Some((last, text)) if *last == addr => text.clone(),
            _ => {
                let text: Arc<str> = Arc::from(addr.ip().to_string());
                self.last = Some((addr, text.clone()));
                text
            }
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
    use std::net::UdpSocket as StdUdpSocket;
    use std::time::Duration;

    use tokio::net::UdpSocket;
    use tokio::sync::mpsc;

    use super::{
        Message, RECEIVE_BUFFER, enlarge_receive_buffer, parse_drops, serve, trim_trailer,
    };
    use crate::metrics::Metrics;

    /// Sends `count` numbered lines from `from`, each ending as senders often do.
    fn send_lines(from: &StdUdpSocket, to: std::net::SocketAddr, name: &str, count: usize) {
        for n in 0..count {
            from.send_to(format!("<13>{name} line {n}\n").as_bytes(), to)
                .unwrap();
        }
    }

    /// A receiving socket, bound before anything is sent, so that what is sent waits in
    /// its buffer (enlarged, as `sanso run` does) until `serve` starts.
    fn receiver() -> (UdpSocket, std::net::SocketAddr) {
        let socket = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let addr = socket.local_addr().unwrap();
        let socket = UdpSocket::from_std(socket).unwrap();
        enlarge_receive_buffer(&socket).unwrap();
        (socket, addr)
    }

    #[tokio::test]
    async fn waiting_datagrams_travel_as_one_chunk_per_sender_in_order() {
        let (socket, addr) = receiver();
        let first = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        let second = StdUdpSocket::bind("127.0.0.2:0").unwrap();
        send_lines(&first, addr, "a", 300);
        second.send_to(b"\n", addr).unwrap();
        send_lines(&second, addr, "b", 5);
        send_lines(&first, addr, "c", 10);

        let (tx, mut rx) = mpsc::channel(16);
        let metrics = Metrics::new();
        let task = tokio::spawn(serve(socket, 3, tx, metrics.clone()));
        let mut chunks = Vec::new();
        let mut received = 0;
        while received < 315 {
            let next = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
            let Ok(Some(Message::Lines(chunk))) = next else {
                panic!("{received} lines arrived, then nothing: {chunks:?}");
            };
            assert_eq!(chunk.source, 3);
            let lines: Vec<String> = chunk
                .lines
                .iter()
                .map(|range| String::from_utf8(chunk.data[range.clone()].to_vec()).unwrap())
                .collect();
            received += lines.len();
            chunks.push((chunk.peer.as_deref().unwrap().to_owned(), lines));
        }
        task.abort();

        let expected = |name: &str, count: usize| -> Vec<String> {
            (0..count).map(|n| format!("<13>{name} line {n}")).collect()
        };
        // The empty datagram carries no line, but it ends the first sender's chunk.
        assert_eq!(
            chunks,
            [
                ("127.0.0.1".to_owned(), expected("a", 300)),
                ("127.0.0.2".to_owned(), expected("b", 5)),
                ("127.0.0.1".to_owned(), expected("c", 10)),
            ]
        );
        let dropped = metrics.udp_dropped.with_label_values(&["queue_full"]).get();
        assert_eq!(dropped, 0);
    }

    #[tokio::test]
    async fn a_chunk_the_full_queue_refuses_counts_each_of_its_lines() {
        let (socket, addr) = receiver();
        let sender = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        send_lines(&sender, addr, "a", 51);

        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(Message::Tick).unwrap();
        let metrics = Metrics::new();
        let task = tokio::spawn(serve(socket, 0, tx, metrics.clone()));
        let dropped = metrics.udp_dropped.with_label_values(&["queue_full"]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while dropped.get() < 51 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} dropped",
                dropped.get()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        task.abort();
        assert_eq!(dropped.get(), 51);
        assert!(matches!(rx.recv().await, Some(Message::Tick)));
    }

    #[tokio::test]
    async fn the_receive_buffer_is_as_large_as_the_kernel_allows() {
        let (socket, _) = receiver();
        let granted = enlarge_receive_buffer(&socket).unwrap();
        let limit: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(granted, RECEIVE_BUFFER.min(limit));
    }

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
