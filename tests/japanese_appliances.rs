//! i-FILTER, InterSafe WebFilter and m-FILTER logs imported with `sanso import` and
//! queried with `sanso sql`: the `mail` table as an analyst and the monthly report use it
//! (sanitisation counted per day, partitions pruned by zone), and the web filters'
//! verdicts in `http`.

mod support;

use std::path::Path;

use support::{sanso_ok, sql_rows};

/// m-FILTER on the sanitisation gateway: three SMTP access lines and one communication
/// log line, written from the vendor's column tables.
const MFILTER: &str = "\
26/Nov/2026:09:40:00,38,2026/11/26 9:39:58,情報政策課,198.51.100.25,sender@example.com,tanaka@city.example.lg.jp,0,0,2,0,0,0,\"Thu, 26 Nov 2026 09:39:58 +0900\",10.20.0.25,25,250 OK,DATA+,73800,<a1@example.com>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"docx\",0,-,-,-,0,NONE,0,0,DEL_ATTACH,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,見積書.docx
26/Nov/2026:09:41:00,39,2026/11/26 9:40:58,情報政策課,198.51.100.26,news@example.net,sato@city.example.lg.jp;suzuki@city.example.lg.jp,0,0,2,0,0,0,\"Thu, 26 Nov 2026 09:40:58 +0900\",10.20.0.25,25,250 OK,DATA+,5200,<n1@example.net>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"-\",0,-,-,-,0,NONE,0,0,CHG_TEXT REP_LINK,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,
26/Nov/2026:09:42:00,40,2026/11/26 9:41:58,情報政策課,198.51.100.27,spam@example.org,tanaka@city.example.lg.jp,0,0,2,2,0,0,\"Thu, 26 Nov 2026 09:41:58 +0900\",-,25,-,DATA+,900,<s1@example.org>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"-\",0,-,-,-,0,NONE,0,0,OFF,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,
2026/11/26 09:43:00,26/Nov/2026:09:42:58,41,41_kVgK,1200,9,0,1_0,受信ルールセット,迷惑メール削除,%22-1%2C%2C%22,1_0,x@example.com,\"1_0,tanaka@city.example.lg.jp\",0,
";

/// i-FILTER in the `internet` zone: the vendor's sample line and an allowed request by a
/// user whose Japanese name is URL-encoded.
const IFILTER: &str = "\
Sep 19 19:26:56 4872 1000/01/ - - 192.168.1.1 192.168.1.1 - user01 [19/Sep/2017:19:26:56 +0900] 503 0 1207 block 63 87 87/127/151 -1 0 1518 0 group01 - 0 - \"GET https://www.youtube.com/sw.js HTTP/1.1\" - Chrome text%2Fhtml%3B+charset%3Dutf-8 A667FEFF
Nov 26 09:00:00 4872 1000/01/ - 203.0.113.7:443 10.30.4.20 10.30.4.20 - %E5%B1%B1%E7%94%B0 [26/Nov/2026:09:00:00 +0900] 200 310 5120 allow 0 12 12 -1 0 20 0 %E7%B7%8F%E5%8B%99 - 0 - \"CONNECT www.example.jp:443 HTTP/1.1\" - Mozilla%2F5.0 - A667FEFF
";

/// InterSafe WebFilter, 18 columns, in Shift_JIS as older servers write it.
const INTERSAFE: &str = "2026/11/26\t09:30:00\tHTTPS\t10.30.4.21\t総務部\t佐藤\t-\tBlocked\t-\t403\tmalware.example\t0\t0\t0\t-\t-\tセキュリティ\tセキュリティ\\マルウェア\n";

fn import(data: &Path, file: &Path, args: &[&str]) -> String {
    let mut all = vec!["--data", data.to_str().unwrap(), "import"];
    all.extend_from_slice(args);
    all.push(file.to_str().unwrap());
    String::from_utf8(sanso_ok(&all).stdout).unwrap()
}

#[test]
fn appliance_logs_are_queryable_in_mail_and_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");

    let mfilter = dir.path().join("access.log");
    std::fs::write(&mfilter, MFILTER).unwrap();
    let summary = import(
        &data,
        &mfilter,
        &[
            "--format",
            "mfilter",
            "--zone",
            "lgwan",
            "--device",
            "mfilter01",
        ],
    );
    assert!(summary.contains("mail 4, unparsed 0"), "{summary}");

    let ifilter = dir.path().join("access.log0000");
    std::fs::write(&ifilter, IFILTER).unwrap();
    import(
        &data,
        &ifilter,
        &["--zone", "internet", "--device", "ifilter01"],
    );

    let intersafe = dir.path().join("InterSafe_http.log");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(INTERSAFE);
    std::fs::write(&intersafe, &sjis).unwrap();
    import(
        &data,
        &intersafe,
        &[
            "--format",
            "intersafe",
            "--encoding",
            "shift_jis",
            "--zone",
            "internet",
        ],
    );

    // The sanitisation figure of the monthly report: messages per day and disposition.
    let per_day = sql_rows(
        &data,
        "SELECT date, disposition, count(*) FROM mail \
         WHERE zone = 'lgwan' GROUP BY date, disposition ORDER BY disposition",
    );
    assert_eq!(
        per_day,
        [
            "2026-11-26,attachment_removed,1",
            "2026-11-26,held,1",
            "2026-11-26,rejected,1",
            "2026-11-26,text_converted,1",
        ]
    );
    let to_tanaka = sql_rows(
        &data,
        "SELECT sender, size, rule FROM mail \
         WHERE array_has(recipients, 'tanaka@city.example.lg.jp') ORDER BY time",
    );
    assert_eq!(
        to_tanaka,
        [
            "sender@example.com,73800,",
            "spam@example.org,900,",
            "x@example.com,1200,迷惑メール削除",
        ]
    );
    let attachments = sql_rows(
        &data,
        "SELECT a FROM (SELECT unnest(attachments) AS a FROM mail) ORDER BY a",
    );
    assert_eq!(attachments, ["見積書.docx"]);
    let group = sql_rows(
        &data,
        "SELECT DISTINCT extra['group'] FROM mail WHERE extra['group'] IS NOT NULL",
    );
    assert_eq!(group, ["情報政策課"]);
    // Another zone's partitions hold none of it.
    assert_eq!(
        sql_rows(&data, "SELECT count(*) FROM mail WHERE zone = 'internet'"),
        ["0"]
    );

    let http = sql_rows(
        &data,
        "SELECT format, device, user, action, reason, category, url_host FROM http \
         ORDER BY time",
    );
    assert_eq!(
        http,
        [
            "ifilter,ifilter01,user01,block,63,87,www.youtube.com",
            "ifilter,ifilter01,山田,allow,0,12,www.example.jp",
            "intersafe,,佐藤,block,セキュリティ,セキュリティ\\マルウェア,malware.example",
        ]
    );
}

#[test]
fn a_changed_ifilter_layout_is_declared_on_import() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lake");
    let log = dir.path().join("access.log0000");
    std::fs::write(
        &log,
        "[26/Nov/2026:09:00:00 +0900] 10.30.4.20 %E5%B1%B1%E7%94%B0 block 45 \"GET http://bad.example/ HTTP/1.1\"\n",
    )
    .unwrap();
    let columns = "time,src_ip,user,action,category,request";
    let summary = import(&data, &log, &["--format", "ifilter", "--columns", columns]);
    assert!(summary.contains("http 1,"), "{summary}");
    assert_eq!(
        sql_rows(&data, "SELECT user, action, category, url_host FROM http"),
        ["山田,block,45,bad.example"]
    );

    let output = support::sanso()
        .args([
            "--data",
            data.to_str().unwrap(),
            "import",
            "--format",
            "ifilter",
        ])
        .args(["--columns", "time,time", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--columns") && stderr.contains("column `time` appears more than once"),
        "{stderr}"
    );
}
