//! sanso's parsers side by side with Vector's (the `vrl` crate), on the same lines in
//! the same run (DESIGN.md §9: parsing at least 10× `vrl`, at least 1 M lines per
//! second per core on firewall formats).
//!
//! One criterion group per format, each iteration parsing the whole corpus of
//! [`LINES`] generated lines (`sanso_benches`), reported as elements (lines) per second:
//!
//! * `sanso/full`: what `sanso run` does per line with the default `format = "auto"`:
//!   [`LineParser::parse_into`] (decode, syslog envelope, format detection, parse,
//!   device-zone lookup) appending into [`Batches`], whose Arrow arrays are built with
//!   [`Batches::finish`] every [`BATCH_ROWS`] rows, as the ingest thread does. This is
//!   the number that matters.
//! * `sanso/full-forced`: the same with the format configured for the source, so no
//!   detection.
//! * `sanso/parse-only`: the syslog envelope and the format parser alone, into borrowed
//!   event structs; no zones, no Arrow.
//! * `vrl`: a compiled VRL program doing the same extraction with Vector's functions
//!   (`parse_syslog`, `parse_key_value`, `parse_regex`, `parse_url`, ...), run per line
//!   over a fresh event `{"message": line}`, as Vector's `remap` transform does.
//!
//! Before anything is timed, each contender parses the whole corpus once and the run
//! stops unless every line was accepted and sanso and VRL extracted the same key fields
//! from the first line: a fast parser that extracts nothing proves nothing.
//!
//! The size of each corpus is written to `<criterion dir>/<group>/corpus.json` so that
//! `benches/summarise.sh` can report MB/s next to lines/s.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sanso_benches::{Corpus, RECEIVED_AT_MICROS};
use sanso_ingest::batch::Batches;
use sanso_ingest::event::{AuthEvent, HttpEvent, NetworkEvent};
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::{iptables, squid, sshd};
use sanso_ingest::schema::Table;
use sanso_ingest::syslog::{self, TimeContext};
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use vrl::compiler::runtime::Runtime;
use vrl::compiler::{Program, TargetValue, TimeZone};
use vrl::value::{ObjectMap, Secrets, Value};

/// Lines per corpus: enough variety that branch predictors and dictionaries cannot
/// learn the input, small enough that the corpus stays in cache like a socket read.
const LINES: usize = 4096;

/// Rows after which the builders are drained into record batches, as in `sanso run`.
const BATCH_ROWS: usize = 8192;

/// The timezone of RFC 3164 timestamps for both contenders: sanso's default, Asia/Tokyo.
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
    "user": if r.user == "-" { null } else { r.user },
    "dst_ip": if r.peer == "-" { null } else { r.peer },
    "content_type": if r.ctype == "-" { null } else { r.ctype },
    "action": if contains(string!(r.code), "DENIED") { "block" } else { "allow" },
}
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

// ---------------------------------------------------------------------------------
// Contenders.
// ---------------------------------------------------------------------------------

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
    let map = ZoneMap::new([(Zone::Core, &core), (Zone::Lgwan, &lgwan), (Zone::Internet, &internet)])
        .expect("the example zones are valid");
    Arc::new(map)
}

/// `LineParser` into `Batches`, draining every [`BATCH_ROWS`] rows.
struct SansoFull {
    parser: LineParser,
    batches: Batches,
    pending: usize,
    rows_built: usize,
}

impl SansoFull {
    fn new(format: Option<Format>, zones: &Arc<ZoneMap>) -> Self {
        let settings = ParseSettings { format, ..Default::default() };
        SansoFull {
            parser: LineParser::new(settings, zones.clone()),
            batches: Batches::new(zones.clone()),
            pending: 0,
            rows_built: 0,
        }
    }

    fn run(&mut self, corpus: &Corpus) {
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
        let got: Vec<(Table, usize)> = full.batches.finish().iter().map(|(t, b)| (*t, b.num_rows())).collect();
        if got == [(table, corpus.len())] {
            return;
        }
        // Find the first stray line and show its row.
        for line in &corpus.lines {
            let mut one = SansoFull::new(format, zones);
            one.run(&Corpus::new(vec![line.clone()]));
            let batches = one.batches.finish();
            if batches[0].0 != table {
                panic!("sanso/full ({format:?}): {got:?} of {} lines; first stray line:\n{line}\n{batches:#?}", corpus.len());
            }
        }
        panic!("sanso/full ({format:?}): {got:?} of {} lines", corpus.len());
    }
}

/// A compiled VRL program and the runtime that runs it, as in Vector's `remap`.
struct Vrl {
    program: Program,
    runtime: Runtime,
    timezone: TimeZone,
}

impl Vrl {
    fn compile(source: &str) -> Self {
        let functions = vrl::stdlib::all();
        let compiled = vrl::compiler::compile(source, &functions)
            .unwrap_or_else(|diagnostics| panic!("VRL program does not compile: {diagnostics:#?}\n{source}"));
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
        let result = self.runtime.resolve(&mut target, &self.program, &self.timezone);
        self.runtime.clear();
        result.map(|_| target.value).map_err(|err| err.to_string())
    }

    /// Runs the whole corpus; returns how many lines the program rejected.
    fn run_all(&mut self, corpus: &Corpus) -> usize {
        let mut failed = 0;
        for line in &corpus.lines {
            match self.run(line) {
                Ok(value) => drop(black_box(value)),
                Err(_) => failed += 1,
            }
        }
        failed
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

fn field(value: &Value, name: &str) -> Option<String> {
    let v = value.as_object()?.get(name)?;
    match v {
        Value::Bytes(_) => v.as_str().map(|s| s.into_owned()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn context() -> TimeContext {
    let tz = ParseSettings::default().timezone;
    assert_eq!(tz.name(), TZ_NAME, "sanso's default timezone changed; update TZ_NAME");
    TimeContext { tz, received_at: RECEIVED_AT_MICROS }
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

// ---------------------------------------------------------------------------------
// Benchmarks.
// ---------------------------------------------------------------------------------

/// Where criterion writes its results, as criterion itself decides it.
fn criterion_dir() -> Option<PathBuf> {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion")))
}

/// Records the corpus size for `summarise.sh` and prints it.
fn describe(group: &str, corpus: &Corpus) {
    eprintln!(
        "{group}: {} lines, {} bytes, {:.1} bytes/line; first: {}",
        corpus.len(),
        corpus.bytes,
        corpus.mean_line_bytes(),
        corpus.lines[0]
    );
    if let Some(dir) = criterion_dir() {
        let dir = dir.join(group);
        let json = format!("{{\"lines\": {}, \"bytes\": {}}}\n", corpus.len(), corpus.bytes);
        if let Err(err) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("corpus.json"), json)) {
            eprintln!("cannot record the corpus size in {}: {err}", dir.display());
        }
    }
}

/// One format: the cross-check, then the four contenders in one group.
struct Case {
    group: &'static str,
    format: Format,
    table: Table,
    corpus: Corpus,
    vrl: &'static str,
    /// sanso's parse-only step over the whole corpus; returns how many lines it accepted.
    parse_only: fn(&Corpus) -> usize,
    /// Fields to compare on the first line: (VRL field, sanso's value).
    first_line: Vec<(&'static str, Option<String>)>,
}

fn bench_case(c: &mut Criterion, case: Case) {
    let zones = zones();
    describe(case.group, &case.corpus);

    // Cross-check outside the timed loop: everything accepted, same key fields.
    SansoFull::check(None, &zones, &case.corpus, case.table);
    SansoFull::check(Some(case.format), &zones, &case.corpus, case.table);
    let accepted = (case.parse_only)(&case.corpus);
    assert_eq!(accepted, case.corpus.len(), "{}: sanso/parse-only rejected lines", case.group);
    let mut vrl = Vrl::compile(case.vrl);
    let first = vrl.check(&case.corpus);
    for (name, sanso) in &case.first_line {
        assert!(sanso.is_some(), "{}: sanso extracted no {name} from the first line", case.group);
        assert_eq!(&field(&first, name), sanso, "{}: sanso and VRL disagree on {name}: {first}", case.group);
    }

    let mut group = c.benchmark_group(case.group);
    group.throughput(Throughput::Elements(case.corpus.len() as u64));
    let corpus = &case.corpus;

    let mut full = SansoFull::new(None, &zones);
    group.bench_function("sanso/full", |b| b.iter(|| full.run(black_box(corpus))));
    let mut forced = SansoFull::new(Some(case.format), &zones);
    group.bench_function("sanso/full-forced", |b| b.iter(|| forced.run(black_box(corpus))));
    group.bench_function("sanso/parse-only", |b| b.iter(|| (case.parse_only)(black_box(corpus))));
    group.bench_function("vrl", |b| b.iter(|| vrl.run_all(black_box(corpus))));
    group.finish();
    // Keeps the optimiser from discarding the Arrow work.
    black_box(full.rows_built + forced.rows_built);
}

fn iptables(c: &mut Criterion) {
    let corpus = Corpus::new(sanso_benches::iptables_lines(LINES));
    let first = parse_iptables(&corpus.lines[0], &context()).expect("first iptables line parses");
    let first_line = vec![
        ("src_ip", first.src_ip.map(str::to_owned)),
        ("src_port", first.src_port.map(|p| p.to_string())),
        ("dst_ip", first.dst_ip.map(str::to_owned)),
        ("dst_port", first.dst_port.map(|p| p.to_string())),
        ("protocol", first.protocol.map(str::to_owned)),
        ("bytes_out", first.bytes_out.map(|b| b.to_string())),
    ];
    let parse_only = |corpus: &Corpus| {
        let ctx = context();
        corpus.lines.iter().filter(|l| black_box(parse_iptables(l, &ctx)).is_some()).count()
    };
    let case = Case {
        group: "iptables",
        format: Format::Iptables,
        table: Table::Network,
        corpus,
        vrl: VRL_IPTABLES,
        parse_only,
        first_line,
    };
    bench_case(c, case);
}

fn squid(c: &mut Criterion) {
    let corpus = Corpus::new(sanso_benches::squid_lines(LINES));
    let first = parse_squid(&corpus.lines[0]).expect("first squid line parses");
    let first_line = vec![
        ("src_ip", first.src_ip.map(str::to_owned)),
        ("status", first.status.map(|s| s.to_string())),
        ("bytes_in", first.bytes_in.map(|b| b.to_string())),
        ("method", first.method.map(str::to_owned)),
        ("url_host", first.url_host.map(str::to_owned)),
        ("url_path", first.url_path.map(str::to_owned)),
        ("dst_ip", first.dst_ip.map(str::to_owned)),
    ];
    let parse_only =
        |corpus: &Corpus| corpus.lines.iter().filter(|l| black_box(parse_squid(l)).is_some()).count();
    let case = Case {
        group: "squid",
        format: Format::Squid,
        table: Table::Http,
        corpus,
        vrl: VRL_SQUID,
        parse_only,
        first_line,
    };
    bench_case(c, case);
}

fn sshd(c: &mut Criterion) {
    let corpus = Corpus::new(sanso_benches::sshd_lines(LINES));
    let first = parse_sshd(&corpus.lines[0], &context()).expect("first sshd line parses");
    let first_line = vec![
        ("user", first.user.map(str::to_owned)),
        ("src_ip", first.src_ip.map(str::to_owned)),
        ("outcome", first.outcome.map(str::to_owned)),
        ("reason", first.reason.map(str::to_owned)),
        ("logon_type", first.logon_type.map(str::to_owned)),
    ];
    let parse_only = |corpus: &Corpus| {
        let ctx = context();
        corpus.lines.iter().filter(|l| black_box(parse_sshd(l, &ctx)).is_some()).count()
    };
    let case = Case {
        group: "sshd",
        format: Format::Sshd,
        table: Table::Auth,
        corpus,
        vrl: VRL_SSHD,
        parse_only,
        first_line,
    };
    bench_case(c, case);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = parsers;
    config = config();
    targets = iptables, squid, sshd
}
criterion_main!(parsers);
