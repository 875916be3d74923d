//! The figures of the monthly report and the SQL behind each one.
//!
//! Every figure is one query over the lake that returns `zone`, `item` and `value`
//! rows; the report runs it once for the month and once for the month before. The
//! query is kept in the report exactly as it ran (period filled in), so an auditor can
//! paste it into `sanso sql` and get the same figure.
//!
//! Counts come from the tables the detections and the devices wrote: alerts for what a
//! rule judged (so the report and the alert history never disagree), and the event
//! tables for what the devices themselves recorded. `zone` is the zone of the device
//! that reported the row; `all` is the city as a whole.

use super::month::Month;

/// How a figure's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of events, alerts or lines.
    Count,
    /// A share, 0 to 100.
    Percent,
    /// A duration in minutes.
    Minutes,
    /// A duration in days.
    Days,
}

impl Unit {
    /// The unit as the report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Count => "件",
            Unit::Percent => "%",
            Unit::Minutes => "分",
            Unit::Days => "日",
        }
    }
}

/// The value a figure should meet, where the policy sets one.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "op", content = "value")]
pub enum Target {
    /// At most this value (e.g. zero permitted violations).
    #[serde(rename = "<=")]
    AtMost(f64),
    /// At least this value (e.g. 100 % MFA coverage).
    #[serde(rename = ">=")]
    AtLeast(f64),
}

impl Target {
    /// Whether `value` meets the target.
    pub fn met_by(self, value: f64) -> bool {
        match self {
            Target::AtMost(limit) => value <= limit,
            Target::AtLeast(floor) => value >= floor,
        }
    }
}

/// One figure of the report.
#[derive(Debug)]
pub struct FigureDef {
    /// Stable identifier, used in JSON and CSV.
    pub id: &'static str,
    /// Title as the committee reads it.
    pub title: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The clause of the basic policy the figure evidences.
    pub policy_ref: &'static str,
    /// What `item` names, when a figure is broken down further (機器, 重大度).
    pub item_label: Option<&'static str>,
    /// How the value reads.
    pub unit: Unit,
    /// The policy's target, if any.
    pub target: Option<Target>,
    /// Whether a zone or item the query returns no row for reads zero (events that did
    /// not happen, a device that sent nothing) rather than "no data" (a share or an
    /// average of nothing).
    pub absent_is_zero: bool,
    /// The query, with placeholders (`{period}`, `{zone_or_all}`, `{count}`, ...) that
    /// [`Bindings::render`] fills in.
    pub sql: &'static str,
}

/// The figures, in the order the report shows them.
pub static FIGURES: &[FigureDef] = &[
    FigureDef {
        id: "three_layer_permitted",
        title: "三層分離違反（許可された通信）",
        title_en: "Three-layer violations, permitted",
        policy_ref: "基本方針6(3)①②③",
        item_label: None,
        unit: Unit::Count,
        target: Some(Target::AtMost(0.0)),
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            // The rules that fire on permitted flows the three-layer model forbids.
            "FROM alerts WHERE {period} AND substr(rule_id, 1, 6) IN ('OMZ-01', 'OMZ-03', 'OMZ-04', 'OMZ-05', 'OMZ-07')\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "three_layer_denied",
        title: "三層分離境界で遮断された通信",
        title_en: "Three-layer boundary crossings, denied",
        policy_ref: "基本方針6(3)①②",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM network WHERE {period} AND action IN ('deny', 'drop', 'reset')\n",
            "AND ((src_zone = 'core' AND dst_zone <> 'core') OR (dst_zone = 'core' AND src_zone <> 'core')\n",
            "  OR (src_zone = 'lgwan' AND dst_zone IN ('internet', 'external')) OR (dst_zone = 'lgwan' AND src_zone IN ('internet', 'external')))\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "unauthorised_access",
        title: "不正アクセスの検知",
        title_en: "Unauthorised access detected",
        policy_ref: "基本方針3(1)・6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            // Scans, deny floods, brute force, spraying and guessed passwords.
            "FROM alerts WHERE {period} AND substr(rule_id, 1, 6) IN ('OMZ-11', 'OMZ-12', 'OMZ-15', 'OMZ-16', 'OMZ-19')\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "malware",
        title: "マルウェア・侵入の検知（UTM・IPS）",
        title_en: "Malware and intrusion detections (UTM, IPS)",
        policy_ref: "基本方針6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM network WHERE {period} AND threat_name IS NOT NULL\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "web_filter_blocks",
        title: "Webフィルタによる遮断",
        title_en: "Web filter blocks",
        policy_ref: "基本方針6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM http WHERE {period} AND action = 'block'\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "mail_sanitisation",
        title: "メールの無害化（処理別）",
        title_en: "Mail through the sanitisation gateway, by disposition",
        policy_ref: "基本方針6(3)②",
        item_label: Some("処理"),
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, CAST(disposition AS VARCHAR) AS item, {count}\n",
            "FROM mail WHERE {period}\n",
            "GROUP BY GROUPING SETS ((zone, disposition), (disposition))"
        ),
    },
    FigureDef {
        id: "auth_failures",
        title: "認証の失敗",
        title_en: "Authentication failures",
        policy_ref: "基本方針6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM auth WHERE {period} AND outcome = 'failure' AND activity = 'logon'\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "lockouts",
        title: "アカウントのロックアウト",
        title_en: "Account lockouts",
        policy_ref: "基本方針6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM auth WHERE {period} AND activity = 'lockout'\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "mfa_coverage_core",
        title: "基幹系の対話型ログオンの多要素認証率",
        title_en: "MFA coverage of interactive logons on core",
        policy_ref: "基本方針6(3)①",
        item_label: None,
        unit: Unit::Percent,
        target: Some(Target::AtLeast(100.0)),
        absent_is_zero: false,
        // A logon counts as covered when the same account passed a one-time code on an
        // MFA device within a minute either side of it (the OMZ-14 rule's window).
        sql: concat!(
            "SELECT 'core' AS zone, '' AS item, 100.0 * sum(covered) / nullif(count(*), 0) AS value FROM (\n",
            "  SELECT l.time, l.user, l.src_ip, max(CASE WHEN m.user IS NULL THEN 0 ELSE 1 END) AS covered\n",
            "  FROM (SELECT time, user, src_ip FROM auth WHERE {period} AND zone = 'core' AND activity = 'logon' AND outcome = 'success'\n",
            "        AND NOT coalesce(is_mfa, false)\n",
            "        AND (logon_type IN ('interactive', 'remote_interactive', 'cached_interactive', 'cached_remote_interactive') OR protocol = 'ssh')) l\n",
            "  LEFT JOIN (SELECT time, user FROM auth WHERE {period_margin} AND is_mfa AND outcome = 'success') m\n",
            "    ON lower(m.user) = lower(l.user) AND m.time BETWEEN l.time - INTERVAL '60 seconds' AND l.time + INTERVAL '60 seconds'\n",
            "  GROUP BY l.time, l.user, l.src_ip)"
        ),
    },
    FigureDef {
        id: "privileged_logons",
        title: "特権IDの使用（ログオン成功）",
        title_en: "Privileged account logons",
        policy_ref: "基本方針6(6)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM auth WHERE {period} AND is_privileged AND activity = 'logon' AND outcome = 'success'\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "off_hours_access",
        title: "業務時間外・休日の対話型アクセス",
        title_en: "Interactive access outside business hours or on holidays",
        policy_ref: "基本方針6(7)",
        item_label: None,
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, '' AS item, {count}\n",
            "FROM alerts WHERE {period} AND substr(rule_id, 1, 6) = 'OMZ-21'\n",
            "GROUP BY ROLLUP(zone)"
        ),
    },
    FigureDef {
        id: "cloud_egress_share",
        title: "インターネット通信の自治体情報セキュリティクラウド経由率",
        title_en: "Internet egress through the security cloud",
        policy_ref: "基本方針6(3)③",
        item_label: None,
        unit: Unit::Percent,
        target: Some(Target::AtLeast(100.0)),
        absent_is_zero: false,
        sql: concat!(
            "SELECT zone, '' AS item, 100.0 * sum(CASE WHEN {security_cloud} THEN 1 ELSE 0 END) / nullif(count(*), 0) AS value\n",
            "FROM network WHERE {period} AND src_zone = 'internet' AND dst_zone = 'external' AND action = 'allow'\n",
            "GROUP BY zone"
        ),
    },
    FigureDef {
        id: "clock_skew_lines",
        title: "機器の時刻ずれ（60秒超）の記録",
        title_en: "Lines with device clock skew over 60 s",
        policy_ref: "基本方針6(7)・7",
        item_label: Some("機器"),
        unit: Unit::Count,
        target: Some(Target::AtMost(0.0)),
        absent_is_zero: true,
        sql: concat!(
            "SELECT zone, device AS item, {count} FROM (\n",
            "  SELECT zone, device, time, received_at FROM network WHERE {period}\n",
            "  UNION ALL SELECT zone, device, time, received_at FROM http WHERE {period}\n",
            "  UNION ALL SELECT zone, device, time, received_at FROM auth WHERE {period})\n",
            "WHERE abs(date_part('epoch', received_at) - date_part('epoch', time)) > 60\n",
            "GROUP BY zone, device"
        ),
    },
    FigureDef {
        id: "log_availability",
        title: "ログの取得率（機器別、想定間隔ごと）",
        title_en: "Log availability per source (share of its expected intervals with data)",
        policy_ref: "基本方針6(7)",
        item_label: Some("機器"),
        unit: Unit::Percent,
        target: Some(Target::AtLeast(99.0)),
        absent_is_zero: true,
        // Sources with an expected interval (`source_intervals`, the same list OMZ-22
        // watches): the share of the month's intervals, counted from the epoch, in
        // which the device wrote at least one line.
        sql: concat!(
            "SELECT zone, device AS item, 100.0 * count(DISTINCT floor(date_part('epoch', time) / interval_secs)) / ({period_secs} / interval_secs) AS value FROM (\n",
            "  SELECT zone, device, time, {interval_secs} AS interval_secs FROM (\n",
            "    SELECT zone, device, time FROM network WHERE {period}\n",
            "    UNION ALL SELECT zone, device, time FROM http WHERE {period}\n",
            "    UNION ALL SELECT zone, device, time FROM auth WHERE {period}\n",
            "    UNION ALL SELECT zone, device, time FROM mail WHERE {period}\n",
            "    UNION ALL SELECT zone, device, time FROM unparsed WHERE {period}))\n",
            "WHERE interval_secs IS NOT NULL\n",
            "GROUP BY zone, device, interval_secs"
        ),
    },
    FigureDef {
        id: "alerts_by_severity",
        title: "アラート（重大度別）",
        title_en: "Alerts by severity",
        policy_ref: "基本方針6(6)",
        item_label: Some("重大度"),
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT {zone_or_all}, CAST(severity AS VARCHAR) AS item, {count}\n",
            "FROM alerts WHERE {period}\n",
            "GROUP BY GROUPING SETS ((zone, severity), (severity))"
        ),
    },
    FigureDef {
        id: "incidents_by_severity",
        title: "インシデント（重大度別）",
        title_en: "Incidents opened, by severity",
        policy_ref: "基本方針6(7)",
        item_label: Some("重大度"),
        unit: Unit::Count,
        target: None,
        absent_is_zero: true,
        sql: concat!(
            "SELECT 'all' AS zone, severity AS item, {count}\n",
            "FROM incidents WHERE {detected}\n",
            "GROUP BY severity"
        ),
    },
    FigureDef {
        id: "incident_response_minutes",
        title: "インシデント対応に要した時間（平均）",
        title_en: "Mean time from detection to report, containment and closure",
        policy_ref: "基本方針6(7)",
        item_label: Some("段階"),
        unit: Unit::Minutes,
        target: None,
        absent_is_zero: false,
        sql: concat!(
            "SELECT 'all' AS zone, '1 認知→報告' AS item, avg(seconds_to_report) / 60.0 AS value FROM incidents WHERE {detected}\n",
            "UNION ALL SELECT 'all', '2 認知→封じ込め', avg(seconds_to_contain) / 60.0 FROM incidents WHERE {detected}\n",
            "UNION ALL SELECT 'all', '3 認知→終結', avg(seconds_to_close) / 60.0 FROM incidents WHERE {detected}"
        ),
    },
    FigureDef {
        id: "retention_days",
        title: "ログの保存期間（最古の記録から月末まで）",
        title_en: "Days of logs kept, oldest record to the end of the month",
        policy_ref: "基本方針6(7)",
        item_label: Some("テーブル"),
        unit: Unit::Days,
        target: None,
        absent_is_zero: false,
        sql: concat!(
            "SELECT 'all' AS zone, 'network' AS item, {days_kept} AS value FROM network WHERE {before_end}\n",
            "UNION ALL SELECT 'all', 'http', {days_kept} FROM http WHERE {before_end}\n",
            "UNION ALL SELECT 'all', 'auth', {days_kept} FROM auth WHERE {before_end}\n",
            "UNION ALL SELECT 'all', 'alerts', {days_kept} FROM alerts WHERE {before_end}"
        ),
    },
];

/// The zone column of a query grouped by `ROLLUP(zone)` or grouping sets: the row that
/// totals every zone reads `all`, and rows without a zone read `unknown`.
const ZONE_OR_ALL: &str =
    "CASE WHEN grouping(zone) = 1 THEN 'all' ELSE coalesce(zone, 'unknown') END AS zone";

/// What fills a figure's placeholders for one month.
#[derive(Debug, Clone)]
pub struct Bindings {
    /// The month.
    pub month: Month,
    /// The security cloud's addresses and ranges.
    pub security_cloud: Vec<String>,
    /// Each source's expected interval, `DEVICE DURATION` (`*` for any other device).
    pub source_intervals: Vec<String>,
}

impl Bindings {
    /// The figure's query with the month and lists filled in.
    pub fn render(&self, figure: &FigureDef) -> String {
        figure
            .sql
            .replace("{period_margin}", &period(self.month, 1))
            .replace("{period_secs}", &(u64::from(self.month.days()) * 86_400).to_string())
            .replace("{interval_secs}", &self.interval_secs())
            .replace("{period}", &period(self.month, 0))
            .replace("{zone_or_all}", ZONE_OR_ALL)
            .replace("{count}", "CAST(count(*) AS DOUBLE) AS value")
            .replace("{detected}", &detected(self.month))
            .replace("{before_end}", &format!("time < TIMESTAMP '{}'", utc(self.month.end())))
            .replace(
                "{days_kept}",
                &format!(
                    "(date_part('epoch', TIMESTAMP '{}') - date_part('epoch', min(time))) / 86400.0",
                    utc(self.month.end())
                ),
            )
            .replace("{security_cloud}", &self.security_cloud_match())
    }

    /// Each device's expected interval in seconds, null for devices without one.
    fn interval_secs(&self) -> String {
        let mut arms = String::from("CASE device");
        let mut otherwise = "NULL".to_owned();
        for entry in &self.source_intervals {
            let Some((device, duration)) = entry.trim().split_once(char::is_whitespace) else {
                continue;
            };
            // Entries are checked when the rule pack loads; one that does not parse
            // never reaches a running sanso.
            let Some(micros) = sanso_detect::sigma::parse_duration(duration) else {
                continue;
            };
            let secs = micros / 1_000_000;
            if device == "*" {
                otherwise = secs.to_string();
            } else {
                arms.push_str(&format!(
                    " WHEN '{}' THEN {secs}",
                    device.replace('\'', "''")
                ));
            }
        }
        if arms == "CASE device" {
            return otherwise;
        }
        format!("{arms} ELSE {otherwise} END")
    }

    /// `dst_ip` lies in one of the security cloud's ranges; with none configured nothing
    /// does, and the share reads 0 %.
    fn security_cloud_match(&self) -> String {
        if self.security_cloud.is_empty() {
            return "false".to_owned();
        }
        let ranges: Vec<String> = self
            .security_cloud
            .iter()
            .map(|range| {
                let range = if range.contains('/') {
                    range.clone()
                } else if range.contains(':') {
                    format!("{range}/128")
                } else {
                    format!("{range}/32")
                };
                format!("cidr_contains(dst_ip, '{}')", range.replace('\'', "''"))
            })
            .collect();
        format!("({})", ranges.join(" OR "))
    }
}

/// Incidents detected in `month`.
fn detected(month: Month) -> String {
    format!(
        "detected_at >= TIMESTAMP '{}' AND detected_at < TIMESTAMP '{}'",
        utc(month.start()),
        utc(month.end())
    )
}

fn utc(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The time filter for `month`, widened by `margin_days` either side, with the `date`
/// partition filter that lets the lake skip every other day's folders. Partitions are
/// UTC days, so the Japan month spans the UTC day before its first day.
fn period(month: Month, margin_days: i64) -> String {
    let margin = chrono::TimeDelta::days(margin_days);
    let from = month.start() - margin;
    let to = month.end() + margin;
    let last = to - chrono::TimeDelta::microseconds(1);
    format!(
        "time >= TIMESTAMP '{}' AND time < TIMESTAMP '{}' AND date BETWEEN '{}' AND '{}'",
        utc(from),
        utc(to),
        from.format("%Y-%m-%d"),
        last.format("%Y-%m-%d"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        let bindings = Bindings {
            month: "2026-11".parse().unwrap(),
            security_cloud: vec![
                "198.51.100.0/24".into(),
                "203.0.113.7".into(),
                "o'brien".into(),
            ],
            source_intervals: vec!["fw-core 15m".into(), "* 1h".into()],
        };
        for figure in FIGURES {
            let sql = bindings.render(figure);
            assert!(!sql.contains('{'), "{}: {sql}", figure.id);
        }
        let egress = FIGURES
            .iter()
            .find(|f| f.id == "cloud_egress_share")
            .unwrap();
        assert!(bindings.render(egress).contains(
            "(cidr_contains(dst_ip, '198.51.100.0/24') OR cidr_contains(dst_ip, '203.0.113.7/32') \
             OR cidr_contains(dst_ip, 'o''brien/32'))"
        ));
    }

    #[test]
    fn expected_intervals_become_a_case_per_device() {
        let mut bindings = Bindings {
            month: "2026-11".parse().unwrap(),
            security_cloud: Vec::new(),
            source_intervals: vec![
                "fw-core 15m".into(),
                "proxy-inet  30m".into(),
                "* 1h".into(),
            ],
        };
        assert_eq!(
            bindings.interval_secs(),
            "CASE device WHEN 'fw-core' THEN 900 WHEN 'proxy-inet' THEN 1800 ELSE 3600 END"
        );
        bindings.source_intervals.truncate(1);
        assert_eq!(
            bindings.interval_secs(),
            "CASE device WHEN 'fw-core' THEN 900 ELSE NULL END"
        );
        bindings.source_intervals.clear();
        assert_eq!(bindings.interval_secs(), "NULL");
    }

    #[test]
    fn the_period_covers_the_japan_month_and_its_utc_partitions() {
        let p = period("2026-11".parse().unwrap(), 0);
        assert_eq!(
            p,
            "time >= TIMESTAMP '2026-10-31T15:00:00Z' AND time < TIMESTAMP '2026-11-30T15:00:00Z' AND date BETWEEN '2026-10-31' AND '2026-11-30'"
        );
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<_> = FIGURES.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), FIGURES.len());
    }
}
