//! Borrowed, per-line views of parsed events.
//!
//! A parser returns one of these structs with every string borrowed from the input line,
//! so parsing allocates nothing per field; [`crate::batch::Batches`] copies the values
//! straight into Arrow builders. Fields the line does not carry stay `None` and become
//! nulls.

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// The outcome of parsing one line: which table it belongs to and its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A firewall event, for the `network` table.
    Network(NetworkEvent<'a>),
    /// A web proxy event, for the `http` table.
    Http(HttpEvent<'a>),
    /// An authentication event, for the `auth` table.
    Auth(AuthEvent<'a>),
    /// A message a mail gateway handled, for the `mail` table.
    Mail(MailEvent<'a>),
}

/// A firewall event (OCSF Network Activity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkEvent<'a> {
    /// Event time when the message itself carries one (otherwise the syslog header's).
    pub time: Option<Micros>,
    pub src_ip: Option<&'a str>,
    pub src_port: Option<u16>,
    pub dst_ip: Option<&'a str>,
    pub dst_port: Option<u16>,
    /// Lower-case protocol name: `tcp`, `udp`, `icmp`, ...
    pub protocol: Option<&'a str>,
    /// `allow`, `deny`, `drop` or `reset`.
    pub action: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub bytes_in: Option<u64>,
    pub bytes_out: Option<u64>,
    pub packets: Option<u64>,
    pub duration_ms: Option<u64>,
    pub src_intf: Option<&'a str>,
    pub dst_intf: Option<&'a str>,
    /// Zone names the device itself logged (PAN-OS zones), resolved through the zone map.
    pub src_device_zone: Option<&'a str>,
    pub dst_device_zone: Option<&'a str>,
    pub app: Option<&'a str>,
    pub threat_name: Option<&'a str>,
    pub threat_severity: Option<&'a str>,
    pub nat_src_ip: Option<&'a str>,
    pub nat_src_port: Option<u16>,
    pub nat_dst_ip: Option<&'a str>,
    pub nat_dst_port: Option<u16>,
    /// Fields the device logged that have no column of their own, in the order logged.
    pub extra: Vec<(&'a str, &'a str)>,
}

/// A web proxy event (OCSF HTTP Activity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpEvent<'a> {
    pub time: Option<Micros>,
    pub src_ip: Option<&'a str>,
    pub user: Option<&'a str>,
    pub method: Option<&'a str>,
    pub url: Option<&'a str>,
    pub url_host: Option<&'a str>,
    pub url_path: Option<&'a str>,
    pub status: Option<u16>,
    /// Bytes sent to the client (the response).
    pub bytes_in: Option<u64>,
    /// Bytes sent by the client (the request).
    pub bytes_out: Option<u64>,
    pub content_type: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub category: Option<&'a str>,
    /// `allow` or `block`.
    pub action: Option<&'a str>,
    /// Why the filter decided as it did, as the device logged it (i-FILTER's filter
    /// reason, InterSafe's 判定理由).
    pub reason: Option<&'a str>,
    pub duration_ms: Option<u64>,
    pub dst_ip: Option<&'a str>,
    pub cache_result: Option<&'a str>,
    /// Fields the device logged that have no column of their own, in the order logged.
    pub extra: Vec<(&'a str, &'a str)>,
}

/// An authentication event (OCSF Authentication).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthEvent<'a> {
    pub time: Option<Micros>,
    pub user: Option<&'a str>,
    pub user_domain: Option<&'a str>,
    pub src_ip: Option<&'a str>,
    pub src_host: Option<&'a str>,
    /// The host logged on to; the reporting device when the message does not say.
    pub dst_host: Option<&'a str>,
    /// `ssh`, `kerberos`, `ntlm`, `radius`, `vpn`, `sudo`, `su`, `pam`, ...
    pub protocol: Option<&'a str>,
    pub logon_type: Option<&'a str>,
    /// `logon`, `logoff`, `lockout`, `account_change`, `privilege_use` or `mfa`.
    pub activity: Option<&'a str>,
    /// `success` or `failure`.
    pub outcome: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub event_code: Option<i32>,
    pub is_mfa: Option<bool>,
    pub is_privileged: Option<bool>,
    /// Fields the device logged that have no column of their own, in the order logged.
    pub extra: Vec<(&'a str, &'a str)>,
}

/// A message a mail gateway handled (the sanitisation gateway between `internet` and
/// `lgwan` above all): who sent it to whom, how big, with which attachments, and what the
/// gateway did to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailEvent<'a> {
    pub time: Option<Micros>,
    /// The SMTP client that handed the message to the gateway.
    pub src_ip: Option<&'a str>,
    /// The server the gateway relayed the message to.
    pub dst_ip: Option<&'a str>,
    /// Envelope sender.
    pub sender: Option<&'a str>,
    /// Envelope recipients, in the order logged.
    pub recipients: Vec<&'a str>,
    /// Message size in bytes, attachments included.
    pub size: Option<u64>,
    /// Attachment file names, in the order logged.
    pub attachments: Vec<&'a str>,
    pub message_id: Option<&'a str>,
    /// The rule (or rule set) that decided the message's fate.
    pub rule: Option<&'a str>,
    /// `passed`, `text_converted`, `attachment_removed`, `held` or `rejected`.
    pub disposition: Option<&'a str>,
    /// Fields the device logged that have no column of their own, in the order logged.
    pub extra: Vec<(&'a str, &'a str)>,
}
