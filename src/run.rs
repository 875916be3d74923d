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
//! dedicated thread, and analysts' queries (HTTP and Flight SQL) on a runtime of their
//! own, so CPU-bound work never stalls the sockets: a query over months of the lake
//! keeps its own threads busy, not the ones that read syslog. On Ctrl-C or SIGTERM the
//! listeners stop, the channel drains, and every buffered row is written before exit.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
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
use sanso_query::lake::LakeLocation;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::causes::Causes;
use crate::checkpoint::Checkpoints;
use crate::cli::RunArgs;
use crate::compact;
use crate::config::{Config, FramingConfig, SinkConfig, Source, SyslogProtocol};
use crate::demo::{self, DemoSpec};
use crate::detection;
use crate::http::{self, ApiState};
use crate::incident::IncidentGauges;
use crate::ingestor::{FlushPolicy, Ingestor};
use crate::metrics::Metrics;
use crate::retention::{self, RetentionMetrics};
use crate::run_state::RunState;
use crate::sinks::{self, kafka::KafkaSink};
use crate::sources::file::{self, FollowSettings};
use crate::sources::kafka::{self, FlushOffsets, KafkaMetrics, LakeOffsets};
use crate::sources::syslog_tcp::StreamSettings;
use crate::sources::{Message, stdin, syslog_tcp, syslog_udp, tls};

/// Chunks in flight between the sources and the ingest thread. Each holds at most one
/// read (64 KiB from a socket or a Kafka consumer, 256 KiB from a file), which bounds the
/// memory the channel can hold.
const CHANNEL_CHUNKS: usize = 512;

/// How often buffered rows are checked against the flush interval.
const TICK: Duration = Duration::from_millis(250);

/// How often the incident gauges are read from the incident log.
const INCIDENT_REFRESH: Duration = Duration::from_secs(30);

/// Longest line kept whole from a file or stdin; a longer one is cut.
const MAX_FILE_LINE: usize = 1 << 20;

/// Runs the pipeline until interrupted.
pub fn run(config: &Config, data: &LakeLocation, args: &RunArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let queries = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(QUERY_THREADS)
        .enable_all()
        .build()
        .context("starting the query runtime")?;
    let result = runtime.block_on(run_async(config, data, args, queries.handle()));
    // A query still running has nothing left to answer to.
    queries.shutdown_background();
    result
}

/// The name of the threads that run analysts' queries.
const QUERY_THREADS: &str = "sanso-query";

/// Binds a listener for a server that the query runtime runs: bound here, so that a
/// taken port fails the start, and handed over as a standard listener, since a tokio
/// one belongs to the runtime that made it.
fn bind_for_queries(listen: SocketAddr, what: &str) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("binding {what} on {listen}"))?;
    listener
        .set_nonblocking(true)
        .with_context(|| format!("setting up {what} on {listen}"))?;
    Ok(listener)
}

async fn run_async(
    config: &Config,
    data: &LakeLocation,
    args: &RunArgs,
    queries: &tokio::runtime::Handle,
) -> anyhow::Result<()> {
    let shutdown = shutdown_signal()?;
    let metrics = Metrics::new();
    let zones = Arc::new(config.zone_map());
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let stop = Arc::new(AtomicBool::new(false));
    // Only followed files need checkpoints; leaving them out otherwise lets several
    // Kafka-fed instances share one lake without sharing one checkpoint file.
    let follows_files = config
        .sources
        .iter()
        .any(|s| matches!(s, Source::File { .. }));
    let checkpoints = follows_files
        .then(|| Checkpoints::open(data.state_dir()))
        .transpose()?;
    let lake_offsets = Arc::new(LakeOffsets::default());
    let kafka_metrics = config
        .sources
        .iter()
        .any(|s| matches!(s, Source::Kafka(_)))
        .then(|| KafkaMetrics::register(&metrics))
        .transpose()?;
    let (run_state, _) = RunState::begin(data.state_dir(), &metrics)?;

    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut threads: Vec<std::thread::JoinHandle<()>> = Vec::new();
    let mut inputs = Vec::new();
    let mut first_tcp: Option<SocketAddr> = None;
    for source in &config.sources {
        // Chunks name their input by index; a Kafka source has one input per topic.
        let index = inputs.len();
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
                        let socket = syslog_udp::bind(listen)
                            .await
                            .with_context(|| format!("binding syslog UDP on {listen}"))?;
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
                    resume: checkpoints.as_ref().and_then(|c| c.position(path)),
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
            Source::Kafka(settings) => {
                let mut topic_inputs = Vec::new();
                for topic in &settings.topics {
                    topic_inputs.push(inputs.len());
                    let mut input = Input::new(
                        format!("kafka:{}", topic.name),
                        None,
                        &topic.parse,
                        &zones,
                        &metrics,
                    );
                    input.topic = Some(topic.name.clone());
                    inputs.push(input);
                }
                let consumer = kafka::Consumer {
                    source: settings.clone(),
                    inputs: topic_inputs,
                    // Resuming reads the offsets in the lake's own files.
                    data: data.clone(),
                    lake: lake_offsets.clone(),
                    metrics: kafka_metrics.clone().context("Kafka metrics registered")?,
                };
                let stop = stop.clone();
                threads.push(
                    std::thread::Builder::new()
                        .name(format!("sanso-kafka-{index}"))
                        .spawn(move || {
                            if let Err(err) = consumer.run(tx, stop) {
                                tracing::error!("Kafka source stopped: {}", Causes(&err));
                            }
                        })
                        .context("starting a Kafka consumer")?,
                );
            }
        }
    }

    let policy = FlushPolicy {
        rows: config.lake.flush_rows,
        interval: config.lake.flush_interval(),
        max_write_rate: config.lake.max_write_rate(),
    };
    let detection = detection::engine(&config.detection, &metrics)?;
    let mut ingestor = Ingestor::new(data, policy, zones, metrics.clone(), checkpoints, detection)?;
    if kafka_metrics.is_some() {
        ingestor.record_kafka(FlushOffsets::new(lake_offsets));
    }
    if !config.sinks.is_empty() {
        let outcomes = sinks::kafka::register_outcomes(&metrics)?;
        for sink in &config.sinks {
            match sink {
                SinkConfig::Kafka(kafka) => {
                    ingestor.record_sink(KafkaSink::new(kafka, &outcomes)?);
                }
            }
        }
    }
    ingestor.record_run_state(run_state);
    let ingest_stop = stop.clone();
    let ingest = std::thread::Builder::new()
        .name("sanso-ingest".into())
        .spawn(move || ingest_loop(rx, ingestor, inputs, &ingest_stop))
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

    let http = bind_for_queries(config.http.listen, "HTTP")?;
    tracing::info!(listen = %config.http.listen, "serving /metrics, /health and /api/sql");
    let lake =
        Lake::open_with_limits(data, Arc::new(config.zone_map()), config.query.limits()).await?;
    let incident_gauges = IncidentGauges::register(&metrics)?;
    // Incidents recorded from the CLI (another process) reach the gauges at the next
    // refresh; those recorded over HTTP refresh them at once.
    let gauges = incident_gauges.clone();
    let incident_data = data.state_dir().to_owned();
    tasks.push(tokio::spawn(async move {
        let mut interval = tokio::time::interval(INCIDENT_REFRESH);
        loop {
            interval.tick().await;
            let (gauges, data) = (gauges.clone(), incident_data.clone());
            let _ = tokio::task::spawn_blocking(move || gauges.refresh_from(&data)).await;
        }
    }));
    let retention = config.retention.interval();
    if retention.is_some() && data.local_root().is_none() {
        tracing::warn!(lake = %data, "retention deletes folders of a local lake only; the object store's own lifecycle rules must expire this lake");
    }
    if let (Some(interval), Some(_)) = (retention, data.local_root()) {
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
        data: data.state_dir().to_owned(),
        incident_gauges,
    });
    let app = http::router(metrics, api);
    tasks.push(queries.spawn(async move {
        let served = match TcpListener::from_std(http) {
            Ok(http) => axum::serve(http, app).await,
            Err(err) => Err(err),
        };
        if let Err(err) = served {
            tracing::error!(%err, "HTTP server stopped");
        }
    }));

    let flight = bind_for_queries(config.flight.listen, "Arrow Flight SQL")?;
    tracing::info!(listen = %config.flight.listen, "serving Arrow Flight SQL");
    let flight_lake =
        Lake::open_with_limits(data, Arc::new(config.zone_map()), config.query.limits()).await?;
    let tokens = config.http.tokens.clone();
    tasks.push(queries.spawn(async move {
        let flight = match TcpListener::from_std(flight) {
            Ok(flight) => flight,
            Err(err) => {
                tracing::error!(%err, "Arrow Flight SQL server stopped");
                return;
            }
        };
        let shutdown = std::future::pending();
        if let Err(err) = flight::serve(flight, Arc::new(flight_lake), tokens, shutdown).await {
            tracing::error!(%err, "Arrow Flight SQL server stopped");
        }
    }));
    match data.local_root() {
        Some(root) => tasks.push(compact::background(
            root.to_owned(),
            compact::policy(config),
        )),
        None => tracing::info!(lake = %data, "background compaction runs on local lakes only"),
    }

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

    shutdown.await;
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
    /// The Kafka topic, whose offsets each flush records.
    topic: Option<String>,
    parser: LineParser,
    /// This source's `sanso_lines_received_total`, looked up once.
    lines: IntCounter,
    /// This source's `sanso_lines_truncated_total`.
    truncated: IntCounter,
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
        let truncated = metrics.lines_truncated.with_label_values(&[label.as_str()]);
        Input {
            label,
            file,
            topic: None,
            parser: LineParser::new(parse.clone(), zones.clone()),
            lines,
            truncated,
        }
    }
}

/// Parses chunks until every sender is gone, then writes what is left.
fn ingest_loop(
    mut rx: mpsc::Receiver<Message>,
    mut ingestor: Ingestor,
    mut inputs: Vec<Input>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut source = String::new();
    while let Some(message) = rx.blocking_recv() {
        if let Message::Flush(done) = message {
            let result = ingestor.flush().map_err(|err| Causes(&err).to_string());
            let _ = done.send(result);
            continue;
        }
        if let Message::Lines(chunk) = &message {
            let input = &mut inputs[chunk.source];
            for (i, range) in chunk.lines.iter().enumerate() {
                let label: &str = match chunk.line_numbers.get(i) {
                    Some(offset) if chunk.kafka_partition.is_some() => {
                        source.clear();
                        let partition = chunk.kafka_partition.unwrap_or_default();
                        let _ = write!(source, "{}/{partition}@{offset}", input.label);
                        &source
                    }
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
            // Truncations first: whoever sees the lines counted sees their cuts too.
            input.truncated.inc_by(chunk.truncated);
            input.lines.inc_by(chunk.lines.len() as u64);
            match (
                &input.file,
                chunk.position,
                &input.topic,
                chunk.kafka_partition,
            ) {
                (Some(file), Some(position), _, _) => ingestor.advance(file, position),
                (_, _, Some(topic), Some(partition)) => {
                    if let (Some(&first), Some(&last)) =
                        (chunk.line_numbers.first(), chunk.line_numbers.last())
                    {
                        ingestor.consumed(topic, partition, first as i64, last as i64);
                    }
                }
                _ => ingestor.received_unreplayable(chunk.lines.len() as u64),
            }
            if !ingestor.is_full() {
                continue;
            }
        }
        if matches!(message, Message::Tick) {
            ingestor.watch(chrono::Utc::now().timestamp_micros());
        }
        // Rows whose write failed stay buffered; until a retry succeeds no more are
        // taken, so a full disk holds the sources back instead of filling memory.
        if let Err(err) = ingestor.flush_if_due() {
            ingestor.wait_for_lake(err, stop)?;
        }
    }
    // A plain flush, not `finish`: a logon whose MFA window is still open at shutdown
    // is not judged without the events that may yet confirm it.
    ingestor
        .flush()
        .context("writing buffered rows at shutdown")?;
    ingestor.stopped()?;
    let rows = ingestor.rows();
    tracing::info!(
        lines = ingestor.lines(),
        rows = rows.total(),
        "ingest stopped"
    );
    Ok(())
}

/// Listens for Ctrl-C and SIGTERM from now on; the future completes on the first.
///
/// Called before any listener is bound: a signal that arrives while sanso is still
/// starting (an operator's quick stop, a supervisor's restart) then stops it cleanly
/// instead of killing it with the rows it holds.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt =
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
