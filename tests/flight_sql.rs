//! Arrow Flight SQL on a running `sanso run`, through the ADBC Flight SQL driver from
//! PyPI (what notebooks and BI tools use): rows come back, tables are listed, forbidden
//! statements are refused with the reason, and calls without a token are refused.
//!
//! The driver lives in the virtualenv `tests/install-prerequisites` creates
//! (`$SANSO_VENV`, default `~/.cache/sanso/venv`).

mod support;

use sanso_query::QueryError;
use support::{Server, TOKEN, adbc};

#[test]
fn adbc_clients_query_the_lake_over_flight_sql() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    let line = "<38>Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2\n";
    std::io::Write::write_all(
        &mut std::net::TcpStream::connect(("127.0.0.1", server.syslog_port)).unwrap(),
        line.as_bytes(),
    )
    .unwrap();
    server.wait_for_lines(1);

    let query = "SELECT user, src_ip, zone_of(src_ip) AS z FROM auth";
    let expected =
        r#"{"columns": ["user", "src_ip", "z"], "rows": [["root", "10.20.1.5", "lgwan"]]}"#;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (ok, stdout, stderr) = adbc(&server, Some(TOKEN), &["query", query]);
        assert!(ok, "{stderr}");
        if stdout.trim() == expected {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the row never became visible: {stdout}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let (ok, stdout, stderr) = adbc(&server, Some(TOKEN), &["tables"]);
    assert!(ok, "{stderr}");
    for table in ["alerts", "auth", "http", "network", "unparsed"] {
        assert!(stdout.contains(&format!("\"{table}\"")), "{stdout}");
    }

    for statement in [
        "DROP TABLE auth",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO auth SELECT * FROM auth",
        "COPY (SELECT 1) TO '/tmp/sanso-flight-copy.csv'",
        "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '/etc/passwd'",
    ] {
        let (ok, _, stderr) = adbc(&server, Some(TOKEN), &["query", statement]);
        assert!(!ok, "{statement} was accepted");
        assert!(
            stderr.contains("INVALID_ARGUMENT")
                && stderr.contains(&QueryError::ReadOnly.to_string()),
            "{statement}: {stderr}"
        );
    }
    assert!(!std::path::Path::new("/tmp/sanso-flight-copy.csv").exists());

    let (ok, _, stderr) = adbc(&server, None, &["query", "SELECT 1"]);
    assert!(!ok && stderr.contains("UNAUTHENTICATED"), "{stderr}");
    let (ok, _, stderr) = adbc(&server, Some("wrong-token"), &["query", "SELECT 1"]);
    assert!(!ok && stderr.contains("UNAUTHENTICATED"), "{stderr}");
    server.stop();
}
