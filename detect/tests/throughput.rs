//! A rough throughput check, not a benchmark (those belong in `benches/`): 100 rules
//! over network batches. Run with
//! `cargo test -p sanso-detect --release --test throughput -- --ignored --nocapture`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use sanso_detect::{Detector, FieldMapping, Placeholders, sigma};
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;

fn rules() -> String {
    let mut docs = Vec::new();
    for i in 0..100 {
        let detection = match i % 4 {
            0 => format!(
                "  sel: {{action: deny, dst_port: {}}}\n  condition: sel\n",
                1000 + i
            ),
            1 => format!(
                "  sel:\n    threat_name|contains: [trojan{i}, worm{i}, eicar{i}, miner{i}, rat{i}]\n  condition: sel\n"
            ),
            2 => format!(
                "  sel: {{src_ip|cidr: [10.{i}.0.0/16, 172.16.{i}.0/24]}}\n  core: {{dst_zone: core}}\n  condition: sel and not core\n"
            ),
            _ => format!(
                "  sel: {{app|startswith: app{i}, protocol: udp}}\n  big: {{bytes_out|gt: 50000000}}\n  condition: sel or big\n"
            ),
        };
        docs.push(format!(
            "title: rule {i}\nid: B-{i}\nlogsource: {{category: firewall}}\ndetection:\n{detection}"
        ));
    }
    docs.join("---\n")
}

#[test]
#[ignore = "timing; run in release"]
fn hundred_rules_over_a_million_events() {
    let set = sigma::parse_str(&rules(), Path::new("bench.yml"))
        .into_result()
        .unwrap();
    let detector =
        Detector::compile(&set, &FieldMapping::default(), &Placeholders::default()).unwrap();
    let mut batches = Batches::new(Arc::default());
    let actions = ["allow", "deny", "drop"];
    let apps = ["web-browsing", "ssl", "dns", "app7x", "ssh"];
    let threats = ["", "Trojan.Win32.Agent", "EICAR-Test-File", "none"];
    for i in 0..8192usize {
        let src = format!("10.{}.{}.{}", i % 120, (i / 7) % 255, i % 251);
        let raw = format!("line {i}");
        let common = Common {
            time: 1_763_596_800_000_000 + i as i64,
            received_at: 0,
            zone: None,
            device: Some("fw"),
            format: Some("fortigate"),
            source: "bench",
            raw: &raw,
            raw_bytes: None,
        };
        let event = NetworkEvent {
            src_ip: Some(&src),
            dst_ip: Some("192.168.1.1"),
            dst_port: Some((i % 2000) as u16),
            action: Some(actions[i % 3]),
            protocol: Some(if i % 2 == 0 { "tcp" } else { "udp" }),
            app: Some(apps[i % 5]),
            threat_name: Some(threats[i % 4]).filter(|t| !t.is_empty()),
            bytes_out: Some((i * 9973 % 60_000_000) as u64),
            ..Default::default()
        };
        batches.push(&common, &Event::Network(event));
    }
    let (_, batch) = batches.finish().remove(0);
    let mut scratch = detector.scratch();
    let rounds = 1_000_000 / batch.num_rows() + 1;
    let start = Instant::now();
    let mut matched = 0;
    for _ in 0..rounds {
        let matches = detector
            .evaluate_with(Table::Network, &batch, &mut scratch)
            .unwrap();
        matched += matches.iter().map(|m| m.rows.len()).sum::<usize>();
    }
    let elapsed = start.elapsed();
    let events = rounds * batch.num_rows();
    eprintln!(
        "{} rules, {} leaves, {events} events in {elapsed:?}: {:.1} M events/s ({matched} matches)",
        detector.rules().len(),
        detector.leaf_count(Table::Network),
        events as f64 / elapsed.as_secs_f64() / 1e6
    );
    assert!(matched > 0);
}
