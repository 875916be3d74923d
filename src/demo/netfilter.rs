//! Linux netfilter LOG lines, as UFW on fw-core writes them; the first packet of a
//! connection, which the other firewalls' session logs build on (see `firewall.rs`).
//!
//! ```text
//! [UFW ALLOW] IN=eth0 OUT=eth1 MAC=<dst mac>:<src mac>:08:00 SRC=10.10.2.15 DST=10.10.1.30
//!   LEN=52 TOS=0x00 PREC=0x00 TTL=127 ID=41235 DF PROTO=TCP SPT=51234 DPT=443 WINDOW=64240
//!   RES=0x00 SYN URGP=0
//! ```
//!
//! UFW logs the first packet of each new connection, so a line is a flow start, not a
//! packet count. The firewall routes between its segments: eth0 the terminals, eth1 the
//! servers, eth2 the uplink to the other zones and beyond (and, were the internet zone's
//! firewall a Linux one, eth3 the sanitisation DMZ). Packets to the firewall itself (terminal broadcasts) have an empty
//! `OUT=`. The fields follow the packet's origin: Windows terminals start at TTL 128 with a
//! 52-byte SYN, Linux servers at TTL 64 with a 60-byte SYN; every router on the way, this
//! one included when it forwards, takes one off the TTL.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::city::{Device, Zone, is_terminal};
use super::line::{Body, Draft};

/// The firewall's decision, as UFW's log prefix shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    Block,
}

/// The transport header the line shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Proto {
    /// A TCP SYN with the given window.
    TcpSyn {
        window: u16,
    },
    Udp,
}

/// The first packet of a flow, as the firewall saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packet {
    pub(crate) verdict: Verdict,
    pub(crate) src: Ipv4Addr,
    pub(crate) dst: Ipv4Addr,
    pub(crate) proto: Proto,
    pub(crate) sport: u16,
    pub(crate) dport: u16,
    /// IP total length.
    pub(crate) len: u16,
    /// TTL when the packet left its origin; the line shows it after the hops.
    pub(crate) origin_ttl: u8,
    pub(crate) id: u16,
    pub(crate) df: bool,
}

impl Packet {
    /// A connection attempt from an ordinary client stack.
    pub(crate) fn syn(
        rng: &mut ChaCha8Rng,
        verdict: Verdict,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
    ) -> Packet {
        let windows = is_terminal(src);
        Packet {
            verdict,
            src,
            dst,
            proto: Proto::TcpSyn { window: 64240 },
            sport,
            dport,
            // Windows sends MSS, NOP, WS, NOP, NOP, SACK-permitted; Linux adds timestamps.
            len: if windows { 52 } else { 60 },
            origin_ttl: if windows { 128 } else { 64 },
            id: rng.random(),
            df: true,
        }
    }

    /// A UDP datagram with `payload` bytes of data.
    pub(crate) fn udp(
        rng: &mut ChaCha8Rng,
        verdict: Verdict,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        (sport, dport): (u16, u16),
        payload: u16,
    ) -> Packet {
        Packet {
            verdict,
            src,
            dst,
            proto: Proto::Udp,
            sport,
            dport,
            len: 28 + payload,
            origin_ttl: if is_terminal(src) { 128 } else { 64 },
            id: rng.random(),
            df: false,
        }
    }

    /// The line `fw` logs for this packet.
    pub(crate) fn draft(&self, fw: &'static Device) -> Draft {
        let zone = fw.zone;
        let input = iface(zone, self.src);
        // Broadcasts stop at the firewall (INPUT chain); everything else is routed.
        let local = self.dst == zone.terminal_broadcast();
        let output = if local { "" } else { iface(zone, self.dst) };
        let dst_mac = if local {
            "ff:ff:ff:ff:ff:ff".to_owned()
        } else {
            iface_mac(zone, input)
        };
        let src_mac = if input == UPLINK {
            upstream_mac(zone)
        } else {
            host_mac(self.src)
        };
        let ttl = self
            .origin_ttl
            .saturating_sub(hops_before(zone, input, self.src) + u8::from(!local));

        let verdict = match self.verdict {
            Verdict::Allow => "[UFW ALLOW] ",
            Verdict::Block => "[UFW BLOCK] ",
        };
        let mut msg = String::with_capacity(260);
        let _ = write!(
            msg,
            "{verdict}IN={input} OUT={output} MAC={dst_mac}:{src_mac}:08:00 SRC={} DST={} \
             LEN={} TOS=0x00 PREC=0x00 TTL={ttl} ID={}{} ",
            self.src,
            self.dst,
            self.len,
            self.id,
            if self.df { " DF" } else { "" },
        );
        let _ = match self.proto {
            Proto::TcpSyn { window } => write!(
                msg,
                "PROTO=TCP SPT={} DPT={} WINDOW={window} RES=0x00 SYN URGP=0",
                self.sport, self.dport
            ),
            Proto::Udp => write!(
                msg,
                "PROTO=UDP SPT={} DPT={} LEN={}",
                self.sport,
                self.dport,
                self.len - 20
            ),
        };
        Draft {
            dev: fw,
            body: Body::Kernel { msg },
        }
    }
}

const UPLINK: &str = "eth2";

/// The interface of the zone's firewall that faces `ip`.
fn iface(zone: Zone, ip: Ipv4Addr) -> &'static str {
    let [a, b, c, _] = ip.octets();
    let own = a == 10 && b == zone.octet();
    match (own, c) {
        (true, 1) => "eth1",
        (true, 2 | 3) => "eth0",
        (true, 5) if zone == Zone::Internet => "eth3",
        _ => UPLINK,
    }
}

/// Routers a packet crossed before reaching this firewall: none on a local segment, the
/// other zone's firewall for the city's own addresses, more for the wide area.
fn hops_before(zone: Zone, input: &str, src: Ipv4Addr) -> u8 {
    if input != UPLINK {
        return 0;
    }
    match (Zone::of(src), src.octets()) {
        (Some(other), _) if other != zone => 1,
        (_, [198, 51, 100, _]) => 5,
        (_, [172, ..]) => 3,
        _ => 11,
    }
}

/// Hosts have stable MACs: Intel NICs in the terminals, VMware vNICs on the servers.
fn host_mac(ip: Ipv4Addr) -> String {
    let [_, b, c, d] = ip.octets();
    let oui = if is_terminal(ip) {
        "00:1b:21"
    } else {
        "00:50:56"
    };
    format!("{oui}:{b:02x}:{c:02x}:{d:02x}")
}

fn iface_mac(zone: Zone, iface: &str) -> String {
    let n = iface.as_bytes().last().map_or(0, |b| b - b'0');
    format!("00:50:56:f0:{:02x}:{n:02x}", zone.octet())
}

fn upstream_mac(zone: Zone) -> String {
    format!("00:50:56:fe:{:02x}:01", zone.octet())
}
