//! Syslog over TLS and octet-counted TCP, and non-UTF-8 input, through the real binary.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use sanso_query::QueryError;
use support::{Server, free_port, sanso_ok, sql_count, sql_rows};

const FAILED: &str = "<38>Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2";
const ACCEPTED: &str = "<38>1 2026-11-20T09:00:02.250+09:00 srv-lgwan01 sshd 12 - - Accepted publickey for sato from 10.20.1.6 port 40001 ssh2";

#[test]
fn tls_syslog_with_octet_counting_lands_in_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let tls_port = free_port();
    let server = Server::start(
        dir.path(),
        &format!(
            "[[sources]]\nkind = \"syslog\"\nprotocol = \"tls\"\nlisten = \"127.0.0.1:{tls_port}\"\n\
             tls_cert = \"{}\"\ntls_key = \"{}\"\n",
            cert_path.display(),
            key_path.display()
        ),
    );

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert.cert.der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut connection =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut tcp = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
    let mut tls = rustls::Stream::new(&mut connection, &mut tcp);
    // RFC 5425 frames are octet-counted; a message may then contain a newline of its own
    // without becoming two events.
    let forged = format!(
        "{FAILED}\nNov 20 09:00:09 srv-core01 sshd[11]: Accepted password for root from 10.20.1.5 port 1 ssh2"
    );
    for message in [FAILED, ACCEPTED, forged.as_str()] {
        write!(tls, "{} {message}", message.len()).unwrap();
    }
    tls.flush().unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();

    server.wait_for_lines(3);
    let data = server.stop();
    assert_eq!(
        sql_count(
            &data,
            "SELECT count(*) FROM auth WHERE source LIKE 'syslog:tls:%'"
        ),
        3
    );
    let users = sql_rows(
        &data,
        "SELECT user, outcome, zone FROM auth ORDER BY time, user",
    );
    assert_eq!(users[0], "root,failure,core");
    assert!(
        users.contains(&"sato,success,lgwan".to_owned()),
        "{users:?}"
    );
    // The RFC 5424 timestamp's offset is honoured: 09:00:02.25 JST is 00:00:02.25 UTC.
    let time = sql_rows(
        &data,
        "SELECT CAST(time AS VARCHAR) FROM auth WHERE user = 'sato'",
    );
    assert_eq!(time, ["2026-11-20T00:00:02.250Z"]);
}

#[test]
fn shift_jis_lines_keep_their_original_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // "Failed password for 田中 ..." as a Shift_JIS appliance would write it.
    let (line, _, _) = encoding_rs::SHIFT_JIS.encode(
        "Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for 田中 from 10.20.1.5 port 40000 ssh2\n",
    );
    let path = dir.path().join("sjis.log");
    std::fs::write(&path, &line).unwrap();
    let data = dir.path().join("lake");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        "--encoding",
        "shift_jis",
        path.to_str().unwrap(),
    ]);
    let user = sql_rows(&data, "SELECT user FROM auth");
    assert_eq!(user, ["田中"]);
    let raw_bytes = sql_rows(&data, "SELECT encode(raw_bytes, 'hex') FROM auth");
    let expected: String = line[..line.len() - 1]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(raw_bytes, [expected]);
}

#[test]
fn invalid_utf8_is_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = b"Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for ab\xff\xfe from 10.20.1.5 port 1 ssh2".to_vec();
    let path = dir.path().join("bad.log");
    std::fs::write(&path, &line).unwrap();
    let data = dir.path().join("lake");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        path.to_str().unwrap(),
    ]);
    let total = sql_count(
        &data,
        "SELECT (SELECT count(*) FROM auth) + (SELECT count(*) FROM unparsed)",
    );
    assert_eq!(total, 1);
    let hex = sql_rows(
        &data,
        "SELECT encode(raw_bytes, 'hex') FROM auth UNION ALL SELECT encode(raw_bytes, 'hex') FROM unparsed",
    );
    let expected: String = line.drain(..).map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, [expected]);
}

#[test]
fn bad_configuration_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "timezone = \"Asia/Tokyo\"\n[lake]\nflush_rows = \"many\"\n",
    )
    .unwrap();
    let output = support::sanso()
        .args(["--config", config.to_str().unwrap(), "sql", "SELECT 1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 3") && stderr.contains("flush_rows"),
        "{stderr}"
    );
}

#[test]
fn every_output_format_renders_every_column_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.log");
    std::fs::write(&path, "Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for root from 10.20.1.5 port 40000 ssh2\n").unwrap();
    let data = dir.path().join("lake");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        path.to_str().unwrap(),
    ]);
    for format in ["table", "csv", "json"] {
        let output = sanso_ok(&[
            "--data",
            data.to_str().unwrap(),
            "sql",
            "--format",
            format,
            "SELECT * FROM auth",
        ]);
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("10.20.1.5") && text.contains("srv-core01"),
            "{format}: {text}"
        );
    }
    let parquet = dir.path().join("out.parquet");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "parquet",
        "--out",
        parquet.to_str().unwrap(),
        "SELECT * FROM auth",
    ]);
    assert!(std::fs::read(&parquet).unwrap().starts_with(b"PAR1"));
    let csv = sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "csv",
        "SELECT user, outcome FROM auth",
    ]);
    assert_eq!(
        String::from_utf8(csv.stdout).unwrap(),
        "user,outcome\nroot,failure\n"
    );
}

/// Each refused or failed query exits 1 and says why exactly once.
#[test]
fn sql_refuses_writes_and_says_why_a_query_failed_once() {
    let read_only = QueryError::ReadOnly.to_string();
    let read_only = read_only.as_str();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    for (statement, reason) in [
        ("CREATE TABLE x AS SELECT 1", read_only),
        ("DROP TABLE network", read_only),
        ("INSERT INTO network SELECT * FROM network", read_only),
        ("COPY (SELECT 1) TO '/tmp/x.csv'", read_only),
        // DataFusion's errors repeat their causes; the columns were listed three times.
        ("SELECT usr FROM auth", "No field named usr"),
        (
            "SELEC 1",
            "SQL syntax: Expected: an SQL statement, found: SELEC",
        ),
        ("SELECT 1 / 0", "Divide by zero"),
    ] {
        let output = support::sanso()
            .args(["--data", data.to_str().unwrap(), "sql", statement])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{statement} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(reason).count(), 1, "{statement}: {stderr}");
    }
}

/// `sanso shell` on an empty lake in `dir`, which is also its home (for the history),
/// reading its input from a pipe.
fn shell(dir: &std::path::Path) -> std::process::Child {
    support::sanso()
        .args(["--data", dir.join("lake").to_str().unwrap(), "shell"])
        .env("HOME", dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn ctrl_c_cancels_the_shells_query_and_the_session_goes_on() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = shell(dir.path());
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"SELECT count(*) FROM generate_series(1, 1000000000000);\n")
        .unwrap();
    // The query runs once the shell catches SIGINT (bit 2 of SigCgt): before, Ctrl-C
    // would end the process as it does any other.
    let status = format!("/proc/{}/status", child.id());
    support::wait_until("the shell to catch Ctrl-C while the query runs", || {
        std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                let mask = s.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            })
            .is_some_and(|mask| mask & (1 << 1) != 0)
    });
    let history = std::fs::read_to_string(dir.path().join(".sanso_history")).unwrap();
    assert!(
        history.contains("generate_series(1, 1000000000000)"),
        "the statement is in the history before it ends: {history}"
    );
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    stdin.write_all(b"SELECT 40 + 2 AS answer;\n\\q\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{}\n{text}", output.status);
    assert!(text.contains("query cancelled"), "{text}");
    assert!(text.contains("| 42     |"), "{text}");
}

#[test]
fn the_shell_runs_statements_across_lines_and_describes_tables() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = shell(dir.path());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"\\d\n\\d auth;\nSELECT 40 +\n 2 AS answer;\nDROP TABLE auth;\n\\format csv\nSELECT count(*) AS n FROM network;\n\\q\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "network\nhttp\nauth\nmail\nunparsed\nalerts\nincidents\nincident_events",
        "is_mfa",
        "| 42     |",
        "error:",
        "n\n0\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
