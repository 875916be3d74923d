//! `sanso import` of binary EVTX files, end to end through the real binary: real
//! exported Windows logs (`ingest/testdata/evtx/`, CC0), a copy cut inside a chunk and a
//! copy with a damaged chunk header, then SQL over `auth` and `unparsed`.

mod support;

use std::path::{Path, PathBuf};

use support::{sanso_ok, sql_count, sql_rows};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ingest/testdata")
}

fn evtx(name: &str) -> PathBuf {
    testdata().join("evtx").join(name)
}

const ACCOUNT_RESTORE: &str = "ID 4776,4625-AccountRestore local bruteforce.evtx";
const OPENSSH: &str = "ID4625-OpenSSH brutforce with non existing users.evtx";
const KERBRUTE: &str = "ID4768-4771-Kerberos user enumeration (Kerbrute).evtx";
/// The MSSQL Application log: three chunks of records (27, 27 and 18).
const MULTI_CHUNK: &str = "ID33205-SQL Server failed login with non existing accounts.evtx";

/// File offset of the second chunk: the 4 KiB file header and one 64 KiB chunk.
const SECOND_CHUNK: usize = 0x11000;

fn import(data: &Path, files: &[&Path]) -> (String, String) {
    let mut args = vec!["--data", data.to_str().unwrap(), "import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let output = sanso_ok(&args);
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn security_logs_land_in_auth_per_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    // A name that does not say EVTX: the content does.
    let renamed = dir.path().join("exported-security.log");
    std::fs::copy(evtx(KERBRUTE), &renamed).unwrap();
    let (stdout, _) = import(&data, &[&evtx(ACCOUNT_RESTORE), &evtx(OPENSSH), &renamed]);
    assert!(
        stdout.contains("imported 78 lines:") && stdout.contains("auth 72,"),
        "{stdout}"
    );
    assert!(
        stdout.contains("evtx: 3 files, 3 chunks, 78 of 78 records read, 0 damaged chunks"),
        "{stdout}"
    );

    let per_id = sql_rows(
        &data,
        "SELECT event_code, outcome, count(*) FROM auth GROUP BY 1, 2 ORDER BY 1, 2",
    );
    assert_eq!(
        per_id,
        [
            "1102,success,1",
            "4624,success,1",
            "4625,failure,21",
            "4648,success,1",
            "4672,success,1",
            "4768,failure,15",
            "4768,success,5",
            "4771,failure,22",
            "4776,failure,5",
        ]
    );
    assert_eq!(
        sql_rows(&data, "SELECT error, count(*) FROM unparsed GROUP BY 1"),
        ["windows: event id not mapped,6"]
    );
    // Each row keeps its record as `evtx_dump` renders it, and says where it came from.
    let converted = std::fs::read_to_string(testdata().join(
        "auth/evtx-to-mitre-attack/TA0006-Credential_Access__T1110.xxx-Brut_force__ID4768-4771-Kerberos_user_enumeration_(Kerbrute).jsonl",
    ))
    .unwrap();
    // `#1` is the file's first record: exported logs number their records from 1 (the
    // event's own `EventRecordID`, in `raw`, keeps the original number).
    let first = converted.lines().next().unwrap();
    let raw = sql_rows(
        &data,
        "SELECT raw FROM auth WHERE source LIKE '%exported-security.log#1'",
    );
    assert_eq!(raw.len(), 1, "{raw:?}");
    let raw = raw[0].trim_matches('"').replace("\"\"", "\"");
    assert_eq!(raw, first);
    assert_eq!(
        sql_count(
            &data,
            "SELECT count(*) FROM auth WHERE format = 'windows' AND source LIKE 'file:%#%'"
        ),
        72
    );
}

#[test]
fn damaged_files_import_their_readable_records_and_keep_the_bad_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let whole = std::fs::read(evtx(MULTI_CHUNK)).unwrap();
    let cut = dir.path().join("cut.evtx");
    std::fs::write(&cut, &whole[..SECOND_CHUNK + 30_000]).unwrap();
    let mut flipped = whole.clone();
    for byte in &mut flipped[SECOND_CHUNK..SECOND_CHUNK + 8] {
        *byte = !*byte;
    }
    let corrupt = dir.path().join("corrupt.evtx");
    std::fs::write(&corrupt, &flipped).unwrap();

    let (stdout, stderr) = import(&data, &[&cut, &corrupt]);
    // The cut copy: chunk 1 whole (27), chunk 2 up to the cut. The corrupt copy: chunks
    // 1 and 3 (27 + 18), chunk 2 lost.
    let cut_records = sql_count(
        &data,
        "SELECT count(*) FROM unparsed WHERE source LIKE '%cut.evtx#%'",
    );
    assert!((28..54).contains(&cut_records), "{cut_records}");
    assert_eq!(
        sql_count(
            &data,
            "SELECT count(*) FROM unparsed WHERE source LIKE '%corrupt.evtx#%'"
        ),
        45
    );
    assert!(
        stdout.contains(&format!(
            "evtx: 2 files, 5 chunks, {} of 99 records read, 2 damaged chunks",
            cut_records + 45
        )),
        "{stdout}"
    );
    for file in ["cut.evtx", "corrupt.evtx"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains("evtx: chunk at offset 0x11000")),
            "no warning for {file}: {stderr}"
        );
    }
    // Each damaged chunk is one `unparsed` row that keeps the chunk's bytes as read.
    let damaged = sql_rows(
        &data,
        "SELECT source, length(encode(raw_bytes, 'hex')) / 2, error FROM unparsed \
         WHERE source LIKE '%@0x11000' ORDER BY source",
    );
    assert_eq!(damaged.len(), 2, "{damaged:?}");
    assert!(
        damaged[0].contains("corrupt.evtx@0x11000,65536,"),
        "{}",
        damaged[0]
    );
    assert!(damaged[0].contains("unreadable chunk"), "{}", damaged[0]);
    assert!(
        damaged[1].contains("cut.evtx@0x11000,30000,"),
        "{}",
        damaged[1]
    );
    assert!(
        damaged[1].contains("the file ends 30000 bytes into the chunk"),
        "{}",
        damaged[1]
    );
}

#[test]
fn evtx_files_refuse_another_format() {
    let dir = tempfile::tempdir().unwrap();
    let output = support::sanso()
        .args(["--data", dir.path().join("lake").to_str().unwrap()])
        .args(["import", "--format", "sshd"])
        .arg(evtx(OPENSSH))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("is an EVTX file") && stderr.contains("--format sshd"),
        "{stderr}"
    );
}

#[test]
fn evtx_on_standard_input_is_refused_not_read_as_text() {
    use std::io::Write;
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let mut child = support::sanso()
        .args(["--data", dir.path().join("lake").to_str().unwrap()])
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let evtx_bytes = std::fs::read(evtx(OPENSSH)).unwrap();
    // sanso may stop reading as soon as it has seen the magic bytes.
    let _ = child.stdin.take().unwrap().write_all(&evtx_bytes);
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("standard input is an EVTX file"),
        "{stderr}"
    );
}
