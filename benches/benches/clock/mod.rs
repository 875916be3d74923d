//! Thread CPU time as a criterion clock, shared by the benches that report figures
//! "per core".
//!
//! On a shared machine, wall time counts the time a benchmark thread spends runnable
//! but waiting for a core; thread CPU time does not. The benchmarks are
//! single-threaded, so CPU time per element is the cost per core. Other processes
//! still evict caches, so ratios within one run remain the figure to quote.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// CPU time of the calling thread, as a criterion measurement.
pub struct ThreadCpuTime;

impl ThreadCpuTime {
    fn now() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant that
        // Linux (and every POSIX system with thread CPU clocks) supports.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

/// Formats CPU durations the way criterion formats wall durations.
static DURATION_FORMAT: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        ThreadCpuTime::now()
    }

    fn end(&self, started: Duration) -> Duration {
        ThreadCpuTime::now().saturating_sub(started)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        DURATION_FORMAT.formatter()
    }
}

/// Whether `SANSO_BENCH_CLOCK=cpu` asks for [`ThreadCpuTime`] instead of the wall clock.
pub fn cpu_clock_requested() -> bool {
    std::env::var("SANSO_BENCH_CLOCK").is_ok_and(|clock| clock == "cpu")
}
