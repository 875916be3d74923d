//! What an alert carries: a deterministic id and the evidence JSON.

use sanso_ingest::schema::Table;
use serde_json::json;

/// A stable id for an alert: FNV-1a (64-bit) of rule id, group key and window start,
/// in hex. The same events always give the same id, so an alert re-raised after a
/// restart or a replay is recognisable as a duplicate downstream.
pub fn alert_id(rule_id: &str, group: &str, window_start: i64) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let start = window_start.to_string();
    for part in [
        rule_id.as_bytes(),
        b"\x1f",
        group.as_bytes(),
        b"\x1f",
        start.as_bytes(),
    ] {
        for byte in part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

/// `{"table": ..., "events": n, "sources": [...], "raw": [...]}` with the `(source, raw)`
/// pairs given (the caller keeps at most a few).
pub fn evidence(table: Table, events: u64, lines: &[(String, String)]) -> String {
    json!({
        "table": table.name(),
        "events": events,
        "sources": lines.iter().map(|(s, _)| s).collect::<Vec<_>>(),
        "raw": lines.iter().map(|(_, r)| r).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(
            alert_id("OMZ-15", "tanaka", 1),
            alert_id("OMZ-15", "tanaka", 1)
        );
        assert_ne!(
            alert_id("OMZ-15", "tanaka", 1),
            alert_id("OMZ-15", "tanaka", 2)
        );
        assert_ne!(
            alert_id("OMZ-15", "a\u{1f}b", 1),
            alert_id("OMZ-15", "a", 1)
        );
        assert_eq!(alert_id("", "", 0).len(), 16);
    }

    #[test]
    fn evidence_is_json() {
        let e = evidence(
            Table::Auth,
            7,
            &[("file:a:1".into(), "line \"one\"".into())],
        );
        let v: serde_json::Value = serde_json::from_str(&e).unwrap();
        assert_eq!(v["raw"][0], "line \"one\"");
        assert_eq!(v["events"], 7);
    }
}
