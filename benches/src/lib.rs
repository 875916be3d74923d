//! Deterministic inputs for sanso's side-by-side benchmarks.
//!
//! The benchmarks in `benches/` compare sanso with its peers on the *same* input in the
//! *same* run (DESIGN.md §9): sanso's parsers against Vector's own parse functions (the
//! `vrl` crate). This library only makes the input, so that every contender and every
//! run sees exactly the same lines.
//!
//! # Layout
//!
//! * [`iptables_lines`]: RFC 3164 syslog lines from `kernel`, carrying netfilter `LOG`
//!   messages (UFW, plain `--log-prefix`, with and without the kernel uptime; TCP, UDP,
//!   ICMP).
//! * [`squid_lines`]: Squid native `access.log` lines as Squid writes them to a file
//!   (no syslog header): hits, misses, `CONNECT` tunnels, denials, authenticated users.
//! * [`sshd_lines`]: RFC 3164 syslog lines from `sshd` as in `auth.log`: failed and
//!   accepted passwords, public keys, keyboard-interactive, invalid users, PAM sessions,
//!   disconnects.
//! * [`Corpus`]: a set of lines with its byte count, for throughput in MB/s.
//!
//! # Why generated and not a fixed sample
//!
//! A benchmark that parses one line in a loop measures a parser whose branch predictor
//! and caches have learnt that line. The generators vary addresses, ports, users, URLs,
//! prefixes and message shapes, with a fixed seed, so a few thousand lines give a
//! realistic mix that is identical from run to run and from machine to machine. The
//! proportions follow what a city's firewalls, proxies and servers actually log: mostly
//! denies and TCP on the firewall, mostly `CONNECT` and misses on the proxy, mostly
//! failed passwords from the internet on sshd.
//!
//! # Example
//!
//! ```
//! let lines = sanso_benches::iptables_lines(100);
//! assert_eq!(lines.len(), 100);
//! assert!(lines[0].contains(" kernel: ") && lines[0].contains(" SRC="));
//! // The same call always gives the same lines.
//! assert_eq!(lines, sanso_benches::iptables_lines(100));
//! ```

#![deny(missing_docs)]

use std::fmt::Write as _;

/// The seed every generator starts from.
const SEED: u64 = 0x5a45_0050_4152_5345;

/// Unix time of 2024-11-26 09:15:00 JST (00:15:00 UTC), the first line's time.
pub const START_EPOCH_SECS: i64 = 1_732_580_100;

/// [`START_EPOCH_SECS`] in microseconds: use it as the `received_at` of the lines, so
/// that year inference for RFC 3164 timestamps lands on the year they were made for.
pub const RECEIVED_AT_MICROS: i64 = START_EPOCH_SECS * 1_000_000;

/// A set of lines and their total size.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// The lines, without terminators.
    pub lines: Vec<String>,
    /// Sum of the lines' lengths in bytes.
    pub bytes: u64,
}

impl Corpus {
    /// Wraps `lines`, counting their bytes.
    pub fn new(lines: Vec<String>) -> Self {
        let bytes = lines.iter().map(|l| l.len() as u64).sum();
        Corpus { lines, bytes }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Mean line length in bytes.
    pub fn mean_line_bytes(&self) -> f64 {
        if self.lines.is_empty() {
            0.0
        } else {
            self.bytes as f64 / self.lines.len() as f64
        }
    }
}

/// SplitMix64: tiny, fast and good enough to vary test data; not for anything else.
struct Rng(u64);

impl Rng {
    fn new(stream: u64) -> Self {
        Rng(SEED ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        // The modulo bias is irrelevant for test data.
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// An IPv4 address in one of the city's zones or on the internet.
fn address(rng: &mut Rng, zone: u64) -> String {
    match zone {
        0 => format!("10.10.{}.{}", rng.range(0, 40), rng.range(1, 254)),
        1 => format!("10.20.{}.{}", rng.range(0, 40), rng.range(1, 254)),
        2 => format!("10.30.{}.{}", rng.range(0, 40), rng.range(1, 254)),
        _ => {
            let nets = [
                [203, 0, 113],
                [198, 51, 100],
                [192, 0, 2],
                [45, 33, 32],
                [93, 184, 216],
            ];
            let n = nets[rng.below(nets.len() as u64) as usize];
            format!("{}.{}.{}.{}", n[0], n[1], n[2], rng.range(1, 254))
        }
    }
}

/// An ephemeral (client) port.
fn ephemeral_port(rng: &mut Rng) -> u64 {
    rng.range(32768, 60999)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends an RFC 3164 header (`<PRI>Mmm dd hh:mm:ss host `) for `secs` after the
/// start, in Japan time as the devices' clocks show it.
fn rfc3164_header(out: &mut String, pri: u8, secs: i64, host: &str) {
    // START_EPOCH_SECS is 2024-11-26 09:15:00 in Japan; the runs stay within a few hours
    // of it, so the date arithmetic below only needs to handle the day rolling over.
    let local = 9 * 3600 + 15 * 60 + secs;
    let day = 26 + local / 86_400;
    let t = local % 86_400;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    let _ = write!(
        out,
        "<{pri}>{} {day:>2} {h:02}:{m:02}:{s:02} {host} ",
        MONTHS[10]
    );
}

/// `n` netfilter `LOG` lines inside RFC 3164 syslog, as a firewall's kernel sends them.
///
/// About 70 % TCP, 20 % UDP, 10 % ICMP; UFW `BLOCK`/`ALLOW`/`AUDIT` prefixes, plain
/// `--log-prefix` prefixes (`IPT-DROP: `, `FW-ACCEPT `) and some lines with the kernel
/// uptime in front; `OUT=` empty for traffic to the firewall itself. The first line is
/// always a TCP `[UFW BLOCK]` from `core` to `internet`, for the benchmarks' cross-check.
pub fn iptables_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(1);
    let devices = ["fw-core", "fw-lgwan", "fw-inet"];
    let prefixes = [
        "[UFW BLOCK] ",
        "[UFW BLOCK] ",
        "[UFW ALLOW] ",
        "[UFW AUDIT] ",
        "IPT-DROP: ",
        "FW-ACCEPT ",
    ];
    let tcp_ports = [
        443u64, 443, 443, 80, 22, 25, 445, 3389, 8080, 53, 135, 139, 3306, 5432,
    ];
    let flags = [
        "SYN URGP=0",
        "SYN URGP=0",
        "ACK SYN URGP=0",
        "ACK FIN URGP=0",
        "ACK RST URGP=0",
        "ACK PSH URGP=0",
    ];
    let mut lines = Vec::with_capacity(n);
    let mut secs = 0i64;
    for i in 0..n {
        let first = i == 0;
        let dev = if first { 0 } else { rng.below(3) };
        let mut line = String::with_capacity(320);
        rfc3164_header(
            &mut line,
            if first || rng.chance(80) { 4 } else { 12 },
            secs,
            devices[dev as usize],
        );
        line.push_str("kernel: ");
        if rng.chance(30) {
            let up = 86_400 * 12 + secs as u64 * 1_000_000 + rng.below(1_000_000);
            let _ = write!(line, "[{}.{:06}] ", up / 1_000_000, up % 1_000_000);
        }
        line.push_str(if first {
            "[UFW BLOCK] "
        } else {
            rng.pick(&prefixes)
        });
        let inbound = !first && rng.chance(35);
        let (src_zone, dst_zone) = if first {
            (0, 2)
        } else if inbound {
            (3, rng.below(3))
        } else {
            let s = rng.below(3);
            (
                s,
                if rng.chance(60) {
                    3
                } else {
                    (s + 1 + rng.below(2)) % 3
                },
            )
        };
        let to_self = !first && rng.chance(15);
        let _ = write!(line, "IN=eth{} OUT=", src_zone.min(3));
        if !to_self {
            let _ = write!(line, "eth{}", dst_zone.min(3));
        }
        let _ = write!(
            line,
            " MAC=00:16:3e:{:02x}:{:02x}:{:02x}:00:16:3e:{:02x}:{:02x}:{:02x}:08:00",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(256)
        );
        let src = address(&mut rng, src_zone);
        let dst = address(&mut rng, dst_zone);
        let proto = if first { 0 } else { rng.below(10) };
        let ttl = [63u64, 64, 127, 128, 52, 244][rng.below(6) as usize];
        let id = rng.below(65536);
        match proto {
            // TCP
            0..=6 => {
                let len = [60u64, 52, 40, 44, 1500, 576][rng.below(6) as usize];
                let df = if rng.chance(85) { "DF " } else { "" };
                let dpt = tcp_ports[rng.below(tcp_ports.len() as u64) as usize];
                let _ = write!(
                    line,
                    " SRC={src} DST={dst} LEN={len} TOS=0x00 PREC=0x00 TTL={ttl} ID={id} {df}PROTO=TCP SPT={} DPT={dpt} WINDOW={} RES=0x00 {}",
                    ephemeral_port(&mut rng),
                    [64240u64, 65535, 29200, 502, 0][rng.below(5) as usize],
                    rng.pick(&flags),
                );
            }
            // UDP
            7 | 8 => {
                let len = rng.range(40, 512);
                let dpt = [53u64, 53, 123, 161, 514, 1900, 137, 500][rng.below(8) as usize];
                let _ = write!(
                    line,
                    " SRC={src} DST={dst} LEN={len} TOS=0x00 PREC=0x00 TTL={ttl} ID={id} PROTO=UDP SPT={} DPT={dpt} LEN={}",
                    ephemeral_port(&mut rng),
                    len - 20,
                );
            }
            // ICMP echo request
            _ => {
                let _ = write!(
                    line,
                    " SRC={src} DST={dst} LEN=84 TOS=0x00 PREC=0x00 TTL={ttl} ID={id} DF PROTO=ICMP TYPE=8 CODE=0 ID={} SEQ={}",
                    rng.below(65536),
                    rng.range(1, 20),
                );
            }
        }
        lines.push(line);
        secs += rng.below(2) as i64;
    }
    lines
}

/// `n` Squid native `access.log` lines (`logformat squid`), as written to the file.
///
/// About half `CONNECT` tunnels (HTTPS), the rest `GET`/`POST`/`HEAD` with misses,
/// hits, revalidations and some `TCP_DENIED/403` blocks; a fifth of the requests carry
/// an authenticated user. The first line is always a `GET` miss from `internet`.
pub fn squid_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(2);
    let hosts = [
        "www.example.jp",
        "www.city.omaezaki.shizuoka.jp",
        "www.pref.shizuoka.jp",
        "www.digital.go.jp",
        "www.soumu.go.jp",
        "www.e-gov.go.jp",
        "update.microsoft.com",
        "login.microsoftonline.com",
        "fonts.gstatic.com",
        "www.google.co.jp",
        "news.yahoo.co.jp",
        "cdn.jsdelivr.net",
        "malware-c2.example.net",
        "files.example.org",
    ];
    let paths = [
        "/",
        "/index.html",
        "/news/2024/11/26/",
        "/docs/kurashi/zei/juminzei.html",
        "/static/js/app.3f9a1c.js",
        "/api/v1/status",
        "/images/logo.png",
        "/search",
        "/download/file.pdf",
        "/wp-login.php",
    ];
    let users = [
        "yamada.taro",
        "suzuki.hanako",
        "tanaka.ichiro",
        "sato.yuki",
        "admin",
    ];
    let types = [
        "text/html",
        "application/javascript",
        "image/png",
        "application/json",
        "application/pdf",
        "text/css",
    ];
    let mut lines = Vec::with_capacity(n);
    let mut millis = START_EPOCH_SECS as u64 * 1000 + 123;
    for i in 0..n {
        millis += rng.below(40);
        let first = i == 0;
        let client_zone = if first { 2 } else { 1 + rng.below(2) };
        let client = address(&mut rng, client_zone);
        let user = if !first && rng.chance(20) {
            rng.pick(&users)
        } else {
            "-"
        };
        let host = if first {
            "www.example.jp"
        } else {
            rng.pick(&hosts)
        };
        let origin = address(&mut rng, 3);
        let elapsed = rng.range(0, 30_000) * rng.below(2) + rng.below(400);
        let kind = if first { 99 } else { rng.below(100) };
        let mut line = String::with_capacity(200);
        let _ = write!(
            line,
            "{}.{:03} {elapsed:>6} {client} ",
            millis / 1000,
            millis % 1000
        );
        match kind {
            // HTTPS tunnels.
            0..=49 => {
                let _ = write!(
                    line,
                    "TCP_TUNNEL/200 {} CONNECT {host}:443 {user} HIER_DIRECT/{origin} -",
                    rng.range(300, 2_000_000)
                );
            }
            // Blocked by the proxy.
            50..=57 => {
                let _ = write!(
                    line,
                    "TCP_DENIED/403 {} {} http://{host}{} {user} HIER_NONE/- text/html",
                    rng.range(3000, 4200),
                    if rng.chance(50) { "GET" } else { "CONNECT" },
                    rng.pick(&paths)
                );
            }
            // Plain HTTP: misses, hits, revalidations.
            _ => {
                let code = [
                    "TCP_MISS/200",
                    "TCP_MISS/200",
                    "TCP_MISS/304",
                    "TCP_HIT/200",
                    "TCP_MEM_HIT/200",
                    "TCP_REFRESH_UNMODIFIED/304",
                    "TCP_MISS/404",
                    "TCP_MISS/302",
                ][if first { 0 } else { rng.below(8) as usize }];
                let method = if first {
                    "GET"
                } else {
                    ["GET", "GET", "GET", "POST", "HEAD"][rng.below(5) as usize]
                };
                let hier = if code.contains("HIT") {
                    "HIER_NONE/-".to_owned()
                } else {
                    format!("HIER_DIRECT/{origin}")
                };
                let path = if first {
                    "/index.html"
                } else {
                    rng.pick(&paths)
                };
                let query = if rng.chance(15) {
                    format!("?q={}&page={}", rng.below(10_000), rng.below(9))
                } else {
                    String::new()
                };
                let _ = write!(
                    line,
                    "{code} {} {method} http://{host}{path}{query} {user} {hier} {}",
                    rng.range(200, 500_000),
                    if first { "text/html" } else { rng.pick(&types) }
                );
            }
        }
        lines.push(line);
    }
    lines
}

/// `n` OpenSSH and PAM lines inside RFC 3164 syslog, as `auth.log` receives them.
///
/// About 45 % failed passwords (half of them for invalid users, mostly from the
/// internet), 25 % accepted logons (public key, password, keyboard-interactive), 10 %
/// `Invalid user`, and PAM session opened/closed plus disconnects for the rest. The
/// first line is always `Failed password for invalid user admin`.
pub fn sshd_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(3);
    let hosts = ["srv-core01", "srv-lgwan01", "srv-inet01", "term-core"];
    let staff = [
        "yamada", "suzuki", "tanaka", "sato", "ito", "watanabe", "deploy", "root",
    ];
    let guesses = [
        "admin", "test", "oracle", "ubuntu", "pi", "user", "guest", "postgres", "git", "ftpuser",
    ];
    let key_types = ["RSA", "ED25519", "ECDSA"];
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut lines = Vec::with_capacity(n);
    let mut secs = 1i64;
    for i in 0..n {
        secs += rng.below(2) as i64;
        let first = i == 0;
        let host = rng.pick(&hosts);
        let pid = rng.range(1000, 65000);
        let pri = if rng.chance(70) { 38 } else { 86 };
        let mut line = String::with_capacity(200);
        rfc3164_header(&mut line, pri, secs, host);
        let kind = if first { 0 } else { rng.below(100) };
        let port = ephemeral_port(&mut rng);
        match kind {
            0..=44 => {
                let (invalid, user) = if first {
                    (true, "admin")
                } else if rng.chance(50) {
                    (true, rng.pick(&guesses))
                } else {
                    (false, rng.pick(&staff))
                };
                let zone = if rng.chance(80) { 3 } else { rng.below(3) };
                let src = if first {
                    "203.0.113.7".to_owned()
                } else {
                    address(&mut rng, zone)
                };
                let _ = write!(
                    line,
                    "sshd[{pid}]: Failed password for {}{user} from {src} port {port} ssh2",
                    if invalid { "invalid user " } else { "" }
                );
            }
            45..=69 => {
                let user = rng.pick(&staff);
                let zone = rng.below(3);
                let src = address(&mut rng, zone);
                match rng.below(3) {
                    0 => {
                        let fingerprint: String = (0..43)
                            .map(|_| B64[rng.below(64) as usize] as char)
                            .collect();
                        let _ = write!(
                            line,
                            "sshd[{pid}]: Accepted publickey for {user} from {src} port {port} ssh2: {} SHA256:{fingerprint}",
                            rng.pick(&key_types)
                        );
                    }
                    1 => {
                        let _ = write!(
                            line,
                            "sshd[{pid}]: Accepted password for {user} from {src} port {port} ssh2"
                        );
                    }
                    _ => {
                        let _ = write!(
                            line,
                            "sshd[{pid}]: Accepted keyboard-interactive/pam for {user} from {src} port {port} ssh2"
                        );
                    }
                }
            }
            70..=79 => {
                let user = rng.pick(&guesses);
                let src = address(&mut rng, 3);
                let _ = write!(
                    line,
                    "sshd[{pid}]: Invalid user {user} from {src} port {port}"
                );
            }
            80..=87 => {
                let user = rng.pick(&staff);
                let uid = if user == "root" {
                    0
                } else {
                    1000 + rng.below(20)
                };
                let _ = write!(
                    line,
                    "sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"
                );
            }
            88..=93 => {
                let user = rng.pick(&staff);
                let _ = write!(
                    line,
                    "sshd[{pid}]: pam_unix(sshd:session): session closed for user {user}"
                );
            }
            _ => {
                let user = rng.pick(&staff);
                let zone = rng.below(3);
                let src = address(&mut rng, zone);
                let _ = write!(
                    line,
                    "sshd[{pid}]: Disconnected from user {user} {src} port {port}"
                );
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_varied() {
        for make in [iptables_lines, squid_lines, sshd_lines] {
            let a = make(2000);
            assert_eq!(a, make(2000));
            let distinct: std::collections::HashSet<_> = a.iter().collect();
            assert!(distinct.len() > 1990, "{} distinct of 2000", distinct.len());
        }
    }

    #[test]
    fn first_lines_have_the_documented_shape() {
        let ipt = &iptables_lines(1)[0];
        assert!(
            ipt.starts_with("<4>Nov 26 09:15:00 fw-core kernel: ")
                || ipt.starts_with("<12>Nov 26 09:15:00 fw-core kernel: "),
            "{ipt}"
        );
        assert!(
            ipt.contains("[UFW BLOCK] IN=eth0 OUT=eth2 ") && ipt.contains("PROTO=TCP SPT="),
            "{ipt}"
        );
        let squid = &squid_lines(1)[0];
        assert!(
            squid.contains(" TCP_MISS/200 ")
                && squid.contains(" GET http://www.example.jp/index.html - HIER_DIRECT/"),
            "{squid}"
        );
        let sshd = &sshd_lines(1)[0];
        assert!(
            sshd.contains("Failed password for invalid user admin from 203.0.113.7 port "),
            "{sshd}"
        );
    }
}
