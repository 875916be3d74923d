//! Loading the configured Sigma rules into a running engine, and `sanso rules`.

use std::path::Path;
use std::sync::Arc;

use sanso_detect::{Detector, Engine, EngineConfig, FieldMapping, Severity, check, sigma};

use crate::config::DetectionConfig;
use crate::metrics::Metrics;

/// The engine for `[detection] rules`, or `None` when no rules are configured. A rule
/// that cannot run stops start-up with every reason, rather than running without it.
pub fn engine(config: &DetectionConfig, metrics: &Metrics) -> anyhow::Result<Option<Engine>> {
    let Some(dir) = &config.rules else {
        return Ok(None);
    };
    let set = sigma::load_path(dir).into_result().map_err(|errors| {
        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "rules in {} do not load:\n{}",
            dir.display(),
            reasons.join("\n")
        )
    })?;
    let detector = Detector::compile(&set, &FieldMapping::default(), &config.placeholders)
        .map_err(|errors| {
            anyhow::anyhow!("rules in {} do not compile:\n{errors}", dir.display())
        })?;
    let levels: Vec<(String, [Severity; 1])> = set
        .rules
        .iter()
        .map(|rule| {
            (
                rule.meta.rule_id().to_owned(),
                [rule.meta.level.unwrap_or(Severity::Medium)],
            )
        })
        .collect();
    let loaded: Vec<(&str, &[Severity])> = levels
        .iter()
        .map(|(id, level)| (id.as_str(), &level[..]))
        .collect();
    metrics.alert_rules_loaded(&loaded);
    tracing::info!(rules = set.rules.len(), correlations = set.correlations.len(), dir = %dir.display(), "detection rules loaded");
    let config = EngineConfig {
        suppress_for: i64::try_from(config.suppress_secs).unwrap_or(i64::MAX / 2_000_000)
            * 1_000_000,
        ..EngineConfig::default()
    };
    Ok(Some(Engine::new(Arc::new(detector), config)))
}

/// `sanso rules check DIR`: every rule that cannot run, with the reason.
pub fn check_rules(dir: &Path, config: &DetectionConfig) -> anyhow::Result<()> {
    let report = check::check_path(dir, &FieldMapping::default(), &config.placeholders);
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
        "{} rules in {} cannot run",
        report.problems.len(),
        dir.display()
    );
    Ok(())
}

/// `sanso rules test DIR`: runs the rules' fixtures.
pub fn test_rules(dir: &Path, config: &DetectionConfig) -> anyhow::Result<()> {
    let report = check::test_path(dir, &FieldMapping::default(), &config.placeholders);
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
    anyhow::ensure!(report.passed(), "rule fixtures in {} failed", dir.display());
    Ok(())
}
