//! Replays every kept fuzz input through the fuzz targets' own bodies, without libFuzzer.
//!
//! The fuzzer's minimised corpus (`fuzz/corpus/<target>/`) is the set of inputs that
//! between them reach every branch it found, and `fuzz/regressions/<target>/` holds the
//! inputs of fixed findings. Running them on every `cargo test` keeps what the long fuzz
//! runs proved true: a change that makes any of them panic (a crash, or a broken
//! property such as "one row per line" or "raw bytes kept") fails here, with the file
//! that shows it.

#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_kept_fuzz_input_replays_without_a_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failures = Vec::new();
    for (target, run) in fuzz::TARGETS {
        let corpus = inputs(&root.join("corpus").join(target));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target}/ is missing or empty: every target keeps its corpus"
        );
        let regressions = inputs(&root.join("regressions").join(target));
        for path in corpus.iter().chain(&regressions) {
            let data = fs::read(path).expect("a readable corpus file");
            if panic::catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "fuzz inputs that panic: {failures:#?}");
}
