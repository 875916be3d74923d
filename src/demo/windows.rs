//! Windows Security events of the collected terminals, as winlogbeat ships them.
//!
//! One JSON object per event, with the fields winlogbeat writes for a Security event
//! (`@timestamp`, `event`, `host`, `winlog` with the event's own `event_data`):
//!
//! ```text
//! {"@timestamp":"2026-11-20T00:15:02.123Z","event":{"code":"4624","kind":"event",
//!  "provider":"Microsoft-Windows-Security-Auditing","action":"logged-in","outcome":"success"},
//!  "host":{"name":"term-core"},"winlog":{"channel":"Security","event_id":4624,
//!  "provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"term-core",
//!  "keywords":["Audit Success"],"task":"Logon","event_data":{"SubjectUserSid":"S-1-5-18",
//!  ...,"TargetUserName":"tanaka","TargetDomainName":"OMAEZAKI","LogonType":"2",...}}}
//! ```
//!
//! The events are those of a logon session: 4624 (logon: type 2 at the console, 3 over
//! the network, 10 by remote desktop), 4672 (special privileges, right after an
//! administrator's 4624), 4634 (logoff, with the logon's id) and 4625 (a failed logon).
//! `event_data` keeps Windows 10's fields in Windows' order and spelling: `%%1833`
//! insertion strings, `LogonProcessName` `User32 ` with its trailing space, the
//! privilege list separated by newlines and tabs, escaped as JSON escapes them. A
//! console logon comes from `127.0.0.1`, port 0, as on current Windows.
//!
//! Over syslog the object is the message of an RFC 3164 line, as the city's collector
//! relays winlogbeat's output: `<14>Nov 20 09:15:02 term-core winlogbeat: {...}`, and
//! the file holds the same lines without the PRI.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;

use super::city::{DOMAIN, WindowsTerminal};
use super::line::{Body, Draft};
use super::sample::{keyed_rng, uuid};

/// PRI of the relayed winlogbeat lines: user (1) × 8 + informational (6).
pub(crate) const WINLOGBEAT_PRI: u8 = 14;

/// The domain's SID; accounts are its RIDs.
const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";

const PROVIDER: &str = "Microsoft-Windows-Security-Auditing";

/// The provider of 1102, the event log service.
const EVENTLOG_PROVIDER: &str = "Microsoft-Windows-Eventlog";

/// The logon types the demo writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogonType {
    /// 2: at the console.
    Interactive,
    /// 3: over the network (file shares, remote management, remote desktop's NLA step).
    Network,
    /// 10: remote desktop.
    RemoteInteractive,
}

impl LogonType {
    fn number(self) -> u8 {
        match self {
            LogonType::Interactive => 2,
            LogonType::Network => 3,
            LogonType::RemoteInteractive => 10,
        }
    }
}

/// Where a network or remote logon came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Remote {
    pub(crate) ip: Ipv4Addr,
    pub(crate) port: u16,
    /// The client's NetBIOS name, `-` when the protocol does not say (Kerberos).
    pub(crate) workstation: &'static str,
}

/// One logon session on a terminal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Logon {
    pub(crate) term: WindowsTerminal,
    pub(crate) user: &'static str,
    /// An administrator: the logon gets an elevated token and a 4672.
    pub(crate) admin: bool,
    pub(crate) logon_type: LogonType,
    /// The session's logon id, which its 4672 and 4634 repeat.
    pub(crate) id: u64,
    /// `None` at the console.
    pub(crate) from: Option<Remote>,
}

impl Logon {
    /// A logon with a fresh logon id.
    pub(crate) fn new(
        rng: &mut impl Rng,
        term: WindowsTerminal,
        (user, admin): (&'static str, bool),
        logon_type: LogonType,
        from: Option<Remote>,
    ) -> Logon {
        Logon {
            term,
            user,
            admin,
            logon_type,
            id: rng.random_range(0x0010_0000..0x0fff_ffff),
            from,
        }
    }
}

/// A Security event.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WinEvent {
    /// 4624.
    Logon(Logon),
    /// 4672, for an administrator's logon.
    Special(Logon),
    /// 4634.
    Logoff(Logon),
    /// 4625 with a wrong password (`0xc000006a`) for an existing account; `from` is
    /// `None` at the console.
    Failure {
        term: WindowsTerminal,
        user: &'static str,
        logon_type: LogonType,
        from: Option<Remote>,
    },
    /// A local account created (4720) or its password reset (4724) by `actor`.
    AccountChange {
        term: WindowsTerminal,
        change: AccountChange,
        target: &'static str,
        actor: &'static str,
    },
    /// `member` added to the built-in Administrators group (4732) by `actor`. Windows
    /// writes a local member's name as `-`; the demo's collector resolves it from the
    /// SID, so that the event names the account like the others.
    AdminGroupAdd {
        term: WindowsTerminal,
        member: &'static str,
        actor: &'static str,
    },
    /// 4740: `user` locked out after too many failures from the computer `caller`.
    Lockout {
        term: WindowsTerminal,
        user: &'static str,
        caller: &'static str,
    },
    /// 1102: the Security log cleared by `actor`.
    LogCleared {
        term: WindowsTerminal,
        actor: &'static str,
    },
}

/// What an account-management event did to a local account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountChange {
    /// 4720.
    Created,
    /// 4724: an administrator's reset, not the user's own change (4723).
    PasswordReset,
}

impl WinEvent {
    /// The event as the terminal logs it.
    pub(crate) fn draft(self) -> Draft {
        Draft {
            dev: self.term().dev,
            body: Body::Windows(self),
        }
    }

    fn term(&self) -> WindowsTerminal {
        match self {
            WinEvent::Logon(l) | WinEvent::Special(l) | WinEvent::Logoff(l) => l.term,
            WinEvent::Failure { term, .. }
            | WinEvent::AccountChange { term, .. }
            | WinEvent::AdminGroupAdd { term, .. }
            | WinEvent::Lockout { term, .. }
            | WinEvent::LogCleared { term, .. } => *term,
        }
    }

    /// The JSON object winlogbeat writes for the event recorded at `at`.
    pub(crate) fn json(&self, at: DateTime<Utc>) -> String {
        let (code, action, outcome, task, term) = match self {
            WinEvent::Logon(l) => (4624, "logged-in", "success", "Logon", l.term),
            WinEvent::Special(l) => (
                4672,
                "logged-in-special",
                "success",
                "Special Logon",
                l.term,
            ),
            WinEvent::Logoff(l) => (4634, "logged-out", "success", "Logoff", l.term),
            WinEvent::Failure { term, .. } => (4625, "logon-failed", "failure", "Logon", *term),
            WinEvent::AccountChange {
                term,
                change: AccountChange::Created,
                ..
            } => (
                4720,
                "added-user-account",
                "success",
                "User Account Management",
                *term,
            ),
            WinEvent::AccountChange {
                term,
                change: AccountChange::PasswordReset,
                ..
            } => (
                4724,
                "reset-password",
                "success",
                "User Account Management",
                *term,
            ),
            WinEvent::AdminGroupAdd { term, .. } => (
                4732,
                "added-member-to-group",
                "success",
                "Security Group Management",
                *term,
            ),
            WinEvent::Lockout { term, .. } => (
                4740,
                "locked-out-user-account",
                "success",
                "User Account Management",
                *term,
            ),
            WinEvent::LogCleared { term, .. } => {
                (1102, "audit-log-cleared", "success", "Log clear", *term)
            }
        };
        // 1102 comes from the event log service itself, and keeps its data under
        // UserData, which winlogbeat writes as `user_data`.
        let (provider, data) = match self {
            WinEvent::LogCleared { .. } => (EVENTLOG_PROVIDER, "user_data"),
            _ => (PROVIDER, "event_data"),
        };
        let keyword = if outcome == "success" {
            "Audit Success"
        } else {
            "Audit Failure"
        };
        let host = term.dev.name;
        let mut j = String::with_capacity(1_600);
        let _ = write!(
            j,
            "{{\"@timestamp\":\"{}\",\"event\":{{\"code\":\"{code}\",\"kind\":\"event\",\
             \"provider\":\"{provider}\",\"action\":\"{action}\",\"outcome\":\"{outcome}\"}},\
             \"host\":{{\"name\":\"{host}\"}},\"winlog\":{{\"channel\":\"Security\",\
             \"event_id\":{code},\"provider_name\":\"{provider}\",\"computer_name\":\"{host}\",\
             \"keywords\":[\"{keyword}\"],\"task\":\"{task}\",\"{data}\":{{",
            at.to_rfc3339_opts(SecondsFormat::Millis, true),
        );
        match self {
            WinEvent::Logon(l) => logon_data(&mut j, l),
            WinEvent::Special(l) => {
                let _ = write!(
                    j,
                    "\"SubjectUserSid\":\"{}\",\"SubjectUserName\":\"{}\",\
                     \"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"{:#x}\",\
                     \"PrivilegeList\":\"{}\"",
                    sid(l.user),
                    l.user,
                    l.id,
                    ADMIN_PRIVILEGES.join("\\n\\t\\t\\t"),
                );
            }
            WinEvent::Logoff(l) => {
                let _ = write!(
                    j,
                    "\"TargetUserSid\":\"{}\",\"TargetUserName\":\"{}\",\
                     \"TargetDomainName\":\"{DOMAIN}\",\"TargetLogonId\":\"{:#x}\",\
                     \"LogonType\":\"{}\"",
                    sid(l.user),
                    l.user,
                    l.id,
                    l.logon_type.number(),
                );
            }
            WinEvent::Failure {
                term,
                user,
                logon_type,
                from,
            } => {
                // A network logon names no local process: the client only sent a ticket
                // or a challenge response.
                let (process, workstation, ip, port) = match from {
                    Some(r) => (
                        ("NtLmSsp ", "NTLM", 0),
                        r.workstation,
                        r.ip.to_string(),
                        r.port,
                    ),
                    None => (
                        ("User32 ", "Negotiate", term.dev.pid),
                        term.netbios,
                        "127.0.0.1".to_owned(),
                        0,
                    ),
                };
                let (logon_process, package, pid) = process;
                let process_name = if pid == 0 { "-" } else { SVCHOST };
                let _ = write!(
                    j,
                    "\"SubjectUserSid\":\"S-1-5-18\",\"SubjectUserName\":\"{}$\",\
                     \"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"0x3e7\",\
                     \"TargetUserSid\":\"S-1-0-0\",\"TargetUserName\":\"{user}\",\
                     \"TargetDomainName\":\"{DOMAIN}\",\"Status\":\"0xc000006d\",\
                     \"FailureReason\":\"%%2313\",\"SubStatus\":\"0xc000006a\",\
                     \"LogonType\":\"{}\",\"LogonProcessName\":\"{logon_process}\",\
                     \"AuthenticationPackageName\":\"{package}\",\"WorkstationName\":\"{workstation}\",\
                     \"TransmittedServices\":\"-\",\"LmPackageName\":\"-\",\"KeyLength\":\"0\",\
                     \"ProcessId\":\"{pid:#x}\",\"ProcessName\":\"{process_name}\",\
                     \"IpAddress\":\"{ip}\",\"IpPort\":\"{port}\"",
                    term.netbios,
                    logon_type.number(),
                );
            }
            WinEvent::AccountChange {
                term,
                change,
                target,
                actor,
            } => {
                let _ = write!(
                    j,
                    "\"TargetUserName\":\"{target}\",\"TargetDomainName\":\"{}\",\
                     \"TargetSid\":\"{}\",",
                    term.netbios,
                    local_sid(term, target),
                );
                subject(&mut j, actor);
                if *change == AccountChange::Created {
                    let _ = write!(
                        j,
                        ",\"PrivilegeList\":\"-\",\"SamAccountName\":\"{target}\",\
                         \"DisplayName\":\"%%1793\",\"UserPrincipalName\":\"-\",\
                         \"HomeDirectory\":\"%%1793\",\"HomePath\":\"%%1793\",\
                         \"ScriptPath\":\"%%1793\",\"ProfilePath\":\"%%1793\",\
                         \"UserWorkstations\":\"%%1793\",\"PasswordLastSet\":\"%%1794\",\
                         \"AccountExpires\":\"%%1794\",\"PrimaryGroupId\":\"513\",\
                         \"AllowedToDelegateTo\":\"-\",\"OldUacValue\":\"0x0\",\
                         \"NewUacValue\":\"0x15\",\"UserAccountControl\":\"\\n\\t\\t%%2080\\n\\t\\t%%2082\\n\\t\\t%%2084\",\
                         \"UserParameters\":\"%%1793\",\"SidHistory\":\"-\",\
                         \"LogonHours\":\"%%1797\""
                    );
                }
            }
            WinEvent::AdminGroupAdd {
                term,
                member,
                actor,
            } => {
                let _ = write!(
                    j,
                    "\"MemberName\":\"{member}\",\"MemberSid\":\"{}\",\
                     \"TargetUserName\":\"Administrators\",\"TargetDomainName\":\"Builtin\",\
                     \"TargetSid\":\"S-1-5-32-544\",",
                    local_sid(term, member),
                );
                subject(&mut j, actor);
                j.push_str(",\"PrivilegeList\":\"-\"");
            }
            WinEvent::Lockout { user, caller, .. } => {
                let _ = write!(
                    j,
                    "\"TargetUserName\":\"{user}\",\"TargetDomainName\":\"{caller}\",\
                     \"TargetSid\":\"{}\",\"SubjectUserSid\":\"S-1-5-18\",\
                     \"SubjectUserName\":\"{}$\",\"SubjectDomainName\":\"{DOMAIN}\",\
                     \"SubjectLogonId\":\"0x3e7\"",
                    sid(user),
                    self.term().netbios,
                );
            }
            WinEvent::LogCleared { actor, .. } => subject(&mut j, actor),
        }
        j.push_str("}}}");
        j
    }
}

/// The logon service's process, as JSON writes the path.
const SVCHOST: &str = "C:\\\\Windows\\\\System32\\\\svchost.exe";

/// The privileges an administrator's logon gets (4672's PrivilegeList).
const ADMIN_PRIVILEGES: [&str; 9] = [
    "SeSecurityPrivilege",
    "SeBackupPrivilege",
    "SeRestorePrivilege",
    "SeTakeOwnershipPrivilege",
    "SeDebugPrivilege",
    "SeSystemEnvironmentPrivilege",
    "SeLoadDriverPrivilege",
    "SeImpersonatePrivilege",
    "SeDelegateSessionUserImpersonatePrivilege",
];

/// 4624's event data, in Windows' order.
fn logon_data(j: &mut String, l: &Logon) {
    let term = l.term;
    // Console and remote desktop logons go through the logon UI (User32); network
    // logons arrive as Kerberos tickets, with no process and no subject.
    let network = l.logon_type == LogonType::Network;
    let (ip, port, workstation) = match l.from {
        Some(r) => (r.ip.to_string(), r.port, r.workstation),
        None => ("127.0.0.1".to_owned(), 0, term.netbios),
    };
    let guid = uuid(&mut keyed_rng(&format!("{} {:#x}", term.dev.name, l.id)));
    let elevated = if l.admin { "%%1842" } else { "%%1843" };
    if network {
        let _ = write!(
            j,
            "\"SubjectUserSid\":\"S-1-0-0\",\"SubjectUserName\":\"-\",\"SubjectDomainName\":\"-\",\
             \"SubjectLogonId\":\"0x0\","
        );
    } else {
        let _ = write!(
            j,
            "\"SubjectUserSid\":\"S-1-5-18\",\"SubjectUserName\":\"{}$\",\
             \"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"0x3e7\",",
            term.netbios
        );
    }
    let _ = write!(
        j,
        "\"TargetUserSid\":\"{}\",\"TargetUserName\":\"{}\",\"TargetDomainName\":\"{DOMAIN}\",\
         \"TargetLogonId\":\"{:#x}\",\"LogonType\":\"{}\",",
        sid(l.user),
        l.user,
        l.id,
        l.logon_type.number(),
    );
    if network {
        let _ = write!(
            j,
            "\"LogonProcessName\":\"Kerberos\",\"AuthenticationPackageName\":\"Kerberos\",\
             \"WorkstationName\":\"-\",\"LogonGuid\":\"{{{guid}}}\",\"TransmittedServices\":\"-\",\
             \"LmPackageName\":\"-\",\"KeyLength\":\"0\",\"ProcessId\":\"0x0\",\
             \"ProcessName\":\"-\","
        );
    } else {
        let _ = write!(
            j,
            "\"LogonProcessName\":\"User32 \",\"AuthenticationPackageName\":\"Negotiate\",\
             \"WorkstationName\":\"{workstation}\",\"LogonGuid\":\"{{{guid}}}\",\
             \"TransmittedServices\":\"-\",\"LmPackageName\":\"-\",\"KeyLength\":\"0\",\
             \"ProcessId\":\"{:#x}\",\"ProcessName\":\"{SVCHOST}\",",
            term.dev.pid
        );
    }
    let restricted_admin = if l.logon_type == LogonType::RemoteInteractive {
        "%%1843"
    } else {
        "-"
    };
    let _ = write!(
        j,
        "\"IpAddress\":\"{ip}\",\"IpPort\":\"{port}\",\"ImpersonationLevel\":\"%%1833\",\
         \"RestrictedAdminMode\":\"{restricted_admin}\",\"TargetOutboundUserName\":\"-\",\
         \"TargetOutboundDomainName\":\"-\",\"VirtualAccount\":\"%%1843\",\
         \"TargetLinkedLogonId\":\"0x0\",\"ElevatedToken\":\"{elevated}\""
    );
}

/// The `Subject*` fields of an event an account caused, from its session.
fn subject(j: &mut String, actor: &str) {
    let logon_id = 0x0010_0000 + keyed_rng(&format!("logon {actor}")).random_range(0..0x0fef_ffff);
    let _ = write!(
        j,
        "\"SubjectUserSid\":\"{}\",\"SubjectUserName\":\"{actor}\",\
         \"SubjectDomainName\":\"{DOMAIN}\",\"SubjectLogonId\":\"{logon_id:#x}\"",
        sid(actor),
    );
}

/// A local account's SID on `term`: the machine's, with a RID from 1001 up.
fn local_sid(term: &WindowsTerminal, user: &str) -> String {
    let mut machine = keyed_rng(term.netbios);
    let rid = 1_001 + keyed_rng(user).random_range(0..50);
    format!(
        "S-1-5-21-{}-{}-{}-{rid}",
        machine.random_range(1_000_000_000u32..4_000_000_000),
        machine.random_range(1_000_000_000u32..4_000_000_000),
        machine.random_range(1_000_000_000u32..4_000_000_000),
    )
}

/// An account's SID: the domain's, with a RID fixed by the account name.
fn sid(user: &str) -> String {
    let rid = 1_100 + keyed_rng(user).random_range(0..8_000);
    format!("{DOMAIN_SID}-{rid}")
}
