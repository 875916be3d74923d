//! `sanso report --month YYYY-MM`: the monthly compliance report for the city's
//! self-inspection (自己点検) and audit.
//!
//! The report is a list of figures ([`figures::FIGURES`]), each computed by one SQL
//! query over the lake for the month and for the month before, broken down by zone and,
//! where the policy sets one, judged against its target (判定). Each figure keeps the
//! exact SQL that produced it, so an auditor can rerun it with `sanso sql` and get the
//! same number. The same [`Report`] is written as CSV for Excel ([`csv`]), JSON for
//! machines (its layout is described on [`Report`]), and a self-contained HTML page for
//! the security committee ([`html`]).

mod csv;
mod figures;
mod html;
mod month;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use arrow::array::{Array, Float64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use sanso_query::Lake;
use serde::Serialize;

pub use figures::{Target, Unit};
pub use month::Month;

use figures::{Bindings, FIGURES, FigureDef};

/// The version of the JSON layout, bumped when a field changes meaning.
pub const SCHEMA: &str = "sanso.report.v1";

/// Zones in the order the report lists them; `all` is the whole city.
const ZONE_ORDER: [&str; 6] = ["core", "lgwan", "internet", "external", "unknown", "all"];

/// Zones every count figure shows, with zero where nothing happened: a zero is a
/// finding too, and an empty cell would read as "not measured".
const REPORTED_ZONES: [&str; 4] = ["core", "lgwan", "internet", "all"];

/// A monthly report.
///
/// JSON layout (`"schema": "sanso.report.v1"`):
///
/// ```json
/// { "schema": "sanso.report.v1", "month": "2026-11", "previous_month": "2026-10",
///   "period": { "from": "2026-10-31T15:00:00Z", "to": "2026-11-30T15:00:00Z", "timezone": "Asia/Tokyo" },
///   "generated_at": "2026-12-01T00:05:00Z",
///   "figures": [ { "id": "three_layer_permitted", "title": "三層分離違反（許可された通信）",
///       "title_en": "...", "policy_ref": "基本方針6(3)①②③", "unit": "count" | "percent",
///       "item_label": null | "機器" | "重大度", "target": null | { "op": "<=" | ">=", "value": 0.0 },
///       "verdict": null | "pass" | "fail", "sql": "...", "previous_sql": "...",
///       "rows": [ { "zone": "core", "item": "", "value": 0.0, "previous": 2.0, "verdict": "pass" } ] } ] }
/// ```
///
/// `value` and `previous` are `null` where there was nothing to measure (a share of
/// zero events); `verdict` is `null` where the figure has no target.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Layout version, [`SCHEMA`].
    pub schema: &'static str,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The month compared against.
    pub previous_month: String,
    /// The month's bounds in UTC.
    pub period: Period,
    /// When the report was made, UTC.
    pub generated_at: String,
    /// The figures, in report order.
    pub figures: Vec<Figure>,
    #[serde(skip)]
    month_label: String,
}

/// The bounds of the reported month.
#[derive(Debug, Serialize)]
pub struct Period {
    /// Start, inclusive (midnight in Japan).
    pub from: String,
    /// End, exclusive.
    pub to: String,
    /// The timezone the month is counted in.
    pub timezone: &'static str,
}

/// Pass or fail against a target (判定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The target is met (適合).
    Pass,
    /// The target is missed (不適合).
    Fail,
}

impl Verdict {
    /// The word the report prints.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "適合",
            Verdict::Fail => "不適合",
        }
    }
}

/// One figure with its values.
#[derive(Debug, Serialize)]
pub struct Figure {
    /// Stable identifier.
    pub id: &'static str,
    /// Japanese title.
    pub title: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The policy clause it evidences.
    pub policy_ref: &'static str,
    /// How values read.
    pub unit: Unit,
    /// What `item` names, if the figure is broken down further.
    pub item_label: Option<&'static str>,
    /// The target, if the policy sets one.
    pub target: Option<Target>,
    /// Whether every row meets the target; `None` without a target or without data.
    pub verdict: Option<Verdict>,
    /// The query for the month, as run.
    pub sql: String,
    /// The query for the previous month, as run.
    pub previous_sql: String,
    /// The values.
    pub rows: Vec<FigureRow>,
}

/// One value of a figure.
#[derive(Debug, Serialize)]
pub struct FigureRow {
    /// Zone of the reporting devices, or `all`.
    pub zone: String,
    /// Sub-item (a device, a severity), or empty.
    pub item: String,
    /// The month's value.
    pub value: Option<f64>,
    /// The previous month's value.
    pub previous: Option<f64>,
    /// Against the target, where there is one and a value.
    pub verdict: Option<Verdict>,
}

/// What the report needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// Addresses and ranges of the prefecture's security cloud (自治体情報セキュリティクラウド).
    pub security_cloud: Vec<String>,
    /// Each source's expected interval (ログの取得), as OMZ-22 reads it.
    pub source_intervals: Vec<String>,
}

/// Output formats of `sanso report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// CSV for Excel on a Japanese PC: UTF-8 with BOM, CRLF.
    Csv,
    /// JSON, layout as documented on [`Report`].
    Json,
    /// One self-contained HTML page with charts.
    Html,
}

impl ReportFormat {
    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
        }
    }
}

/// Computes the report for `month` from the lake.
pub async fn build(lake: &Lake, month: Month, settings: &ReportSettings) -> anyhow::Result<Report> {
    let current = Bindings {
        month,
        security_cloud: settings.security_cloud.clone(),
        source_intervals: settings.source_intervals.clone(),
    };
    let previous = Bindings {
        month: month.previous(),
        ..current.clone()
    };
    let mut figures = Vec::with_capacity(FIGURES.len());
    for def in FIGURES {
        let sql = current.render(def);
        let previous_sql = previous.render(def);
        let now = run(lake, def, &sql).await?;
        let before = run(lake, def, &previous_sql).await?;
        figures.push(figure(def, sql, previous_sql, &now, &before));
    }
    Ok(Report {
        schema: SCHEMA,
        month: month.to_string(),
        previous_month: month.previous().to_string(),
        period: Period {
            from: month.start().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            to: month.end().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            timezone: "Asia/Tokyo",
        },
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        figures,
        month_label: month.label_ja(),
    })
}

/// Values of one query: (zone, item) → value.
type Values = BTreeMap<(String, String), Option<f64>>;

async fn run(lake: &Lake, def: &FigureDef, sql: &str) -> anyhow::Result<Values> {
    let (_, batches) = lake
        .sql(sql)
        .await
        .with_context(|| format!("computing figure {}", def.id))?;
    let mut values = Values::new();
    for batch in batches {
        let zone = cast(batch.column(0), &DataType::Utf8)?;
        let item = cast(batch.column(1), &DataType::Utf8)?;
        let value = cast(batch.column(2), &DataType::Float64)?;
        let zone = zone
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8");
        let item = item
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8");
        let value = value
            .as_any()
            .downcast_ref::<Float64Array>()
            .expect("cast to Float64");
        for row in 0..batch.num_rows() {
            let zone = if zone.is_null(row) {
                "unknown"
            } else {
                zone.value(row)
            };
            let item = if item.is_null(row) {
                ""
            } else {
                item.value(row)
            };
            let value = (!value.is_null(row)).then(|| value.value(row));
            values.insert((zone.to_owned(), item.to_owned()), value);
        }
    }
    Ok(values)
}

fn figure(
    def: &FigureDef,
    sql: String,
    previous_sql: String,
    now: &Values,
    before: &Values,
) -> Figure {
    let zero_when_absent = def.absent_is_zero;
    let mut keys: Vec<(String, String)> = now.keys().chain(before.keys()).cloned().collect();
    if def.unit == Unit::Count && def.item_label.is_none() {
        keys.extend(
            REPORTED_ZONES
                .iter()
                .map(|z| ((*z).to_owned(), String::new())),
        );
    }
    keys.sort_by(|a, b| {
        (zone_rank(&a.0), item_rank(&a.1), &a.1).cmp(&(zone_rank(&b.0), item_rank(&b.1), &b.1))
    });
    keys.dedup();
    let value_of = |values: &Values, key: &(String, String)| match values.get(key) {
        Some(v) => *v,
        None if zero_when_absent => Some(0.0),
        None => None,
    };
    let rows: Vec<FigureRow> = keys
        .into_iter()
        .map(|key| {
            let value = value_of(now, &key);
            let previous = value_of(before, &key);
            let verdict = def.target.zip(value).map(|(target, v)| {
                if target.met_by(v) {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                }
            });
            FigureRow {
                zone: key.0,
                item: key.1,
                value,
                previous,
                verdict,
            }
        })
        .collect();
    let verdict = def.target.and_then(|target| {
        let judged: Vec<Verdict> = rows.iter().filter_map(|r| r.verdict).collect();
        if judged.contains(&Verdict::Fail) {
            Some(Verdict::Fail)
        } else if !judged.is_empty() || (zero_when_absent && target.met_by(0.0)) {
            Some(Verdict::Pass)
        } else {
            None
        }
    });
    Figure {
        id: def.id,
        title: def.title,
        title_en: def.title_en,
        policy_ref: def.policy_ref,
        unit: def.unit,
        item_label: def.item_label,
        target: def.target,
        verdict,
        sql,
        previous_sql,
        rows,
    }
}

fn zone_rank(zone: &str) -> usize {
    ZONE_ORDER
        .iter()
        .position(|z| *z == zone)
        .unwrap_or(ZONE_ORDER.len())
}

/// Severities read most urgent first; other items alphabetically.
fn item_rank(item: &str) -> usize {
    ["critical", "high", "medium", "low", "informational"]
        .iter()
        .position(|s| *s == item)
        .unwrap_or(5)
}

/// The Japanese name of a zone, as the report prints it.
pub fn zone_label(zone: &str) -> &str {
    match zone {
        "core" => "基幹系",
        "lgwan" => "情報系（LGWAN接続系）",
        "internet" => "インターネット接続系",
        "external" => "外部",
        "unknown" => "ゾーン不明",
        "all" => "全体",
        other => other,
    }
}

/// A value as the report prints it: counts whole, shares to one decimal.
pub fn format_value(unit: Unit, value: Option<f64>) -> String {
    match (unit, value) {
        (_, None) => "データなし".to_owned(),
        (Unit::Count | Unit::Days, Some(v)) => format!("{v:.0}"),
        (Unit::Percent | Unit::Minutes, Some(v)) => format!("{v:.1}"),
    }
}

/// The target as the report prints it, e.g. `≦ 0` or `≧ 100.0 %`.
pub fn format_target(unit: Unit, target: Option<Target>) -> String {
    let suffix = if unit == Unit::Percent { " %" } else { "" };
    match target {
        None => String::new(),
        Some(Target::AtMost(v)) => format!("≦ {}{suffix}", format_value(unit, Some(v))),
        Some(Target::AtLeast(v)) => format!("≧ {}{suffix}", format_value(unit, Some(v))),
    }
}

/// Writes the report in `format` into `out_dir` as `sanso-report-YYYY-MM.<ext>` and
/// returns the path.
pub fn write(report: &Report, format: ReportFormat, out_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let path = out_dir.join(format!(
        "sanso-report-{}.{}",
        report.month,
        format.extension()
    ));
    let bytes = match format {
        ReportFormat::Csv => csv::render(report),
        ReportFormat::Json => serde_json::to_vec_pretty(report)?,
        ReportFormat::Html => html::render(report)?.into_bytes(),
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `sanso report`: computes the month's report and writes it in the asked formats.
pub fn command(
    config: &crate::config::Config,
    data: &Path,
    args: &crate::cli::ReportArgs,
) -> anyhow::Result<()> {
    let list = |name: &str| {
        config
            .detection
            .placeholders
            .get(name)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    };
    let settings = ReportSettings {
        security_cloud: list(SECURITY_CLOUD),
        source_intervals: list(SOURCE_INTERVALS),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let lake = Lake::open_with_limits(
            data,
            std::sync::Arc::new(config.zone_map()),
            config.query.limits(),
        )
        .await?;
        build(&lake, args.month, &settings).await
    })?;
    let formats = match args.format {
        Some(format) => vec![format],
        None => vec![ReportFormat::Html, ReportFormat::Csv, ReportFormat::Json],
    };
    for format in formats {
        let path = write(&report, format, &args.out)?;
        println!("{}", path.display());
    }
    Ok(())
}

/// The `[detection.placeholders]` list that holds the security cloud's ranges; OMZ-07
/// judges egress by the same list.
const SECURITY_CLOUD: &str = "security_cloud";

/// The `[detection.placeholders]` list of each source's expected interval; OMZ-22 raises
/// a silent source by the same list.
const SOURCE_INTERVALS: &str = "source_intervals";
