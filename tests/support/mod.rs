//! Helpers for the end-to-end tests: run the real `sanso` binary against a lake in a
//! temporary folder, on free loopback ports.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A failed sshd logon by `user{n}`, a distinct line for each `n`, dated Nov 20.
pub fn failed_logon_line(n: usize) -> String {
    format!(
        "Nov 20 09:{:02}:{:02} srv-core01 sshd[7]: Failed password for user{n} from 10.20.1.5 port {} ssh2",
        n / 60 % 60,
        n % 60,
        1000 + n % 60000
    )
}

/// The binary under test.
pub fn sanso() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sanso"))
}

/// Polls `done` until it holds, failing with `what` after two minutes: on a loaded
/// machine, starting processes and writing Parquet can take far longer than usual.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `sanso` to completion and insists that it succeeded.
pub fn sanso_ok(args: &[&str]) -> Output {
    let output = sanso().args(args).output().expect("running sanso");
    assert!(
        output.status.success(),
        "sanso {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The bearer token the test servers accept on /api/sql.
pub const TOKEN: &str = "test-token-7f3a";

/// A loopback port free for both TCP and UDP at the time of asking.
pub fn free_port() -> u16 {
    // The kernel may hand the same ephemeral port out again once it is released, so
    // remember what this test binary was given: two listeners of one server, or of two
    // concurrent tests, must never be told the same port.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if !given.contains(&port) && UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

/// A running `sanso run`, stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub data: PathBuf,
    pub syslog_port: u16,
    pub http_port: u16,
    pub flight_port: u16,
}

impl Server {
    /// Starts `sanso run` with `extra_sources` (TOML) besides UDP and TCP syslog on one
    /// free port, and a short flush interval.
    pub fn start(dir: &Path, extra_sources: &str) -> Server {
        Server::start_with(dir, extra_sources, &[])
    }

    /// [`Server::start`], with `run_args` after `run` (e.g. `--demo`).
    pub fn start_with(dir: &Path, extra_sources: &str, run_args: &[&str]) -> Server {
        Server::start_configured(dir, extra_sources, run_args, &[])
    }

    /// [`Server::start_with`], with each `(from, to)` of `edits` replaced in the
    /// configuration (e.g. another flush interval); each must occur in it.
    pub fn start_configured(
        dir: &Path,
        extra_sources: &str,
        run_args: &[&str],
        edits: &[(&str, &str)],
    ) -> Server {
        Server::start_on_lake(dir, &dir.join("lake"), extra_sources, run_args, edits, &[])
    }

    /// [`Server::start_configured`] on the lake at `data`, which other servers may
    /// share, with the variables of `env` set (such as an object store's credentials);
    /// the configuration still goes to `dir`.
    pub fn start_on_lake(
        dir: &Path,
        data: &Path,
        extra_sources: &str,
        run_args: &[&str],
        edits: &[(&str, &str)],
        env: &[(&str, String)],
    ) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let syslog_port = free_port();
        let http_port = free_port();
        let flight_port = free_port();
        let data = data.to_owned();
        let config = dir.join("sanso.toml");
        // The embedded example, with the listeners moved to free ports, so that the tests
        // run what a user runs.
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/default-config.toml"
        ))
        .unwrap();
        let example = example
            .replace(
                "listen = \"127.0.0.1:5514\"",
                &format!("listen = \"127.0.0.1:{syslog_port}\""),
            )
            .replace(
                "listen = \"127.0.0.1:9898\"",
                &format!("listen = \"127.0.0.1:{http_port}\"\ntokens = [\"{TOKEN}\"]"),
            )
            .replace(
                "listen = \"127.0.0.1:50051\"",
                &format!("listen = \"127.0.0.1:{flight_port}\""),
            )
            .replace("flush_interval_ms = 5000", "flush_interval_ms = 300");
        assert!(
            example.contains(&format!("127.0.0.1:{http_port}")),
            "the example config moved its listeners"
        );
        let example = edits.iter().fold(example, |config, (from, to)| {
            assert!(config.contains(from), "the configuration has no {from:?}");
            config.replace(from, to)
        });
        std::fs::write(&config, format!("{example}\n{extra_sources}\n")).unwrap();
        let child = sanso()
            .envs(env.iter().map(|(name, value)| (name, value)))
            .env(
                "RUST_LOG",
                std::env::var("SANSO_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .args([
                "--config",
                config.to_str().unwrap(),
                "--data",
                data.to_str().unwrap(),
                "run",
            ])
            .args(run_args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting sanso run");
        let mut server = Server {
            child,
            data,
            syslog_port,
            http_port,
            flight_port,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("sanso run exited with {status} before becoming healthy");
            }
            if self
                .http_get("/health")
                .is_some_and(|body| body.contains("ok"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("sanso run did not become healthy");
    }

    /// The body of a GET on the HTTP listener.
    pub fn http_get(&self, path: &str) -> Option<String> {
        http_get(self.http_port, path)
    }

    /// POSTs `body` to `path` with an optional bearer token; returns status and body.
    pub fn http_post(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http_port)).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "POST {path} HTTP/1.0\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let status = std::str::from_utf8(&response[9..12])
            .unwrap()
            .parse()
            .unwrap();
        (status, response[split + 4..].to_vec())
    }

    /// The value of a counter (summed over its label sets) from /metrics.
    pub fn metric(&self, name: &str) -> u64 {
        metric(self.http_port, name) as u64
    }

    /// Waits until `sanso_lines_received_total`, and the rows made of them
    /// (`sanso_rows_total`, counted as batches are cut), reach `lines`.
    pub fn wait_for_lines(&self, lines: u64) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if self.metric("sanso_lines_received_total") >= lines
                && self.metric("sanso_rows_total") >= lines
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "sanso received {} of {lines} lines",
            self.metric("sanso_lines_received_total")
        );
    }

    /// Stops the server with SIGTERM, as an operator would, and waits for it.
    pub fn stop(mut self) -> PathBuf {
        self.terminate();
        self.data.clone()
    }

    fn terminate(&mut self) {
        terminate(&mut self.child);
    }

    /// Kills the server without letting it flush: a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_if_running(&mut self.child);
    }
}

/// The body of a GET on a sanso HTTP listener at `port`.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

/// The peak resident memory of a process, in KiB, from `/proc/PID/status`.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// A metric of the sanso at HTTP `port`, summed over its label sets (0 when absent).
pub fn metric(port: u16, name: &str) -> f64 {
    let body = http_get(port, "/metrics").unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Stops a `sanso run` with SIGTERM, as an operator would, and insists that it exits
/// cleanly.
pub fn terminate(child: &mut Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = child.wait().expect("waiting for sanso");
    assert!(status.success(), "sanso run exited with {status}");
}

/// Kills a process a test left running, so it does not outlive the test.
pub fn kill_if_running(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Runs a query over the lake and returns its CSV rows, header dropped.
pub fn sql_rows(data: &Path, query: &str) -> Vec<String> {
    let output = sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "csv",
        query,
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines().skip(1).map(str::to_owned).collect()
}

/// A single number from a query.
pub fn sql_count(data: &Path, query: &str) -> u64 {
    sql_rows(data, query)[0].trim().parse().unwrap()
}

/// Writes a demo run (`sanso demo --out`) into `out` and lists its device logs, each
/// with the `--device` its import needs: Squid's access.log has no syslog header to
/// name its device, while the other files carry the device's host name on every line.
pub fn demo_device_files(
    out: &Path,
    seed: u64,
    events: usize,
    start: &str,
) -> Vec<(PathBuf, Option<String>)> {
    sanso_ok(&[
        "demo",
        "--seed",
        &seed.to_string(),
        "--events",
        &events.to_string(),
        "--start",
        start,
        "--out",
        out.to_str().unwrap(),
    ]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "log" || e == "jsonl")
                && !path.ends_with("ground-truth.jsonl")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let device = name.strip_suffix("-access.log").map(str::to_owned);
            (path, device)
        })
        .collect()
}

/// Writes a demo run and imports every device file into the lake at `data`, each under
/// its device's name, as a city's collector would deliver them. Returns the demo folder
/// (device logs and `ground-truth.jsonl`).
pub fn import_demo(dir: &Path, data: &Path, seed: u64, events: usize, start: &str) -> PathBuf {
    let demo = dir.join(format!("demo-{seed}-{start}").replace(':', ""));
    for (path, device) in demo_device_files(&demo, seed, events, start) {
        let mut args = vec!["--data", data.to_str().unwrap(), "import"];
        if let Some(device) = &device {
            args.extend(["--device", device.as_str()]);
        }
        args.push(path.to_str().unwrap());
        sanso_ok(&args);
    }
    demo
}

/// The Python of the test virtualenv (`$SANSO_VENV`, else `~/.cache/sanso/venv`).
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("SANSO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/sanso/venv")
        });
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run tests/install-prerequisites",
        python.display()
    );
    python
}

/// Runs the ADBC client script; returns its exit success, stdout and stderr.
pub fn adbc(server: &Server, token: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(venv_python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/flight_sql_adbc.py"
        ))
        .arg(format!("grpc://127.0.0.1:{}", server.flight_port))
        .arg(token.unwrap_or("-"))
        .args(args)
        .output()
        .expect("running the ADBC client");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
