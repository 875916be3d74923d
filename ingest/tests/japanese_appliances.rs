//! i-FILTER, InterSafe WebFilter and m-FILTER lines through the whole line parser:
//! detection, the syslog envelope, encodings, and the rows they become.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type};
use sanso_ingest::batch::Batches;
use sanso_ingest::line::{Format, LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::ifilter::Layout;
use sanso_ingest::schema::Table;
use sanso_ingest::zones::{Zone, ZoneConfig, ZoneMap};

const RECEIVED: i64 = 1_795_651_200_000_000; // 2026-11-26T00:00:00Z

/// i-FILTER's own sample line (FAQ 4301), as its access.log holds it.
const IFILTER: &str = "Sep 19 19:26:56 4872 1000/01/ - - 192.168.1.1 192.168.1.1 - user01 [19/Sep/2017:19:26:56 +0900] 503 0 1207 block 63 87 87/127/151 -1 0 1518 0 group01 - 0 - \"GET https://www.youtube.com/sw.js HTTP/1.1\" - Chrome text%2Fhtml%3B+charset%3Dutf-8 A667FEFF";

const IFILTER_BLOCK: &str = "4582 192.168.1.100 user000 group 7 06/Oct/2014:11:26:21 +0900 http://www.sns.com/ block 43 3 99 28 0 -1 0 EICAR-Test-File";

const INTERSAFE: &str = "2026/11/26\t09:30:00\tHTTPS\t10.20.4.20\t総務部\t山田\t-\tBlocked\t-\t403\tmalware.example\t0\t0\t0\t-\t-\tセキュリティ\tセキュリティ\\マルウェア\t-\t-\t-\thttps://malware.example/x\tHTTP/1.1\tGET\t-";

const MFILTER: &str = "26/Nov/2026:09:40:00,38,2026/11/26 9:39:58,情報政策課,198.51.100.25,sender@example.com,tanaka@city.example.lg.jp,0,0,2,0,0,0,\"Thu, 26 Nov 2026 09:39:58 +0900\",10.20.0.25,25,250 OK,DATA+,73800,<a1@example.com>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"docx\",0,-,-,-,0,NONE,0,0,DEL_ATTACH CHG_TEXT,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,見積書.docx";

fn zones() -> Arc<ZoneMap> {
    let lgwan = ZoneConfig {
        cidrs: vec!["10.20.0.0/16".into()],
        ..Default::default()
    };
    Arc::new(ZoneMap::new([(Zone::Lgwan, &lgwan)]).unwrap())
}

fn parse(settings: ParseSettings, lines: &[&[u8]]) -> Vec<(Table, RecordBatch)> {
    let zones = zones();
    let mut parser = LineParser::new(settings, zones.clone());
    let mut batches = Batches::new(zones);
    for line in lines {
        let raw = RawLine {
            bytes: line,
            received_at: RECEIVED,
            source: "test",
            peer: Some("192.0.2.1"),
        };
        parser.parse_into(&raw, &mut batches);
    }
    assert_eq!(batches.pending().total(), lines.len() as u64);
    let out = batches.finish();
    for (table, batch) in &out {
        assert_eq!(batch.schema(), table.schema());
    }
    out
}

fn table(out: &[(Table, RecordBatch)], table: Table) -> &RecordBatch {
    &out.iter()
        .find(|(t, _)| *t == table)
        .unwrap_or_else(|| panic!("no {table} rows"))
        .1
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let array = batch.column_by_name(name).unwrap();
    (0..array.len())
        .map(|i| {
            (!array.is_null(i)).then(|| match array.data_type() {
                DataType::Dictionary(..) => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    values.value(dict.keys().value(i) as usize).to_owned()
                }
                _ => array.as_string::<i32>().value(i).to_owned(),
            })
        })
        .collect()
}

fn list(batch: &RecordBatch, name: &str, row: usize) -> Vec<String> {
    let lists = batch.column_by_name(name).unwrap().as_list::<i32>();
    let values = lists.value(row);
    let values = values.as_string::<i32>();
    (0..values.len())
        .map(|i| values.value(i).to_owned())
        .collect()
}

fn some(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[test]
fn every_format_is_detected_and_lands_in_its_table() {
    let out = parse(
        ParseSettings::default(),
        &[
            IFILTER.as_bytes(),
            IFILTER_BLOCK.as_bytes(),
            INTERSAFE.as_bytes(),
            MFILTER.as_bytes(),
        ],
    );
    let http = table(&out, Table::Http);
    assert_eq!(
        strings(http, "format"),
        [some("ifilter"), some("ifilter_block"), some("intersafe")]
    );
    assert_eq!(
        strings(http, "action"),
        [some("block"), some("block"), some("block")]
    );
    assert_eq!(
        strings(http, "reason"),
        [some("63"), some("43"), some("セキュリティ")]
    );
    // The i-FILTER line was taken whole: its process number is not a host name.
    assert_eq!(
        strings(http, "device"),
        [some("192.0.2.1"), some("192.0.2.1"), some("192.0.2.1")]
    );
    assert_eq!(strings(http, "src_zone")[2], some("lgwan"));

    let mail = table(&out, Table::Mail);
    assert_eq!(strings(mail, "format"), [some("mfilter")]);
    assert_eq!(strings(mail, "disposition"), [some("attachment_removed")]);
    assert_eq!(strings(mail, "src_zone"), [None]);
    assert_eq!(strings(mail, "dst_zone"), [some("lgwan")]);
    assert_eq!(list(mail, "recipients", 0), ["tanaka@city.example.lg.jp"]);
    assert_eq!(list(mail, "attachments", 0), ["見積書.docx"]);
    let size = mail.column_by_name("size").unwrap();
    assert_eq!(
        size.as_primitive::<arrow::datatypes::UInt64Type>().value(0),
        73_800
    );
}

#[test]
fn an_ifilter_line_in_a_syslog_envelope_keeps_the_senders_name() {
    let line = format!("<134>Nov 26 09:00:00 ifilter01 {IFILTER}");
    let out = parse(ParseSettings::default(), &[line.as_bytes()]);
    let http = table(&out, Table::Http);
    assert_eq!(strings(http, "format"), [some("ifilter")]);
    assert_eq!(strings(http, "device"), [some("ifilter01")]);
    assert_eq!(strings(http, "url_host"), [some("www.youtube.com")]);
}

#[test]
fn a_declared_ifilter_layout_is_used_on_its_source() {
    let layout = Layout::new([
        "log_time", "src_ip", "user", "time", "request", "status", "action", "group",
    ])
    .unwrap();
    let settings = ParseSettings {
        format: Some(Format::Ifilter),
        ifilter_columns: Some(Arc::new(layout)),
        ..Default::default()
    };
    let out = parse(
        settings,
        &[
            b"Nov 26 09:00:00 10.20.4.20 %E5%B1%B1%E7%94%B0 [26/Nov/2026:09:00:00 +0900] \"GET http://www.example.jp/ HTTP/1.1\" 200 allow %E7%B7%8F%E5%8B%99",
            IFILTER.as_bytes(),
        ],
    );
    let http = table(&out, Table::Http);
    assert_eq!(strings(http, "user"), [some("山田")]);
    assert_eq!(strings(http, "src_zone"), [some("lgwan")]);
    // A line in another layout is not guessed at: it goes to `unparsed` with the reason.
    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(strings(unparsed, "format_guess"), [some("ifilter")]);
    assert!(
        strings(unparsed, "error")[0]
            .as_deref()
            .unwrap()
            .starts_with("ifilter:")
    );
}

#[test]
fn shift_jis_appliances_are_decoded_and_their_bytes_kept() {
    let (intersafe, _, _) = encoding_rs::SHIFT_JIS.encode(INTERSAFE);
    let (mfilter, _, _) = encoding_rs::SHIFT_JIS.encode(MFILTER);
    let settings = ParseSettings {
        encoding: encoding_rs::SHIFT_JIS,
        ..Default::default()
    };
    let out = parse(settings, &[&intersafe, &mfilter]);
    let http = table(&out, Table::Http);
    assert_eq!(strings(http, "user"), [some("山田")]);
    assert_eq!(
        strings(http, "category"),
        [some("セキュリティ\\マルウェア")]
    );
    let raw_bytes = http.column_by_name("raw_bytes").unwrap().as_binary::<i32>();
    assert_eq!(raw_bytes.value(0), &*intersafe);

    let mail = table(&out, Table::Mail);
    assert_eq!(list(mail, "attachments", 0), ["見積書.docx"]);
    let extra = mail.column_by_name("extra").unwrap().as_map();
    let keys = extra.keys().as_string::<i32>();
    let values = extra.values().as_string::<i32>();
    let group = (0..keys.len())
        .find(|&i| keys.value(i) == "group")
        .map(|i| values.value(i));
    assert_eq!(group, Some("情報政策課"));
}

#[test]
fn a_broken_mfilter_line_goes_to_unparsed_with_the_reason() {
    let line = MFILTER.replace(",73800,", ",lots,");
    let out = parse(ParseSettings::default(), &[line.as_bytes()]);
    let unparsed = table(&out, Table::Unparsed);
    assert_eq!(strings(unparsed, "format_guess"), [some("mfilter")]);
    assert_eq!(
        strings(unparsed, "error"),
        [some("mfilter: field `size` has an invalid value")]
    );
}
