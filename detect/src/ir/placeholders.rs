//! Values for `|expand` placeholders (`%admins%`, `%core_cidrs%`, ...).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Named lists that `%name%` placeholders expand to, given when rules are compiled:
/// zone CIDRs, gateways, security-cloud proxies, admin accounts, jump hosts, approved
/// SaaS domains. A rule that uses a placeholder missing from here fails to compile.
///
/// ```
/// let mut p = sanso_detect::Placeholders::default();
/// p.insert("jump_hosts", ["10.10.0.5", "10.10.0.6"]);
/// assert_eq!(p.get("jump_hosts").unwrap().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Placeholders(BTreeMap<String, Vec<String>>);

impl Placeholders {
    /// Sets a placeholder's values, replacing any earlier ones.
    pub fn insert<I, S>(&mut self, name: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0.insert(
            name.to_owned(),
            values.into_iter().map(Into::into).collect(),
        );
    }

    /// A placeholder's values.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(Vec::as_slice)
    }
}

impl<S: Into<String>> FromIterator<(S, Vec<String>)> for Placeholders {
    fn from_iter<T: IntoIterator<Item = (S, Vec<String>)>>(iter: T) -> Self {
        Placeholders(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}
