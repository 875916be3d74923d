//! `sanso demo`: realistic, labelled traffic from a simulated three-zone city.
//!
//! The demo stands in for a city's devices so that sanso can be tried, shown and measured
//! without one. It writes what the devices themselves would write, in their vendors' formats,
//! and labels every line that belongs to an attack, so that detections can be scored
//! for precision and recall against a known ground truth.
//!
//! # The city
//!
//! The city runs the three-layer model of its security policy (三層の対策), with the zones,
//! address ranges and device names of the embedded configuration (`default-config.toml`):
//!
//! | zone | policy name | devices simulated | what they log |
//! |---|---|---|---|
//! | `core` 10.10.0.0/16 | 基幹系 (individual-number, tax, resident systems) | fw-core, srv-core01 | netfilter, auth.log |
//! | `lgwan` 10.20.0.0/16 | 情報系 (LGWAN接続系) | fw-lgwan, proxy-lgwan, srv-lgwan01 | netfilter, Squid, auth.log |
//! | `internet` 10.30.0.0/16 | インターネット接続系 | fw-inet, proxy-inet, srv-inet01 | netfilter, Squid, auth.log |
//!
//! Each zone has a server segment (10.Z.1.0/24) and a terminal segment (10.Z.2.0/23)
//! behind a Linux/UFW firewall. Ordinary traffic keeps to what the model allows: staff
//! use their own zone's servers; lgwan reaches the internet zone only through the
//! sanitisation gateways in the DMZ 10.30.5.0/24 (screen transfer 10.30.5.10, file
//! sanitiser 10.30.5.20, mail text relay 10.30.5.25); the internet zone reaches the
//! Internet only through proxy-inet, whose parent is the prefecture's security cloud
//! (198.51.100.10); proxy-lgwan reaches only LGWAN-ASP services (172.16.0.0/12); core
//! talks to nobody. Core logins take a key and a one-time code. The firewalls also drop
//! the usual noise: NetBIOS broadcasts, SMB's port 139, a blocked RDP or SSH attempt. The
//! full address plan is in `city.rs`; a configuration that wants the demo's gateways,
//! proxies and admin hosts on its allowlists takes the addresses from there.
//! term-core, the core Windows terminal of the configuration, is not simulated.
//!
//! # Formats
//!
//! - firewalls (`fw-core.log`, ...): netfilter LOG lines with UFW's `[UFW ALLOW] ` and
//!   `[UFW BLOCK] ` prefixes, one per new connection, through the kernel log in RFC 3164
//!   without PRI (fw-inet keeps printk's uptime stamp);
//! - proxies (`proxy-inet-access.log`, `proxy-lgwan-access.log`): Squid native access.log,
//!   with CONNECT tunnels, ssl-bumped `https://` requests, cache hits and `TCP_DENIED/403`;
//!   users mostly `-`, sometimes the authenticated staff name;
//! - servers (`srv-core01-auth.log`, ...): OpenSSH, PAM, sudo, cron and systemd-logind
//!   in RFC 3164 without PRI.
//!
//! Syslog headers carry Asia/Tokyo time without a year, as the devices write them; Squid
//! carries epoch seconds. [`DemoLine::to_syslog`] gives the wire form for a collector.
//!
//! # Attack scenarios
//!
//! Each scenario instance is a burst from one reserved source inside the ordinary traffic
//! (see [`Scenario`] for what each looks like). A run has one instance of each (always
//! from 1 750 events, usually from 1 300), one more of each per 50 000 events (up to 16),
//! and never more than a quarter of its lines are attack lines. Every attack line names
//! its source, which is the key a detection should fire on (`src_ip` in the ground
//! truth). The ordinary traffic is capped per source well below every rule threshold and
//! never uses an attack source, so every alert a correct rule raises points at a labelled
//! line; `ordinary.rs` lists the caps.
//!
//! # Determinism
//!
//! [`generate()`] is a pure function of its [`DemoSpec`]: the same seed, count and start give
//! the same lines, byte for byte. Traffic keeps one pace (20 lines a second on average)
//! around the clock.
//!
//! # Layout
//!
//! - `city`: zones, devices, addresses, staff and sites (static data);
//! - `netfilter`, `squid`, `auth`: one vendor format each;
//! - `line`: [`DemoLine`] and rendering a drafted message with its time;
//! - `ordinary`: the ordinary traffic; `scenario`: the attacks and their plan;
//! - `generate`: the time-ordered merge of both; `queue`, `sample`: its helpers;
//! - `output`: [`write_files`]; `send`: [`send()`].

mod auth;
mod city;
mod generate;
mod line;
mod netfilter;
mod ordinary;
mod output;
mod queue;
mod sample;
mod scenario;
mod send;
mod squid;

#[cfg(test)]
mod tests;

pub use generate::DemoSpec;
pub use output::write_files;
pub use send::{Transport, send};
