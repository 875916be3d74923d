//! `sanso compact`, and the compaction `sanso run` does in the background: small part
//! files merged into larger sorted ones (see [`sanso_query::lake::compact`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sanso_query::lake::{CompactPolicy, CompactStats, compact_lake};
use tokio::task::JoinHandle;

use crate::causes::Causes;
use crate::checkpoint;
use crate::cli::CompactArgs;
use crate::config::Config;

/// How often `sanso run` looks for partitions to compact.
const INTERVAL: Duration = Duration::from_secs(300);

/// The policy of the configuration: replaced files are kept for as long as a query may
/// run, so that no query loses a file it listed.
pub fn policy(config: &Config) -> CompactPolicy {
    CompactPolicy {
        grace: config.query.limits().timeout,
        ..CompactPolicy::default()
    }
}

/// One pass over the lake at `data`.
fn pass(data: &Path, policy: &CompactPolicy) -> anyhow::Result<Option<CompactStats>> {
    compact_lake(data, policy, &|| checkpoint::pending_lake_files(data))
        .with_context(|| format!("compacting the lake at {}", data.display()))
}

/// `sanso compact`: one pass, then a summary.
pub fn compact(config: &Config, data: &Path, args: &CompactArgs) -> anyhow::Result<()> {
    let mut policy = policy(config);
    if let Some(grace) = args.grace {
        policy.grace = Duration::from_secs(grace);
    }
    match pass(data, &policy)? {
        Some(stats) => {
            println!(
                "merged {} files into {} in {} partitions ({} rows); deleted {} replaced files \
                 and {} temporary files of killed flushes",
                stats.files_merged,
                stats.files_written,
                stats.partitions,
                stats.rows,
                stats.files_deleted,
                stats.abandoned_deleted
            );
            Ok(())
        }
        None => anyhow::bail!(
            "another compaction of {} is running; try again when it has finished",
            data.display()
        ),
    }
}

/// Compacts the lake at `data` every few minutes until the task is aborted.
pub fn background(data: PathBuf, policy: CompactPolicy) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(INTERVAL);
        loop {
            interval.tick().await;
            let data = data.clone();
            match tokio::task::spawn_blocking(move || pass(&data, &policy)).await {
                Ok(Ok(Some(stats))) if stats != CompactStats::default() => {
                    tracing::info!(?stats, "compacted the lake");
                }
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::error!("compaction failed; will retry: {}", Causes(&err)),
                Err(err) => tracing::error!(%err, "compaction panicked"),
            }
        }
    })
}
