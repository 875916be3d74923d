//! Windows Security events as JSON (winlogbeat, NXLog, evtx_dump) or as the event's own
//! XML, one event per line.
//!
//! # What is accepted
//!
//! One event per message, in any of four shapes (see the `json` and `xml` modules for
//! how each is read):
//!
//! * winlogbeat: `{"@timestamp": .., "winlog": {"event_id": 4625 | "4625", "channel":
//!   "Security", "computer_name": .., "event_data": {..}}, "event": {..}, ..}`;
//! * NXLog `to_json()`: flat `{"EventTime": .., "Hostname": .., "EventID": 4625,
//!   "Channel": "Security", "TargetUserName": .., ..}`, with or without Logstash's
//!   `@timestamp`;
//! * evtx_dump: `{"Event": {"System": {"EventID": .., "TimeCreated": {"#attributes":
//!   {"SystemTime": ..}}, ..}, "EventData": {..} | "UserData": {..}}}`;
//! * the event XML, `<Event xmlns=..><System>..</System><EventData><Data Name='..'>..
//!   </Data></EventData></Event>`, also with an `<?xml ..?>` declaration before it or
//!   Event Viewer's `- ` markers in it.
//!
//! Only the Security log is read: the channel must be `Security` (any case) or, when a
//! shipper leaves the channel out, the provider `Microsoft-Windows-Security-Auditing`.
//! Other channels (Sysmon, System, PowerShell) are rejected with a reason, and so is
//! every Security event whose ID is not in the table below ("windows: event id not
//! mapped"): they land in the `unparsed` table, nothing is dropped.
//!
//! # Events
//!
//! | ID | activity | outcome | `user` (`user_domain`) | notes |
//! |---|---|---|---|---|
//! | 4624 | logon | success | TargetUserName (TargetDomainName) | |
//! | 4625 | logon | failure | TargetUserName (TargetDomainName) | `reason` from SubStatus, else Status |
//! | 4634, 4647 | logoff | success | TargetUserName (TargetDomainName) | |
//! | 4648 | logon | audit result | TargetUserName (TargetDomainName) | `reason` `explicit credentials`; `dst_host` TargetServerName and `src_host` the computer, unless the target is `localhost` |
//! | 4672 | privilege_use | success | SubjectUserName (SubjectDomainName) | `is_privileged` true; `reason` `special privileges assigned` |
//! | 4720, 4722–4726 | account_change | audit result | TargetUserName (TargetDomainName) | `reason` `user created`, `user enabled`, `password changed`, `password reset`, `user disabled`, `user deleted` |
//! | 4728, 4732, 4756 | account_change | success | MemberName, else MemberSid | group TargetUserName → `extra['group']`, TargetDomainName → `extra['group_domain']`; `is_privileged` true for a built-in administrative group; `reason` `member added to group` |
//! | 4740 | lockout | failure | TargetUserName | `src_host` TargetDomainName (the caller computer); `reason` `account locked out` |
//! | 4768 | logon | Status `0x0` or not | TargetUserName (TargetDomainName) | `protocol` kerberos; `reason` from the Kerberos result code |
//! | 4771 | logon | failure | TargetUserName | `protocol` kerberos; `reason` from the failure code (`Status`) |
//! | 4776 | logon | Status `0x0` or not | TargetUserName | `protocol` ntlm; `src_host` Workstation; `reason` from Status |
//! | 1102 | privilege_use | success | SubjectUserName (SubjectDomainName) | `reason` `audit log cleared`; `is_privileged` true |
//!
//! The audit log being cleared is not a logon, and "audit_clear" is not an activity the
//! schema allows; clearing the Security log requires the `SeSecurityPrivilege` right,
//! so it is recorded as the use of a privilege. "Audit result" means the event's own
//! Audit Success / Audit Failure flag (System `Keywords` bits, NXLog `EventType`,
//! winlogbeat `winlog.keywords` or `event.outcome`), `success` when none is given.
//!
//! # Columns
//!
//! | column | from |
//! |---|---|
//! | `time` | `TimeCreated/@SystemTime` (XML, evtx_dump); `@timestamp` (winlogbeat); NXLog's `EventTime` when it carries a zone, else Logstash's `@timestamp` (the collector's clock, seconds after the event) when present, else null so that the pipeline uses the syslog header or receive time. A zone-less `EventTime` is kept in `extra` |
//! | `dst_host` | `Computer` / `computer_name` / NXLog `Hostname` (4648: see above) |
//! | `src_ip` | `IpAddress` when it is an IP address; `::1` and `127.0.0.1` (local logons) are kept as given, the IPv4-mapped `::ffff:` prefix is removed so zone ranges match |
//! | `src_host` | `WorkstationName` (4776: `Workstation`; 4740: caller computer) |
//! | `logon_type` | `LogonType` by name: 0 `system`, 2 `interactive`, 3 `network`, 4 `batch`, 5 `service`, 7 `unlock`, 8 `network_cleartext`, 9 `new_credentials`, 10 `remote_interactive`, 11 `cached_interactive`, 12 `cached_remote_interactive`, 13 `cached_unlock`; other values as given |
//! | `protocol` | `AuthenticationPackageName` lower-cased (`kerberos`, `ntlm`, `negotiate`; MSV1_0 is `ntlm`), else `LogonProcessName` when it names one (`NtLmSsp`, `Kerberos`, `Negotiate`); `kerberos` for 4768/4771, `ntlm` for 4776 |
//! | `reason` | failures: the NTSTATUS or Kerberos code by name from the tables in this file (`bad password`, `no such user`, `account locked out`, `account disabled`, `outside logon hours`, `password expired`, ...); a code not in the table is given as written (`0xc0000413`) |
//! | `event_code` | the event ID |
//! | `is_privileged` | see the table; otherwise null (unknown, not false) |
//! | `is_mfa` | null: a Security event does not say whether a second factor was used |
//!
//! Every other event data field goes to `extra` under its own name, in the order
//! logged, except that `SubjectUserName` / `SubjectDomainName` (the account that
//! performed the action, when it is not `user`) become `subject_user` /
//! `subject_domain`. `Status` and `SubStatus` stay in `extra` beside the `reason` made
//! from them, since several codes share a reason. Values `-` and empty values (Windows'
//! way of writing "none") are left out, and so are fields of the shippers' envelopes
//! (NXLog's `Message`, `SeverityValue`, ...; winlogbeat's ECS objects): the `raw`
//! column keeps the whole line.
//!
//! Administrative groups (4728/4732/4756) are recognised by a static list, by SID
//! (`S-1-5-32-544` Administrators, `-548`..`-551` Account/Server/Print/Backup
//! Operators; domain RIDs `-512` Domain Admins, `-518` Schema Admins, `-519` Enterprise
//! Admins, `-526`/`-527` Key Admins), so that localised group names match too, or by
//! name (also `DnsAdmins`). Site-specific admin groups are a configuration matter for
//! later.
//!
//! # Performance
//!
//! One forward pass over the line: a small JSON scanner or XML tag scanner (no XML or
//! JSON crate, no DOM), values borrowed from the line, and only escaped strings copied
//! into the per-line arena. Event data lands in fixed slots for the fields that map to
//! columns and in the `extra` vector (allocated once per line, sized for a typical
//! event) for the rest. For XML and evtx_dump, whose `System` precedes the data, an
//! event that will be rejected (other channel, unmapped ID) stops before its data is
//! read. The NTSTATUS and Kerberos tables are `match`es on integers. Time stamps are
//! read with chrono's RFC 3339 parser. Measured (release build, thread CPU time on one
//! core of a busy 2-core machine, `windows_json_throughput` in `tests/auth_formats.rs`)
//! at about 2.2 µs per NXLog record of 2.4 kB with its rendered message (~450 k
//! events/s, 1 GB/s), 1.05 µs per evtx_dump record of 1 kB (~950 k events/s) and 1.7 µs
//! per event XML line of 1.1 kB (~580 k events/s).

mod json;
mod xml;

use std::net::IpAddr;

use bumpalo::Bump;
use memchr::memmem;

use crate::error::ParseError;
use crate::event::{AuthEvent, Micros};

/// The format's name in configuration and in the `format` column.
pub const NAME: &str = "windows";

/// Cheap check that a message is a Windows event: a JSON object naming an `EventID`
/// (NXLog), a `winlog` object (winlogbeat) or an `Event` object (evtx_dump), or an
/// `<Event` element (optionally after an XML declaration or Event Viewer's `- `).
pub fn looks_like(msg: &str) -> bool {
    let text = msg.trim_start();
    match text.as_bytes().first() {
        Some(b'{') => {
            let b = text.as_bytes();
            memmem::find(b, b"\"EventID\"").is_some()
                || memmem::find(b, b"\"winlog\"").is_some()
                || memmem::find(b, b"\"Event\"").is_some()
        }
        Some(_) => xml_start(text).is_some(),
        None => false,
    }
}

/// Parses one Windows Security event into an authentication event. Strings that the
/// shapes escape (JSON `\"`, XML `&amp;`) are unescaped into `arena`; everything else
/// borrows from `msg`.
///
/// # Errors
///
/// [`ParseError::Unrecognised`] for text that is neither shape or is malformed (a
/// truncated line), for another channel, and for an event ID that is not mapped;
/// [`ParseError::MissingField`] for an event without an ID, or without channel and
/// provider; [`ParseError::InvalidField`] for an ID that is not a number.
pub fn parse<'a>(msg: &'a str, arena: &'a Bump) -> Result<AuthEvent<'a>, ParseError> {
    let text = msg.trim();
    let mut rec = Record::default();
    let read = match text.as_bytes().first() {
        Some(b'{') => {
            json::read(text, arena, &mut rec).map_err(|stop| stop.error("malformed JSON"))
        }
        _ => match xml_start(text) {
            Some(start) => xml::read(&text[start..], arena, &mut rec)
                .map_err(|stop| stop.error("malformed XML")),
            None => return Err(unrecognised("neither a JSON object nor an <Event> element")),
        },
    };
    read.and_then(|()| rec.check_header())?;
    rec.into_event(arena)
}

/// Where the `<Event` element starts: at once, after Event Viewer's `- ` marker, or after
/// an XML declaration.
fn xml_start(text: &str) -> Option<usize> {
    let trimmed = text.trim_start();
    let offset = text.len() - trimmed.len();
    let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let start = if body.starts_with("<?xml") {
        memmem::find(body.as_bytes(), b"<Event")?
    } else {
        0
    };
    let after = body.as_bytes().get(start + 6..)?;
    (body[start..].starts_with("<Event") && matches!(after.first(), Some(b' ' | b'>' | b'\t')))
        .then(|| offset + (trimmed.len() - body.len()) + start)
}

/// Why a shape reader stopped before the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Not well-formed, or truncated.
    Malformed,
    /// Well-formed so far, but the event will be rejected for this reason.
    Reject(ParseError),
}

impl Stop {
    fn error(self, malformed: &'static str) -> ParseError {
        match self {
            Stop::Malformed => unrecognised(malformed),
            Stop::Reject(err) => err,
        }
    }
}

/// What the shapes have in common: the System fields that are read, the event data,
/// and the `extra` pairs collected so far.
#[derive(Debug, Default)]
struct Record<'a> {
    event_id: Option<&'a str>,
    channel: Option<&'a str>,
    provider: Option<&'a str>,
    computer: Option<&'a str>,
    /// From a stamp that carries its zone.
    time: Option<Micros>,
    /// Logstash's `@timestamp` on an NXLog record: used only when `time` is unknown.
    collector_time: Option<Micros>,
    /// The audit flag: `Some(true)` Audit Success, `Some(false)` Audit Failure.
    audit_success: Option<bool>,
    /// Event data fields that may map to columns, by [`Field`].
    fields: [Option<&'a str>; Field::COUNT],
    /// Other event data fields, in the order logged.
    extra: Vec<(&'a str, &'a str)>,
}

impl<'a> Record<'a> {
    /// Keeps one event data field; `-` and empty values mean "none" and are dropped.
    fn data(&mut self, key: &'a str, value: &'a str) {
        let value = value.trim();
        if value.is_empty() || value == "-" {
            return;
        }
        match Field::of(key) {
            Some(field) => self.fields[field as usize] = Some(value),
            None => {
                if self.extra.capacity() == 0 {
                    // One allocation per line, sized for a 4624 with its two dozen fields.
                    self.extra.reserve(24);
                }
                self.extra.push((key, value));
            }
        }
    }

    fn get(&self, field: Field) -> Option<&'a str> {
        self.fields[field as usize]
    }

    /// Moves a field out, to a column: it will not be repeated in `extra`.
    fn take(&mut self, field: Field) -> Option<&'a str> {
        self.fields[field as usize].take()
    }

    /// The System `Keywords` mask (`0x8010000000000000`, or NXLog's signed decimal).
    fn audit_from_keywords(&mut self, keywords: Option<&str>) {
        let Some(text) = keywords.map(str::trim) else {
            return;
        };
        let mask = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text
                .parse::<u64>()
                .ok()
                .or_else(|| text.parse::<i64>().ok().map(|v| v as u64)),
        };
        const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;
        const AUDIT_SUCCESS: u64 = 0x0020_0000_0000_0000;
        match mask {
            Some(m) if m & AUDIT_FAILURE != 0 => self.audit_success = Some(false),
            Some(m) if m & AUDIT_SUCCESS != 0 => self.audit_success = Some(true),
            _ => {}
        }
    }

    /// The audit flag by name: NXLog `AUDIT_SUCCESS`, winlogbeat `Audit Failure`, ECS
    /// `event.outcome` `success`.
    fn audit_from_name(&mut self, name: Option<&str>) {
        match name.map(str::trim) {
            Some("AUDIT_SUCCESS" | "Audit Success" | "success") => self.audit_success = Some(true),
            Some("AUDIT_FAILURE" | "Audit Failure" | "failure") => self.audit_success = Some(false),
            _ => {}
        }
    }

    /// Called when the event data starts: stops early for an event that
    /// [`Self::check_header`] would reject, so its data is not read for nothing.
    fn check_before_data(&self) -> Result<(), Stop> {
        if self.event_id.is_none() || (self.channel.is_none() && self.provider.is_none()) {
            // Not known yet in this shape: decide at the end.
            return Ok(());
        }
        self.check_header().map_err(Stop::Reject)
    }

    /// The channel is Security and the event ID is mapped.
    fn check_header(&self) -> Result<(), ParseError> {
        match (self.channel, self.provider) {
            (Some(channel), _) if channel.trim().eq_ignore_ascii_case("Security") => {}
            (Some(_), _) => return Err(unrecognised("not a Security channel event")),
            (None, Some(provider)) if provider.trim() == SECURITY_PROVIDER => {}
            (None, Some(_)) => return Err(unrecognised("not a Security-Auditing provider event")),
            (None, None) => return Err(missing("Channel")),
        }
        let id = self.id()?;
        if Event::of(id).is_none() {
            return Err(unrecognised("event id not mapped"));
        }
        Ok(())
    }

    fn id(&self) -> Result<i32, ParseError> {
        let text = self.event_id.ok_or(missing("EventID"))?;
        text.trim().parse().map_err(|_| ParseError::InvalidField {
            format: NAME,
            field: "EventID",
        })
    }

    /// Maps the record to an authentication event (see the module table).
    fn into_event(mut self, arena: &'a Bump) -> Result<AuthEvent<'a>, ParseError> {
        let id = self.id()?;
        let kind = Event::of(id).ok_or(unrecognised("event id not mapped"))?;
        let mut e = AuthEvent {
            time: self.time.or(self.collector_time),
            dst_host: self.computer.map(str::trim).filter(|c| !c.is_empty()),
            event_code: Some(id),
            ..AuthEvent::default()
        };
        let audit = self
            .audit_success
            .map_or(SUCCESS, |ok| if ok { SUCCESS } else { FAILURE });
        let mut group_event = false;
        match kind {
            Event::Logon | Event::LogonFailed | Event::Logoff => {
                self.target_user(&mut e);
                self.source(&mut e);
                e.logon_type = self.take(Field::LogonType).map(logon_type);
                e.protocol = self.protocol(arena);
                (e.activity, e.outcome) = match kind {
                    Event::Logon => (Some(LOGON), Some(SUCCESS)),
                    Event::Logoff => (Some(LOGOFF), Some(SUCCESS)),
                    _ => (Some(LOGON), Some(FAILURE)),
                };
                if kind == Event::LogonFailed {
                    e.reason = self
                        .status_reason(Field::SubStatus)
                        .or_else(|| self.status_reason(Field::Status));
                }
            }
            Event::ExplicitCredentials => {
                self.target_user(&mut e);
                self.source(&mut e);
                if let Some(server) = self.get(Field::TargetServerName)
                    && !server.eq_ignore_ascii_case("localhost")
                {
                    self.take(Field::TargetServerName);
                    e.src_host = e.dst_host;
                    e.dst_host = Some(server);
                }
                (e.activity, e.outcome, e.reason) =
                    (Some(LOGON), Some(audit), Some("explicit credentials"));
            }
            Event::SpecialPrivileges | Event::AuditLogCleared => {
                e.user = self.take(Field::SubjectUserName);
                e.user_domain = self.take(Field::SubjectDomainName);
                (e.activity, e.outcome, e.is_privileged) =
                    (Some(PRIVILEGE_USE), Some(SUCCESS), Some(true));
                e.reason = Some(if kind == Event::AuditLogCleared {
                    "audit log cleared"
                } else {
                    "special privileges assigned"
                });
            }
            Event::AccountChanged(what) => {
                self.target_user(&mut e);
                (e.activity, e.outcome, e.reason) = (Some(ACCOUNT_CHANGE), Some(audit), Some(what));
            }
            Event::MemberAdded => {
                e.user = self
                    .take(Field::MemberName)
                    .or_else(|| self.take(Field::MemberSid));
                let group = self.get(Field::TargetUserName);
                let admin = group.is_some_and(is_admin_group_name)
                    || self.get(Field::TargetSid).is_some_and(is_admin_group_sid);
                e.is_privileged = admin.then_some(true);
                (e.activity, e.outcome, e.reason) = (
                    Some(ACCOUNT_CHANGE),
                    Some(audit),
                    Some("member added to group"),
                );
                group_event = true;
            }
            Event::Lockout => {
                e.user = self.take(Field::TargetUserName);
                // 4740 logs the caller computer in the TargetDomainName field.
                e.src_host = self.take(Field::TargetDomainName);
                (e.activity, e.outcome, e.reason) =
                    (Some("lockout"), Some(FAILURE), Some("account locked out"));
            }
            Event::KerberosTgt | Event::KerberosPreauthFailed => {
                self.target_user(&mut e);
                self.source(&mut e);
                e.protocol = Some("kerberos");
                let status = self.get(Field::Status);
                let failed = kind == Event::KerberosPreauthFailed
                    || match status.map(hex) {
                        Some(Some(0)) => false,
                        Some(_) => true,
                        None => audit == FAILURE,
                    };
                e.activity = Some(LOGON);
                e.outcome = Some(if failed { FAILURE } else { SUCCESS });
                if failed {
                    e.reason = status.map(|s| kerberos_reason(s).unwrap_or(s));
                }
            }
            Event::NtlmValidation => {
                self.target_user(&mut e);
                e.src_host = self.take(Field::Workstation);
                e.protocol = Some("ntlm");
                e.activity = Some(LOGON);
                e.reason = self.status_reason(Field::Status);
                e.outcome = Some(match self.get(Field::Status).map(hex) {
                    Some(Some(0)) => SUCCESS,
                    Some(_) => FAILURE,
                    None => audit,
                });
            }
        }
        self.finish_extra(&mut e, group_event);
        Ok(e)
    }

    /// `user` and `user_domain` from the Target fields.
    fn target_user(&mut self, e: &mut AuthEvent<'a>) {
        e.user = self.take(Field::TargetUserName);
        e.user_domain = self.take(Field::TargetDomainName);
    }

    /// `src_ip` from `IpAddress` (when it is an address) and `src_host` from
    /// `WorkstationName`.
    fn source(&mut self, e: &mut AuthEvent<'a>) {
        if let Some(ip) = self.get(Field::IpAddress).and_then(ip_address) {
            self.take(Field::IpAddress);
            e.src_ip = Some(ip);
        }
        e.src_host = self.take(Field::WorkstationName);
    }

    /// From the authentication package, else the logon process when it names one.
    fn protocol(&mut self, arena: &'a Bump) -> Option<&'a str> {
        if let Some(package) = self.take(Field::AuthenticationPackageName) {
            return Some(match package {
                "Kerberos" => "kerberos",
                "NTLM" | "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0" => "ntlm",
                "Negotiate" => "negotiate",
                other if other.bytes().any(|b| b.is_ascii_uppercase()) => {
                    arena.alloc_str(&other.to_ascii_lowercase())
                }
                other => other,
            });
        }
        match self.get(Field::LogonProcessName) {
            Some("NtLmSsp") => Some("ntlm"),
            Some("Kerberos") => Some("kerberos"),
            Some("Negotiate") => Some("negotiate"),
            _ => None,
        }
    }

    /// The reason for an NTSTATUS field, unless it is absent or `0x0` (no error).
    fn status_reason(&self, field: Field) -> Option<&'a str> {
        let code = self.get(field)?;
        match hex(code) {
            Some(0) => None,
            Some(value) => Some(ntstatus_reason(value).unwrap_or(code)),
            None => Some(code),
        }
    }

    /// Appends the fields that did not become columns to `extra`, renamed where the
    /// module documentation says so.
    fn finish_extra(&mut self, e: &mut AuthEvent<'a>, group_event: bool) {
        let mut extra = std::mem::take(&mut self.extra);
        for (i, value) in self.fields.iter().enumerate() {
            let Some(value) = *value else { continue };
            let field = Field::ALL[i];
            let key = match field {
                Field::SubjectUserName => "subject_user",
                Field::SubjectDomainName => "subject_domain",
                Field::TargetUserName if group_event => "group",
                Field::TargetDomainName if group_event => "group_domain",
                _ => field.name(),
            };
            extra.push((key, value));
        }
        e.extra = extra;
    }
}

const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";

const LOGON: &str = "logon";
const LOGOFF: &str = "logoff";
const PRIVILEGE_USE: &str = "privilege_use";
const ACCOUNT_CHANGE: &str = "account_change";
const SUCCESS: &str = "success";
const FAILURE: &str = "failure";

/// The mapped event IDs, grouped by how they map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Logon,
    LogonFailed,
    Logoff,
    ExplicitCredentials,
    SpecialPrivileges,
    /// A user account change, with its `reason`.
    AccountChanged(&'static str),
    MemberAdded,
    Lockout,
    KerberosTgt,
    KerberosPreauthFailed,
    NtlmValidation,
    AuditLogCleared,
}

impl Event {
    fn of(id: i32) -> Option<Event> {
        Some(match id {
            4624 => Event::Logon,
            4625 => Event::LogonFailed,
            4634 | 4647 => Event::Logoff,
            4648 => Event::ExplicitCredentials,
            4672 => Event::SpecialPrivileges,
            4720 => Event::AccountChanged("user created"),
            4722 => Event::AccountChanged("user enabled"),
            4723 => Event::AccountChanged("password changed"),
            4724 => Event::AccountChanged("password reset"),
            4725 => Event::AccountChanged("user disabled"),
            4726 => Event::AccountChanged("user deleted"),
            4728 | 4732 | 4756 => Event::MemberAdded,
            4740 => Event::Lockout,
            4768 => Event::KerberosTgt,
            4771 => Event::KerberosPreauthFailed,
            4776 => Event::NtlmValidation,
            1102 => Event::AuditLogCleared,
            _ => return None,
        })
    }
}

/// Event data fields that may become columns (or are read to decide one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    SubjectUserName,
    SubjectDomainName,
    TargetUserName,
    TargetDomainName,
    TargetSid,
    TargetServerName,
    MemberName,
    MemberSid,
    IpAddress,
    WorkstationName,
    Workstation,
    LogonType,
    AuthenticationPackageName,
    LogonProcessName,
    Status,
    SubStatus,
}

impl Field {
    const COUNT: usize = 16;
    const ALL: [Field; Field::COUNT] = [
        Field::SubjectUserName,
        Field::SubjectDomainName,
        Field::TargetUserName,
        Field::TargetDomainName,
        Field::TargetSid,
        Field::TargetServerName,
        Field::MemberName,
        Field::MemberSid,
        Field::IpAddress,
        Field::WorkstationName,
        Field::Workstation,
        Field::LogonType,
        Field::AuthenticationPackageName,
        Field::LogonProcessName,
        Field::Status,
        Field::SubStatus,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::SubjectUserName => "SubjectUserName",
            Field::SubjectDomainName => "SubjectDomainName",
            Field::TargetUserName => "TargetUserName",
            Field::TargetDomainName => "TargetDomainName",
            Field::TargetSid => "TargetSid",
            Field::TargetServerName => "TargetServerName",
            Field::MemberName => "MemberName",
            Field::MemberSid => "MemberSid",
            Field::IpAddress => "IpAddress",
            Field::WorkstationName => "WorkstationName",
            Field::Workstation => "Workstation",
            Field::LogonType => "LogonType",
            Field::AuthenticationPackageName => "AuthenticationPackageName",
            Field::LogonProcessName => "LogonProcessName",
            Field::Status => "Status",
            Field::SubStatus => "SubStatus",
        }
    }

    fn of(key: &str) -> Option<Field> {
        Some(match key {
            "SubjectUserName" => Field::SubjectUserName,
            "SubjectDomainName" => Field::SubjectDomainName,
            "TargetUserName" => Field::TargetUserName,
            "TargetDomainName" => Field::TargetDomainName,
            "TargetSid" => Field::TargetSid,
            "TargetServerName" => Field::TargetServerName,
            "MemberName" => Field::MemberName,
            "MemberSid" => Field::MemberSid,
            "IpAddress" => Field::IpAddress,
            "WorkstationName" => Field::WorkstationName,
            "Workstation" => Field::Workstation,
            "LogonType" => Field::LogonType,
            "AuthenticationPackageName" => Field::AuthenticationPackageName,
            "LogonProcessName" => Field::LogonProcessName,
            "Status" => Field::Status,
            "SubStatus" => Field::SubStatus,
            _ => return None,
        })
    }
}

/// Logon type names, after the LogonType values documented for event 4624.
fn logon_type(value: &str) -> &str {
    match value.trim() {
        "0" => "system",
        "2" => "interactive",
        "3" => "network",
        "4" => "batch",
        "5" => "service",
        "7" => "unlock",
        "8" => "network_cleartext",
        "9" => "new_credentials",
        "10" => "remote_interactive",
        "11" => "cached_interactive",
        "12" => "cached_remote_interactive",
        "13" => "cached_unlock",
        other => other,
    }
}

/// NTSTATUS codes of 4625 (Status, SubStatus) and 4776 (Status), after the tables in
/// Microsoft's documentation of those events.
fn ntstatus_reason(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_005E => "no logon servers",
        0xC000_0064 => "no such user",
        0xC000_006A => "bad password",
        0xC000_006C => "password restriction",
        0xC000_006D => "bad user name or password",
        0xC000_006E => "account restriction",
        0xC000_006F => "outside logon hours",
        0xC000_0070 => "workstation restriction",
        0xC000_0071 => "password expired",
        0xC000_0072 => "account disabled",
        0xC000_009A => "insufficient resources",
        0xC000_00DC => "sam server in wrong state",
        0xC000_0133 => "clock skew",
        0xC000_015B => "logon type not granted",
        0xC000_018C => "trust relationship failed",
        0xC000_0192 => "netlogon not started",
        0xC000_0193 => "account expired",
        0xC000_0224 => "password must change",
        0xC000_0225 => "internal error",
        0xC000_0234 => "account locked out",
        0xC000_02EE => "logon error",
        0xC000_0371 => "no secret in local account store",
        0xC000_0413 => "not allowed to authenticate",
        _ => return None,
    })
}

/// Kerberos result codes of 4768 and 4771 (RFC 4120 section 7.5.9, as listed in
/// Microsoft's documentation of those events).
fn kerberos_reason(code: &str) -> Option<&'static str> {
    Some(match hex(code)? {
        0x1 => "client entry expired",
        0x2 => "server entry expired",
        0x6 => "no such user",
        0x7 => "no such service",
        0xC => "policy restriction",
        0xD => "option not supported",
        0xE => "encryption type not supported",
        0x10 => "pre-authentication type not supported",
        0x12 => "account disabled, expired or locked out",
        0x17 => "password expired",
        0x18 => "bad password",
        0x19 => "pre-authentication required",
        0x1F => "integrity check failed",
        0x20 => "ticket expired",
        0x25 => "clock skew",
        0x3C => "generic error",
        0x3E => "client certificate not trusted",
        0x3F => "kdc certificate not trusted",
        0x40 => "invalid certificate signature",
        _ => return None,
    })
}

/// A `0x`-prefixed hex code (NTSTATUS and Kerberos codes are written so), or decimal.
fn hex(code: &str) -> Option<u32> {
    let code = code.trim();
    match code.strip_prefix("0x").or_else(|| code.strip_prefix("0X")) {
        Some(digits) => u32::from_str_radix(digits, 16).ok(),
        None => code.parse().ok(),
    }
}

/// Built-in administrative groups by name (English names; localised ones are matched
/// by SID).
fn is_admin_group_name(name: &str) -> bool {
    [
        "Administrators",
        "Domain Admins",
        "Enterprise Admins",
        "Schema Admins",
        "Account Operators",
        "Backup Operators",
        "Server Operators",
        "Print Operators",
        "Key Admins",
        "Enterprise Key Admins",
        "DnsAdmins",
    ]
    .iter()
    .any(|admin| admin.eq_ignore_ascii_case(name))
}

/// Built-in administrative groups by well-known SID or domain RID.
fn is_admin_group_sid(sid: &str) -> bool {
    let sid = sid.trim();
    if let Some(rid) = sid.strip_prefix("S-1-5-32-") {
        return matches!(rid, "544" | "548" | "549" | "550" | "551");
    }
    sid.starts_with("S-1-5-21-")
        && sid
            .rsplit_once('-')
            .is_some_and(|(_, rid)| matches!(rid, "512" | "518" | "519" | "526" | "527"))
}

/// An IP address as Windows logs it, without the IPv4-mapped prefix; `None` when the
/// text is not an address.
fn ip_address(text: &str) -> Option<&str> {
    let ip = text.strip_prefix("::ffff:").unwrap_or(text);
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => Some(ip),
        Ok(IpAddr::V6(_)) if ip.len() == text.len() => Some(ip),
        // `::ffff:` followed by an IPv6 address is not IPv4-mapped: keep it whole.
        _ => text.parse::<IpAddr>().ok().map(|_| text),
    }
}

/// Microseconds since the epoch of an RFC 3339 stamp that carries its zone (`Z` or an
/// offset; `T`, `t` or a space between date and time; any number of fractional digits).
/// A stamp without a zone gives `None`: it cannot be placed on the timeline here.
fn utc_micros(text: &str) -> Option<Micros> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_micros())
}

fn unrecognised(reason: &'static str) -> ParseError {
    ParseError::Unrecognised {
        format: NAME,
        reason,
    }
}

fn missing(field: &'static str) -> ParseError {
    ParseError::MissingField {
        format: NAME,
        field,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse_owned(msg: &str) -> Result<AuthEvent<'static>, ParseError> {
        let msg: &'static str = Box::leak(msg.to_owned().into_boxed_str());
        let arena: &'static Bump = Box::leak(Box::new(Bump::new()));
        parse(msg, arena)
    }

    fn extra<'e>(e: &'e AuthEvent<'_>, key: &str) -> Option<&'e str> {
        e.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    const XML_4625: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>\
        <System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>\
        <EventID>4625</EventID><Version>0</Version><Keywords>0x8010000000000000</Keywords>\
        <TimeCreated SystemTime='2026-11-25T01:00:00.1234567Z'/><EventRecordID>7</EventRecordID>\
        <Channel>Security</Channel><Computer>dc01.city.lg.jp</Computer><Security/></System>\
        <EventData><Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='SubjectUserName'>-</Data>\
        <Data Name='TargetUserName'>tanaka &amp; co</Data><Data Name='TargetDomainName'>CITY</Data>\
        <Data Name='Status'>0xc000006d</Data><Data Name='SubStatus'>0xC000006A</Data>\
        <Data Name='LogonType'>3</Data><Data Name='LogonProcessName'>NtLmSsp </Data>\
        <Data Name='AuthenticationPackageName'>NTLM</Data><Data Name='WorkstationName'>PC-0042</Data>\
        <Data Name='TransmittedServices'/><Data Name='IpAddress'>::ffff:10.20.1.5</Data>\
        <Data Name='IpPort'>51234</Data></EventData></Event>";

    #[test]
    fn xml_4625_field_by_field() {
        let e = parse_owned(XML_4625).unwrap();
        assert_eq!(
            e,
            AuthEvent {
                time: Some(1_795_568_400_123_456),
                user: Some("tanaka & co"),
                user_domain: Some("CITY"),
                src_ip: Some("10.20.1.5"),
                src_host: Some("PC-0042"),
                dst_host: Some("dc01.city.lg.jp"),
                protocol: Some("ntlm"),
                logon_type: Some("network"),
                activity: Some(LOGON),
                outcome: Some(FAILURE),
                reason: Some("bad password"),
                event_code: Some(4625),
                extra: vec![
                    ("SubjectUserSid", "S-1-0-0"),
                    ("IpPort", "51234"),
                    ("LogonProcessName", "NtLmSsp"),
                    ("Status", "0xc000006d"),
                    ("SubStatus", "0xC000006A"),
                ],
                ..AuthEvent::default()
            }
        );
    }

    #[test]
    fn the_four_shapes_agree() {
        let winlogbeat = r#"{"@timestamp":"2026-11-25T01:00:00.123Z","winlog":{"channel":"Security","event_id":"4625","computer_name":"dc01","provider_name":"Microsoft-Windows-Security-Auditing","keywords":["Audit Failure"],"event_data":{"TargetUserName":"tanaka","SubStatus":"0xc0000064","Status":"0xc000006d","IpAddress":"10.20.1.5","LogonType":"10"}},"event":{"code":"4625","outcome":"failure"},"host":{"name":"dc01"}}"#;
        let nxlog = r#"{"EventTime":"2026-11-25 10:00:00","Hostname":"dc01","Keywords":-9218868437227405312,"EventType":"AUDIT_FAILURE","EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","Message":"An account failed to log on.\r\n\r\nSubject:","TargetUserName":"tanaka","SubStatus":"0xc0000064","Status":"0xc000006d","IpAddress":"10.20.1.5","LogonType":"10"}"#;
        let evtx = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#attributes":{"Qualifiers":0},"#text":4625},"TimeCreated":{"#attributes":{"SystemTime":"2026-11-25T01:00:00.123Z"}},"Channel":"Security","Computer":"dc01","Security":null},"EventData":{"TargetUserName":"tanaka","SubStatus":"0xc0000064","Status":"0xc000006d","IpAddress":"10.20.1.5","LogonType":10}}}"##;
        let xml = "- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">- <System>  <EventID>4625</EventID> <TimeCreated SystemTime=\"2026-11-25T01:00:00.123Z\" /> <Channel>Security</Channel> <Computer>dc01</Computer> </System>- <EventData>  <Data Name=\"TargetUserName\">tanaka</Data> <Data Name=\"SubStatus\">0xc0000064</Data> <Data Name=\"Status\">0xc000006d</Data> <Data Name=\"IpAddress\">10.20.1.5</Data> <Data Name=\"LogonType\">10</Data> </EventData> </Event>";
        for msg in [winlogbeat, nxlog, evtx, xml] {
            assert!(looks_like(msg), "{msg}");
            let e = parse_owned(msg).unwrap();
            assert_eq!(e.user, Some("tanaka"), "{msg}");
            assert_eq!(e.src_ip, Some("10.20.1.5"), "{msg}");
            assert_eq!(e.dst_host, Some("dc01"), "{msg}");
            assert_eq!(e.logon_type, Some("remote_interactive"), "{msg}");
            assert_eq!(e.reason, Some("no such user"), "{msg}");
            assert_eq!(e.outcome, Some(FAILURE), "{msg}");
            assert_eq!(e.event_code, Some(4625), "{msg}");
            // NXLog's zone-less EventTime cannot be placed.
            let time = if msg == nxlog {
                None
            } else {
                Some(1_795_568_400_123_000)
            };
            assert_eq!(e.time, time, "{msg}");
        }
        let e = parse_owned(nxlog).unwrap();
        assert_eq!(extra(&e, "EventTime"), Some("2026-11-25 10:00:00"));
        assert_eq!(extra(&e, "Message"), None);
    }

    #[test]
    fn account_changes_and_groups() {
        let xml = |id: u32, data: &str| {
            format!(
                "<Event><System><EventID>{id}</EventID><Keywords>0x8020000000000000</Keywords>\
                 <Channel>Security</Channel><Computer>dc01</Computer></System><EventData>{data}</EventData></Event>"
            )
        };
        let d = |k: &str, v: &str| format!("<Data Name='{k}'>{v}</Data>");
        let subject = d("SubjectUserName", "admin01") + &d("SubjectDomainName", "CITY");

        let e = parse_owned(&xml(
            4720,
            &(d("TargetUserName", "sato") + &d("TargetDomainName", "CITY") + &subject),
        ))
        .unwrap();
        assert_eq!(
            (e.user, e.user_domain, e.activity, e.outcome),
            (
                Some("sato"),
                Some("CITY"),
                Some(ACCOUNT_CHANGE),
                Some(SUCCESS)
            )
        );
        assert_eq!(e.reason, Some("user created"));
        assert_eq!(
            e.extra,
            [("subject_user", "admin01"), ("subject_domain", "CITY")]
        );

        let e = parse_owned(&xml(
            4732,
            &(d("MemberName", "-")
                + &d("MemberSid", "S-1-5-21-1-2-3-1105")
                + &d("TargetUserName", "Administratoren")
                + &d("TargetDomainName", "Builtin")
                + &d("TargetSid", "S-1-5-32-544")
                + &subject),
        ))
        .unwrap();
        assert_eq!(e.user, Some("S-1-5-21-1-2-3-1105"));
        assert_eq!(e.is_privileged, Some(true));
        assert_eq!(e.reason, Some("member added to group"));
        assert_eq!(extra(&e, "group"), Some("Administratoren"));
        assert_eq!(extra(&e, "group_domain"), Some("Builtin"));
        assert_eq!(extra(&e, "TargetSid"), Some("S-1-5-32-544"));

        let e = parse_owned(&xml(
            4728,
            &(d("MemberName", "CN=Suzuki,OU=Staff,DC=city,DC=local")
                + &d("TargetUserName", "Kyushoku")
                + &d("TargetSid", "S-1-5-21-1-2-3-3101")),
        ))
        .unwrap();
        assert_eq!(e.user, Some("CN=Suzuki,OU=Staff,DC=city,DC=local"));
        assert_eq!(e.is_privileged, None);

        let e = parse_owned(&xml(
            4740,
            &(d("TargetUserName", "tanaka") + &d("TargetDomainName", "PC-0042") + &subject),
        ))
        .unwrap();
        assert_eq!(
            (e.user, e.user_domain, e.src_host),
            (Some("tanaka"), None, Some("PC-0042"))
        );
        assert_eq!(
            (e.activity, e.outcome, e.reason),
            (Some("lockout"), Some(FAILURE), Some("account locked out"))
        );

        let failed = xml(4723, &d("TargetUserName", "tanaka"))
            .replace("0x8020000000000000", "0x8010000000000000");
        let e = parse_owned(&failed).unwrap();
        assert_eq!(
            (e.outcome, e.reason),
            (Some(FAILURE), Some("password changed"))
        );
    }

    #[test]
    fn kerberos_ntlm_and_explicit_credentials() {
        let nx = |fields: &str| {
            format!(r#"{{"EventID":{fields},"Channel":"Security","Hostname":"dc01"}}"#)
        };
        let e = parse_owned(&nx(r#"4768,"TargetUserName":"ghost","TargetDomainName":"CITY","Status":"0x6","IpAddress":"::ffff:10.20.1.9""#)).unwrap();
        assert_eq!(
            (e.protocol, e.outcome, e.reason, e.src_ip),
            (
                Some("kerberos"),
                Some(FAILURE),
                Some("no such user"),
                Some("10.20.1.9")
            )
        );
        let e = parse_owned(&nx(r#"4768,"TargetUserName":"tanaka","Status":"0x0""#)).unwrap();
        assert_eq!((e.outcome, e.reason), (Some(SUCCESS), None));
        let e = parse_owned(&nx(r#"4771,"TargetUserName":"tanaka","Status":"0x18""#)).unwrap();
        assert_eq!((e.outcome, e.reason), (Some(FAILURE), Some("bad password")));
        let e = parse_owned(&nx(r#"4771,"TargetUserName":"tanaka","Status":"0x44""#)).unwrap();
        assert_eq!(e.reason, Some("0x44"));
        let e = parse_owned(&nx(
            r#"4776,"TargetUserName":"tanaka","Workstation":"PC-1","Status":"0xc0000234""#,
        ))
        .unwrap();
        assert_eq!(
            (e.protocol, e.src_host, e.outcome, e.reason),
            (
                Some("ntlm"),
                Some("PC-1"),
                Some(FAILURE),
                Some("account locked out")
            )
        );
        let e = parse_owned(&nx(r#"4776,"TargetUserName":"tanaka","Status":"0x0""#)).unwrap();
        assert_eq!((e.outcome, e.reason), (Some(SUCCESS), None));
        let e = parse_owned(&nx(r#"4648,"SubjectUserName":"tanaka","TargetUserName":"adm","TargetServerName":"fs01.city.local","IpAddress":"-""#)).unwrap();
        assert_eq!(
            (e.user, e.src_host, e.dst_host, e.src_ip),
            (Some("adm"), Some("dc01"), Some("fs01.city.local"), None)
        );
        assert_eq!(extra(&e, "subject_user"), Some("tanaka"));
        let e = parse_owned(&nx(
            r#"4648,"TargetUserName":"adm","TargetServerName":"localhost""#,
        ))
        .unwrap();
        assert_eq!((e.src_host, e.dst_host), (None, Some("dc01")));
        assert_eq!(extra(&e, "TargetServerName"), Some("localhost"));
    }

    #[test]
    fn rejections_carry_reasons() {
        let cases = [
            (
                r#"{"EventID":5145,"Channel":"Security"}"#,
                unrecognised("event id not mapped"),
            ),
            (
                r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"}"#,
                unrecognised("not a Security channel event"),
            ),
            (r#"{"EventID":4624}"#, missing("Channel")),
            (r#"{"Channel":"Security"}"#, missing("EventID")),
            (
                r#"{"EventID":"x","Channel":"Security"}"#,
                ParseError::InvalidField {
                    format: NAME,
                    field: "EventID",
                },
            ),
            (
                r#"{"EventID":4624,"Channel":"Security""#,
                unrecognised("malformed JSON"),
            ),
            (
                "<Event><System><EventID>4624</EventID>",
                unrecognised("malformed XML"),
            ),
            (
                "<Event><System><EventID>4688</EventID><Channel>Security</Channel></System><EventData><Data Name='x'>",
                unrecognised("event id not mapped"),
            ),
            (
                "hello",
                unrecognised("neither a JSON object nor an <Event> element"),
            ),
        ];
        for (msg, err) in cases {
            assert_eq!(parse_owned(msg), Err(err), "{msg}");
        }
    }

    #[test]
    fn looks_like_only_windows_shapes() {
        assert!(looks_like(
            "<?xml version='1.0'?><Event xmlns='x'><System/></Event>"
        ));
        assert!(!looks_like("<Eventful>"));
        assert!(!looks_like(
            r#"{"sourcetype":"zscalernss-web","event":{"action":"Allowed"}}"#
        ));
        assert!(!looks_like("<34>Oct 11 22:14:15 host su: x"));
        assert!(!looks_like(""));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(msg in "\\PC*") {
            let _ = looks_like(&msg);
            let _ = parse_owned(&msg);
        }

        #[test]
        fn never_panics_on_shape_noise(
            opening in proptest::sample::select(vec!["{", "<Event>", "{\"Event\":{\"System\":", "{\"winlog\":"]),
            parts in proptest::collection::vec(
                "\"EventID\"|\"Channel\"|\"Security\"|4625|:|,|\\{|\\}|\\[|\\]|\"|\\\\u12|\\\\|<System>|</System>|<EventData>|<Data Name='TargetUserName'>|</Data>|&amp;|&#x|'|/>|[a-z0-9 ]{0,6}",
                0..24,
            ),
        ) {
            let msg = format!("{opening}{}", parts.concat());
            let _ = looks_like(&msg);
            if let Ok(e) = parse_owned(&msg) {
                prop_assert!(e.src_ip.is_none_or(|ip| ip.parse::<IpAddr>().is_ok()));
            }
        }
    }
}
