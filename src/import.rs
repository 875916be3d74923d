//! `sanso import`: read files (plain or gzip) or standard input once into the lake.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::detection;
use crate::ingestor::{FlushPolicy, Ingestor};
use crate::metrics::Metrics;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Imports every file named in `args`, then prints what landed where.
pub fn import(config: &Config, data: &Path, args: &ImportArgs) -> anyhow::Result<()> {
    let zones = Arc::new(config.zone_map());
    let settings = ParseSettings {
        format: args.format.0,
        zone: args.zone,
        device: args.device.clone(),
        encoding: args.encoding,
        timezone: config.timezone,
        auth: config.auth.policy(),
    };
    let mut parser = LineParser::new(settings, zones.clone());
    let policy = FlushPolicy {
        rows: config.lake.flush_rows,
        interval: config.lake.flush_interval(),
    };
    let metrics = Metrics::new();
    let detection = detection::engine(&config.detection, &metrics)?;
    let mut ingestor = Ingestor::new(data, policy, zones, metrics, None, detection)?;
    for path in &args.files {
        import_one(&mut ingestor, &mut parser, path)
            .with_context(|| format!("importing {}", path.display()))?;
    }
    ingestor
        .flush()
        .context("writing the last rows to the lake")?;
    let rows = ingestor.rows();
    println!(
        "imported {} lines: network {}, http {}, auth {}, unparsed {}",
        ingestor.lines(),
        rows.network,
        rows.http,
        rows.auth,
        rows.unparsed
    );
    Ok(())
}

fn import_one(
    ingestor: &mut Ingestor,
    parser: &mut LineParser,
    path: &PathBuf,
) -> anyhow::Result<()> {
    let (reader, progress): (Box<dyn Read>, ProgressBar) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), ProgressBar::hidden())
    } else {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let progress = ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{msg} {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .expect("valid template"),
        );
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
