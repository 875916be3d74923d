//! `sanso run`: the long-running pipeline.
//!
//! ```text
//!  UDP / TCP / TLS listeners ─┐
//!  file followers, stdin ──────┴─(bounded channel of Chunks)──> ingest thread ──> lake
//!  ticker ─────────────────────────────(Tick)──────────────────────┘         + checkpoints
//!  HTTP: /metrics, /health, /api/sql, /api/incidents; Arrow Flight SQL; background
//!  compaction and retention (sparing partitions under legal hold)
//! ```
//!
//! Network I/O runs on a small tokio runtime; parsing and Parquet encoding run on a
//! dedicated thread, so CPU-bound work never stalls the sockets. On Ctrl-C or SIGTERM
//! the listeners stop, the channel drains, and every buffered row is written before exit.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use prometheus::IntCounter;
use sanso_ingest::framing::Framing;
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
use sanso_ingest::zones::ZoneMap;
use sanso_query::Lake;
use sanso_query::flight;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::checkpoint::Checkpoints;
use crate::cli::RunArgs;
use crate::compact;
use crate::config::{Config, FramingConfig, Source, SyslogProtocol};
use crate::demo::{self, DemoSpec};
use crate::detection;
use crate::http::{self, ApiState};
use crate::incident::IncidentGauges;
use crate::ingestor::{FlushPolicy, Ingestor};
use crate::metrics::Metrics;
use crate::retention::{self, RetentionMetrics};
use crate::sources::file::{self, FollowSettings};
use crate::sources::syslog_tcp::StreamSettings;
use crate::sources::{Message, stdin, syslog_tcp, syslog_udp, tls};

/// Chunks in flight between the listeners and the ingest thread. Each holds one socket
/// read (at most 64 KiB), which bounds the memory the channel can hold.
const CHANNEL_CHUNKS: usize = 512;

/// How often buffered rows are checked against the flush interval.
const TICK: Duration = Duration::from_millis(250);

/// How often the incident gauges are read from the incident log.
const INCIDENT_REFRESH: Duration = Duration::from_secs(30);

/// Longest line kept whole from a file or stdin; a longer one is cut.
const MAX_FILE_LINE: usize = 1 << 20;

/// Runs the pipeline until interrupted.
pub fn run(config: &Config, data: &Path, args: &RunArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(config, data, args))
}

async fn run_async(config: &Config, data: &Path, args: &RunArgs) -> anyhow::Result<()> {
    let metrics = Metrics::new();
    let zones = Arc::new(config.zone_map());
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let stop = Arc::new(AtomicBool::new(false));
    let checkpoints = Checkpoints::open(data)?;

    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut threads: Vec<std::thread::JoinHandle<()>> = Vec::new();
    let mut inputs = Vec::new();
    let mut first_tcp: Option<SocketAddr> = None;
    for (index, source) in config.sources.iter().enumerate() {
        let (tx, metrics) = (tx.clone(), metrics.clone());
        match source {
            Source::Syslog {
                protocol,
                listen,
                framing,
                tls,
                max_line_bytes,
                parse,
            } => {
                let listen = *listen;
                let name = match protocol {
                    SyslogProtocol::Udp => "udp",
                    SyslogProtocol::Tcp => "tcp",
                    SyslogProtocol::Tls => "tls",
                };
                inputs.push(Input::new(
                    format!("syslog:{name}:{}", listen.port()),
                    None,
                    parse,
                    &zones,
                    &metrics,
                ));
                let settings = StreamSettings {
                    source: index,
                    framing: match framing {
                        FramingConfig::Auto => Framing::Auto,
                        FramingConfig::Newline => Framing::Newline,
                        FramingConfig::OctetCounting => Framing::OctetCounting,
                    },
                    max_line: *max_line_bytes,
                };
                let task = match (protocol, tls) {
                    (SyslogProtocol::Udp, _) => {
                        let socket = UdpSocket::bind(listen)
                            .await
                            .with_context(|| format!("binding syslog UDP on {listen}"))?;
                        tracing::info!(%listen, "listening for syslog over UDP");
                        tokio::spawn(log_end(
                            "syslog UDP",
                            syslog_udp::serve(socket, index, tx, metrics),
                        ))
                    }
                    (SyslogProtocol::Tls, Some((cert, key))) => {
                        let acceptor = tls::acceptor(cert, key)?;
                        let listener = TcpListener::bind(listen)
                            .await
                            .with_context(|| format!("binding syslog TLS on {listen}"))?;
                        tracing::info!(%listen, "listening for syslog over TLS");
                        tokio::spawn(log_end(
                            "syslog TLS",
                            tls::serve(listener, acceptor, settings, tx, metrics),
                        ))
                    }
                    (_, _) => {
                        let listener = TcpListener::bind(listen)
                            .await
                            .with_context(|| format!("binding syslog TCP on {listen}"))?;
                        first_tcp.get_or_insert(listener.local_addr()?);
                        tracing::info!(%listen, "listening for syslog over TCP");
                        tokio::spawn(log_end(
                            "syslog TCP",
                            syslog_tcp::serve(listener, settings, tx, metrics),
                        ))
                    }
                };
                tasks.push(task);
            }
            Source::File {
                path,
                start_at,
                parse,
            } => {
                inputs.push(Input::new(
                    format!("file:{}", path.display()),
                    Some(path.clone()),
                    parse,
                    &zones,
                    &metrics,
                ));
                let settings = FollowSettings {
                    source: index,
                    path: path.clone(),
                    resume: checkpoints.position(path),
                    start_at: *start_at,
                    max_line: MAX_FILE_LINE,
                };
                tracing::info!(path = %path.display(), resume = ?settings.resume, "following file");
                let stop = stop.clone();
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("sanso-file-{index}"))
                        .spawn(move || file::follow(settings, tx, stop))
                        .context("starting a file follower")?,
                );
            }
            Source::Stdin { parse } => {
                inputs.push(Input::new(
                    "stdin".to_owned(),
                    None,
                    parse,
                    &zones,
                    &metrics,
                ));
                // Not joined at shutdown: a read from a terminal cannot be interrupted.
                std::thread::Builder::new()
                    .name("sanso-stdin".into())
                    .spawn(move || stdin::read(index, MAX_FILE_LINE, tx))
                    .context("starting the stdin reader")?;
            }
        }
    }

    let policy = FlushPolicy {
        rows: config.lake.flush_rows,
        interval: config.lake.flush_interval(),
    };
    let detection = detection::engine(&config.detection, &metrics)?;
    let ingestor = Ingestor::new(
        data,
        policy,
        zones,
        metrics.clone(),
        Some(checkpoints),
        detection,
    )?;
    let ingest = std::thread::Builder::new()
        .name("sanso-ingest".into())
        .spawn(move || ingest_loop(rx, ingestor, inputs))
        .context("starting the ingest thread")?;

    let ticker = tx.clone();
    tasks.push(tokio::spawn(async move {
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            if ticker.send(Message::Tick).await.is_err() {
                return;
            }
        }
    }));

    let http = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("binding HTTP on {}", config.http.listen))?;
    tracing::info!(listen = %config.http.listen, "serving /metrics, /health and /api/sql");
    let lake =
        Lake::open_with_limits(data, Arc::new(config.zone_map()), config.query.limits()).await?;
    let incident_gauges = IncidentGauges::register(&metrics)?;
    // Incidents recorded from the CLI (another process) reach the gauges at the next
    // refresh; those recorded over HTTP refresh them at once.
    let gauges = incident_gauges.clone();
    let incident_data = data.to_owned();
    tasks.push(tokio::spawn(async move {
        let mut interval = tokio::time::interval(INCIDENT_REFRESH);
        loop {
            interval.tick().await;
            let (gauges, data) = (gauges.clone(), incident_data.clone());
            let _ = tokio::task::spawn_blocking(move || gauges.refresh_from(&data)).await;
        }
    }));
    if let Some(interval) = config.retention.interval() {
        let retention_metrics = RetentionMetrics::register(&metrics)?;
        let retention_lake =
            Lake::open_with_limits(data, Arc::new(config.zone_map()), config.query.limits())
                .await?;
        tasks.push(tokio::spawn(retention::periodically(
            retention_lake,
            config.retention.policy(),
            interval,
            retention_metrics,
        )));
    }
    let api = Arc::new(ApiState {
        lake,
        tokens: config.http.tokens.clone(),
        data: data.to_owned(),
        incident_gauges,
    });
    let app = http::router(metrics, api);
    tasks.push(tokio::spawn(async move {
        if let Err(err) = axum::serve(http, app).await {
            tracing::error!(%err, "HTTP server stopped");
        }
    }));

    let flight = TcpListener::bind(config.flight.listen)
        .await
        .with_context(|| format!("binding Arrow Flight SQL on {}", config.flight.listen))?;
    tracing::info!(listen = %config.flight.listen, "serving Arrow Flight SQL");
    let flight_lake =
        Lake::open_with_limits(data, Arc::new(config.zone_map()), config.query.limits()).await?;
    let tokens = config.http.tokens.clone();
    tasks.push(tokio::spawn(async move {
        let shutdown = std::future::pending();
        if let Err(err) = flight::serve(flight, Arc::new(flight_lake), tokens, shutdown).await {
            tracing::error!(%err, "Arrow Flight SQL server stopped");
        }
    }));
    tasks.push(compact::background(
        data.to_owned(),
        compact::policy(config),
    ));

    if args.demo {
        let addr = first_tcp.context("--demo needs a TCP syslog source in the configuration")?;
        let spec = DemoSpec {
            seed: 1,
            events: args.demo_events,
            start: chrono::Utc::now(),
        };
        let rate = args.demo_rate;
        tracing::info!(%addr, rate, events = spec.events, "feeding demo traffic");
        tasks.push(tokio::spawn(async move {
            match demo::send(&spec, addr, demo::Transport::Tcp, rate).await {
                Ok(sent) => tracing::info!(sent, "demo feed finished"),
                Err(err) => tracing::error!(%err, "demo feed failed"),
            }
        }));
    }

    shutdown_signal().await;
    tracing::info!("shutting down: writing buffered rows");
    stop.store(true, Ordering::Relaxed);
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
    drop(tx);
    for thread in threads {
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
    tokio::task::spawn_blocking(move || ingest.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the ingest thread panicked"))?
}

async fn log_end(what: &'static str, task: impl Future<Output = std::io::Result<()>>) {
    if let Err(err) = task.await {
        tracing::error!(%err, "{what} listener stopped");
    }
}

/// One configured source as the ingest thread sees it.
struct Input {
    /// `syslog:tcp:5514`, `file:/var/log/auth.log`, `stdin`.
    label: String,
    /// The followed file, whose positions are checkpointed.
    file: Option<PathBuf>,
    parser: LineParser,
    /// This source's `sanso_lines_received_total`, looked up once.
    lines: IntCounter,
}

impl Input {
    fn new(
        label: String,
        file: Option<PathBuf>,
        parse: &ParseSettings,
        zones: &Arc<ZoneMap>,
        metrics: &Metrics,
    ) -> Self {
        let lines = metrics.lines_received.with_label_values(&[label.as_str()]);
        Input {
            label,
            file,
            parser: LineParser::new(parse.clone(), zones.clone()),
            lines,
        }
    }
}

/// Parses chunks until every sender is gone, then writes what is left.
fn ingest_loop(
    mut rx: mpsc::Receiver<Message>,
    mut ingestor: Ingestor,
    mut inputs: Vec<Input>,
) -> anyhow::Result<()> {
    let mut source = String::new();
    while let Some(message) = rx.blocking_recv() {
        if let Message::Lines(chunk) = &message {
            let input = &mut inputs[chunk.source];
            for (i, range) in chunk.lines.iter().enumerate() {
                let label: &str = match chunk.line_numbers.get(i) {
                    Some(number) => {
                        source.clear();
                        let _ = write!(source, "{}:{number}", input.label);
                        &source
                    }
                    None => &input.label,
                };
                let line = RawLine {
                    bytes: &chunk.data[range.clone()],
                    received_at: chunk.received_at,
                    source: label,
                    peer: chunk.peer.as_deref(),
                };
                ingestor.ingest(&mut input.parser, &line);
            }
            input.lines.inc_by(chunk.lines.len() as u64);
            if let (Some(file), Some(position)) = (&input.file, chunk.position) {
                ingestor.advance(file, position);
            }
            if !ingestor.is_full() {
                continue;
            }
        }
        if matches!(message, Message::Tick) {
            ingestor.watch(chrono::Utc::now().timestamp_micros());
        }
        // Rows whose write failed stay buffered and are retried on the next tick, so a
        // transient failure (a full disk) loses nothing.
        if let Err(err) = ingestor.flush_if_due() {
            tracing::error!("writing to the lake failed; will retry: {err:#}");
        }
    }
    // A plain flush, not `finish`: a logon whose MFA window is still open at shutdown
    // is not judged without the events that may yet confirm it.
    ingestor
        .flush()
        .context("writing buffered rows at shutdown")?;
    let rows = ingestor.rows();
    tracing::info!(
        lines = ingestor.lines(),
        rows = rows.total(),
        "ingest stopped"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
