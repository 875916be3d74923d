//! What a labelled line should make the policy rule pack raise.
//!
//! The ground truth names, for every attack line, the rules of the pack (OMZ-01 to
//! OMZ-22, `detect/rules`) that the line is evidence for and the key each rule groups
//! its alert on: the source address for network and guessing rules, the account for
//! per-account rules, the device for the pipeline's own checks. A scorer then compares
//! the set of (rule, key) pairs the ground truth names with the alerts sanso raised,
//! rule by rule: an alert whose pair is not labelled is a false positive, a labelled
//! pair without an alert a miss.
//!
//! Most scenarios raise the same rules whenever they happen. After-hours activity
//! (OMZ-21) depends on the clock: an interactive logon or a web request on core or
//! lgwan raises it only outside the city's office hours, so that label is added when
//! the line is given its time ([`office_hours`]).

use std::fmt;
use std::net::Ipv4Addr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Asia::Tokyo;
use jpholiday::jpholiday::JPHoliday;

/// The rule ids of the pack that the demo's scenarios raise.
pub(crate) mod rule {
    pub(crate) const CORE_EGRESS: &str = "OMZ-01";
    pub(crate) const CORE_DENIED: &str = "OMZ-02";
    pub(crate) const PARTNER_PORT: &str = "OMZ-03";
    pub(crate) const GATEWAY_BYPASS: &str = "OMZ-04";
    pub(crate) const UNSANITISED_INBOUND: &str = "OMZ-05";
    pub(crate) const PROXY_BYPASS: &str = "OMZ-07";
    pub(crate) const UNAPPROVED_SAAS: &str = "OMZ-08";
    pub(crate) const MALICIOUS_CATEGORY: &str = "OMZ-09";
    pub(crate) const MALWARE: &str = "OMZ-10";
    pub(crate) const LATERAL_SCAN: &str = "OMZ-11";
    pub(crate) const DENY_FLOOD: &str = "OMZ-12";
    pub(crate) const UPLOAD_VOLUME: &str = "OMZ-13";
    pub(crate) const MFA_LESS_CORE_LOGON: &str = "OMZ-14";
    pub(crate) const FAILURES: &str = "OMZ-15";
    pub(crate) const SPRAYING: &str = "OMZ-16";
    pub(crate) const PRIVILEGED_LOGON: &str = "OMZ-17";
    pub(crate) const ACCOUNT_CHANGE: &str = "OMZ-18";
    pub(crate) const GUESSED_PASSWORD: &str = "OMZ-19";
    pub(crate) const REMOTE_WITHOUT_MFA: &str = "OMZ-20";
    pub(crate) const AFTER_HOURS: &str = "OMZ-21";
    pub(crate) const PIPELINE: &str = "OMZ-22";
}

/// The key an alert groups on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKey {
    /// A source address (`src_ip`).
    Ip(Ipv4Addr),
    /// An account (`user`).
    User(&'static str),
    /// A reporting device (`device`).
    Device(&'static str),
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertKey::Ip(ip) => ip.fmt(f),
            AlertKey::User(name) | AlertKey::Device(name) => f.write_str(name),
        }
    }
}

/// One alert an attack line is evidence for: the rule and the key it groups on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpectedAlert {
    /// The rule's id in the pack (`OMZ-15`), without a severity suffix.
    pub rule: &'static str,
    /// The key the alert names in `group_key`.
    pub key: AlertKey,
}

impl ExpectedAlert {
    pub(crate) const fn ip(rule: &'static str, ip: Ipv4Addr) -> ExpectedAlert {
        ExpectedAlert {
            rule,
            key: AlertKey::Ip(ip),
        }
    }

    pub(crate) const fn user(rule: &'static str, user: &'static str) -> ExpectedAlert {
        ExpectedAlert {
            rule,
            key: AlertKey::User(user),
        }
    }

    pub(crate) const fn device(rule: &'static str, device: &'static str) -> ExpectedAlert {
        ExpectedAlert {
            rule,
            key: AlertKey::Device(device),
        }
    }
}

/// When the city's offices are open (開庁時間): 08:30 to 17:15 Japan time, Monday to
/// Friday, except on public holidays, as the embedded configuration's `business_hours`
/// says and as the pack's rules reckon them (holidays from the `jpholiday` calendar,
/// the one the detect crate uses). The staff's interactive work on core and lgwan
/// happens inside them; anything interactive outside them is OMZ-21's business.
pub(crate) fn office_hours(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&Tokyo);
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let time = local.time();
    weekday && time >= OPENS && time < CLOSES && !holiday(local.date_naive())
}

/// Whether `date` is a Japanese public holiday (祝日, 振替休日, 国民の休日).
fn holiday(date: NaiveDate) -> bool {
    thread_local! {
        // Built once per thread: the calendar computes each year's days by law.
        static CALENDAR: JPHoliday<'static> = JPHoliday::new();
    }
    // jpholiday pins its own chrono; ask it through its date type.
    jpholiday::chrono::NaiveDate::from_ymd_opt(date.year(), date.month(), date.day())
        .is_some_and(|d| CALENDAR.with(|calendar| calendar.is_holiday(&d)))
}

const OPENS: NaiveTime = match NaiveTime::from_hms_opt(8, 30, 0) {
    Some(t) => t,
    None => panic!("08:30 is a time"),
};
const CLOSES: NaiveTime = match NaiveTime::from_hms_opt(17, 15, 0) {
    Some(t) => t,
    None => panic!("17:15 is a time"),
};
