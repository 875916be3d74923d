//! sanso's parsers side by side with Vector's (the `vrl` crate), on the same lines in
//! the same run (DESIGN.md §9: parsing at least 10× `vrl`, at least 1 M lines per
//! second per core on firewall formats).
//!
//! One criterion group per format (`iptables`, `squid`, `sshd`, `filterlog`, `fortigate`,
//! `windows`) with one benchmark per
//! contender (`sanso/full`, `sanso/full-forced`, `sanso/parse-only`, `vrl`; see
//! [`contenders`]). An iteration parses the whole corpus of [`contenders::LINES`]
//! generated lines, so throughput is reported in lines (elements) per second.
//!
//! Before anything of a group is timed, [`contenders::Case::check`] runs every
//! contender over the corpus and stops the run unless every line was accepted and
//! sanso and VRL extracted the same key fields from the first line.
//!
//! # Clocks
//!
//! By default criterion's wall clock times the runs. With `SANSO_BENCH_CLOCK=cpu` the
//! suite times them with the benchmark thread's CPU time instead ([`clock::ThreadCpuTime`])
//! and names the groups `iptables-cpu`, ...: on a shared machine, time spent waiting
//! for a core is then left out, which is what "lines per second per core" means.
//! Other processes still evict caches, so ratios within one run remain the figure to
//! quote.
//!
//! The size of each corpus is written to `<criterion dir>/<group>/corpus.json` so that
//! `benches/summarise.sh` can report MB/s next to lines/s.

mod clock;
mod contenders;

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};

use contenders::{Case, Contender, Runner};

/// Where criterion writes its results, as criterion itself decides it when cargo runs
/// the bench (`CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`).
fn criterion_dir() -> Option<PathBuf> {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|dir| PathBuf::from(dir).join("criterion"))
        })
}

/// Prints the corpus size and records it for `summarise.sh`.
fn describe(case: &Case, group: &str) {
    let corpus = &case.corpus;
    eprintln!(
        "{group}: {} lines, {} bytes, {:.1} bytes/line; first: {}",
        corpus.len(),
        corpus.bytes,
        corpus.mean_line_bytes(),
        corpus.lines[0]
    );
    let Some(dir) = criterion_dir() else {
        eprintln!("CARGO_TARGET_DIR is not set: summarise.sh will not find the corpus size");
        return;
    };
    let dir = dir.join(group);
    let json = format!(
        "{{\"lines\": {}, \"bytes\": {}}}\n",
        corpus.len(),
        corpus.bytes
    );
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("corpus.json"), json));
    if let Err(err) = written {
        eprintln!("cannot record the corpus size in {}: {err}", dir.display());
    }
}

/// One group per format, named `<format><suffix>`.
fn parsers<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    for case in Case::all() {
        let name = format!("{}{suffix}", case.name);
        describe(&case, &name);
        case.check();
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(case.corpus.len() as u64));
        for contender in Contender::ALL {
            let mut runner = Runner::new(&case, contender);
            group.bench_function(contender.name(), |b| {
                b.iter(|| runner.run(black_box(&case.corpus)))
            });
        }
        group.finish();
    }
}

/// Short runs: the suite takes about two minutes. Twenty samples of three seconds are
/// enough to compare contenders that differ by whole factors.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// What `criterion_main!` does, with the clock chosen at run time.
fn main() {
    if clock::cpu_clock_requested() {
        let mut c = config()
            .with_measurement(clock::ThreadCpuTime)
            .configure_from_args();
        parsers(&mut c, "-cpu");
        c.final_summary();
    } else {
        let mut c = config().configure_from_args();
        parsers(&mut c, "");
        c.final_summary();
    }
}
