//! sanso's query engine embedded in a process of its own, for `benches/sql_vs_duckdb.py`:
//! DuckDB runs inside the Python process, and this is sanso on the same footing, with
//! no server, network or client driver between the query and its result. It runs on
//! `sanso`'s allocator, opens the lake once with `Lake::open`, as `sanso sql` does, and
//! answers queries until its input ends.
//!
//! ```text
//! sql_in_process LAKE
//! ```
//!
//! Each line of standard input is one request, a JSON object
//! `{"sql": "...", "out": "/path/result.arrows"}`. The query runs through `Lake::sql`
//! (planning, running, collecting every batch); its result goes to `out` as an Arrow
//! IPC stream, after the clocks stop. A stream, not an IPC file: a result's dictionary
//! columns (`category`, `zone`, ...) may change their dictionary from batch to batch,
//! which only the stream format carries. Each request is answered by one line on
//! standard output: `ok SECONDS CPU_SECONDS ROWS`, wall time and this process's CPU time
//! (all threads) of the query alone, or `error MESSAGE` when the query or writing its
//! result failed.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::StreamWriter;
use sanso_ingest::zones::ZoneMap;
use sanso_query::Lake;

mod process_cpu;
use process_cpu::process_cpu_seconds;

/// The allocator of the `sanso` binary, so that the harness measures what it runs.
#[global_allocator]
static ALLOCATOR: sanso_query::allocator::Jemalloc = sanso_query::allocator::Jemalloc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [lake] = &args[..] else {
        eprintln!("usage: sql_in_process LAKE");
        return ExitCode::FAILURE;
    };
    match serve(lake).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sql_in_process: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(root: &str) -> Result<()> {
    // The bench's queries do not call `zone_of`, the one function that reads zones.
    let lake = Lake::open(PathBuf::from(root), Arc::new(ZoneMap::default())).await?;
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let request: serde_json::Value = serde_json::from_str(&line?)?;
        let (Some(sql), Some(out)) = (request["sql"].as_str(), request["out"].as_str()) else {
            return Err(format!("a request needs `sql` and `out`: {request}").into());
        };
        let cpu_before = process_cpu_seconds()?;
        let started = Instant::now();
        let answer = lake.sql(sql).await;
        let seconds = started.elapsed().as_secs_f64();
        let cpu_seconds = process_cpu_seconds()? - cpu_before;
        let written = answer
            .map_err(Into::into)
            .and_then(|(schema, batches)| write_result(out, &schema, &batches));
        match written {
            Ok(rows) => writeln!(stdout, "ok {seconds:.6} {cpu_seconds:.6} {rows}")?,
            Err(err) => writeln!(stdout, "error {}", err.to_string().replace('\n', " "))?,
        }
        stdout.flush()?;
    }
    Ok(())
}

/// Writes a result to `out` as an Arrow IPC stream; returns its rows.
fn write_result(out: &str, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<usize> {
    let mut writer = StreamWriter::try_new(std::fs::File::create(out)?, schema)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    Ok(batches.iter().map(|b| b.num_rows()).sum())
}
