//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use encoding_rs::Encoding;
use sanso_ingest::line::Format;
use sanso_ingest::zones::Zone;

use crate::demo::DemoSpec;

/// sanso: log-ingestion security monitoring for the three-layer network model
/// (基幹系 / 情報系 / インターネット接続系).
#[derive(Debug, Parser)]
#[command(name = "sanso", version, about)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (TOML); without it the embedded three-zone example applies.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The Parquet lake, a folder or an `s3://bucket/prefix` URL; overrides `[lake] path`.
    #[arg(long, global = true, value_name = "DIR|URL")]
    pub data: Option<PathBuf>,
    /// Local state folder (checkpoints, incident log) of a lake in an object store;
    /// overrides `[lake] state`.
    #[arg(long = "state-dir", global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The long-running pipeline: sources → parse → lake, with /metrics and /health.
    Run(RunArgs),
    /// Read files (plain or gzip text, or binary EVTX; `-` is stdin) once into the lake.
    Import(ImportArgs),
    /// Realistic three-zone traffic with labelled attack scenarios.
    Demo(DemoArgs),
    /// One SQL query over the lake.
    Sql(SqlArgs),
    /// Interactive SQL over the lake.
    Shell,
    /// Merge each partition's small files into larger sorted ones (`sanso run` does this
    /// in the background).
    Compact(CompactArgs),
    /// Load and lint Sigma rules, or run their fixtures.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Run Sigma rules over the lake's history: the same rules, compiled to SQL.
    Hunt(HuntArgs),
    /// Incident records: 認知 → 報告 → 封じ込め → 終結, with legal holds.
    #[command(subcommand)]
    Incident(crate::incident::IncidentCommand),
    /// Export an incident's raw lines, rows, alerts and record with a SHA-256 manifest.
    Evidence(crate::evidence::EvidenceArgs),
    /// Delete expired date partitions now (`sanso run` does this periodically).
    Retention(crate::retention::RetentionArgs),
    /// The monthly compliance report (CSV for Excel, JSON, HTML).
    Report(ReportArgs),
}

/// `sanso report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The month, YYYY-MM, counted in Japan time.
    #[arg(long)]
    pub month: crate::report::Month,
    /// One format only; without it the report is written in all three.
    #[arg(long, value_enum)]
    pub format: Option<crate::report::ReportFormat>,
    /// Folder for the report files.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

/// `sanso rules`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load and compile every rule under DIR, reporting each one that cannot run.
    /// Without DIR: the configured rules (the built-in pack and `[detection] rules`),
    /// with the configured lists and thresholds.
    Check {
        /// Folder of Sigma rule files.
        dir: Option<PathBuf>,
    },
    /// Run the fixtures (`*.fixture.yml`) under DIR against the rules there. Without
    /// DIR: the built-in pack's fixtures, with the example configuration's lists.
    Test {
        /// Folder of Sigma rules and their fixtures.
        dir: Option<PathBuf>,
    },
}

/// `sanso run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Also feed the demo traffic into this instance's first TCP syslog listener.
    #[arg(long)]
    pub demo: bool,
    /// Demo lines per second, with --demo. The demo city logs about 20 lines a second,
    /// so at that rate its devices' clocks agree with the wall clock; faster feeds run
    /// ahead of it and show as clock skew.
    #[arg(long, default_value_t = 20, requires = "demo")]
    pub demo_rate: u32,
    /// Demo lines in all, with --demo.
    #[arg(long, default_value_t = 200_000, requires = "demo")]
    pub demo_events: usize,
}

/// `sanso compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Seconds replaced files stay for queries that listed them before (default: the
    /// query time limit); 0 when nothing else reads the lake.
    #[arg(long, value_name = "SECONDS")]
    pub grace: Option<u64>,
}

/// `sanso import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Parser name, or `auto`.
    #[arg(long, default_value = "auto", value_parser = format_arg)]
    pub format: FormatArg,
    /// Zone of the device that wrote the files: core, lgwan or internet.
    #[arg(long)]
    pub zone: Option<Zone>,
    /// Device that wrote the files (otherwise taken from syslog headers).
    #[arg(long)]
    pub device: Option<String>,
    /// Character encoding of the files, e.g. shift_jis.
    #[arg(long, default_value = "utf-8", value_parser = encoding_arg)]
    pub encoding: &'static Encoding,
    /// The column order of an i-FILTER access log whose layout was changed in the
    /// product, comma-separated (see the README); with --format ifilter.
    #[arg(long)]
    pub columns: Option<String>,
    /// Files to read; `-` reads standard input. EVTX files (Windows event logs) are
    /// recognised by their content and decoded on every core.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// `sanso demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed gives the same traffic.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of lines.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Time of the first line (RFC 3339); default: now.
    #[arg(long)]
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Write one log file per device and ground-truth.jsonl here.
    #[arg(long, conflicts_with = "send")]
    pub out: Option<PathBuf>,
    /// Send to a running sanso's syslog listener instead.
    #[arg(long)]
    pub send: Option<SocketAddr>,
    /// Lines per second when sending.
    #[arg(long, default_value_t = 5000)]
    pub rate: u32,
    /// Send over UDP instead of TCP.
    #[arg(long, requires = "send")]
    pub udp: bool,
}

impl DemoArgs {
    /// The generator settings.
    pub fn spec(&self) -> DemoSpec {
        DemoSpec {
            seed: self.seed,
            events: self.events,
            start: self.start.unwrap_or_else(chrono::Utc::now),
        }
    }
}

/// Output formats of `sanso sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Parquet (needs --out or a redirected stdout).
    Parquet,
}

/// `sanso sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the result to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The query; it may start with a `--` comment.
    #[arg(allow_hyphen_values = true)]
    pub query: String,
}

/// `sanso hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// A Sigma rule file, or a folder of them.
    #[arg(long, value_name = "DIR")]
    pub rules: PathBuf,
    /// Hunt from this time on: a duration back from now (`24h`, `7d`) or an RFC 3339
    /// time. Without it, from the start of the lake.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Hunt up to (not including) this time, written like --since.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Output format of the alerts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the alerts to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also append the alerts to the lake's `alerts` table.
    #[arg(long)]
    pub save: bool,
    /// Print the SQL of every rule instead of running it.
    #[arg(long)]
    pub show_sql: bool,
}

/// A `--format` value: a parser, or `None` for automatic detection.
#[derive(Debug, Clone, Copy)]
pub struct FormatArg(pub Option<Format>);

fn format_arg(name: &str) -> Result<FormatArg, String> {
    if name == "auto" {
        return Ok(FormatArg(None));
    }
    Format::from_name(name)
        .map(|f| FormatArg(Some(f)))
        .ok_or_else(|| {
            let known: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown format (expected auto, {})", known.join(", "))
        })
}

fn encoding_arg(label: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(label.as_bytes())
        .ok_or_else(|| "unknown encoding (expected a label such as utf-8 or shift_jis)".to_owned())
}
