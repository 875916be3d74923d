//! The TOML configuration: zones, lake, listeners and sources.
//!
//! Every value is checked while the file is read, so a mistake is reported with the
//! file, line and key it sits on (the `toml` crate attaches the location to errors that
//! the field deserializers raise). Without `--config` the embedded example
//! (`src/default-config.toml`) applies.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use encoding_rs::Encoding;
use sanso_detect::Placeholders;
use sanso_detect::thresholds::Threshold;
use sanso_ingest::line::{AuthPolicy, Format, ParseSettings};
use sanso_ingest::parsers::ifilter::Layout;
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::QueryLimits;
use sanso_query::lake::retention::{Keep, RetentionPolicy, RetentionRule};
use sanso_query::lake::{LakeLocation, StoreOptions};
use serde::{Deserialize, Deserializer};

/// The embedded three-zone example configuration.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be opened.
    #[error("reading {}", path.display())]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a value is wrong. The parser's error (the source)
    /// gives line, column and the offending text; the key is named here because in a
    /// value spread over lines (an array, an inline table) that text may not show it.
    #[error("{}{}", path.display(), key.as_ref().map(|k| format!(": key `{k}`")).unwrap_or_default())]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// The dotted key at the error, e.g. `zones.core.cidrs` or `sources[1].format`.
        key: Option<String>,
        /// The parser's error, with its location.
        source: Box<toml::de::Error>,
    },
    /// The lake's location (`--data` or `[lake] path`) is not a folder or a supported
    /// object-store URL.
    #[error("the lake's location")]
    Lake(#[source] sanso_query::LakeError),
    /// A `[[sources]]` table lacks a key its kind needs, or has one it does not take.
    #[error("{}: line {line}: {message}", path.display())]
    Source {
        /// The configuration file.
        path: PathBuf,
        /// Line of the `[[sources]]` table.
        line: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Timezone of timestamps that carry none.
    #[serde(default = "default_timezone", deserialize_with = "timezone")]
    pub timezone: Tz,
    /// Zone membership, keyed by zone id.
    #[serde(default)]
    pub zones: BTreeMap<Zone, ZoneConfig>,
    /// The Parquet lake.
    #[serde(default)]
    pub lake: LakeConfig,
    /// The HTTP listener for `/metrics`, `/health` and `/api/sql`.
    #[serde(default)]
    pub http: HttpConfig,
    /// The Arrow Flight SQL listener.
    #[serde(default)]
    pub flight: FlightConfig,
    /// Limits on SQL queries.
    #[serde(default)]
    pub query: QueryConfig,
    /// How long the lake keeps each table and zone.
    #[serde(default)]
    pub retention: RetentionConfig,
    /// Detection rules run over every batch.
    #[serde(default)]
    pub detection: DetectionConfig,
    /// The city's administrators and MFA servers.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Where logs come from, as written; [`Config::sources`] gives them checked.
    #[serde(default, rename = "sources")]
    raw_sources: Vec<toml::Spanned<SourceConfig>>,
    /// The sources, checked against their kind.
    #[serde(skip)]
    pub sources: Vec<Source>,
    /// Where alerts go besides the lake's `alerts` table.
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
}

/// A `[[sinks]]` table: a destination for alerts besides the `alerts` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SinkConfig {
    /// Alerts produced to a Kafka topic as JSON, keyed by group key.
    Kafka(KafkaSinkConfig),
}

/// A `[[sinks]] kind = "kafka"` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSinkConfig {
    /// Bootstrap brokers, `host:port` separated by commas.
    pub brokers: String,
    /// The topic alerts are produced to.
    pub topic: String,
    /// Further librdkafka settings (TLS, SASL), passed through as given.
    #[serde(default)]
    pub kafka_options: BTreeMap<String, String>,
}

/// A checked `[[sources]]` table.
#[derive(Debug, Clone)]
pub enum Source {
    /// A syslog listener.
    Syslog {
        /// Transport.
        protocol: SyslogProtocol,
        /// Address to listen on.
        listen: SocketAddr,
        /// Framing of TCP and TLS streams.
        framing: FramingConfig,
        /// Certificate and key files, for TLS.
        tls: Option<(PathBuf, PathBuf)>,
        /// Longest message kept whole.
        max_line_bytes: usize,
        /// How lines are parsed.
        parse: ParseSettings,
    },
    /// A file followed as it grows, across rotation, from a checkpoint.
    File {
        /// The file.
        path: PathBuf,
        /// Where to begin when there is no checkpoint yet.
        start_at: StartAt,
        /// How lines are parsed.
        parse: ParseSettings,
    },
    /// Standard input, read until it ends.
    Stdin {
        /// How lines are parsed.
        parse: ParseSettings,
    },
    /// Kafka topics read by a consumer group, one log line per message, written to the
    /// lake exactly once (see `src/sources/kafka.rs`).
    Kafka(KafkaSource),
}

/// A checked `kind = "kafka"` source.
#[derive(Debug, Clone)]
pub struct KafkaSource {
    /// Bootstrap brokers, `host:port` separated by commas.
    pub brokers: String,
    /// The consumer group; instances sharing it split the partitions.
    pub group: String,
    /// The topics, each with how its messages are parsed.
    pub topics: Vec<KafkaTopic>,
    /// Further librdkafka settings (TLS, SASL, fetch sizes), passed through as given.
    pub options: BTreeMap<String, String>,
}

/// One topic of a Kafka source.
#[derive(Debug, Clone)]
pub struct KafkaTopic {
    /// The topic's name.
    pub name: String,
    /// How its messages are parsed: the source's settings with the topic's overrides.
    pub parse: ParseSettings,
}

/// Per-topic settings of a Kafka source, under `[sources.per_topic.<topic>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicOverride {
    /// A parser name or `auto`, instead of the source's `format`.
    #[serde(default, deserialize_with = "topic_format")]
    pub format: Option<Option<Format>>,
    /// The zone of every line of the topic, instead of the source's `zone`.
    #[serde(default)]
    pub zone: Option<Zone>,
    /// The device name of every line of the topic, instead of the source's `device`.
    #[serde(default)]
    pub device: Option<String>,
}

/// Where a followed file is first read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StartAt {
    /// The whole file, then what is appended.
    #[default]
    Beginning,
    /// Only what is appended after sanso starts.
    End,
}

/// `[lake]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeConfig {
    /// Root folder of the lake, or an `s3://bucket/prefix` URL; `--data` overrides it.
    #[serde(default = "default_lake_path")]
    pub path: PathBuf,
    /// Local state folder (checkpoints, incident log) of a lake in an object store;
    /// `--state-dir` overrides it. A local lake keeps its state in `<lake>/_sanso/`.
    #[serde(default)]
    pub state: Option<PathBuf>,
    /// S3 API endpoint of an object-store lake, instead of `AWS_ENDPOINT_URL`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region of an object-store lake's bucket, instead of `AWS_REGION`.
    #[serde(default)]
    pub region: Option<String>,
    /// Whether a plain `http://` endpoint is allowed, instead of `AWS_ALLOW_HTTP`.
    #[serde(default)]
    pub allow_http: Option<bool>,
    /// Rows after which a partition is written.
    #[serde(default = "default_flush_rows")]
    pub flush_rows: usize,
    /// Milliseconds after which buffered rows are written.
    #[serde(default = "default_flush_interval_ms")]
    pub flush_interval_ms: u64,
    /// KiB of Parquet written per second at most; 0: no limit.
    #[serde(default)]
    pub max_write_kib_per_second: u64,
}

impl Default for LakeConfig {
    fn default() -> Self {
        LakeConfig {
            path: default_lake_path(),
            state: None,
            endpoint: None,
            region: None,
            allow_http: None,
            flush_rows: default_flush_rows(),
            flush_interval_ms: default_flush_interval_ms(),
            max_write_kib_per_second: 0,
        }
    }
}

impl LakeConfig {
    /// Where the lake is: `data` (from `--data`) or `path`, with `state` (from
    /// `--state-dir`) or `[lake] state` as an object-store lake's local state folder.
    pub fn location(
        &self,
        data: Option<&Path>,
        state: Option<&Path>,
    ) -> Result<LakeLocation, ConfigError> {
        let path = data.unwrap_or(&self.path);
        let options = StoreOptions {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            allow_http: self.allow_http,
            state_dir: state.map(Path::to_owned).or_else(|| self.state.clone()),
        };
        match path.to_str() {
            Some(location) => LakeLocation::parse(location, options).map_err(ConfigError::Lake),
            // Not UTF-8, so not a URL: a folder.
            None => Ok(LakeLocation::Local(path.to_owned())),
        }
    }

    /// The flush interval as a duration.
    pub fn flush_interval(&self) -> Duration {
        Duration::from_millis(self.flush_interval_ms)
    }

    /// The write limit in bytes per second, if there is one.
    pub fn max_write_rate(&self) -> Option<u64> {
        (self.max_write_kib_per_second > 0)
            .then_some(self.max_write_kib_per_second.saturating_mul(1024))
    }
}

/// `[http]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the HTTP listener.
    #[serde(default = "default_http_listen")]
    pub listen: SocketAddr,
    /// Bearer tokens accepted by `/api/sql`; none keeps the API closed.
    #[serde(default, deserialize_with = "tokens")]
    pub tokens: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_http_listen(),
            tokens: Vec::new(),
        }
    }
}

/// `[flight]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlightConfig {
    /// Address of the Arrow Flight SQL listener; it accepts the tokens of `[http] tokens`.
    #[serde(default = "default_flight_listen")]
    pub listen: SocketAddr,
}

impl Default for FlightConfig {
    fn default() -> Self {
        FlightConfig {
            listen: default_flight_listen(),
        }
    }
}

/// `[auth]`: who is an administrator and which devices confirm MFA, so that
/// `is_privileged` and `is_mfa` reflect the city and not only the vendors' built-ins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Accounts whose every authentication event is privileged (特権ID).
    #[serde(default)]
    pub admin_accounts: Vec<String>,
    /// Groups whose membership changes are privileged.
    #[serde(default)]
    pub admin_groups: Vec<String>,
    /// Devices whose successful authentications are MFA confirmations (多要素認証).
    #[serde(default)]
    pub mfa_devices: Vec<String>,
}

impl AuthConfig {
    /// The ingest crate's view of it, shared by every source.
    pub fn policy(&self) -> Arc<AuthPolicy> {
        Arc::new(AuthPolicy {
            admin_accounts: self.admin_accounts.clone(),
            admin_groups: self.admin_groups.clone(),
            mfa_devices: self.mfa_devices.clone(),
        })
    }
}

/// `[detection]`: the Sigma rules `run` and `import` evaluate on every batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Whether the built-in policy rule pack (OMZ-01 … OMZ-22) runs. Default true.
    #[serde(default = "default_builtin")]
    pub builtin: bool,
    /// A folder of the city's own Sigma rule files, run beside the pack.
    pub rules: Option<PathBuf>,
    /// Seconds during which a repeat alert of the same rule and group is suppressed.
    #[serde(default = "default_suppress_secs")]
    pub suppress_secs: u64,
    /// Values of the rules' `%placeholder%` lists: gateways, jump hosts, admin accounts...
    #[serde(default)]
    pub placeholders: Placeholders,
    /// Overrides of correlation counts and windows, by rule id.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Threshold>,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            builtin: default_builtin(),
            rules: None,
            suppress_secs: default_suppress_secs(),
            placeholders: Placeholders::default(),
            thresholds: BTreeMap::new(),
        }
    }
}

fn default_builtin() -> bool {
    true
}

fn default_suppress_secs() -> u64 {
    600
}

/// `[query]`: limits on every SQL query, from the CLI, the shell or HTTP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Seconds after which a query is cancelled.
    #[serde(default = "default_query_timeout_secs")]
    pub timeout_secs: u64,
    /// Memory a query's operators may hold, in MiB.
    #[serde(default = "default_query_memory_mib")]
    pub memory_limit_mib: usize,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            timeout_secs: default_query_timeout_secs(),
            memory_limit_mib: default_query_memory_mib(),
        }
    }
}

impl QueryConfig {
    /// The limits as the query crate takes them.
    pub fn limits(&self) -> QueryLimits {
        QueryLimits {
            timeout: Duration::from_secs(self.timeout_secs),
            memory_bytes: self.memory_limit_mib << 20,
        }
    }
}

/// `[retention]`: how long the lake keeps each table and zone, and how often `sanso run`
/// deletes what has expired.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// What every table and zone keeps unless a rule says otherwise: "13 months" by default.
    #[serde(default, deserialize_with = "keep")]
    pub keep: Keep,
    /// Minutes between retention runs inside `sanso run`; 0 turns them off.
    #[serde(default = "default_retention_interval_minutes")]
    pub interval_minutes: u64,
    /// Per table, per zone, or per both; the most specific rule wins.
    #[serde(default)]
    pub rules: Vec<RetentionRuleConfig>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            keep: Keep::default(),
            interval_minutes: default_retention_interval_minutes(),
            rules: Vec::new(),
        }
    }
}

impl RetentionConfig {
    /// The policy as the lake applies it.
    pub fn policy(&self) -> RetentionPolicy {
        RetentionPolicy {
            default: self.keep,
            rules: self
                .rules
                .iter()
                .map(|r| RetentionRule {
                    table: r.table,
                    zone: r.zone.map(|z| z.as_str().to_owned()),
                    keep: r.keep,
                })
                .collect(),
        }
    }

    /// Time between retention runs, if they run.
    pub fn interval(&self) -> Option<Duration> {
        (self.interval_minutes > 0).then(|| Duration::from_secs(self.interval_minutes * 60))
    }
}

/// One `[[retention.rules]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRuleConfig {
    /// The table: network, http, auth, mail, unparsed or alerts; all when absent.
    #[serde(default, deserialize_with = "table")]
    pub table: Option<Table>,
    /// The zone; all when absent.
    pub zone: Option<Zone>,
    /// How long, e.g. "90 days" or "13 months".
    #[serde(deserialize_with = "keep")]
    pub keep: Keep,
}

fn default_retention_interval_minutes() -> u64 {
    60
}

fn keep<'de, D: Deserializer<'de>>(d: D) -> Result<Keep, D::Error> {
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

fn table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Table>, D::Error> {
    let name = String::deserialize(d)?;
    Table::from_name(&name).map(Some).ok_or_else(|| {
        let known: Vec<_> = Table::ALL.iter().map(|t| t.name()).collect();
        serde::de::Error::custom(format!(
            "unknown table `{name}` (expected {})",
            known.join(", ")
        ))
    })
}

/// What kind of source a `[[sources]]` table describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A syslog listener: `protocol`, `listen`, and for TLS `tls_cert` and `tls_key`.
    Syslog,
    /// A followed file: `path`, optionally `start_at`.
    File,
    /// Standard input.
    Stdin,
    /// Kafka topics: `brokers`, `topics`, `group`, optionally `per_topic` and
    /// `kafka_options`.
    Kafka,
}

/// Syslog transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyslogProtocol {
    /// One message per datagram.
    Udp,
    /// A stream framed by newlines or octet counts (RFC 6587).
    Tcp,
    /// TCP inside TLS (RFC 5425).
    Tls,
}

/// TCP framing as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FramingConfig {
    /// Octet counting when a frame starts with a digit, newline otherwise.
    #[default]
    Auto,
    /// Newline-terminated frames.
    Newline,
    /// `LEN SP MSG` frames.
    OctetCounting,
}

/// One `[[sources]]` table as written. The keys of every kind sit directly in the table
/// (no nesting or flattening) so that the TOML reader can point at the line of a wrong
/// value; which keys a kind needs is checked afterwards, against the table's line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The kind of source.
    pub kind: SourceKind,
    /// `udp`, `tcp` or `tls`.
    pub protocol: Option<SyslogProtocol>,
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Framing for `tcp` and `tls`.
    #[serde(default)]
    pub framing: FramingConfig,
    /// PEM certificate chain, for `tls`.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key, for `tls`.
    pub tls_key: Option<PathBuf>,
    /// Longest message accepted; longer ones are cut and marked.
    #[serde(default = "default_max_line")]
    pub max_line_bytes: usize,
    /// The file to follow.
    pub path: Option<PathBuf>,
    /// Where to begin a file without a checkpoint.
    pub start_at: Option<StartAt>,
    /// A parser name, or `auto` (the default).
    #[serde(default, deserialize_with = "format")]
    pub format: Option<Format>,
    /// Forces the zone of every line.
    #[serde(default)]
    pub zone: Option<Zone>,
    /// Forces the device name of every line.
    #[serde(default)]
    pub device: Option<String>,
    /// Character encoding of the bytes, e.g. `utf-8` or `shift_jis`.
    #[serde(default = "default_encoding", deserialize_with = "encoding")]
    pub encoding: &'static Encoding,
    /// The column order of an i-FILTER access log whose layout was changed in the
    /// product; only with `format = "ifilter"`.
    pub columns: Option<Vec<String>>,
    /// Kafka bootstrap brokers, `host:port` separated by commas.
    pub brokers: Option<String>,
    /// Kafka topics to consume.
    pub topics: Option<Vec<String>>,
    /// Kafka consumer group.
    pub group: Option<String>,
    /// Per-topic `format`, `zone` and `device`, by topic.
    pub per_topic: Option<BTreeMap<String, TopicOverride>>,
    /// librdkafka settings passed through, e.g. `"security.protocol" = "ssl"`.
    pub kafka_options: Option<BTreeMap<String, String>>,
}

impl SourceConfig {
    fn parse_settings(&self, timezone: Tz, auth: &Arc<AuthPolicy>) -> ParseSettings {
        ParseSettings {
            format: self.format,
            zone: self.zone,
            device: self.device.clone(),
            encoding: self.encoding,
            timezone,
            auth: auth.clone(),
            ifilter_columns: None,
        }
    }

    fn check_kafka(&self, parse: ParseSettings) -> Result<KafkaSource, String> {
        let brokers = self
            .brokers
            .clone()
            .filter(|b| !b.trim().is_empty())
            .ok_or("a kafka source needs `brokers`, e.g. \"kafka1:9092,kafka2:9092\"")?;
        let group = self
            .group
            .clone()
            .filter(|g| !g.is_empty())
            .ok_or("a kafka source needs `group`, the consumer group its instances share")?;
        let names = self
            .topics
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or("a kafka source needs `topics`, a list of one or more topic names")?;
        for (n, name) in names.iter().enumerate() {
            check_topic_name(name)?;
            if names[..n].contains(name) {
                return Err(format!("`topics` names `{name}` twice"));
            }
        }
        let overrides = self.per_topic.clone().unwrap_or_default();
        if let Some(unknown) = overrides.keys().find(|t| !names.contains(t)) {
            return Err(format!(
                "`per_topic` names `{unknown}`, which is not one of the source's `topics`"
            ));
        }
        let topics = names
            .into_iter()
            .map(|name| {
                let mut parse = parse.clone();
                if let Some(o) = overrides.get(&name) {
                    if let Some(format) = o.format {
                        parse.format = format;
                    }
                    parse.zone = o.zone.or(parse.zone);
                    parse.device = o.device.clone().or(parse.device);
                }
                KafkaTopic { name, parse }
            })
            .collect();
        Ok(KafkaSource {
            brokers,
            group,
            topics,
            options: self.kafka_options.clone().unwrap_or_default(),
        })
    }

    /// Checks that the keys fit the kind; the error says which key is wrong.
    fn check(&self, timezone: Tz, auth: &Arc<AuthPolicy>) -> Result<Source, String> {
        let mut parse = self.parse_settings(timezone, auth);
        if let Some(columns) = &self.columns {
            if self.format != Some(Format::Ifilter) {
                return Err("`columns` applies only to format \"ifilter\"".into());
            }
            let layout = Layout::new(columns).map_err(|err| format!("`columns`: {err}"))?;
            parse.ifilter_columns = Some(Arc::new(layout));
        }
        let syslog_keys = [
            ("protocol", self.protocol.is_some()),
            ("listen", self.listen.is_some()),
            ("framing", self.framing != FramingConfig::Auto),
            ("tls_cert", self.tls_cert.is_some()),
            ("tls_key", self.tls_key.is_some()),
        ];
        let file_keys = [
            ("path", self.path.is_some()),
            ("start_at", self.start_at.is_some()),
        ];
        let kafka_keys = [
            ("brokers", self.brokers.is_some()),
            ("topics", self.topics.is_some()),
            ("group", self.group.is_some()),
            ("per_topic", self.per_topic.is_some()),
            ("kafka_options", self.kafka_options.is_some()),
        ];
        let foreign = |keys: &[(&'static str, bool)], kind: &str| {
            keys.iter()
                .find(|(_, present)| *present)
                .map(|(key, _)| format!("`{key}` does not apply to a source of kind \"{kind}\""))
        };
        match self.kind {
            SourceKind::Syslog => {
                if let Some(err) =
                    foreign(&file_keys, "syslog").or_else(|| foreign(&kafka_keys, "syslog"))
                {
                    return Err(err);
                }
                let protocol = self
                    .protocol
                    .ok_or("a syslog source needs `protocol` (udp, tcp or tls)")?;
                let listen = self
                    .listen
                    .ok_or("a syslog source needs `listen`, e.g. \"127.0.0.1:5514\"")?;
                let tls = match (protocol, &self.tls_cert, &self.tls_key) {
                    (SyslogProtocol::Tls, Some(cert), Some(key)) => {
                        Some((cert.clone(), key.clone()))
                    }
                    (SyslogProtocol::Tls, _, _) => {
                        return Err("a TLS syslog source needs `tls_cert` and `tls_key`".into());
                    }
                    (_, None, None) => None,
                    (_, _, _) => {
                        return Err(
                            "`tls_cert` and `tls_key` apply only to protocol \"tls\"".into()
                        );
                    }
                };
                Ok(Source::Syslog {
                    protocol,
                    listen,
                    framing: self.framing,
                    tls,
                    max_line_bytes: self.max_line_bytes,
                    parse,
                })
            }
            SourceKind::File => {
                if let Some(err) =
                    foreign(&syslog_keys, "file").or_else(|| foreign(&kafka_keys, "file"))
                {
                    return Err(err);
                }
                let path = self.path.clone().ok_or("a file source needs `path`")?;
                Ok(Source::File {
                    path,
                    start_at: self.start_at.unwrap_or_default(),
                    parse,
                })
            }
            SourceKind::Stdin => {
                if let Some(err) = foreign(&syslog_keys, "stdin")
                    .or_else(|| foreign(&file_keys, "stdin"))
                    .or_else(|| foreign(&kafka_keys, "stdin"))
                {
                    return Err(err);
                }
                Ok(Source::Stdin { parse })
            }
            SourceKind::Kafka => {
                if let Some(err) =
                    foreign(&syslog_keys, "kafka").or_else(|| foreign(&file_keys, "kafka"))
                {
                    return Err(err);
                }
                self.check_kafka(parse).map(Source::Kafka)
            }
        }
    }
}

impl Config {
    /// Reads the configuration from `path`, or the embedded example without one.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Config::parse(&text, path)
            }
            None => Config::parse(DEFAULT_CONFIG, Path::new("<embedded default config>")),
        }
    }

    /// Parses configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|source| ConfigError::Invalid {
            path: origin.to_owned(),
            key: source.span().and_then(|span| key_at(text, span.start)),
            source: Box::new(source),
        })?;
        let auth = config.auth.policy();
        // The lake records Kafka offsets by topic name, so two sources reading topics of
        // one name (on two clusters, or in two groups) would share, and spoil, them.
        let mut kafka_topics: HashMap<String, usize> = HashMap::new();
        for raw in &config.raw_sources {
            let line = line_of(text, raw.span().start);
            let error = |message| ConfigError::Source {
                path: origin.to_owned(),
                line,
                message,
            };
            let source = raw.get_ref().check(config.timezone, &auth).map_err(error)?;
            if let Source::Kafka(kafka) = &source {
                for topic in &kafka.topics {
                    if let Some(first) = kafka_topics.insert(topic.name.clone(), line) {
                        return Err(error(format!(
                            "topic `{}` is read by the kafka source at line {first} too; the \
                             lake keeps Kafka offsets by topic name, so each topic name may \
                             be read by one source only",
                            topic.name
                        )));
                    }
                }
            }
            config.sources.push(source);
        }
        Ok(config)
    }

    /// The zone map. Ranges were validated while reading, so building cannot fail on
    /// them.
    pub fn zone_map(&self) -> ZoneMap {
        ZoneMap::new(self.zones.iter().map(|(zone, config)| (*zone, config)))
            .expect("CIDRs are validated when the configuration is read")
    }
}

/// Checks a Kafka topic name against the broker's own rules (at most 249 of ASCII
/// letters, digits, `.`, `_` and `-`). A name starting with `^` would make librdkafka
/// subscribe to every topic the pattern matches, whose messages no source expects.
fn check_topic_name(name: &str) -> Result<(), String> {
    if name.starts_with('^') {
        return Err(format!(
            "`topics`: `{name}` is a pattern; name each topic, since format, zone and \
             offsets are kept per topic"
        ));
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty()
        || name.len() > 249
        || !name.chars().all(legal)
        || name == "."
        || name == ".."
    {
        return Err(format!(
            "`topics`: `{name}` is not a Kafka topic name (1 to 249 of ASCII letters, \
             digits, `.`, `_` and `-`)"
        ));
    }
    Ok(())
}

/// The dotted key whose name or value covers byte `offset` of a TOML document, for
/// naming it in errors: `zones.core.cidrs`, `sources[1].format`. `None` when the text
/// is not TOML or the offset lies outside every key and value.
fn key_at(text: &str, offset: usize) -> Option<String> {
    fn in_table(table: &toml::de::DeTable<'_>, offset: usize, path: &mut String) -> bool {
        table.iter().any(|(key, value)| {
            let len = path.len();
            if len > 0 {
                path.push('.');
            }
            path.push_str(key.get_ref());
            let found = key.span().contains(&offset) || in_value(value, offset, path);
            if !found {
                path.truncate(len);
            }
            found
        })
    }
    fn in_value(
        value: &toml::Spanned<toml::de::DeValue<'_>>,
        offset: usize,
        path: &mut String,
    ) -> bool {
        match value.get_ref() {
            toml::de::DeValue::Table(table) => in_table(table, offset, path),
            toml::de::DeValue::Array(items) => {
                items
                    .into_iter()
                    .enumerate()
                    .any(|(i, item)| match item.get_ref() {
                        toml::de::DeValue::Table(table) => {
                            let len = path.len();
                            path.push_str(&format!("[{i}]"));
                            let found = in_table(table, offset, path);
                            if !found {
                                path.truncate(len);
                            }
                            found
                        }
                        _ => item.span().contains(&offset),
                    })
                    || value.span().contains(&offset)
            }
            _ => value.span().contains(&offset),
        }
    }
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut path = String::new();
    in_table(document.get_ref(), offset, &mut path).then_some(path)
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn default_timezone() -> Tz {
    chrono_tz::Asia::Tokyo
}

fn default_lake_path() -> PathBuf {
    PathBuf::from("./sanso-data")
}

fn default_flush_rows() -> usize {
    65_536
}

fn default_flush_interval_ms() -> u64 {
    5_000
}

fn default_http_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9898))
}

fn default_flight_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50051))
}

fn default_query_timeout_secs() -> u64 {
    300
}

fn default_query_memory_mib() -> usize {
    2048
}

fn default_encoding() -> &'static Encoding {
    encoding_rs::UTF_8
}

fn default_max_line() -> usize {
    1 << 20
}

fn timezone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let name = String::deserialize(d)?;
    name.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown timezone `{name}` (expected an IANA name such as Asia/Tokyo)"
        ))
    })
}

fn tokens<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let tokens = Vec::<String>::deserialize(d)?;
    // Flight SQL's basic authentication would take an empty password for it.
    if tokens.iter().any(|t| t.trim().is_empty()) {
        return Err(serde::de::Error::custom(
            "a token is empty or blank, which would let anyone in; use a long random string",
        ));
    }
    Ok(tokens)
}

fn format<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Format>, D::Error> {
    let name = String::deserialize(d)?;
    if name == "auto" {
        return Ok(None);
    }
    Format::from_name(&name).map(Some).ok_or_else(|| {
        let known: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        serde::de::Error::custom(format!(
            "unknown format `{name}` (expected auto, {})",
            known.join(", ")
        ))
    })
}

fn topic_format<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Format>>, D::Error> {
    format(d).map(Some)
}

fn encoding<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Encoding, D::Error> {
    let label = String::deserialize(d)?;
    Encoding::for_label(label.as_bytes()).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown encoding `{label}` (expected a WHATWG label such as utf-8 or shift_jis)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::Causes;

    #[test]
    fn embedded_default_config_is_valid() {
        let config = Config::load(None).unwrap();
        assert_eq!(config.timezone, chrono_tz::Asia::Tokyo);
        assert_eq!(config.zones.len(), 4);
        assert_eq!(config.sources.len(), 2);
        let map = config.zone_map();
        assert_eq!(map.zone_of_device("fw-core"), Some(Zone::Core));
        assert_eq!(map.zone_of_ip_str("10.20.1.1"), Some(Zone::Lgwan));
    }

    #[test]
    fn kafka_sources_take_per_topic_overrides_and_sinks_parse() {
        let text = r#"
[[sources]]
kind = "kafka"
brokers = "k1:9092"
topics = ["fw", "proxy"]
group = "sanso"
zone = "core"
kafka_options = { "fetch.min.bytes" = "1024" }
[sources.per_topic.proxy]
format = "ifilter"
zone = "internet"

[[sinks]]
kind = "kafka"
brokers = "k1:9092"
topic = "alerts"
"#;
        let config = Config::parse(text, Path::new("t.toml")).unwrap();
        let Source::Kafka(kafka) = &config.sources[0] else {
            panic!("not a kafka source: {:?}", config.sources[0]);
        };
        assert_eq!(kafka.options["fetch.min.bytes"], "1024");
        let (fw, proxy) = (&kafka.topics[0], &kafka.topics[1]);
        assert_eq!(
            (fw.name.as_str(), fw.parse.zone, fw.parse.format),
            ("fw", Some(Zone::Core), None)
        );
        assert_eq!(proxy.parse.zone, Some(Zone::Internet));
        assert_eq!(proxy.parse.format, Some(Format::Ifilter));
        let SinkConfig::Kafka(sink) = &config.sinks[0];
        assert_eq!(sink.topic, "alerts");

        let stray = "[[sources]]\nkind = \"kafka\"\nbrokers = \"k:1\"\ntopics = [\"a\"]\ngroup = \"g\"\n[sources.per_topic.b]\nzone = \"core\"\n";
        let err = error_of(stray);
        assert!(err.contains("`per_topic` names `b`"), "{err}");
        let missing = "[[sources]]\nkind = \"kafka\"\nbrokers = \"k:1\"\ntopics = [\"a\"]\n";
        let err = error_of(missing);
        assert!(err.contains("needs `group`"), "{err}");
        let foreign = "[[sources]]\nkind = \"file\"\npath = \"/x\"\ntopics = [\"a\"]\n";
        let err = error_of(foreign);
        assert!(err.contains("`topics` does not apply"), "{err}");
    }

    #[test]
    fn kafka_topics_are_plain_names_read_by_one_source() {
        let source = |line: &str| {
            format!("[[sources]]\nkind = \"kafka\"\nbrokers = \"k:1\"\ngroup = \"g\"\n{line}\n")
        };
        let refused = [
            (
                source("topics = [\"^fw-.*\"]"),
                "city.toml: line 1: `topics`: `^fw-.*` is a pattern",
            ),
            (
                source("topics = [\"fw proxy\"]"),
                "`fw proxy` is not a Kafka topic name",
            ),
            (source("topics = [\"\"]"), "`` is not a Kafka topic name"),
            (
                source("topics = [\"fw\", \"fw\"]"),
                "`topics` names `fw` twice",
            ),
            (
                format!(
                    "{}\n{}",
                    source("topics = [\"fw\"]"),
                    source("topics = [\"proxy\", \"fw\"]")
                ),
                "city.toml: line 7: topic `fw` is read by the kafka source at line 1 too",
            ),
        ];
        for (text, expected) in refused {
            let err = error_of(&text);
            assert!(err.contains(expected), "{text}\n{err}");
        }
        let ok = format!(
            "{}\n{}",
            source("topics = [\"fw.core_1\"]"),
            source("topics = [\"proxy\"]")
        );
        assert_eq!(
            Config::parse(&ok, Path::new("city.toml"))
                .unwrap()
                .sources
                .len(),
            2
        );
    }

    #[test]
    fn an_empty_token_is_refused() {
        for tokens in [r#"[""]"#, r#"["s3cret-token", "  "]"#] {
            let err = error_of(&format!("[http]\ntokens = {tokens}\n"));
            assert!(err.contains("key `http.tokens`"), "{err}");
            assert!(err.contains("a token is empty or blank"), "{err}");
        }
    }

    /// The error as `sanso` prints it: the message and its causes.
    fn error_of(text: &str) -> String {
        let err = Config::parse(text, Path::new("city.toml")).unwrap_err();
        Causes(&anyhow::Error::from(err)).to_string()
    }

    #[test]
    fn retention_rules_parse_and_a_bad_period_names_its_line() {
        let config = Config::parse(
            "[retention]\nkeep = \"400 days\"\n\n[[retention.rules]]\ntable = \"network\"\n\
             zone = \"internet\"\nkeep = \"3 months\"\n",
            Path::new("city.toml"),
        )
        .unwrap();
        let policy = config.retention.policy();
        assert_eq!(policy.default, Keep::Days(400));
        assert_eq!(policy.keep_for(Table::Network, "internet"), Keep::Months(3));
        assert_eq!(policy.keep_for(Table::Network, "core"), Keep::Days(400));
        assert_eq!(
            Config::load(None).unwrap().retention.policy().default,
            Keep::Months(13)
        );
        let err = error_of("[retention]\nkeep = \"13 moons\"\n");
        assert!(err.contains("line 2") && err.contains("13 moons"), "{err}");
        let err = error_of("[[retention.rules]]\ntable = \"netwrk\"\nkeep = \"1 day\"\n");
        assert!(err.contains("unknown table `netwrk`"), "{err}");
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = error_of("timezone = \"Asia/Tokyo\"\n\n[lake]\nflush_rowz = 3\n");
        assert!(err.starts_with("city.toml: "), "{err}");
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("flush_rowz"), "{err}");
    }

    #[test]
    fn bad_values_are_reported_where_they_stand() {
        let err = error_of(
            "[[sources]]\nkind = \"syslog\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:1\"\nformat = \"fortigat\"\n",
        );
        assert!(
            err.contains("line 5") && err.contains("unknown format `fortigat`"),
            "{err}"
        );
        let err = error_of("[zones.core]\ncidrs = [\"10.0.0.0/40\"]\n");
        assert!(
            err.contains("line 2") && err.contains("10.0.0.0/40"),
            "{err}"
        );
        let err = error_of("timezone = \"Asia/Tokio\"\n");
        assert!(
            err.contains("line 1") && err.contains("Asia/Tokio"),
            "{err}"
        );
        let err = error_of("[zones.dmz]\ncidrs = []\n");
        assert!(err.contains("dmz"), "{err}");
        let err = error_of(
            "[[sources]]\nkind = \"syslog\"\nprotocol = \"udp\"\nlisten = \"127.0.0.1:1\"\nencoding = \"klingon\"\n",
        );
        assert!(err.contains("line 5") && err.contains("klingon"), "{err}");
    }

    #[test]
    fn shift_jis_sources_are_accepted() {
        let config = Config::parse(
            "[[sources]]\nkind = \"syslog\"\nprotocol = \"tcp\"\nlisten = \"127.0.0.1:1\"\nencoding = \"shift_jis\"\nzone = \"internet\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let Source::Syslog { parse, .. } = &config.sources[0] else {
            panic!("syslog source expected")
        };
        assert_eq!(parse.encoding, encoding_rs::SHIFT_JIS);
        assert_eq!(parse.zone, Some(Zone::Internet));
    }

    #[test]
    fn source_keys_are_checked_against_their_kind() {
        let err = error_of(
            "timezone = \"UTC\"\n\n[[sources]]\nkind = \"syslog\"\nprotocol = \"tls\"\nlisten = \"127.0.0.1:6514\"\n",
        );
        assert_eq!(
            err,
            "city.toml: line 3: a TLS syslog source needs `tls_cert` and `tls_key`"
        );
        let err = error_of(
            "[[sources]]\nkind = \"file\"\n\n[[sources]]\nkind = \"file\"\npath = \"/x\"\nlisten = \"127.0.0.1:1\"\n",
        );
        assert_eq!(err, "city.toml: line 1: a file source needs `path`");
        let err =
            error_of("[[sources]]\nkind = \"file\"\npath = \"/x\"\nlisten = \"127.0.0.1:1\"\n");
        assert_eq!(
            err,
            "city.toml: line 1: `listen` does not apply to a source of kind \"file\""
        );
        let config = Config::parse("[[sources]]\nkind = \"file\"\npath = \"/var/log/auth.log\"\nstart_at = \"end\"\n[[sources]]\nkind = \"stdin\"\n", Path::new("c.toml")).unwrap();
        assert!(matches!(
            &config.sources[0],
            Source::File {
                start_at: StartAt::End,
                ..
            }
        ));
        assert!(matches!(&config.sources[1], Source::Stdin { .. }));
    }

    #[test]
    fn ifilter_columns_are_read_and_checked() {
        let config = Config::parse(
            "[[sources]]\nkind = \"file\"\npath = \"/x\"\nformat = \"ifilter\"\ncolumns = [\"time\", \"src_ip\", \"request\", \"action\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let Source::File { parse, .. } = &config.sources[0] else {
            panic!("file source expected")
        };
        assert_eq!(
            parse.ifilter_columns.as_deref(),
            Some(&Layout::new(["time", "src_ip", "request", "action"]).unwrap())
        );
        let err = error_of(
            "[[sources]]\nkind = \"file\"\npath = \"/x\"\nformat = \"squid\"\ncolumns = [\"time\"]\n",
        );
        assert_eq!(
            err,
            "city.toml: line 1: `columns` applies only to format \"ifilter\""
        );
        let err = error_of(
            "[[sources]]\nkind = \"file\"\npath = \"/x\"\nformat = \"ifilter\"\ncolumns = [\"time\", \"time\"]\n",
        );
        assert_eq!(
            err,
            "city.toml: line 1: `columns`: column `time` appears more than once"
        );
    }
}
