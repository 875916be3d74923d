//! The contenders of the parser benchmarks, shared by `benches/parsers.rs` (criterion:
//! wall or CPU time) and `examples/instructions.rs` (instruction counts, callgrind).
//!
//! A [`Case`] is one format: its corpus, the VRL program that does the same extraction
//! as sanso's parser, and a cross-check ([`Case::check`]) that every contender accepts
//! every line and that sanso and VRL extract the same key fields from the first line.
//! A [`Runner`] is one [`Contender`] ready to parse a case's corpus again and again.
//!
//! * [`Contender::SansoFull`]: what `sanso run` does per line with the default
//!   `format = "auto"`: `LineParser::parse_into` (decode, syslog header, format
//!   detection, parse, zone of the device and of both endpoints) appending into
//!   `Batches`, whose Arrow arrays are built with `Batches::finish` every
//!   [`BATCH_ROWS`] rows, as the ingest thread does. This is the number that matters.
//! * [`Contender::SansoFullForced`]: the same with the format configured for the
//!   source, so no detection.
//! * [`Contender::SansoParseOnly`]: the syslog header and the format parser alone,
//!   into borrowed event structs; no zones, no Arrow.
//! * [`Contender::Vrl`]: a compiled VRL program doing the same extraction with
//!   Vector's functions, run per line over a fresh event `{"message": line}` with the
//!   runtime cleared after each, as Vector's `remap` transform does.

// Each user of this module (a bench, an example) uses a different part of it.
#![allow(dead_code)]

use std::hint::black_box;
use std::sync::Arc;

use bumpalo::Bump;
use sanso_benches::{Corpus, RECEIVED_AT_MICROS};
use sanso_ingest::batch::Batches;
use sanso_ingest::event::{AuthEvent, Event, HttpEvent, NetworkEvent};
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::{filterlog, fortigate, iptables, squid, sshd, windows};
use sanso_ingest::schema::Table;
use sanso_ingest::syslog::{self, TimeContext};
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use vrl::compiler::runtime::Runtime;
use vrl::compiler::{Program, TargetValue, TimeZone};
use vrl::value::{ObjectMap, Secrets, Value};

/// Lines per corpus: enough variety that branch predictors and dictionaries cannot
/// learn the input, small enough that the corpus stays in cache like a socket read.
pub const LINES: usize = 4096;

/// Rows after which the builders are drained into record batches, as in `sanso run`.
pub const BATCH_ROWS: usize = 8192;

/// The timezone of RFC 3164 timestamps for both contenders: sanso's default.
const TZ_NAME: &str = "Asia/Tokyo";

// ---------------------------------------------------------------------------------
// The VRL programs. Each extracts what sanso's parser extracts for the columns that
// matter (addresses, ports, protocol, user, outcome, ...) using the functions a Vector
// user would reach for. Where sanso does more (iptables verdict words, squid's
// block rules), the VRL program does less, so the ratios flatter VRL, not sanso.
// ---------------------------------------------------------------------------------

/// iptables: `parse_syslog!` then `parse_key_value!` over the netfilter message.
const VRL_IPTABLES: &str = r#"
p = parse_syslog!(.message)
kv = parse_key_value!(p.message, key_value_delimiter: "=", field_delimiter: " ")
. = {
    "time": p.timestamp,
    "device": p.hostname,
    "src_intf": kv.IN,
    "dst_intf": kv.OUT,
    "src_ip": kv.SRC,
    "dst_ip": kv.DST,
    "src_port": to_int(kv.SPT) ?? null,
    "dst_port": to_int(kv.DPT) ?? null,
    "protocol": downcase(kv.PROTO) ?? null,
    "bytes_out": to_int(kv.LEN) ?? null,
}
"#;

/// Squid native access.log: one `parse_regex!` for the ten fields, `parse_url` for the
/// URL's host and path (a `CONNECT` target is `host:port`, split instead).
const VRL_SQUID: &str = r#"
r = parse_regex!(.message, r'^(?P<ts>\d+\.\d+)\s+(?P<elapsed>\d+)\s+(?P<client>\S+)\s+(?P<code>[A-Z_]+)/(?P<status>\d+)\s+(?P<bytes>\d+)\s+(?P<method>\S+)\s+(?P<url>\S+)\s+(?P<user>\S+)\s+(?P<hier>[A-Z_]+)/(?P<peer>\S+)\s+(?P<ctype>\S+)')
. = {
    "time": from_unix_timestamp!(to_int!(to_float!(r.ts) * 1000), unit: "milliseconds"),
    "duration_ms": to_int!(r.elapsed),
    "src_ip": r.client,
    "cache_result": r.code,
    "status": to_int!(r.status),
    "bytes_in": to_int!(r.bytes),
    "method": r.method,
    "url": r.url,
}
if r.user != "-" { .user = r.user }
if r.peer != "-" { .dst_ip = r.peer }
if r.ctype != "-" { .content_type = r.ctype }
.action = if contains(string!(r.code), "DENIED") { "block" } else { "allow" }
if r.method == "CONNECT" {
    .url_host = split(string!(r.url), ":", limit: 2)[0]
} else {
    u = parse_url(r.url) ?? {}
    .url_host = u.host
    .url_path = u.path
}
"#;

/// sshd: `parse_syslog!`, then `parse_regex` for each message shape in turn.
const VRL_SSHD: &str = r#"
p = parse_syslog!(.message)
m = string!(p.message)
. = { "time": p.timestamp, "device": p.hostname, "protocol": "ssh" }
r, err = parse_regex(m, r'^(?P<verdict>Accepted|Failed) (?P<method>[^\s/]+)(?:/\S+)? for (?P<invalid>invalid user )?(?P<user>\S+) from (?P<src_ip>\S+) port (?P<src_port>\d+)')
if err == null {
    .activity = "logon"
    .user = r.user
    .src_ip = r.src_ip
    .logon_type = r.method
    if r.verdict == "Accepted" {
        .outcome = "success"
    } else {
        .outcome = "failure"
        .reason = if r.invalid != null { "invalid user" } else { "bad password" }
    }
} else {
    r, err = parse_regex(m, r'^Invalid user (?P<user>\S*) from (?P<src_ip>\S+) port (?P<src_port>\d+)')
    if err == null {
        .activity = "logon"
        .outcome = "failure"
        .reason = "invalid user"
        .user = r.user
        .src_ip = r.src_ip
    } else {
        r, err = parse_regex(m, r'^pam_unix\(sshd:session\): session (?P<what>opened|closed) for user (?P<user>[^\s(]+)')
        if err == null {
            .activity = if r.what == "opened" { "logon" } else { "logoff" }
            .outcome = "success"
            .user = r.user
        } else {
            r = parse_regex!(m, r'^Disconnected from (?:user )?(?P<user>\S+) (?P<src_ip>\S+) port (?P<src_port>\d+)')
            .activity = "logoff"
            .outcome = "success"
            .user = r.user
            .src_ip = r.src_ip
        }
    }
}
"#;

/// pfSense/OPNsense filterlog: `parse_syslog!` then `parse_csv!`, the columns indexed
/// by their place, which depends on the IP version (and, for ports, the protocol).
const VRL_FILTERLOG: &str = r#"
p = parse_syslog!(.message)
c = parse_csv!(p.message)
. = {
    "time": p.timestamp,
    "device": p.hostname,
    "rule": c[3],
    "action": c[6],
    "direction": c[7],
}
if c[7] == "in" { .src_intf = c[4] } else { .dst_intf = c[4] }
if c[8] == "4" {
    .protocol = c[16]
    .bytes_out = to_int(c[17]) ?? null
    .src_ip = c[18]
    .dst_ip = c[19]
    if .protocol == "tcp" || .protocol == "udp" {
        .src_port = to_int(c[20]) ?? null
        .dst_port = to_int(c[21]) ?? null
    }
} else {
    .protocol = c[12]
    .bytes_out = (to_int(c[14]) ?? 0) + 40
    .src_ip = c[15]
    .dst_ip = c[16]
    if .protocol == "tcp" || .protocol == "udp" {
        .src_port = to_int(c[17]) ?? null
        .dst_port = to_int(c[18]) ?? null
    }
}
"#;

/// FortiGate traffic: the header (RFC 3164 or only the priority) cut off at `date=`,
/// then `parse_key_value!`, `to_int` on ports and counters, the time from
/// `date`/`time`/`tz`, and the protocol number named.
const VRL_FORTIGATE: &str = r#"
m = string!(.message)
kv = parse_key_value!(slice!(m, find(m, "date=")), key_value_delimiter: "=", field_delimiter: " ")
proto = to_int(kv.proto) ?? null
protocol = if proto == 6 { "tcp" } else if proto == 17 { "udp" } else if proto == 1 { "icmp" } else { kv.proto }
. = {
    "time": parse_timestamp(string!(kv.date) + " " + string!(kv.time) + " " + string!(kv.tz), "%Y-%m-%d %H:%M:%S %z") ?? null,
    "device": kv.devname,
    "src_intf": kv.srcintf,
    "dst_intf": kv.dstintf,
    "src_ip": kv.srcip,
    "dst_ip": kv.dstip,
    "src_port": to_int(kv.srcport) ?? null,
    "dst_port": to_int(kv.dstport) ?? null,
    "protocol": protocol,
    "action": kv.action,
    "rule": kv.policyid,
    "app": kv.app,
    "bytes_out": to_int(kv.sentbyte) ?? null,
    "bytes_in": to_int(kv.rcvdbyte) ?? null,
    "duration_ms": (to_int(kv.duration) ?? 0) * 1000,
    "nat_src_ip": kv.transip,
    "nat_src_port": to_int(kv.transport) ?? null,
}
"#;

/// Windows 4624/4625 from winlogbeat: `parse_json!`, then the `winlog.event_data`
/// fields picked (the `::ffff:` prefix of mapped IPv4 addresses removed).
const VRL_WINDOWS: &str = r#"
e = parse_json!(.message)
ed = e.winlog.event_data
id = to_int(e.winlog.event_id) ?? null
outcome = if id == 4624 { "success" } else { "failure" }
. = {
    "time": parse_timestamp(e."@timestamp", "%+") ?? null,
    "device": e.winlog.computer_name,
    "event_code": id,
    "activity": "logon",
    "outcome": outcome,
    "user": ed.TargetUserName,
    "user_domain": ed.TargetDomainName,
    "logon_type": ed.LogonType,
    "src_host": ed.WorkstationName,
}
ip = string(ed.IpAddress) ?? "-"
if ip != "-" { .src_ip = replace(ip, "::ffff:", "") }
if id == 4625 { .reason = ed.SubStatus }
"#;

// ---------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------

/// Fields a parser extracted from a line, named as the VRL program names them, as text.
type KeyFields = Vec<(&'static str, Option<String>)>;

/// One format to compare on.
pub struct Case {
    /// Group name: `iptables`, `squid`, `sshd`, `filterlog`, `fortigate` or `windows`.
    pub name: &'static str,
    /// sanso's parser for it.
    pub format: Format,
    /// The table every line must land in.
    pub table: Table,
    /// The lines.
    pub corpus: Corpus,
    /// The equivalent VRL program.
    pub vrl: &'static str,
    /// sanso's parse-only step over a corpus; returns how many lines it accepted.
    parse_only: fn(&Corpus) -> usize,
    /// The fields sanso extracts from a line, named as the VRL program names them.
    key_fields: fn(&str) -> KeyFields,
}

impl Case {
    /// Netfilter LOG lines in RFC 3164 syslog.
    pub fn iptables() -> Case {
        Case {
            name: "iptables",
            format: Format::Iptables,
            table: Table::Network,
            corpus: Corpus::new(sanso_benches::iptables_lines(LINES)),
            vrl: VRL_IPTABLES,
            parse_only: |corpus| {
                let ctx = context();
                corpus
                    .lines
                    .iter()
                    .filter(|l| black_box(parse_iptables(l, &ctx)).is_some())
                    .count()
            },
            key_fields: |line| {
                let Some(e) = parse_iptables(line, &context()) else {
                    return Vec::new();
                };
                vec![
                    ("src_ip", e.src_ip.map(str::to_owned)),
                    ("src_port", e.src_port.map(|p| p.to_string())),
                    ("dst_ip", e.dst_ip.map(str::to_owned)),
                    ("dst_port", e.dst_port.map(|p| p.to_string())),
                    ("protocol", e.protocol.map(str::to_owned)),
                    ("bytes_out", e.bytes_out.map(|b| b.to_string())),
                ]
            },
        }
    }

    /// Squid native access.log lines, as read from the file.
    pub fn squid() -> Case {
        Case {
            name: "squid",
            format: Format::Squid,
            table: Table::Http,
            corpus: Corpus::new(sanso_benches::squid_lines(LINES)),
            vrl: VRL_SQUID,
            parse_only: |corpus| {
                corpus
                    .lines
                    .iter()
                    .filter(|l| black_box(parse_squid(l)).is_some())
                    .count()
            },
            key_fields: |line| {
                let Some(e) = parse_squid(line) else {
                    return Vec::new();
                };
                vec![
                    ("src_ip", e.src_ip.map(str::to_owned)),
                    ("status", e.status.map(|s| s.to_string())),
                    ("bytes_in", e.bytes_in.map(|b| b.to_string())),
                    ("method", e.method.map(str::to_owned)),
                    ("url_host", e.url_host.map(str::to_owned)),
                    ("url_path", e.url_path.map(str::to_owned)),
                    ("dst_ip", e.dst_ip.map(str::to_owned)),
                ]
            },
        }
    }

    /// OpenSSH and PAM lines in RFC 3164 syslog.
    pub fn sshd() -> Case {
        Case {
            name: "sshd",
            format: Format::Sshd,
            table: Table::Auth,
            corpus: Corpus::new(sanso_benches::sshd_lines(LINES)),
            vrl: VRL_SSHD,
            parse_only: |corpus| {
                let ctx = context();
                corpus
                    .lines
                    .iter()
                    .filter(|l| black_box(parse_sshd(l, &ctx)).is_some())
                    .count()
            },
            key_fields: |line| {
                let Some(e) = parse_sshd(line, &context()) else {
                    return Vec::new();
                };
                vec![
                    ("user", e.user.map(str::to_owned)),
                    ("src_ip", e.src_ip.map(str::to_owned)),
                    ("outcome", e.outcome.map(str::to_owned)),
                    ("reason", e.reason.map(str::to_owned)),
                    ("logon_type", e.logon_type.map(str::to_owned)),
                ]
            },
        }
    }

    /// pfSense/OPNsense filterlog CSV in RFC 3164 syslog.
    pub fn filterlog() -> Case {
        Case {
            name: "filterlog",
            format: Format::Filterlog,
            table: Table::Network,
            corpus: Corpus::new(sanso_benches::filterlog_lines(LINES)),
            vrl: VRL_FILTERLOG,
            parse_only: |corpus| {
                let ctx = context();
                corpus
                    .lines
                    .iter()
                    .filter(|l| black_box(parse_filterlog(l, &ctx)).is_some())
                    .count()
            },
            key_fields: |line| {
                let Some(e) = parse_filterlog(line, &context()) else {
                    return Vec::new();
                };
                network_key_fields(&e)
            },
        }
    }

    /// FortiGate traffic logs, with and without an RFC 3164 header.
    pub fn fortigate() -> Case {
        Case {
            name: "fortigate",
            format: Format::Fortigate,
            table: Table::Network,
            corpus: Corpus::new(sanso_benches::fortigate_lines(LINES)),
            vrl: VRL_FORTIGATE,
            parse_only: |corpus| {
                let ctx = context();
                corpus
                    .lines
                    .iter()
                    .filter(|l| black_box(parse_fortigate(l, &ctx)).is_some())
                    .count()
            },
            key_fields: |line| {
                let Some(e) = parse_fortigate(line, &context()) else {
                    return Vec::new();
                };
                let mut fields = network_key_fields(&e);
                fields.push(("bytes_in", e.bytes_in.map(|b| b.to_string())));
                fields
            },
        }
    }

    /// Windows Security 4624/4625 events as winlogbeat JSON.
    pub fn windows() -> Case {
        Case {
            name: "windows",
            format: Format::Windows,
            table: Table::Auth,
            corpus: Corpus::new(sanso_benches::windows_lines(LINES)),
            vrl: VRL_WINDOWS,
            parse_only: |corpus| {
                let mut arena = Bump::new();
                let mut accepted = 0;
                for line in &corpus.lines {
                    arena.reset();
                    if black_box(windows::parse(line, &arena)).is_ok() {
                        accepted += 1;
                    }
                }
                accepted
            },
            key_fields: |line| {
                let arena = Bump::new();
                let Ok(e) = windows::parse(line, &arena) else {
                    return Vec::new();
                };
                vec![
                    ("user", e.user.map(str::to_owned)),
                    ("user_domain", e.user_domain.map(str::to_owned)),
                    ("src_ip", e.src_ip.map(str::to_owned)),
                    ("outcome", e.outcome.map(str::to_owned)),
                    ("event_code", e.event_code.map(|c| c.to_string())),
                ]
            },
        }
    }

    /// Every case, in report order.
    pub fn all() -> Vec<Case> {
        vec![
            Case::iptables(),
            Case::squid(),
            Case::sshd(),
            Case::filterlog(),
            Case::fortigate(),
            Case::windows(),
        ]
    }

    /// The case called `name`.
    pub fn named(name: &str) -> Option<Case> {
        match name {
            "iptables" => Some(Case::iptables()),
            "squid" => Some(Case::squid()),
            "sshd" => Some(Case::sshd()),
            "filterlog" => Some(Case::filterlog()),
            "fortigate" => Some(Case::fortigate()),
            "windows" => Some(Case::windows()),
            _ => None,
        }
    }

    /// Panics unless every contender accepts every line of the corpus and sanso and
    /// VRL agree on the key fields of the first line: a fast parser that extracts
    /// nothing proves nothing.
    pub fn check(&self) {
        let zones = zones();
        SansoFull::check(None, &zones, &self.corpus, self.table);
        SansoFull::check(Some(self.format), &zones, &self.corpus, self.table);
        let accepted = (self.parse_only)(&self.corpus);
        assert_eq!(
            accepted,
            self.corpus.len(),
            "{}: sanso/parse-only rejected lines",
            self.name
        );
        let first = Vrl::compile(self.vrl).check(&self.corpus);
        let fields = (self.key_fields)(&self.corpus.lines[0]);
        assert!(
            !fields.is_empty(),
            "{}: sanso rejected the first line",
            self.name
        );
        for (name, sanso) in &fields {
            assert!(
                sanso.is_some(),
                "{}: sanso extracted no {name} from the first line",
                self.name
            );
            assert_eq!(
                &vrl_field(&first, name),
                sanso,
                "{}: sanso and VRL disagree on {name}: {first}",
                self.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Contenders.
// ---------------------------------------------------------------------------------

/// Who parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// `LineParser` with format detection into `Batches`, Arrow arrays built.
    SansoFull,
    /// The same with the format configured.
    SansoFullForced,
    /// Syslog header and format parser only.
    SansoParseOnly,
    /// The VRL program.
    Vrl,
}

impl Contender {
    /// Every contender, in report order.
    pub const ALL: [Contender; 4] = [
        Contender::SansoFull,
        Contender::SansoFullForced,
        Contender::SansoParseOnly,
        Contender::Vrl,
    ];

    /// The benchmark id.
    pub fn name(self) -> &'static str {
        match self {
            Contender::SansoFull => "sanso/full",
            Contender::SansoFullForced => "sanso/full-forced",
            Contender::SansoParseOnly => "sanso/parse-only",
            Contender::Vrl => "vrl",
        }
    }

    /// The contender called `name`.
    pub fn named(name: &str) -> Option<Contender> {
        Contender::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A contender set up for one case, parsing its corpus on every [`Runner::run`].
pub enum Runner {
    /// sanso into Arrow (detecting or forced).
    Full(Box<SansoFull>),
    /// sanso's parse-only step.
    ParseOnly(fn(&Corpus) -> usize),
    /// A compiled VRL program.
    Vrl(Box<Vrl>),
}

impl Runner {
    /// Sets `contender` up for `case`.
    pub fn new(case: &Case, contender: Contender) -> Runner {
        match contender {
            Contender::SansoFull => Runner::Full(Box::new(SansoFull::new(None, &zones()))),
            Contender::SansoFullForced => {
                Runner::Full(Box::new(SansoFull::new(Some(case.format), &zones())))
            }
            Contender::SansoParseOnly => Runner::ParseOnly(case.parse_only),
            Contender::Vrl => Runner::Vrl(Box::new(Vrl::compile(case.vrl))),
        }
    }

    /// Parses every line of `corpus` once; returns a count that depends on the work
    /// (rows built, lines accepted) so that the optimiser cannot drop it.
    pub fn run(&mut self, corpus: &Corpus) -> usize {
        match self {
            Runner::Full(full) => full.run(corpus),
            Runner::ParseOnly(parse) => parse(corpus),
            Runner::Vrl(vrl) => vrl.run_all(corpus),
        }
    }
}

/// The three-zone map of the embedded example configuration.
fn zones() -> Arc<ZoneMap> {
    let zone = |cidr: &str, devices: &[&str]| ZoneConfig {
        cidrs: vec![cidr.to_owned()],
        devices: devices.iter().map(|d| (*d).to_owned()).collect(),
        ..Default::default()
    };
    let core = zone("10.10.0.0/16", &["fw-core", "srv-core01", "term-core"]);
    let lgwan = zone("10.20.0.0/16", &["fw-lgwan", "srv-lgwan01", "proxy-lgwan"]);
    let internet = zone("10.30.0.0/16", &["fw-inet", "srv-inet01", "proxy-inet"]);
    let map = ZoneMap::new([
        (Zone::Core, &core),
        (Zone::Lgwan, &lgwan),
        (Zone::Internet, &internet),
    ])
    .expect("the example zones are valid");
    Arc::new(map)
}

/// `LineParser` into `Batches`, draining every [`BATCH_ROWS`] rows.
pub struct SansoFull {
    parser: LineParser,
    batches: Batches,
    pending: usize,
    rows_built: usize,
}

impl SansoFull {
    fn new(format: Option<Format>, zones: &Arc<ZoneMap>) -> Self {
        let settings = ParseSettings {
            format,
            ..Default::default()
        };
        SansoFull {
            parser: LineParser::new(settings, zones.clone()),
            batches: Batches::new(zones.clone()),
            pending: 0,
            rows_built: 0,
        }
    }

    fn run(&mut self, corpus: &Corpus) -> usize {
        for line in &corpus.lines {
            let raw = RawLine {
                bytes: line.as_bytes(),
                received_at: RECEIVED_AT_MICROS,
                source: "syslog:tcp:5514",
                peer: Some("127.0.0.1"),
            };
            self.parser.parse_into(&raw, &mut self.batches);
            self.pending += 1;
            if self.pending == BATCH_ROWS {
                self.drain();
            }
        }
        self.rows_built
    }

    fn drain(&mut self) {
        for (_, batch) in black_box(self.batches.finish()) {
            self.rows_built += batch.num_rows();
        }
        self.pending = 0;
    }

    /// Parses the corpus once and checks that every line went to `table`.
    fn check(format: Option<Format>, zones: &Arc<ZoneMap>, corpus: &Corpus, table: Table) {
        let mut full = SansoFull::new(format, zones);
        full.run(corpus);
        let got: Vec<(Table, usize)> = full
            .batches
            .finish()
            .iter()
            .map(|(t, b)| (*t, b.num_rows()))
            .collect();
        if got == [(table, corpus.len())] {
            return;
        }
        // Find the first stray line and show its row.
        for line in &corpus.lines {
            let mut one = SansoFull::new(format, zones);
            one.run(&Corpus::new(vec![line.clone()]));
            let batches = one.batches.finish();
            if batches[0].0 != table {
                panic!(
                    "sanso/full ({format:?}): {got:?} of {} lines; first stray line:\n{line}\n{batches:#?}",
                    corpus.len()
                );
            }
        }
        panic!("sanso/full ({format:?}): {got:?} of {} lines", corpus.len());
    }
}

/// A compiled VRL program and the runtime that runs it, as in Vector's `remap`.
pub struct Vrl {
    program: Program,
    runtime: Runtime,
    timezone: TimeZone,
}

impl Vrl {
    fn compile(source: &str) -> Self {
        let functions = vrl::stdlib::all();
        let compiled = vrl::compiler::compile(source, &functions).unwrap_or_else(|diagnostics| {
            let report = vrl::diagnostic::Formatter::new(source, diagnostics);
            panic!("VRL program does not compile:\n{report}")
        });
        Vrl {
            program: compiled.program,
            runtime: Runtime::default(),
            timezone: TimeZone::parse(TZ_NAME).expect("a tz database name"),
        }
    }

    /// Runs the program over a fresh event holding `line`; returns the event after it.
    fn run(&mut self, line: &str) -> Result<Value, String> {
        let mut event = ObjectMap::new();
        event.insert("message".into(), Value::from(line));
        let mut target = TargetValue {
            value: Value::Object(event),
            metadata: Value::Object(ObjectMap::new()),
            secrets: Secrets::default(),
        };
        let result = self
            .runtime
            .resolve(&mut target, &self.program, &self.timezone);
        self.runtime.clear();
        result.map(|_| target.value).map_err(|err| err.to_string())
    }

    /// Runs the whole corpus; returns how many lines the program accepted.
    fn run_all(&mut self, corpus: &Corpus) -> usize {
        let mut accepted = 0;
        for line in &corpus.lines {
            if let Ok(value) = self.run(line) {
                black_box(value);
                accepted += 1;
            }
        }
        accepted
    }

    /// Runs the program over every line, failing on the first rejected one; returns the
    /// event of the first line.
    fn check(&mut self, corpus: &Corpus) -> Value {
        for line in &corpus.lines {
            if let Err(err) = self.run(line) {
                panic!("VRL rejected a line: {err}\n{line}");
            }
        }
        self.run(&corpus.lines[0]).expect("checked above")
    }
}

/// A field of VRL's output as text, for comparison with sanso's.
fn vrl_field(value: &Value, name: &str) -> Option<String> {
    let v = value.as_object()?.get(name)?;
    match v {
        Value::Integer(i) => Some(i.to_string()),
        Value::Null => None,
        // Text (`Bytes` or `String`) as it is, anything else as VRL prints it.
        other => Some(
            other
                .to_str_lossy()
                .map_or_else(|| other.to_string(), |s| s.into_owned()),
        ),
    }
}

fn context() -> TimeContext {
    let tz = ParseSettings::default().timezone;
    assert_eq!(
        tz.name(),
        TZ_NAME,
        "sanso's default timezone changed; update TZ_NAME"
    );
    TimeContext::new(tz, RECEIVED_AT_MICROS)
}

fn parse_iptables<'a>(line: &'a str, ctx: &TimeContext) -> Option<NetworkEvent<'a>> {
    let message = syslog::parse(line, ctx).ok()?;
    iptables::parse(message.msg).ok()
}

fn parse_squid(line: &str) -> Option<HttpEvent<'_>> {
    squid::parse(line).ok()
}

fn parse_sshd<'a>(line: &'a str, ctx: &TimeContext) -> Option<AuthEvent<'a>> {
    let message = syslog::parse(line, ctx).ok()?;
    sshd::parse(message.app_name, message.msg).ok()
}

fn parse_filterlog<'a>(line: &'a str, ctx: &TimeContext) -> Option<NetworkEvent<'a>> {
    let message = syslog::parse(line, ctx).ok()?;
    filterlog::parse(message.msg).ok()
}

fn parse_fortigate<'a>(line: &'a str, ctx: &TimeContext) -> Option<NetworkEvent<'a>> {
    let message = syslog::parse(line, ctx).ok()?;
    match fortigate::parse(message.msg).ok()? {
        Event::Network(e) => Some(e),
        _ => None,
    }
}

/// The key fields of a firewall event, named as the VRL programs name them.
fn network_key_fields(e: &NetworkEvent<'_>) -> KeyFields {
    vec![
        ("src_ip", e.src_ip.map(str::to_owned)),
        ("src_port", e.src_port.map(|p| p.to_string())),
        ("dst_ip", e.dst_ip.map(str::to_owned)),
        ("dst_port", e.dst_port.map(|p| p.to_string())),
        ("protocol", e.protocol.map(str::to_owned)),
        ("bytes_out", e.bytes_out.map(|b| b.to_string())),
    ]
}
