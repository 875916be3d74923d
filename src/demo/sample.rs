//! Random choices shared by the ordinary traffic and the attack scenarios.
//!
//! Every draw goes through a seeded [`ChaCha8Rng`], never a thread-local generator, so a
//! run is a pure function of its seed.

use chrono::TimeDelta;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Picks an item with probability proportional to `weight`. The catalogues are static
/// and non-empty; a zero total would be a programming error, caught in debug builds.
pub(crate) fn weighted<'a, T>(
    rng: &mut ChaCha8Rng,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    debug_assert!(total > 0, "a weighted catalogue must not be empty");
    let mut r = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if r < w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1]
}

/// An exponentially distributed gap with the given mean: the inter-arrival time of a
/// Poisson process, so activity bunches and thins the way real traffic does.
pub(crate) fn exp_gap(rng: &mut ChaCha8Rng, mean_secs: f64) -> TimeDelta {
    // 1 - u is in (0, 1], so ln never sees zero.
    let u: f64 = 1.0 - rng.random::<f64>();
    micros(-u.ln() * mean_secs)
}

/// A uniform gap between `lo` and `hi` seconds, to microsecond precision.
pub(crate) fn gap(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> TimeDelta {
    micros(rng.random_range(lo..=hi))
}

fn micros(secs: f64) -> TimeDelta {
    TimeDelta::microseconds((secs * 1e6) as i64)
}

/// A Windows client's ephemeral source port (the IANA dynamic range Windows uses).
pub(crate) fn windows_port(rng: &mut ChaCha8Rng) -> u16 {
    rng.random_range(49152..=65535)
}

/// A Linux client's ephemeral source port (`net.ipv4.ip_local_port_range`).
pub(crate) fn linux_port(rng: &mut ChaCha8Rng) -> u16 {
    rng.random_range(32768..=60999)
}

/// A random stream keyed by `key` alone (FNV-1a of its bytes, a stable hash unlike std's
/// randomly keyed one): the same key gives the same values in every run and on every
/// device, for things that are fixed per name, such as key fingerprints and UUIDs.
pub(crate) fn keyed_rng(key: &str) -> ChaCha8Rng {
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    ChaCha8Rng::seed_from_u64(seed)
}

/// A version-4 UUID fixed by `key`, lower-case with hyphens.
pub(crate) fn stable_uuid(key: &str) -> String {
    uuid(&mut keyed_rng(key))
}

/// A random version-4 UUID, lower-case with hyphens.
pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
