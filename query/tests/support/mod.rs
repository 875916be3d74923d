//! What the lake's integration tests share.

use sanso_ingest::batch::Common;
use sanso_ingest::zones::Zone;

/// The common columns of a line `raw` that the test firewall `fw` logged (as iptables)
/// at `time`, from `zone`.
pub fn firewall_line(time: i64, zone: Option<Zone>, raw: &str) -> Common<'_> {
    Common {
        time,
        received_at: time,
        zone,
        device: Some("fw"),
        format: Some("iptables"),
        source: "test",
        raw,
        raw_bytes: None,
    }
}
