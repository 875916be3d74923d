//! End to end: the demo feed over syslog TCP and UDP, and demo files through
//! `sanso import`, must land in the lake line for line.

mod support;

use std::collections::HashMap;
use std::path::Path;

use support::{Server, sanso_ok, sql_count};

const START: &str = "2026-11-20T00:00:00Z";

/// Generates the demo files and returns every line of every device file.
fn demo_files(dir: &Path, events: usize) -> HashMap<String, Vec<String>> {
    sanso_ok(&[
        "demo",
        "--seed",
        "7",
        "--events",
        &events.to_string(),
        "--start",
        START,
        "--out",
        dir.to_str().unwrap(),
    ]);
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, text.lines().map(str::to_owned).collect());
        }
    }
    files
}

/// Every raw line in the lake, across the event tables, as JSON-decoded strings.
fn lake_raw_lines(data: &Path) -> Vec<String> {
    let output = sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "json",
        "SELECT raw FROM network UNION ALL SELECT raw FROM http \
         UNION ALL SELECT raw FROM auth UNION ALL SELECT raw FROM mail \
         UNION ALL SELECT raw FROM unparsed",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.iter()
        .map(|r| r["raw"].as_str().unwrap().to_owned())
        .collect()
}

/// The device's own line inside a syslog wire line: the PRI removed, and for Squid,
/// i-FILTER and m-FILTER the syslog header the sender put around the product's own line.
fn device_line(raw: &str) -> &str {
    let without_pri = raw
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map_or(raw, |(_, rest)| rest);
    let appliance = without_pri
        .split_once(" ifilter-inet ")
        .or_else(|| without_pri.split_once(" mfilter-gw mfilter: "));
    if let Some((_, line)) = appliance {
        return line;
    }
    match without_pri.find(" squid[") {
        Some(at) => without_pri[at..]
            .split_once("]: ")
            .map_or(without_pri, |(_, l)| l),
        None => without_pri,
    }
}

fn assert_every_line_landed(files: &HashMap<String, Vec<String>>, raws: &[String]) {
    let mut expected: HashMap<&str, usize> = HashMap::new();
    for line in files.values().flatten() {
        *expected.entry(line.as_str()).or_default() += 1;
    }
    let mut found: HashMap<&str, usize> = HashMap::new();
    for raw in raws {
        *found.entry(device_line(raw)).or_default() += 1;
    }
    let total: usize = expected.values().sum();
    assert_eq!(raws.len(), total, "rows in the lake versus lines sent");
    for (line, count) in &expected {
        assert_eq!(
            found.get(line),
            Some(count),
            "line missing or duplicated: {line}"
        );
    }
}

fn send_demo(server: &Server, events: usize, udp: bool) {
    let addr = format!("127.0.0.1:{}", server.syslog_port);
    let events = events.to_string();
    let mut args = vec![
        "demo", "--seed", "7", "--events", &events, "--start", START, "--send", &addr, "--rate",
        "4000",
    ];
    if udp {
        args.push("--udp");
    }
    sanso_ok(&args);
}

#[test]
fn demo_feed_over_tcp_lands_line_for_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo_files(&dir.path().join("demo"), 4000);
    let server = Server::start(dir.path(), "");
    send_demo(&server, 4000, false);
    server.wait_for_lines(4000);
    assert_eq!(
        server.metric("sanso_rows_total"),
        4000,
        "lines in = rows out"
    );
    let data = server.stop();
    assert_every_line_landed(&files, &lake_raw_lines(&data));
    // The demo speaks known formats only: nothing should be unparsed.
    assert_eq!(sql_count(&data, "SELECT count(*) FROM unparsed"), 0);
    // Zones come from the devices and endpoints of the embedded three-zone layout.
    let zones = support::sql_rows(&data, "SELECT DISTINCT zone FROM network ORDER BY zone");
    assert_eq!(zones, ["core", "internet", "lgwan"]);
}

#[test]
fn demo_feed_over_udp_lands_line_for_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo_files(&dir.path().join("demo"), 2000);
    let server = Server::start(dir.path(), "");
    send_demo(&server, 2000, true);
    server.wait_for_lines(2000);
    assert_eq!(server.metric("sanso_udp_dropped_total"), 0);
    let data = server.stop();
    assert_every_line_landed(&files, &lake_raw_lines(&data));
}

#[test]
fn imported_demo_files_are_accounted_for_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let files = demo_files(&demo, 3000);
    let data = dir.path().join("lake");
    let mut lines = 0;
    for (name, content) in &files {
        let path = demo.join(name);
        let device = name
            .split(['.'])
            .next()
            .unwrap()
            .trim_end_matches("-access")
            .trim_end_matches("-auth");
        let output = sanso_ok(&[
            "--data",
            data.to_str().unwrap(),
            "import",
            "--device",
            device,
            path.to_str().unwrap(),
        ]);
        let summary = String::from_utf8(output.stdout).unwrap();
        assert!(
            summary.contains(&format!("imported {} lines", content.len())),
            "{summary}"
        );
        lines += content.len() as u64;
    }
    let rows = sql_count(
        &data,
        "SELECT (SELECT count(*) FROM network) + (SELECT count(*) FROM http) \
         + (SELECT count(*) FROM auth) + (SELECT count(*) FROM mail) \
         + (SELECT count(*) FROM unparsed)",
    );
    assert_eq!(rows, lines, "lines in = rows out");
    assert_every_line_landed(&files, &lake_raw_lines(&data));
    // File sources name their lines by path and line number.
    let sources = support::sql_rows(&data, "SELECT source FROM auth ORDER BY source LIMIT 1");
    assert!(
        sources[0].starts_with("file:") && sources[0].contains(".log:"),
        "{sources:?}"
    );
}

#[test]
fn a_file_copied_over_an_imported_one_is_imported_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let path = dir.path().join("auth.log");
    let day = |user: &str, lines: usize| -> String {
        (0..lines)
            .map(|i| {
                format!(
                    "Nov 20 09:{:02}:{:02} srv-core01 sshd[11]: Failed password for {user} from 10.20.1.5 port {} ssh2\n",
                    i / 60,
                    i % 60,
                    40000 + i
                )
            })
            .collect()
    };
    let import = || {
        let output = sanso_ok(&[
            "--data",
            data.to_str().unwrap(),
            "import",
            path.to_str().unwrap(),
        ]);
        String::from_utf8(output.stdout).unwrap()
    };
    std::fs::write(&path, day("monday", 100)).unwrap();
    assert!(import().contains("imported 100 lines"));
    // `cp` onto an existing file keeps its inode; the next export is longer and wholly
    // new, and none of it may be taken as already imported.
    let tuesday = dir.path().join("tuesday.log");
    std::fs::write(&tuesday, day("tuesday", 300)).unwrap();
    let copied = std::process::Command::new("cp")
        .arg(&tuesday)
        .arg(&path)
        .status()
        .unwrap();
    assert!(copied.success());
    assert!(import().contains("imported 300 lines"));
    assert_eq!(
        sql_count(&data, "SELECT count(*) FROM auth WHERE user = 'tuesday'"),
        300
    );
    // The same file again is already in the lake.
    assert!(import().contains("imported 0 lines"));
}

#[test]
fn gzip_files_import_like_plain_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let lines = "Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2\n\
                 Nov 20 09:00:02 srv-core01 sshd[11]: Accepted password for tanaka from 10.10.1.5 port 40001 ssh2\n";
    let path = dir.path().join("auth.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(lines.as_bytes()).unwrap();
    gz.finish().unwrap();
    let data = dir.path().join("lake");
    sanso_ok(&[
        "import",
        "--data",
        data.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    let outcomes = support::sql_rows(&data, "SELECT outcome FROM auth ORDER BY time");
    assert_eq!(outcomes, ["failure", "success"]);
    let zone = support::sql_rows(&data, "SELECT DISTINCT zone FROM auth");
    assert_eq!(zone, ["core"]);
}

#[test]
fn standard_input_imports_like_a_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let mut child = support::sanso()
        .args([
            "--data",
            data.to_str().unwrap(),
            "import",
            "--zone",
            "internet",
            "--device",
            "proxy-inet",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"1763600000.123    215 10.30.4.20 TCP_MISS/200 5120 GET http://www.example.jp/ - HIER_DIRECT/93.184.216.34 text/html\r\n\nnot a log line\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("imported 2 lines: network 0, http 1, auth 0, mail 0, unparsed 1")
    );
    let rows = support::sql_rows(&data, "SELECT url_host, zone, device, source FROM http");
    assert_eq!(rows, ["www.example.jp,internet,proxy-inet,stdin:1"]);
}
