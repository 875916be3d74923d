//! A driver for counting the instructions each parser contender spends per line, with
//! callgrind: a figure that, unlike wall time, does not move when the machine is busy.
//!
//! ```text
//! instructions FORMAT CONTENDER [PASSES]
//!   FORMAT     iptables | squid | sshd | filterlog | fortigate | windows
//!   CONTENDER  sanso/full | sanso/full-forced | sanso/parse-only | vrl
//!   PASSES     passes over the corpus inside `measure` (default 4)
//! ```
//!
//! It checks the case like the criterion bench does, makes one untimed pass (so that
//! buffers, dictionaries and caches are warm, as in steady-state ingest), then runs
//! [`measure`]. `benches/instructions.sh` runs it under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=*measure*` and
//! divides the instructions by `PASSES × lines`.

#[path = "../benches/contenders/mod.rs"]
mod contenders;

use std::hint::black_box;
use std::process::ExitCode;

use contenders::{Case, Contender, Runner};
use sanso_benches::Corpus;

/// The measured region: `passes` passes of `runner` over `corpus`.
#[inline(never)]
fn measure(runner: &mut Runner, corpus: &Corpus, passes: usize) -> usize {
    (0..passes).map(|_| runner.run(black_box(corpus))).sum()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(case), Some(contender)) = (
        args.first().and_then(|a| Case::named(a)),
        args.get(1).and_then(|a| Contender::named(a)),
    ) else {
        eprintln!(
            "usage: instructions iptables|squid|sshd|filterlog|fortigate|windows sanso/full|sanso/full-forced|sanso/parse-only|vrl [PASSES]"
        );
        return ExitCode::from(2);
    };
    let passes = match args.get(2).map(|p| p.parse::<usize>()) {
        None => 4,
        Some(Ok(p)) if p > 0 => p,
        Some(_) => {
            eprintln!("PASSES must be a positive number");
            return ExitCode::from(2);
        }
    };
    case.check();
    let mut runner = Runner::new(&case, contender);
    black_box(runner.run(&case.corpus));
    let result = measure(&mut runner, &case.corpus, passes);
    black_box(result);
    println!(
        "{} {} lines={} bytes={}",
        case.name,
        contender.name(),
        passes * case.corpus.len(),
        passes as u64 * case.corpus.bytes
    );
    ExitCode::SUCCESS
}
