//! `sanso run`: the long-running pipeline.
//!
//! ```text
//!  UDP / TCP / TLS listeners ──(bounded channel of Chunks)──> ingest thread ──> lake
//!  ticker ─────────────────────────────(Tick)──────────────────────┘
//!  HTTP: /metrics, /health
//! ```
//!
//! Network I/O runs on a small tokio runtime; parsing and Parquet encoding run on a
//! dedicated thread, so CPU-bound work never stalls the sockets. On Ctrl-C or SIGTERM
//! the listeners stop, the channel drains, and every buffered row is written before exit.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use sanso_ingest::framing::Framing;
use sanso_ingest::line::{LineParser, RawLine};
use sanso_query::WriterOptions;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cli::RunArgs;
use crate::config::{Config, FramingConfig, SourceKind, SyslogProtocol};
use crate::demo::{self, DemoSpec};
use crate::ingestor::Ingestor;
use crate::metrics::Metrics;
use crate::sources::syslog_tcp::StreamSettings;
use crate::sources::{Message, syslog_tcp, syslog_udp, tls};

/// Chunks in flight between the listeners and the ingest thread. Each holds one socket
/// read (at most 64 KiB), which bounds the memory the channel can hold.
const CHANNEL_CHUNKS: usize = 512;

/// How often buffered rows are checked against the flush interval.
const TICK: Duration = Duration::from_millis(250);

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

    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut parsers = Vec::new();
    let mut labels = Vec::new();
    let mut first_tcp: Option<SocketAddr> = None;
    for (index, syslog) in config.sources.iter().enumerate() {
        let SourceKind::Syslog = syslog.kind;
        let protocol = match syslog.protocol {
            SyslogProtocol::Udp => "udp",
            SyslogProtocol::Tcp => "tcp",
            SyslogProtocol::Tls => "tls",
        };
        labels.push(format!("syslog:{protocol}:{}", syslog.listen.port()));
        parsers.push(LineParser::new(syslog.parse_settings(config.timezone), zones.clone()));
        let settings = StreamSettings {
            source: index,
            framing: match syslog.framing {
                FramingConfig::Auto => Framing::Auto,
                FramingConfig::Newline => Framing::Newline,
                FramingConfig::OctetCounting => Framing::OctetCounting,
            },
            max_line: syslog.max_line_bytes,
        };
        let (tx, metrics) = (tx.clone(), metrics.clone());
        let listen = syslog.listen;
        let task = match syslog.protocol {
            SyslogProtocol::Udp => {
                let socket = UdpSocket::bind(listen)
                    .await
                    .with_context(|| format!("binding syslog UDP on {listen}"))?;
                tracing::info!(%listen, "listening for syslog over UDP");
                tokio::spawn(log_end("syslog UDP", syslog_udp::serve(socket, index, tx, metrics)))
            }
            SyslogProtocol::Tcp => {
                let listener = TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding syslog TCP on {listen}"))?;
                first_tcp.get_or_insert(listener.local_addr()?);
                tracing::info!(%listen, "listening for syslog over TCP");
                tokio::spawn(log_end("syslog TCP", syslog_tcp::serve(listener, settings, tx, metrics)))
            }
            SyslogProtocol::Tls => {
                let (Some(cert), Some(key)) = (&syslog.tls_cert, &syslog.tls_key) else {
                    anyhow::bail!("the TLS syslog source on {listen} needs tls_cert and tls_key");
                };
                let acceptor = tls::acceptor(cert, key)?;
                let listener = TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("binding syslog TLS on {listen}"))?;
                tracing::info!(%listen, "listening for syslog over TLS");
                tokio::spawn(log_end("syslog TLS", tls::serve(listener, acceptor, settings, tx, metrics)))
            }
        };
        tasks.push(task);
    }

    let options = WriterOptions { flush_rows: config.lake.flush_rows, flush_interval: config.lake.flush_interval() };
    let ingestor = Ingestor::new(data, options, zones, metrics.clone())
        .with_context(|| format!("opening the lake at {}", data.display()))?;
    let ingest = std::thread::Builder::new()
        .name("sanso-ingest".into())
        .spawn(move || ingest_loop(rx, ingestor, parsers, labels))
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
    tracing::info!(listen = %config.http.listen, "serving /metrics and /health");
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(move || std::future::ready(metrics.render())));
    tasks.push(tokio::spawn(async move {
        if let Err(err) = axum::serve(http, app).await {
            tracing::error!(%err, "HTTP server stopped");
        }
    }));

    if args.demo {
        let addr = first_tcp.context("--demo needs a TCP syslog source in the configuration")?;
        let spec = DemoSpec { seed: 1, events: args.demo_events, start: chrono::Utc::now() };
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
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
    drop(tx);
    tokio::task::spawn_blocking(move || ingest.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the ingest thread panicked"))?
}

async fn log_end(what: &'static str, task: impl Future<Output = std::io::Result<()>>) {
    if let Err(err) = task.await {
        tracing::error!(%err, "{what} listener stopped");
    }
}

/// Parses chunks until every sender is gone, then writes what is left.
fn ingest_loop(
    mut rx: mpsc::Receiver<Message>,
    mut ingestor: Ingestor,
    mut parsers: Vec<LineParser>,
    labels: Vec<String>,
) -> anyhow::Result<()> {
    while let Some(message) = rx.blocking_recv() {
        let result = match message {
            Message::Lines(chunk) => {
                let parser = &mut parsers[chunk.source];
                let label = &labels[chunk.source];
                // Every line is parsed even if a write fails midway: the failed rows stay
                // in the writer, and stopping here would lose the rest of the chunk.
                let mut result = Ok(());
                for range in &chunk.lines {
                    let line = RawLine {
                        bytes: &chunk.data[range.clone()],
                        received_at: chunk.received_at,
                        source: label,
                        peer: chunk.peer.as_deref(),
                    };
                    if let Err(err) = ingestor.ingest(parser, &line, label) {
                        result = Err(err);
                    }
                }
                result
            }
            Message::Tick => ingestor.tick(),
        };
        // Rows whose write failed stay buffered in the writer and are retried on the
        // next tick, so a transient failure (a full disk) loses nothing.
        if let Err(err) = result {
            tracing::error!(%err, "writing to the lake failed; will retry");
        }
    }
    ingestor.flush().context("writing buffered rows at shutdown")?;
    let rows = ingestor.rows();
    tracing::info!(lines = ingestor.lines(), rows = rows.total(), "ingest stopped");
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
