//! Binary EVTX: the input is one chunk of a file whose 4 KiB header is fixed (so that
//! the fuzzer spends its time in the chunk decoder, where the evtx crate reads
//! attacker-controlled offsets, sizes and templates). Whatever the bytes: no panic, every
//! record that is read is UTF-8 text, and a chunk that loses anything keeps its bytes and
//! says what it lost.
//!
//! Not checked: that a record is valid JSON. The evtx crate writes control characters in
//! a damaged record's strings unescaped (see the README's findings); such a record is
//! still one line to the Windows parser, which rejects it into `unparsed` with its bytes.

use std::io::Cursor;

use sanso_ingest::evtx::{ChunkReader, FILE_HEADER_SIZE, MAGIC};

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut file = vec![0; FILE_HEADER_SIZE as usize];
    file[..MAGIC.len()].copy_from_slice(MAGIC);
    file.extend_from_slice(data);
    let mut reader = ChunkReader::new(Cursor::new(file)).expect("the header is well formed");
    while let Ok(Some(chunk)) = reader.next_chunk() {
        let decoded = chunk.decode();
        for record in decoded.records() {
            assert!(
                std::str::from_utf8(record.json).is_ok(),
                "record {} is not UTF-8",
                record.id
            );
        }
        if decoded.problems().is_empty() {
            assert!(decoded.damaged_bytes().is_empty());
        } else {
            assert!(!decoded.damaged_bytes().is_empty());
            assert!(decoded.damage_report().is_some());
        }
    }
}
