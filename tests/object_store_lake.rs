//! The lake in an object store: `sanso import`, `sanso run` and `sanso sql` against a
//! real S3-API server (moto in server mode, from `$SANSO_VENV`, default
//! `~/.cache/sanso/venv`, installed by tests/install-prerequisites).
//!
//! What lands in `s3://bucket/lake` must be what lands in a local lake from the same
//! input, row for row; two processes must be able to fill one lake at the same time; and
//! every object in the lake must be a whole Parquet file, never a partial one.

#[path = "support/kafka.rs"]
mod kafka_support;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kafka_support::{Broker, SMALL_FLUSHES, kafka_source, sshd_line};
use support::{Server, free_port, sanso, wait_until};

const START: &str = "2026-11-20T01:00:00Z";

/// Per table: rows and distinct raw lines, so that a lost or doubled row shows.
const EVERYTHING: &str = "SELECT 'network' AS t, count(*), count(DISTINCT raw) FROM network \
    UNION ALL SELECT 'http', count(*), count(DISTINCT raw) FROM http \
    UNION ALL SELECT 'auth', count(*), count(DISTINCT raw) FROM auth \
    UNION ALL SELECT 'mail', count(*), count(DISTINCT raw) FROM mail \
    UNION ALL SELECT 'unparsed', count(*), count(DISTINCT raw) FROM unparsed ORDER BY 1";

/// A moto S3 server on a free loopback port, killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let venv = std::env::var_os("SANSO_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                    .join(".cache/sanso/venv")
            });
        let server = venv.join("bin/moto_server");
        assert!(
            server.is_file(),
            "{} is missing: run tests/install-prerequisites to install moto[server]",
            server.display()
        );
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while moto.request("GET", "/", &[]).is_none() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status}");
            }
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// One plain HTTP/1.0 request; status and body. moto checks no signatures, but a
    /// request without credentials is anonymous, and anonymous reads of objects are
    /// refused: the header names the test's key with a dummy signature.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n",
            self.port,
            body.len()
        )
        .ok()?;
        stream.write_all(body).ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).ok()?;
        let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = std::str::from_utf8(response.get(9..12)?)
            .ok()?
            .parse()
            .ok()?;
        Some((status, response[split + 4..].to_vec()))
    }

    fn create_bucket(&self, bucket: &str) {
        let (status, body) = self.request("PUT", &format!("/{bucket}"), &[]).unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    /// Every key below `prefix` in `bucket`, following continuation tokens.
    fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/{bucket}?list-type=2&prefix={prefix}");
            if let Some(token) = &token {
                path.push_str(&format!("&continuation-token={token}"));
            }
            let (status, body) = self.request("GET", &path, &[]).unwrap();
            let body = String::from_utf8(body).unwrap();
            assert_eq!(status, 200, "{body}");
            keys.extend(elements(&body, "Key"));
            token = elements(&body, "NextContinuationToken").into_iter().next();
            if token.is_none() {
                return keys;
            }
        }
    }

    fn object(&self, bucket: &str, key: &str) -> Vec<u8> {
        let (status, body) = self
            .request("GET", &format!("/{bucket}/{key}"), &[])
            .unwrap();
        assert_eq!(status, 200, "GET {key}");
        body
    }

    /// The standard AWS variables, pointing at this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
    }

    /// `sanso` with [`Moto::env`].
    fn sanso(&self) -> Command {
        let mut command = sanso();
        command.envs(self.env()).env("RUST_LOG", "warn");
        command
    }

    fn sanso_ok(&self, args: &[&str]) -> Output {
        let output = self.sanso().args(args).output().expect("running sanso");
        assert!(
            output.status.success(),
            "sanso {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn sql(&self, lake: &str, state: &Path, query: &str) -> String {
        let state = state.to_str().unwrap();
        let args = [
            "--data",
            lake,
            "--state-dir",
            state,
            "sql",
            "--format",
            "csv",
            query,
        ];
        String::from_utf8(self.sanso_ok(&args).stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of every `<name>` element of an S3 XML answer.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| text.to_owned()))
        .collect()
}

/// A demo run's device files, each with the `--device` it needs.
fn demo_files(dir: &Path, seed: u64, events: usize) -> Vec<(PathBuf, Option<String>)> {
    support::demo_device_files(&dir.join(format!("demo-{seed}")), seed, events, START)
}

/// `sanso import` arguments for one file into `lake`.
fn import_args(lake: &str, state: &Path, file: &Path, device: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--data",
        lake,
        "--state-dir",
        state.to_str().unwrap(),
        "import",
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some(device) = device {
        args.extend(["--device".to_owned(), device.to_owned()]);
    }
    args.push(file.to_str().unwrap().to_owned());
    args
}

/// Imports `files` one by one, as `import_demo` does, into `lake`.
fn import_all(moto: &Moto, lake: &str, state: &Path, files: &[(PathBuf, Option<String>)]) {
    for (file, device) in files {
        let args = import_args(lake, state, file, device.as_deref());
        moto.sanso_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// Asserts that every object below `prefix` is a finished data file where the layout
/// puts one, and a whole Parquet file; returns how many there are.
fn assert_whole_parquet_objects(moto: &Moto, bucket: &str, prefix: &str) -> usize {
    let keys = moto.keys(bucket, prefix);
    for key in &keys {
        let relative = key.strip_prefix(prefix).unwrap();
        let parts: Vec<&str> = relative.split('/').collect();
        assert!(
            parts.len() == 4
                && ["network", "http", "auth", "mail", "unparsed", "alerts"].contains(&parts[0])
                && parts[1].starts_with("date=")
                && parts[2].starts_with("zone=")
                && parts[3].starts_with("part-")
                && parts[3].ends_with(".parquet"),
            "unexpected object {key}"
        );
        let data = moto.object(bucket, key);
        // A Parquet file starts with its magic and ends with footer length and magic;
        // anything cut short lacks the trailing one.
        assert!(
            data.len() > 12 && data.starts_with(b"PAR1") && data.ends_with(b"PAR1"),
            "{key} is not a whole Parquet file ({} bytes)",
            data.len()
        );
    }
    keys.len()
}

#[test]
fn an_import_into_s3_reads_back_like_the_same_import_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    moto.create_bucket("city");
    let files = demo_files(dir.path(), 3, 4000);
    let state = dir.path().join("state");
    let local = dir.path().join("local-lake");
    let local = local.to_str().unwrap();

    import_all(&moto, "s3://city/sanso/lake", &state, &files);
    import_all(&moto, local, &dir.path().join("unused"), &files);

    let in_s3 = moto.sql("s3://city/sanso/lake", &state, EVERYTHING);
    let in_folder = moto.sql(local, &state, EVERYTHING);
    assert_eq!(in_s3, in_folder);
    let network_rows: u64 = in_s3
        .lines()
        .find_map(|l| l.strip_prefix("network,"))
        .and_then(|l| l.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(network_rows > 1000, "{in_s3}");

    // Partition pruning and the SQL functions work over the store as over a folder.
    let by_zone = "SELECT zone, date, count(*) FROM network WHERE zone IN ('core', 'internet') \
        AND cidr_contains(src_ip, '10.0.0.0/8') GROUP BY zone, date ORDER BY 1, 2";
    assert_eq!(
        moto.sql("s3://city/sanso/lake", &state, by_zone),
        moto.sql(local, &state, by_zone)
    );

    // Only whole Parquet files in the bucket, where the layout puts them: no temporary
    // objects, and no local state (`_sanso/`).
    assert!(assert_whole_parquet_objects(&moto, "city", "sanso/lake/") > 0);
}

#[test]
fn two_processes_fill_one_bucket_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    moto.create_bucket("shared");
    let lake = "s3://shared/lake";
    // The files whose lines name their device, so that one `sanso import` takes them all.
    let headed = |seed| -> Vec<PathBuf> {
        demo_files(dir.path(), seed, 3000)
            .into_iter()
            .filter_map(|(file, device)| device.is_none().then_some(file))
            .collect()
    };
    let (first, second) = (headed(11), headed(12));

    // Two instances, each with its own local state, write the same lake at once.
    let instances: Vec<Child> = [(&first, "state-a"), (&second, "state-b")]
        .into_iter()
        .map(|(files, state)| {
            moto.sanso()
                .args(["--data", lake, "--state-dir"])
                .arg(dir.path().join(state))
                .arg("import")
                .args(files.iter())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in instances {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let local = dir.path().join("local-lake");
    for files in [&first, &second] {
        let status = sanso()
            .arg("--data")
            .arg(&local)
            .arg("import")
            .args(files.iter())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let state = dir.path().join("state-a");
    assert_eq!(
        moto.sql(lake, &state, EVERYTHING),
        moto.sql(local.to_str().unwrap(), &state, EVERYTHING)
    );
    assert!(assert_whole_parquet_objects(&moto, "shared", "lake/") > 0);
}

#[test]
fn sanso_run_writes_what_it_receives_into_the_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    moto.create_bucket("live");
    let lake = "s3://live/lake";
    let files = demo_files(dir.path(), 5, 2000);
    let (syslog, http, flight) = (free_port(), free_port(), free_port());
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/default-config.toml"
    ))
    .unwrap();
    let config = example
        .replace(
            "listen = \"127.0.0.1:5514\"",
            &format!("listen = \"127.0.0.1:{syslog}\""),
        )
        .replace(
            "listen = \"127.0.0.1:9898\"",
            &format!("listen = \"127.0.0.1:{http}\""),
        )
        .replace(
            "listen = \"127.0.0.1:50051\"",
            &format!("listen = \"127.0.0.1:{flight}\""),
        )
        .replace("flush_interval_ms = 5000", "flush_interval_ms = 300");
    let config_path = dir.path().join("sanso.toml");
    std::fs::write(&config_path, config).unwrap();
    let state = dir.path().join("state");
    let mut server = moto
        .sanso()
        .args(["--config", config_path.to_str().unwrap()])
        .args([
            "--data",
            lake,
            "--state-dir",
            state.to_str().unwrap(),
            "run",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    // The syslog-headed device files, over TCP, newline-framed.
    let lines: Vec<String> = files
        .iter()
        .filter(|(_, device)| device.is_none())
        .flat_map(|(file, _)| {
            let text = std::fs::read_to_string(file).unwrap();
            text.lines().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut stream = loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", syslog)) {
            break stream;
        }
        if let Ok(Some(status)) = server.try_wait() {
            panic!("sanso run exited with {status}");
        }
        assert!(Instant::now() < deadline, "sanso run did not listen");
        std::thread::sleep(Duration::from_millis(100));
    };
    for line in &lines {
        writeln!(stream, "{line}").unwrap();
    }
    drop(stream);

    let count = "SELECT (SELECT count(*) FROM network) + (SELECT count(*) FROM http) \
        + (SELECT count(*) FROM auth) + (SELECT count(*) FROM mail) \
        + (SELECT count(*) FROM unparsed)";
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut rows = 0;
    while rows < lines.len() {
        if let Ok(Some(status)) = server.try_wait() {
            panic!("sanso run exited with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{rows} of {} lines reached the bucket",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(300));
        let csv = moto.sql(lake, &state, count);
        rows = csv.lines().nth(1).unwrap().trim().parse().unwrap();
    }
    let pid = server.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = server.wait().unwrap();
    assert!(status.success(), "sanso run exited with {status}");
    assert_eq!(rows, lines.len(), "every line exactly once");
    assert!(assert_whole_parquet_objects(&moto, "live", "lake/") > 0);
    // Checkpoint and run state stay on this machine.
    assert!(state.join("_sanso").is_dir());
}

#[test]
fn a_lake_that_cannot_be_reached_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    let files = demo_files(dir.path(), 9, 200);
    let (file, _) = files.iter().find(|(_, d)| d.is_none()).unwrap();
    let state = dir.path().join("state");
    // No bucket was created: the import must fail and say where, not drop the rows.
    let output = moto
        .sanso()
        .args([
            "--data",
            "s3://missing/lake",
            "--state-dir",
            state.to_str().unwrap(),
        ])
        .args(["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("s3://missing/lake"), "{stderr}");

    let output = sanso()
        .args(["--data", "gs://bucket/lake", "sql", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported scheme `gs://`"), "{stderr}");
}

#[test]
fn kafka_instances_share_a_bucket_and_resume_from_its_footers() {
    const MESSAGES: usize = 6_000;
    const PARTITIONS: i32 = 4;
    let dir = tempfile::tempdir().unwrap();
    let moto = Moto::start();
    moto.create_bucket("stream");
    let lake = "s3://stream/lake";
    let broker = Broker::start();
    broker.create_topic("fw", PARTITIONS as u32);
    // Two days, so that every flush writes two objects to the `auth` table.
    let line = |i: usize| sshd_line(i, 2);
    let env = moto.env();
    let member = |name: &str, group: &str| {
        let dir = dir.path().join(name);
        let state = dir.join("state");
        Server::start_on_lake(
            &dir,
            Path::new(lake),
            &kafka_source(&broker, "fw", group, ""),
            &["--state-dir", state.to_str().unwrap()],
            SMALL_FLUSHES,
            &env,
        )
    };
    let state = dir.path().join("reader");
    let rows = || -> u64 {
        let csv = moto.sql(lake, &state, "SELECT count(*) FROM auth");
        csv.lines().nth(1).unwrap().trim().parse().unwrap()
    };
    let wait_for_rows = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut now = 0;
        while now < n {
            assert!(
                Instant::now() < deadline,
                "{now} of {n} messages reached the bucket"
            );
            std::thread::sleep(Duration::from_millis(300));
            now = rows();
        }
    };

    // Two instances split the partitions, one leaves, and the other reads the rest.
    broker.produce("fw", PARTITIONS, MESSAGES / 2, 1_000, line);
    let first = member("first", "sanso");
    let deadline = Instant::now() + Duration::from_secs(60);
    while rows() == 0 {
        assert!(Instant::now() < deadline, "nothing reached the bucket");
        std::thread::sleep(Duration::from_millis(100));
    }
    let second = member("second", "sanso");
    wait_until("the second instance's partitions", || {
        second
            .http_get("/metrics")
            .is_some_and(|body| body.contains("sanso_kafka_consumer_lag{"))
    });
    first.stop();
    wait_for_rows(MESSAGES as u64 / 2);
    second.stop();

    // A crash between the PUTs of one flush leaves it in the bucket in part: take the
    // newest object away (object names start with their time). The next instance must
    // find the rest of that flush by its footers, delete it, and read its messages
    // again.
    let name = |key: &String| key.rsplit('/').next().unwrap_or_default().to_owned();
    let newest = moto
        .keys("stream", "lake/auth/")
        .into_iter()
        .filter(|key| key.ends_with(".parquet"))
        .max_by_key(name)
        .expect("the bucket holds auth objects");
    let (status, _) = moto
        .request("DELETE", &format!("/stream/{newest}"), &[])
        .unwrap();
    assert_eq!(status, 204, "DELETE {newest}");
    assert!(rows() < MESSAGES as u64 / 2, "a flush is gone in part");

    // The group's committed offsets already cover that flush, which a crash during it
    // would not have let happen; so the instance that comes back joins a group of its
    // own, and the lake alone says where each partition resumes.
    broker.produce("fw", PARTITIONS, MESSAGES / 2, 1_000, |i| {
        line(i + MESSAGES / 2)
    });
    let third = member("third", "sanso-after-the-crash");
    wait_for_rows(MESSAGES as u64);
    third.stop();
    let csv = moto.sql(
        lake,
        &state,
        "SELECT count(*), count(DISTINCT source) FROM auth",
    );
    assert_eq!(
        csv.lines().nth(1).unwrap().trim(),
        format!("{MESSAGES},{MESSAGES}"),
        "every message once"
    );
    assert!(assert_whole_parquet_objects(&moto, "stream", "lake/") > 0);
}
