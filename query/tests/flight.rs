//! Arrow Flight SQL, through arrow-flight's own Flight SQL client over a real loopback
//! connection: queries, prepared statements, table listing, the read-only surface, and
//! the token check.

use std::net::SocketAddr;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampNanosecondType};
use arrow_flight::FlightInfo;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTables};
use futures::TryStreamExt;
use sanso_ingest::batch::{Batches, Common};
use sanso_ingest::event::{Event, NetworkEvent};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};
use sanso_query::{Lake, LakeWriter, QueryError, QueryLimits, flight};
use tonic::transport::Channel;

const TOKEN: &str = "flight-test-token";
const T0: i64 = 1_763_596_800_000_000; // 2025-11-20T00:00:00Z

fn zones() -> Arc<ZoneMap> {
    let core = ZoneConfig {
        cidrs: vec!["10.10.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Core, &core)]).unwrap())
}

/// Writes one network row per address into the lake at `dir`, as one file.
fn write_flows(dir: &std::path::Path, ips: &[&str]) {
    let mut batches = Batches::new(zones());
    for (i, ip) in ips.iter().enumerate() {
        let raw = format!("flow {i}");
        let common = Common {
            time: T0 + i as i64,
            received_at: T0,
            zone: Some(Zone::Core),
            device: Some("fw"),
            format: Some("iptables"),
            source: "test",
            raw: &raw,
            raw_bytes: None,
        };
        let event = NetworkEvent {
            src_ip: Some(ip),
            dst_ip: Some("8.8.8.8"),
            ..Default::default()
        };
        batches.push(&common, &Event::Network(event));
    }
    let mut writer = LakeWriter::new(dir).unwrap();
    writer
        .append(Table::Network, &batches.finish().remove(0).1)
        .unwrap();
    writer.flush_all().unwrap();
}

/// A lake of three network rows, served on a free loopback port.
async fn server() -> (tempfile::TempDir, SocketAddr) {
    server_with_limits(QueryLimits::default()).await
}

/// [`server`] with `limits` on its queries.
async fn server_with_limits(limits: QueryLimits) -> (tempfile::TempDir, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    write_flows(dir.path(), &["10.10.0.1", "10.10.0.2", "10.10.0.1"]);

    let lake = Lake::open_with_limits(dir.path(), zones(), limits)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(flight::serve(
        listener,
        Arc::new(lake),
        vec![TOKEN.to_owned()],
        std::future::pending(),
    ));
    (dir, addr)
}

async fn client(addr: SocketAddr, token: Option<&str>) -> FlightSqlServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    if let Some(token) = token {
        client.set_token(token.to_owned());
    }
    client
}

async fn fetch(client: &mut FlightSqlServiceClient<Channel>, info: FlightInfo) -> Vec<RecordBatch> {
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("every endpoint has a ticket");
        let stream = client.do_get(ticket).await.unwrap();
        batches.extend(stream.try_collect::<Vec<_>>().await.unwrap());
    }
    batches
}

fn pretty(batches: &[RecordBatch]) -> String {
    arrow::util::pretty::pretty_format_batches(batches)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn queries_return_the_lakes_rows() {
    let (_dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    let info = client
        .execute(
            "SELECT src_ip, count(*) AS flows FROM network GROUP BY src_ip ORDER BY src_ip"
                .to_owned(),
            None,
        )
        .await
        .unwrap();
    let batches = fetch(&mut client, info).await;
    let table = pretty(&batches);
    assert!(table.contains("| 10.10.0.1 | 2     |"), "{table}");
    assert!(table.contains("| 10.10.0.2 | 1     |"), "{table}");

    // Dictionary and text columns arrive as plain strings, matching the schema announced.
    let info = client
        .execute(
            "SELECT format, zone, src_ip FROM network ORDER BY time LIMIT 1".to_owned(),
            None,
        )
        .await
        .unwrap();
    let announced = info.clone().try_decode_schema().unwrap();
    let batches = fetch(&mut client, info).await;
    assert_eq!(batches[0].schema().fields(), announced.fields());
    assert!(pretty(&batches).contains("| iptables | core | 10.10.0.1 |"));
}

#[tokio::test]
async fn prepared_statements_run() {
    let (_dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    let mut statement = client
        .prepare("SELECT count(*) AS n FROM network".to_owned(), None)
        .await
        .unwrap();
    assert_eq!(statement.dataset_schema().unwrap().field(0).name(), "n");
    let info = statement.execute().await.unwrap();
    let batches = fetch(&mut client, info).await;
    assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 3);
    statement.close().await.unwrap();
}

#[tokio::test]
async fn a_prepared_statement_run_again_sees_new_files_and_the_current_time() {
    let (dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    let mut statement = client
        .prepare(
            "SELECT count(*) AS n, now() AS asked_at FROM network".to_owned(),
            None,
        )
        .await
        .unwrap();
    let first = fetch(&mut client, statement.execute().await.unwrap()).await;

    write_flows(dir.path(), &["10.10.0.3"]);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = fetch(&mut client, statement.execute().await.unwrap()).await;

    let count = |b: &[RecordBatch]| b[0].column(0).as_primitive::<Int64Type>().value(0);
    let asked_at = |b: &[RecordBatch]| {
        b[0].column(1)
            .as_primitive::<TimestampNanosecondType>()
            .value(0)
    };
    assert_eq!((count(&first), count(&second)), (3, 4));
    assert!(
        asked_at(&second) > asked_at(&first),
        "now() must be the time of each run"
    );
}

#[tokio::test]
async fn a_closed_prepared_statement_cannot_run() {
    let (_dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    let statement = client
        .prepare("SELECT count(*) FROM network".to_owned(), None)
        .await
        .unwrap();
    let mut copy = statement.clone();
    statement.close().await.unwrap();
    let err = copy.execute().await.unwrap_err().to_string();
    assert!(err.contains("no such prepared statement"), "{err}");
}

#[tokio::test]
async fn clients_can_list_tables() {
    let (_dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    let info = client.get_catalogs().await.unwrap();
    assert!(pretty(&fetch(&mut client, info).await).contains("datafusion"));
    let info = client
        .get_db_schemas(CommandGetDbSchemas::default())
        .await
        .unwrap();
    assert!(pretty(&fetch(&mut client, info).await).contains("public"));
    let info = client
        .get_tables(CommandGetTables {
            include_schema: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let tables = fetch(&mut client, info).await;
    let listing = pretty(&tables);
    for table in Table::ALL {
        assert!(
            listing.contains(&format!("| {} ", table.name())),
            "{listing}"
        );
    }
    let info = client.get_table_types().await.unwrap();
    assert!(pretty(&fetch(&mut client, info).await).contains("TABLE"));
    let info = client.get_sql_info(Vec::new()).await.unwrap();
    assert!(!fetch(&mut client, info).await.is_empty());
}

#[tokio::test]
async fn writes_are_refused_with_the_reason() {
    let (_dir, addr) = server().await;
    let mut client = client(addr, Some(TOKEN)).await;
    for statement in [
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE network",
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/etc/'",
        "INSERT INTO alerts SELECT * FROM alerts",
        "COPY (SELECT 1) TO '/tmp/sanso-flight-copy.csv'",
    ] {
        let err = client
            .execute(statement.to_owned(), None)
            .await
            .expect_err(statement)
            .to_string();
        assert!(
            err.contains(&QueryError::ReadOnly.to_string()),
            "{statement}: {err}"
        );
        let err = client
            .prepare(statement.to_owned(), None)
            .await
            .expect_err(statement)
            .to_string();
        assert!(
            err.contains(&QueryError::ReadOnly.to_string()),
            "{statement}: {err}"
        );
    }
}

#[tokio::test]
async fn calls_without_a_configured_token_are_refused() {
    let (_dir, addr) = server().await;
    let mut anonymous = client(addr, None).await;
    let err = anonymous
        .execute("SELECT 1".to_owned(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing `authorization"), "{err}");
    let mut wrong = client(addr, Some("guess")).await;
    let err = wrong.get_catalogs().await.unwrap_err().to_string();
    assert!(err.contains("unknown token"), "{err}");
    assert!(wrong.handshake("analyst", "guess").await.is_err());

    // A handshake with the token as password hands back the bearer token to use.
    let mut basic = client(addr, None).await;
    basic.handshake("analyst", TOKEN).await.unwrap();
    assert_eq!(basic.token().map(String::as_str), Some(TOKEN));
    let info = basic
        .execute("SELECT 1 AS one".to_owned(), None)
        .await
        .unwrap();
    assert!(pretty(&fetch(&mut basic, info).await).contains("| 1   |"));
}

#[tokio::test]
async fn a_client_that_stops_reading_gets_no_rows_past_the_time_limit() {
    let limits = QueryLimits {
        timeout: std::time::Duration::from_secs(1),
        ..QueryLimits::default()
    };
    let (_dir, addr) = server_with_limits(limits).await;
    let mut client = client(addr, Some(TOKEN)).await;
    // About 500 MB of rows, produced faster than the time limit if read at once.
    const ROWS: usize = 500_000;
    let sql = format!("SELECT value, repeat('x', 1000) AS padding FROM generate_series(1, {ROWS})");
    let info = client.execute(sql, None).await.unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut stream = client.do_get(ticket).await.unwrap();
    let mut rows = stream.try_next().await.unwrap().unwrap().num_rows();

    // The client stops reading past the limit, then reads on.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let error = loop {
        match stream.try_next().await {
            Ok(Some(batch)) => rows += batch.num_rows(),
            Ok(None) => panic!("all {rows} rows came, though the limit had passed"),
            Err(err) => break err.to_string(),
        }
    };
    assert!(error.contains("ran longer than the 1s limit"), "{error}");
    assert!(rows < ROWS / 4, "{rows} rows came after the limit");
}
