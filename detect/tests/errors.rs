//! Rules that cannot run are rejected at load or compile time, with a message naming
//! the file, the rule and the feature — never skipped in silence.

use std::path::Path;

use sanso_detect::sigma::{self, RuleSet};
use sanso_detect::{Detector, FieldMapping, Placeholders};

fn rule(detection: &str) -> String {
    format!("title: Test rule\nid: E-1\nlogsource: {{category: firewall}}\ndetection:\n{detection}")
}

fn load_error(text: &str) -> String {
    let errors = sigma::parse_str(text, Path::new("rules/e.yml"))
        .into_result()
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

fn compile_error(text: &str) -> String {
    let set: RuleSet = sigma::parse_str(text, Path::new("rules/e.yml"))
        .into_result()
        .unwrap();
    let mut placeholders = Placeholders::default();
    placeholders.insert("known", ["x"]);
    Detector::compile(&set, &FieldMapping::default(), &placeholders)
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_and_unsupported_modifiers() {
    assert_eq!(
        load_error(&rule("  sel: {dst_port|contians: 1}\n  condition: sel\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `dst_port|contians`: unknown modifier `contians`"
    );
    assert_eq!(
        load_error(&rule("  sel: {time|hour: 3}\n  condition: sel\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `time|hour`: unsupported modifier `hour`"
    );
    assert_eq!(
        load_error(&rule(
            "  sel: {src_ip|cidr|contains: 10.0.0.0/8}\n  condition: sel\n"
        )),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `src_ip|cidr|contains`: modifiers cannot be combined: cidr with a string or numeric modifier"
    );
}

#[test]
fn unsupported_conditions_and_aggregations() {
    assert_eq!(
        load_error(&rule("  sel: {action: deny}\n  condition: 2 of sel*\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": condition `2 of sel*`: column 1: unsupported quantifier `2 of` (only `1 of`, `any of` and `all of`)"
    );
    assert_eq!(
        load_error(&rule(
            "  sel: {action: deny}\n  timeframe: 1m\n  condition: sel | near other\n"
        )),
        "rules/e.yml:1: rule E-1 \"Test rule\": unsupported feature: aggregation `near`"
    );
    assert_eq!(
        load_error(&rule(
            "  sel: {action: deny}\n  timeframe: 1m\n  condition: sel | avg(bytes_out) by src_ip > 5\n"
        )),
        "rules/e.yml:1: rule E-1 \"Test rule\": unsupported feature: aggregation `avg`"
    );
}

#[test]
fn fields_logsources_and_values() {
    assert_eq!(
        compile_error(&rule("  sel: {CommandLine: x}\n  condition: sel\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": unknown field `CommandLine` in table network; add it to the field mapping"
    );
    let process = "title: Proc\nid: E-2\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel: {Image: x}\n  condition: sel\n";
    assert_eq!(
        compile_error(process),
        "rules/e.yml:1: rule E-2 \"Proc\": unsupported logsource (category=process_creation, product=windows): no sanso table holds it; add a [[logsource]] mapping"
    );
    assert_eq!(
        compile_error(&rule(
            "  sel: {src_ip|expand: '%admins%'}\n  condition: sel\n"
        )),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `src_ip`: placeholder `%admins%` is not configured"
    );
    assert_eq!(
        compile_error(&rule(
            "  sel: {src_ip|cidr: 10.0.0.0/33}\n  condition: sel\n"
        )),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `src_ip`: `10.0.0.0/33` is not a CIDR range"
    );
    assert!(
        compile_error(&rule("  sel: {src_ip|re: '(unclosed'}\n  condition: sel\n"))
            .starts_with("rules/e.yml:1: rule E-1 \"Test rule\": field `src_ip`: invalid regular expression `(unclosed`")
    );
    assert_eq!(
        compile_error(&rule("  sel: {dst_port|gt: many}\n  condition: sel\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `dst_port`: `gt` needs a number, not `many`"
    );
    assert_eq!(
        compile_error(&rule("  sel: {src_ip|base64: 'a*'}\n  condition: sel\n")),
        "rules/e.yml:1: rule E-1 \"Test rule\": field `src_ip`: wildcards cannot be base64-encoded"
    );
}

#[test]
fn correlation_problems() {
    let base = "title: Base\nid: B-1\nname: base\nlogsource: {category: firewall}\ndetection:\n  sel: {action: deny}\n  condition: sel\n---\n";
    let missing = format!(
        "{base}title: C\nid: C-1\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {{gte: 2}}\n"
    );
    assert_eq!(
        compile_error(&missing),
        "rules/e.yml:9: rule C-1 \"C\": references rule `nope`, which is not loaded"
    );
    // Chaining: the outer correlation can only group by what the inner one's alerts
    // carry, and a chain must not loop.
    let chained = format!(
        "{base}title: C\nid: C-1\nname: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [src_ip]\n  timespan: 1m\n  condition: {{gte: 2}}\n---\ntitle: D\nid: D-1\ncorrelation:\n  type: event_count\n  rules: [c1]\n  group-by: [dst_ip]\n  timespan: 1m\n  condition: {{gte: 2}}\n"
    );
    assert_eq!(
        compile_error(&chained),
        "rules/e.yml:19: rule D-1 \"D\": field `dst_ip`: correlation `c1` groups by [src_ip], so its alerts carry no `dst_ip`"
    );
    let looping = format!(
        "{base}title: C\nid: C-1\nname: c1\ncorrelation:\n  type: event_count\n  rules: [base, c2]\n  timespan: 1m\n  condition: {{gte: 2}}\n---\ntitle: D\nid: D-1\nname: c2\ncorrelation:\n  type: event_count\n  rules: [c1]\n  timespan: 1m\n  condition: {{gte: 2}}\n"
    );
    assert_eq!(
        compile_error(&looping),
        "rules/e.yml:18: rule D-1 \"D\": field `correlation.rules`: `c1` leads back to this correlation; a chain must not loop\n\
         rules/e.yml:9: rule C-1 \"C\": unsupported feature: chaining onto correlation `c2`, which cannot run itself"
    );
    let filtered = format!(
        "{base}title: C\nid: C-1\nname: c1\ncorrelation:\n  type: event_count\n  rules: [base]\n  timespan: 1m\n  condition: {{gte: 2}}\n---\ntitle: F\nid: F-1\nfilter:\n  rules: [c1]\n  sel: {{src_ip: 10.0.0.1}}\n  condition: not sel\n"
    );
    assert_eq!(
        compile_error(&filtered),
        "rules/e.yml:18: rule F-1 \"F\": unsupported feature: `c1` is a correlation; filters and `absence` apply to detection rules"
    );
    let absence = format!(
        "{base}title: C\nid: C-1\ncorrelation:\n  type: event_count\n  rules: [base]\n  timespan: 1m\n  condition: {{lt: 2}}\n"
    );
    assert_eq!(
        compile_error(&absence),
        "rules/e.yml:9: rule C-1 \"C\": unsupported feature: a correlation condition without gt, gte or eq (detecting absence needs windows that close)"
    );
    let bad_group = format!(
        "{base}title: C\nid: C-1\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [TargetUserName]\n  timespan: 1m\n  condition: {{gte: 2}}\n"
    );
    assert_eq!(
        compile_error(&bad_group),
        "rules/e.yml:9: rule C-1 \"C\": unknown field `TargetUserName` in table network; add it to the field mapping"
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let text = format!(
        "{}---\n{}",
        rule("  sel: {Nope: 1}\n  condition: sel\n"),
        rule("  sel: {AlsoNope: 1}\n  condition: sel\n").replace("E-1", "E-2")
    );
    let message = compile_error(&text);
    assert_eq!(message.lines().count(), 2, "{message}");
    assert!(message.contains("E-1") && message.contains("E-2"));
}

#[test]
fn check_a_directory() {
    let dir = std::env::temp_dir().join(format!("sanso-detect-errors-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("good.yml"),
        rule("  sel: {action: deny}\n  condition: sel\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/bad.yaml"),
        rule("  sel: {action|nope: deny}\n  condition: sel\n"),
    )
    .unwrap();
    std::fs::write(dir.join("good.fixture.yml"), "not a rule").unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let loaded = sigma::load_path(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(loaded.set.rules.len(), 1);
    assert_eq!(loaded.errors.len(), 1);
    assert!(
        loaded.errors[0]
            .to_string()
            .contains("sub/bad.yaml:1: rule E-1"),
        "{}",
        loaded.errors[0]
    );
}

#[test]
fn check_and_test_a_rule_pack() {
    use sanso_detect::check;
    let dir = std::env::temp_dir().join(format!("sanso-detect-pack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("deny.yml"),
        rule("  sel: {action: deny}\n  condition: sel\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("typo.yml"),
        rule("  sel: {Actoin: deny}\n  condition: sel\n").replace("E-1", "E-9"),
    )
    .unwrap();
    std::fs::write(
        dir.join("deny.fixture.yml"),
        "fixture: deny fires\ntable: network\nevents:\n  - {action: deny}\n  - {action: allow}\nexpect:\n  - {rule: E-1, rows: [0]}\n",
    )
    .unwrap();
    let (mapping, placeholders) = (FieldMapping::default(), Placeholders::default());
    let report = check::check_path(&dir, &mapping, &placeholders);
    assert_eq!(report.rules, 2);
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0]
            .to_string()
            .contains("rule E-9 \"Test rule\": unknown field `Actoin`")
    );
    // The typo breaks compilation of the whole set, so the fixture reports it.
    let tests = check::test_path(&dir, &mapping, &placeholders);
    assert!(!tests.passed());
    std::fs::remove_file(dir.join("typo.yml")).unwrap();
    let tests = check::test_path(&dir, &mapping, &placeholders);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(tests.passed(), "{tests:?}");
    assert_eq!(tests.fixtures.len(), 1);
}
