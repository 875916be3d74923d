//! Every parser through the entry point every source uses, [`LineParser::parse_into`]:
//! decoding, the syslog envelope, format detection or a forced format, and the Arrow
//! rows. The first byte picks the format (its low five bits index [`Format::ALL`];
//! values past the end mean automatic detection) and the encoding (bit 5: Shift_JIS);
//! the rest is a stream of lines through one parser, so stateful formats (W3C
//! directives) see their lines in order.
//!
//! Whatever the bytes: no panic, exactly one row per line, and every row keeps its line's
//! bytes exactly (`raw_bytes` when present, else `raw`).

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use sanso_ingest::batch::Batches;
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::schema::col;
use sanso_ingest::zones::ZoneMap;

/// 2024-06-01T00:00:00Z: year-less stamps resolve against a fixed clock.
const RECEIVED_AT: i64 = 1_717_200_000_000_000;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let settings = ParseSettings {
        format: Format::ALL.get(usize::from(selector & 0x1f)).copied(),
        encoding: if selector & 0x20 == 0 {
            encoding_rs::UTF_8
        } else {
            encoding_rs::SHIFT_JIS
        },
        ..ParseSettings::default()
    };
    let zones = Arc::new(ZoneMap::default());
    let mut parser = LineParser::new(settings, Arc::clone(&zones));
    let mut batches = Batches::new(zones);
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    for bytes in &lines {
        let line = RawLine {
            bytes,
            received_at: RECEIVED_AT,
            source: "fuzz",
            peer: Some("192.0.2.1"),
        };
        parser.parse_into(&line, &mut batches);
    }
    assert_eq!(batches.pending().total(), lines.len() as u64);
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(lines.len());
    for (_, batch) in batches.finish() {
        let raw = batch
            .column_by_name(col::RAW)
            .expect("every table has `raw`")
            .as_string::<i32>();
        let raw_bytes = batch
            .column_by_name(col::RAW_BYTES)
            .expect("every table has `raw_bytes`")
            .as_binary::<i32>();
        for row in 0..batch.num_rows() {
            kept.push(if raw_bytes.is_null(row) {
                raw.value(row).as_bytes().to_vec()
            } else {
                raw_bytes.value(row).to_vec()
            });
        }
    }
    // Rows are spread over the tables, so compare as multisets.
    kept.sort_unstable();
    lines.sort_unstable();
    assert_eq!(kept, lines, "a line's bytes were not kept");
}
