//! Kafka offsets recorded in the lake's footers: a consumer resumes from complete flushes
//! only, a flush cut short by a crash is found and removed, and neither compaction nor
//! retention changes either answer.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arrow::array::RecordBatch;
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::LakeWriter;
use sanso_query::lake::offsets::{FlushMarker, Ledger, OffsetRanges};
use sanso_query::lake::retention::{Holds, Keep, RetentionPolicy, enforce};
use sanso_query::lake::{CompactPolicy, compact_lake};

mod support;
use support::firewall_line;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z
const MESSAGES_PER_FLUSH: i64 = 20;

/// Numbers every flush the tests write, so that a flush of the same offsets written
/// again is a flush of its own, as it is when a consumer reads them again.
static FLUSH_IDS: AtomicU64 = AtomicU64::new(0);

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap())
}

/// The rows of offsets `first..first + MESSAGES_PER_FLUSH`, alternating between the
/// days `day` and `day + 1` after `T0`, so that one flush writes two files.
fn rows(first: i64, day: i64) -> RecordBatch {
    let mut batches = Batches::new(zones());
    for offset in first..first + MESSAGES_PER_FLUSH {
        let time = T0 + (day + offset % 2) * DAY + offset;
        let raw = format!("message {offset}");
        let source = format!("kafka:fw/0@{offset}");
        let common = Common {
            source: &source,
            ..firewall_line(time, Some(Zone::Core), &raw)
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
/// returns the files it wrote, in date order: one for each of the first two days after
/// `T0`.
fn flush(writer: &mut LakeWriter, flush: i64) -> Vec<PathBuf> {
    flush_on(writer, flush, 0)
}

/// [`flush`] with rows on the days `day` and `day + 1` after `T0`.
fn flush_on(writer: &mut LakeWriter, flush: i64, day: i64) -> Vec<PathBuf> {
    let first = flush * MESSAGES_PER_FLUSH;
    writer.append(Table::Network, &rows(first, day)).unwrap();
    let mut offsets = OffsetRanges::default();
    offsets.insert("fw", 0, first, first + MESSAGES_PER_FLUSH - 1);
    let id = format!("test-{}", FLUSH_IDS.fetch_add(1, Ordering::Relaxed));
    let marker = FlushMarker::new(id, writer.pending_files(), offsets);
    let mut prepared = writer.prepare_all_with(&[marker.key_value()]).unwrap();
    let mut paths: Vec<PathBuf> = prepared.paths().map(Path::to_owned).collect();
    paths.sort();
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

#[test]
fn flushes_that_retention_took_a_day_from_stay_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    let spanning: Vec<Vec<PathBuf>> = (0..3).map(|n| flush(&mut writer, n)).collect();
    for n in 3..5 {
        flush_on(&mut writer, n, 1);
    }
    let before = resume(dir.path());
    assert_eq!(before, Some(5 * MESSAGES_PER_FLUSH));

    // Keeping three days on the third day after T0 expires the first day, which every
    // flush that spans the first two days wrote a file to.
    let today = chrono::DateTime::from_timestamp_micros(T0 + 3 * DAY)
        .unwrap()
        .date_naive();
    let policy = RetentionPolicy {
        default: Keep::Days(3),
        rules: Vec::new(),
    };
    let report = enforce(dir.path(), &policy, today, &Holds::default(), false).unwrap();
    assert_eq!(report.deleted.len(), 1, "{report:?}");
    assert!(spanning.iter().all(|files| !files[0].exists()));

    let ledger = Ledger::scan(dir.path()).unwrap();
    let unfinished: Vec<&Path> = ledger.incomplete().map(|(path, _)| path).collect();
    assert!(
        unfinished.is_empty(),
        "files of flushes that finished are not taken for a crash's leftovers: {unfinished:?}"
    );
    assert_eq!(
        ledger.resume_offsets().get(&("fw".to_owned(), 0)).copied(),
        before
    );
    assert!(
        spanning.iter().all(|files| ledger.mergeable(&files[1])),
        "compaction may merge what retention left of finished flushes"
    );

    // A crash after the first file of the latest flush still leaves it unfinished.
    let half = flush_on(&mut writer, 5, 1);
    std::fs::remove_file(&half[1]).unwrap();
    let ledger = Ledger::scan(dir.path()).unwrap();
    let unfinished: Vec<&Path> = ledger.incomplete().map(|(path, _)| path).collect();
    assert_eq!(unfinished, vec![half[0].as_path()]);
}

#[test]
fn an_unfinished_flush_whose_offsets_a_finished_one_holds_is_not_finished() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    let half = flush(&mut writer, 0);
    std::fs::remove_file(&half[1]).unwrap();
    // Another instance read the same messages again, and more, before the leftover
    // was removed: the leftover is a duplicate, not a flush retention trimmed.
    flush(&mut writer, 0);
    flush(&mut writer, 1);
    let ledger = Ledger::scan(dir.path()).unwrap();
    let unfinished: Vec<&Path> = ledger.incomplete().map(|(path, _)| path).collect();
    assert_eq!(unfinished, vec![half[0].as_path()]);
}
