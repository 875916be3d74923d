//! `sanso compact` on a lake filled by several imports: fewer files, the same rows.

mod support;

use std::path::Path;

use support::sanso_ok;

fn parquet_files(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += parquet_files(&path);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            n += 1;
        }
    }
    n
}

fn sql(data: &str, query: &str) -> String {
    let out = sanso_ok(&["--data", data, "sql", "--format", "csv", query]);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn compacting_merges_small_files_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let data = lake.to_str().unwrap();
    // Four imports of the same hour of traffic: four small files in every partition.
    for seed in 1..=4 {
        let out = dir.path().join(format!("demo-{seed}"));
        sanso_ok(&[
            "demo",
            "--seed",
            &seed.to_string(),
            "--events",
            "3000",
            "--start",
            "2026-11-20T01:00:00Z",
            "--out",
            out.to_str().unwrap(),
        ]);
        let mut args = vec!["--data", data, "import"];
        let logs: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .map(|p| p.to_str().unwrap().to_owned())
            .collect();
        args.extend(logs.iter().map(String::as_str));
        sanso_ok(&args);
    }
    let everything = "SELECT 'network', count(*), count(DISTINCT raw) FROM network \
        UNION ALL SELECT 'http', count(*), count(DISTINCT raw) FROM http \
        UNION ALL SELECT 'auth', count(*), count(DISTINCT raw) FROM auth ORDER BY 1";
    let before = sql(data, everything);
    let files_before = parquet_files(&lake);

    let report = sanso_ok(&["--data", data, "compact", "--grace", "0"]);
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(report.starts_with("merged "), "{report}");
    assert_eq!(sql(data, everything), before);
    // The next passes delete the replaced files, then the manifests.
    sanso_ok(&["--data", data, "compact", "--grace", "0"]);
    sanso_ok(&["--data", data, "compact", "--grace", "0"]);
    assert_eq!(sql(data, everything), before);
    let files_after = parquet_files(&lake);
    assert!(
        files_after * 3 < files_before,
        "{files_before} files before, {files_after} after"
    );
}
