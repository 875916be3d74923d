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

/// OMZ-19 chains onto `OMZ-19-failures`, whose count a deployment tunes under
/// `[detection.thresholds]`: two wrong passwords then a success are below the pack's
/// three, and enough once the count is set to two.
#[test]
fn the_guessed_password_count_is_a_threshold() {
    use std::collections::BTreeMap;
    use std::path::Path;

    use sanso_detect::fixture::parse_fixtures;
    use sanso_detect::thresholds::{self, Threshold};

    let case = |alerts: usize| {
        format!(
            "fixture: two wrong passwords, then a success\ntable: auth\nevents:\n\
             - {{time: \"2025-11-20T00:00:00Z\", src_ip: 10.20.1.170, user: root, activity: logon, outcome: failure, reason: bad password}}\n\
             - {{time: \"2025-11-20T00:00:05Z\", src_ip: 10.20.1.170, user: root, activity: logon, outcome: failure, reason: bad password}}\n\
             - {{time: \"2025-11-20T00:00:30Z\", src_ip: 10.20.1.170, user: root, activity: logon, outcome: success}}\n\
             expect:\n  - {{rule: OMZ-19, alerts: {alerts}}}\n"
        )
    };
    let run = |set: &sanso_detect::sigma::RuleSet, alerts: usize| {
        let fixture = parse_fixtures(&case(alerts), Path::new("t.fixture.yml"))
            .unwrap()
            .remove(0);
        fixture
            .run(set, &FieldMapping::default(), &example_placeholders())
            .unwrap()
            .failures
    };
    let mut set = pack::load().into_result().unwrap();
    assert_eq!(run(&set, 0), Vec::<String>::new(), "below the pack's count");
    let overrides = BTreeMap::from([(
        "OMZ-19-failures".to_owned(),
        Threshold {
            count: Some(2.0),
            timespan: None,
        },
    )]);
    thresholds::apply(&mut set, &overrides).unwrap();
    assert_eq!(run(&set, 1), Vec::<String>::new(), "at the tuned count");
}
