//! `sanso import` of binary EVTX beside the same records imported as JSON lines, on one
//! core, in the same run.
//!
//! The records are the three real Security logs of `ingest/testdata/evtx/` (78 records
//! in three chunks: 4625, 4776, 4768, 4771 and a few unmapped IDs); their JSON lines
//! are what the EVTX reader renders, byte for byte the `evtx_dump` conversions that the
//! ingest tests compare them with. Every benchmark handles all 78 records per iteration,
//! so criterion's elements per second are records per second:
//!
//! * `sanso/evtx-import`: read the chunks, decode them to JSON, and parse every record
//!   with the Windows parser into Arrow batches: all the per-core work of `sanso import
//!   FILE.evtx` but the Parquet write;
//! * `sanso/jsonl-import`: the same records as JSON lines through the same parser into
//!   batches, which is `sanso import FILE.jsonl` without the write;
//! * `sanso/evtx-decode`: reading and decoding alone ([`ChunkReader`] and
//!   [`RawChunk::decode`](sanso_ingest::evtx::RawChunk::decode)), the part that
//!   `sanso import` spreads over the cores;
//! * `evtx-crate/json` and `evtx-crate/xml`: the `evtx` crate's own record iterators on
//!   one thread, rendering JSON and XML: how sanso's chunk-at-a-time decoding compares
//!   with the crate's file-at-a-time pipeline, and what XML rendering would cost.
//!
//! Wall time: run it on an otherwise idle machine, and quote ratios within one run.

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evtx::{EvtxParser, ParserSettings};
use sanso_ingest::batch::Batches;
use sanso_ingest::evtx::ChunkReader;
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::zones::ZoneMap;

const FILES: [&str; 3] = [
    "ID 4776,4625-AccountRestore local bruteforce.evtx",
    "ID4625-OpenSSH brutforce with non existing users.evtx",
    "ID4768-4771-Kerberos user enumeration (Kerbrute).evtx",
];

fn files() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ingest/testdata/evtx");
    FILES
        .iter()
        .map(|name| std::fs::read(dir.join(name)).expect("the EVTX test data"))
        .collect()
}

/// Every chunk of every file through `each`, with its records' JSON.
fn decode(files: &[Vec<u8>], mut each: impl FnMut(&[u8])) {
    for file in files {
        let mut reader = ChunkReader::new(Cursor::new(file)).expect("an EVTX file");
        while let Some(chunk) = reader.next_chunk().expect("reading from memory") {
            let chunk = chunk.decode();
            assert!(chunk.problems().is_empty());
            for record in chunk.records() {
                each(record.json);
            }
        }
    }
}

/// The Windows parser into Arrow batches, as `sanso import` sets it up for EVTX.
struct Sink {
    parser: LineParser,
    batches: Batches,
}

impl Sink {
    fn new() -> Self {
        let zones = Arc::new(ZoneMap::default());
        let settings = ParseSettings {
            format: Some(Format::Windows),
            ..ParseSettings::default()
        };
        Sink {
            parser: LineParser::new(settings, zones.clone()),
            batches: Batches::new(zones),
        }
    }

    fn parse(&mut self, json: &[u8]) {
        let line = RawLine {
            bytes: json,
            received_at: 0,
            source: "bench",
            peer: None,
        };
        self.parser.parse_into(&line, &mut self.batches);
    }

    /// Builds the batches, as the ingestor does every 8192 rows.
    fn finish(&mut self) -> usize {
        self.batches.finish().len()
    }
}

fn crate_records(files: &[Vec<u8>], json: bool) -> usize {
    let mut bytes = 0;
    for file in files {
        let settings = ParserSettings::new().num_threads(1).indent(false);
        let mut parser = EvtxParser::from_read_seek(Cursor::new(file.as_slice()))
            .expect("an EVTX file")
            .with_configuration(settings);
        if json {
            for record in parser.records_json_bytes() {
                bytes += record.expect("a readable record").data.len();
            }
        } else {
            for record in parser.records_bytes() {
                bytes += record.expect("a readable record").data.len();
            }
        }
    }
    bytes
}

fn evtx(c: &mut Criterion) {
    let files = files();
    let mut lines = Vec::new();
    decode(&files, |json| lines.push(json.to_vec()));
    let bytes: usize = files.iter().map(Vec::len).sum();
    eprintln!(
        "evtx: {} files, {bytes} bytes, {} records, {:.1} bytes of JSON per record",
        files.len(),
        lines.len(),
        lines.iter().map(Vec::len).sum::<usize>() as f64 / lines.len() as f64
    );

    let mut group = c.benchmark_group("evtx");
    group.throughput(Throughput::Elements(lines.len() as u64));
    let mut sink = Sink::new();
    group.bench_function("sanso/evtx-import", |b| {
        b.iter(|| {
            decode(black_box(&files), |json| sink.parse(json));
            sink.finish()
        });
    });
    group.bench_function("sanso/jsonl-import", |b| {
        b.iter(|| {
            for line in black_box(&lines) {
                sink.parse(line);
            }
            sink.finish()
        });
    });
    group.bench_function("sanso/evtx-decode", |b| {
        b.iter(|| {
            let mut bytes = 0;
            decode(black_box(&files), |json| bytes += json.len());
            bytes
        });
    });
    group.bench_function("evtx-crate/json", |b| {
        b.iter(|| crate_records(black_box(&files), true));
    });
    group.bench_function("evtx-crate/xml", |b| {
        b.iter(|| crate_records(black_box(&files), false));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = evtx
}
criterion_main!(benches);
