//! Compaction merges small files without a query ever seeing a row twice or missing one,
//! whatever step a crash interrupts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, TimestampMicrosecondType};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sanso_ingest::batch::Batches;
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::lake::compact::{ABANDONED_AFTER, MANIFEST_EXTENSION};
use sanso_query::lake::{CompactPolicy, CompactStats, compact_lake};
use sanso_query::{Lake, LakeWriter};

mod support;
use support::firewall_line;

const T0: i64 = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z
const FLUSHES: usize = 6;
const ROWS_PER_FLUSH: usize = 50;

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap())
}

/// One flush's rows, all in the partition of `day_start`, times interleaved with other
/// flushes' so that merging has to sort.
fn flush_batch(day_start: i64, flush: usize) -> RecordBatch {
    let mut batches = Batches::new(zones());
    for i in 0..ROWS_PER_FLUSH {
        let time = day_start + ((i * FLUSHES + (FLUSHES - flush)) as i64) * 1_000_000;
        let raw = format!("flush {flush} row {i}");
        let src = format!("10.10.{flush}.{i}");
        let common = firewall_line(time, Some(Zone::Core), &raw);
        let event = NetworkEvent {
            src_ip: Some(&src),
            dst_ip: Some("8.8.8.8"),
            action: Some(if i % 5 == 0 { "deny" } else { "allow" }),
            ..Default::default()
        };
        batches.push(&common, &Event::Network(event));
    }
    batches.finish().remove(0).1
}

/// A lake with one partition of [`FLUSHES`] small files.
fn small_files_lake() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    for flush in 0..FLUSHES {
        writer
            .append(Table::Network, &flush_batch(T0, flush))
            .unwrap();
        writer.flush_all().unwrap();
    }
    let partition = dir.path().join("network/date=2025-11-20/zone=core");
    assert_eq!(parquet_files(&partition).len(), FLUSHES);
    (dir, partition)
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    files
}

fn names(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// Every row of `network`, each rendered as one line, sorted: equal lists mean the same
/// rows, each as often.
async fn all_rows(root: &Path) -> Vec<String> {
    let lake = Lake::open(root, zones()).await.unwrap();
    let (_, batches) = lake.sql("SELECT * FROM network").await.unwrap();
    let mut rows = Vec::new();
    let options = FormatOptions::default();
    for batch in &batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            let fields: Vec<String> = formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect();
            rows.push(fields.join("|"));
        }
    }
    rows.sort();
    rows
}

fn policy(grace: Duration) -> CompactPolicy {
    CompactPolicy {
        grace,
        ..CompactPolicy::default()
    }
}

fn pass(root: &Path, policy: &CompactPolicy) -> CompactStats {
    compact_lake(root, policy, &|| Ok(Vec::new()))
        .unwrap()
        .expect("no other compaction holds the lock")
}

#[tokio::test]
async fn merging_keeps_every_row_once_and_sorts_by_time() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    assert_eq!(before.len(), FLUSHES * ROWS_PER_FLUSH);

    let stats = pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(
        stats,
        CompactStats {
            partitions: 1,
            files_merged: FLUSHES as u64,
            files_written: 1,
            rows: (FLUSHES * ROWS_PER_FLUSH) as u64,
            files_deleted: 0,
            abandoned_deleted: 0,
        }
    );
    // The output is visible and its inputs hidden, though not yet deleted.
    assert_eq!(parquet_files(&partition).len(), FLUSHES + 1);
    assert_eq!(all_rows(dir.path()).await, before);

    // The grace period (zero here) has passed: the inputs go, then the manifest.
    assert_eq!(
        pass(dir.path(), &policy(Duration::ZERO)).files_deleted,
        FLUSHES as u64
    );
    assert_eq!(parquet_files(&partition).len(), 1);
    assert_eq!(names(&partition, MANIFEST_EXTENSION).len(), 1);
    assert_eq!(all_rows(dir.path()).await, before);
    assert_eq!(
        pass(dir.path(), &policy(Duration::ZERO)),
        CompactStats::default()
    );
    assert!(names(&partition, MANIFEST_EXTENSION).is_empty());
    assert_eq!(all_rows(dir.path()).await, before);

    // The merged file holds the allowed flows, then the denied ones, each in time order.
    let merged = std::fs::File::open(&parquet_files(&partition)[0]).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(merged)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let times = batch
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        let actions =
            arrow::compute::cast(batch.column_by_name("action").unwrap(), &DataType::Utf8).unwrap();
        let actions = actions.as_string::<i32>();
        rows.extend(
            (0..batch.num_rows()).map(|row| (actions.value(row).to_owned(), times.value(row))),
        );
    }
    assert_eq!(rows.len(), FLUSHES * ROWS_PER_FLUSH);
    let denied = FLUSHES * ROWS_PER_FLUSH / 5;
    assert!(
        rows[..rows.len() - denied]
            .iter()
            .all(|(action, _)| action == "allow")
    );
    assert!(
        rows[rows.len() - denied..]
            .iter()
            .all(|(action, _)| action == "deny")
    );
    assert!(rows.is_sorted());
}

#[tokio::test]
async fn inputs_stay_during_the_grace_period() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    let long = policy(Duration::from_secs(3600));
    pass(dir.path(), &long);
    let again = pass(dir.path(), &long);
    assert_eq!(again.files_deleted, 0);
    // Nor are hidden files merged a second time.
    assert_eq!(again.files_written, 0);
    assert_eq!(parquet_files(&partition).len(), FLUSHES + 1);
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn a_crash_while_writing_the_output_leaves_the_inputs() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    // Step 1 interrupted: a temporary output, no manifest.
    let stale = partition.join(".compact-0000000000000001-1-000000.parquet.tmp");
    std::fs::write(&stale, b"half a parquet file").unwrap();
    assert_eq!(all_rows(dir.path()).await, before);
    let stats = pass(dir.path(), &policy(Duration::ZERO));
    assert!(!stale.exists());
    assert_eq!(stats.files_merged, FLUSHES as u64);
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn temporary_files_of_killed_flushes_are_removed_once_old() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    // A flush killed an hour and more ago, and one that may still be writing.
    let abandoned = partition.join(".part-0000000000000001-7-000000.parquet.tmp");
    let writing = partition.join(".part-0000000000000002-8-000000.parquet.tmp");
    for file in [&abandoned, &writing] {
        std::fs::write(file, b"part of a parquet file").unwrap();
    }
    let long_ago = std::time::SystemTime::now() - ABANDONED_AFTER - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&abandoned)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();

    let stats = pass(dir.path(), &policy(Duration::from_secs(300)));
    assert!(!abandoned.exists());
    assert!(writing.exists(), "a flush may still be writing this one");
    assert_eq!(stats.abandoned_deleted, 1);
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn a_crash_before_the_output_appears_leaves_the_inputs() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    pass(dir.path(), &policy(Duration::from_secs(3600)));
    // Step 2 done, step 3 not: put the output back under its temporary name.
    let output = names(&partition, ".parquet")
        .into_iter()
        .find(|n| n.starts_with("compact-"))
        .unwrap();
    std::fs::rename(
        partition.join(&output),
        partition.join(format!(".{output}.tmp")),
    )
    .unwrap();
    assert_eq!(names(&partition, MANIFEST_EXTENSION).len(), 1);
    assert_eq!(all_rows(dir.path()).await, before);

    // The next pass drops the orphaned manifest and temporary file and merges afresh.
    let stats = pass(dir.path(), &policy(Duration::from_secs(3600)));
    assert_eq!(stats.files_merged, FLUSHES as u64);
    assert_eq!(names(&partition, MANIFEST_EXTENSION).len(), 1);
    assert!(names(&partition, ".tmp").is_empty());
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn a_crash_while_deleting_inputs_hides_the_rest() {
    let (dir, partition) = small_files_lake();
    let before = all_rows(dir.path()).await;
    let inputs = parquet_files(&partition);
    pass(dir.path(), &policy(Duration::from_secs(3600)));
    // Step 4 interrupted half way.
    for input in &inputs[..FLUSHES / 2] {
        std::fs::remove_file(input).unwrap();
    }
    assert_eq!(all_rows(dir.path()).await, before);
    let stats = pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(stats.files_deleted, (FLUSHES - FLUSHES / 2) as u64);
    assert_eq!(parquet_files(&partition).len(), 1);
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn files_of_an_unfinished_flush_are_left_alone() {
    let (dir, partition) = small_files_lake();
    let files = parquet_files(&partition);
    // Every file but one is named by a pending checkpoint: too few remain to merge.
    let pending: Vec<PathBuf> = files[1..].to_vec();
    let stats = compact_lake(dir.path(), &policy(Duration::ZERO), &|| Ok(pending.clone()))
        .unwrap()
        .unwrap();
    assert_eq!(stats, CompactStats::default());
    assert_eq!(parquet_files(&partition), files);
}

/// Two flushes into the partition of the day starting at `day_start`; returns its folder.
fn two_flushes(root: &Path, day_start: i64) -> PathBuf {
    let mut writer = LakeWriter::new(root).unwrap();
    for flush in 0..2 {
        writer
            .append(Table::Network, &flush_batch(day_start, flush))
            .unwrap();
        writer.flush_all().unwrap();
    }
    let date = chrono::DateTime::from_timestamp_micros(day_start)
        .unwrap()
        .format("%Y-%m-%d");
    let partition = root.join(format!("network/date={date}/zone=core"));
    assert_eq!(parquet_files(&partition).len(), 2);
    partition
}

#[tokio::test]
async fn a_settled_day_is_merged_from_two_files_and_today_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let past = two_flushes(dir.path(), T0);
    let now = chrono::Utc::now();
    let day_micros = 86_400_000_000;
    let today_start = now.timestamp_micros() / day_micros * day_micros;
    let today = two_flushes(dir.path(), today_start);
    let yesterday = two_flushes(dir.path(), today_start - day_micros);
    let before = all_rows(dir.path()).await;

    let stats = pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(stats.partitions, 1, "{stats:?}");
    assert_eq!(stats.files_merged, 2);
    pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(parquet_files(&past).len(), 1);
    // Today may still be written to, and yesterday ended less than a day ago: both keep
    // their files until there are enough to merge.
    assert_eq!(parquet_files(&today).len(), 2);
    assert_eq!(parquet_files(&yesterday).len(), 2);
    assert_eq!(all_rows(dir.path()).await, before);

    // With no settling time, yesterday is settled as well.
    let eager = CompactPolicy {
        settled_after: Duration::ZERO,
        ..policy(Duration::ZERO)
    };
    assert_eq!(pass(dir.path(), &eager).files_merged, 2);
    pass(dir.path(), &eager);
    assert_eq!(parquet_files(&yesterday).len(), 1);
    assert_eq!(parquet_files(&today).len(), 2);
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn one_compaction_at_a_time() {
    let (dir, _) = small_files_lake();
    std::fs::create_dir_all(dir.path().join("_sanso")).unwrap();
    let lock = std::fs::File::create(dir.path().join("_sanso/compact.lock")).unwrap();
    lock.lock().unwrap();
    assert!(
        compact_lake(dir.path(), &policy(Duration::ZERO), &|| Ok(Vec::new()))
            .unwrap()
            .is_none()
    );
    lock.unlock().unwrap();
    assert!(
        compact_lake(dir.path(), &policy(Duration::ZERO), &|| Ok(Vec::new()))
            .unwrap()
            .is_some()
    );
}

/// Rewrites `file` as an older or newer sanso would have written it: `edit` changes the
/// columns of each batch.
fn rewrite_file(file: &Path, edit: impl Fn(RecordBatch) -> RecordBatch) {
    let batches: Vec<RecordBatch> =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(|b| edit(b.unwrap()))
            .collect();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(file).unwrap(),
        batches[0].schema(),
        None,
    )
    .unwrap();
    for batch in &batches {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
}

#[tokio::test]
async fn files_from_before_a_column_was_added_are_merged_with_it_null() {
    let (dir, partition) = small_files_lake();
    // Half the files lack a column, as files written before it existed do; its values
    // are null in every row here, as the rows of old files read.
    let added = "threat_name";
    for file in &parquet_files(&partition)[..FLUSHES / 2] {
        rewrite_file(file, |batch| {
            let keep: Vec<usize> = (0..batch.num_columns())
                .filter(|&i| batch.schema().field(i).name() != added)
                .collect();
            batch.project(&keep).unwrap()
        });
    }
    let before = all_rows(dir.path()).await;
    let stats = pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(stats.files_merged, FLUSHES as u64);
    pass(dir.path(), &policy(Duration::ZERO));
    assert_eq!(parquet_files(&partition).len(), 1, "merged, inputs deleted");
    assert_eq!(all_rows(dir.path()).await, before);
}

#[tokio::test]
async fn a_file_with_a_column_the_table_lost_is_not_merged() {
    let (dir, partition) = small_files_lake();
    let files = parquet_files(&partition);
    rewrite_file(&files[0], |batch| {
        let mut columns = batch.columns().to_vec();
        let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
        columns.push(Arc::new(StringArray::from(vec![
            "evidence";
            batch.num_rows()
        ])));
        fields.push(Arc::new(Field::new("retired", DataType::Utf8, true)));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    });
    let err = compact_lake(dir.path(), &policy(Duration::ZERO), &|| Ok(Vec::new()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&files[0].display().to_string()) && err.contains("`retired`"),
        "{err}"
    );
    assert_eq!(
        parquet_files(&partition),
        files,
        "nothing merged or deleted"
    );
}
