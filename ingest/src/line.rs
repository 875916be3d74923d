//! From one raw line to one row: decode, syslog envelope, format, zone.
//!
//! [`LineParser`] is built once per source from its [`ParseSettings`] and then fed the
//! framed lines of that source. For each line it
//!
//! 1. decodes the bytes into text with the source's encoding, keeping the original bytes
//!    whenever the text is not their exact UTF-8 (Shift_JIS appliances, broken bytes);
//! 2. reads the syslog envelope when there is one (a line that claims RFC 5424 but breaks
//!    its grammar is rejected with the reason, never guessed at);
//! 3. picks the format: the source's forced one, or by cheap content checks in a fixed
//!    order when the format is `auto`;
//! 4. appends exactly one row, to the event table of the format or to `unparsed` with
//!    the reason, so that lines in always equals rows out.

use std::borrow::Cow;
use std::sync::Arc;

use bumpalo::Bump;
use chrono_tz::Tz;
use encoding_rs::Encoding;

use crate::batch::{Batches, Common};
use crate::error::ParseError;
use crate::event::{AuthEvent, Event, Micros};
use crate::parsers::w3c::W3cState;
use crate::parsers::{
    cef, cisco_asa, combined, filterlog, fortigate, ifilter, intersafe, iptables, mfilter, openvpn,
    panos, radius, squid, sshd, w3c, windows, zscaler,
};
use crate::syslog::{self, SyslogMessage, TimeContext};
use crate::zones::{Zone, ZoneMap};

/// A log format sanso parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenSSH, PAM, sudo and su lines from auth.log.
    Sshd,
    /// Linux netfilter LOG lines.
    Iptables,
    /// pfSense/OPNsense filterlog CSV.
    Filterlog,
    /// FortiGate key=value (traffic, utm, event).
    Fortigate,
    /// Palo Alto PAN-OS CSV (TRAFFIC, THREAT).
    Panos,
    /// Cisco ASA/FTD `%ASA-n-nnnnnn` messages.
    CiscoAsa,
    /// ArcSight Common Event Format.
    Cef,
    /// Windows Security events as JSON or XML.
    Windows,
    /// FreeRADIUS radius.log.
    Radius,
    /// OpenVPN server logs.
    Openvpn,
    /// Zscaler NSS JSON.
    Zscaler,
    /// W3C extended / ELFF with `#Fields:` directives.
    W3c,
    /// Apache/NCSA combined.
    Combined,
    /// Squid native access.log.
    Squid,
    /// Digital Arts i-FILTER access log, in the default or a configured column layout.
    Ifilter,
    /// Digital Arts i-FILTER block log.
    IfilterBlock,
    /// ALSI InterSafe WebFilter access log.
    Intersafe,
    /// Digital Arts m-FILTER SMTP access and communication logs.
    Mfilter,
}

impl Format {
    /// Every format, in the order automatic detection tries them. Formats recognised by
    /// the program name in the syslog header come first, because the message text cannot
    /// change it: a user name such as `x IN= SRC=1.2.3.4` then cannot pass an
    /// authentication line off as a firewall event. Then formats with a distinctive
    /// marker (the Japanese appliances' fixed date shapes among them); the shape-only
    /// formats (W3C data lines, combined, Squid) come last.
    pub const ALL: [Format; 18] = [
        Format::Sshd,
        Format::Radius,
        Format::Openvpn,
        Format::Filterlog,
        Format::Iptables,
        Format::Fortigate,
        Format::Panos,
        Format::CiscoAsa,
        Format::Cef,
        Format::Windows,
        Format::Zscaler,
        Format::Ifilter,
        Format::IfilterBlock,
        Format::Intersafe,
        Format::Mfilter,
        Format::W3c,
        Format::Combined,
        Format::Squid,
    ];

    /// The name configuration, `--format` and the `format` column use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Sshd => sshd::NAME,
            Format::Iptables => iptables::NAME,
            Format::Filterlog => filterlog::NAME,
            Format::Fortigate => fortigate::NAME,
            Format::Panos => panos::NAME,
            Format::CiscoAsa => cisco_asa::NAME,
            Format::Cef => cef::NAME,
            Format::Windows => windows::NAME,
            Format::Radius => radius::NAME,
            Format::Openvpn => openvpn::NAME,
            Format::Zscaler => zscaler::NAME,
            Format::W3c => w3c::NAME,
            Format::Combined => combined::NAME,
            Format::Squid => squid::NAME,
            Format::Ifilter => ifilter::NAME,
            Format::IfilterBlock => ifilter::BLOCK_NAME,
            Format::Intersafe => intersafe::NAME,
            Format::Mfilter => mfilter::NAME,
        }
    }

    /// Looks a format up by name; `auto` is not a format but the absence of one.
    pub fn from_name(name: &str) -> Option<Self> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    fn looks_like(self, app: Option<&str>, msg: &str, state: &FormatState) -> bool {
        match self {
            Format::Sshd => sshd::looks_like(app, msg),
            Format::Iptables => iptables::looks_like(msg),
            Format::Filterlog => filterlog::looks_like(app, msg),
            Format::Fortigate => fortigate::looks_like(msg),
            Format::Panos => panos::looks_like(msg),
            Format::CiscoAsa => cisco_asa::looks_like(app, msg),
            Format::Cef => cef::looks_like(msg),
            Format::Windows => windows::looks_like(msg),
            Format::Radius => radius::looks_like(app, msg),
            Format::Openvpn => openvpn::looks_like(app, msg),
            Format::Zscaler => zscaler::looks_like(msg),
            Format::W3c => w3c::looks_like(&state.w3c, msg),
            Format::Combined => combined::looks_like(msg),
            Format::Squid => squid::looks_like(msg),
            Format::Ifilter => ifilter::looks_like(msg),
            Format::IfilterBlock => ifilter::looks_like_block(msg),
            Format::Intersafe => intersafe::looks_like(msg),
            Format::Mfilter => mfilter::looks_like(msg),
        }
    }

    fn parse<'a>(
        self,
        app: Option<&str>,
        msg: &'a str,
        arena: &'a Bump,
        state: &mut FormatState,
    ) -> Result<Event<'a>, ParseError> {
        match self {
            Format::Sshd => sshd::parse(app, msg).map(Event::Auth),
            Format::Iptables => iptables::parse(msg).map(Event::Network),
            Format::Filterlog => filterlog::parse(msg).map(Event::Network),
            Format::Fortigate => fortigate::parse(msg),
            Format::Panos => panos::parse(msg).map(Event::Network),
            Format::CiscoAsa => cisco_asa::parse(app, msg).map(Event::Network),
            Format::Cef => cef::parse_in(msg, arena),
            Format::Windows => windows::parse(msg, arena).map(Event::Auth),
            Format::Radius => radius::parse(msg).map(Event::Auth),
            Format::Openvpn => openvpn::parse(msg).map(Event::Auth),
            Format::Zscaler => zscaler::parse(msg, arena).map(Event::Http),
            Format::W3c => w3c::parse_in(&mut state.w3c, msg, arena).map(Event::Http),
            Format::Combined => combined::parse(msg).map(Event::Http),
            Format::Squid => squid::parse(msg).map(Event::Http),
            Format::Ifilter => ifilter::parse_in(&state.ifilter, msg, arena).map(Event::Http),
            Format::IfilterBlock => ifilter::parse_block_in(msg, arena).map(Event::Http),
            Format::Intersafe => intersafe::parse(msg, state.timezone).map(Event::Http),
            Format::Mfilter => mfilter::parse_in(msg, state.timezone, arena).map(Event::Mail),
        }
    }
}

/// What formats remember between the lines of one source, and what they take from its
/// settings.
#[derive(Debug)]
struct FormatState {
    /// The column layout of the last `#Fields:` directive.
    w3c: W3cState,
    /// The source's i-FILTER access log layout.
    ifilter: Arc<ifilter::Layout>,
    /// For appliances that log local time without an offset.
    timezone: Tz,
}

impl FormatState {
    fn new(settings: &ParseSettings) -> Self {
        FormatState {
            w3c: W3cState::default(),
            ifilter: settings.ifilter_columns.clone().unwrap_or_default(),
            timezone: settings.timezone,
        }
    }
}

/// Per-source parse settings, from configuration.
#[derive(Debug, Clone)]
pub struct ParseSettings {
    /// The parser; `None` detects the format of each line from its content.
    pub format: Option<Format>,
    /// Forces the reporting zone of every line (otherwise from the device).
    pub zone: Option<Zone>,
    /// Forces the device name (otherwise the syslog host name, else the peer address).
    pub device: Option<String>,
    /// Character encoding of the source's bytes.
    pub encoding: &'static Encoding,
    /// Timezone of timestamps that carry none.
    pub timezone: Tz,
    /// The city's administrators and MFA servers, for `is_privileged` and `is_mfa`.
    pub auth: Arc<AuthPolicy>,
    /// The column order of the source's i-FILTER access log, when it is not the
    /// product's default (configuration key `columns`).
    pub ifilter_columns: Option<Arc<ifilter::Layout>>,
}

impl Default for ParseSettings {
    fn default() -> Self {
        ParseSettings {
            format: None,
            zone: None,
            device: None,
            encoding: encoding_rs::UTF_8,
            timezone: chrono_tz::Asia::Tokyo,
            auth: Arc::default(),
            ifilter_columns: None,
        }
    }
}

/// What the configuration says about accounts and multi-factor authentication; parsers
/// know the vendors' built-ins (Windows' Administrators, Domain Admins, 4672), this adds
/// the city's own. Names compare case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct AuthPolicy {
    /// Accounts whose every authentication event is privileged.
    pub admin_accounts: Vec<String>,
    /// Groups whose membership changes are privileged.
    pub admin_groups: Vec<String>,
    /// Devices whose successful authentications are MFA confirmations (the MFA server
    /// or the RADIUS server in front of it).
    pub mfa_devices: Vec<String>,
}

impl AuthPolicy {
    /// Marks what the configuration makes privileged or MFA on an event from `device`.
    fn apply(&self, event: &mut AuthEvent<'_>, device: Option<&str>) {
        let listed =
            |list: &[String], name: &str| list.iter().any(|l| l.eq_ignore_ascii_case(name));
        let admin_account = event.user.is_some_and(|u| listed(&self.admin_accounts, u));
        let admin_group = event
            .extra
            .iter()
            .any(|(k, v)| *k == "group" && listed(&self.admin_groups, v));
        if admin_account || admin_group {
            event.is_privileged = Some(true);
        }
        if device.is_some_and(|d| listed(&self.mfa_devices, d)) && event.outcome == Some("success")
        {
            event.is_mfa = Some(true);
            event.activity = Some("mfa");
        }
    }
}

/// One framed line and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    /// The line's bytes, without its terminator.
    pub bytes: &'a [u8],
    /// When it was received, UTC microseconds.
    pub received_at: Micros,
    /// Where it came from, for the `source` column.
    pub source: &'a str,
    /// The sending peer's address as text, the device of last resort.
    pub peer: Option<&'a str>,
}

/// Parses lines of one source into [`Batches`].
///
/// It owns the source's [`TimeContext`], whose offset cache makes zone-less timestamps
/// cheap to resolve; hence one parser per source and `&mut self` to parse.
pub struct LineParser {
    settings: ParseSettings,
    zones: Arc<ZoneMap>,
    time: TimeContext,
    state: FormatState,
    /// Scratch for values that cannot borrow from the line (unescaped JSON strings);
    /// reset for every line, so it settles at the size of the largest line's needs.
    arena: Bump,
}

impl LineParser {
    /// A parser for a source with `settings`, resolving device zones through `zones`.
    pub fn new(settings: ParseSettings, zones: Arc<ZoneMap>) -> Self {
        let time = TimeContext::new(settings.timezone, 0);
        let state = FormatState::new(&settings);
        LineParser {
            settings,
            zones,
            time,
            state,
            arena: Bump::new(),
        }
    }

    /// The settings this parser was built with.
    pub fn settings(&self) -> &ParseSettings {
        &self.settings
    }

    /// Parses one line and appends exactly one row to `out`.
    pub fn parse_into(&mut self, line: &RawLine<'_>, out: &mut Batches) {
        self.time.received_at = line.received_at;
        let (text, raw_bytes) = self.decode(line.bytes);
        let claims_rfc5424 = claims_rfc5424(&text);
        // A W3C data line starts with `yyyy-mm-dd hh:mm:ss`, which reads as an RFC 3164
        // header with an ISO stamp: a line that fits the source's declared W3C layout is
        // taken whole.
        let w3c_line = !claims_rfc5424 && w3c::looks_like(&self.state.w3c, &text);
        // So does an i-FILTER access line, which starts with its own `Sep 19 19:26:56`
        // (else its process number would become the device): one in the default layout
        // when detecting, any line without a PRI on a source declared `ifilter`, whose
        // layout may be the city's own.
        let ifilter_line = !claims_rfc5424
            && match self.settings.format {
                None => ifilter::is_bare_line(&text),
                Some(Format::Ifilter) => !text.starts_with('<'),
                Some(_) => false,
            };
        let taken_whole = w3c_line || ifilter_line;
        let envelope = if !taken_whole && (claims_rfc5424 || syslog::looks_like_syslog(&text)) {
            match syslog::parse(&text, &self.time) {
                Ok(message) => Some(message),
                Err(err) if claims_rfc5424 => {
                    let common = self.common(line, &text, raw_bytes, None, None, None);
                    out.push_unparsed(&common, &err.to_string(), Some("syslog"));
                    return;
                }
                // A loose line that only looked like syslog: parse it whole.
                Err(_) => None,
            }
        } else {
            None
        };
        let msg = envelope.as_ref().map_or(&*text, |m| m.msg);
        let app = envelope.as_ref().and_then(|m| m.app_name);
        self.arena.reset();
        match Self::parse_message(&self.settings, &mut self.state, &self.arena, app, msg) {
            Ok((format, mut event)) => {
                let common = self.common(
                    line,
                    &text,
                    raw_bytes,
                    envelope.as_ref(),
                    event_time(&event),
                    Some(format),
                );
                if let Event::Auth(auth) = &mut event {
                    self.settings.auth.apply(auth, common.device);
                }
                out.push(&common, &event);
            }
            Err((guess, err)) => {
                let common = self.common(line, &text, raw_bytes, envelope.as_ref(), None, guess);
                out.push_unparsed(&common, &err.to_string(), guess.or(app));
            }
        }
    }

    fn parse_message<'m>(
        settings: &ParseSettings,
        state: &mut FormatState,
        arena: &'m Bump,
        app: Option<&str>,
        msg: &'m str,
    ) -> Result<(&'static str, Event<'m>), (Option<&'static str>, ParseError)> {
        let format = settings
            .format
            .or_else(|| {
                Format::ALL
                    .into_iter()
                    .find(|f| f.looks_like(app, msg, state))
            })
            .ok_or((None, ParseError::NoFormat))?;
        format
            .parse(app, msg, arena, state)
            .map(|event| (format.name(), event))
            .map_err(|err| (Some(format.name()), err))
    }

    /// Decodes the line's bytes. The original bytes come back too unless the text is
    /// exactly their UTF-8, so that evidence is never lost to decoding.
    fn decode<'b>(&self, bytes: &'b [u8]) -> (Cow<'b, str>, Option<&'b [u8]>) {
        if self.settings.encoding == encoding_rs::UTF_8 {
            return match std::str::from_utf8(bytes) {
                Ok(text) => (Cow::Borrowed(text), None),
                Err(_) => (String::from_utf8_lossy(bytes), Some(bytes)),
            };
        }
        let (text, _, _) = self.settings.encoding.decode(bytes);
        // `decode` drops a byte-order mark and may then borrow the rest: the text is the
        // line's bytes only when it borrows all of them.
        let raw_bytes = match &text {
            Cow::Borrowed(borrowed) if borrowed.len() == bytes.len() => None,
            _ => Some(bytes),
        };
        (text, raw_bytes)
    }

    fn common<'c>(
        &'c self,
        line: &RawLine<'c>,
        text: &'c str,
        raw_bytes: Option<&'c [u8]>,
        envelope: Option<&SyslogMessage<'c>>,
        event_time: Option<Micros>,
        format: Option<&'c str>,
    ) -> Common<'c> {
        let device = self
            .settings
            .device
            .as_deref()
            .or_else(|| envelope.and_then(|m| m.hostname))
            .or(line.peer);
        let zone = self
            .settings
            .zone
            .or_else(|| device.and_then(|d| self.zones.zone_of_device(d)))
            .or_else(|| line.peer.and_then(|p| self.zones.zone_of_ip_str(p)));
        Common {
            time: event_time
                .or_else(|| envelope.and_then(|m| m.time))
                .unwrap_or(line.received_at),
            received_at: line.received_at,
            zone,
            device,
            format,
            source: line.source,
            raw: text,
            raw_bytes,
        }
    }
}

fn event_time(event: &Event<'_>) -> Option<Micros> {
    match event {
        Event::Network(e) => e.time,
        Event::Http(e) => e.time,
        Event::Auth(e) => e.time,
        Event::Mail(e) => e.time,
    }
}

/// `<PRI>` followed by a version number and a space: the sender promises RFC 5424 (no
/// RFC 3164 header has digits and a space right after the PRI), so a broken header is
/// an error to report, not a message to guess at.
fn claims_rfc5424(text: &str) -> bool {
    let bytes = text.trim_start_matches('\u{feff}').as_bytes();
    let Some(rest) = bytes.strip_prefix(b"<") else {
        return false;
    };
    let Some(close) = rest.iter().position(|&b| b == b'>') else {
        return false;
    };
    let after = &rest[close + 1..];
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && after.get(digits) == Some(&b' ')
}
