//! Hostile bytes through the real entry points: `sanso import`, and syslog over TCP and
//! UDP into a running `sanso run`. Control characters (CR, NUL, ANSI escapes), line
//! feeds inside one framed message, a 10 MB line, invalid UTF-8 and Shift_JIS must never
//! crash sanso, never forge a second event (rows are counted), and keep the received bytes
//! exactly (`raw_bytes` when they are not UTF-8, else `raw`); what no parser accepts lands
//! in `unparsed` with its reason.
//!
//! Bad configuration is hostile input too: it must stop sanso with exit code 2 and a
//! message naming the file, the line and the key.

mod support;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::path::Path;

use support::{Server, sanso, sanso_ok, sql_count, sql_rows};

/// Every table a line can land in.
const TABLES: [&str; 5] = ["network", "http", "auth", "mail", "unparsed"];

/// An sshd line whose user name is `user`: the shape every hostile variant hides in.
fn sshd(user: &[u8]) -> Vec<u8> {
    [
        &b"<38>Nov 20 09:00:01 srv-core01 sshd[11]: Failed password for "[..],
        user,
        b" from 10.20.1.5 port 40000 ssh2",
    ]
    .concat()
}

/// A whole second event, for the attempts to smuggle one in.
const FORGED: &[u8] =
    b"<38>Nov 20 09:00:02 srv-core01 sshd[12]: Accepted password for forged from 10.20.1.6 port 1 ssh2";

/// Lines that each must stay one event, byte for byte, whatever the transport.
fn hostile_lines() -> Vec<Vec<u8>> {
    let (shift_jis, _, _) = encoding_rs::SHIFT_JIS.encode("田中");
    vec![
        // A CR in the middle is not a line end, so what follows it is not a new event.
        sshd(&[&b"root\r"[..], FORGED].concat()),
        sshd(b"ro\0ot"),
        sshd(&[&b"root\0"[..], FORGED].concat()),
        // Escape sequences that would clear or recolour an operator's terminal.
        sshd(b"\x1b[2J\x1b[31mroot\x1b[0m\x1b]0;owned\x07"),
        sshd(b"ab\xff\xfe\xc0\x80"),
        sshd(&shift_jis),
        // No parser accepts these.
        b"\x1b[1;1H\x00\x7f garbage \xe3\x81".to_vec(),
        b"\r\r\x1b".to_vec(),
    ]
}

/// Each row of every table as the hex of the bytes it kept.
fn kept_rows(data: &Path) -> Vec<String> {
    let query = TABLES
        .map(|t| format!("SELECT encode(coalesce(raw_bytes, CAST(raw AS BYTEA)), 'hex') FROM {t}"))
        .join(" UNION ALL ");
    let mut rows = sql_rows(data, &query);
    rows.sort();
    rows
}

fn hex(lines: &[Vec<u8>]) -> Vec<String> {
    let mut hex: Vec<String> = lines
        .iter()
        .map(|line| line.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    hex.sort();
    hex
}

/// Asserts the lake holds exactly `lines`, one row each, none forged, the lines no parser
/// takes in `unparsed` with a reason.
fn assert_kept_exactly(data: &Path, lines: &[Vec<u8>]) {
    assert_eq!(
        kept_rows(data),
        hex(lines),
        "rows differ from the lines sent"
    );
    assert_eq!(
        sql_count(data, "SELECT count(*) FROM auth WHERE user = 'forged'"),
        0,
        "a second event was forged"
    );
    let garbage = sql_count(
        data,
        "SELECT count(*) FROM unparsed WHERE strpos(raw, 'garbage') > 0 AND length(error) > 0",
    );
    assert_eq!(
        garbage, 1,
        "the unparseable line is not in `unparsed` with a reason"
    );
}

#[test]
fn import_keeps_hostile_lines_whole_and_forges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = hostile_lines();
    let mut long = sshd(&vec![b'A'; 10 << 20]);
    long.extend_from_slice(b" \x1b[0m\r");
    lines.push(long);
    let path = dir.path().join("hostile.log");
    let mut file = lines.join(&b'\n');
    // A CRLF line end is a line end: its CR is not part of the line.
    file.extend_from_slice(b"\r\n");
    std::fs::write(&path, &file).unwrap();
    let data = dir.path().join("lake");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        path.to_str().unwrap(),
    ]);
    assert_kept_exactly(&data, &lines);
}

#[test]
fn syslog_over_tcp_and_udp_keeps_hostile_lines_whole_and_forges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    let mut expected = Vec::new();

    // TCP, newline framing: each hostile line ends at its LF.
    let mut tcp = TcpStream::connect(("127.0.0.1", server.syslog_port)).unwrap();
    for line in hostile_lines() {
        tcp.write_all(&line).unwrap();
        tcp.write_all(b"\n").unwrap();
        expected.push(line);
    }
    // A 10 MB line is cut at the source's `max_line_bytes` (1 MiB by default): its rest
    // is dropped, never read as a line of its own, and the next line arrives whole.
    let long = sshd(&[&vec![b'B'; 10 << 20][..], b"\r", FORGED].concat());
    tcp.write_all(&long).unwrap();
    tcp.write_all(b"\n").unwrap();
    expected.push(long[..1 << 20].to_vec());
    let after = sshd(b"after-the-long-line");
    tcp.write_all(&after).unwrap();
    tcp.write_all(b"\n").unwrap();
    expected.push(after);
    drop(tcp);

    // TCP, octet counting: a frame's LF is part of its message, not a second one.
    let mut tcp = TcpStream::connect(("127.0.0.1", server.syslog_port)).unwrap();
    for message in [
        sshd(&[&b"root\n"[..], FORGED].concat()),
        sshd(&[&b"root\r\n"[..], FORGED, b"\n"].concat()),
    ] {
        write!(tcp, "{} ", message.len()).unwrap();
        tcp.write_all(&message).unwrap();
        expected.push(message);
    }
    drop(tcp);

    // UDP: one datagram, one message, whatever line feeds it holds; a trailing LF or
    // NUL is the sender's terminator.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (datagram, kept) in [
        (sshd(&[&b"root\n"[..], FORGED].concat()), None),
        (sshd(b"ro\0ot\x1b[31m"), None),
        (sshd(b"\xff\xfeuser\r"), None),
        (
            [&sshd(b"trailer")[..], b"\n\0"].concat(),
            Some(sshd(b"trailer")),
        ),
    ] {
        udp.send_to(&datagram, ("127.0.0.1", server.syslog_port))
            .unwrap();
        expected.push(kept.unwrap_or(datagram));
    }

    server.wait_for_lines(expected.len() as u64);
    assert_eq!(
        server.metric("sanso_lines_truncated_total"),
        1,
        "the cut line is counted, and only it"
    );
    let data = server.stop();
    assert_kept_exactly(&data, &expected);
    let kept = sql_count(
        &data,
        "SELECT count(*) FROM auth WHERE user = 'after-the-long-line'",
    );
    assert_eq!(kept, 1, "the line after the 10 MB one was lost");
}

/// Runs `sanso --config <file> rules check` on `config`; returns exit code and stderr.
fn check_config(dir: &Path, config: &str) -> (Option<i32>, String) {
    let path = dir.join("bad.toml");
    std::fs::write(&path, config).unwrap();
    let output = sanso()
        .args(["--config", path.to_str().unwrap(), "rules", "check"])
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_configurations_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    for (config, line, key) in [
        ("timezone = \"Asia/Tokio\"\n", 1, "timezone"),
        (
            "[zones.core]\ncidrs = [\n  \"10.10.0.0/16\",\n  \"10.0.0.0/99\",\n]\n",
            2,
            "zones.core.cidrs",
        ),
        // Only the element's line is quoted here; the key is named all the same.
        (
            "[auth]\nadmin_accounts = [\n  \"adm-tanaka\",\n  3,\n]\n",
            4,
            "auth.admin_accounts",
        ),
        (
            "[[sources]]\nkind = \"syslog\"\nprotocol = \"tcp\"\nlisen = \"127.0.0.1:5514\"\n",
            4,
            "sources[0].lisen",
        ),
        (
            "[[sources]]\nkind = \"file\"\npath = \"/var/log/x.log\"\nformat = \"fortigat\"\n",
            4,
            "sources[0].format",
        ),
        ("[query]\ntimeout_secs = -1\n", 2, "query.timeout_secs"),
        (
            "[retention]\nkeep = \"13 fortnights\"\n",
            2,
            "retention.keep",
        ),
        ("[zones.dmz]\ncidrs = []\n", 1, "zones.dmz"),
    ] {
        let (code, stderr) = check_config(dir.path(), config);
        assert_eq!(code, Some(2), "{config}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains("bad.toml") && first.contains(&format!("line {line}")),
            "{config}: the first line does not name the file and line {line}: {stderr}"
        );
        assert!(
            first.contains(&format!("key `{key}`")),
            "{config}: the key `{key}` is not named: {stderr}"
        );
        assert_eq!(
            stderr.matches("TOML parse error").count(),
            1,
            "{config}: the reason is repeated: {stderr}"
        );
    }
}
