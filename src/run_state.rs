//! Whether the previous `sanso run` ended cleanly and, if it did not, how much network
//! input it may have taken down with it.
//!
//! Followed files and imports lose nothing in a crash: their positions are committed with
//! the lake files (see [`crate::checkpoint`]) and the lines are read again. Syslog over TCP
//! and UDP cannot be replayed: the lines the ingest thread held between two flushes die
//! with the process. The flush policy bounds that loss; this module makes it *reported*
//! rather than silent.
//!
//! The ingest thread keeps `<lake>/_sanso/run-state.json` up to date: when the last flush
//! finished, its last sign of life, and how many network lines it held unwritten then. A
//! clean shutdown marks the file stopped. The next `sanso run` that finds it unmarked logs
//! a warning naming the window of network input that may be lost and exposes it as
//! `sanso_previous_run_*` gauges.
//!
//! The file is rewritten with a rename but not synced: it only has to survive the process
//! dying, which the page cache does, and syncing it every second would cost a disk flush
//! for a report. After a power cut it may be stale, which widens nothing but the window.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use prometheus::{Gauge, IntGauge};
use serde::{Deserialize, Serialize};

use crate::checkpoint::STATE_DIR;
use crate::metrics::Metrics;

/// How often the ingest thread's sign of life is written, at most.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// What `run-state.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    /// Process id of the run.
    pid: u32,
    /// When the run started, Unix microseconds.
    started_at: i64,
    /// When the last flush that reached the lake started: network lines received before
    /// it are in the lake.
    flushed_at: Option<i64>,
    /// The last sign of life of the ingest thread, Unix microseconds.
    alive_at: i64,
    /// Lines from network sources received and not yet in the lake, at `alive_at`.
    unflushed_lines: u64,
    /// Set by a clean shutdown.
    stopped_at: Option<i64>,
}

/// What an unclean end of the previous run may have cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncleanEnd {
    /// Process id of the run that died.
    pub pid: u32,
    /// Network input received after this moment may be lost.
    pub lost_after: DateTime<Utc>,
    /// The last moment the run was known alive; input up to a heartbeat later may be lost.
    pub alive_at: DateTime<Utc>,
    /// Network lines it held unwritten at its last sign of life (a lower bound: lines
    /// read from sockets and still queued for the ingest thread are not counted).
    pub unflushed_lines: u64,
}

/// Keeps the run-state file of one `sanso run` up to date.
pub struct RunState {
    path: PathBuf,
    state: State,
    last_written: Instant,
}

impl RunState {
    /// Starts recording the run of the lake at `data`. Reports how the previous run ended,
    /// in the log and in `metrics`, and returns it when it ended uncleanly.
    pub fn begin(data: &Path, metrics: &Metrics) -> anyhow::Result<(Self, Option<UncleanEnd>)> {
        let dir = data.join(STATE_DIR);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("run-state.json");
        let previous = match fs::read(&path) {
            Ok(bytes) => Some(serde_json::from_slice::<State>(&bytes).with_context(|| {
                format!(
                    "{} is not a sanso run state; delete it to start afresh",
                    path.display()
                )
            })?),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
        };
        let unclean = previous.as_ref().and_then(unclean_end);
        report(unclean.as_ref(), metrics)?;
        let now = Utc::now().timestamp_micros();
        let mut run = RunState {
            path,
            state: State {
                pid: std::process::id(),
                started_at: now,
                flushed_at: None,
                alive_at: now,
                unflushed_lines: 0,
                stopped_at: None,
            },
            last_written: Instant::now(),
        };
        run.write()
            .with_context(|| format!("writing {}", run.path.display()))?;
        Ok((run, unclean))
    }

    /// Notes network lines taken in and not yet written.
    pub fn received(&mut self, lines: u64) {
        self.state.unflushed_lines += lines;
    }

    /// Notes a flush that reached the lake: the network lines received before
    /// `started_at` (Unix microseconds), `lines` of them since the flush before, are in
    /// it. Lines received while it was being written wait for the next one.
    pub fn flushed(&mut self, started_at: i64, lines: u64) {
        self.state.flushed_at = Some(started_at);
        self.state.alive_at = Utc::now().timestamp_micros();
        self.state.unflushed_lines = self.state.unflushed_lines.saturating_sub(lines);
        self.write_quietly();
    }

    /// Notes that the ingest thread is alive; written at most once per heartbeat.
    pub fn alive(&mut self) {
        if self.last_written.elapsed() < HEARTBEAT {
            return;
        }
        self.state.alive_at = Utc::now().timestamp_micros();
        self.write_quietly();
    }

    /// Marks the run as ended cleanly, with nothing left unwritten.
    pub fn stopped(&mut self) -> anyhow::Result<()> {
        let now = Utc::now().timestamp_micros();
        self.state.alive_at = now;
        self.state.stopped_at = Some(now);
        self.write()
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Writing the state can fail when the disk is full; the lake write that fails too
    /// is what gets reported, and a stale state file only widens the next start's window.
    fn write_quietly(&mut self) {
        if let Err(err) = self.write() {
            tracing::debug!(path = %self.path.display(), %err, "could not update the run state");
        }
    }

    fn write(&mut self) -> std::io::Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        fs::write(&tmp, serde_json::to_vec_pretty(&self.state)?)?;
        fs::rename(&tmp, &self.path)?;
        self.last_written = Instant::now();
        Ok(())
    }
}

/// The loss window of a run that never marked itself stopped.
fn unclean_end(state: &State) -> Option<UncleanEnd> {
    if state.stopped_at.is_some() {
        return None;
    }
    let time = |micros: i64| DateTime::from_timestamp_micros(micros).unwrap_or_default();
    Some(UncleanEnd {
        pid: state.pid,
        lost_after: time(state.flushed_at.unwrap_or(state.started_at)),
        alive_at: time(state.alive_at),
        unflushed_lines: state.unflushed_lines,
    })
}

/// Logs how the previous run ended and exposes it as gauges.
fn report(unclean: Option<&UncleanEnd>, metrics: &Metrics) -> anyhow::Result<()> {
    let flag = IntGauge::new(
        "sanso_previous_run_unclean",
        "1 when the previous sanso run ended without a clean shutdown (killed or crashed), \
         so that syslog TCP/UDP input it held unwritten may be lost",
    )?;
    let unflushed = IntGauge::new(
        "sanso_previous_run_unflushed_lines",
        "Syslog TCP/UDP lines the previous run held unwritten at its last sign of life, \
         when it ended uncleanly (a lower bound of what was lost)",
    )?;
    let from = Gauge::new(
        "sanso_previous_run_loss_window_start_seconds",
        "Unix time after which syslog TCP/UDP input of an uncleanly ended previous run may be lost",
    )?;
    let to = Gauge::new(
        "sanso_previous_run_loss_window_end_seconds",
        "Unix time of the last sign of life of an uncleanly ended previous run, plus one heartbeat",
    )?;
    if let Some(end) = unclean {
        let until = end.alive_at + chrono::TimeDelta::from_std(HEARTBEAT).unwrap_or_default();
        tracing::warn!(
            pid = end.pid,
            unflushed_lines = end.unflushed_lines,
            "the previous sanso run ended uncleanly: syslog TCP/UDP input received between {} and {} \
             may be lost (at least {} lines were not yet written); followed files resume from \
             their checkpoints and lose nothing",
            end.lost_after.to_rfc3339(),
            until.to_rfc3339(),
            end.unflushed_lines,
        );
        flag.set(1);
        unflushed.set(i64::try_from(end.unflushed_lines).unwrap_or(i64::MAX));
        from.set(end.lost_after.timestamp_micros() as f64 / 1e6);
        to.set(until.timestamp_micros() as f64 / 1e6);
    }
    for gauge in [
        Box::new(flag) as Box<dyn prometheus::core::Collector>,
        Box::new(unflushed),
        Box::new(from),
        Box::new(to),
    ] {
        metrics.register(gauge)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_never_stopped_is_reported_with_its_window() {
        let dir = tempfile::tempdir().unwrap();
        let (mut run, previous) = RunState::begin(dir.path(), &Metrics::new()).unwrap();
        assert_eq!(previous, None);
        run.received(7);
        let flush_started = Utc::now().timestamp_micros() - 5_000_000;
        // 3 more lines arrive while the flush of the first 7 is being written.
        run.received(3);
        run.flushed(flush_started, 7);
        // Killed here: no `stopped`.
        drop(run);
        let metrics = Metrics::new();
        let (_, previous) = RunState::begin(dir.path(), &metrics).unwrap();
        let previous = previous.expect("an unclean end");
        assert_eq!(
            previous.unflushed_lines, 3,
            "the 3 lines came after the flush started"
        );
        assert_eq!(previous.lost_after.timestamp_micros(), flush_started);
        let text = metrics.render();
        assert!(text.contains("sanso_previous_run_unclean 1"), "{text}");
    }

    #[test]
    fn a_clean_stop_is_not_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (mut run, _) = RunState::begin(dir.path(), &Metrics::new()).unwrap();
        run.received(2);
        run.stopped().unwrap();
        let metrics = Metrics::new();
        let (_, previous) = RunState::begin(dir.path(), &metrics).unwrap();
        assert_eq!(previous, None);
        assert!(metrics.render().contains("sanso_previous_run_unclean 0"));
    }
}
