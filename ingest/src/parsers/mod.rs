//! Per-vendor parsers, one file per format, grouped by the table they fill.
//!
//! Each parser turns one message (the syslog MSG, or the whole line for formats that are
//! not carried in syslog) into a borrowed event, and says why when it cannot. Every
//! module has the same shape: `NAME`, a cheap `looks_like` used by automatic detection,
//! and `parse`. Parsers never see sockets or files, and never allocate per field: values
//! are slices of the input, or of the per-line arena for the few formats (JSON) whose
//! values must be unescaped.
//!
//! - [`firewall`]: `network` rows (FortiGate `event` logs, which are logons, go to `auth`);
//! - [`proxy`]: `http` rows;
//! - [`auth`]: `auth` rows;
//! - [`mail`]: `mail` rows.

pub mod auth;
pub mod firewall;
pub mod mail;
pub mod proxy;

pub use auth::{openvpn, radius, sshd, windows};
pub use firewall::{cef, cisco_asa, filterlog, fortigate, iptables, panos};
pub use mail::mfilter;
pub use proxy::{combined, ifilter, intersafe, squid, w3c, zscaler};
