//! Firewall and NGFW formats, filling the `network` table.

pub mod cef;
pub mod cisco_asa;
pub mod filterlog;
pub mod fortigate;
pub mod iptables;
pub mod panos;
mod protocol;
