//! kill -9 at random moments: during `sanso import` of a large file and during `sanso run`
//! following one, the lake stays readable after every kill and, once the work is done,
//! holds every line exactly once. During syslog TCP intake, what may be lost is bounded
//! by the flush interval, and the next start reports it.

mod support;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rand::{Rng, SeedableRng};
use support::{Server, failed_logon_line, sanso, sql_count};

fn append(path: &Path, range: std::ops::Range<usize>) {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut out = BufWriter::new(file);
    for n in range {
        writeln!(out, "{}", failed_logon_line(n)).unwrap();
    }
    out.flush().unwrap();
}

/// A generator whose seed is printed, so that a failing sequence of kills can be replayed
/// with `SANSO_CRASH_SEED`.
fn rng() -> rand_chacha::ChaCha8Rng {
    let seed = std::env::var("SANSO_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("kill moments from SANSO_CRASH_SEED={seed}");
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// The visible Parquet files of the lake.
fn lake_files(data: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                walk(&path, out);
            } else if !name.to_string_lossy().starts_with('.')
                && path.extension().is_some_and(|e| e == "parquet")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(data, &mut files);
    files
}

/// Every visible Parquet file opens and reads to its end: no partial file is visible.
/// Returns the rows of the event tables, one per line read; the rules' alerts are not
/// lines.
fn assert_lake_readable(data: &Path) -> usize {
    let mut rows = 0;
    for path in lake_files(data) {
        let is_alert = path
            .strip_prefix(data)
            .is_ok_and(|p| p.starts_with("alerts"));
        // A file that compaction replaced may go between listing and opening.
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => panic!("{} does not open: {err}", path.display()),
        };
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()))
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap_or_else(|e| panic!("{} does not read: {e}", path.display()));
            if !is_alert {
                rows += batch.num_rows();
            }
        }
    }
    rows
}

/// Every line of `log` is in the auth table exactly once, by count and by its source
/// id (`file:<path>:<line number>`).
fn assert_every_line_once(data: &Path, log: &Path, lines: usize) {
    let prefix = format!("file:{}:", log.display());
    let query = format!(
        "SELECT count(*), count(DISTINCT source) FROM auth WHERE starts_with(source, '{prefix}')"
    );
    let row = &support::sql_rows(data, &query)[0];
    assert_eq!(
        row,
        &format!("{lines},{lines}"),
        "count, distinct source ids"
    );
    assert_eq!(
        sql_count(data, "SELECT count(*) FROM auth"),
        lines as u64,
        "no row from elsewhere"
    );
}

fn config_with(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/default-config.toml"
    ))
    .unwrap();
    for (from, to) in edits {
        assert!(config.contains(from), "the configuration has no {from:?}");
        config = config.replace(from, to);
    }
    let path = dir.join("sanso.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn kill_9_during_import_resumes_and_keeps_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let lines = 120_000;
    append(&log, 0..lines);
    // Small flushes, so that a kill lands between, before and inside many of them.
    let config = config_with(dir.path(), &[("flush_rows = 65536", "flush_rows = 5000")]);
    let data = dir.path().join("lake");
    let import = || {
        let mut command = sanso();
        command
            .args(["--config", config.to_str().unwrap()])
            .args(["--data", data.to_str().unwrap(), "import"])
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    let mut rng = rng();
    let mut interrupted = 0;
    for _ in 0..6 {
        let files_before = lake_files(&data).len();
        let mut child = import().spawn().unwrap();
        // Let this run commit something, then kill it a random moment later.
        let deadline = Instant::now() + Duration::from_secs(120);
        while lake_files(&data).len() == files_before && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..400)));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        let rows = assert_lake_readable(&data);
        assert!(rows <= lines, "{rows} rows from {lines} lines after a kill");
        if finished {
            break;
        }
        interrupted += 1;
    }
    assert!(interrupted > 0, "no import was interrupted");
    let resumed = import().stderr(Stdio::piped()).output().unwrap();
    assert!(
        resumed.status.success(),
        "the resumed import failed: {}\n{}",
        resumed.status,
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_lake_readable(&data);
    assert_every_line_once(&data, &log, lines);

    // Lines appended since are imported, and only they.
    append(&log, lines..lines + 10);
    assert!(import().status().unwrap().success());
    assert_every_line_once(&data, &log, lines + 10);
}

#[test]
fn kill_9_while_following_a_file_keeps_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let source = format!(
        "[[sources]]\nkind = \"file\"\npath = \"{}\"\n",
        log.display()
    );
    let mut rng = rng();
    let mut written = 0;
    for _ in 0..5 {
        let mut server = Server::start(dir.path(), &source);
        let data = server.data.clone();
        let bursts = rng.random_range(1..6);
        for _ in 0..bursts {
            let burst = rng.random_range(1..3000);
            append(&log, written..written + burst);
            written += burst;
            std::thread::sleep(Duration::from_millis(rng.random_range(0..300)));
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        assert_lake_readable(&data);
    }
    let server = Server::start(dir.path(), &source);
    let deadline = Instant::now() + Duration::from_secs(120);
    while assert_lake_readable(&server.data) < written {
        assert!(Instant::now() < deadline, "the lines did not all arrive");
        std::thread::sleep(Duration::from_millis(200));
    }
    let data = server.stop();
    assert_every_line_once(&data, &log, written);
}

/// The run state `sanso run` keeps for the next start.
fn run_state(data: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(data.join("_sanso/run-state.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

#[test]
fn kill_9_during_tcp_intake_is_reported_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    // A flush interval far longer than the test: lines received stay unwritten.
    let slow_flush = [("flush_interval_ms = 300", "flush_interval_ms = 600000")];
    let mut server = Server::start_configured(dir.path(), "", &[], &slow_flush);
    let data = server.data.clone();
    let mut tcp = TcpStream::connect(("127.0.0.1", server.syslog_port)).unwrap();
    for n in 0..1000 {
        writeln!(tcp, "{}", failed_logon_line(n)).unwrap();
    }
    tcp.flush().unwrap();
    server.wait_for_lines(1000);
    // The state file says so within a heartbeat.
    let deadline = Instant::now() + Duration::from_secs(120);
    while run_state(&data)["unflushed_lines"] != 1000 {
        assert!(Instant::now() < deadline, "run state: {}", run_state(&data));
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = server.child.id();
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    server.child.wait().unwrap();
    drop(server);
    assert_eq!(sql_count(&data, "SELECT count(*) FROM auth"), 0);

    let server = Server::start_configured(dir.path(), "", &[], &slow_flush);
    assert_eq!(server.metric("sanso_previous_run_unclean"), 1);
    assert_eq!(server.metric("sanso_previous_run_unflushed_lines"), 1000);
    let start = server.metric("sanso_previous_run_loss_window_start_seconds");
    let end = server.metric("sanso_previous_run_loss_window_end_seconds");
    assert!(start > 0 && start <= end, "window {start}..{end}");
    // A clean stop is not reported.
    server.stop();
    let server = Server::start_configured(dir.path(), "", &[], &slow_flush);
    assert_eq!(server.metric("sanso_previous_run_unclean"), 0);
    server.stop();
}
