//! Loading the configured Sigma rules into a running engine, and `sanso rules`.
//!
//! The rules that run are the built-in policy pack (OMZ-01 … OMZ-22, embedded in the
//! binary, on unless `[detection] builtin = false`) and the city's own folder
//! (`[detection] rules`), compiled together with the configured placeholder lists and
//! with `[detection.thresholds]` applied.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use sanso_detect::sigma::{self, Loaded, RuleSet};
use sanso_detect::{
    Detector, Engine, EngineConfig, FieldMapping, Severity, check, pack, thresholds,
};

use crate::config::{Config, DEFAULT_CONFIG, DetectionConfig};
use crate::metrics::Metrics;

/// The configured rules, loaded but not yet compiled: the pack, then the folder.
fn configured(config: &DetectionConfig) -> Loaded {
    let mut loaded = if config.builtin {
        pack::load()
    } else {
        Loaded::default()
    };
    if let Some(dir) = &config.rules {
        let own = sigma::load_path(dir);
        loaded.set.extend(own.set);
        loaded.errors.extend(own.errors);
    }
    loaded
}

/// Where the configured rules come from, for messages.
fn describe(config: &DetectionConfig) -> String {
    match (config.builtin, &config.rules) {
        (true, Some(dir)) => format!("the built-in pack and {}", dir.display()),
        (true, None) => "the built-in pack".to_owned(),
        (false, Some(dir)) => dir.display().to_string(),
        (false, None) => "no rules".to_owned(),
    }
}

/// The configured rules with the threshold overrides applied; every load error at once.
fn rule_set(config: &DetectionConfig) -> anyhow::Result<RuleSet> {
    let mut set = configured(config).into_result().map_err(|errors| {
        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "rules from {} do not load:\n{}",
            describe(config),
            reasons.join("\n")
        )
    })?;
    thresholds::apply(&mut set, &config.thresholds).context("[detection.thresholds]")?;
    Ok(set)
}

/// The engine for the configured rules, or `None` when the pack is off and no folder
/// is configured. A rule that cannot run stops start-up with every reason, rather than
/// running without it.
pub fn engine(config: &DetectionConfig, metrics: &Metrics) -> anyhow::Result<Option<Engine>> {
    if !config.builtin && config.rules.is_none() {
        return Ok(None);
    }
    let set = rule_set(config)?;
    let detector = Detector::compile(&set, &FieldMapping::default(), &config.placeholders)
        .map_err(|errors| {
            anyhow::anyhow!("rules from {} do not compile:\n{errors}", describe(config))
        })?;
    // Rules that only feed a correlation or an absence raise nothing and get no series.
    let alerting = detector
        .rules()
        .iter()
        .filter(|r| r.generate || r.absence.is_some() || r.silence.is_some())
        .map(|r| &r.meta)
        .chain(detector.correlations().iter().map(|c| &c.meta));
    let levels: Vec<(String, [Severity; 1])> = alerting
        .map(|meta| {
            (
                meta.rule_id().to_owned(),
                [meta.level.unwrap_or(Severity::Medium)],
            )
        })
        .collect();
    let loaded: Vec<(&str, &[Severity])> = levels
        .iter()
        .map(|(id, level)| (id.as_str(), &level[..]))
        .collect();
    metrics.alert_rules_loaded(&loaded);
    tracing::info!(
        rules = set.rules.len(),
        correlations = set.correlations.len(),
        from = %describe(config),
        "detection rules loaded"
    );
    let config = EngineConfig {
        suppress_for: i64::try_from(config.suppress_secs).unwrap_or(i64::MAX / 2_000_000)
            * 1_000_000,
        ..EngineConfig::default()
    };
    Ok(Some(Engine::new(Arc::new(detector), config)))
}

/// `sanso rules check [DIR]`: every rule that cannot run, with the reason. Without DIR,
/// the configured rules with the configured lists and thresholds.
pub fn check_rules(dir: Option<&Path>, config: &DetectionConfig) -> anyhow::Result<()> {
    let mapping = FieldMapping::default();
    let (report, what) = match dir {
        Some(dir) => (
            check::check_path(dir, &mapping, &config.placeholders),
            dir.display().to_string(),
        ),
        None => {
            let mut loaded = configured(config);
            thresholds::apply(&mut loaded.set, &config.thresholds)
                .context("[detection.thresholds]")?;
            (
                check::check_loaded(loaded, &mapping, &config.placeholders),
                describe(config),
            )
        }
    };
    for problem in &report.problems {
        println!("{problem}");
    }
    println!(
        "{} rules, {} filters, {} correlations; {} cannot run",
        report.rules,
        report.filters,
        report.correlations,
        report.problems.len()
    );
    anyhow::ensure!(
        report.problems.is_empty(),
        "{} rules in {what} cannot run",
        report.problems.len(),
    );
    Ok(())
}

/// `sanso rules test [DIR]`: runs the rules' fixtures. Without DIR, the built-in pack's
/// fixtures, with the lists of the embedded example configuration: the fixtures are
/// written for the demo city's addresses, whatever the city's own lists are.
pub fn test_rules(dir: Option<&Path>, config: &DetectionConfig) -> anyhow::Result<()> {
    let mapping = FieldMapping::default();
    let (report, what) = match dir {
        Some(dir) => (
            check::test_path(dir, &mapping, &config.placeholders),
            dir.display().to_string(),
        ),
        None => {
            let example = Config::parse(DEFAULT_CONFIG, Path::new("<embedded default config>"))
                .context("the embedded default config")?;
            (
                check::test_loaded(
                    &pack::load(),
                    pack::fixtures(),
                    &mapping,
                    &example.detection.placeholders,
                ),
                "the built-in pack".to_owned(),
            )
        }
    };
    for error in &report.errors {
        println!("error: {error}");
    }
    for (file, fixture) in &report.fixtures {
        for failure in &fixture.failures {
            println!("{}: {failure}", file.display());
        }
    }
    let failed: usize = report
        .fixtures
        .iter()
        .filter(|(_, f)| !f.failures.is_empty())
        .count();
    println!(
        "{} fixtures, {failed} failed, {} could not run",
        report.fixtures.len(),
        report.errors.len()
    );
    anyhow::ensure!(report.passed(), "rule fixtures in {what} failed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::Causes;

    fn default_detection() -> DetectionConfig {
        Config::parse(DEFAULT_CONFIG, Path::new("default"))
            .unwrap()
            .detection
    }

    #[test]
    fn the_pack_runs_by_default_with_the_example_lists() {
        let config = default_detection();
        assert!(config.builtin && config.rules.is_none());
        let engine = engine(&config, &Metrics::new()).unwrap().expect("pack on");
        let ids: Vec<&str> = engine
            .detector()
            .rules()
            .iter()
            .map(|r| r.meta.rule_id())
            .chain(
                engine
                    .detector()
                    .correlations()
                    .iter()
                    .map(|c| c.meta.rule_id()),
            )
            .collect();
        assert!(
            ids.contains(&"OMZ-01") && ids.contains(&"OMZ-22"),
            "{ids:?}"
        );
    }

    #[test]
    fn the_pack_can_be_turned_off_and_thresholds_overridden() {
        let mut config = default_detection();
        config.builtin = false;
        assert!(engine(&config, &Metrics::new()).unwrap().is_none());
        config.builtin = true;
        config.thresholds.insert(
            "OMZ-15".into(),
            thresholds::Threshold {
                count: Some(8.0),
                timespan: Some("2m".into()),
            },
        );
        let engine = engine(&config, &Metrics::new()).unwrap().unwrap();
        let omz15 = engine
            .detector()
            .correlations()
            .iter()
            .find(|c| c.meta.rule_id() == "OMZ-15")
            .unwrap();
        assert_eq!(omz15.timespan, 120_000_000);
        assert_eq!(omz15.condition[0].1, 8.0);
        config
            .thresholds
            .insert("OMZ-99".into(), Default::default());
        let error = engine_error(&config);
        assert!(error.contains("OMZ-99"), "{error}");
    }

    fn engine_error(config: &DetectionConfig) -> String {
        Causes(&engine(config, &Metrics::new()).unwrap_err()).to_string()
    }

    #[test]
    fn the_builtin_fixtures_pass() {
        test_rules(None, &default_detection()).unwrap();
        check_rules(None, &default_detection()).unwrap();
    }
}
