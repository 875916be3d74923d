//! Retention: deleting whole date partitions once they are older than the policy keeps,
//! except those a legal hold protects.
//!
//! The unit of deletion is one `<table>/date=…/zone=…` folder, which holds only rows of
//! that UTC day and zone, so no file is ever rewritten. A partition is removed in two
//! steps: it is renamed into `<lake>/_sanso/trash/` (atomic: a query sees the whole
//! partition or none of it, never some of its files), the rename is synced, and only
//! then is the moved folder deleted. A crash between the steps leaves the rows in the
//! trash, invisible to queries, and the next run empties it.
//!
//! How long is kept is a [`RetentionPolicy`]: a default (13 months) and rules per table,
//! per zone, or per both, the most specific winning. A partition is expired when its
//! whole day lies before the cut-off: with 13 months kept, on 2026-11-26 the oldest day
//! kept is 2025-10-26.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::Path;
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use sanso_ingest::schema::Table;

use super::layout::{Partition, sync_dir, table_partitions};
use crate::error::LakeError;

/// How long a partition is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// This many days, today included.
    Days(u32),
    /// This many calendar months.
    Months(u32),
}

impl Keep {
    /// The oldest date kept when today is `today`.
    pub fn oldest_kept(self, today: NaiveDate) -> NaiveDate {
        match self {
            Keep::Days(days) => today - chrono::Days::new(u64::from(days.saturating_sub(1))),
            Keep::Months(months) => today
                .checked_sub_months(Months::new(months))
                .unwrap_or(NaiveDate::MIN),
        }
    }
}

impl Default for Keep {
    /// 13 months: a year of searchable history plus the month being reported on.
    fn default() -> Self {
        Keep::Months(13)
    }
}

impl fmt::Display for Keep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Keep::Days(n) => write!(f, "{n} days"),
            Keep::Months(n) => write!(f, "{n} months"),
        }
    }
}

impl FromStr for Keep {
    type Err = String;

    /// `"90 days"`, `"13 months"` (singular accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = || {
            format!("`{s}` is not a retention period (expected e.g. \"90 days\" or \"13 months\")")
        };
        let (number, unit) = s
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(expected)?;
        let number: u32 = number.parse().map_err(|_| expected())?;
        if number == 0 {
            return Err(format!("`{s}`: a retention period keeps at least one day"));
        }
        match unit.trim() {
            "day" | "days" => Ok(Keep::Days(number)),
            "month" | "months" => Ok(Keep::Months(number)),
            _ => Err(expected()),
        }
    }
}

/// A rule for one table, one zone, or one zone of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRule {
    /// The table it applies to; every table when absent.
    pub table: Option<Table>,
    /// The zone it applies to; every zone when absent.
    pub zone: Option<String>,
    /// How long it keeps.
    pub keep: Keep,
}

/// How long each partition is kept; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// What applies where no rule does.
    pub default: Keep,
    /// Rules; the most specific match wins (table and zone, then table, then zone).
    pub rules: Vec<RetentionRule>,
}

impl RetentionPolicy {
    /// How long partitions of `table` in `zone` are kept.
    pub fn keep_for(&self, table: Table, zone: &str) -> Keep {
        self.rules
            .iter()
            .filter(|r| r.table.is_none_or(|t| t == table))
            .filter(|r| r.zone.as_deref().is_none_or(|z| z == zone))
            .max_by_key(|r| (r.table.is_some(), r.zone.is_some()))
            .map_or(self.default, |r| r.keep)
    }
}

/// The days of each table that legal holds protect, with the incidents holding them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holds {
    days: BTreeMap<(Table, NaiveDate), BTreeSet<String>>,
}

impl Holds {
    /// Protects every zone of `table` on `date`, for `incident`.
    pub fn hold(&mut self, table: Table, date: NaiveDate, incident: &str) {
        self.days
            .entry((table, date))
            .or_default()
            .insert(incident.to_owned());
    }

    /// The incidents holding `partition`, if any.
    pub fn holders(&self, partition: &Partition) -> Option<&BTreeSet<String>> {
        self.days.get(&(partition.table, partition.date))
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }
}

/// What a retention run deleted and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Expired partitions deleted (or, in a dry run, that would be).
    pub deleted: Vec<Partition>,
    /// Expired partitions kept because incidents under legal hold need them.
    pub held: Vec<(Partition, Vec<String>)>,
    /// Per table and zone, the days of history still searchable: from the oldest
    /// partition left to today, inclusive.
    pub retained_days: BTreeMap<(Table, String), u32>,
}

/// Deletes the expired partitions of the lake at `root` (unless `dry_run`), sparing
/// those in `holds`, and reports what it did.
pub fn enforce(
    root: &Path,
    policy: &RetentionPolicy,
    today: NaiveDate,
    holds: &Holds,
    dry_run: bool,
) -> Result<RetentionReport, LakeError> {
    let trash = root.join("_sanso").join("trash");
    if !dry_run {
        empty_trash(&trash)?;
    }
    let mut report = RetentionReport::default();
    for partition in partitions(root)? {
        let oldest_kept = policy
            .keep_for(partition.table, &partition.zone)
            .oldest_kept(today);
        let kept = if partition.date >= oldest_kept {
            true
        } else if let Some(holders) = holds.holders(&partition) {
            report
                .held
                .push((partition.clone(), holders.iter().cloned().collect()));
            true
        } else {
            if !dry_run {
                remove_partition(root, &partition, &trash)?;
            }
            report.deleted.push(partition.clone());
            false
        };
        if kept {
            let days = (today - partition.date).num_days().max(0) as u32 + 1;
            let entry = report
                .retained_days
                .entry((partition.table, partition.zone.clone()))
                .or_default();
            *entry = (*entry).max(days);
        }
    }
    Ok(report)
}

/// Every partition folder of the lake, in table, date, zone order.
pub fn partitions(root: &Path) -> Result<Vec<Partition>, LakeError> {
    let mut found = Vec::new();
    for table in Table::ALL {
        found.extend(
            table_partitions(root, table)?
                .into_iter()
                .map(|(partition, _)| partition),
        );
    }
    found.sort();
    Ok(found)
}

fn remove_partition(root: &Path, partition: &Partition, trash: &Path) -> Result<(), LakeError> {
    let dir = partition.dir(root);
    fs::create_dir_all(trash).map_err(LakeError::io(trash))?;
    let moved = trash.join(format!(
        "{}-{}-{}",
        partition.table, partition.date, partition.zone
    ));
    fs::rename(&dir, &moved).map_err(LakeError::io(&dir))?;
    let date_dir = dir.parent().unwrap_or(root);
    for synced in [date_dir, trash] {
        sync_dir(synced)?;
    }
    fs::remove_dir_all(&moved).map_err(LakeError::io(&moved))?;
    // The date folder goes once its last zone has; another writer may have just added
    // one, in which case removing it fails harmlessly.
    if fs::read_dir(date_dir).is_ok_and(|mut d| d.next().is_none()) {
        let _ = fs::remove_dir(date_dir);
    }
    Ok(())
}

/// Finishes deletions a crash interrupted.
fn empty_trash(trash: &Path) -> Result<(), LakeError> {
    match fs::read_dir(trash) {
        Ok(entries) => {
            for entry in entries {
                let path = entry.map_err(LakeError::io(trash))?.path();
                fs::remove_dir_all(&path).map_err(LakeError::io(&path))?;
            }
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(LakeError::io(trash)(source)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn make(root: &Path, table: Table, day: &str, zone: &str) -> PathBuf {
        let dir = Partition {
            table,
            date: date(day),
            zone: zone.into(),
        }
        .dir(root);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("part-1.parquet"), b"rows").unwrap();
        dir
    }

    #[test]
    fn periods_parse_and_cut_off_at_whole_days() {
        let today = date("2026-11-26");
        assert_eq!("13 months".parse(), Ok(Keep::Months(13)));
        assert_eq!("1 day".parse(), Ok(Keep::Days(1)));
        assert!("0 days".parse::<Keep>().is_err());
        assert!("13".parse::<Keep>().is_err());
        assert!("2 weeks".parse::<Keep>().is_err());
        assert_eq!(Keep::default().oldest_kept(today), date("2025-10-26"));
        assert_eq!(Keep::Days(1).oldest_kept(today), today);
        assert_eq!(Keep::Days(90).oldest_kept(today), date("2026-08-29"));
    }

    #[test]
    fn the_most_specific_rule_wins() {
        let policy = RetentionPolicy {
            default: Keep::Months(13),
            rules: vec![
                RetentionRule {
                    table: None,
                    zone: Some("internet".into()),
                    keep: Keep::Days(90),
                },
                RetentionRule {
                    table: Some(Table::Network),
                    zone: None,
                    keep: Keep::Months(6),
                },
                RetentionRule {
                    table: Some(Table::Network),
                    zone: Some("internet".into()),
                    keep: Keep::Days(30),
                },
            ],
        };
        assert_eq!(policy.keep_for(Table::Auth, "core"), Keep::Months(13));
        assert_eq!(policy.keep_for(Table::Auth, "internet"), Keep::Days(90));
        assert_eq!(policy.keep_for(Table::Network, "core"), Keep::Months(6));
        assert_eq!(policy.keep_for(Table::Network, "internet"), Keep::Days(30));
    }

    #[test]
    fn expired_partitions_go_unless_held_and_a_dry_run_deletes_nothing() {
        let lake = tempfile::tempdir().unwrap();
        let root = lake.path();
        let today = date("2026-11-26");
        let old_core = make(root, Table::Auth, "2025-01-10", "core");
        let old_lgwan = make(root, Table::Auth, "2025-01-10", "lgwan");
        let held = make(root, Table::Network, "2025-01-10", "internet");
        let recent = make(root, Table::Auth, "2026-11-01", "core");
        let policy = RetentionPolicy::default();
        let mut holds = Holds::default();
        holds.hold(Table::Network, date("2025-01-10"), "INC-2026-0001");

        let dry = enforce(root, &policy, today, &holds, true).unwrap();
        assert_eq!(dry.deleted.len(), 2);
        assert!(old_core.exists() && old_lgwan.exists());

        let report = enforce(root, &policy, today, &holds, false).unwrap();
        assert_eq!(report, dry);
        assert_eq!(
            report
                .deleted
                .iter()
                .map(|p| (p.table, p.zone.as_str()))
                .collect::<Vec<_>>(),
            [(Table::Auth, "core"), (Table::Auth, "lgwan")]
        );
        assert!(!old_core.exists() && !old_lgwan.exists());
        assert!(
            !old_core.parent().unwrap().exists(),
            "empty date folder removed"
        );
        assert!(held.exists() && recent.exists());
        assert_eq!(report.held.len(), 1);
        assert_eq!(report.held[0].1, ["INC-2026-0001"]);
        assert_eq!(
            report.retained_days[&(Table::Auth, "core".to_owned())],
            26,
            "2026-11-01 to 2026-11-26"
        );

        // Released, the held partition goes on the next run; the trash is left empty.
        let report = enforce(root, &policy, today, &Holds::default(), false).unwrap();
        assert_eq!(report.deleted.len(), 1);
        assert!(!held.exists());
        assert_eq!(fs::read_dir(root.join("_sanso/trash")).unwrap().count(), 0);
    }

    #[test]
    fn an_interrupted_deletion_is_finished_by_the_next_run() {
        let lake = tempfile::tempdir().unwrap();
        let leftover = lake.path().join("_sanso/trash/auth-2025-01-10-core");
        fs::create_dir_all(&leftover).unwrap();
        fs::write(leftover.join("part-1.parquet"), b"rows").unwrap();
        enforce(
            lake.path(),
            &RetentionPolicy::default(),
            date("2026-11-26"),
            &Holds::default(),
            false,
        )
        .unwrap();
        assert!(!leftover.exists());
    }
}
