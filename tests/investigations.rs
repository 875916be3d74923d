//! Every investigation query in the README runs against a lake built from the demo, and
//! the ones with a known answer find the demo's labelled attacks.

mod support;

use std::path::Path;

use support::sanso_ok;

/// The ```sql blocks of the README.
fn readme_queries() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .split("```sql\n")
        .skip(1)
        .map(|block| {
            block
                .split("```")
                .next()
                .unwrap()
                .trim()
                .trim_end_matches(';')
                .to_owned()
        })
        .collect()
}

/// A lake of demo traffic from two days ago: query 1 looks back a week from now, and a
/// fixed date would fall out of its window as the calendar moves on.
fn demo_lake(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("lake");
    let start = (chrono::Utc::now() - chrono::Days::new(2))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();
    support::import_demo(dir, &data, 3, 6000, &start);
    data
}

#[test]
fn readme_investigation_queries_run_and_find_the_demo_attacks() {
    let queries = readme_queries();
    assert!(
        queries.len() >= 10,
        "the README documents {} queries",
        queries.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let data = demo_lake(dir.path());
    let mut results = Vec::new();
    for query in &queries {
        let output = sanso_ok(&[
            "--data",
            data.to_str().unwrap(),
            "sql",
            "--format",
            "csv",
            query,
        ]);
        results.push(String::from_utf8(output.stdout).unwrap());
    }
    let rows = |i: usize| results[i].lines().count() - 1;
    // The watched address shows up in the last week (1), the demo's permitted core
    // egress is caught (2), traffic crosses the lgwan/internet boundary (3), failed
    // logons exist (4), the spraying and scanning sources stand out (5, 6), the guessed
    // password is found (7), the proxies blocked something (8), every source is heard
    // from (10), and the demo's lines all parse (11).
    assert!(rows(0) > 0, "one address, a week:\n{}", results[0]);
    assert!(rows(1) > 0, "core egress:\n{}", results[1]);
    assert!(rows(2) > 0, "top talkers:\n{}", results[2]);
    assert!(rows(3) > 0, "failed logons:\n{}", results[3]);
    assert!(rows(4) > 0, "password spraying:\n{}", results[4]);
    assert!(rows(5) > 0, "port scan:\n{}", results[5]);
    assert!(rows(6) > 0, "success after failures:\n{}", results[6]);
    assert!(rows(7) > 0, "proxy blocks:\n{}", results[7]);
    assert!(rows(9) > 0, "sources:\n{}", results[9]);
    assert_eq!(rows(10), 0, "unparsed demo lines:\n{}", results[10]);
}
