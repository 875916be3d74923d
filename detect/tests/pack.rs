//! The built-in policy rule pack: every fixture passes with the example configuration's
//! lists (`src/default-config.toml`, the demo city), which is what `sanso rules test`
//! runs.

use sanso_detect::{FieldMapping, Placeholders, check, pack};

/// `[detection.placeholders]` of the embedded example configuration.
fn example_placeholders() -> Placeholders {
    let text = include_str!("../../src/default-config.toml");
    let config: toml::Table = toml::from_str(text).expect("the example config parses");
    let lists = config["detection"]["placeholders"].clone();
    lists.try_into().expect("placeholders are lists of strings")
}

#[test]
fn every_fixture_of_the_pack_passes() {
    let report = check::test_loaded(
        &pack::load(),
        pack::fixtures(),
        &FieldMapping::default(),
        &example_placeholders(),
    );
    let mut problems: Vec<String> = report.errors.clone();
    for (file, fixture) in &report.fixtures {
        for failure in &fixture.failures {
            problems.push(format!(
                "{}: {}: {failure}",
                file.display(),
                fixture.fixture
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        report.fixtures.len() >= 24,
        "{} fixtures",
        report.fixtures.len()
    );
}

#[test]
fn the_pack_compiles_with_the_example_lists() {
    let report = check::check_loaded(
        pack::load(),
        &FieldMapping::default(),
        &example_placeholders(),
    );
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_missing_list_names_the_rule_and_the_placeholder() {
    let report = check::check_loaded(
        pack::load(),
        &FieldMapping::default(),
        &Placeholders::default(),
    );
    let text: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|p| p.contains("OMZ-04") && p.contains("sanitisation_gateways")),
        "{text:#?}"
    );
}
