//! `sanso import`: read files (plain or gzip) or standard input once into the lake.
//!
//! Text files are read line by line, in the order given. EVTX files, recognised by
//! their magic bytes whatever their name, are read together afterwards, decoded on every
//! core (see [`evtx`]).

mod evtx;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::ifilter::Layout;

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::detection;
use crate::ingestor::{FlushPolicy, Ingestor};
use crate::metrics::Metrics;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Imports every file named in `args`, then prints what landed where.
pub fn import(config: &Config, data: &Path, args: &ImportArgs) -> anyhow::Result<()> {
    let zones = Arc::new(config.zone_map());
    if args.columns.is_some() && args.format.0 != Some(Format::Ifilter) {
        anyhow::bail!("--columns applies only to --format ifilter");
    }
    let settings = ParseSettings {
        format: args.format.0,
        zone: args.zone,
        device: args.device.clone(),
        encoding: args.encoding,
        timezone: config.timezone,
        auth: config.auth.policy(),
        ifilter_columns: args
            .columns
            .as_deref()
            .map(|names| Layout::new(names.split(',').map(str::trim)).map(Arc::new))
            .transpose()
            .context("--columns")?,
    };
    let mut evtx_files = Vec::new();
    let mut text_files = Vec::new();
    for path in &args.files {
        let is_evtx = path.as_os_str() != "-"
            && evtx::is_evtx_file(path).with_context(|| format!("opening {}", path.display()))?;
        if is_evtx {
            evtx_files.push(path.clone());
        } else {
            text_files.push(path);
        }
    }
    if let (Some(format), Some(file)) = (settings.format, evtx_files.first())
        && format != Format::Windows
    {
        anyhow::bail!(
            "{} is an EVTX file, whose records are Windows events, but --format {} was given",
            file.display(),
            format.name()
        );
    }
    let evtx_settings = ParseSettings {
        format: Some(Format::Windows),
        // Records are rendered as UTF-8 JSON whatever the files' text encoding.
        encoding: encoding_rs::UTF_8,
        ..settings.clone()
    };
    let mut parser = LineParser::new(settings, zones.clone());
    let policy = FlushPolicy {
        rows: config.lake.flush_rows,
        interval: config.lake.flush_interval(),
    };
    let metrics = Metrics::new();
    let detection = detection::engine(&config.detection, &metrics)?;
    let mut ingestor = Ingestor::new(data, policy, zones.clone(), metrics, None, detection)?;
    for path in text_files {
        import_one(&mut ingestor, &mut parser, path)
            .with_context(|| format!("importing {}", path.display()))?;
    }
    let evtx_summary = if evtx_files.is_empty() {
        None
    } else {
        let total = evtx_files
            .iter()
            .map(|path| path.metadata().map_or(0, |m| m.len()))
            .sum();
        let progress = progress_bar(total);
        progress.set_message(format!("{} EVTX files", evtx_files.len()));
        let target = evtx::Target {
            ingestor: &mut ingestor,
            parser: &mut LineParser::new(evtx_settings, zones.clone()),
            zones: &zones,
            zone: args.zone,
            device: args.device.as_deref(),
        };
        let summary = evtx::import(target, &evtx_files, &progress)?;
        progress.finish_and_clear();
        Some(summary)
    };
    ingestor
        .finish()
        .context("writing the last rows to the lake")?;
    let rows = ingestor.rows();
    println!(
        "imported {} lines: network {}, http {}, auth {}, mail {}, unparsed {}",
        ingestor.lines(),
        rows.network,
        rows.http,
        rows.auth,
        rows.mail,
        rows.unparsed
    );
    if let Some(summary) = evtx_summary {
        println!(
            "evtx: {} files, {} chunks, {} of {} records read, {} damaged chunks, {} checksum \
             mismatches",
            summary.files,
            summary.chunks,
            summary.records,
            summary.declared,
            summary.damaged_chunks,
            summary.checksum_mismatches
        );
    }
    Ok(())
}

/// A progress bar of `len` bytes, drawn only on a terminal.
fn progress_bar(len: u64) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(
            "{msg} {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .expect("valid template"),
    )
}

fn import_one(ingestor: &mut Ingestor, parser: &mut LineParser, path: &Path) -> anyhow::Result<()> {
    let (reader, progress): (Box<dyn Read>, ProgressBar) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), ProgressBar::hidden())
    } else {
        let file = File::open(path)?;
        let progress = progress_bar(file.metadata()?.len());
        progress.set_message(path.display().to_string());
        (Box::new(progress.wrap_read(file)), progress)
    };
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let gzip = reader.fill_buf()?.starts_with(&GZIP_MAGIC);
    let mut reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    };
    // Files were sniffed before; standard input is seen only here.
    if sanso_ingest::evtx::is_evtx(reader.fill_buf()?) {
        anyhow::bail!("standard input is an EVTX file: name the file instead of `-`");
    }

    let label = if path.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        format!("file:{}", path.display())
    };
    let mut source = String::new();
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let bytes = trim_line_end(&line);
        // An empty line carries no event and no evidence.
        if bytes.is_empty() {
            continue;
        }
        source.clear();
        let _ = write!(source, "{label}:{number}");
        let raw = RawLine {
            bytes,
            received_at: chrono::Utc::now().timestamp_micros(),
            source: &source,
            peer: None,
        };
        ingestor.ingest(parser, &raw);
        if ingestor.is_full() {
            ingestor.flush()?;
        }
    }
    progress.finish_and_clear();
    Ok(())
}

/// Strips the line terminator: LF, and a CR before it.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
