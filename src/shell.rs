//! `sanso shell`: interactive SQL over the lake.
//!
//! Statements end with `;` and may span lines; history is kept in `~/.sanso_history`.
//! Backslash commands: `\d` lists the tables, `\d TABLE` describes one, `\format FORMAT`
//! switches the output (table, csv, json), `\?` shows help and `\q` quits. Ctrl-C drops
//! the statement being typed, or cancels the query running; Ctrl-D quits. Each statement
//! is added to the history file as it runs, so a session that ends abruptly keeps it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use sanso_query::incidents::IncidentTable;
use sanso_query::lake::LakeLocation;
use sanso_query::{Lake, QueryLimits};

use crate::cli::OutputFormat;
use crate::output::write_result;

const HELP: &str = "\
Statements end with ; and may span lines.
  \\d            list the tables
  \\d TABLE      describe a table's columns
  \\format F     output as table, csv or json
  \\?            this help
  \\q            quit";

/// Runs the shell until the user quits or input ends.
pub fn shell(data: &LakeLocation, zones: Arc<ZoneMap>, limits: QueryLimits) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let lake = runtime.block_on(Lake::open_with_limits(data, zones, limits))?;
    let mut editor = DefaultEditor::new().context("starting the line editor")?;
    let history = history_path();
    if let Some(path) = &history {
        // A first run has no history yet.
        let _ = editor.load_history(path);
    }
    let mut out = std::io::stdout();
    writeln!(
        out,
        "sanso shell on {}: \\? for help, \\q to quit",
        lake.location()
    )?;
    let mut format = OutputFormat::Table;
    let mut statement = String::new();
    loop {
        let prompt = if statement.is_empty() {
            "sanso> "
        } else {
            "  ...> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                statement.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(err) => return Err(err).context("reading input"),
        };
        let trimmed = line.trim();
        if statement.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            match command(trimmed, &lake, &mut format, &mut out)? {
                Flow::Continue => continue,
                Flow::Quit => break,
            }
        }
        if trimmed.is_empty() && statement.is_empty() {
            continue;
        }
        statement.push_str(&line);
        statement.push('\n');
        if trimmed.ends_with(';') {
            let _ = editor.add_history_entry(statement.trim());
            if let Some(path) = &history {
                let _ = editor.save_history(path);
            }
            let sql = statement.trim().trim_end_matches(';');
            let answer = runtime.block_on(async {
                tokio::select! {
                    answer = lake.sql(sql) => Some(answer),
                    // Dropping the query's future cancels it and frees what it held.
                    _ = tokio::signal::ctrl_c() => None,
                }
            });
            match answer {
                Some(Ok((schema, batches))) => write_result(&mut out, format, schema, &batches)?,
                Some(Err(err)) => writeln!(out, "error: {err}")?,
                None => writeln!(out, "query cancelled")?,
            }
            statement.clear();
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    Ok(())
}

enum Flow {
    Continue,
    Quit,
}

fn command(
    input: &str,
    lake: &Lake,
    format: &mut OutputFormat,
    out: &mut impl Write,
) -> anyhow::Result<Flow> {
    let mut words = input.trim_end_matches(';').split_whitespace();
    match (words.next(), words.next()) {
        (Some("\\q"), _) => return Ok(Flow::Quit),
        (Some("\\?"), _) => writeln!(out, "{HELP}")?,
        (Some("\\d"), None) => {
            let lake_tables = Table::ALL.iter().map(|t| t.name());
            let incident_tables = IncidentTable::ALL.iter().map(|t| t.name());
            for name in lake_tables.chain(incident_tables) {
                writeln!(out, "{name}")?;
            }
        }
        (Some("\\d"), Some(name)) => {
            let schema = match Table::from_name(name) {
                Some(table) => Some(lake.table_schema(table)),
                None => IncidentTable::ALL
                    .into_iter()
                    .find(|t| t.name() == name)
                    .map(IncidentTable::schema),
            };
            match schema {
                Some(schema) => {
                    for field in schema.fields() {
                        writeln!(out, "{:<16} {}", field.name(), field.data_type())?;
                    }
                }
                None => writeln!(out, "no table `{name}`; \\d lists them")?,
            }
        }
        (Some("\\format"), Some(name)) => match name {
            "table" => *format = OutputFormat::Table,
            "csv" => *format = OutputFormat::Csv,
            "json" => *format = OutputFormat::Json,
            _ => writeln!(out, "unknown format `{name}`: table, csv or json")?,
        },
        _ => writeln!(out, "unknown command `{input}`; \\? for help")?,
    }
    Ok(Flow::Continue)
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".sanso_history"))
}
