//! Per-vendor parsers: one file per format, each turning a message into a borrowed event.

pub mod iptables;
pub mod squid;
pub mod sshd;
