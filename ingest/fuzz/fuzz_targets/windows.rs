#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sanso_ingest_fuzz::windows::run(data));
