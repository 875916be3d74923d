//! `POST /api/sql` on a running sanso: authenticated, read-only, three result formats.

mod support;

use sanso_query::QueryError;
use support::{Server, TOKEN};

fn query(sql: &str, format: &str) -> String {
    serde_json::json!({ "sql": sql, "format": format }).to_string()
}

#[test]
fn the_sql_api_answers_authenticated_read_only_queries() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    // Put something in the lake through syslog, and wait until it is written.
    let line = "<38>Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2\n";
    std::io::Write::write_all(
        &mut std::net::TcpStream::connect(("127.0.0.1", server.syslog_port)).unwrap(),
        line.as_bytes(),
    )
    .unwrap();
    server.wait_for_lines(1);
    let count = query("SELECT count(*) AS n FROM auth", "json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (status, body) = server.http_post("/api/sql", Some(TOKEN), &count);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        if body == br#"[{"n":1}]"# {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the row never became visible"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let (status, body) = server.http_post(
        "/api/sql",
        Some(TOKEN),
        &query("SELECT user, zone_of(src_ip) AS z FROM auth", "csv"),
    );
    assert_eq!(
        (status, String::from_utf8(body).unwrap().as_str()),
        (200, "user,z\nroot,lgwan\n")
    );

    let (status, body) = server.http_post(
        "/api/sql",
        Some(TOKEN),
        &query("SELECT user FROM auth", "arrow"),
    );
    assert_eq!(status, 200);
    let reader =
        arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(body), None).unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 1);

    // No token, a wrong token, and a token in the wrong scheme are all refused.
    for token in [None, Some("wrong"), Some("")] {
        let (status, body) = server.http_post("/api/sql", token, &count);
        assert_eq!(status, 401, "{token:?}: {}", String::from_utf8_lossy(&body));
    }
    // The surface is read-only, whatever the statement.
    for statement in [
        "DROP TABLE auth",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO auth SELECT * FROM auth",
        "COPY (SELECT 1) TO '/tmp/sanso-api-copy.csv'",
        "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '/etc/passwd'",
    ] {
        let (status, body) = server.http_post("/api/sql", Some(TOKEN), &query(statement, "json"));
        let body = String::from_utf8(body).unwrap();
        assert_eq!(status, 400, "{statement}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            error["error"]
                .as_str()
                .is_some_and(|e| e == QueryError::ReadOnly.to_string()),
            "{body}"
        );
    }
    assert!(!std::path::Path::new("/tmp/sanso-api-copy.csv").exists());
    let (status, _) = server.http_post("/api/sql", Some(TOKEN), "not json");
    assert_eq!(status, 400);
    server.stop();
}
