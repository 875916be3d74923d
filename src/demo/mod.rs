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
//! | `core` 10.10.0.0/16 | 基幹系 (individual-number, tax, resident systems) | fw-core, srv-core01, term-core, mfa-core01 | netfilter, auth.log, Windows Security, FreeRADIUS |
//! | `lgwan` 10.20.0.0/16 | 情報系 (LGWAN接続系) | fw-lgwan, proxy-lgwan, srv-lgwan01, term-lgwan01 | FortiGate, Squid, auth.log, Windows Security |
//! | `internet` 10.30.0.0/16 | インターネット接続系 | fw-inet, proxy-inet, srv-inet01 | PAN-OS, Squid, auth.log |
//!
//! Each zone has a server segment (10.Z.1.0/24) and a terminal segment (10.Z.2.0/23)
//! behind its firewall, a different make in each zone. Ordinary traffic keeps to what the
//! model allows: staff use their own zone's servers; lgwan reaches the internet zone only
//! through the sanitisation gateways in the DMZ 10.30.5.0/24 (screen transfer 10.30.5.10,
//! file sanitiser 10.30.5.20, mail text relay 10.30.5.25); the internet zone reaches the
//! Internet only through proxy-inet, whose parent is the prefecture's security cloud
//! (198.51.100.10); proxy-lgwan reaches only LGWAN-ASP services (172.16.0.0/12); core
//! talks to nobody. Every interactive logon on core takes a one-time code, checked by the
//! MFA server mfa-core01 over RADIUS: SSH to srv-core01 (a key, then the code) and logons
//! at term-core, the shared counter terminal (at its console, or by remote desktop from
//! the admin jump host). term-lgwan01 is a shared lgwan terminal without MFA. Privileged
//! Windows logons (`adm-` accounts) come only from the jump hosts. The firewalls also drop
//! the usual noise: NetBIOS broadcasts, SMB's port 139, a blocked RDP or SSH attempt. The
//! full address plan is in `city.rs`; a configuration that wants the demo's gateways,
//! proxies and admin hosts on its allowlists takes the addresses from there.
//!
//! # Formats
//!
//! One file per device under `sanso demo --out`, each line as the city's rsyslog
//! collector writes it (an RFC 3164 header without PRI), except Squid's access.log:
//!
//! | file | device | format | one line per |
//! |---|---|---|---|
//! | `fw-core.log` | Linux router, UFW | netfilter LOG, `[UFW ALLOW] `/`[UFW BLOCK] ` prefixes, through the kernel log | new connection, as it opens |
//! | `fw-lgwan.log` | FortiGate 100F, FortiOS 7.2 | key=value traffic log (`type="traffic"`, subtypes `forward` and `local`), no program tag | session, as it ends (`close`/`accept`); denial at once (`deny`) |
//! | `fw-inet.log` | PA-3220, PAN-OS 11.1 | syslog CSV TRAFFIC record, the 117 documented fields, no program tag | session, as it ends (`end`); denial at once (`deny`) |
//! | `proxy-inet-access.log`, `proxy-lgwan-access.log` | Squid | native access.log: CONNECT tunnels, ssl-bumped `https://` requests, cache hits, `TCP_DENIED/403`; users mostly `-` | request |
//! | `srv-core01-auth.log`, ... | Ubuntu server | OpenSSH, PAM, sudo, cron, systemd-logind | message |
//! | `term-core-security.log`, `term-lgwan01-security.log` | Windows 10 terminal | Security events 4624/4625/4634/4672 as winlogbeat JSON, tag `winlogbeat` | event |
//! | `mfa-core01-radius.log` | FreeRADIUS 3.2 with `totp` | radius.log `Auth:` lines (`Login OK`/`Login incorrect`, `Auth-Type=totp`), forwarded by imfile, tag `radiusd` | authentication |
//!
//! Interface names (FortiGate) and security zones (PAN-OS) are the ones the
//! configuration's `interfaces` lists map to zones (`fortigate::INTERFACES`,
//! `panos::ZONES`). Syslog headers carry Asia/Tokyo time without a year, as the devices
//! write them; inside the messages FortiGate, PAN-OS, winlogbeat and FreeRADIUS stamp
//! their own time (to the nanosecond, millisecond or second), never later than the
//! header; Squid carries epoch seconds. [`DemoLine::to_syslog`] gives the wire form for a
//! collector: the file line with its PRI, and Squid's line wrapped in a header.
//!
//! # Attack scenarios
//!
//! Each scenario instance is a burst from one reserved source inside the ordinary traffic
//! (see [`Scenario`] for what each looks like): SSH brute force and password spraying, a
//! port scan (on any of the three firewalls), flows across zone boundaries (netfilter and
//! FortiGate), exfiltration (Squid uploads and PAN-OS sessions carrying over 50 MB to one
//! outside address) and a remote desktop logon to term-core without MFA. A run has one
//! instance of each (always from 1 800 events, usually from 1 300), one more of each per
//! 50 000 events (up to 16), and never more than a quarter of its lines are attack lines.
//! Every attack line names its source, which is the key a detection should fire on
//! (`src_ip` in the ground truth). The ordinary traffic is capped per source well below
//! every rule threshold and never uses an attack source, so every alert a correct rule
//! raises points at a labelled line; `ordinary.rs` lists the caps.
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
//! - `firewall`: a connection as the first packet plus its session, and when each make
//!   of firewall logs it;
//! - `netfilter`, `fortigate`, `panos`, `squid`, `auth`, `windows`, `radius`: one vendor
//!   format each;
//! - `line`: [`DemoLine`] and rendering a drafted message with its time;
//! - `ordinary`: the ordinary traffic; `scenario`: the attacks and their plan;
//! - `generate`: the time-ordered merge of both; `queue`, `sample`: its helpers;
//! - `output`: [`write_files`]; `send`: [`send()`].

mod auth;
mod city;
mod firewall;
mod fortigate;
mod generate;
mod line;
mod netfilter;
mod ordinary;
mod output;
mod panos;
mod queue;
mod radius;
mod sample;
mod scenario;
mod send;
mod squid;
mod windows;

#[cfg(test)]
mod tests;

pub use generate::DemoSpec;
pub use output::write_files;
pub use send::{Transport, send};
