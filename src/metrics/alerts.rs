//! The alert metrics, and the calls through which the detection engine reports.
//!
//! The engine is not wired into `sanso run` yet. Until it is, `sanso_detection_rules_loaded`
//! reads 0 and no alert is counted; the dashboards show that beside the violation count,
//! so that a zero there is never read as a clean bill of health.
//!
//! # Three-layer violations
//!
//! A violation is an alert of a rule that finds traffic *through* a boundary of basic
//! policy 6(3) that the policy forbids, as opposed to an attempt the boundary stopped
//! (OMZ-02, denied flows) or a related control (OMZ-14, MFA on `core`, which the dashboards
//! report as MFA coverage). From the policy rule pack:
//!
//! | rule | what crossed | clause |
//! |---|---|---|
//! | OMZ-01 | a permitted flow from `core` to a destination off the core allowlist | 6(3)① |
//! | OMZ-03 | an allowlisted partner reached from `core` on a port outside its tuple | 6(3)① |
//! | OMZ-04 | a direct `lgwan` ↔ `internet` flow, not through a sanitisation or screen-transfer gateway | 6(3)② |
//! | OMZ-05 | mail or files into `lgwan` from anything but the mail-text relay or the file sanitiser | 6(3)② |
//! | OMZ-07 | internet egress that bypasses the security-cloud proxy | 6(3)③ |
//!
//! Their `sanso_three_layer_violations_total` series exist at zero from start-up for the
//! three city zones. Prometheus's `increase()` needs a sample before the first alert to
//! see it, so a series born at 1 would hide the very first violation from an alerting
//! rule; created up front, it cannot.

use sanso_detect::{Alert, Severity};

use super::{CITY_ZONES, Metrics, UNKNOWN};

/// The rules whose alerts are three-layer violations (see the module docs).
pub const THREE_LAYER_RULES: [&str; 5] = ["OMZ-01", "OMZ-03", "OMZ-04", "OMZ-05", "OMZ-07"];

impl Metrics {
    /// Creates the violation series of every three-layer rule and city zone at zero.
    pub(super) fn create_violation_series(&self) {
        for rule in THREE_LAYER_RULES {
            for zone in CITY_ZONES {
                self.three_layer_violations
                    .with_label_values(&[rule, zone.as_str()]);
            }
        }
    }

    /// Tells the metrics which rules the engine runs, each with the severities it can
    /// raise: sets `sanso_detection_rules_loaded` and creates the rules' alert series at
    /// zero for the city zones, so that the first alert of each shows in `increase()`.
    pub fn alert_rules_loaded(&self, rules: &[(&str, &[Severity])]) {
        self.detection_rules
            .set(i64::try_from(rules.len()).unwrap_or(i64::MAX));
        for (rule, severities) in rules {
            for severity in *severities {
                for zone in CITY_ZONES {
                    self.alerts
                        .with_label_values(&[rule, severity.as_str(), zone.as_str()]);
                }
            }
        }
    }

    /// Counts one alert, and a three-layer violation when its rule is one of
    /// [`THREE_LAYER_RULES`].
    ///
    /// Alerts are few (deduplicated and suppressed per rule and group), so the label
    /// lookup per call costs nothing that matters; this is not a per-row path.
    pub fn record_alert(&self, alert: &Alert) {
        let zone = alert.zone.map_or(UNKNOWN, |z| z.as_str());
        let rule = alert.rule_id.as_str();
        self.alerts
            .with_label_values(&[rule, alert.severity.as_str(), zone])
            .inc();
        if THREE_LAYER_RULES.contains(&rule) {
            self.three_layer_violations
                .with_label_values(&[rule, zone])
                .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use sanso_ingest::zones::Zone;

    use super::*;

    fn alert(rule: &str, severity: Severity, zone: Option<Zone>) -> Alert {
        Alert {
            alert_id: "a1".into(),
            rule_id: rule.into(),
            title: "test".into(),
            severity,
            zone,
            time: 0,
            window_start: None,
            window_end: None,
            group_key: None,
            event_count: 1,
            policy_ref: None,
            evidence: None,
        }
    }

    #[test]
    fn loading_rules_sets_the_gauge_and_creates_zero_series() {
        let metrics = Metrics::new();
        metrics.alert_rules_loaded(&[
            ("OMZ-02", &[Severity::Medium, Severity::High]),
            ("OMZ-14", &[Severity::Critical]),
        ]);
        let text = metrics.render();
        assert!(text.contains("sanso_detection_rules_loaded 2"), "{text}");
        assert!(
            text.contains(r#"sanso_alerts_total{rule="OMZ-02",severity="high",zone="lgwan"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sanso_alerts_total{rule="OMZ-14",severity="critical",zone="core"} 0"#),
            "{text}"
        );
    }

    #[test]
    fn boundary_rules_count_as_violations_and_others_do_not() {
        let metrics = Metrics::new();
        metrics.record_alert(&alert("OMZ-04", Severity::Critical, Some(Zone::Lgwan)));
        metrics.record_alert(&alert("OMZ-02", Severity::High, Some(Zone::Core)));
        metrics.record_alert(&alert("OMZ-15", Severity::Medium, None));
        let text = metrics.render();
        assert!(
            text.contains(r#"sanso_three_layer_violations_total{rule="OMZ-04",zone="lgwan"} 1"#),
            "{text}"
        );
        assert!(
            !text.contains(r#"sanso_three_layer_violations_total{rule="OMZ-02""#),
            "{text}"
        );
        assert!(
            text.contains(r#"sanso_alerts_total{rule="OMZ-02",severity="high",zone="core"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"sanso_alerts_total{rule="OMZ-15",severity="medium",zone="unknown"} 1"#
            ),
            "{text}"
        );
    }
}
