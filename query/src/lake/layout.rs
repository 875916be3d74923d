//! Where a table's rows live on disk.
//!
//! ```text
//! <lake>/<table>/date=YYYY-MM-DD/zone=<zone>/part-<written>-<writer>-<seq>.parquet
//! ```
//!
//! `date` is the UTC date of the rows' event time and `zone` the reporting device's zone
//! (`unknown` when it could not be resolved). Both are hive partitions, so a query that
//! filters on them opens only the matching folders. Files being written carry a leading
//! dot and a `.tmp` suffix and are invisible to readers until renamed.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use sanso_ingest::schema::Table;

use crate::error::LakeError;

/// The partition value of rows whose zone is unknown.
pub const UNKNOWN_ZONE: &str = "unknown";

/// The suffix of finished data files; anything else in the lake is ignored by readers.
pub const FILE_EXTENSION: &str = ".parquet";

/// The name prefix of the files flushes write.
pub(crate) const PART_PREFIX: &str = "part-";

/// The suffix of a file still being written, after its final name.
pub(crate) const WRITING_SUFFIX: &str = ".tmp";

/// How a partition's date folder is named, as a `chrono` format.
const DATE_FOLDER_FORMAT: &str = "date=%Y-%m-%d";

/// The name prefix of a partition's zone folder.
const ZONE_FOLDER_PREFIX: &str = "zone=";

/// One partition folder of one table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    /// The table.
    pub table: Table,
    /// UTC date of the rows' event time.
    pub date: NaiveDate,
    /// Zone of the reporting device, or [`UNKNOWN_ZONE`].
    pub zone: String,
}

impl Partition {
    /// The partition of rows with event time `micros` (UTC) and `zone`.
    pub fn for_row(table: Table, micros: i64, zone: Option<&str>) -> Self {
        let date = DateTime::from_timestamp_micros(micros)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        Partition {
            table,
            date,
            zone: zone.unwrap_or(UNKNOWN_ZONE).to_owned(),
        }
    }

    /// The partition's folder below the lake root.
    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join(self.table.name())
            .join(self.date.format(DATE_FOLDER_FORMAT).to_string())
            .join(format!("{ZONE_FOLDER_PREFIX}{}", self.zone))
    }
}

/// Every partition folder of `table` in the lake at `root`, with its path, in date then
/// zone order; none while the table has no folder.
///
/// Folders named otherwise than [`Partition::dir`] names them are skipped: a reader of
/// the lake would not see their files either.
pub fn table_partitions(root: &Path, table: Table) -> Result<Vec<(Partition, PathBuf)>, LakeError> {
    let mut found = Vec::new();
    for date_dir in folders(&table_dir(root, table))? {
        let Some(date) = folder_date(&date_dir) else {
            continue;
        };
        for zone_dir in folders(&date_dir)? {
            let Some(zone) = zone_dir
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_prefix(ZONE_FOLDER_PREFIX))
            else {
                continue;
            };
            let partition = Partition {
                table,
                date,
                zone: zone.to_owned(),
            };
            found.push((partition, zone_dir));
        }
    }
    found.sort();
    Ok(found)
}

/// The UTC date a date folder (`date=YYYY-MM-DD`) holds, read from its name; `None` for
/// a folder named otherwise.
fn folder_date(dir: &Path) -> Option<NaiveDate> {
    let name = dir.file_name()?.to_str()?;
    NaiveDate::parse_from_str(name, DATE_FOLDER_FORMAT).ok()
}

/// The folders directly in `dir`; none if `dir` does not exist, since retention may
/// remove a partition between its listing and its reading.
fn folders(dir: &Path) -> Result<Vec<PathBuf>, LakeError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(LakeError::io(dir)(source)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(LakeError::io(dir))?;
        if entry.file_type().map_err(LakeError::io(dir))?.is_dir() {
            found.push(entry.path());
        }
    }
    Ok(found)
}

/// A table's folder below the lake root.
pub fn table_dir(root: &Path, table: Table) -> PathBuf {
    root.join(table.name())
}

/// Syncs the folder `dir`, so that the files created, renamed or removed in it stay so
/// after a crash.
pub fn sync_dir(dir: &Path) -> Result<(), LakeError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(LakeError::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_folder_follows_hive_layout() {
        // 2026-11-25T23:30:00Z is already the 26th in Tokyo; partitions use the UTC date.
        let p = Partition::for_row(Table::Network, 1_764_113_400_000_000, Some("core"));
        assert_eq!(
            p.dir(Path::new("/lake")),
            Path::new("/lake/network/date=2025-11-25/zone=core")
        );
        let unknown = Partition::for_row(Table::Auth, 0, None);
        assert_eq!(
            unknown.dir(Path::new("l")),
            Path::new("l/auth/date=1970-01-01/zone=unknown")
        );
    }

    #[test]
    fn a_date_folder_gives_back_its_date() {
        let p = Partition::for_row(Table::Http, 1_764_113_400_000_000, Some("lgwan"));
        let date_dir = p.dir(Path::new("/lake"));
        assert_eq!(folder_date(date_dir.parent().unwrap()), Some(p.date));
        for other in [
            "date=24-11-2026",
            "day=2026-11-20",
            "date=2026-11-31",
            "zone=core",
        ] {
            assert_eq!(folder_date(Path::new(other)), None, "{other}");
        }
    }

    #[test]
    fn a_table_lists_the_partition_folders_a_reader_would_see() {
        let lake = tempfile::tempdir().unwrap();
        let partition = |micros, zone: &str| Partition::for_row(Table::Auth, micros, Some(zone));
        let later = partition(1_764_113_400_000_000, "lgwan");
        let earlier_core = partition(1_764_000_000_000_000, "core");
        let earlier_internet = partition(1_764_000_000_000_000, "internet");
        for p in [&later, &earlier_internet, &earlier_core] {
            fs::create_dir_all(p.dir(lake.path())).unwrap();
        }
        // Not partitions: a folder without a date, a zone folder that is a file, a folder
        // in a date folder without the zone prefix, and another table's partition.
        let auth = table_dir(lake.path(), Table::Auth);
        fs::create_dir_all(auth.join("date=2026-13-01/zone=core")).unwrap();
        fs::create_dir_all(auth.join("scratch")).unwrap();
        let date_dir = later.dir(lake.path()).parent().unwrap().to_owned();
        fs::write(date_dir.join("zone=core"), b"").unwrap();
        fs::create_dir_all(date_dir.join("core")).unwrap();
        fs::create_dir_all(Partition::for_row(Table::Http, 0, Some("core")).dir(lake.path()))
            .unwrap();

        let found = table_partitions(lake.path(), Table::Auth).unwrap();
        let expected: Vec<_> = [earlier_core, earlier_internet, later]
            .into_iter()
            .map(|p| {
                let dir = p.dir(lake.path());
                (p, dir)
            })
            .collect();
        assert_eq!(found, expected);
        assert!(
            table_partitions(lake.path(), Table::Mail)
                .unwrap()
                .is_empty()
        );
    }
}
