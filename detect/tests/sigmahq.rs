//! Real-world rules: SigmaHQ's rules for sshd, Linux auth and syslog, firewalls, web
//! servers and proxies (`testdata/sigmahq`, with their licence and provenance). Each
//! file either runs (loads, lowers onto sanso's tables, and can be hunted in SQL) or is
//! rejected with a reason that names what is missing: a feature, a field without a
//! column, a logsource without a table. The counts are pinned, so a change in what
//! sanso supports shows up here and in the README.

use std::path::{Path, PathBuf};

use sanso_detect::ir::lower;
use sanso_detect::sql::{TimeRange, plan};
use sanso_detect::{FieldMapping, Placeholders, sigma};

/// Files in `testdata/sigmahq`.
const FILES: usize = 149;
/// Files whose every document runs.
const RUNS: usize = 113;

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml") {
            out.push(path);
        }
    }
}

/// Whether a rejection says what is missing, in the words `sanso rules check` uses.
fn names_the_gap(reason: &str) -> bool {
    [
        "unsupported feature: ",
        "unknown field `",
        "unsupported logsource (",
        "missing `",
    ]
    .iter()
    .any(|marker| reason.contains(marker))
}

#[test]
fn sigmahq_rules_run_or_say_why_not() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sigmahq");
    let mut files = Vec::new();
    rule_files(&dir, &mut files);
    files.sort();
    let (mapping, placeholders) = (FieldMapping::default(), Placeholders::default());
    let mut runs = Vec::new();
    let mut rejected = Vec::new();
    for file in &files {
        let loaded = sigma::load_path(file);
        let lowered = lower(&loaded.set, &mapping, &placeholders);
        let hunt = plan(&lowered, TimeRange::default());
        let reasons: Vec<String> = loaded
            .errors
            .iter()
            .map(ToString::to_string)
            .chain(hunt.rejected.iter().map(ToString::to_string))
            .collect();
        let name = file.strip_prefix(&dir).unwrap().display().to_string();
        if reasons.is_empty() {
            assert!(
                !loaded.set.is_empty() && !hunt.queries.is_empty(),
                "{name}: runs, so it loads documents and yields queries"
            );
            runs.push(name);
        } else {
            for reason in &reasons {
                assert!(names_the_gap(reason), "{name}: vague rejection: {reason}");
            }
            rejected.push((name, reasons));
        }
    }
    println!("{} of {} SigmaHQ rule files run:", runs.len(), files.len());
    // By category: the folder two levels down (`web/proxy_generic`, `linux/sshd`).
    let category = |name: &str| name.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
    let mut by_category: std::collections::BTreeMap<String, (usize, usize)> =
        std::collections::BTreeMap::new();
    for name in &runs {
        let entry = by_category.entry(category(name)).or_default();
        entry.0 += 1;
        entry.1 += 1;
    }
    for (name, _) in &rejected {
        by_category.entry(category(name)).or_default().1 += 1;
    }
    for (category, (run, total)) in &by_category {
        println!("  {category}: {run} of {total} run");
    }
    for name in &runs {
        println!("  runs      {name}");
    }
    for (name, reasons) in &rejected {
        for reason in reasons {
            let reason = reason
                .rsplit_once("\": ")
                .map_or(reason.as_str(), |(_, r)| r);
            println!("  rejected  {name}: {reason}");
        }
    }
    assert_eq!(files.len(), FILES, "files in testdata/sigmahq");
    assert_eq!(
        runs.len(),
        RUNS,
        "files that run; update RUNS and the README's count"
    );
}
