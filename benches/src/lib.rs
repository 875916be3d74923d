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
//! * [`filterlog_lines`]: RFC 3164 syslog lines from pfSense/OPNsense `filterlog`
//!   (IPv4 and IPv6; TCP, UDP, ICMP; block and pass).
//! * [`fortigate_lines`]: FortiGate traffic logs (`key=value`), with and without an
//!   RFC 3164 header.
//! * [`windows_lines`]: Windows Security 4624/4625 events as winlogbeat JSON, one
//!   object per line.
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

/// `n` pfSense/OPNsense `filterlog` lines inside RFC 3164 syslog.
///
/// About 90 % IPv4 and 10 % IPv6; mostly TCP (with flags, sequence numbers, window and
/// options), then UDP and ICMP echo requests; 70 % `block`, the rest `pass`; rule
/// trackers or labels, several interfaces, both directions, `filterlog:` and
/// `filterlog[pid]:` tags. The first line is always an IPv4 TCP SYN blocked inbound on
/// `igb0`, for the benchmarks' cross-check.
pub fn filterlog_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(4);
    let hosts = ["pfsense", "fw-inet", "opnsense", "fw-lgwan"];
    let ifaces = ["igb0", "igb1", "igb2", "em0", "vtnet0", "lagg0.20"];
    let trackers = [
        "1000000103",
        "1000000104",
        "1000102631",
        "1770001466",
        "02f4bab031b57d1e30553ce08e0ec131",
        "fae559338f65e11c53669fc3642c93c2",
    ];
    let tcp_ports = [443u64, 443, 80, 22, 25, 445, 3389, 23, 8080, 5900, 1433];
    let udp_ports = [53u64, 53, 123, 161, 1900, 5060, 500, 137];
    let tcp_flags = ["S", "S", "S", "SA", "A", "FA", "PA", "R", "RA"];
    let mut lines = Vec::with_capacity(n);
    let mut secs = 2i64;
    for i in 0..n {
        secs += rng.below(2) as i64;
        let first = i == 0;
        let mut line = String::with_capacity(260);
        rfc3164_header(&mut line, 134, secs, rng.pick(&hosts));
        if first || rng.chance(50) {
            line.push_str("filterlog: ");
        } else {
            let _ = write!(line, "filterlog[{}]: ", rng.range(10_000, 99_999));
        }
        let block = first || rng.chance(70);
        let inbound = first || rng.chance(75);
        let v6 = !first && rng.chance(10);
        let _ = write!(
            line,
            "{},,,{},{},match,{},{},{}",
            rng.range(1, 120),
            if first {
                "1000000103"
            } else {
                rng.pick(&trackers)
            },
            if first { "igb0" } else { rng.pick(&ifaces) },
            if block { "block" } else { "pass" },
            if inbound { "in" } else { "out" },
            if v6 { 6 } else { 4 },
        );
        let proto = if first { 0 } else { rng.below(10) };
        // 0..=6 TCP, 7..=8 UDP, 9 ICMP.
        let (name, id) = match proto {
            0..=6 => ("tcp", 6),
            7 | 8 => ("udp", 17),
            _ if v6 => ("udp", 17),
            _ => ("icmp", 1),
        };
        let data_len = match proto {
            0..=6 if rng.chance(60) => 0,
            0..=6 => rng.range(1, 1400),
            _ => rng.range(8, 480),
        };
        let header = if name == "tcp" { 40 } else { 28 };
        if v6 {
            let src = format!("2001:db8:{:x}::{:x}", rng.below(4096), rng.range(1, 65535));
            let dst = format!("2001:db8:{:x}::{:x}", rng.below(4096), rng.range(1, 65535));
            let _ = write!(
                line,
                ",0x00,0x{:05x},{},{name},{id},{},{src},{dst}",
                rng.below(0x10_0000),
                [64u64, 255, 57, 118][rng.below(4) as usize],
                data_len + header - 20,
            );
        } else {
            let (src, dst) = if first {
                ("198.51.100.7".to_owned(), "192.0.2.10".to_owned())
            } else if inbound {
                (address(&mut rng, 3), {
                    let z = rng.below(3);
                    address(&mut rng, z)
                })
            } else {
                (
                    {
                        let z = rng.below(3);
                        address(&mut rng, z)
                    },
                    address(&mut rng, 3),
                )
            };
            let _ = write!(
                line,
                ",0x0,,{},{},0,{},{id},{name},{},{src},{dst}",
                [64u64, 63, 128, 127, 52, 244, 118][rng.below(7) as usize],
                rng.below(65536),
                if rng.chance(60) { "DF" } else { "none" },
                data_len + header,
            );
        }
        match name {
            "tcp" => {
                let flags = if first { "S" } else { rng.pick(&tcp_flags) };
                let ack = if flags.contains('A') {
                    rng.below(u32::MAX as u64).to_string()
                } else {
                    String::new()
                };
                let options = if flags == "S" {
                    "mss;sackOK;TS;nop;wscale"
                } else {
                    ""
                };
                let _ = write!(
                    line,
                    ",{},{},{data_len},{flags},{},{ack},{},,{options}",
                    ephemeral_port(&mut rng),
                    if first {
                        22
                    } else {
                        tcp_ports[rng.below(tcp_ports.len() as u64) as usize]
                    },
                    rng.below(u32::MAX as u64),
                    [64240u64, 65535, 29200, 1024, 8192][rng.below(5) as usize],
                );
            }
            "udp" => {
                let _ = write!(
                    line,
                    ",{},{},{data_len}",
                    ephemeral_port(&mut rng),
                    udp_ports[rng.below(udp_ports.len() as u64) as usize],
                );
            }
            _ => {
                let _ = write!(line, ",request,{},{}", rng.below(65536), rng.range(1, 200));
            }
        }
        lines.push(line);
    }
    lines
}

/// `n` FortiGate (FortiOS 7.x) traffic logs in `key=value` form, as a FortiGate sends
/// them over syslog.
///
/// Forward and local-in traffic; `close`, `deny`, `timeout`, `accept` and `server-rst`
/// actions; TCP, UDP and ICMP; SNAT on outbound sessions; application and country
/// fields as FortiOS writes them. Six lines in ten carry an RFC 3164 header with the
/// device name, the rest only the priority (`<189>date=...`), FortiGate's default. The
/// first line is always a forward TCP session to port 443 closed normally.
pub fn fortigate_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(5);
    let devices = [
        ("FGT100F-INET", "FG100FTK23000002"),
        ("FGT60F-LGWAN", "FGT60FTK22004711"),
        ("FGT200F-CORE", "FG200FT922901234"),
    ];
    let actions = [
        "close",
        "close",
        "close",
        "deny",
        "timeout",
        "accept",
        "server-rst",
        "client-rst",
    ];
    let services = [
        (6u64, 443u64, "HTTPS", "HTTPS.BROWSER", "Web.Client"),
        (6, 443, "HTTPS", "Microsoft.Portal", "Collaboration"),
        (6, 80, "HTTP", "HTTP.BROWSER", "Web.Client"),
        (6, 22, "SSH", "SSH", "Network.Service"),
        (6, 3389, "RDP", "RDP", "Remote.Access"),
        (6, 445, "SMB", "SMB", "Network.Service"),
        (17, 53, "DNS", "DNS", "Network.Service"),
        (17, 123, "NTP", "NTP", "Network.Service"),
        (1, 0, "PING", "PING", "Network.Service"),
    ];
    let countries = [
        "Japan",
        "United States",
        "Reserved",
        "Netherlands",
        "Singapore",
    ];
    let mut lines = Vec::with_capacity(n);
    let mut secs = 3i64;
    for i in 0..n {
        secs += rng.below(2) as i64;
        let first = i == 0;
        let (dev, devid) = devices[if first { 0 } else { rng.below(3) as usize }];
        let mut line = String::with_capacity(720);
        if first || rng.chance(60) {
            rfc3164_header(&mut line, 189, secs, dev);
        } else {
            line.push_str("<189>");
        }
        let local = 9 * 3600 + 15 * 60 + secs;
        let (h, m, s) = (local / 3600 % 24, local / 60 % 60, local % 60);
        let epoch = START_EPOCH_SECS + secs;
        let (proto, dport, service, app, appcat) = services[if first {
            0
        } else {
            rng.below(services.len() as u64) as usize
        }];
        let local_in = !first && rng.chance(15);
        let inbound = !first && !local_in && rng.chance(25);
        let action = if first { "close" } else { rng.pick(&actions) };
        let (src, dst) = if inbound {
            (address(&mut rng, 3), {
                let z = rng.below(3);
                address(&mut rng, z)
            })
        } else {
            let zone = if first { 2 } else { rng.below(3) };
            (address(&mut rng, zone), address(&mut rng, 3))
        };
        let _ = write!(
            line,
            "date=2024-11-{} time={h:02}:{m:02}:{s:02} devname=\"{dev}\" devid=\"{devid}\" eventtime={epoch}{:09} tz=\"+0900\" logid=\"{}\" type=\"traffic\" subtype=\"{}\" level=\"notice\" vd=\"root\" srcip={src}",
            26 + local / 86_400,
            rng.below(1_000_000_000),
            if local_in { "0001000014" } else { "0000000013" },
            if local_in { "local" } else { "forward" },
        );
        if proto != 1 {
            let _ = write!(line, " srcport={}", ephemeral_port(&mut rng));
        }
        let (srcintf, dstintf) = if inbound {
            ("wan1", "internal1")
        } else {
            ("internal1", "wan1")
        };
        let _ = write!(
            line,
            " srcintf=\"{srcintf}\" srcintfrole=\"{}\" dstip={dst}",
            if inbound { "wan" } else { "lan" }
        );
        if proto != 1 {
            let _ = write!(line, " dstport={dport}");
        }
        let _ = write!(
            line,
            " dstintf=\"{}\" dstintfrole=\"{}\" srccountry=\"{}\" dstcountry=\"{}\" sessionid={} proto={proto} action=\"{action}\" policyid={} policytype=\"{}\" poluuid=\"{:08x}-8a7d-51ef-0d4e-{:012x}\" service=\"{service}\"",
            if local_in { "root" } else { dstintf },
            if local_in {
                "undefined"
            } else if inbound {
                "lan"
            } else {
                "wan"
            },
            if inbound {
                rng.pick(&countries)
            } else {
                "Reserved"
            },
            if inbound {
                "Reserved"
            } else {
                rng.pick(&countries)
            },
            rng.range(1_000_000, 99_999_999),
            if action == "deny" {
                0
            } else {
                rng.range(1, 80)
            },
            if local_in {
                "local-in-policy"
            } else {
                "policy"
            },
            rng.next_u64() as u32,
            rng.next_u64() & 0xffff_ffff_ffff,
        );
        if !inbound && !local_in && action != "deny" {
            let _ = write!(
                line,
                " trandisp=\"snat\" transip=198.51.100.{} transport={}",
                rng.range(2, 9),
                ephemeral_port(&mut rng)
            );
        } else {
            line.push_str(" trandisp=\"noop\"");
        }
        let (sent, rcvd) = if action == "deny" {
            (0, 0)
        } else {
            (rng.range(40, 80_000), rng.range(0, 3_000_000))
        };
        let _ = write!(
            line,
            " appid={} app=\"{app}\" appcat=\"{appcat}\" apprisk=\"{}\" duration={} sentbyte={sent} rcvdbyte={rcvd} sentpkt={} rcvdpkt={}",
            rng.range(15_000, 45_000),
            ["low", "medium", "elevated"][rng.below(3) as usize],
            if action == "deny" { 0 } else { rng.below(600) },
            sent / 100 + 1,
            rcvd / 1200,
        );
        if action == "deny" {
            line.push_str(" crscore=30 craction=131072 crlevel=\"high\"");
        } else {
            line.push_str(" utmaction=\"allow\" countapp=1");
        }
        lines.push(line);
    }
    lines
}

/// `n` Windows Security logon events (4624 successes, 4625 failures) as winlogbeat 8
/// ships them: one JSON object per line, with the ECS fields around `winlog`.
///
/// About 60 % 4625 (password sprays on `administrator` and guessed names from the
/// internet, mistyped passwords inside) and 40 % 4624 (network, interactive, remote
/// interactive, service and unlock logons by staff); NTLM and Kerberos. The first line
/// is always a 4625 for `CITY\administrator` from 203.0.113.50.
pub fn windows_lines(n: usize) -> Vec<String> {
    let mut rng = Rng::new(6);
    let computers = [
        "DC01.city.local",
        "DC02.city.local",
        "FS01.city.local",
        "RDS01.city.local",
    ];
    let staff = [
        "yamada.taro",
        "suzuki.hanako",
        "tanaka.ichiro",
        "sato.yuki",
        "svc_backup",
        "ito.kenji",
    ];
    let guesses = [
        "administrator",
        "admin",
        "test",
        "user",
        "scanner",
        "guest",
        "backup",
    ];
    let workstations = ["KALI", "WIN-7H2K4Q", "PC-SOUMU-012", "PC-ZEIMU-044", "-"];
    let mut lines = Vec::with_capacity(n);
    let mut millis = START_EPOCH_SECS as u64 * 1000 + 321;
    for i in 0..n {
        millis += rng.below(900);
        let first = i == 0;
        let failure = first || rng.chance(60);
        let computer = rng.pick(&computers);
        let secs = millis / 1000;
        let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
        let logon_type = if failure {
            if first || rng.chance(80) { 3 } else { 10 }
        } else {
            [3u64, 3, 3, 2, 10, 5, 7][rng.below(7) as usize]
        };
        let (user, ip) = if first {
            ("administrator", "203.0.113.50".to_owned())
        } else if failure && rng.chance(70) {
            (rng.pick(&guesses), address(&mut rng, 3))
        } else if logon_type == 2 || logon_type == 5 || logon_type == 7 {
            (
                rng.pick(&staff),
                if rng.chance(50) {
                    "-".to_owned()
                } else {
                    "127.0.0.1".to_owned()
                },
            )
        } else if rng.chance(30) {
            (
                rng.pick(&staff),
                format!("::ffff:{}", {
                    let z = rng.below(3);
                    address(&mut rng, z)
                }),
            )
        } else {
            (rng.pick(&staff), {
                let z = rng.below(3);
                address(&mut rng, z)
            })
        };
        let package = if first || rng.chance(50) {
            "NTLM"
        } else {
            "Kerberos"
        };
        let code = if failure { 4625 } else { 4624 };
        let event_id = if rng.chance(50) {
            code.to_string()
        } else {
            format!("\"{code}\"")
        };
        let mut line = String::with_capacity(1100);
        let _ = write!(
            line,
            "{{\"@timestamp\":\"2024-11-26T{h:02}:{m:02}:{s:02}.{:03}Z\",\"agent\":{{\"type\":\"winlogbeat\",\"version\":\"8.15.0\"}},\"ecs\":{{\"version\":\"8.0.0\"}},\"event\":{{\"code\":\"{code}\",\"kind\":\"event\",\"module\":\"security\",\"outcome\":\"{}\",\"provider\":\"Microsoft-Windows-Security-Auditing\"}},\"host\":{{\"name\":\"{}\"}},\"log\":{{\"level\":\"information\"}},\"message\":\"{}\\n\\nSubject:\\n\\tSecurity ID:\\t\\tS-1-0-0\\n\\tAccount Name:\\t\\t-\",",
            millis % 1000,
            if failure { "failure" } else { "success" },
            computer.to_ascii_lowercase(),
            if failure {
                "An account failed to log on."
            } else {
                "An account was successfully logged on."
            },
        );
        let _ = write!(
            line,
            "\"winlog\":{{\"api\":\"wineventlog\",\"channel\":\"Security\",\"computer_name\":\"{computer}\",\"event_data\":{{\"AuthenticationPackageName\":\"{package}\",",
        );
        if failure {
            let _ = write!(
                line,
                "\"FailureReason\":\"%%2313\",\"IpAddress\":\"{ip}\",\"IpPort\":\"{}\",\"KeyLength\":\"0\",\"LmPackageName\":\"-\",\"LogonProcessName\":\"NtLmSsp \",\"LogonType\":\"{logon_type}\",\"ProcessId\":\"0x0\",\"ProcessName\":\"-\",\"Status\":\"0xc000006d\",\"SubStatus\":\"{}\",",
                if first || rng.chance(50) {
                    0
                } else {
                    ephemeral_port(&mut rng)
                },
                if first {
                    "0xc000006a"
                } else {
                    [
                        "0xc0000064",
                        "0xc000006a",
                        "0xc000006a",
                        "0xc0000234",
                        "0xc0000072",
                    ][rng.below(5) as usize]
                },
            );
        } else {
            let _ = write!(
                line,
                "\"ElevatedToken\":\"%%1843\",\"ImpersonationLevel\":\"%%1833\",\"IpAddress\":\"{ip}\",\"IpPort\":\"{}\",\"KeyLength\":\"0\",\"LmPackageName\":\"-\",\"LogonGuid\":\"{{{:08x}-4d3c-1a2b-9f8e-{:012x}}}\",\"LogonProcessName\":\"{}\",\"LogonType\":\"{logon_type}\",\"ProcessId\":\"0x0\",\"ProcessName\":\"-\",\"TargetLogonId\":\"0x{:x}\",\"VirtualAccount\":\"%%1843\",",
                ephemeral_port(&mut rng),
                rng.next_u64() as u32,
                rng.next_u64() & 0xffff_ffff_ffff,
                if package == "NTLM" {
                    "NtLmSsp "
                } else {
                    "Kerberos"
                },
                rng.below(1 << 32),
            );
        }
        let _ = write!(
            line,
            "\"SubjectDomainName\":\"-\",\"SubjectLogonId\":\"0x0\",\"SubjectUserName\":\"-\",\"SubjectUserSid\":\"S-1-0-0\",\"TargetDomainName\":\"CITY\",\"TargetUserName\":\"{user}\",\"TargetUserSid\":\"{}\",\"TransmittedServices\":\"-\",\"WorkstationName\":\"{}\"}},\"event_id\":{event_id},\"keywords\":[\"Audit {}\"],\"opcode\":\"Info\",\"process\":{{\"pid\":668,\"thread\":{{\"id\":{}}}}},\"provider_guid\":\"{{54849625-5478-4994-a5ba-3e3b0328c30d}}\",\"provider_name\":\"Microsoft-Windows-Security-Auditing\",\"record_id\":\"{}\",\"task\":\"Logon\"}}}}",
            if failure {
                "S-1-0-0".to_owned()
            } else {
                format!(
                    "S-1-5-21-3457937927-2839227994-823803824-{}",
                    rng.range(1100, 1400)
                )
            },
            if first {
                "KALI"
            } else {
                rng.pick(&workstations)
            },
            if failure { "Failure" } else { "Success" },
            rng.range(600, 9000),
            123_456 + i,
        );
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_varied() {
        for make in [
            iptables_lines,
            squid_lines,
            sshd_lines,
            filterlog_lines,
            fortigate_lines,
            windows_lines,
        ] {
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
