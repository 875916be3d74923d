//! A file mixing every format, imported with automatic detection: each line must land
//! with the parser that accepts it when the format is forced, and no other.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use sanso_ingest::batch::Batches;
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use support::sanso_ok;

/// Sample files and the format of their lines. W3C is left out: its data lines mean
/// something only under the `#Fields:` directive before them, which a shuffle separates.
const SAMPLES: &[(&str, Format)] = &[
    (
        "firewall/crowdsec-hub/iptables-logs/iptables-logs.log",
        Format::Iptables,
    ),
    (
        "firewall/crowdsec-hub/pf-logs/pf-logs.log",
        Format::Filterlog,
    ),
    ("firewall/crowdsec-hub/cef-logs/cef-logs.log", Format::Cef),
    ("firewall/crowdsec-hub/unifi-cef/cef-logs.log", Format::Cef),
    (
        "firewall/fortios-panos-reference/fortigate.log",
        Format::Fortigate,
    ),
    ("firewall/fortios-panos-reference/panos.log", Format::Panos),
    ("auth/crowdsec-hub/sshd-logs/sshd-logs.log", Format::Sshd),
    ("auth/crowdsec-hub/openvpn/openvpn.log", Format::Openvpn),
    ("auth/vendor-reference/freeradius.log", Format::Radius),
    ("auth/vendor-reference/winlogbeat.jsonl", Format::Windows),
    (
        "auth/vendor-reference/windows-security.xml.log",
        Format::Windows,
    ),
    (
        "proxy/vendor-reference/combined-proxies.log",
        Format::Combined,
    ),
    (
        "proxy/vendor-reference/zscaler-nss-web.jsonl",
        Format::Zscaler,
    ),
];

/// Whether the format's own parser accepts the line when the source forces it.
fn accepted_when_forced(line: &str, format: Format) -> bool {
    let zones = Arc::new(ZoneMap::default());
    let mut parser = LineParser::new(
        ParseSettings {
            format: Some(format),
            ..Default::default()
        },
        zones.clone(),
    );
    let mut batches = Batches::new(zones);
    let raw = RawLine {
        bytes: line.as_bytes(),
        received_at: 1_763_600_000_000_000,
        source: "t",
        peer: None,
    };
    parser.parse_into(&raw, &mut batches);
    batches.pending().unparsed == 0
}

#[test]
fn a_mixed_file_imports_with_no_line_misrouted() {
    let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/ingest/testdata/");
    let mut expected: HashMap<String, &str> = HashMap::new();
    let mut lines = Vec::new();
    for (file, format) in SAMPLES {
        let text = std::fs::read_to_string(format!("{testdata}{file}")).unwrap();
        let mut accepted = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // CEF without its `CEF:` marker (UniFi strips it) is CEF only because the
            // source says so; detection rightly leaves it unrecognised.
            let needs_forcing = *format == Format::Cef && !line.contains("CEF:");
            if !needs_forcing && accepted_when_forced(line, *format) {
                expected.insert(line.to_owned(), format.name());
                lines.push(line.to_owned());
                accepted += 1;
            }
        }
        assert!(accepted > 0, "{file}: no line accepted");
    }
    // A fixed interleaving: every format next to every other somewhere.
    let mut mixed: Vec<&String> = lines.iter().collect();
    mixed.sort_by_key(|l| {
        l.bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.log");
    std::fs::write(
        &path,
        mixed.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();

    let data = dir.path().join("lake");
    sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "import",
        path.to_str().unwrap(),
    ]);
    let query = Table::EVENT_TABLES
        .iter()
        .map(|t| {
            format!(
                "SELECT raw, CAST(format AS VARCHAR) AS format FROM {}",
                t.name()
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let output = sanso_ok(&[
        "--data",
        data.to_str().unwrap(),
        "sql",
        "--format",
        "json",
        &query,
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.len(), lines.len(), "one row per line");
    let mut misrouted = Vec::new();
    for row in &rows {
        let raw = row["raw"].as_str().unwrap();
        let got = row["format"].as_str().unwrap_or("(none)");
        if expected.get(raw).copied() != Some(got) {
            misrouted.push(format!("{:?} → {got}: {raw}", expected.get(raw)));
        }
    }
    assert!(
        misrouted.is_empty(),
        "{} of {} lines misrouted:\n{}",
        misrouted.len(),
        rows.len(),
        misrouted.join("\n")
    );
}
