//! auth.log lines from OpenSSH, PAM, sudo, cron and systemd-logind on the zone servers.
//!
//! The messages and facilities are those of a stock Ubuntu server: sshd logs at auth.info,
//! the PAM modules it and cron load log at authpriv.info under the caller's name, sudo logs
//! at authpriv.notice without a pid. One [`SshConn`] is one TCP connection to sshd (one
//! sshd pid, one client port), which is how sshd groups its messages.

use std::fmt;
use std::net::Ipv4Addr;

use rand::Rng;

use super::city::Device;
use super::line::{Body, Draft};
use super::sample::keyed_rng;

/// auth (4) × 8 + info (6): sshd and systemd-logind.
const AUTH_INFO: u8 = 38;
/// authpriv (10) × 8 + notice (5): sudo's command log.
const AUTHPRIV_NOTICE: u8 = 85;
/// authpriv (10) × 8 + info (6): pam_unix.
const AUTHPRIV_INFO: u8 = 86;

/// An account as an SSH client names it; sshd words its messages differently for names
/// that do not exist on the server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Account {
    pub(crate) name: &'static str,
    pub(crate) valid: bool,
}

impl fmt::Display for Account {
    /// How `Failed password for ...` names the account.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.valid {
            f.write_str(self.name)
        } else {
            write!(f, "invalid user {}", self.name)
        }
    }
}

impl Account {
    /// How the `[preauth]` messages name the account.
    fn preauth(self) -> String {
        let kind = if self.valid {
            "authenticating"
        } else {
            "invalid"
        };
        format!("{kind} user {}", self.name)
    }
}

/// One client connection to sshd.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SshConn {
    pub(crate) dev: &'static Device,
    pub(crate) pid: u32,
    pub(crate) src: Ipv4Addr,
    pub(crate) port: u16,
}

impl SshConn {
    fn sshd(&self, msg: String) -> Draft {
        program(self.dev, AUTH_INFO, "sshd", Some(self.pid), msg)
    }

    fn pam(&self, msg: String) -> Draft {
        program(self.dev, AUTHPRIV_INFO, "sshd", Some(self.pid), msg)
    }

    pub(crate) fn invalid_user(&self, name: &str) -> Draft {
        self.sshd(format!(
            "Invalid user {name} from {} port {}",
            self.src, self.port
        ))
    }

    /// pam_unix's record of the first failure on a connection (two spaces before `user=`
    /// are pam_unix's own).
    pub(crate) fn pam_auth_failure(&self, acct: Account) -> Draft {
        let mut msg = format!(
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={}",
            self.src
        );
        if acct.valid {
            msg.push_str("  user=");
            msg.push_str(acct.name);
        }
        self.pam(msg)
    }

    /// `Failed <method> for ...`: `password`, or `keyboard-interactive/pam` on srv-core01.
    pub(crate) fn failed(&self, method: &str, acct: Account) -> Draft {
        self.sshd(format!(
            "Failed {method} for {acct} from {} port {} ssh2",
            self.src, self.port
        ))
    }

    /// PAM's summary of the further failures on a connection, logged as it closes.
    pub(crate) fn pam_more_failures(&self, more: usize, acct: Account) -> Draft {
        let mut msg = format!(
            "PAM {more} more authentication failure{}; logname= uid=0 euid=0 tty=ssh ruser= rhost={}",
            if more == 1 { "" } else { "s" },
            self.src
        );
        if acct.valid {
            msg.push_str("  user=");
            msg.push_str(acct.name);
        }
        self.pam(msg)
    }

    /// sshd's refusal after `MaxAuthTries` (6) failures on one connection.
    pub(crate) fn max_attempts(&self, acct: Account) -> Draft {
        self.sshd(format!(
            "error: maximum authentication attempts exceeded for {acct} from {} port {} ssh2 [preauth]",
            self.src, self.port
        ))
    }

    pub(crate) fn too_many_failures(&self, acct: Account) -> Draft {
        self.sshd(format!(
            "Disconnecting {} {} port {}: Too many authentication failures [preauth]",
            acct.preauth(),
            self.src,
            self.port
        ))
    }

    pub(crate) fn closed_preauth(&self, acct: Account) -> Draft {
        self.sshd(format!(
            "Connection closed by {} {} port {} [preauth]",
            acct.preauth(),
            self.src,
            self.port
        ))
    }

    /// The first factor of srv-core01's `AuthenticationMethods
    /// publickey,keyboard-interactive`: the key is right, a one-time code must follow.
    pub(crate) fn partial_publickey(&self, user: &str) -> Draft {
        self.sshd(format!(
            "Partial publickey for {user} from {} port {} ssh2: ED25519 SHA256:{}",
            self.src,
            self.port,
            fingerprint(user)
        ))
    }

    /// `Accepted <method> for ...`; a publickey login names the key.
    pub(crate) fn accepted(&self, method: &str, user: &str) -> Draft {
        let mut msg = format!(
            "Accepted {method} for {user} from {} port {} ssh2",
            self.src, self.port
        );
        if method == "publickey" {
            msg.push_str(": ED25519 SHA256:");
            msg.push_str(&fingerprint(user));
        }
        self.sshd(msg)
    }

    pub(crate) fn session_opened(&self, user: &str, uid: u32) -> Draft {
        self.pam(format!(
            "pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"
        ))
    }

    pub(crate) fn received_disconnect(&self) -> Draft {
        self.sshd(format!(
            "Received disconnect from {} port {}:11: disconnected by user",
            self.src, self.port
        ))
    }

    pub(crate) fn disconnected(&self, user: &str) -> Draft {
        self.sshd(format!(
            "Disconnected from user {user} {} port {}",
            self.src, self.port
        ))
    }

    pub(crate) fn session_closed(&self, user: &str) -> Draft {
        self.pam(format!(
            "pam_unix(sshd:session): session closed for user {user}"
        ))
    }
}

/// systemd-logind's session bookkeeping.
pub(crate) fn logind(dev: &'static Device, msg: String) -> Draft {
    program(dev, AUTH_INFO, "systemd-logind", Some(dev.pid), msg)
}

/// sudo's command record. sudo pads the user to eight columns after its tag, which puts a
/// single space after `sudo:` for seven-letter names (`sudo: vagrant : TTY=...`).
pub(crate) fn sudo_command(dev: &'static Device, user: &str, tty: u8, command: &str) -> Draft {
    program(
        dev,
        AUTHPRIV_NOTICE,
        "sudo",
        None,
        format!("{user:>7} : TTY=pts/{tty} ; PWD=/home/{user} ; USER=root ; COMMAND={command}"),
    )
}

/// pam_unix's session records under sudo (opened when `user` is `Some`).
pub(crate) fn sudo_session(dev: &'static Device, user: Option<(&str, u32)>) -> Draft {
    let msg = match user {
        Some((user, uid)) => format!(
            "pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={uid})"
        ),
        None => "pam_unix(sudo:session): session closed for user root".to_owned(),
    };
    program(dev, AUTHPRIV_INFO, "sudo", None, msg)
}

/// pam_unix's session records for a cron job run as root (opened when `open`).
pub(crate) fn cron_session(dev: &'static Device, pid: u32, open: bool) -> Draft {
    let msg = if open {
        "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
    } else {
        "pam_unix(cron:session): session closed for user root"
    };
    program(dev, AUTHPRIV_INFO, "CRON", Some(pid), msg.to_owned())
}

fn program(
    dev: &'static Device,
    pri: u8,
    tag: &'static str,
    pid: Option<u32>,
    msg: String,
) -> Draft {
    Draft {
        dev,
        body: Body::Program { pri, tag, pid, msg },
    }
}

/// The SHA256 fingerprint of a user's ED25519 key as OpenSSH prints it (unpadded base64 of
/// 32 bytes). Derived from the name alone, so a user shows the same key on every server
/// and in every run.
fn fingerprint(user: &str) -> String {
    let digest: [u8; 32] = keyed_rng(user).random();
    base64_unpadded(&digest)
}

fn base64_unpadded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        // A chunk of k bytes carries k + 1 sextets.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
