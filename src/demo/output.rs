//! `sanso demo --out DIR`: one log file per device and the ground truth beside them.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::SecondsFormat;
use serde::Serialize;

use super::city::DEVICES;
use super::generate::{DemoSpec, generate};
use super::scenario::Scenario;

/// The name of the ground-truth file in the output directory.
const GROUND_TRUTH: &str = "ground-truth.jsonl";

/// What a run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Lines per device file, every device listed (`fw-core.log` → 5123).
    pub files: BTreeMap<&'static str, u64>,
    /// Attack lines per scenario label, every scenario listed (`brute_force` → 41).
    pub scenarios: BTreeMap<&'static str, u64>,
}

impl fmt::Display for DemoSummary {
    /// A table for the terminal: files, then scenarios, each with a total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .files
            .keys()
            .chain(self.scenarios.keys())
            .map(|k| k.len())
            .max()
            .unwrap_or(0);
        for (title, counts) in [("lines", &self.files), ("attack lines", &self.scenarios)] {
            for (name, n) in counts {
                write!(f, "  {name:<width$}  {n:>9}")?;
                // A scenario shows the rules of the pack it is there for.
                if let Some(s) = Scenario::ALL.iter().find(|s| s.as_str() == *name) {
                    write!(f, "  {}", s.rules().join(" "))?;
                }
                writeln!(f)?;
            }
            let total: u64 = counts.values().sum();
            writeln!(f, "  {:<width$}  {total:>9}", format!("{title}, total"))?;
        }
        Ok(())
    }
}

/// One line of `ground-truth.jsonl`: an attack line and where to find it.
#[derive(Serialize)]
struct Truth<'a> {
    file: &'a str,
    /// 1-based line number in `file`.
    line: u64,
    device: &'a str,
    zone: &'a str,
    scenario: &'a str,
    /// The source of the scenario instance.
    src_ip: String,
    /// The line's time, UTC.
    time: String,
    /// The rules of the pack the line is evidence for (`OMZ-15`, ...), in order; empty
    /// for attack lines no rule looks at on their own.
    rules: Vec<&'a str>,
    /// Each of those rules with the key its alert groups on.
    alerts: Vec<TruthAlert<'a>>,
}

/// An alert a line is evidence for, in `ground-truth.jsonl`.
#[derive(Serialize)]
struct TruthAlert<'a> {
    rule: &'a str,
    /// The alert's `group_key`: an address, an account or a device.
    key: String,
}

/// Writes the run of `spec` into `dir` (created if missing): one file per device, named as
/// [`DemoLine::file`](super::DemoLine::file) says, each line as the device writes it, and
/// `ground-truth.jsonl` with one JSON object per attack line:
///
/// ```json
/// {"file":"srv-inet01-auth.log","line":412,"device":"srv-inet01","zone":"internet",
///  "scenario":"brute_force","src_ip":"10.30.2.87","time":"2025-11-26T00:21:07.000Z",
///  "rules":["OMZ-15","OMZ-19"],
///  "alerts":[{"rule":"OMZ-15","key":"tanaka"},{"rule":"OMZ-19","key":"10.30.2.87"}]}
/// ```
///
/// A scorer collects the (rule, key) pairs of `alerts` over the file and compares them
/// with the alerts raised, rule by rule.
///
/// Existing files of the same names are replaced. Every device file is created, even if
/// a very small run leaves it empty.
pub fn write_files(spec: &DemoSpec, dir: &Path) -> io::Result<DemoSummary> {
    fs::create_dir_all(dir)?;
    let mut outputs = Vec::with_capacity(DEVICES.len());
    for dev in DEVICES {
        let file = File::create(dir.join(dev.file))?;
        outputs.push((dev.file, BufWriter::with_capacity(1 << 16, file), 0u64));
    }
    let mut truth = BufWriter::new(File::create(dir.join(GROUND_TRUTH))?);
    let mut scenarios: BTreeMap<&'static str, u64> =
        Scenario::ALL.iter().map(|s| (s.as_str(), 0)).collect();

    for line in generate(spec) {
        // Every line comes from a device of DEVICES; anything else is a bug, reported
        // rather than written to a file nobody asked for.
        let (_, out, count) = outputs
            .iter_mut()
            .find(|(file, ..)| *file == line.file)
            .ok_or_else(|| {
                io::Error::other(format!("demo line from unknown device {}", line.device))
            })?;
        out.write_all(line.line.as_bytes())?;
        out.write_all(b"\n")?;
        *count += 1;
        if let (Some(scenario), Some(src)) = (line.scenario, line.attack_src()) {
            *scenarios.entry(scenario.as_str()).or_default() += 1;
            let record = Truth {
                file: line.file,
                line: *count,
                device: line.device,
                zone: line.zone,
                scenario: scenario.as_str(),
                src_ip: src.to_string(),
                time: line.time.to_rfc3339_opts(SecondsFormat::Millis, true),
                rules: line.expected_alerts().iter().map(|a| a.rule).collect(),
                alerts: line
                    .expected_alerts()
                    .iter()
                    .map(|a| TruthAlert {
                        rule: a.rule,
                        key: a.key.to_string(),
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut truth, &record)?;
            truth.write_all(b"\n")?;
        }
    }

    let mut files = BTreeMap::new();
    for (file, mut out, count) in outputs {
        out.flush()?;
        files.insert(file, count);
    }
    truth.flush()?;
    Ok(DemoSummary { files, scenarios })
}
