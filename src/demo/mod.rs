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
//! | `internet` 10.30.0.0/16 | インターネット接続系 | fw-inet, proxy-inet, ifilter-inet, srv-inet01, mfilter-gw | PAN-OS, Squid, i-FILTER, auth.log, m-FILTER |
//!
//! Each zone has a server segment (10.Z.1.0/24) and a terminal segment (10.Z.2.0/23)
//! behind its firewall, a different make in each zone. Ordinary traffic keeps to what the
//! model allows: staff use their own zone's servers; lgwan reaches the internet zone only
//! through the sanitisation gateways in the DMZ 10.30.5.0/24 (screen transfer 10.30.5.10,
//! file sanitiser 10.30.5.20, mail text relay 10.30.5.25, where m-FILTER (mfilter-gw)
//! turns inbound mail to text or strips its attachments, and holds or deletes spam,
//! before it goes on to the lgwan mail server); the internet zone reaches the Internet
//! only through its proxies, whose parent is the prefecture's security cloud
//! (198.51.100.10): Squid (proxy-inet) for the terminals below 10.30.2.128, i-FILTER
//! (ifilter-inet, 10.30.1.9), which refuses the sites the acceptable-use policy bars,
//! for the rest; proxy-lgwan reaches only LGWAN-ASP services (172.16.0.0/12); core
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
//! collector writes it (an RFC 3164 header without PRI), except the proxies' and
//! m-FILTER's own logs (`*-access.log`), written as the products write them:
//!
//! | file | device | format | one line per |
//! |---|---|---|---|
//! | `fw-core.log` | Linux router, UFW | netfilter LOG, `[UFW ALLOW] `/`[UFW BLOCK] ` prefixes, through the kernel log | new connection, as it opens |
//! | `fw-lgwan.log` | FortiGate 100F, FortiOS 7.2 | key=value traffic log (`type="traffic"`, subtypes `forward` and `local`), UTM logs (`utm`, `virus` and `ips`), SSL-VPN events (`event`, `vpn`), no program tag | session, as it ends (`close`/`accept`); denial at once (`deny`); detection; tunnel |
//! | `fw-inet.log` | PA-3220, PAN-OS 11.1 | syslog CSV TRAFFIC record, the 117 documented fields, and THREAT URL-filtering record, the 121 fields, no program tag | session, as it ends (`end`); denial at once (`deny`); blocked URL |
//! | `proxy-inet-access.log`, `proxy-lgwan-access.log` | Squid | native access.log: CONNECT tunnels, ssl-bumped `https://` requests, cache hits, `TCP_DENIED/403`; users mostly `-` | request |
//! | `ifilter-inet-access.log` | i-FILTER Ver.10 | access log, default layout (35 columns): `allow` (reason 0, category 12) or `block` (reason 63, category 87), URL-encoded user, group (Japanese department names) and user agent | request |
//! | `mfilter-gw-access.log` | m-FILTER Ver.5 | SMTP access log (54 comma-separated columns, UTF-8): sent on as text (`CHG_TEXT REP_LINK`) or without its attachment (`DEL_ATTACH CHG_TEXT`), held, deleted | message |
//! | `srv-core01-auth.log`, ... | Ubuntu server | OpenSSH, PAM, sudo, cron, systemd-logind | message |
//! | `term-core-security.log`, `term-lgwan01-security.log` | Windows 10 terminal | Security events 4624/4625/4634/4672 (and, in scenarios, 4720/4724/4732/4740/1102) as winlogbeat JSON, tag `winlogbeat` | event |
//! | `mfa-core01-radius.log` | FreeRADIUS 3.2 with `totp` | radius.log `Auth:` lines (`Login OK`/`Login incorrect`, `Auth-Type=totp`), forwarded by imfile, tag `radiusd` | authentication |
//!
//! Interface names (FortiGate) and security zones (PAN-OS) are the ones the
//! configuration's `interfaces` lists map to zones (`fortigate::INTERFACES`,
//! `panos::ZONES`). Syslog headers carry Asia/Tokyo time without a year, as the devices
//! write them; inside the messages FortiGate, PAN-OS, winlogbeat and FreeRADIUS stamp
//! their own time (to the nanosecond, millisecond or second), never later than the
//! header; Squid carries epoch seconds; i-FILTER and m-FILTER their own JST times, to
//! the second. [`DemoLine::to_syslog`] gives the wire form for a collector: the file
//! line with its PRI, and the proxies' and m-FILTER's lines wrapped in a header.
//!
//! # Attack scenarios
//!
//! One scenario for every rule of the policy rule pack (OMZ-01 to OMZ-22, `detect/rules`;
//! see [`Scenario`] for each and the rules it raises): flows the three-layer model
//! forbids (core out, core trying out and blocked, core's partner on a wrong port, lgwan
//! straight to the internet zone, unsanitised mail or files into lgwan, internet egress
//! around the security cloud), an unapproved SaaS from lgwan, malicious sites blocked by
//! URL filtering, antivirus and IPS hits, a lateral scan, a flood of denials, an
//! exfiltration, a remote desktop logon to term-core without MFA, brute force, a lockout,
//! password spraying, an administrator's account off its jump host, an account created
//! and made administrator by someone who is none, a guessed password, a vendor's VPN
//! without MFA, a logon after hours and the Security log cleared. Each instance is a
//! burst from one reserved source inside the ordinary traffic. A run has one instance of
//! each (all fit from 4 000 events), one more of each per 50 000 events (up to 16), and
//! never more than a quarter of its lines are attack lines; the after-hours logon only
//! where the run reaches past office hours, placed there.
//!
//! Every attack line carries its ground truth: the scenario, its source, and the alerts
//! the line is evidence for, each as the rule and the key the rule groups on (an
//! address, an account or a device; `expect.rs`). An interactive logon or an lgwan web
//! request outside office hours is also evidence for OMZ-21, whatever its scenario. The
//! ordinary traffic is capped per source well below every rule threshold, never uses an
//! attack source, and keeps office hours on core and lgwan, so every alert a correct
//! rule pack raises points at a labelled line; `ordinary.rs` lists the caps, and
//! `tests/demo_rule_pack.rs` scores the pack against the ground truth rule by rule.
//! The pack's clock-skew and silent-source checks have no scenario: they judge live
//! delivery, which a generated run does not have.

//! # Determinism
//!
//! [`generate()`] is a pure function of its [`DemoSpec`]: the same seed, count and start give
//! the same lines, byte for byte. Traffic keeps one pace (20 lines a second on average)
//! around the clock; at night and at weekends it is the machines' (`ordinary.rs`).
//!
//! # Layout
//!
//! - `city`: zones, devices, addresses, staff and sites (static data);
//! - `firewall`: a connection as the first packet plus its session, and when each make
//!   of firewall logs it;
//! - `netfilter`, `fortigate`, `panos`, `squid`, `ifilter`, `mfilter`, `auth`, `windows`,
//!   `radius`: one vendor format each;
//! - `line`: [`DemoLine`] and rendering a drafted message with its time;
//! - `ordinary`: the ordinary traffic; `scenario`: the attacks and their plan, and the
//!   guessing, scanning and exfiltration scenarios; `breaches`: the other policy
//!   scenarios; `expect`: the rules and keys the ground truth names, and office hours;
//! - `generate`: the time-ordered merge of both; `queue`, `sample`: its helpers;
//! - `output`: [`write_files`]; `send`: [`send()`].

mod auth;
mod breaches;
mod city;
mod expect;
mod firewall;
mod fortigate;
mod generate;
mod ifilter;
mod line;
mod mfilter;
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
