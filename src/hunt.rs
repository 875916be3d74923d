//! `sanso hunt`: Sigma rules run over the lake's history instead of the live feed.
//!
//! The rules are the same files `[detection] rules` runs live; `sanso_detect::sql`
//! turns each into DataFusion SQL, and the alerts come out exactly as streaming
//! detection would have raised them (a differential test holds the two to that). A
//! document that cannot be hunted is printed with the reason; the others still run.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sanso_detect::sql::{Hunt, TimeRange};
use sanso_detect::{EngineConfig, FieldMapping, alerts_to_batch, sigma};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;
use sanso_query::lake::LakeLocation;
use sanso_query::{Lake, LakeWriter, QueryLimits};

use crate::cli::HuntArgs;
use crate::config::DetectionConfig;
use crate::output::write_result;

/// `--since` / `--until`: a duration back from now (`30m`, `24h`, `7d`) or an RFC 3339
/// instant, as UTC microseconds.
pub fn parse_instant(text: &str, now: DateTime<Utc>) -> anyhow::Result<i64> {
    if let Some(back) = sigma::parse_duration(text) {
        return Ok(now.timestamp_micros() - back);
    }
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_micros())
        .map_err(|_| {
            anyhow::anyhow!(
                "`{text}` is neither a duration (30m, 24h, 7d) nor an RFC 3339 time \
                 (2025-11-20T09:00:00+09:00)"
            )
        })
}

/// Runs `sanso hunt` against the lake at `data`.
pub fn hunt(
    data: &LakeLocation,
    zones: Arc<ZoneMap>,
    limits: QueryLimits,
    detection: &DetectionConfig,
    args: &HuntArgs,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let range = TimeRange {
        since: args
            .since
            .as_deref()
            .map(|t| parse_instant(t, now))
            .transpose()
            .context("--since")?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_instant(t, now))
            .transpose()
            .context("--until")?,
    };
    let loaded = sigma::load_path(&args.rules);
    for error in &loaded.errors {
        eprintln!("not hunted: {error}");
    }
    let config = EngineConfig {
        suppress_for: i64::try_from(detection.suppress_secs).unwrap_or(i64::MAX / 2_000_000)
            * 1_000_000,
        ..EngineConfig::default()
    };
    let hunt = Hunt::new(
        &loaded.set,
        &FieldMapping::default(),
        &detection.placeholders,
        config,
    );
    let plan = hunt.plan(range);
    for rejected in &plan.rejected {
        eprintln!("not hunted: {rejected}");
    }
    if args.show_sql {
        for query in &plan.queries {
            println!("-- {}\n{};\n", query.rule_id, query.sql);
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut alerts = runtime.block_on(async {
        let lake = Lake::open_with_limits(data, zones, limits).await?;
        let mut alerts = Vec::new();
        for query in &plan.queries {
            let (_, batches) = lake
                .sql(&query.sql)
                .await
                .with_context(|| format!("hunting {}", query.rule_id))?;
            alerts.extend(
                hunt.alerts(query, &batches)
                    .with_context(|| format!("hunting {}", query.rule_id))?,
            );
        }
        anyhow::Ok(alerts)
    })?;
    hunt.suppress(&mut alerts);
    let batch = alerts_to_batch(&alerts)?;
    if args.save {
        let mut writer = LakeWriter::new(data)?;
        writer.append(Table::Alerts, &batch)?;
        writer
            .flush_all()
            .with_context(|| format!("saving alerts to {}", data.display()))?;
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    write_result(&mut out, args.format, batch.schema(), &[batch])?;
    out.flush()?;
    eprintln!(
        "{} alerts from {} queries{}; {} documents not hunted",
        alerts.len(),
        plan.queries.len(),
        if args.save {
            ", saved to the alerts table"
        } else {
            ""
        },
        loaded.errors.len() + plan.rejected.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_durations_back_or_rfc3339() {
        let now = DateTime::parse_from_rfc3339("2025-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let hour = 3_600_000_000;
        assert_eq!(
            parse_instant("1h", now).unwrap(),
            now.timestamp_micros() - hour
        );
        assert_eq!(
            parse_instant("2025-11-20T18:00:00+09:00", now).unwrap(),
            now.timestamp_micros() - hour
        );
        let err = parse_instant("yesterday", now).unwrap_err().to_string();
        assert!(err.contains("neither a duration"), "{err}");
    }
}
