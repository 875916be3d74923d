//! A month-long lookup of one address reads little: bloom filters and statistics let the
//! Parquet scan skip every row group that cannot hold it. A look at the rare verdicts
//! reads their pages only. Proven with DataFusion's own scan metrics (counts and bytes,
//! never times).

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use datafusion::physical_plan::metrics::{MetricValue, PruningMetrics};
use datafusion::physical_plan::{ExecutionPlan, collect};
use sanso_ingest::batch::Batches;
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::{Lake, LakeWriter};

mod support;
use support::firewall_line;

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_761_955_200_000_000; // 2025-11-01T00:00:00Z
const DAYS: i64 = 30;
const FILES_PER_DAY: usize = 2;
const ROWS_PER_FILE: usize = 2_000;
/// Seen on one day only, among addresses that span its whole value range.
const NEEDLE: &str = "10.10.77.77";

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap())
}

/// Appends one core firewall flow from `src` to 8.8.8.8.
fn push_flow(batches: &mut Batches, time: i64, raw: &str, src: &str, action: Option<&str>) {
    let common = firewall_line(time, Some(Zone::Core), raw);
    let event = NetworkEvent {
        src_ip: Some(src),
        dst_ip: Some("8.8.8.8"),
        action,
        ..Default::default()
    };
    batches.push(&common, &Event::Network(event));
}

/// A month of core traffic, several files a day; every file's `src_ip` values run from
/// 10.10.0.x to 10.10.250.x, so min/max statistics alone cannot rule the needle out.
fn month_lake(root: &std::path::Path) {
    let mut writer = LakeWriter::new(root).unwrap();
    for day in 0..DAYS {
        for file in 0..FILES_PER_DAY {
            let mut batches = Batches::new(zones());
            for i in 0..ROWS_PER_FILE {
                let time = T0 + day * DAY + (file * ROWS_PER_FILE + i) as i64 * 1_000_000;
                let src = if day == 17 && file == 1 && i == 5 {
                    NEEDLE.to_owned()
                } else {
                    format!(
                        "10.10.{}.{}",
                        (i * 7 + file) % 251,
                        (i + day as usize) % 250
                    )
                };
                let raw = format!("flow {day} {file} {i}");
                push_flow(&mut batches, time, &raw, &src, None);
            }
            writer
                .append(Table::Network, &batches.finish().remove(0).1)
                .unwrap();
            writer.flush_all().unwrap();
        }
    }
}

/// What the Parquet scans of an executed plan did, summed over every scan.
#[derive(Debug, Default, PartialEq, Eq)]
struct Scan {
    /// Files, and row groups, ruled out or kept by each kind of pruning: (pruned, kept).
    files_by_statistics: (usize, usize),
    row_groups_by_statistics: (usize, usize),
    row_groups_by_bloom_filter: (usize, usize),
    rows_by_page_index: (usize, usize),
    bytes_scanned: usize,
}

fn scan(plan: &Arc<dyn ExecutionPlan>) -> Scan {
    let mut total = Scan::default();
    for metric in plan.metrics().iter().flat_map(|m| m.iter()) {
        let add = |into: &mut (usize, usize), p: &PruningMetrics| {
            into.0 += p.pruned();
            into.1 += p.matched();
        };
        match metric.value() {
            MetricValue::PruningMetrics {
                name,
                pruning_metrics,
            } => match name.as_ref() {
                "files_ranges_pruned_statistics" => {
                    add(&mut total.files_by_statistics, pruning_metrics)
                }
                "row_groups_pruned_statistics" => {
                    add(&mut total.row_groups_by_statistics, pruning_metrics)
                }
                "row_groups_pruned_bloom_filter" => {
                    add(&mut total.row_groups_by_bloom_filter, pruning_metrics)
                }
                "page_index_rows_pruned" => add(&mut total.rows_by_page_index, pruning_metrics),
                _ => {}
            },
            MetricValue::Count { name, count } if name == "bytes_scanned" => {
                total.bytes_scanned += count.value()
            }
            _ => {}
        }
    }
    for child in plan.children() {
        let child = scan(child);
        total.files_by_statistics.0 += child.files_by_statistics.0;
        total.files_by_statistics.1 += child.files_by_statistics.1;
        total.row_groups_by_statistics.0 += child.row_groups_by_statistics.0;
        total.row_groups_by_statistics.1 += child.row_groups_by_statistics.1;
        total.row_groups_by_bloom_filter.0 += child.row_groups_by_bloom_filter.0;
        total.row_groups_by_bloom_filter.1 += child.row_groups_by_bloom_filter.1;
        total.rows_by_page_index.0 += child.rows_by_page_index.0;
        total.rows_by_page_index.1 += child.rows_by_page_index.1;
        total.bytes_scanned += child.bytes_scanned;
    }
    total
}

#[tokio::test]
async fn a_month_long_lookup_of_one_address_skips_almost_everything() {
    let dir = tempfile::tempdir().unwrap();
    month_lake(dir.path());
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let files = DAYS as usize * FILES_PER_DAY;
    let lake_bytes: u64 = walk(dir.path())
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();

    let frame = lake
        .plan(&format!(
            "SELECT count(*) AS n FROM network WHERE src_ip = '{NEEDLE}' \
             AND time >= TIMESTAMP '2025-11-01T00:00:00Z' AND time < TIMESTAMP '2025-12-01T00:00:00Z'"
        ))
        .await
        .unwrap();
    let task = frame.task_ctx();
    let plan = frame.create_physical_plan().await.unwrap();
    let batches = collect(plan.clone(), Arc::new(task)).await.unwrap();
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 1);

    // Every file is one row group, and every file's `src_ip` range covers the needle, so
    // statistics keep them all; the bloom filter on `src_ip` then rules out all but the
    // needle's and the few its false-positive rate lets through, without reading their
    // data pages.
    let month = scan(&plan);
    assert_eq!(
        month.row_groups_by_statistics,
        (0, files),
        "{}",
        explain(&plan)
    );
    let (pruned, kept) = month.row_groups_by_bloom_filter;
    assert_eq!(pruned + kept, files, "{}", explain(&plan));
    assert!((1..=files / 10).contains(&kept), "{}", explain(&plan));
    // Only a small part of the lake is read: footers, bloom filters, those row groups.
    assert!(
        month.bytes_scanned as u64 * 5 < lake_bytes,
        "read {} of {lake_bytes} bytes\n{}",
        month.bytes_scanned,
        explain(&plan)
    );

    // A lookup bounded to one day by time: statistics on `time` rule out every other
    // day's files before their row groups are looked at.
    let frame = lake
        .plan(&format!(
            "SELECT count(*) AS n FROM network WHERE src_ip = '{NEEDLE}' \
             AND time >= TIMESTAMP '2025-11-20T00:00:00Z' AND time < TIMESTAMP '2025-11-21T00:00:00Z'"
        ))
        .await
        .unwrap();
    let task = frame.task_ctx();
    let plan = frame.create_physical_plan().await.unwrap();
    let batches = collect(plan.clone(), Arc::new(task)).await.unwrap();
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 0);
    let day = scan(&plan);
    assert_eq!(
        day.files_by_statistics.1 + day.row_groups_by_statistics.1,
        2 * FILES_PER_DAY,
        "{}",
        explain(&plan)
    );

    // A lookup on one day opens that day's folder only: the others are never listed.
    let frame = lake
        .plan(&format!(
            "SELECT count(*) AS n FROM network WHERE src_ip = '{NEEDLE}' AND date = '2025-11-18'"
        ))
        .await
        .unwrap();
    let task = frame.task_ctx();
    let plan = frame.create_physical_plan().await.unwrap();
    let batches = collect(plan.clone(), Arc::new(task)).await.unwrap();
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 1);
    let folder = scan(&plan);
    assert_eq!(
        folder.row_groups_by_bloom_filter.0 + folder.row_groups_by_bloom_filter.1,
        FILES_PER_DAY,
        "{}",
        explain(&plan)
    );
}

/// A day of firewall traffic in which one flow in a hundred is denied, the denials spread
/// over the whole day as they come: the lake keeps them together, so a look at them reads
/// their pages and skips the others.
#[tokio::test]
async fn denied_flows_are_read_from_their_own_pages() {
    const ROWS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let mut writer = LakeWriter::new(dir.path()).unwrap();
    let mut batches = Batches::new(zones());
    for i in 0..ROWS {
        let time = T0 + i as i64 * 500_000;
        let raw = format!("flow {i}");
        let src = format!("10.{}.{}.{}", 10 + i / 65_536, i / 256 % 256, i % 256);
        let action = if i % 100 == 7 { "deny" } else { "allow" };
        push_flow(&mut batches, time, &raw, &src, Some(action));
    }
    for (table, batch) in batches.finish() {
        writer.append(table, &batch).unwrap();
    }
    writer.flush_all().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();

    let frame = lake
        .plan("SELECT count(*) AS n, count(DISTINCT src_ip) AS sources FROM network WHERE action = 'deny'")
        .await
        .unwrap();
    let task = frame.task_ctx();
    let plan = frame.create_physical_plan().await.unwrap();
    let batches = collect(plan.clone(), Arc::new(task)).await.unwrap();
    assert_eq!(
        batches[0].column(0).as_primitive::<Int64Type>().value(0),
        1_000
    );
    assert_eq!(
        batches[0].column(1).as_primitive::<Int64Type>().value(0),
        1_000
    );

    // The file is one row group; the page index rules out every page of allowed flows.
    let denied = scan(&plan);
    let (pruned, kept) = denied.rows_by_page_index;
    assert_eq!(pruned + kept, ROWS, "{}", explain(&plan));
    assert!(kept <= ROWS / 4, "kept {kept} rows\n{}", explain(&plan));
}

fn explain(plan: &Arc<dyn ExecutionPlan>) -> String {
    datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan.as_ref())
        .indent(true)
        .to_string()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            files.push(path);
        }
    }
    files
}
