//! The syslog envelope, RFC 3164 in its dialects and RFC 5424: any text is read or
//! rejected without panicking, under any of a few zones and receive times (year-less
//! stamps resolve against them), and every field of a message borrows from the line.
//! The first byte picks the zone and the receive time.

use chrono_tz::Tz;
use sanso_ingest::syslog::{self, TimeContext};

const ZONES: [Tz; 4] = [
    chrono_tz::Asia::Tokyo,
    chrono_tz::UTC,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
];

/// Receive times around year ends and leap days, where year-less stamps are hardest.
const RECEIVED_AT: [i64; 4] = [
    1_717_200_000_000_000, // 2024-06-01T00:00:00Z
    1_704_067_199_000_000, // 2023-12-31T23:59:59Z
    1_704_067_200_000_000, // 2024-01-01T00:00:00Z
    1_709_164_800_000_000, // 2024-02-29T00:00:00Z
];

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(line) = std::str::from_utf8(text) else {
        return;
    };
    let ctx = TimeContext::new(
        ZONES[usize::from(selector & 3)],
        RECEIVED_AT[usize::from((selector >> 2) & 3)],
    );
    let _ = syslog::looks_like_syslog(line);
    let Ok(m) = syslog::parse(line, &ctx) else {
        return;
    };
    let range = line.as_bytes().as_ptr_range();
    for field in [
        m.hostname,
        m.app_name,
        m.procid,
        m.msgid,
        m.structured_data,
        Some(m.msg),
    ]
    .into_iter()
    .flatten()
    .filter(|f| !f.is_empty())
    {
        assert!(
            range.contains(&field.as_ptr()),
            "{field:?} is not from {line:?}"
        );
    }
    assert!(m.severity.is_none_or(|s| s < 8), "{m:?}");
    assert!(m.facility.is_none_or(|f| f < 24), "{m:?}");
}
