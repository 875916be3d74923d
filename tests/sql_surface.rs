//! The SQL surface of a running `sanso run`, over both of its doors: `POST /api/sql` and
//! Arrow Flight SQL (through the ADBC driver a notebook or BI tool uses).
//!
//! `http_api.rs` and `flight_sql.rs` show each door working and refusing the obvious
//! writes; this suite goes through the rest of what an attacker with a token, or without
//! one, would try: every kind of statement that is not a query (DDL, DML, COPY, SET,
//! PREPARE, several statements at once), the functions and table names that would read a
//! file off the server, credentials that are nearly right, and queries that would hold a
//! core or the memory forever, which the limits of `[query]` must cancel and report.
//!
//! The ADBC driver lives in the virtualenv `tests/install-prerequisites` creates
//! (`$SANSO_VENV`, default `~/.cache/sanso/venv`).

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sanso_query::QueryError;
use support::{Server, TOKEN, adbc};

/// Limits small enough to reach in a test, large enough for every ordinary query here.
const LIMITS: &str = "[query]\ntimeout_secs = 10\nmemory_limit_mib = 8\n";

/// Busy for far longer than any limit: a count over a trillion generated rows.
const ENDLESS: &str = "SELECT count(*) FROM generate_series(1, 1000000000000)";

/// A hash join whose build side (millions of rows) cannot fit in the memory limit.
const GREEDY: &str = "SELECT count(*) FROM generate_series(1, 4000000) a \
    JOIN generate_series(1, 4000000) b ON a.value = b.value";

/// CPU time, in clock ticks, of the threads of process `pid` named `name`.
fn thread_cpu_ticks(pid: u32, name: &str) -> u64 {
    let mut ticks = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        // After the name in parentheses: state is field 3; utime and stime are 14 and 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        ticks += fields
            .get(11)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0);
        ticks += fields
            .get(12)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0);
    }
    ticks
}

fn sql_request(sql: &str) -> String {
    serde_json::json!({ "sql": sql, "format": "json" }).to_string()
}

/// Starts a server with `extra` configuration and one auth row in its lake, visible to
/// queries.
fn server_with_a_row(dir: &std::path::Path, extra: &str) -> Server {
    let server = Server::start(dir, extra);
    let line = "<38>Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2\n";
    TcpStream::connect(("127.0.0.1", server.syslog_port))
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    server.wait_for_lines(1);
    let deadline = Instant::now() + Duration::from_secs(120);
    while auth_rows(&server) != 1 {
        assert!(Instant::now() < deadline, "the row never became visible");
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

fn auth_rows(server: &Server) -> u64 {
    let (status, body) = server.http_post(
        "/api/sql",
        Some(TOKEN),
        &sql_request("SELECT count(*) AS n FROM auth"),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let rows: serde_json::Value = serde_json::from_slice(&body).unwrap();
    rows[0]["n"].as_u64().unwrap()
}

#[test]
fn every_statement_that_is_not_a_query_is_refused_over_http_and_flight_sql() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_a_row(dir.path(), LIMITS);
    let copied = dir.path().join("copied.parquet");
    let copy_to = |query: &str| format!("COPY {query} TO '{}'", copied.display());
    let lake_file = std::fs::read_dir(server.data.join("auth"))
        .unwrap()
        .find_map(|e| {
            let path = e.unwrap().path();
            path.is_file().then_some(path)
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/etc/passwd".to_owned());
    let read_only = QueryError::ReadOnly.to_string();
    let read_only = read_only.as_str();
    let statements: Vec<(String, &str)> = vec![
        // DDL: nothing may be created, dropped or altered.
        ("CREATE VIEW v AS SELECT 1".into(), read_only),
        ("CREATE SCHEMA s".into(), read_only),
        ("CREATE DATABASE d".into(), read_only),
        ("CREATE FUNCTION f() RETURNS INT RETURN 1".into(), read_only),
        ("DROP VIEW auth".into(), read_only),
        ("DROP SCHEMA public CASCADE".into(), read_only),
        ("ALTER TABLE auth RENAME TO gone".into(), read_only),
        // A query that would store its result is a write too.
        ("SELECT * INTO copied FROM auth".into(), read_only),
        // DML: the lake is evidence; nothing in it changes through SQL.
        ("DELETE FROM auth".into(), read_only),
        ("UPDATE auth SET user = 'x'".into(), read_only),
        ("TRUNCATE TABLE auth".into(), read_only),
        // COPY would write a file anywhere the server may write, even under EXPLAIN
        // ANALYZE, which runs what it explains.
        (copy_to("auth"), read_only),
        (format!("EXPLAIN ANALYZE {}", copy_to("auth")), read_only),
        // Session state is shared by every client of the server.
        ("SET datafusion.execution.batch_size = 1".into(), read_only),
        ("RESET datafusion.execution.batch_size".into(), read_only),
        ("PREPARE p AS SELECT 1".into(), read_only),
        ("EXECUTE p".into(), read_only),
        // A second statement must not ride on an accepted first one.
        (
            "SELECT 1; DROP TABLE auth".into(),
            "only supports a single SQL statement",
        ),
        // Nothing reads a file off the server: no file-reading table functions, and a
        // quoted path is not a table.
        ("SELECT * FROM read_csv('/etc/passwd')".into(), "not found"),
        ("SELECT * FROM read_json('/etc/passwd')".into(), "not found"),
        (
            format!("SELECT * FROM read_parquet('{lake_file}')"),
            "not found",
        ),
        (
            format!("SELECT * FROM parquet_metadata('{lake_file}')"),
            "not found",
        ),
        ("SELECT * FROM '/etc/passwd'".into(), "not found"),
        (format!("SELECT * FROM '{lake_file}'"), "not found"),
        ("SELECT * FROM 'file:///etc/passwd'".into(), "not found"),
    ];
    for (statement, reason) in &statements {
        let (status, body) = server.http_post("/api/sql", Some(TOKEN), &sql_request(statement));
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "HTTP accepted {statement}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        let error = error["error"].as_str().unwrap_or_default();
        assert!(error.contains(reason), "HTTP {statement}: {error}");

        let (ok, stdout, stderr) = adbc(&server, Some(TOKEN), &["query", statement]);
        assert!(!ok, "Flight SQL accepted {statement}: {stdout}");
        assert!(
            stderr.contains("INVALID_ARGUMENT") && stderr.contains(reason),
            "Flight SQL {statement}: {stderr}"
        );
    }
    // Nothing of the above left a trace: the row is there, the tables are the lake's,
    // no file was written.
    assert_eq!(auth_rows(&server), 1);
    let (ok, tables, stderr) = adbc(&server, Some(TOKEN), &["tables"]);
    assert!(ok, "{stderr}");
    for table in ["auth", "network", "unparsed"] {
        assert!(tables.contains(&format!("\"{table}\"")), "{tables}");
    }
    for created in ["\"v\"", "\"gone\"", "\"s\"", "\"copied\""] {
        assert!(!tables.contains(created), "{tables}");
    }
    assert!(!copied.exists(), "COPY wrote {}", copied.display());
    server.stop();
}

#[test]
fn calls_without_the_right_token_are_refused_on_every_door() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_a_row(dir.path(), "");
    let query = sql_request("SELECT count(*) FROM auth");
    let near_misses = [
        format!("{TOKEN}x"),
        TOKEN[..TOKEN.len() - 1].to_owned(),
        TOKEN.to_uppercase(),
        format!(" {TOKEN}"),
    ];
    // Over HTTP: the token must be exact, and only in the Bearer scheme.
    for token in near_misses.iter().map(String::as_str).chain(["", "wrong"]) {
        let (status, body) = server.http_post("/api/sql", Some(token), &query);
        assert_eq!(status, 401, "{token:?}: {}", String::from_utf8_lossy(&body));
    }
    for header in [
        format!("Authorization: Basic {TOKEN}"),
        format!("Authorization: bearer{TOKEN}"),
        format!("Authorization: {TOKEN}"),
        format!("X-Token: {TOKEN}"),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.http_port)).unwrap();
        write!(
            stream,
            "POST /api/sql HTTP/1.0\r\n{header}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{query}",
            query.len()
        )
        .unwrap();
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
        assert!(response.starts_with("HTTP/1.0 401"), "{header}: {response}");
    }
    // The incident API, which writes, is behind the same token.
    let (status, _) = server.http_post("/api/incidents", None, r#"{"title":"x"}"#);
    assert_eq!(status, 401);
    let (status, _) = server.http_post("/api/incidents", Some("wrong"), r#"{"title":"x"}"#);
    assert_eq!(status, 401);

    // Over Flight SQL: queries and the catalogue alike.
    for token in near_misses.iter().map(String::as_str) {
        let (ok, stdout, stderr) = adbc(&server, Some(token), &["query", "SELECT 1"]);
        assert!(!ok, "{token:?} was accepted: {stdout}");
        assert!(stderr.contains("UNAUTHENTICATED"), "{token:?}: {stderr}");
    }
    for token in [None, Some("wrong")] {
        let (ok, stdout, stderr) = adbc(&server, token, &["tables"]);
        assert!(!ok, "{token:?} listed the tables: {stdout}");
        assert!(stderr.contains("UNAUTHENTICATED"), "{token:?}: {stderr}");
    }
    server.stop();
}

#[test]
fn queries_over_their_limits_are_cancelled_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_a_row(dir.path(), LIMITS);

    // Over the time limit: cancelled at the limit, with the limit in the reason. While
    // it runs, it keeps the query threads busy, not the threads that read syslog.
    let started = Instant::now();
    let (status, body, query_cpu) = std::thread::scope(|scope| {
        let answer =
            scope.spawn(|| server.http_post("/api/sql", Some(TOKEN), &sql_request(ENDLESS)));
        std::thread::sleep(Duration::from_secs(4));
        let query_cpu = thread_cpu_ticks(server.child.id(), "sanso-query");
        let (status, body) = answer.join().unwrap();
        (status, body, query_cpu)
    });
    assert!(
        query_cpu >= 100,
        "the query ran on the query threads: {query_cpu} ticks of CPU there in 4 s"
    );
    let body = String::from_utf8_lossy(&body);
    // Not the statement's fault: the statuses gRPC's DEADLINE_EXCEEDED and
    // RESOURCE_EXHAUSTED map to, as Flight SQL reports them.
    assert_eq!(status, 504, "{body}");
    assert!(
        body.contains("query cancelled: it ran longer than the 10s limit"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the query was not cancelled at its limit"
    );
    let (ok, _, stderr) = adbc(&server, Some(TOKEN), &["query", ENDLESS]);
    assert!(!ok);
    assert!(
        stderr.contains("DeadlineExceeded") && stderr.contains("longer than the 10s limit"),
        "{stderr}"
    );

    // Over the memory limit: refused by the memory pool, with what it needed.
    let (status, body) = server.http_post("/api/sql", Some(TOKEN), &sql_request(GREEDY));
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("Resources exhausted"), "{body}");
    let (ok, _, stderr) = adbc(&server, Some(TOKEN), &["query", GREEDY]);
    assert!(!ok);
    assert!(
        stderr.contains("ResourceExhausted") && stderr.contains("Resources exhausted"),
        "{stderr}"
    );

    // The cancelled queries gave their core and memory back: the server answers, and
    // ingest goes on.
    assert_eq!(auth_rows(&server), 1);
    let (ok, stdout, stderr) = adbc(
        &server,
        Some(TOKEN),
        &["query", "SELECT count(*) AS n FROM auth"],
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("[[1]]"), "{stdout}");
    assert!(server.http_get("/health").is_some_and(|b| b.contains("ok")));
    server.stop();
}
