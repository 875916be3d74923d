//! The analyst functions, through SQL, against values worked out by hand.

use std::sync::Arc;

use arrow::util::pretty::pretty_format_batches;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::Lake;

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    let lgwan = ZoneConfig {
        cidrs: vec!["10.20.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core), (Zone::Lgwan, &lgwan)]).unwrap())
}

/// Runs a query on an empty lake and returns its pretty-printed result.
async fn query(sql: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    let (_, batches) = lake.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    pretty_format_batches(&batches).unwrap().to_string()
}

async fn query_err(sql: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path(), zones()).await.unwrap();
    lake.sql(sql)
        .await
        .err()
        .unwrap_or_else(|| panic!("{sql} was accepted"))
        .to_string()
}

/// The single value of a one-row, one-column result.
fn value(table: &str) -> &str {
    table
        .lines()
        .nth(3)
        .unwrap()
        .trim_matches(|c| c == '|' || c == ' ')
}

#[tokio::test]
async fn cidr_contains_matches_ranges_of_both_families() {
    let cases = [
        ("'10.10.3.4', '10.10.0.0/16'", "true"),
        ("'10.11.0.0', '10.10.0.0/16'", "false"),
        ("'fd00::1', 'fd00::/8'", "true"),
        ("'10.10.3.4', 'fd00::/8'", "false"),
        ("'10.10.3.4', '::/0'", "false"),
        ("'2001:db8::1', '::/0'", "true"),
        ("'::ffff:10.10.3.4', '10.10.0.0/16'", "true"),
        ("'-', '10.0.0.0/8'", ""),
        ("NULL, '10.0.0.0/8'", ""),
    ];
    for (args, expected) in cases {
        let result = query(&format!("SELECT cidr_contains({args}) AS v")).await;
        assert_eq!(value(&result), expected, "cidr_contains({args})");
    }
    let err = query_err("SELECT cidr_contains('10.0.0.1', '10.0.0.0/33')").await;
    assert!(err.contains("`10.0.0.0/33` is not a range"), "{err}");
}

#[tokio::test]
async fn zone_of_answers_from_the_configuration() {
    let result = query(
        "SELECT zone_of(ip) AS zone FROM (VALUES ('10.10.1.1'), ('10.20.1.1'), ('8.8.8.8'), ('192.168.1.1'), ('x'), ('::ffff:8.8.8.8'), ('::ffff:10.10.1.1')) AS t(ip)",
    )
    .await;
    let zones: Vec<&str> = result
        .lines()
        .skip(3)
        .take(7)
        .map(|l| l.trim_matches(|c| c == '|' || c == ' '))
        .collect();
    assert_eq!(
        zones,
        ["core", "lgwan", "external", "", "", "external", "core"]
    );
}

#[tokio::test]
async fn ip_to_int_numbers_ipv4_only() {
    assert_eq!(
        value(&query("SELECT ip_to_int('10.0.0.1') AS v").await),
        "167772161"
    );
    assert_eq!(
        value(&query("SELECT ip_to_int('255.255.255.255') AS v").await),
        "4294967295"
    );
    assert_eq!(value(&query("SELECT ip_to_int('::1') AS v").await), "");
}

#[tokio::test]
async fn japan_time_functions_use_utc_plus_nine() {
    // 2026-11-20T15:30:00Z is 00:30 on the 21st in Japan.
    let ts = "TIMESTAMP '2026-11-20T15:30:00Z'";
    assert_eq!(
        value(&query(&format!("SELECT jst({ts}) AS v")).await),
        "2026-11-21T00:30:00+09:00"
    );
    assert_eq!(
        value(&query(&format!("SELECT jst_date({ts}) AS v")).await),
        "2026-11-21"
    );
    assert_eq!(
        value(&query(&format!("SELECT jst_hour({ts}) AS v")).await),
        "0"
    );
    // Day buckets start at midnight in Japan, 15:00 UTC the day before.
    assert_eq!(
        value(&query(&format!("SELECT jst_bucket(INTERVAL '1 day', {ts}) AS v")).await),
        "2026-11-21T00:00:00+09:00"
    );
    assert_eq!(
        value(
            &query(&format!(
                "SELECT jst_bucket('15 minutes', {ts} + INTERVAL '14 minutes') AS v"
            ))
            .await
        ),
        "2026-11-21T00:30:00+09:00"
    );
    // Weeks start on Mondays: 2026-11-21 in Japan is a Saturday.
    assert_eq!(
        value(&query(&format!("SELECT jst_bucket('7 days', {ts}) AS v")).await),
        "2026-11-16T00:00:00+09:00"
    );
    let err = query_err(&format!("SELECT jst_bucket(INTERVAL '1 month', {ts})")).await;
    assert!(
        err.contains("months and years have no fixed length"),
        "{err}"
    );
    let err = query_err(&format!(
        "SELECT jst_bucket(INTERVAL '2000000000 days', {ts})"
    ))
    .await;
    assert!(err.contains("longer than timestamps reach"), "{err}");
}

#[tokio::test]
async fn queries_over_their_limits_are_stopped() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let long = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 100000000) SELECT count(*) FROM t";
    let limits = sanso_query::QueryLimits {
        timeout: Duration::from_millis(200),
        memory_bytes: 1 << 30,
    };
    let lake = sanso_query::Lake::open_with_limits(dir.path(), zones(), limits)
        .await
        .unwrap();
    let err = lake.sql(long).await.unwrap_err().to_string();
    assert!(err.contains("ran longer than the 0.2s limit"), "{err}");

    let limits = sanso_query::QueryLimits {
        timeout: Duration::from_secs(60),
        memory_bytes: 64 << 10,
    };
    let lake = sanso_query::Lake::open_with_limits(dir.path(), zones(), limits)
        .await
        .unwrap();
    let big = "SELECT n, count(*) FROM (SELECT unnest(range(1, 2000000)) AS n) GROUP BY n ORDER BY n DESC";
    let err = lake.sql(big).await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("resources exhausted"), "{err}");
    // The same limit holds for a plan run through `Lake::execute`, as Flight SQL does.
    let stream = lake.execute(lake.plan(big).await.unwrap()).await.unwrap();
    let err = futures::TryStreamExt::try_collect::<Vec<_>>(stream)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("resources exhausted"), "{err}");
}

#[tokio::test]
async fn a_result_larger_than_the_memory_limit_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let limits = sanso_query::QueryLimits {
        memory_bytes: 16 << 20,
        ..Default::default()
    };
    let lake = sanso_query::Lake::open_with_limits(dir.path(), zones(), limits)
        .await
        .unwrap();
    // About 100 MB of rows that no operator holds: only the collected result is large.
    let wide = "SELECT value, repeat('x', 1000) AS padding FROM generate_series(1, 100000)";
    let err = lake.sql(wide).await.unwrap_err();
    assert_eq!(
        err.failure(),
        sanso_query::QueryFailure::OutOfMemory,
        "{err}"
    );
    assert!(err.to_string().contains("query result"), "{err}");
    let (_, batches) = lake.sql(&format!("{wide} LIMIT 1000")).await.unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 1000, "a result within the limit is answered");
}
