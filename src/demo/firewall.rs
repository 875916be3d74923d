//! A connection through a zone firewall, and when and how each firewall logs it.
//!
//! The three zone firewalls are of three makes, as in many cities, and log the same
//! connection in three ways:
//!
//! | firewall | make | one line per | written | volume |
//! |---|---|---|---|---|
//! | fw-core | Linux netfilter (UFW) | new connection (its first packet) | when it opens | none |
//! | fw-lgwan | FortiGate | session | when it closes; a denial at once | bytes and packets each way |
//! | fw-inet | PAN-OS | session | when it closes; a denial at once | bytes and packets each way |
//!
//! A [`Flow`] is therefore the first packet ([`Packet`], all that netfilter shows) plus
//! what the session carried ([`Session`], which the session-logging firewalls add), and
//! [`Flow::log`] says how long after the first packet the firewall writes its line. The
//! callers place that line in time, so a long SMB session or an upload shows up in the
//! FortiGate and PAN-OS logs when it ends, as it does on the real devices.

use chrono::TimeDelta;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::city::{Device, Role, Vendor};
use super::fortigate::FortiLog;
use super::line::{Body, Draft};
use super::netfilter::{Packet, Proto, Verdict};
use super::panos::PanLog;

/// One connection through a firewall: its first packet and what the session carried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flow {
    pub(crate) packet: Packet,
    pub(crate) session: Session,
}

/// What a session carried, as a session-logging firewall counts it when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Session {
    /// The firewall's session id.
    pub(crate) id: u32,
    /// From the first packet to the end of the session; zero for a denied one.
    pub(crate) duration: TimeDelta,
    /// Bytes from the source to the destination (the upload), IP headers included.
    pub(crate) bytes_sent: u64,
    /// Bytes from the destination back to the source.
    pub(crate) bytes_rcvd: u64,
    pub(crate) pkts_sent: u64,
    pub(crate) pkts_rcvd: u64,
}

/// How much a session of a service carries: (bytes sent, bytes received, seconds), each
/// drawn log-uniformly so that most sessions are small and a few are large.
struct Profile {
    sent: (u64, u64),
    rcvd: (u64, u64),
    secs: (f64, f64),
}

const fn profile(sent: (u64, u64), rcvd: (u64, u64), secs: (f64, f64)) -> Profile {
    Profile { sent, rcvd, secs }
}

/// The profile of a service by transport and destination port.
fn profile_of(proto: Proto, port: u16) -> Profile {
    match (proto, port) {
        (Proto::Udp, 53) => profile((60, 90), (90, 400), (0.01, 0.5)),
        (Proto::Udp, 123) => profile((76, 77), (76, 77), (0.01, 0.2)),
        (Proto::Udp, 1812) => profile((150, 260), (40, 120), (0.02, 0.3)),
        (Proto::Udp, _) => profile((60, 600), (60, 600), (0.01, 1.0)),
        (Proto::TcpSyn { .. }, 88) => profile((1_500, 4_000), (1_500, 3_500), (0.05, 2.0)),
        (Proto::TcpSyn { .. }, 389) => profile((800, 20_000), (2_000, 60_000), (0.5, 120.0)),
        (Proto::TcpSyn { .. }, 445) => {
            profile((3_000, 2_000_000), (5_000, 20_000_000), (5.0, 900.0))
        }
        (Proto::TcpSyn { .. }, 443) => profile((2_000, 200_000), (8_000, 3_000_000), (1.0, 300.0)),
        (Proto::TcpSyn { .. }, 8080) => {
            profile((1_000, 100_000), (10_000, 3_000_000), (1.0, 120.0))
        }
        (Proto::TcpSyn { .. }, 993) => profile((2_000, 50_000), (10_000, 5_000_000), (10.0, 900.0)),
        (Proto::TcpSyn { .. }, 25 | 587) => profile((3_000, 300_000), (800, 2_000), (1.0, 20.0)),
        (Proto::TcpSyn { .. }, 22) => profile((3_000, 200_000), (5_000, 400_000), (30.0, 900.0)),
        (Proto::TcpSyn { .. }, 3389) => {
            profile((50_000, 3_000_000), (300_000, 30_000_000), (60.0, 1_800.0))
        }
        (Proto::TcpSyn { .. }, _) => profile((500, 50_000), (500, 200_000), (1.0, 60.0)),
    }
}

/// A log-uniform draw from `lo..=hi`.
fn log_uniform(rng: &mut ChaCha8Rng, (lo, hi): (u64, u64)) -> u64 {
    if hi <= lo {
        return lo;
    }
    let x: f64 = rng.random_range((lo as f64).ln()..=(hi as f64).ln());
    (x.exp() as u64).clamp(lo, hi)
}

/// Packets that carry `bytes` on a path with a 1460-byte MSS, plus the handshake and
/// the close for TCP.
fn packets(proto: Proto, bytes: u64) -> u64 {
    match proto {
        Proto::TcpSyn { .. } => 3 + bytes.div_ceil(1_460),
        Proto::Udp => bytes.div_ceil(1_472).max(1),
    }
}

impl Session {
    /// An ordinary session of the packet's service (by transport and port): a denied
    /// packet carries nothing and ends at once.
    pub(crate) fn sample(rng: &mut ChaCha8Rng, packet: &Packet) -> Session {
        let id = rng.random_range(20_000..4_000_000);
        if packet.verdict == Verdict::Block {
            return Session {
                id,
                duration: TimeDelta::zero(),
                bytes_sent: u64::from(packet.len),
                bytes_rcvd: 0,
                pkts_sent: 1,
                pkts_rcvd: 0,
            };
        }
        let p = profile_of(packet.proto, packet.dport);
        let secs = rng.random_range(p.secs.0..=p.secs.1);
        let mut session = Session {
            id,
            duration: TimeDelta::microseconds((secs * 1e6) as i64),
            bytes_sent: 0,
            bytes_rcvd: 0,
            pkts_sent: 0,
            pkts_rcvd: 0,
        };
        let sent = log_uniform(rng, p.sent);
        let rcvd = log_uniform(rng, p.rcvd);
        session.set_bytes(packet.proto, sent, rcvd);
        session
    }

    /// Sets the volume each way, and the packets that carried it.
    pub(crate) fn set_bytes(&mut self, proto: Proto, sent: u64, rcvd: u64) {
        self.bytes_sent = sent;
        self.bytes_rcvd = rcvd;
        self.pkts_sent = packets(proto, sent);
        self.pkts_rcvd = packets(proto, rcvd);
    }
}

impl Flow {
    /// An ordinary flow: the packet and a session of its service.
    pub(crate) fn new(rng: &mut ChaCha8Rng, packet: Packet) -> Flow {
        let session = Session::sample(rng, &packet);
        Flow { packet, session }
    }

    /// The same flow, lasting `duration` (an SSH or remote desktop session whose end the
    /// caller knows).
    pub(crate) fn lasting(mut self, duration: TimeDelta) -> Flow {
        if self.packet.verdict == Verdict::Allow {
            self.session.duration = duration.max(TimeDelta::zero());
        }
        self
    }

    /// How long after the first packet `fw` writes its line, and the line.
    ///
    /// Netfilter logs the first packet as it passes. FortiGate and PAN-OS log a session
    /// when it ends, and a denied packet at once.
    pub(crate) fn log(&self, fw: &'static Device) -> (TimeDelta, Draft) {
        let delay = match self.packet.verdict {
            Verdict::Allow => self.session.duration,
            Verdict::Block => TimeDelta::zero(),
        };
        match fw.role {
            Role::Firewall(Vendor::Fortigate) => (
                delay,
                Draft {
                    dev: fw,
                    body: Body::Fortigate(FortiLog {
                        packet: self.packet,
                        session: self.session,
                    }),
                },
            ),
            Role::Firewall(Vendor::Panos) => (
                delay,
                Draft {
                    dev: fw,
                    body: Body::Panos(PanLog {
                        packet: self.packet,
                        session: self.session,
                    }),
                },
            ),
            Role::Firewall(Vendor::Netfilter) => (TimeDelta::zero(), self.packet.draft(fw)),
            // Only firewalls log flows; anything else is a programming error, caught in
            // debug builds and otherwise written as netfilter would.
            _ => {
                debug_assert!(false, "{} is not a firewall", fw.name);
                (TimeDelta::zero(), self.packet.draft(fw))
            }
        }
    }
}
