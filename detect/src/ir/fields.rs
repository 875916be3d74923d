//! Field mapping: Sigma's taxonomy names to sanso's tables and columns.
//!
//! Two tables, both readable below and both overridable by a deployment:
//!
//! * **Logsources → tables.** A rule's `logsource` picks the sanso table(s) it runs on.
//!   An entry matches when every key it names equals the rule's (case-insensitively);
//!   the first match wins, deployment entries before the defaults.
//!
//!   | category | product | service | table |
//!   |---|---|---|---|
//!   | `firewall` | | | `network` |
//!   | `proxy` | | | `http` |
//!   | `webserver` | | | `http` |
//!   | `authentication` | | | `auth` |
//!   | | `linux` | `auth` | `auth` |
//!   | | `linux` | `sshd` | `auth` |
//!   | | `windows` | `security` | `auth` |
//!   | | `sanso` | `network` / `http` / `auth` / `unparsed` | that table |
//!   | | `sanso` | `events` | `network`, `http` and `auth` |
//!
//! * **Fields → columns, per table** ([`DEFAULT_FIELDS`]). A field resolves to the mapped
//!   column; failing that, a sanso column of the same name (so rules written for sanso
//!   can use `src_zone` directly); failing that, `extra.KEY` names a key of the `extra`
//!   map. Before all of these, the names of [derived fields](super::derived) (`jst_hour`,
//!   `jst_business_hours`, `clock_skew_secs`, ...) resolve to values computed per batch. Anything else is a compile error naming the rule, the field and the table:
//!   a misspelt field must not turn into a rule that never fires.
//!
//! A deployment overrides both with TOML ([`MappingConfig`]):
//!
//! ```toml
//! [[logsource]]
//! product = "fortigate"
//! tables = ["network"]
//!
//! [fields.network]
//! devname = "extra.devname"
//! DestinationIp = "dst_ip"
//! ```

use std::collections::BTreeMap;

use sanso_ingest::schema::{Table, col};
use serde::Deserialize;

use super::expr::Target;
use crate::sigma::Logsource;

use Table::{Auth, Http, Network};

/// The default field table: `(table, Sigma field, sanso column or extra.KEY)`.
pub const DEFAULT_FIELDS: &[(Table, &str, &str)] = &[
    // Firewall taxonomy (`category: firewall`), plus Sysmon-style network names.
    (Network, "src_ip", "src_ip"),
    (Network, "src_port", "src_port"),
    (Network, "dst_ip", "dst_ip"),
    (Network, "dst_port", "dst_port"),
    (Network, "action", "action"),
    (Network, "protocol", "protocol"),
    (Network, "SourceIp", "src_ip"),
    (Network, "SourcePort", "src_port"),
    (Network, "DestinationIp", "dst_ip"),
    (Network, "DestinationPort", "dst_port"),
    (Network, "Protocol", "protocol"),
    (Network, "proto", "protocol"),
    (Network, "src_zone", "src_zone"),
    (Network, "dst_zone", "dst_zone"),
    (Network, "bytes_in", "bytes_in"),
    (Network, "bytes_out", "bytes_out"),
    (Network, "application", "app"),
    (Network, "rule_name", "rule"),
    (Network, "threat", "threat_name"),
    // Proxy and webserver taxonomy (W3C extended log names).
    (Http, "c-ip", "src_ip"),
    (Http, "c-uri", "url"),
    (Http, "cs-uri", "url"),
    (Http, "c-uri-stem", "url_path"),
    (Http, "cs-uri-stem", "url_path"),
    // The query string has no column; `url` holds it, so `contains` rules still work.
    (Http, "c-uri-query", "url"),
    (Http, "cs-uri-query", "url"),
    (Http, "cs-host", "url_host"),
    (Http, "r-dns", "url_host"),
    (Http, "cs-method", "method"),
    (Http, "c-useragent", "user_agent"),
    (Http, "cs-user-agent", "user_agent"),
    (Http, "cs-useragent", "user_agent"),
    (Http, "sc-status", "status"),
    (Http, "cs-username", "user"),
    (Http, "cs-bytes", "bytes_out"),
    (Http, "sc-bytes", "bytes_in"),
    (Http, "rs-content-type", "content_type"),
    (Http, "cs-referrer", "extra.referrer"),
    (Http, "cs-referer", "extra.referrer"),
    (Http, "dst_ip", "dst_ip"),
    (Http, "r-ip", "dst_ip"),
    (Http, "DestinationIp", "dst_ip"),
    (Http, "src_ip", "src_ip"),
    // Linux auth / sshd and generic authentication.
    (Auth, "user", "user"),
    (Auth, "User", "user"),
    (Auth, "src_ip", "src_ip"),
    (Auth, "SourceIP", "src_ip"),
    // Windows Security events, as the Windows parser fills the auth table.
    (Auth, "EventID", "event_code"),
    (Auth, "TargetUserName", "user"),
    (Auth, "TargetDomainName", "user_domain"),
    (Auth, "SubjectUserName", "extra.subject_user"),
    (Auth, "SubjectDomainName", "extra.subject_domain"),
    (Auth, "IpAddress", "src_ip"),
    (Auth, "WorkstationName", "src_host"),
    (Auth, "Workstation", "src_host"),
    (Auth, "TargetServerName", "dst_host"),
    (Auth, "Computer", "device"),
    (Auth, "LogonType", "logon_type"),
    (Auth, "AuthenticationPackageName", "protocol"),
    (Auth, "LogonProcessName", "extra.LogonProcessName"),
    (Auth, "Status", "extra.Status"),
    (Auth, "SubStatus", "extra.SubStatus"),
    (Auth, "TargetSid", "extra.TargetSid"),
    (Auth, "MemberName", "extra.MemberName"),
    (Auth, "MemberSid", "extra.MemberSid"),
];

/// `(category, product, service, tables)`: the default logsource table.
type LogsourceRow = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static [Table],
);

/// The default logsource table (see the module documentation).
pub const DEFAULT_LOGSOURCES: &[LogsourceRow] = &[
    (Some("firewall"), None, None, &[Network]),
    (Some("proxy"), None, None, &[Http]),
    (Some("webserver"), None, None, &[Http]),
    (Some("authentication"), None, None, &[Auth]),
    (None, Some("linux"), Some("auth"), &[Auth]),
    (None, Some("linux"), Some("sshd"), &[Auth]),
    (None, Some("windows"), Some("security"), &[Auth]),
    (None, Some("sanso"), Some("network"), &[Network]),
    (None, Some("sanso"), Some("http"), &[Http]),
    (None, Some("sanso"), Some("auth"), &[Auth]),
    (None, Some("sanso"), Some("unparsed"), &[Table::Unparsed]),
    // Every event table at once, for rules about the pipeline itself (OMZ-22).
    (None, Some("sanso"), Some("events"), &[Network, Http, Auth]),
];

/// One `[[logsource]]` entry of a deployment's mapping.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LogsourceConfig {
    /// Matches `logsource.category`.
    pub category: Option<String>,
    /// Matches `logsource.product`.
    pub product: Option<String>,
    /// Matches `logsource.service`.
    pub service: Option<String>,
    /// The sanso tables such rules run on: `network`, `http`, `auth`, `unparsed`.
    pub tables: Vec<String>,
}

/// A deployment's overrides, as read from TOML.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// Logsource entries, tried before the defaults.
    #[serde(default)]
    pub logsource: Vec<LogsourceConfig>,
    /// Per table (`network`, `http`, `auth`, `unparsed`): Sigma field → column or
    /// `extra.KEY`; replaces the default of the same name.
    #[serde(default)]
    pub fields: BTreeMap<String, BTreeMap<String, String>>,
}

/// The mapping could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The TOML does not parse or has unknown keys.
    #[error("field mapping: {0}")]
    Toml(#[from] toml::de::Error),
    /// A table name that is not an event table.
    #[error("field mapping: `{0}` is not an event table (network, http, auth, unparsed)")]
    UnknownTable(String),
    /// A mapping target that the table does not have.
    #[error("field mapping: `{field}` maps to `{target}`, which table {table} does not have")]
    UnknownColumn {
        /// The table.
        table: Table,
        /// The Sigma field.
        field: String,
        /// The column or `extra.KEY` it maps to.
        target: String,
    },
}

#[derive(Debug, Clone)]
struct LogsourceEntry {
    category: Option<String>,
    product: Option<String>,
    service: Option<String>,
    tables: Vec<Table>,
}

impl LogsourceEntry {
    fn matches(&self, l: &Logsource) -> bool {
        let key = |want: &Option<String>, have: &Option<String>| match (want, have) {
            (None, _) => true,
            (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
            (Some(_), None) => false,
        };
        key(&self.category, &l.category)
            && key(&self.product, &l.product)
            && key(&self.service, &l.service)
    }
}

/// Sigma field names to sanso columns, and logsources to tables.
#[derive(Debug, Clone)]
pub struct FieldMapping {
    logsources: Vec<LogsourceEntry>,
    fields: BTreeMap<(Table, String), Target>,
}

impl Default for FieldMapping {
    /// The built-in tables, [`DEFAULT_LOGSOURCES`] and [`DEFAULT_FIELDS`].
    fn default() -> Self {
        let logsources = DEFAULT_LOGSOURCES
            .iter()
            .map(|(c, p, s, t)| LogsourceEntry {
                category: c.map(str::to_owned),
                product: p.map(str::to_owned),
                service: s.map(str::to_owned),
                tables: t.to_vec(),
            })
            .collect();
        let mut mapping = FieldMapping {
            logsources,
            fields: BTreeMap::new(),
        };
        for (table, field, target) in DEFAULT_FIELDS {
            // The defaults are checked by a unit test; an entry that does not resolve
            // would only make that one field unknown.
            if let Some(target) = parse_target(*table, target) {
                mapping.fields.insert((*table, (*field).to_owned()), target);
            }
        }
        mapping
    }
}

/// `extra.KEY` or a column of `table`.
fn parse_target(table: Table, target: &str) -> Option<Target> {
    let schema = table.schema();
    if let Some(key) = target.strip_prefix("extra.") {
        return schema
            .field_with_name(col::EXTRA)
            .is_ok()
            .then(|| Target::Extra(key.to_owned()));
    }
    schema
        .field_with_name(target)
        .is_ok()
        .then(|| Target::Column(target.to_owned()))
}

fn event_table(name: &str) -> Result<Table, MappingError> {
    Table::from_name(name)
        .filter(|t| Table::EVENT_TABLES.contains(t))
        .ok_or_else(|| MappingError::UnknownTable(name.to_owned()))
}

impl FieldMapping {
    /// The defaults with a deployment's overrides applied.
    pub fn with_config(config: &MappingConfig) -> Result<FieldMapping, MappingError> {
        let mut mapping = FieldMapping::default();
        let mut entries = Vec::new();
        for l in &config.logsource {
            let tables = l
                .tables
                .iter()
                .map(|t| event_table(t))
                .collect::<Result<_, _>>()?;
            entries.push(LogsourceEntry {
                category: l.category.clone(),
                product: l.product.clone(),
                service: l.service.clone(),
                tables,
            });
        }
        entries.append(&mut mapping.logsources);
        mapping.logsources = entries;
        for (table, fields) in &config.fields {
            let table = event_table(table)?;
            for (field, target) in fields {
                let resolved =
                    parse_target(table, target).ok_or_else(|| MappingError::UnknownColumn {
                        table,
                        field: field.clone(),
                        target: target.clone(),
                    })?;
                mapping.fields.insert((table, field.clone()), resolved);
            }
        }
        Ok(mapping)
    }

    /// The defaults with overrides read from TOML text.
    pub fn from_toml(text: &str) -> Result<FieldMapping, MappingError> {
        FieldMapping::with_config(&toml::from_str(text)?)
    }

    /// The tables a logsource runs on; empty when no entry matches.
    pub fn tables(&self, logsource: &Logsource) -> &[Table] {
        self.logsources
            .iter()
            .find(|e| e.matches(logsource))
            .map_or(&[], |e| &e.tables)
    }

    /// Resolves a Sigma field on a table: the mapped column, else a column of that name,
    /// else `extra.KEY`; `None` when the table has no such field.
    pub fn resolve(&self, table: Table, field: &str) -> Option<Target> {
        if let Some(target) = self.fields.get(&(table, field.to_owned())) {
            return Some(target.clone());
        }
        parse_target(table, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(category: Option<&str>, product: Option<&str>, service: Option<&str>) -> Logsource {
        Logsource {
            category: category.map(Into::into),
            product: product.map(Into::into),
            service: service.map(Into::into),
        }
    }

    #[test]
    fn every_default_field_resolves() {
        for (table, field, target) in DEFAULT_FIELDS {
            assert!(
                parse_target(*table, target).is_some(),
                "{table} {field} -> {target}"
            );
        }
    }

    #[test]
    fn logsources_pick_tables() {
        let m = FieldMapping::default();
        assert_eq!(m.tables(&ls(Some("firewall"), None, None)), [Network]);
        assert_eq!(m.tables(&ls(Some("Proxy"), Some("squid"), None)), [Http]);
        assert_eq!(
            m.tables(&ls(None, Some("windows"), Some("security"))),
            [Auth]
        );
        assert_eq!(m.tables(&ls(None, Some("linux"), Some("sshd"))), [Auth]);
        assert!(
            m.tables(&ls(Some("process_creation"), Some("windows"), None))
                .is_empty()
        );
    }

    #[test]
    fn fields_resolve_through_map_then_columns_then_extra() {
        let m = FieldMapping::default();
        assert_eq!(
            m.resolve(Auth, "TargetUserName"),
            Some(Target::Column("user".into()))
        );
        assert_eq!(
            m.resolve(Auth, "SubjectUserName"),
            Some(Target::Extra("subject_user".into()))
        );
        assert_eq!(
            m.resolve(Network, "src_zone"),
            Some(Target::Column("src_zone".into()))
        );
        assert_eq!(
            m.resolve(Network, "extra.devname"),
            Some(Target::Extra("devname".into()))
        );
        assert_eq!(
            m.resolve(Http, "c-useragent"),
            Some(Target::Column("user_agent".into()))
        );
        assert_eq!(m.resolve(Network, "CommandLine"), None);
        assert_eq!(m.resolve(Table::Unparsed, "extra.x"), None);
    }

    #[test]
    fn toml_overrides() {
        let m = FieldMapping::from_toml(
            "[[logsource]]\nproduct = \"fortigate\"\ntables = [\"network\"]\n[fields.network]\ndevname = \"extra.devname\"\nsrc_ip = \"nat_src_ip\"\n",
        )
        .unwrap();
        assert_eq!(m.tables(&ls(None, Some("fortigate"), None)), [Network]);
        assert_eq!(
            m.resolve(Network, "devname"),
            Some(Target::Extra("devname".into()))
        );
        assert_eq!(
            m.resolve(Network, "src_ip"),
            Some(Target::Column("nat_src_ip".into()))
        );
        let e = FieldMapping::from_toml("[fields.network]\nx = \"nope\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "field mapping: `x` maps to `nope`, which table network does not have"
        );
        assert!(FieldMapping::from_toml("[fields.alerts]\nx = \"y\"\n").is_err());
        assert!(FieldMapping::from_toml("bogus = 1\n").is_err());
    }
}
