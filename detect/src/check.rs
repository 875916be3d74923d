//! `sanso rules check` and `sanso rules test`, as library calls.
//!
//! ```no_run
//! # use std::path::Path;
//! # use sanso_detect::{FieldMapping, Placeholders, check};
//! let (mapping, placeholders) = (FieldMapping::default(), Placeholders::default());
//! let report = check::check_path(Path::new("rules/"), &mapping, &placeholders);
//! for problem in &report.problems {
//!     eprintln!("{problem}"); // file:line: rule ID "title": what is wrong
//! }
//! let tests = check::test_path(Path::new("rules/"), &mapping, &placeholders);
//! std::process::exit(if report.problems.is_empty() && tests.passed() { 0 } else { 1 });
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::detector::Detector;
use crate::error::CompileError;
use crate::fixture::{self, Fixture, FixtureError, FixtureReport};
use crate::ir::{FieldMapping, Placeholders};
use crate::sigma::{self, LoadError};

/// A rule that cannot run, from either phase.
#[derive(Debug)]
pub enum Problem {
    /// It did not load.
    Load(LoadError),
    /// It loaded but did not compile.
    Compile(CompileError),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Load(e) => e.fmt(f),
            Problem::Compile(e) => e.fmt(f),
        }
    }
}

/// What `rules check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Detection rules loaded.
    pub rules: usize,
    /// Filter documents loaded.
    pub filters: usize,
    /// Correlations loaded (legacy `| count()` rules included).
    pub correlations: usize,
    /// Every rule that cannot run, with the reason.
    pub problems: Vec<Problem>,
}

/// Loads and compiles every rule under `path`, reporting each one that cannot run.
pub fn check_path(path: &Path, mapping: &FieldMapping, placeholders: &Placeholders) -> CheckReport {
    check_loaded(sigma::load_path(path), mapping, placeholders)
}

/// Compiles rules already loaded (the built-in pack, or several folders together),
/// reporting each one that cannot run.
pub fn check_loaded(
    loaded: sigma::Loaded,
    mapping: &FieldMapping,
    placeholders: &Placeholders,
) -> CheckReport {
    let mut report = CheckReport {
        rules: loaded.set.rules.len(),
        filters: loaded.set.filters.len(),
        correlations: loaded.set.correlations.len(),
        problems: loaded.errors.into_iter().map(Problem::Load).collect(),
    };
    if let Err(errors) = Detector::compile(&loaded.set, mapping, placeholders) {
        report
            .problems
            .extend(errors.0.into_iter().map(Problem::Compile));
    }
    report
}

/// What `rules test` found.
#[derive(Debug, Default)]
pub struct TestReport {
    /// One report per fixture that ran, with its file.
    pub fixtures: Vec<(PathBuf, FixtureReport)>,
    /// Fixtures (or rules) that could not run at all.
    pub errors: Vec<String>,
}

impl TestReport {
    /// Whether every fixture ran and met its expectations.
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.fixtures.iter().all(|(_, r)| r.failures.is_empty())
    }
}

/// Runs every fixture (`*.fixture.yml`) under `path` against the rules under `path`.
pub fn test_path(path: &Path, mapping: &FieldMapping, placeholders: &Placeholders) -> TestReport {
    test_loaded(
        &sigma::load_path(path),
        fixture::load_fixtures(path),
        mapping,
        placeholders,
    )
}

/// Runs fixtures against rules already loaded (the built-in pack's, say).
pub fn test_loaded(
    loaded: &sigma::Loaded,
    fixtures: Result<Vec<(PathBuf, Fixture)>, FixtureError>,
    mapping: &FieldMapping,
    placeholders: &Placeholders,
) -> TestReport {
    let mut report = TestReport::default();
    report
        .errors
        .extend(loaded.errors.iter().map(ToString::to_string));
    let fixtures = match fixtures {
        Ok(f) => f,
        Err(e) => {
            report.errors.push(e.to_string());
            return report;
        }
    };
    for (file, fixture) in fixtures {
        match fixture.run(&loaded.set, mapping, placeholders) {
            Ok(r) => report.fixtures.push((file, r)),
            Err(e @ FixtureError::Rules { .. }) => {
                report.errors.push(format!("{}: {e}", file.display()))
            }
            Err(e) => report.errors.push(e.to_string()),
        }
    }
    report
}
