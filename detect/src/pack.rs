//! The built-in policy rule pack: OMZ-01 … OMZ-22 of the design, as Sigma files in
//! `detect/rules/`, embedded at build time.
//!
//! The pack is what a city runs when it configures no rules of its own, so it travels
//! inside the binary rather than as a folder that could be missing or stale beside it.
//! Its fixtures travel with it, so `sanso rules test` checks the very rules that run.
//! Every list and threshold in it is configuration (`%placeholders%` and
//! [`crate::thresholds`]), not text to edit. `detect/rules/README.md` lists the rule ids
//! and their group-by keys.

use std::path::{Path, PathBuf};

use crate::fixture::{self, Fixture, FixtureError};
use crate::sigma::{self, Loaded};

/// `(path under detect/rules, text)` of every YAML file of the pack, rules and fixtures,
/// in path order.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/pack.rs"));

/// The prefix that marks a pack file in messages (`builtin:auth/OMZ-15-....yml:12`).
pub const ORIGIN: &str = "builtin:";

fn origin(path: &str) -> PathBuf {
    PathBuf::from(format!("{ORIGIN}{path}"))
}

/// The pack's rules, loaded.
pub fn load() -> Loaded {
    let mut loaded = Loaded::default();
    for (path, text) in FILES {
        if sigma::is_rule_file(Path::new(path)) {
            let file = sigma::parse_str(text, &origin(path));
            loaded.set.extend(file.set);
            loaded.errors.extend(file.errors);
        }
    }
    loaded
}

/// The pack's fixtures, with the file each came from.
pub fn fixtures() -> Result<Vec<(PathBuf, Fixture)>, FixtureError> {
    let mut out = Vec::new();
    for (path, text) in FILES {
        if !sigma::is_rule_file(Path::new(path)) {
            let file = origin(path);
            out.extend(
                fixture::parse_fixtures(text, &file)?
                    .into_iter()
                    .map(|f| (file.clone(), f)),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_rule_is_in_the_pack_once() {
        let loaded = load();
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let mut ids: Vec<&str> = loaded
            .set
            .rules
            .iter()
            .map(|r| &r.meta)
            .chain(loaded.set.correlations.iter().map(|c| &c.meta))
            .filter_map(|m| m.id.as_deref())
            .collect();
        let total = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), total, "duplicate ids");
        for n in (1..=22).filter(|n| *n != 6) {
            let id = format!("OMZ-{n:02}");
            assert!(ids.contains(&id.as_str()), "{id} missing");
        }
        for rule in &loaded.set.rules {
            assert!(
                rule.meta.policy_ref.is_some(),
                "{} has no policy_ref",
                rule.meta.title
            );
        }
        for c in &loaded.set.correlations {
            assert!(
                c.meta.policy_ref.is_some(),
                "{} has no policy_ref",
                c.meta.title
            );
        }
        assert!(fixtures().unwrap().len() >= 21);
    }
}
