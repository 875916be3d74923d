//! The lake writer and the SQL session, together: what is written is what is read.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{AuthEvent, Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::{Lake, LakeWriter, QueryError, QueryFailure};

mod support;
use support::firewall_line;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    let lgwan = ZoneConfig {
        cidrs: vec!["10.20.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core), (Zone::Lgwan, &lgwan)]).unwrap())
}

/// Network rows over two days and two zones, deliberately out of time order.
fn network_batch() -> RecordBatch {
    let mut batches = Batches::new(zones());
    let rows = [
        (T0 + 5_000, Some(Zone::Core), "10.10.0.1"),
        (T0 + 1_000, Some(Zone::Core), "10.10.0.2"),
        (T0 + DAY + 1, Some(Zone::Core), "10.10.0.3"),
        (T0 + 2_000, Some(Zone::Lgwan), "10.20.0.1"),
        (T0 + 3_000, None, "192.168.0.1"),
    ];
    for (time, zone, ip) in rows {
        let raw = format!("line from {ip}");
        let extra = if zone.is_none() {
            vec![("devname", "FGT60F")]
        } else {
            Vec::new()
        };
        let event = NetworkEvent {
            src_ip: Some(ip),
            dst_ip: Some("8.8.8.8"),
            extra,
            ..Default::default()
        };
        batches.push(&firewall_line(time, zone, &raw), &Event::Network(event));
    }
    batches.finish().remove(0).1
}

async fn count(lake: &Lake, query: &str) -> i64 {
    let (_, batches) = lake.sql(query).await.unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn rows_land_in_hive_partitions_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    assert_eq!(writer.pending_rows(), 5);
    let stats = writer.flush_all().unwrap();
    assert_eq!((stats.files, stats.rows), (4, 5));
    assert_eq!(writer.pending_rows(), 0);

    for folder in [
        "network/date=2025-11-20/zone=core",
        "network/date=2025-11-21/zone=core",
        "network/date=2025-11-20/zone=lgwan",
        "network/date=2025-11-20/zone=unknown",
    ] {
        let files: Vec<_> = std::fs::read_dir(dir.path().join(folder))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1, "{folder}");
    }

    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 5);
    assert_eq!(
        count(&lake, "SELECT count(*) FROM network WHERE zone = 'core'").await,
        3
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM network WHERE date = '2025-11-21'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) FROM network WHERE dst_zone = 'external'"
        )
        .await,
        5
    );
    // Within a file rows are sorted by time.
    let (_, batches) = lake
        .sql("SELECT src_ip FROM network WHERE zone = 'core' AND date = '2025-11-20'")
        .await
        .unwrap();
    let ips: Vec<_> = batches[0]
        .column(0)
        .as_string::<i32>()
        .iter()
        .flatten()
        .collect();
    assert_eq!(ips, ["10.10.0.2", "10.10.0.1"]);
    // Vendor fields without a column stay queryable by name.
    let (_, batches) = lake
        .sql("SELECT src_ip FROM network WHERE extra['devname'] = 'FGT60F'")
        .await
        .unwrap();
    assert_eq!(
        batches[0].column(0).as_string::<i32>().value(0),
        "192.168.0.1"
    );
    // Empty tables are queryable too.
    assert_eq!(count(&lake, "SELECT count(*) FROM auth").await, 0);
    assert_eq!(count(&lake, "SELECT count(*) FROM alerts").await, 0);
}

/// A lake holding [`network_batch`], flushed.
fn network_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    writer.flush_all().unwrap();
    dir
}

/// Text columns other than `raw` are scanned as string views; results have plain
/// strings, whatever the scan read.
#[tokio::test]
async fn text_is_scanned_as_string_views_and_handed_out_as_plain_strings() {
    let dir = network_lake();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();

    let (schema, batches) = lake
        .sql(
            "SELECT arrow_typeof(src_ip) AS scanned_as, arrow_typeof(raw) AS raw_scanned_as, \
             src_ip, raw FROM network WHERE src_ip = '10.20.0.1'",
        )
        .await
        .unwrap();
    let text = |column: usize| {
        batches[0]
            .column(column)
            .as_string::<i32>()
            .value(0)
            .to_owned()
    };
    // Filtered and grouped text is read without copying; `raw`, which is only ever
    // returned, is read plainly.
    assert_eq!(text(0), "Utf8View");
    assert_eq!(text(1), "Utf8");
    assert_eq!(text(2), "10.20.0.1");
    for field in schema.fields() {
        assert_eq!(field.data_type(), &DataType::Utf8, "{}", field.name());
    }
    assert_eq!(batches[0].schema(), schema);
}

/// Aggregations are split into four partitions per core, so that a core that finishes
/// early takes another share instead of waiting; the grouped rows are the same.
#[tokio::test]
async fn aggregations_are_split_into_four_partitions_per_core() {
    let dir = network_lake();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let query = "SELECT src_ip, count(*) AS flows FROM network GROUP BY src_ip ORDER BY src_ip";
    let plan = lake
        .plan(query)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let cores = datafusion::common::utils::get_available_parallelism();
    let shown = datafusion::physical_plan::displayable(plan.as_ref())
        .indent(false)
        .to_string();
    assert!(
        shown.contains(&format!("partitioning=Hash([src_ip@0], {})", 4 * cores)),
        "{shown}"
    );
    let (_, batches) = lake.sql(query).await.unwrap();
    let rows = arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    let expected = [
        "+-------------+-------+",
        "| src_ip      | flows |",
        "+-------------+-------+",
        "| 10.10.0.1   | 1     |",
        "| 10.10.0.2   | 1     |",
        "| 10.10.0.3   | 1     |",
        "| 10.20.0.1   | 1     |",
        "| 192.168.0.1 | 1     |",
        "+-------------+-------+",
    ];
    assert_eq!(rows, expected.join("\n"));
}

/// Each file's statistics are read from its footer once per session, not at every
/// query; the listing is not cached, so files written between queries are still seen.
#[tokio::test]
async fn file_statistics_are_read_once_and_new_files_still_appear() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    writer.flush_all().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let cache = lake
        .context()
        .runtime_env()
        .cache_manager
        .get_file_statistic_cache()
        .expect("the session caches file statistics");
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 5);
    assert_eq!(cache.len(), 4, "one entry per file of the first flush");

    writer.append(Table::Network, &network_batch()).unwrap();
    writer.flush_all().unwrap();
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 10);
    assert_eq!(cache.len(), 8, "the second flush's files are read once too");
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 10);
    assert_eq!(cache.len(), 8);
}

#[tokio::test]
async fn half_written_files_are_invisible() {
    let dir = network_lake();
    // What a crash mid-write leaves behind: a temporary file with garbage in it.
    let partition = dir.path().join("network/date=2025-11-20/zone=core");
    std::fs::write(
        partition.join(".part-crashed.parquet.tmp"),
        b"PAR1 half a file",
    )
    .unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 5);
}

#[tokio::test]
async fn nothing_is_written_until_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    assert!(writer.oldest_pending().is_none());
    writer.append(Table::Network, &network_batch()).unwrap();
    let oldest = writer.oldest_pending().unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    assert_eq!(
        writer.oldest_pending(),
        Some(oldest),
        "the oldest rows set the age"
    );
    assert_eq!(writer.pending_rows(), 10);
    assert!(!dir.path().join("network").exists());
    let stats = writer.flush_all().unwrap();
    assert_eq!((stats.files, stats.rows), (4, 10));
    assert!(writer.oldest_pending().is_none());
}

#[tokio::test]
async fn auth_rows_keep_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut batches = Batches::new(zones());
    let event = AuthEvent {
        user: Some("tanaka"),
        src_ip: Some("10.20.3.4"),
        outcome: Some("failure"),
        activity: Some("logon"),
        protocol: Some("ssh"),
        ..Default::default()
    };
    batches.push(
        &firewall_line(T0, Some(Zone::Core), "raw"),
        &Event::Auth(event),
    );
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    for (table, batch) in batches.finish() {
        writer.append(table, &batch).unwrap();
    }
    writer.flush_all().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let (_, batches) = lake
        .sql("SELECT user, src_zone, dst_host, outcome FROM auth")
        .await
        .unwrap();
    let row = arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(
        row.contains("| tanaka | lgwan    | fw       | failure |"),
        "{row}"
    );
}

#[tokio::test]
async fn statements_that_do_not_only_read_are_refused_before_planning() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let copied = dir.path().join("copied.csv");
    let copy = format!("COPY (SELECT 1) TO '{}'", copied.display());
    for statement in [
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE network",
        "ALTER TABLE network RENAME TO gone",
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/etc/'",
        "INSERT INTO alerts SELECT * FROM alerts",
        "DELETE FROM auth",
        &copy,
        &format!("EXPLAIN ANALYZE {copy}"),
        "EXPLAIN ANALYZE INSERT INTO alerts SELECT * FROM alerts",
        // A query that plans into a write is caught in its plan.
        "SELECT 1 AS one INTO kept",
        "SET datafusion.execution.batch_size = 1",
        "RESET datafusion.execution.batch_size",
    ] {
        match lake.sql(statement).await {
            Err(err @ QueryError::ReadOnly) => {
                assert_eq!(err.failure(), QueryFailure::Rejected);
                assert!(err.to_string().contains("read-only"), "{err}");
            }
            other => panic!("{statement}: {other:?}"),
        }
    }
    assert!(!copied.exists(), "COPY wrote {}", copied.display());
    for table in ["t", "gone", "kept"] {
        assert!(
            lake.sql(&format!("SELECT * FROM {table}")).await.is_err(),
            "{table} was created"
        );
    }
}

#[tokio::test]
async fn every_kind_of_read_runs() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    for statement in [
        "SELECT count(*) FROM auth",
        "WITH failures AS (SELECT * FROM auth WHERE outcome = 'failure') SELECT count(*) FROM failures",
        "VALUES (1), (2)",
        "EXPLAIN SELECT count(*) FROM auth",
        "EXPLAIN ANALYZE SELECT count(*) FROM auth",
        "DESCRIBE auth",
        "SHOW TABLES",
        "SHOW COLUMNS FROM auth",
        "SHOW datafusion.execution.batch_size",
    ] {
        let (_, batches) = lake
            .sql(statement)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
        assert!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0,
            "{statement} answered nothing"
        );
    }
}

#[tokio::test]
async fn a_syntax_error_is_reported_in_the_parsers_words_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let err = lake.sql("SELEC 1").await.unwrap_err();
    assert!(matches!(err, QueryError::Syntax(_)), "{err:?}");
    assert_eq!(err.failure(), QueryFailure::Rejected);
    assert_eq!(
        err.to_string(),
        "SQL syntax: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"
    );
}

#[tokio::test]
async fn prepared_files_appear_only_on_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    let mut prepared = writer.prepare_all().unwrap();
    assert_eq!(writer.pending_rows(), 0);
    let paths: Vec<_> = prepared.paths().map(|p| p.to_owned()).collect();
    assert_eq!(paths.len(), 4);
    assert!(paths.iter().all(|p| !p.exists()));
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 0);

    let stats = prepared.commit().unwrap();
    assert_eq!((stats.files, stats.rows), (4, 5));
    assert!(paths.iter().all(|p| p.exists()));
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 5);

    // Abandoning a prepared flush leaves nothing behind, not even temporary files.
    writer.append(Table::Network, &network_batch()).unwrap();
    drop(writer.prepare_all().unwrap());
    let leftovers = walk(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .count();
    assert_eq!(leftovers, 0);
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 5);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The metadata of the one file a flush of [`network_batch`] writes.
fn network_file_metadata() -> parquet::file::metadata::ParquetMetaData {
    use parquet::file::reader::{FileReader, SerializedFileReader};

    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Network, &network_batch()).unwrap();
    writer.flush_all().unwrap();
    let file = walk(dir.path())
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
    reader.metadata().clone()
}

fn column<'a>(
    metadata: &'a parquet::file::metadata::ParquetMetaData,
    path: &str,
) -> &'a parquet::file::metadata::ColumnChunkMetaData {
    metadata
        .row_group(0)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == path)
        .unwrap_or_else(|| panic!("no column {path}"))
}

/// The whole line is stored plainly: no dictionary, no min/max statistics, which would
/// cost at every write and prune nothing. The columns analysts look up keep both, and
/// their bloom filters.
#[test]
fn raw_lines_are_stored_without_dictionary_or_statistics() {
    let metadata = network_file_metadata();
    let raw = column(&metadata, "raw");
    assert_eq!(raw.dictionary_page_offset(), None);
    assert!(raw.statistics().is_none());
    let src_ip = column(&metadata, "src_ip");
    assert!(src_ip.dictionary_page_offset().is_some());
    assert!(
        src_ip
            .statistics()
            .is_some_and(|s| s.min_bytes_opt().is_some())
    );
    assert!(src_ip.bloom_filter_offset().is_some());
}

/// The vendor fields' keys and values carry no statistics, in the footer or in a page
/// index: DataFusion never prunes on a map's entries, and min/max over every entry of
/// every row were a sixth of the encoder's time. The top-level columns keep theirs.
#[test]
fn vendor_fields_are_stored_without_statistics() {
    let metadata = network_file_metadata();
    for path in ["extra.entries.keys", "extra.entries.values"] {
        let leaf = column(&metadata, path);
        assert!(leaf.statistics().is_none(), "{path}");
        assert_eq!(leaf.column_index_offset(), None, "{path}");
    }
    for path in ["src_ip", "dst_ip", "time"] {
        let top = column(&metadata, path);
        assert!(top.statistics().is_some(), "{path}");
        assert!(top.column_index_offset().is_some(), "{path}");
    }
}

/// The vendor fields' keys and values are stored plainly: interning every entry of every
/// firewall row cost a tenth of an import, and zstd makes the plain pages about as
/// small. The columns analysts group on keep their dictionaries.
#[test]
fn vendor_fields_are_stored_without_dictionary() {
    let metadata = network_file_metadata();
    for path in ["extra.entries.keys", "extra.entries.values"] {
        assert_eq!(
            column(&metadata, path).dictionary_page_offset(),
            None,
            "{path}"
        );
    }
    for path in ["src_ip", "action", "device"] {
        let top = column(&metadata, path);
        assert!(top.dictionary_page_offset().is_some(), "{path}");
    }
}

/// zstd where the bytes are (the line and the vendor fields), LZ4 on the narrow columns
/// queries filter and group on, and timestamps delta-encoded instead of a dictionary.
#[test]
fn bulky_text_is_zstd_and_narrow_columns_lz4() {
    use parquet::basic::{Compression, Encoding};

    let metadata = network_file_metadata();
    for path in [
        "raw",
        "source",
        "extra.entries.keys",
        "extra.entries.values",
    ] {
        assert!(
            matches!(column(&metadata, path).compression(), Compression::ZSTD(_)),
            "{path}"
        );
    }
    for path in [
        "src_ip",
        "dst_port",
        "action",
        "device",
        "time",
        "received_at",
    ] {
        assert_eq!(
            column(&metadata, path).compression(),
            Compression::LZ4_RAW,
            "{path}"
        );
    }
    for path in ["time", "received_at"] {
        let time = column(&metadata, path);
        assert_eq!(time.dictionary_page_offset(), None, "{path}");
        assert!(
            time.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED),
            "{path}"
        );
        assert!(
            time.statistics()
                .is_some_and(|s| s.min_bytes_opt().is_some())
        );
    }
}

/// A network batch from a builder of its own (so with dictionaries of its own), all in
/// the core zone on one day: `rows` rows from `device`, at times `first`, `first + step`, …
fn device_batch(device: &str, first: i64, step: i64, rows: usize) -> RecordBatch {
    let mut batches = Batches::new(zones());
    for i in 0..rows {
        let time = first + step * i as i64;
        let raw = format!("{device} {i}");
        let common = Common {
            device: Some(device),
            ..firewall_line(time, Some(Zone::Core), &raw)
        };
        let event = NetworkEvent {
            src_ip: Some("10.10.0.1"),
            action: Some(if i % 2 == 0 { "allow" } else { "deny" }),
            ..Default::default()
        };
        batches.push(&common, &Event::Network(event));
    }
    batches.finish().remove(0).1
}

/// The columns a Parquet file says its rows are sorted by.
fn sorted_by(
    builder: &parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder<std::fs::File>,
) -> Vec<String> {
    builder
        .metadata()
        .row_group(0)
        .sorting_columns()
        .unwrap()
        .iter()
        .map(|sorted| {
            assert!(!sorted.descending && !sorted.nulls_first, "{sorted:?}");
            builder
                .schema()
                .field(sorted.column_idx as usize)
                .name()
                .clone()
        })
        .collect()
}

/// A row of a network file: time, device, action, raw line.
type FileRow = (i64, String, Option<String>, String);

/// Every row of the one Parquet file under `dir`, in file order; and the columns the
/// file says it is sorted by.
fn read_file_rows(dir: &std::path::Path) -> (Vec<FileRow>, Vec<String>) {
    use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let files: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&files[0]).unwrap()).unwrap();
    let sorted_by = sorted_by(&builder);
    let text = |batch: &RecordBatch, name: &str, row: usize| {
        let column = batch
            .column_by_name(name)
            .unwrap()
            .as_dictionary::<Int32Type>();
        let values = column.values().as_string::<i32>();
        arrow::array::Array::is_valid(column.keys(), row)
            .then(|| values.value(column.keys().value(row) as usize).to_owned())
    };
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let time = batch
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        let raw = batch.column_by_name("raw").unwrap().as_string::<i32>();
        for row in 0..batch.num_rows() {
            rows.push((
                time.value(row),
                text(&batch, "device", row).unwrap(),
                text(&batch, "action", row),
                raw.value(row).to_owned(),
            ));
        }
    }
    (rows, sorted_by)
}

/// Rows of one file come from many batches, each with its own dictionaries and with
/// times that interleave; the file holds each row once, grouped by verdict and in time
/// order within each, with its own dictionary values, and says it is sorted so.
#[test]
fn rows_from_interleaved_batches_are_written_once_each_by_verdict_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    // More rows than one chunk of the encoder, from three devices whose times interleave.
    let devices = ["fw-a", "fw-b", "fw-c"];
    let mut expected = Vec::new();
    for (k, device) in devices.iter().enumerate() {
        let batch = device_batch(device, T0 + k as i64, 3, 4000);
        writer.append(Table::Network, &batch).unwrap();
        for i in 0..4000 {
            let action = if i % 2 == 0 { "allow" } else { "deny" };
            let time = T0 + k as i64 + 3 * i as i64;
            expected.push((
                time,
                device.to_string(),
                Some(action.to_string()),
                format!("{device} {i}"),
            ));
        }
    }
    // The last batch repeats the first one's times, so equal times must keep the order
    // in which their rows arrived.
    writer
        .append(Table::Network, &device_batch("fw-d", T0, 3, 10))
        .unwrap();
    for i in 0..10 {
        let action = if i % 2 == 0 { "allow" } else { "deny" };
        expected.push((
            T0 + 3 * i as i64,
            "fw-d".into(),
            Some(action.into()),
            format!("fw-d {i}"),
        ));
    }
    writer.flush_all().unwrap();

    let (rows, sorted_by) = read_file_rows(dir.path());
    assert_eq!(sorted_by, ["action", "time"]);
    let mut in_order = expected.clone();
    in_order.sort_by(|a, b| (&a.2, a.0).cmp(&(&b.2, b.0)));
    assert_eq!(rows, in_order);
}

/// Verdicts are ordered by their text, whatever order each batch's dictionary holds
/// them in, and rows without a verdict come last; each verdict's rows are in time order.
#[test]
fn verdicts_are_ordered_by_text_across_dictionaries_and_missing_ones_last() {
    let batch = |rows: &[(i64, Option<&str>)]| {
        let mut batches = Batches::new(zones());
        for (time, action) in rows {
            let raw = format!("{time} {action:?}");
            let event = NetworkEvent {
                src_ip: Some("10.10.0.1"),
                action: *action,
                ..Default::default()
            };
            batches.push(
                &firewall_line(T0 + time, Some(Zone::Core), &raw),
                &Event::Network(event),
            );
        }
        batches.finish().remove(0).1
    };
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    let first = [
        (6, Some("drop")),
        (1, None),
        (4, Some("allow")),
        (2, Some("drop")),
    ];
    let second = [
        (5, Some("allow")),
        (3, Some("deny")),
        (0, None),
        (7, Some("drop")),
    ];
    writer.append(Table::Network, &batch(&first)).unwrap();
    writer.append(Table::Network, &batch(&second)).unwrap();
    writer.flush_all().unwrap();

    let (rows, sorted_by) = read_file_rows(dir.path());
    assert_eq!(sorted_by, ["action", "time"]);
    let order: Vec<_> = rows
        .iter()
        .map(|(time, _, action, _)| (time - T0, action.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            (4, Some("allow")),
            (5, Some("allow")),
            (3, Some("deny")),
            (2, Some("drop")),
            (6, Some("drop")),
            (7, Some("drop")),
            (0, None),
            (1, None),
        ]
    );
}

/// Alert files are in time order alone, and say so: alerts have no verdict, and their
/// first column is the alert id, which orders nothing an analyst asks for.
#[test]
fn alert_files_are_sorted_by_time() {
    use arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray, UInt64Array};
    use arrow::array::{StringDictionaryBuilder, new_null_array};
    use arrow::datatypes::Int32Type;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let schema = Table::Alerts.schema();
    let times = [T0 + 30, T0 + 10, T0 + 20];
    let ids = ["a-1", "a-2", "a-3"];
    let dictionary = |value: &str| -> ArrayRef {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for _ in times {
            builder.append_value(value);
        }
        Arc::new(builder.finish())
    };
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| match field.name().as_str() {
            "alert_id" => Arc::new(StringArray::from(ids.to_vec())) as ArrayRef,
            "zone" => dictionary("core"),
            "time" => {
                Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC"))
            }
            "event_count" => Arc::new(UInt64Array::from(vec![1u64; 3])),
            _ => new_null_array(field.data_type(), times.len()),
        })
        .collect();
    let batch = RecordBatch::try_new(schema, columns).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer.append(Table::Alerts, &batch).unwrap();
    writer.flush_all().unwrap();

    let file = walk(dir.path())
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap()).unwrap();
    assert_eq!(sorted_by(&builder), ["time"]);
    let read = builder.build().unwrap().next().unwrap().unwrap();
    let ids: Vec<_> = read
        .column_by_name("alert_id")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .flatten()
        .collect();
    assert_eq!(ids, ["a-2", "a-3", "a-1"]);
}

/// A flush prepared in the background takes the rows buffered when it started; rows
/// appended meanwhile wait for the next flush.
#[tokio::test]
async fn a_background_flush_takes_only_the_rows_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    writer
        .append(Table::Network, &device_batch("fw-a", T0, 1, 100))
        .unwrap();
    writer.start_prepare(Vec::new());
    assert!(writer.is_preparing());
    writer
        .append(Table::Network, &device_batch("fw-b", T0, 1, 30))
        .unwrap();
    assert_eq!(writer.pending_rows(), 30);
    let stats = writer.finish_prepare().unwrap().unwrap().commit().unwrap();
    assert_eq!(stats.rows, 100);
    assert!(!writer.is_preparing());
    assert!(writer.finish_prepare().is_none());

    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    assert_eq!(count(&lake, "SELECT count(*) FROM network").await, 100);
    writer.flush_all().unwrap();
    assert_eq!(
        count(&lake, "SELECT count(*) FROM network WHERE device = 'fw-b'").await,
        30
    );
}

/// A background flush that fails leaves no file, and its rows are buffered again ahead
/// of those appended since: the next flush writes every row once.
#[tokio::test]
async fn a_failed_background_flush_buffers_its_rows_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    // A file where the table's folder should be: every write into it fails.
    let blocker = dir.path().join("network");
    std::fs::write(&blocker, b"not a folder").unwrap();
    writer
        .append(Table::Network, &device_batch("fw-a", T0 + 1, 2, 100))
        .unwrap();
    writer.start_prepare(Vec::new());
    writer
        .append(Table::Network, &device_batch("fw-b", T0, 2, 30))
        .unwrap();
    let err = writer.finish_prepare().unwrap().unwrap_err();
    assert!(err.to_string().contains("network"), "{err}");
    assert_eq!(writer.pending_rows(), 130);
    assert!(writer.oldest_pending().is_some());
    assert!(
        !walk(dir.path())
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "tmp"))
    );

    std::fs::remove_file(&blocker).unwrap();
    let stats = writer.flush_all().unwrap();
    assert_eq!((stats.files, stats.rows), (1, 130));
    let (rows, _) = read_file_rows(dir.path());
    assert_eq!(rows.len(), 130);
    assert!(rows.is_sorted_by(|a, b| (&a.2, a.0) <= (&b.2, b.0)));
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    assert_eq!(
        count(&lake, "SELECT count(DISTINCT raw) FROM network").await,
        130
    );
}
