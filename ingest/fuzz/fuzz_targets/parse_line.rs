#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sanso_ingest_fuzz::parse_line::run(data));
