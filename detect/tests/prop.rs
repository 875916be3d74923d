//! Property test: random rules over random batches, the vectorised engine against the
//! naive row-at-a-time oracle.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use sanso_detect::fixture::Fixture;
use sanso_detect::sigma;
use sanso_detect::{Detector, FieldMapping, Placeholders};
use serde_yaml_ng::Value as Yaml;

use support::oracle;

const ACTIONS: &[&str] = &["allow", "deny", "DENY", "drop", "reset"];
const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "TCP"];
const APPS: &[&str] = &["ssh", "web-browsing", "SSL", ""];
const IPS: &[&str] = &[
    "10.10.1.1",
    "10.10.2.3",
    "192.168.1.1",
    "fd00::1",
    "8.8.8.8",
    "junk",
    "10.20.0.1",
];
const THREATS: &[&str] = &[
    "Trojan.Win32.Agent",
    "EICAR-Test-File",
    "trojan.linux",
    "Mirai?",
    "a*b",
    "日本語ウイルス",
    "",
];
const DEVICES: &[&str] = &["FGT60F", "fgt-core", "pa-220"];
const PORTS: &[u16] = &[22, 53, 80, 443, 3389, 8080];
const BYTES: &[u64] = &[0, 100, 5000, 60_000_000];
const CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "10.10.0.0/16",
    "fd00::/8",
    "192.168.1.1/32",
    "0.0.0.0/0",
];
const REGEXES: &[&str] = &["^t", "an$", "[0-9]+", "(?:deny|drop)", "W.n", "^$"];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn maybe<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![1 => Just(None), 3 => s.prop_map(Some)]
}

type Row = BTreeMap<String, Yaml>;

fn row() -> impl Strategy<Value = Row> {
    (
        maybe(pick(ACTIONS)),
        maybe(pick(PROTOCOLS)),
        maybe(pick(APPS)),
        maybe(pick(IPS)),
        maybe(pick(THREATS)),
        maybe(pick(PORTS)),
        maybe(pick(PORTS)),
        maybe(pick(BYTES)),
        maybe(pick(DEVICES)),
    )
        .prop_map(
            |(action, protocol, app, ip, threat, src_port, dst_port, bytes, device)| {
                let mut row = Row::new();
                let mut put = |k: &str, v: Option<Yaml>| {
                    if let Some(v) = v {
                        row.insert(k.to_owned(), v);
                    }
                };
                let s = |v: Option<&str>| v.map(|v| Yaml::String(v.to_owned()));
                put("action", s(action));
                put("protocol", s(protocol));
                put("app", s(app));
                put("src_ip", s(ip));
                put("threat_name", s(threat));
                put("src_port", src_port.map(|p| Yaml::Number(p.into())));
                put("dst_port", dst_port.map(|p| Yaml::Number(p.into())));
                put("bytes_out", bytes.map(|b| Yaml::Number(b.into())));
                if let Some(d) = device {
                    let mut extra = serde_yaml_ng::Mapping::new();
                    extra.insert(Yaml::String("devname".into()), Yaml::String(d.into()));
                    row.insert("extra".into(), Yaml::Mapping(extra));
                }
                row
            },
        )
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A string value derived from the vocabulary: a slice of a word, perhaps with
/// wildcards in it.
fn text_value(words: &'static [&'static str]) -> impl Strategy<Value = String> {
    (pick(words), 0usize..4, 0usize..4, 0usize..4).prop_map(|(word, cut_start, cut_end, wild)| {
        let chars: Vec<char> = word.chars().collect();
        let start = cut_start.min(chars.len());
        let end = chars.len().saturating_sub(cut_end).max(start);
        let mut s: String = chars[start..end].iter().collect();
        match wild {
            1 if !s.is_empty() => {
                let middle = s
                    .char_indices()
                    .nth(s.chars().count() / 2)
                    .map_or(s.len(), |(i, _)| i);
                s.insert(middle, '*');
            }
            2 if !s.is_empty() => s.insert(0, '?'),
            _ => {}
        }
        s
    })
}

/// One `field|modifiers: values` line.
fn item() -> impl Strategy<Value = String> {
    let string_field = prop_oneof![
        Just(("action", ACTIONS)),
        Just(("protocol", PROTOCOLS)),
        Just(("app", APPS)),
        Just(("threat_name", THREATS)),
        Just(("src_ip", IPS)),
        Just(("extra.devname", DEVICES)),
    ];
    let string_item = (
        string_field,
        pick(
            &[
                "",
                "|contains",
                "|startswith",
                "|endswith",
                "|cased",
                "|contains|cased",
                "|neq",
            ][..],
        ),
        proptest::collection::vec(0usize..1000, 1..4),
        any::<bool>(),
    )
        .prop_flat_map(|((field, words), modifier, seeds, all)| {
            proptest::collection::vec(text_value(words), seeds.len()).prop_map(move |values| {
                let all = if all && values.len() > 1 { "|all" } else { "" };
                let values: Vec<String> = values.iter().map(|v| quote(v)).collect();
                format!("{field}{modifier}{all}: [{}]", values.join(", "))
            })
        });
    let regex_item = (
        pick(&["action", "threat_name", "src_ip", "extra.devname"][..]),
        pick(REGEXES),
        pick(&["|re", "|re|i"][..]),
    )
        .prop_map(|(field, re, m)| format!("{field}{m}: {}", quote(re)));
    let cidr_item = proptest::collection::vec(pick(CIDRS), 1..3).prop_map(|c| {
        format!(
            "src_ip|cidr: [{}]",
            c.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ")
        )
    });
    let numeric_item = (
        pick(&["dst_port", "src_port", "bytes_out"][..]),
        pick(&["", "|lt", "|lte", "|gt", "|gte", "|neq"][..]),
        pick(&["22", "80", "443", "1000", "5000", "'443'"][..]),
    )
        .prop_map(|(field, m, v)| format!("{field}{m}: {v}"));
    let other_item = prop_oneof![
        pick(
            &[
                "action",
                "src_ip",
                "dst_port",
                "extra.devname",
                "threat_name"
            ][..]
        )
        .prop_flat_map(|f| any::<bool>().prop_map(move |b| format!("{f}|exists: {b}"))),
        Just("src_port|fieldref: dst_port".to_owned()),
        Just("action: null".to_owned()),
        Just("app: ''".to_owned()),
    ];
    prop_oneof![
        4 => string_item,
        1 => regex_item,
        1 => cidr_item,
        2 => numeric_item,
        1 => other_item,
    ]
}

const CONDITIONS: &[&[&str]] = &[
    &["sel0", "not sel0"],
    &[
        "sel0 and sel1",
        "sel0 or not sel1",
        "not (sel0 or sel1)",
        "1 of sel*",
        "all of them",
    ],
    &[
        "sel0 and (sel1 or not sel2)",
        "1 of them",
        "all of sel*",
        "(sel0 or sel1) and not sel2",
    ],
];

fn rule(id: usize) -> impl Strategy<Value = String> {
    (1usize..=3)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(proptest::collection::vec(item(), 1..3), n),
                pick(CONDITIONS[n - 1]),
            )
        })
        .prop_map(move |(selections, condition)| {
            let mut text = format!(
                "title: random {id}\nid: P-{id}\nlogsource: {{category: firewall}}\ndetection:\n"
            );
            for (i, items) in selections.iter().enumerate() {
                text.push_str(&format!("  sel{i}:\n"));
                let mut keys = Vec::new();
                for item in items {
                    // YAML rejects a key given twice in one mapping.
                    let key = item.split(':').next().unwrap_or_default();
                    if keys.contains(&key) {
                        continue;
                    }
                    keys.push(key);
                    text.push_str(&format!("    {item}\n"));
                }
            }
            text.push_str(&format!("  condition: {condition}\n"));
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_oracle(
        rules in (rule(0), rule(1), rule(2)),
        events in proptest::collection::vec(row(), 0..120),
    ) {
        let text = format!("{}---\n{}---\n{}", rules.0, rules.1, rules.2);
        let set = sigma::parse_str(&text, Path::new("prop.yml")).into_result();
        let set = match set {
            Ok(set) => set,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}\n{text}"))),
        };
        let detector = Detector::compile(&set, &FieldMapping::default(), &Placeholders::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let fixture = Fixture {
            fixture: "prop".into(),
            table: "network".into(),
            rules: None,
            placeholders: BTreeMap::new(),
            events,
            expect: Vec::new(),
        };
        let batch = fixture.batch().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let table = fixture.table().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let matches = detector
            .evaluate(table, &batch)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (index, rule) in detector.rules().iter().enumerate() {
            for (_, expr) in &rule.tables {
                let engine = matches
                    .iter()
                    .find(|m| m.rule == index)
                    .map(|m| m.rows.clone())
                    .unwrap_or_default();
                let oracle = oracle::rows(&batch, expr);
                prop_assert_eq!(engine, oracle, "{}\n{:#?}", text, expr);
            }
        }
    }
}
