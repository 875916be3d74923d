//! `sanso import`: read files (plain or gzip) or standard input once into the lake.
//!
//! Text files are read line by line, in the order given. EVTX files, recognised by
//! their magic bytes whatever their name, are read together afterwards, decoded on every
//! core (see [`evtx`]).
//!
//! Each text file's position is committed with the lake files that hold its lines (see
//! [`crate::checkpoint`]), so an import that was killed resumes, when run again, after
//! the last line that reached the lake: nothing is skipped or imported twice. The same
//! holds for a file imported again after it grew: only the new lines are read. Standard
//! input cannot be read again, and EVTX files are decoded whole, so neither resumes.

mod evtx;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::ifilter::Layout;
use sanso_query::lake::LakeLocation;

use crate::checkpoint::{Checkpoints, FilePosition};
use crate::cli::ImportArgs;
use crate::config::Config;
use crate::detection;
use crate::ingestor::{FlushPolicy, Ingestor};
use crate::metrics::Metrics;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Imports every file named in `args`, then prints what landed where.
pub fn import(config: &Config, data: &LakeLocation, args: &ImportArgs) -> anyhow::Result<()> {
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
        max_write_rate: config.lake.max_write_rate(),
    };
    let metrics = Metrics::new();
    let detection = detection::engine(&config.detection, &metrics)?;
    let mut ingestor = Ingestor::new(data, policy, zones.clone(), metrics, None, detection)?;
    for path in text_files {
        import_one(&mut ingestor, &mut parser, data.state_dir(), path)
            .with_context(|| format!("importing {}", path.display()))?;
    }
    // What follows commits no file position.
    ingestor.switch_checkpoints(None)?;
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

/// Where a text file's import starts, and the checkpoint key its progress goes under.
struct Resume {
    /// The file's absolute path, naming its checkpoint.
    key: std::path::PathBuf,
    /// The file itself (device, inode, first bytes), at offset 0.
    start: FilePosition,
    /// Bytes of (decompressed) text and lines already in the lake.
    offset: u64,
    lines: u64,
}

impl Resume {
    /// Opens the checkpoint of `file` at `path` and hands it to the ingestor; the import
    /// starts where it says, unless the file at the path is no longer the one it was for.
    fn open(
        ingestor: &mut Ingestor,
        data: &Path,
        path: &Path,
        file: &File,
    ) -> anyhow::Result<Self> {
        let key = std::path::absolute(path)?;
        let checkpoints = Checkpoints::open_import(data, &key)?;
        let (offset, lines) = match checkpoints.position(&key) {
            Some(pos) if pos.is_in(file)? => (pos.offset, pos.lines),
            Some(_) => {
                tracing::info!(
                    path = %path.display(),
                    "the file was replaced since it was last imported; importing all of it"
                );
                (0, 0)
            }
            None => (0, 0),
        };
        if lines > 0 {
            tracing::info!(
                path = %path.display(),
                lines,
                "an earlier import reached the lake up to this line; importing what follows"
            );
        }
        ingestor.switch_checkpoints(Some(checkpoints))?;
        Ok(Resume {
            key,
            start: FilePosition::start_of(file)?,
            offset,
            lines,
        })
    }

    fn position(&self, offset: u64, lines: u64) -> FilePosition {
        self.start.at(offset, lines)
    }
}

fn import_one(
    ingestor: &mut Ingestor,
    parser: &mut LineParser,
    data: &Path,
    path: &Path,
) -> anyhow::Result<()> {
    let (mut reader, progress, resume) = if path.as_os_str() == "-" {
        let stdin: Box<dyn BufRead> =
            Box::new(BufReader::with_capacity(1 << 20, std::io::stdin().lock()));
        (stdin, ProgressBar::hidden(), None)
    } else {
        let mut file = File::open(path)?;
        let mut resume = Resume::open(ingestor, data, path, &file)?;
        let mut magic = [0u8; 2];
        let gzip = file.read(&mut magic)? == 2 && magic == GZIP_MAGIC;
        if !gzip && file.metadata()?.len() < resume.offset {
            tracing::info!(path = %path.display(), "the file was truncated since it was last imported; importing all of it");
            (resume.offset, resume.lines) = (0, 0);
        }
        let progress = progress_bar(file.metadata()?.len());
        progress.set_message(path.display().to_string());
        let reader: Box<dyn BufRead> = if gzip {
            file.rewind()?;
            let mut text = BufReader::with_capacity(
                1 << 20,
                MultiGzDecoder::new(BufReader::with_capacity(1 << 20, progress.wrap_read(file))),
            );
            // A compressed stream cannot be entered in the middle: decompress up to it.
            let skipped =
                std::io::copy(&mut (&mut text).take(resume.offset), &mut std::io::sink())?;
            anyhow::ensure!(
                skipped == resume.offset,
                "the file decompresses to fewer bytes ({skipped}) than an earlier import already \
                 took from it ({}): it was rewritten in place, so where to resume is unknown",
                resume.offset
            );
            Box::new(text)
        } else {
            file.seek(SeekFrom::Start(resume.offset))?;
            progress.set_position(resume.offset);
            Box::new(BufReader::with_capacity(1 << 20, progress.wrap_read(file)))
        };
        (reader, progress, Some(resume))
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
    let mut number = resume.as_ref().map_or(0, |r| r.lines);
    let mut offset = resume.as_ref().map_or(0, |r| r.offset);
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        number += 1;
        offset += read as u64;
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
            if let Some(resume) = &resume {
                ingestor.advance(&resume.key, resume.position(offset, number));
            }
            ingestor.flush_in_background()?;
        }
    }
    // The next flush, of the next file's switch or of the end, commits the rest.
    if let Some(resume) = &resume {
        ingestor.advance(&resume.key, resume.position(offset, number));
    }
    progress.finish_and_clear();
    Ok(())
}

/// Strips the line terminator: LF, and a CR before it.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
