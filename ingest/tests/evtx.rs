//! The EVTX reader against real exported Windows logs (`testdata/evtx/`, CC0, see its
//! PROVENANCE.md), and against copies of them that the tests cut or damage.
//!
//! Record counts are checked against the files' own chunk headers and against the
//! `evtx_dump` conversions of the same files (`testdata/auth/evtx-to-mitre-attack/`):
//! every record must come out, byte for byte as `evtx_dump` wrote it, and go through the
//! Windows Security parser to `auth` or, with the reason, to `unparsed`.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::Int32Type;
use sanso_ingest::batch::Batches;
use sanso_ingest::evtx::{
    CHUNK_SIZE, ChunkProblem, ChunkReader, DecodedChunk, FILE_HEADER_SIZE, ReadError, is_evtx,
};
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use serde_json::Value;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The three Security logs and their `evtx_dump` conversions.
const SECURITY: [(&str, &str); 3] = [
    (
        "ID 4776,4625-AccountRestore local bruteforce.evtx",
        "TA0006-Credential_Access__T1110.xxx-Brut_force__ID_4776_4625-AccountRestore_local_bruteforce.jsonl",
    ),
    (
        "ID4625-OpenSSH brutforce with non existing users.evtx",
        "TA0006-Credential_Access__T1110.xxx-Brut_force__ID4625-OpenSSH_brutforce_with_non_existing_users.jsonl",
    ),
    (
        "ID4768-4771-Kerberos user enumeration (Kerbrute).evtx",
        "TA0006-Credential_Access__T1110.xxx-Brut_force__ID4768-4771-Kerberos_user_enumeration_(Kerbrute).jsonl",
    ),
];

/// Three chunks of records (IDs 1–27, 28–54, 55–72), then fourteen chunks of zeros.
const MULTI_CHUNK: &str = "ID33205-SQL Server failed login with non existing accounts.evtx";

fn evtx_bytes(name: &str) -> Vec<u8> {
    let path = testdata().join("evtx").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn jsonl(name: &str) -> Vec<String> {
    let path = testdata().join("auth/evtx-to-mitre-attack").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every chunk of `bytes`, decoded.
fn decode_all(bytes: &[u8]) -> Vec<DecodedChunk> {
    let mut reader = ChunkReader::new(Cursor::new(bytes)).expect("an EVTX header");
    let mut chunks = Vec::new();
    while let Some(chunk) = reader.next_chunk().expect("reading from memory") {
        chunks.push(chunk.decode());
    }
    chunks
}

fn records(chunks: &[DecodedChunk]) -> Vec<(u64, String)> {
    chunks
        .iter()
        .flat_map(DecodedChunk::records)
        .map(|r| {
            (
                r.id,
                String::from_utf8(r.json.to_vec()).expect("UTF-8 JSON"),
            )
        })
        .collect()
}

fn event_id(json: &str) -> u64 {
    let event: Value = serde_json::from_str(json).expect("a JSON record");
    let id = &event["Event"]["System"]["EventID"];
    id.get("#text")
        .unwrap_or(id)
        .as_u64()
        .expect("a numeric EventID")
}

#[test]
fn magic_bytes_decide_what_is_evtx() {
    let bytes = evtx_bytes(SECURITY[0].0);
    assert!(is_evtx(&bytes));
    assert!(!is_evtx(b"{\"Event\":{}}\n"));
    assert!(!is_evtx(&bytes[..7]));
    assert!(matches!(
        ChunkReader::new(Cursor::new(b"<Event xmlns='..'/>".as_slice())),
        Err(ReadError::NotEvtx)
    ));
    assert!(matches!(
        ChunkReader::new(Cursor::new(&bytes[..1000])),
        Err(ReadError::ShortHeader { len: 1000 })
    ));
}

#[test]
fn every_record_comes_out_as_evtx_dump_wrote_it() {
    for (evtx, converted) in SECURITY {
        let chunks = decode_all(&evtx_bytes(evtx));
        let expected = jsonl(converted);
        let read = records(&chunks);
        let declared: u64 = chunks.iter().map(DecodedChunk::declared_records).sum();
        assert_eq!(
            read.len() as u64,
            declared,
            "{evtx}: records vs chunk headers"
        );
        assert_eq!(
            read.len(),
            expected.len(),
            "{evtx}: records vs evtx_dump lines"
        );
        for ((id, json), line) in read.iter().zip(&expected) {
            assert_eq!(json, line, "{evtx}: record {id}");
        }
        for chunk in &chunks {
            assert!(
                chunk.problems().is_empty(),
                "{evtx}: {:?}",
                chunk.damage_report()
            );
            assert!(chunk.checksums_match(), "{evtx}");
            assert!(chunk.damaged_bytes().is_empty());
        }
    }
}

/// Counts per event ID that the Windows parser puts in `auth`, and the reasons of what
/// it puts in `unparsed`, for the records of one file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Landed {
    auth: BTreeMap<i32, usize>,
    unparsed: BTreeMap<String, usize>,
}

fn land(records: &[(u64, String)]) -> Landed {
    let settings = ParseSettings {
        format: Some(Format::Windows),
        ..ParseSettings::default()
    };
    let mut parser = LineParser::new(settings, Arc::new(ZoneMap::default()));
    let mut batches = Batches::new(Arc::new(ZoneMap::default()));
    for (id, json) in records {
        let source = format!("test#{id}");
        let line = RawLine {
            bytes: json.as_bytes(),
            received_at: 0,
            source: &source,
            peer: None,
        };
        parser.parse_into(&line, &mut batches);
    }
    let mut landed = Landed::default();
    for (table, batch) in batches.finish() {
        match table {
            Table::Auth => {
                let codes = batch.column_by_name("event_code").expect("event_code");
                let codes = codes.as_primitive::<Int32Type>();
                for code in codes.iter() {
                    *landed.auth.entry(code.expect("an event code")).or_default() += 1;
                }
            }
            Table::Unparsed => {
                let errors = batch
                    .column_by_name("error")
                    .expect("error")
                    .as_string::<i32>();
                for error in errors.iter() {
                    *landed
                        .unparsed
                        .entry(error.expect("a reason").to_owned())
                        .or_default() += 1;
                }
            }
            other => panic!("a Windows record landed in {other}"),
        }
    }
    landed
}

/// The event IDs `parsers::auth::windows` maps to `auth`.
const MAPPED: [u64; 20] = [
    1102, 4624, 4625, 4634, 4647, 4648, 4672, 4720, 4722, 4723, 4724, 4725, 4726, 4728, 4732, 4740,
    4756, 4768, 4771, 4776,
];

#[test]
fn counts_per_event_id_match_the_files_and_their_conversions() {
    for (evtx, converted) in SECURITY {
        let landed = land(&records(&decode_all(&evtx_bytes(evtx))));
        let mut expected = Landed::default();
        for line in jsonl(converted) {
            let id = event_id(&line);
            if MAPPED.contains(&id) {
                *expected.auth.entry(id as i32).or_default() += 1;
            } else {
                *expected
                    .unparsed
                    .entry("windows: event id not mapped".to_owned())
                    .or_default() += 1;
            }
        }
        assert_eq!(landed, expected, "{evtx}");
    }
    // Pinned from the files, so that a change in both the reader and the conversions
    // cannot go unnoticed.
    let kerbrute = land(&records(&decode_all(&evtx_bytes(SECURITY[2].0))));
    assert_eq!(kerbrute.auth, BTreeMap::from([(4768, 20), (4771, 22)]));
    let openssh = land(&records(&decode_all(&evtx_bytes(SECURITY[1].0))));
    assert_eq!(
        openssh.auth,
        BTreeMap::from([
            (1102, 1),
            (4624, 1),
            (4625, 5),
            (4648, 1),
            (4672, 1),
            (4776, 5)
        ])
    );
    assert_eq!(openssh.unparsed.values().sum::<usize>(), 6);
}

#[test]
fn chunks_stream_in_order_and_unused_chunks_are_skipped() {
    let chunks = decode_all(&evtx_bytes(MULTI_CHUNK));
    let offsets: Vec<u64> = chunks.iter().map(DecodedChunk::offset).collect();
    assert_eq!(offsets, [0x1000, 0x11000, 0x21000]);
    let ids: Vec<u64> = records(&chunks).iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=72).collect::<Vec<_>>());
    assert!(chunks.iter().all(|c| c.problems().is_empty()));
    // Another channel than Security: every record is kept in `unparsed`, with the reason.
    let landed = land(&records(&chunks));
    assert!(landed.auth.is_empty());
    assert_eq!(landed.unparsed.values().sum::<usize>(), 72);
    assert!(
        landed
            .unparsed
            .keys()
            .all(|reason| reason.contains("channel")),
        "{:?}",
        landed.unparsed
    );
}

#[test]
fn a_file_cut_inside_a_chunk_keeps_the_records_before_the_cut() {
    let whole = evtx_bytes(MULTI_CHUNK);
    let second = FILE_HEADER_SIZE as usize + CHUNK_SIZE;
    let cut = &whole[..second + 30_000];
    let chunks = decode_all(cut);
    assert_eq!(chunks.len(), 2);
    assert!(chunks[0].problems().is_empty());
    assert_eq!(chunks[0].records().len(), 27);

    let damaged = &chunks[1];
    assert_eq!(damaged.offset(), 0x11000);
    assert!(matches!(
        damaged.problems()[0],
        ChunkProblem::Truncated { len: 30_000 }
    ));
    assert_eq!(damaged.damaged_bytes(), &whole[second..second + 30_000]);
    let kept = damaged.records().len();
    assert!(
        (1..27).contains(&kept),
        "{kept} of the 27 records of the cut chunk read"
    );
    // What was read is exactly the start of the intact chunk's records.
    let intact = decode_all(&whole);
    let intact: Vec<_> = records(&intact[1..2]);
    assert_eq!(records(&chunks[1..]), intact[..kept]);
    let report = damaged.damage_report().expect("a report");
    assert!(
        report.starts_with(&format!(
            "evtx: chunk at offset 0x11000: {kept} of 27 records read"
        )),
        "{report}"
    );
    assert!(
        report.contains("the file ends 30000 bytes into the chunk"),
        "{report}"
    );
}

#[test]
fn a_damaged_chunk_header_loses_only_that_chunk() {
    let mut damaged = evtx_bytes(MULTI_CHUNK);
    let second = FILE_HEADER_SIZE as usize + CHUNK_SIZE;
    for byte in &mut damaged[second..second + 8] {
        *byte = !*byte;
    }
    let chunks = decode_all(&damaged);
    let read: Vec<usize> = chunks.iter().map(|c| c.records().len()).collect();
    assert_eq!(read, [27, 0, 18]);
    let bad = &chunks[1];
    assert_eq!(bad.offset(), 0x11000);
    assert!(matches!(bad.problems(), [ChunkProblem::Unreadable(_)]));
    assert_eq!(bad.damaged_bytes(), &damaged[second..second + CHUNK_SIZE]);
    let report = bad.damage_report().expect("a report");
    assert!(
        report.starts_with("evtx: chunk at offset 0x11000: 0 of 0 records read; unreadable chunk"),
        "{report}"
    );
}

#[test]
fn damaged_records_are_reported_and_their_neighbours_read() {
    let whole = evtx_bytes(MULTI_CHUNK);
    let intact = records(&decode_all(&whole));
    let mut damaged = whole.clone();
    // The second record of the first chunk: its header's magic (`**\0\0`).
    let chunk = FILE_HEADER_SIZE as usize;
    let second_record = (chunk + 512..chunk + CHUNK_SIZE)
        .filter(|&at| damaged[at..].starts_with(b"\x2a\x2a\x00\x00"))
        .nth(1)
        .expect("a second record");
    damaged[second_record] = 0;
    let chunks = decode_all(&damaged);
    assert!(matches!(chunks[0].problems(), [ChunkProblem::Record(_)]));
    let read = records(&chunks);
    assert!(read.len() < intact.len());
    // Every record read is one of the intact file's, unchanged.
    for record in &read {
        assert!(intact.contains(record), "record {} changed", record.0);
    }
    assert!(chunks[1..].iter().all(|c| c.problems().is_empty()));
}

/// Cuts at many points and bytes flipped all over a real file: the reader never panics,
/// never invents records, and says where every problem is.
#[test]
fn cut_or_flipped_files_never_panic() {
    let whole = evtx_bytes(SECURITY[1].0);
    let intact = records(&decode_all(&whole));
    let mut cuts: Vec<usize> = (FILE_HEADER_SIZE as usize..whole.len())
        .step_by(997)
        .collect();
    cuts.extend([4096 + 7, 4096 + 8, 4096 + 511, 4096 + 512, 4096 + 513]);
    for cut in cuts {
        let chunks = decode_all(&whole[..cut]);
        let read = records(&chunks);
        assert!(
            read.iter().zip(&intact).all(|(a, b)| a == b),
            "cut at {cut}"
        );
        for chunk in &chunks {
            assert!(
                !chunk.problems().is_empty(),
                "cut at {cut}: no problem reported"
            );
        }
    }
    // A small linear congruential generator: the same flips on every run.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for _ in 0..200 {
        let mut flipped = whole.clone();
        for _ in 0..4 {
            let at = FILE_HEADER_SIZE as usize + next() % CHUNK_SIZE;
            flipped[at] ^= 1 << (next() % 8);
        }
        for chunk in decode_all(&flipped) {
            for record in chunk.records() {
                let json = serde_json::from_slice::<Value>(record.json);
                assert!(json.is_ok(), "record {} is not JSON", record.id);
            }
            if let Some(report) = chunk.damage_report() {
                assert!(
                    report.starts_with("evtx: chunk at offset 0x1000"),
                    "{report}"
                );
            }
        }
    }
}
