//! `sanso evidence --incident ID --out DIR`: everything the lake holds on an incident,
//! in a folder that the police or an auditor can check was not altered.
//!
//! ```text
//! DIR/
//!   incident.json        the record, its full history, and the incident log's head hash
//!   alerts.parquet       the incident's alerts, as the alerts table holds them
//!   alerts.json          the same, readable
//!   rows/<table>.parquet the events the alerts rest on (every column, date and zone too)
//!   raw/<table>.log      their raw lines, byte for byte as received, one per line
//!   manifest.json        the SQL that selected each table's rows, counts, every file's SHA-256
//!   SHA256SUMS           `sha256sum -c SHA256SUMS` checks every file, manifest included
//! ```
//!
//! Which events an alert rests on: the rows of the alert's table (named in its evidence)
//! inside its window, that either are the lines it quotes (`source`) or carry its group
//! key in one of the key columns (addresses, user, hosts). An alert without a group key
//! takes every row of its zone inside its window: evidence errs on the side of keeping
//! too much. A raw line is `raw_bytes` when the line was not valid text (kept as it
//! came), `raw` otherwise; lines are separated by `\n`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, SchemaRef, TimestampMicrosecondType};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use sanso_detect::sql::quote;
use sanso_ingest::schema::{Table, col};
use sanso_query::Lake;
use sanso_query::incidents::{IncidentStore, hex};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cli::OutputFormat;
use crate::config::Config;
use crate::output::write_result;

/// Columns an alert's group key is looked for in, where the table has them.
const KEY_COLUMNS: [&str; 8] = [
    col::SRC_IP,
    col::DST_IP,
    col::USER,
    "src_host",
    "dst_host",
    "url_host",
    "nat_src_ip",
    col::DEVICE,
];

/// `sanso evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The incident, e.g. INC-2026-0001.
    #[arg(long)]
    pub incident: String,
    /// The folder to write; it must not exist or be empty.
    #[arg(long)]
    pub out: PathBuf,
}

/// One alert of the incident, as the lake holds it.
struct AlertRow {
    id: String,
    table: Table,
    zone: Option<String>,
    start: i64,
    end: i64,
    group_key: Option<String>,
    sources: Vec<String>,
}

#[derive(Serialize)]
struct Selection {
    table: &'static str,
    sql: String,
    rows: usize,
    rows_file: String,
    raw_file: String,
}

#[derive(Serialize)]
struct FileEntry {
    path: String,
    sha256: String,
    bytes: u64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    incident: &'a str,
    exported_at: String,
    sanso_version: &'static str,
    incident_log_head: &'a str,
    alerts_found: Vec<&'a str>,
    alerts_missing: Vec<&'a str>,
    alerts_sql: &'a str,
    selections: Vec<Selection>,
    files: &'a [FileEntry],
    verify: &'static str,
}

/// Writes the evidence of one incident.
pub fn export(config: &Config, data: &Path, args: &EvidenceArgs) -> anyhow::Result<()> {
    let ledger = IncidentStore::new(data).load()?;
    let incident = ledger.get(&args.incident)?;
    prepare_out(&args.out)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let lake = runtime.block_on(Lake::open_with_limits(
        data,
        Arc::new(config.zone_map()),
        config.query.limits(),
    ))?;
    let sql = |query: &str| {
        runtime
            .block_on(lake.sql(query))
            .with_context(|| format!("running {query}"))
    };
    let mut files = Vec::new();
    let out = &args.out;

    let ids: Vec<String> = incident.alerts.iter().map(|id| quote(id)).collect();
    let alerts_sql = format!(
        "SELECT * FROM alerts WHERE alert_id IN ({}) ORDER BY time, alert_id",
        ids.join(", ")
    );
    let (schema, alert_batches) = sql(&alerts_sql)?;
    files.push(write_result_file(
        out,
        "alerts.parquet",
        OutputFormat::Parquet,
        &schema,
        &alert_batches,
    )?);
    files.push(write_result_file(
        out,
        "alerts.json",
        OutputFormat::Json,
        &schema,
        &alert_batches,
    )?);
    let alerts = alert_rows(&alert_batches)?;
    let found: BTreeSet<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    let missing: Vec<&str> = incident
        .alerts
        .iter()
        .map(String::as_str)
        .filter(|id| !found.contains(id))
        .collect();

    let mut by_table: BTreeMap<Table, Vec<&AlertRow>> = BTreeMap::new();
    for alert in &alerts {
        by_table.entry(alert.table).or_default().push(alert);
    }
    let mut selections = Vec::new();
    for (table, alerts) in by_table {
        let conditions: Vec<String> = alerts.iter().map(|a| condition(table, a)).collect();
        let query = format!(
            "SELECT * FROM {table} WHERE ({}) ORDER BY time, source",
            conditions.join(") OR (")
        );
        let (schema, batches) = sql(&query)?;
        let rows_file = format!("rows/{table}.parquet");
        let raw_file = format!("raw/{table}.log");
        files.push(write_result_file(
            out,
            &rows_file,
            OutputFormat::Parquet,
            &schema,
            &batches,
        )?);
        files.push(write_file(out, &raw_file, &raw_lines(&batches)?)?);
        selections.push(Selection {
            table: table.name(),
            sql: query,
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            rows_file,
            raw_file,
        });
    }

    let record = serde_json::json!({
        "incident": incident,
        "history": ledger.history(&incident.id).collect::<Vec<_>>(),
        "incident_log_head": ledger.head,
    });
    files.push(write_file(
        out,
        "incident.json",
        &serde_json::to_vec_pretty(&record)?,
    )?);

    let manifest = Manifest {
        format: "sanso-evidence/1",
        incident: &incident.id,
        exported_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        sanso_version: env!("CARGO_PKG_VERSION"),
        incident_log_head: &ledger.head,
        alerts_found: found.into_iter().collect(),
        alerts_missing: missing.clone(),
        alerts_sql: &alerts_sql,
        selections,
        files: &files,
        verify: "cd to this folder and run: sha256sum -c SHA256SUMS",
    };
    let manifest_file = write_file(out, "manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    let mut sums = String::new();
    for file in files.iter().chain([&manifest_file]) {
        sums.push_str(&format!("{}  {}\n", file.sha256, file.path));
    }
    write_file(out, "SHA256SUMS", sums.as_bytes())?;
    sync_dir(out)?;

    let rows: usize = manifest.selections.iter().map(|s| s.rows).sum();
    println!(
        "{}: {} alerts, {rows} rows in {} tables written to {}; check with: cd {} && sha256sum -c SHA256SUMS",
        incident.id,
        manifest.alerts_found.len(),
        manifest.selections.len(),
        out.display(),
        out.display()
    );
    if !missing.is_empty() {
        eprintln!(
            "sanso: alerts no longer in the lake (recorded in the manifest): {}",
            missing.join(", ")
        );
    }
    Ok(())
}

fn prepare_out(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let mut entries =
            fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?;
        anyhow::ensure!(
            entries.next().is_none(),
            "{} is not empty: evidence goes into a new or empty folder, so that nothing else \
             is mistaken for part of it",
            out.display()
        );
    }
    for dir in [out.to_owned(), out.join("rows"), out.join("raw")] {
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

/// The SQL condition selecting the rows `alert` rests on.
fn condition(table: Table, alert: &AlertRow) -> String {
    let time = |micros: i64| {
        let t = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
        (
            quote(&t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            quote(&t.format("%Y-%m-%d").to_string()),
        )
    };
    let ((start, first_day), (end, last_day)) = (time(alert.start), time(alert.end));
    let mut parts = vec![
        format!("date BETWEEN {first_day} AND {last_day}"),
        format!("time BETWEEN {start} AND {end}"),
    ];
    let schema = table.file_schema();
    let columns: Vec<&str> = KEY_COLUMNS
        .into_iter()
        .filter(|c| schema.field_with_name(c).is_ok())
        .collect();
    let mut matches = Vec::new();
    if !alert.sources.is_empty() {
        let sources: Vec<String> = alert.sources.iter().map(|s| quote(s)).collect();
        matches.push(format!("source IN ({})", sources.join(", ")));
    }
    match &alert.group_key {
        Some(key) if !columns.is_empty() => {
            // Several group-by fields read `name=value, name=value`: each value must
            // appear in some key column.
            let values: Vec<&str> = if key.contains('=') {
                key.split(", ")
                    .map(|pair| pair.split_once('=').map_or(pair, |(_, v)| v))
                    .collect()
            } else {
                vec![key.as_str()]
            };
            let all: Vec<String> = values
                .iter()
                .map(|value| {
                    let any: Vec<String> = columns
                        .iter()
                        .map(|c| format!("{c} = {}", quote(value)))
                        .collect();
                    format!("({})", any.join(" OR "))
                })
                .collect();
            matches.push(all.join(" AND "));
        }
        _ => {
            if let Some(zone) = &alert.zone {
                matches.push(format!("zone = {}", quote(zone)));
            } else {
                matches.push("true".to_owned());
            }
        }
    }
    parts.push(format!("({})", matches.join(" OR ")));
    parts.join(" AND ")
}

fn alert_rows(batches: &[RecordBatch]) -> anyhow::Result<Vec<AlertRow>> {
    let mut rows = Vec::new();
    for batch in batches {
        let text = |name: &str| -> anyhow::Result<arrow::array::StringArray> {
            let column = batch
                .column_by_name(name)
                .with_context(|| format!("the alerts table has no `{name}` column"))?;
            Ok(cast(column, &DataType::Utf8)?.as_string::<i32>().clone())
        };
        let micros = |name: &str| -> anyhow::Result<arrow::array::TimestampMicrosecondArray> {
            let column = batch
                .column_by_name(name)
                .with_context(|| format!("the alerts table has no `{name}` column"))?;
            let plain = cast(
                column,
                &DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
            )?;
            Ok(plain.as_primitive::<TimestampMicrosecondType>().clone())
        };
        let (ids, zones, keys, evidence) = (
            text("alert_id")?,
            text("zone")?,
            text("group_key")?,
            text("evidence")?,
        );
        let (time, start, end) = (
            micros("time")?,
            micros("window_start")?,
            micros("window_end")?,
        );
        for row in 0..batch.num_rows() {
            let value =
                |a: &arrow::array::StringArray| a.is_valid(row).then(|| a.value(row).to_owned());
            let stamp =
                |a: &arrow::array::TimestampMicrosecondArray| a.is_valid(row).then(|| a.value(row));
            let evidence: serde_json::Value = value(&evidence)
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_default();
            let id = ids.value(row).to_owned();
            let Some(table) = evidence["table"].as_str().and_then(Table::from_name) else {
                anyhow::bail!("alert {id} does not name the table of its events in its evidence");
            };
            let at = time.value(row);
            rows.push(AlertRow {
                table,
                zone: value(&zones),
                start: stamp(&start).unwrap_or(at).min(at),
                end: stamp(&end).unwrap_or(at).max(at),
                group_key: value(&keys).filter(|k| !k.is_empty()),
                sources: evidence["sources"]
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                id,
            });
        }
    }
    Ok(rows)
}

/// Each row's line as received: `raw_bytes` where present, else `raw`.
fn raw_lines(batches: &[RecordBatch]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    for batch in batches {
        let column = |name: &str, to: &DataType| -> anyhow::Result<_> {
            let column = batch
                .column_by_name(name)
                .with_context(|| format!("the selected rows have no `{name}` column"))?;
            Ok(cast(column, to)?)
        };
        let raw = column(col::RAW, &DataType::Utf8)?;
        let raw = raw.as_string::<i32>();
        let bytes = column(col::RAW_BYTES, &DataType::Binary)?;
        let bytes = bytes.as_binary::<i32>();
        for row in 0..batch.num_rows() {
            if bytes.is_valid(row) {
                out.extend_from_slice(bytes.value(row));
            } else {
                out.extend_from_slice(raw.value(row).as_bytes());
            }
            out.push(b'\n');
        }
    }
    Ok(out)
}

fn write_result_file(
    out: &Path,
    name: &str,
    format: OutputFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> anyhow::Result<FileEntry> {
    let mut buffer = Vec::new();
    write_result(&mut buffer, format, schema.clone(), batches)?;
    write_file(out, name, &buffer)
}

/// Writes and syncs one file, and returns its manifest entry.
fn write_file(out: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<FileEntry> {
    let path = out.join(name);
    let mut file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(FileEntry {
        path: name.to_owned(),
        sha256: hex(&Sha256::digest(bytes)),
        bytes: bytes.len() as u64,
    })
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    for d in [dir.join("rows"), dir.join("raw"), dir.to_owned()] {
        File::open(&d)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", d.display()))?;
    }
    Ok(())
}
