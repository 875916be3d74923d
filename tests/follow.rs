//! Followed files: rotation, truncation, restarts and kill -9 never skip or repeat a line.

mod support;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use support::{Server, failed_logon_line, sql_rows, wait_until};

fn append(path: &Path, range: std::ops::Range<usize>) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for n in range {
        writeln!(file, "{}", failed_logon_line(n)).unwrap();
    }
}

fn file_source(path: &Path) -> String {
    format!(
        "[[sources]]\nkind = \"file\"\npath = \"{}\"\n",
        path.display()
    )
}

/// The `user<N>` numbers in the lake, sorted, duplicates kept.
fn users_in_lake(data: &Path) -> Vec<usize> {
    let mut users: Vec<usize> = sql_rows(data, "SELECT user FROM auth")
        .iter()
        .map(|u| u.trim_start_matches("user").parse().unwrap())
        .collect();
    users.sort_unstable();
    users
}

#[test]
fn rotation_truncation_and_restart_keep_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    append(&log, 0..100);
    // A last line still being written when sanso starts.
    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"Nov 20 09:59:59 srv-core01 sshd[7]: Failed password for user")
        .unwrap();

    let server = Server::start(dir.path(), &file_source(&log));
    wait_until("the first 100 lines", || {
        server.metric("sanso_lines_received_total") >= 100
    });
    // Finish the half line, then rotate the way logrotate does: rename, new file.
    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"100 from 10.20.1.5 port 1 ssh2\n")
        .unwrap();
    append(&log, 101..150);
    std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
    append(&log, 150..200);
    wait_until("the rotated lines", || {
        server.metric("sanso_lines_received_total") >= 200
    });
    let data = server.stop();
    assert_eq!(users_in_lake(&data), (0..200).collect::<Vec<_>>());

    // Lines written while sanso is down, across another rotation, are picked up on start.
    append(&log, 200..220);
    std::fs::rename(&log, dir.path().join("auth.log.1")).unwrap();
    append(&log, 220..240);
    let server = Server::start(dir.path(), &file_source(&log));
    wait_until("the lines written while down", || {
        server.metric("sanso_lines_received_total") >= 40
    });
    // copytruncate: the file is emptied in place and starts again.
    std::fs::write(&log, "").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    append(&log, 240..250);
    wait_until("the lines after truncation", || {
        server.metric("sanso_lines_received_total") >= 50
    });
    let data = server.stop();
    assert_eq!(users_in_lake(&data), (0..250).collect::<Vec<_>>());
    let sources = sql_rows(&data, "SELECT source FROM auth WHERE user = 'user5'");
    assert_eq!(sources, [format!("file:{}:6", log.display())]);
}

#[test]
fn an_overlong_line_is_cut_counted_and_the_next_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let server = Server::start(dir.path(), &file_source(&log));
    // Over 1 MiB, the followed files' limit, and no newline yet: the cut happens
    // before the line ends, and its rest must not become a line of its own.
    let long = format!("{}{}", failed_logon_line(0), "x".repeat(3 << 20));
    std::fs::write(&log, &long).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(format!("{}\n{}\n", "y".repeat(100), failed_logon_line(1)).as_bytes())
        .unwrap();
    wait_until("both lines", || {
        server.metric("sanso_lines_received_total") >= 2
    });
    assert_eq!(server.metric("sanso_lines_truncated_total"), 1);
    let data = server.stop();
    assert_eq!(users_in_lake(&data), [0, 1]);
    let lengths = sql_rows(&data, "SELECT length(raw) FROM auth ORDER BY length(raw)");
    assert_eq!(
        lengths,
        [
            failed_logon_line(1).len().to_string(),
            (1 << 20).to_string()
        ]
    );
}

#[test]
fn kill_9_at_random_moments_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    let mut written = 0;
    // A cheap, deterministic spread of kill moments.
    let pauses = [150u64, 700, 320, 1100, 40, 500];
    for pause in pauses {
        let mut server = Server::start(dir.path(), &file_source(&log));
        for _ in 0..5 {
            append(&log, written..written + 200);
            written += 200;
            std::thread::sleep(Duration::from_millis(pause / 5));
        }
        server.child.kill().unwrap();
        server.child.wait().unwrap();
    }
    let server = Server::start(dir.path(), &file_source(&log));
    let data = server.data.clone();
    wait_until("every line", || users_in_lake(&data).len() >= written);
    let data = server.stop();
    assert_eq!(users_in_lake(&data), (0..written).collect::<Vec<_>>());
}
