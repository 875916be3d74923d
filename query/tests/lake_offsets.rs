//! Kafka offsets recorded in the lake's footers: a consumer resumes from complete flushes
//! only, a flush cut short by a crash is found and removed, and compaction keeps both
//! answers as they were.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::LakeWriter;
use sanso_query::lake::offsets::{FlushMarker, Ledger, OffsetRanges};
use sanso_query::lake::{CompactPolicy, compact_lake};

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z
const MESSAGES_PER_FLUSH: i64 = 20;

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap())
}

/// The rows of offsets `first..first + MESSAGES_PER_FLUSH`, alternating between two
/// days, so that one flush writes two files.
fn rows(first: i64) -> RecordBatch {
    let mut batches = Batches::new(zones());
    for offset in first..first + MESSAGES_PER_FLUSH {
        let time = T0 + (offset % 2) * DAY + offset;
        let raw = format!("message {offset}");
        let source = format!("kafka:fw/0@{offset}");
        let common = Common {
            time,
            received_at: time,
            zone: Some(Zone::Core),
            device: Some("fw"),
            format: Some("iptables"),
            source: &source,
            raw: &raw,
            raw_bytes: None,
        };
        let event = NetworkEvent {
            src_ip: Some("10.10.0.1"),
            ..Default::default()
        };
        batches.push(&common, &Event::Network(event));
    }
    batches.finish().remove(0).1
}

/// Writes flush number `flush` (offsets of topic `fw`, partition 0) with its marker and
/// returns the files it wrote.
fn flush(writer: &mut LakeWriter, flush: i64) -> Vec<PathBuf> {
    let first = flush * MESSAGES_PER_FLUSH;
    writer.append(Table::Network, &rows(first)).unwrap();
    let mut offsets = OffsetRanges::default();
    offsets.insert("fw", 0, first, first + MESSAGES_PER_FLUSH - 1);
    let marker = FlushMarker::new(format!("test-{flush}"), writer.pending_files(), offsets);
    let prepared = writer.prepare_all_with(&[marker.key_value()]).unwrap();
    let paths: Vec<PathBuf> = prepared.paths().map(Path::to_owned).collect();
    prepared.commit().unwrap();
    assert_eq!(paths.len(), 2, "every flush spans two days");
    paths
}

fn resume(root: &Path) -> Option<i64> {
    Ledger::scan(root)
        .unwrap()
        .resume_offsets()
        .get(&("fw".to_owned(), 0))
        .copied()
}

#[test]
fn resume_follows_complete_flushes_and_a_half_flush_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    assert_eq!(resume(dir.path()), None, "an empty lake holds no offsets");
    flush(&mut writer, 0);
    flush(&mut writer, 1);
    assert_eq!(resume(dir.path()), Some(2 * MESSAGES_PER_FLUSH));

    // A crash between the two renames of flush 2: one file visible, one not.
    let files = flush(&mut writer, 2);
    std::fs::remove_file(&files[1]).unwrap();
    let ledger = Ledger::scan(dir.path()).unwrap();
    assert_eq!(
        ledger.resume_offsets()[&("fw".to_owned(), 0)],
        2 * MESSAGES_PER_FLUSH,
        "the half flush does not move the resume point"
    );
    let incomplete: Vec<&Path> = ledger.incomplete().map(|(path, _)| path).collect();
    assert_eq!(incomplete, vec![files[0].as_path()]);
    assert!(ledger.incomplete().all(|(_, m)| m.offsets.covers("fw", 0)));
    assert_eq!(Ledger::remove(incomplete).unwrap(), 1);
    assert!(!files[0].exists());
    assert_eq!(Ledger::scan(dir.path()).unwrap().incomplete().count(), 0);
}

#[test]
fn compaction_keeps_offsets_and_leaves_half_flushes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    for n in 0..5 {
        flush(&mut writer, n);
    }
    let half = flush(&mut writer, 5);
    std::fs::remove_file(&half[1]).unwrap();
    let before = resume(dir.path());
    assert_eq!(before, Some(5 * MESSAGES_PER_FLUSH));

    let policy = CompactPolicy {
        grace: Duration::ZERO,
        ..CompactPolicy::default()
    };
    // The first pass merges, the second deletes the replaced files.
    for _ in 0..2 {
        compact_lake(dir.path(), &policy, &|| Ok(Vec::new()))
            .unwrap()
            .unwrap();
    }
    assert!(
        half[0].exists(),
        "a file of an unfinished flush is not merged"
    );
    let ledger = Ledger::scan(dir.path()).unwrap();
    assert_eq!(
        ledger.resume_offsets().get(&("fw".to_owned(), 0)).copied(),
        before
    );
    let incomplete: Vec<&Path> = ledger.incomplete().map(|(path, _)| path).collect();
    assert_eq!(incomplete, vec![half[0].as_path()]);
    let merged = std::fs::read_dir(half[0].parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("compact-")
        })
        .count();
    assert!(merged > 0, "the complete flushes were merged");
}
