//! The case corpus (`tests/cases/*.yml`): each case's rules run on its events through
//! the vectorised engine, and the naive oracle in `support/oracle.rs` must agree with
//! both the engine and the expected rows.

mod support;

use std::path::Path;

use sanso_detect::fixture::{self, Fixture};
use sanso_detect::sigma::RuleSet;
use sanso_detect::{Detector, FieldMapping, Placeholders};

use support::oracle;

fn cases() -> Vec<(String, Fixture)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for case in fixture::parse_fixtures(&text, &file).unwrap() {
            out.push((
                file.file_name().unwrap().to_string_lossy().into_owned(),
                case,
            ));
        }
    }
    out
}

#[test]
fn corpus_expectations_hold() {
    let cases = cases();
    assert!(cases.len() >= 20, "the corpus shrank to {}", cases.len());
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let report = case.run(
            &RuleSet::default(),
            &FieldMapping::default(),
            &Placeholders::default(),
        );
        match report {
            Ok(r) => failures.extend(
                r.failures
                    .into_iter()
                    .map(|f| format!("{file} / {}: {f}", case.fixture)),
            ),
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn engine_agrees_with_the_naive_oracle_on_the_corpus() {
    for (file, case) in cases() {
        let set = case.inline_rules().unwrap();
        let placeholders: Placeholders = case.placeholders.clone().into_iter().collect();
        let detector = Detector::compile(&set, &FieldMapping::default(), &placeholders).unwrap();
        let table = case.table().unwrap();
        let batch = case.batch().unwrap();
        let matches = detector.evaluate(table, &batch).unwrap();
        for (index, rule) in detector.rules().iter().enumerate() {
            for (t, expr) in &rule.tables {
                if *t != table {
                    continue;
                }
                let engine = matches
                    .iter()
                    .find(|m| m.rule == index)
                    .map(|m| m.rows.clone())
                    .unwrap_or_default();
                let oracle = oracle::rows(&batch, expr);
                assert_eq!(
                    engine, oracle,
                    "{file} / {}: rule {:?}\n{expr:#?}",
                    case.fixture, rule.meta.title
                );
            }
        }
    }
}
