//! The Japanese municipal appliances' parsers (i-FILTER access and block logs, InterSafe
//! WebFilter, m-FILTER) beside the Squid parser, in the same run, so their cost is read
//! as a ratio to a parser whose speed is known (`benches/RESULTS.md`).
//!
//! One criterion group, `appliances`, with one benchmark per format. An iteration runs
//! the whole path a line takes in `sanso import`: [`LineParser`] with automatic format
//! detection, the append to the Arrow builders, and the batches drained every
//! [`FLUSH_ROWS`] lines, over [`LINES`] generated lines. Throughput is in lines per
//! second on one core: the benchmark is single-threaded.
//!
//! The lines vary addresses, users (ASCII and URL-encoded Japanese), URLs, verdicts and
//! dispositions with a fixed seed, so every run parses the same mix. Before timing,
//! every corpus is parsed once and the run stops unless every line landed in the table
//! its format fills.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use sanso_ingest::batch::Batches;
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;

/// Lines per corpus.
const LINES: usize = 10_000;

/// Rows between drains of the builders, as the ingestor's default flush does.
const FLUSH_ROWS: usize = 8192;

/// SplitMix64 with a fixed seed: the same lines in every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn client(&mut self) -> String {
        format!("10.30.{}.{}", self.below(40), 1 + self.below(253))
    }
}

/// ASCII accounts and URL-encoded Japanese ones (山田, 佐藤, 鈴木), as i-FILTER logs them.
const USERS: [&str; 6] = [
    "tanaka",
    "sato.k",
    "-",
    "%E5%B1%B1%E7%94%B0",
    "%E4%BD%90%E8%97%A4",
    "%E9%88%B4%E6%9C%A8",
];

const HOSTS: [&str; 6] = [
    "www.example.jp",
    "www.pref.shizuoka.jp",
    "www.digital.go.jp",
    "login.microsoftonline.com",
    "news.yahoo.co.jp",
    "malware-c2.example.net",
];

fn ifilter_lines(n: usize) -> Vec<String> {
    let mut rng = Rng(1);
    (0..n)
        .map(|i| {
            let (min, sec) = (i / 60 % 60, i % 60);
            let host = rng.pick(&HOSTS);
            let action = rng.pick(&["allow", "allow", "allow", "block"]);
            let client = rng.client();
            let user = rng.pick(&USERS);
            let request = if rng.below(2) == 0 {
                format!("CONNECT {host}:443 HTTP/1.1")
            } else {
                format!("GET http://{host}/index.html?q={i} HTTP/1.1")
            };
            format!(
                "Nov 26 09:{min:02}:{sec:02} 4872 1000/01/ - 203.0.113.7:443 {client} {client} - {user} \
                 [26/Nov/2026:09:{min:02}:{sec:02} +0900] 200 {} {} {action} {} {} 12/87 -1 0 {} 0 \
                 %E7%B7%8F%E5%8B%99 - 0 - \"{request}\" - Mozilla%2F5.0+%28Windows+NT+10.0%29 \
                 text%2Fhtml%3B+charset%3Dutf-8 A667FEFF",
                rng.below(2000),
                rng.below(200_000),
                rng.below(100),
                rng.below(150),
                rng.below(5000),
            )
        })
        .collect()
}

fn ifilter_block_lines(n: usize) -> Vec<String> {
    let mut rng = Rng(2);
    (0..n)
        .map(|i| {
            let (min, sec) = (i / 60 % 60, i % 60);
            format!(
                "4582 {} {} %E7%B7%8F%E5%8B%99 7 26/Nov/2026:09:{min:02}:{sec:02} +0900 \
                 http://{}/path/{i} block {} {} 99 28 0 -1 0 -",
                rng.client(),
                rng.pick(&USERS),
                rng.pick(&HOSTS),
                rng.below(100),
                rng.below(150),
            )
        })
        .collect()
}

fn intersafe_lines(n: usize) -> Vec<String> {
    let mut rng = Rng(3);
    (0..n)
        .map(|i| {
            let (min, sec) = (i / 60 % 60, i % 60);
            let host = rng.pick(&HOSTS);
            let state = rng.pick(&["Proxied", "Proxied", "Allowed", "Blocked"]);
            format!(
                "2026/11/26\t09:{min:02}:{sec:02}\tHTTPS\t{}\t総務部\\情報政策課\t{}\t-\t{state}\t-\t200\t\
                 {host}\t{}\t{}\t{}\ttext/html\t-\tデータベースマッチ\tITサービス\\IT\t-\t-\t-\t\
                 https://{host}/\tHTTP/1.1\tGET\t-",
                rng.client(),
                rng.pick(&["yamada", "sato", "鈴木"]),
                rng.below(3000),
                rng.below(2000),
                rng.below(200_000),
            )
        })
        .collect()
}

fn mfilter_lines(n: usize) -> Vec<String> {
    let mut rng = Rng(4);
    (0..n)
        .map(|i| {
            let (min, sec) = (i / 60 % 60, i % 60);
            let mut line = String::new();
            if rng.below(4) == 0 {
                let _ = write!(
                    line,
                    "2026/11/26 09:{min:02}:{sec:02},26/Nov/2026:09:{min:02}:{sec:02},{i},{i}_kVgK,{},{},0,1_0,\
                     受信ルールセット,{},%22-1%2C%2C%22,1_0,sender{i}@example.com,\
                     \"1_0,tanaka@city.example.lg.jp\",0,",
                    rng.below(500_000),
                    rng.pick(&["0", "0", "2", "9"]),
                    rng.pick(&["添付ファイル削除", "テキスト化", "迷惑メール"]),
                );
                return line;
            }
            let _ = write!(
                line,
                "26/Nov/2026:09:{min:02}:{sec:02},{i},2026/11/26 9:{min:02}:{sec:02},情報政策課,198.51.100.{},\
                 sender{i}@example.com,tanaka@city.example.lg.jp,0,0,2,{},0,0,\
                 \"Thu, 26 Nov 2026 09:{min:02}:{sec:02} +0900\",10.20.0.25,25,250 OK,DATA+,{},<m{i}@example.com>,\
                 0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"docx\",0,-,-,-,0,NONE,0,0,{},,0,,,-1,-1,5,,\
                 0x0001,0x0001,0x0001,見積書{i}.docx",
                1 + rng.below(253),
                rng.pick(&["0", "0", "0", "2", "1"]),
                rng.below(500_000),
                rng.pick(&["OFF", "CHG_TEXT", "DEL_ATTACH", "CHG_TEXT REP_LINK"]),
            );
            line
        })
        .collect()
}

/// Squid native access.log lines, from the generator the Squid-vs-VRL bench uses.
fn squid_lines(n: usize) -> Vec<String> {
    sanso_benches::squid_lines(n)
}

/// Parses `lines` as `sanso import` does and returns the rows per table.
fn ingest(parser: &mut LineParser, batches: &mut Batches, lines: &[String]) -> Vec<(Table, u64)> {
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let raw = RawLine {
            bytes: line.as_bytes(),
            received_at: sanso_benches::RECEIVED_AT_MICROS,
            source: "bench",
            peer: None,
        };
        parser.parse_into(&raw, batches);
        if (i + 1) % FLUSH_ROWS == 0 || i + 1 == lines.len() {
            for (table, batch) in batches.finish() {
                rows.push((table, batch.num_rows() as u64));
            }
        }
    }
    rows
}

fn appliances(c: &mut Criterion) {
    let zones = Arc::new(ZoneMap::default());
    let cases: [(&str, Vec<String>, Table); 5] = [
        ("squid", squid_lines(LINES), Table::Http),
        ("ifilter", ifilter_lines(LINES), Table::Http),
        ("ifilter_block", ifilter_block_lines(LINES), Table::Http),
        ("intersafe", intersafe_lines(LINES), Table::Http),
        ("mfilter", mfilter_lines(LINES), Table::Mail),
    ];
    let mut group = c.benchmark_group("appliances");
    group.throughput(Throughput::Elements(LINES as u64));
    for (name, lines, expected) in &cases {
        let mut parser = LineParser::new(ParseSettings::default(), zones.clone());
        let mut batches = Batches::new(zones.clone());
        let rows = ingest(&mut parser, &mut batches, lines);
        let landed: u64 = rows
            .iter()
            .filter(|(table, _)| table == expected)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            landed,
            lines.len() as u64,
            "{name}: every line must land in {expected}: {rows:?}; first line: {}",
            lines[0]
        );
        let bytes: usize = lines.iter().map(String::len).sum();
        eprintln!(
            "{name}: {} lines, {:.1} bytes/line",
            lines.len(),
            bytes as f64 / lines.len() as f64
        );
        group.bench_function(*name, |b| {
            b.iter(|| ingest(&mut parser, &mut batches, black_box(lines)))
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    appliances(&mut c);
    c.final_summary();
}
