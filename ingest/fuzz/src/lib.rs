//! The bodies of sanso-ingest's fuzz targets, one module per target.
//!
//! Each `fuzz_targets/<name>.rs` binary hands libFuzzer's input to `<name>::run`. They
//! live here, and not in the binaries, so that `cargo test -p sanso-ingest --test
//! fuzz_corpus` replays the kept corpus (`corpus/<name>/`) through exactly the same
//! code without libFuzzer: CI exercises every input the fuzzer found interesting.
//!
//! A target returns normally for every input; a panic (a failed assertion included) is
//! a finding. See `README.md` for how to run them.

pub mod cef;
pub mod cisco_asa;
pub mod combined;
pub mod evtx;
pub mod filterlog;
pub mod fortigate;
pub mod framing;
pub mod openvpn;
pub mod panos;
pub mod parse_line;
pub mod radius;
pub mod syslog;
pub mod w3c;
pub mod windows;
pub mod zscaler;

/// A target's body: returns for every input, panics on a finding.
pub type Run = fn(&[u8]);

/// Every target by name, as the corpus directories and fuzz binaries are named.
pub const TARGETS: [(&str, Run); 15] = [
    ("cef", cef::run),
    ("cisco_asa", cisco_asa::run),
    ("combined", combined::run),
    ("evtx", evtx::run),
    ("filterlog", filterlog::run),
    ("fortigate", fortigate::run),
    ("framing", framing::run),
    ("openvpn", openvpn::run),
    ("panos", panos::run),
    ("parse_line", parse_line::run),
    ("radius", radius::run),
    ("syslog", syslog::run),
    ("w3c", w3c::run),
    ("windows", windows::run),
    ("zscaler", zscaler::run),
];
