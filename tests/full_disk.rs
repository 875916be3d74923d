//! A full disk: on a small tmpfs holding the lake, ingest stops cleanly with a clear error
//! (log, metric, `/health`), writes no partial file, holds TCP senders back, and resumes
//! with every line once space returns. Needs root, to mount the tmpfs.

mod support;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{Server, failed_logon_line, sql_count, wait_until};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("running mount");
        assert!(
            status.success(),
            "mount -t tmpfs failed (the test needs root)"
        );
        Tmpfs(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.0).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            // Still busy (a process that outlived a failed test): detach it now, and the
            // kernel frees it when the last user goes.
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Fills the filesystem of `path` to the last byte.
fn fill(path: &Path) {
    let mut file = File::create(path).unwrap();
    let block = vec![0xa5u8; 64 * 1024];
    loop {
        if file.write_all(&block).is_err() {
            break;
        }
    }
    // The last partial block, byte by byte ranges.
    for size in [4096, 512, 1] {
        while file.write_all(&block[..size]).is_ok() {}
    }
}

/// Visible Parquet files and hidden temporary ones, under `dir`.
fn lake_files(dir: &Path, visible: &mut Vec<PathBuf>, hidden: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            lake_files(&path, visible, hidden);
        } else if entry.file_name().to_string_lossy().starts_with('.') {
            hidden.push(path);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            visible.push(path);
        }
    }
}

const LINES: usize = 800_000;

#[test]
fn a_full_disk_pauses_ingest_and_it_resumes_with_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let mount = Tmpfs::mount(&dir.path().join("small"), "64m");
    let server = Server::start(&mount.0, "");
    let filler = mount.0.join("filler");
    fill(&filler);

    let port = server.syslog_port;
    let sent = Arc::new(AtomicBool::new(false));
    let done = sent.clone();
    let sender = std::thread::spawn(move || {
        let mut tcp = BufWriter::new(TcpStream::connect(("127.0.0.1", port)).unwrap());
        for n in 0..LINES {
            writeln!(tcp, "{}", failed_logon_line(n)).unwrap();
        }
        tcp.flush().unwrap();
        done.store(true, Ordering::SeqCst);
    });

    // The failure is reported where an operator looks.
    let deadline = Instant::now() + Duration::from_secs(120);
    let health = loop {
        let health = server.http_get("/health").unwrap_or_default();
        if health.contains("ingest paused") {
            break health;
        }
        assert!(Instant::now() < deadline, "/health says {health:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.contains("No space left on device"), "{health}");
    assert_eq!(server.metric("sanso_lake_write_stalled"), 1);
    assert!(server.metric("sanso_lake_write_errors_total") >= 1);
    // Senders are held back rather than their lines dropped or buffered without bound.
    let received = server.metric("sanso_lines_received_total");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        server.metric("sanso_lines_received_total"),
        received,
        "ingest went on"
    );
    assert!(!sent.load(Ordering::SeqCst), "the sender was not held back");
    // A retry may be writing its temporary file right now, and encoding a row group can
    // take seconds before the write that fails. Every retry names a new file, so one
    // still there once the retry in progress has failed was left behind.
    let (mut visible, mut hidden) = (Vec::new(), Vec::new());
    lake_files(&server.data, &mut visible, &mut hidden);
    let failures = server.metric("sanso_lake_write_errors_total");
    wait_until("the next retry", || {
        server.metric("sanso_lake_write_errors_total") > failures
    });
    let (mut visible, mut hidden_later) = (Vec::new(), Vec::new());
    lake_files(&server.data, &mut visible, &mut hidden_later);
    hidden.retain(|path| hidden_later.contains(path));
    assert!(hidden.is_empty(), "temporary files left behind: {hidden:?}");

    // Space returns: ingest resumes by itself and every line arrives, once.
    std::fs::remove_file(&filler).unwrap();
    sender.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while sql_count(&server.data, "SELECT count(*) FROM auth") < LINES as u64 {
        assert!(Instant::now() < deadline, "the lines did not all arrive");
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(server.http_get("/health").unwrap_or_default(), "ok\n");
    assert_eq!(server.metric("sanso_lake_write_stalled"), 0);
    let data = server.stop();
    assert_eq!(
        sql_count(&data, "SELECT count(DISTINCT user) FROM auth"),
        LINES as u64
    );
    assert_eq!(sql_count(&data, "SELECT count(*) FROM auth"), LINES as u64);
    let (mut visible, mut hidden) = (Vec::new(), Vec::new());
    lake_files(&data, &mut visible, &mut hidden);
    assert!(hidden.is_empty(), "temporary files left behind: {hidden:?}");
    drop(mount);
}
