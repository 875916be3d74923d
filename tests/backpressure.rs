//! Back-pressure: when the lake writer falls behind, TCP intake slows the senders down
//! instead of dropping lines, memory stays bounded, and UDP, which cannot be slowed,
//! counts what it drops.

mod support;

use std::io::{BufWriter, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use support::{Server, failed_logon_line, peak_rss_kib, sql_count};

/// Lines sent over TCP; far more than the bound on sanso's memory below.
const TCP_LINES: usize = 600_000;

/// Peak resident memory sanso may reach while flooded.
const MEMORY_BOUND_KIB: u64 = 400 * 1024;

#[test]
fn a_slow_writer_holds_tcp_senders_back_and_udp_counts_its_drops() {
    let dir = tempfile::tempdir().unwrap();
    // A real knob: the lake's write rate capped, as on a disk shared with others. The
    // writer then falls far behind what loopback TCP can deliver.
    let server = Server::start_configured(
        dir.path(),
        "",
        &[],
        &[
            (
                "max_write_kib_per_second = 0",
                "max_write_kib_per_second = 256",
            ),
            ("flush_rows = 65536", "flush_rows = 20000"),
        ],
    );
    let port = server.syslog_port;
    let sender = std::thread::spawn(move || {
        let mut tcp =
            BufWriter::with_capacity(1 << 16, TcpStream::connect(("127.0.0.1", port)).unwrap());
        for n in 0..TCP_LINES {
            writeln!(tcp, "{}", failed_logon_line(n)).unwrap();
        }
        tcp.flush().unwrap();
    });

    // While TCP is held back, the ingest queue is full: UDP datagrams find no room.
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.metric("sanso_lines_received_total") < 50_000 {
        assert!(Instant::now() < deadline, "TCP lines do not arrive");
        std::thread::sleep(Duration::from_millis(50));
    }
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut udp_sent = 0;
    while server.metric("sanso_udp_dropped_total") == 0 {
        assert!(
            Instant::now() < deadline,
            "no UDP drop counted after {udp_sent} datagrams"
        );
        for _ in 0..5000 {
            udp.send_to(
                failed_logon_line(TCP_LINES + udp_sent).as_bytes(),
                ("127.0.0.1", port),
            )
            .unwrap();
            udp_sent += 1;
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    sender.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let tcp_rows = "SELECT count(*) FROM auth WHERE CAST(substr(user, 5) AS BIGINT) < 600000";
    while sql_count(&server.data, tcp_rows) < TCP_LINES as u64 {
        assert!(
            Instant::now() < deadline,
            "the TCP lines did not all arrive"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let peak = peak_rss_kib(server.child.id());
    eprintln!("peak RSS while flooded: {peak} KiB");
    let data = server.stop();
    assert_eq!(
        sql_count(&data, tcp_rows),
        TCP_LINES as u64,
        "a TCP line was repeated"
    );
    let distinct = sql_count(
        &data,
        "SELECT count(DISTINCT user) FROM auth WHERE CAST(substr(user, 5) AS BIGINT) < 600000",
    );
    assert_eq!(distinct, TCP_LINES as u64, "a TCP line was repeated");
    assert!(
        peak < MEMORY_BOUND_KIB,
        "peak RSS {peak} KiB over the bound of {MEMORY_BOUND_KIB} KiB"
    );
}
