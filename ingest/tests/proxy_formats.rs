//! The W3C extended (ELFF), combined and Zscaler NSS JSON parsers against real samples and
//! vendor-reference lines, field by field.
//!
//! Real samples: Microsoft IIS logs from Elastic Beats' IIS module tests, nginx lines from
//! the CrowdSec hub tests (whose `scenario.assert` lists what CrowdSec extracted), and
//! Apache lines from Logstash's RSpec. ProxySG, Zscaler and proxy-flavoured combined lines
//! do not exist in permissively licensed corpora, so `testdata/proxy/vendor-reference/`
//! holds lines written from the vendors' field references (see its PROVENANCE.md). Every
//! event of every sample is compared whole, so an unexpected column or `extra` entry
//! fails too, and each file's accepted and rejected counts are pinned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int32Type;
use bumpalo::Bump;
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use sanso_ingest::batch::Batches;
use sanso_ingest::error::ParseError;
use sanso_ingest::event::{HttpEvent, Micros};
use sanso_ingest::line::{LineParser, ParseSettings, RawLine};
use sanso_ingest::parsers::{combined, w3c, zscaler};
use sanso_ingest::schema::Table;
use sanso_ingest::zones::ZoneMap;

// ---------------------------------------------------------------------------------------
// Sample access

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// A sample file's text, leaked so that borrowed events can outlive the test's helpers.
fn read(relative: &str) -> &'static str {
    let path = testdata().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.leak()
}

/// An arena that lives as long as the leaked samples.
fn arena() -> &'static Bump {
    Box::leak(Box::new(Bump::new()))
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Micros {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .expect("valid date")
        .and_utc()
        .timestamp_micros()
}

/// Accepted and rejected counts.
fn counts<T, E>(results: &[Result<T, E>]) -> (usize, usize) {
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    (accepted, results.len() - accepted)
}

// ---------------------------------------------------------------------------------------
// W3C extended

type Parsed = Result<HttpEvent<'static>, ParseError>;

const DIRECTIVE: ParseError = ParseError::Unrecognised {
    format: w3c::NAME,
    reason: "directive line, not an event",
};
const TOO_FEW: ParseError = ParseError::Unrecognised {
    format: w3c::NAME,
    reason: "fewer values than the #Fields: directive names",
};
const BEFORE_FIELDS: ParseError = ParseError::Unrecognised {
    format: w3c::NAME,
    reason: "data line before any #Fields: directive",
};

/// Every line of a W3C file through one state, in order, as the line parser does for a
/// source.
fn w3c_file(text: &'static str) -> Vec<Parsed> {
    let arena = arena();
    let mut state = w3c::W3cState::default();
    text.lines()
        .map(|line| w3c::parse_in(&mut state, line, arena))
        .collect()
}

/// The events of a W3C file, and every rejection that was not a directive.
fn w3c_events(results: &[Parsed]) -> (Vec<HttpEvent<'static>>, Vec<ParseError>) {
    let events = results
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect();
    let errors = results
        .iter()
        .filter_map(|r| r.as_ref().err().copied())
        .filter(|e| *e != DIRECTIVE)
        .collect();
    (events, errors)
}

const FIREFOX_57: &str =
    "Mozilla/5.0+(Windows+NT+6.1;+Win64;+x64;+rv:57.0)+Gecko/20100101+Firefox/57.0";
const CHROME_70: &str = "Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_14_0)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/70.0.3538.102+Safari/537.36";
const MSIE_8: &str = "Mozilla/4.0+(compatible;+MSIE+8.0;+Windows+NT+5.1;+Trident/4.0)";

#[test]
fn iis_layout_changes_mid_file() {
    let results = w3c_file(read("proxy/elastic-beats-iis/test.log"));
    assert_eq!(counts(&results), (3, 14));
    let (events, errors) = w3c_events(&results);
    // The two Struts exploit lines at the end have the first block's 15 fields but follow
    // the third block's 22-field header: Filebeat reads them by pattern, a W3C reader
    // cannot, and they go to `unparsed` with the reason.
    assert_eq!(errors, [TOO_FEW, TOO_FEW]);
    assert_eq!(
        events,
        [
            HttpEvent {
                time: Some(utc(2018, 1, 1, 8, 9, 10)),
                src_ip: Some("81.2.69.143"),
                method: Some("GET"),
                url: Some("/?q=100"),
                url_path: Some("/"),
                status: Some(200),
                user_agent: Some(FIREFOX_57),
                duration_ms: Some(123),
                dst_ip: Some("127.0.0.1"),
                extra: vec![
                    ("s-port", "80"),
                    ("sc-substatus", "0"),
                    ("sc-win32-status", "0")
                ],
                ..HttpEvent::default()
            },
            HttpEvent {
                time: Some(utc(2018, 1, 1, 9, 10, 11)),
                src_ip: Some("127.0.0.1"),
                method: Some("GET"),
                url: Some("example.com/"),
                url_host: Some("example.com"),
                url_path: Some("/"),
                status: Some(200),
                bytes_in: Some(123),
                bytes_out: Some(456),
                user_agent: Some(FIREFOX_57),
                duration_ms: Some(789),
                extra: vec![
                    ("s-sitename", "W3SVC1"),
                    ("s-port", "80"),
                    ("sc-substatus", "0"),
                    ("sc-win32-status", "0"),
                ],
                ..HttpEvent::default()
            },
            HttpEvent {
                time: Some(utc(2018, 1, 1, 10, 11, 12)),
                src_ip: Some("81.2.69.143"),
                method: Some("GET"),
                url: Some("example.com/"),
                url_host: Some("example.com"),
                url_path: Some("/"),
                status: Some(200),
                bytes_in: Some(123),
                bytes_out: Some(456),
                user_agent: Some(CHROME_70),
                duration_ms: Some(789),
                dst_ip: Some("127.0.0.1"),
                extra: vec![
                    ("s-sitename", "W3SVC1"),
                    ("s-computername", "MACHINE-NAME"),
                    ("s-port", "80"),
                    ("cs-version", "HTTP/1.1"),
                    ("sc-substatus", "0"),
                    ("sc-win32-status", "0"),
                ],
                ..HttpEvent::default()
            },
        ]
    );
}

#[test]
fn iis_odd_addresses() {
    let health = |ip: &'static str| HttpEvent {
        time: Some(utc(2019, 3, 6, 18, 43, 17)),
        src_ip: Some(if ip.contains(':') { ip } else { "10.0.140.2" }),
        method: Some("GET"),
        url: Some("/health-monitoring"),
        url_path: Some("/health-monitoring"),
        status: Some(200),
        duration_ms: Some(15),
        dst_ip: Some(ip),
        extra: vec![
            ("s-port", "80"),
            ("sc-substatus", "0"),
            ("sc-win32-status", "0"),
        ],
        ..HttpEvent::default()
    };
    let results = w3c_file(read("proxy/elastic-beats-iis/test-iis-7.5.log"));
    assert_eq!(counts(&results), (4, 4));
    let (events, errors) = w3c_events(&results);
    assert!(errors.is_empty());
    assert_eq!(
        events,
        [
            // Addresses mangled into Markdown links upstream are kept, in `extra`.
            HttpEvent {
                time: Some(utc(2018, 8, 28, 18, 24, 25)),
                method: Some("GET"),
                url: Some("/"),
                url_path: Some("/"),
                status: Some(404),
                user_agent: Some(
                    "Mozilla/4.0+(compatible;+MSIE+7.0;+Windows+NT+6.3;+WOW64;+Trident/7.0;+.NET4.0E;+.NET4.0C;+.NET+CLR+3.5.30729;+.NET+CLR[+2.0.50727](tel:+2050727);+.NET+CLR+3.0.30729)"
                ),
                duration_ms: Some(792),
                extra: vec![
                    ("s-ip", "[10.100.220.70](http://10.100.220.70)"),
                    ("s-port", "80"),
                    ("c-ip", "[10.100.118.31](http://10.100.118.31)"),
                    ("sc-substatus", "4"),
                    ("sc-win32-status", "2"),
                ],
                ..HttpEvent::default()
            },
            health("10.0.140.107"),
            health("10.0.140.107"),
            health("2001:cdba:0000:0000:0000:0000:3257:9652"),
        ]
    );

    let results = w3c_file(read("proxy/elastic-beats-iis/test-ipv6zone.log"));
    assert_eq!(counts(&results), (1, 4));
    let e = results[4].as_ref().unwrap();
    // The zone index of `::1%0` is not part of the address.
    assert_eq!(
        (e.src_ip, e.dst_ip, e.url_host, e.bytes_in),
        (Some("::1"), Some("::1"), Some("example.com"), Some(123))
    );
    assert_eq!(e.user_agent, Some(CHROME_70));

    let results = w3c_file(read("proxy/elastic-beats-iis/access-azure.log"));
    assert_eq!(counts(&results), (1, 2));
    assert_eq!(
        results[2],
        Ok(HttpEvent {
            time: Some(utc(2018, 1, 1, 9, 10, 11)),
            src_ip: Some("127.0.0.1"),
            method: Some("GET"),
            url: Some("localhost/"),
            url_host: Some("localhost"),
            url_path: Some("/"),
            status: Some(200),
            bytes_in: Some(123),
            bytes_out: Some(456),
            user_agent: Some(FIREFOX_57),
            duration_ms: Some(789),
            extra: vec![
                ("s-sitename", "SITE-NAME"),
                ("s-port", "80"),
                ("sc-substatus", "0"),
                ("sc-win32-status", "0")
            ],
            ..HttpEvent::default()
        })
    );
}

#[test]
fn iis_lines_without_a_header_need_one() {
    let text = read("proxy/elastic-beats-iis/test-iis-7.2.log");
    let results = w3c_file(text);
    assert_eq!(results, vec![Err(BEFORE_FIELDS); 5]);

    // With the IIS default layout (the first block of test.log) they parse.
    let header = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
    let results = w3c_file(format!("{header}{text}").leak());
    let (events, errors) = w3c_events(&results);
    assert!(errors.is_empty());
    let traversal = |path: &'static str, url: &'static str, win32, ms| HttpEvent {
        time: Some(utc(2018, 12, 31, 12, 2, 53)),
        src_ip: Some("10.50.6.188"),
        method: Some("GET"),
        url: Some(url),
        url_path: Some(path),
        status: Some(404),
        user_agent: Some(MSIE_8),
        duration_ms: Some(ms),
        dst_ip: Some("10.44.0.136"),
        extra: vec![
            ("s-port", "8080"),
            ("sc-substatus", "0"),
            ("sc-win32-status", win32),
        ],
        ..HttpEvent::default()
    };
    let unauthorised = |path: &'static str| HttpEvent {
        time: Some(utc(2018, 12, 31, 12, 2, 53)),
        src_ip: Some("10.50.6.188"),
        method: Some("GET"),
        url: Some(path),
        url_path: Some(path),
        status: Some(401),
        user_agent: Some(MSIE_8),
        duration_ms: Some(0),
        dst_ip: Some("10.44.0.136"),
        extra: vec![
            ("s-port", "443"),
            ("sc-substatus", "0"),
            ("sc-win32-status", "0"),
        ],
        ..HttpEvent::default()
    };
    assert_eq!(
        events,
        [
            traversal(
                "/pbserver/..À¯..À¯..À¯..À¯..À¯../winnt/system32/cmd.exe",
                "/pbserver/..À¯..À¯..À¯..À¯..À¯../winnt/system32/cmd.exe?/c+dir+c:\\+/OG",
                "64",
                0
            ),
            traversal(
                "/pbserver/..ÁÁ..ÁÁ..ÁÁ..ÁÁ..ÁÁ../winnt/system32/cmd.exe",
                "/pbserver/..ÁÁ..ÁÁ..ÁÁ..ÁÁ..ÁÁ../winnt/system32/cmd.exe?/c+dir+c:\\+/OG",
                "2",
                46
            ),
            unauthorised("/Director"),
            unauthorised("/"),
            traversal(
                "/pbserver/..Áœ..Áœ..Áœ..Áœ..Áœ../winnt/system32/cmd.exe",
                "/pbserver/..Áœ..Áœ..Áœ..Áœ..Áœ../winnt/system32/cmd.exe?/c+dir+c:\\+/OG",
                "64",
                15
            ),
        ]
    );
}

const SG_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";

#[test]
fn proxysg_main_then_bcreportermain() {
    let results = w3c_file(read("proxy/vendor-reference/proxysg-elff.log"));
    assert_eq!(counts(&results), (7, 7));
    let (events, errors) = w3c_events(&results);
    assert!(errors.is_empty());
    let sg = |second, ms| HttpEvent {
        time: Some(utc(2026, 11, 20, 0, 0, second)),
        duration_ms: Some(ms),
        ..HttpEvent::default()
    };
    assert_eq!(
        events,
        [
            HttpEvent {
                src_ip: Some("10.30.4.20"),
                user: Some("tanaka"),
                method: Some("GET"),
                url: Some("http://www.example.jp/index.html?lang=ja"),
                url_host: Some("www.example.jp"),
                url_path: Some("/index.html"),
                status: Some(200),
                bytes_in: Some(5120),
                bytes_out: Some(412),
                content_type: Some("text/html;charset=UTF-8"),
                user_agent: Some(SG_UA),
                category: Some("Technology/Internet"),
                action: Some("allow"),
                cache_result: Some("TCP_NC_MISS"),
                extra: vec![
                    ("cs-auth-group", "CN=職員,OU=Users"),
                    ("sc-filter-result", "PROXIED"),
                    ("cs-uri-extension", "html"),
                    ("s-ip", "10.30.0.5"),
                ],
                ..sg(1, 215)
            },
            HttpEvent {
                src_ip: Some("10.30.4.21"),
                user: Some("suzuki"),
                method: Some("GET"),
                url: Some("http://www.malware.example/payload.exe"),
                url_host: Some("www.malware.example"),
                url_path: Some("/payload.exe"),
                status: Some(403),
                bytes_in: Some(1024),
                bytes_out: Some(356),
                content_type: Some("text/html"),
                user_agent: Some(SG_UA),
                category: Some("Malicious Sources/Malnets"),
                action: Some("block"),
                cache_result: Some("TCP_DENIED"),
                extra: vec![
                    ("x-exception-id", "policy_denied"),
                    ("sc-filter-result", "DENIED"),
                    ("cs(Referer)", "http://news.example.com/"),
                    ("cs-uri-extension", "exe"),
                    ("s-ip", "10.30.0.5"),
                ],
                ..sg(2, 3)
            },
            // A credentials challenge is not a policy verdict.
            HttpEvent {
                src_ip: Some("10.30.4.23"),
                method: Some("CONNECT"),
                url: Some("tcp://login.example.com:443/"),
                url_host: Some("login.example.com"),
                url_path: Some("/"),
                status: Some(407),
                bytes_in: Some(307),
                bytes_out: Some(180),
                user_agent: Some("Mozilla/5.0"),
                category: Some("unavailable"),
                cache_result: Some("TCP_DENIED"),
                extra: vec![
                    ("x-exception-id", "authentication_failed"),
                    ("sc-filter-result", "DENIED"),
                    ("s-ip", "10.30.0.5"),
                ],
                ..sg(3, 0)
            },
            HttpEvent {
                src_ip: Some("10.30.4.20"),
                user: Some("tanaka"),
                method: Some("GET"),
                url: Some("http://www.example.jp/logo.png"),
                url_host: Some("www.example.jp"),
                url_path: Some("/logo.png"),
                status: Some(200),
                bytes_in: Some(16827),
                bytes_out: Some(406),
                content_type: Some("image/png"),
                user_agent: Some(SG_UA),
                category: Some("Technology/Internet"),
                action: Some("allow"),
                cache_result: Some("TCP_HIT"),
                extra: vec![
                    ("sc-filter-result", "OBSERVED"),
                    ("cs-uri-extension", "png"),
                    ("s-ip", "10.30.0.5")
                ],
                ..sg(4, 11)
            },
            // After the `#Fields:` change: the upstream address is the destination.
            HttpEvent {
                src_ip: Some("10.30.4.22"),
                method: Some("CONNECT"),
                url: Some("tcp://cloud.example.net:443/"),
                url_host: Some("cloud.example.net"),
                url_path: Some("/"),
                status: Some(200),
                bytes_in: Some(45210),
                bytes_out: Some(2305),
                user_agent: Some("Mozilla/5.0"),
                category: Some("Technology/Internet;Web Conferencing"),
                action: Some("allow"),
                dst_ip: Some("203.0.113.10"),
                cache_result: Some("TCP_TUNNELED"),
                extra: vec![
                    ("s-supplier-name", "cloud.example.net"),
                    ("s-supplier-country", "Japan"),
                    ("sc-filter-result", "OBSERVED"),
                    ("s-ip", "10.30.0.5"),
                    ("x-bluecoat-application-name", "Zoom"),
                    ("x-bluecoat-application-operation", "none"),
                ],
                ..sg(5, 30490)
            },
            // A doubled quote inside a quoted value is kept as written.
            HttpEvent {
                src_ip: Some("10.30.4.24"),
                user: Some("sato"),
                method: Some("POST"),
                url: Some("https://files.example.org/upload?name=\"\"report\"\""),
                url_host: Some("files.example.org"),
                url_path: Some("/upload"),
                status: Some(200),
                bytes_in: Some(2048),
                bytes_out: Some(1_048_576),
                content_type: Some("application/json"),
                user_agent: Some("Mozilla/5.0 (Macintosh)"),
                category: Some("File Storage/Sharing"),
                action: Some("allow"),
                dst_ip: Some("198.51.100.7"),
                cache_result: Some("TCP_NC_MISS"),
                extra: vec![
                    ("s-supplier-name", "files.example.org"),
                    ("s-supplier-country", "United States"),
                    ("sc-filter-result", "PROXIED"),
                    ("s-ip", "10.30.0.5"),
                    ("x-bluecoat-application-name", "Dropbox"),
                    ("x-bluecoat-application-operation", "Upload Files"),
                ],
                ..sg(6, 1250)
            },
            HttpEvent {
                src_ip: Some("10.30.4.25"),
                method: Some("GET"),
                url: Some("http://203.0.113.66:8080/c2"),
                url_host: Some("203.0.113.66"),
                url_path: Some("/c2"),
                status: Some(403),
                bytes_in: Some(512),
                bytes_out: Some(210),
                content_type: Some("text/html"),
                user_agent: Some("python-requests/2.31"),
                category: Some("Malicious Sources/Malnets"),
                action: Some("block"),
                cache_result: Some("TCP_DENIED"),
                extra: vec![
                    ("sc-filter-result", "DENIED"),
                    ("s-ip", "10.30.0.5"),
                    ("x-virus-id", "EICAR-Test-File"),
                ],
                ..sg(7, 5)
            },
        ]
    );
}

/// A field of the re-mapping property: its W3C name and a value for it.
const REMAP_FIELDS: [(&str, &str); 8] = [
    ("date", "2026-11-20"),
    ("time", "00:00:01"),
    ("c-ip", "10.30.4.20"),
    ("cs-username", "tanaka"),
    ("sc-status", "403"),
    ("cs(User-Agent)", "\"Mozilla/5.0 (X11)\""),
    ("cs-host", "www.example.jp"),
    ("x-custom", "abc"),
];

proptest! {
    /// A `#Fields:` directive in the middle of a stream re-maps the lines after it: the
    /// same values written under any order of the same fields give the same event, and
    /// a stale line after a change is read with the new layout.
    #[test]
    fn a_fields_change_mid_file_remaps_following_lines(
        order in Just((0..REMAP_FIELDS.len()).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let write = |order: &[usize]| {
            let names: Vec<_> = order.iter().map(|&i| REMAP_FIELDS[i].0).collect();
            let values: Vec<_> = order.iter().map(|&i| REMAP_FIELDS[i].1).collect();
            (format!("#Fields: {}", names.join(" ")), values.join(" "))
        };
        let canonical: Vec<usize> = (0..REMAP_FIELDS.len()).collect();
        let (header_a, line_a) = write(&canonical);
        let (header_b, line_b) = write(&order);
        let arena = Bump::new();
        let mut state = w3c::W3cState::default();
        prop_assert_eq!(w3c::parse_in(&mut state, &header_a, &arena), Err(DIRECTIVE));
        let a = w3c::parse_in(&mut state, &line_a, &arena).unwrap();
        prop_assert_eq!(w3c::parse_in(&mut state, &header_b, &arena), Err(DIRECTIVE));
        prop_assert!(w3c::looks_like(&state, &line_b));
        let b = w3c::parse_in(&mut state, &line_b, &arena).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.time, Some(utc(2026, 11, 20, 0, 0, 1)));
        prop_assert_eq!((a.src_ip, a.user, a.status), (Some("10.30.4.20"), Some("tanaka"), Some(403)));
        prop_assert_eq!((a.user_agent, a.url_host, a.extra.as_slice()), (Some("Mozilla/5.0 (X11)"), Some("www.example.jp"), &[("x-custom", "abc")][..]));
        if order != canonical {
            // The line written for the old layout is now read with the new one.
            let stale = w3c::parse_in(&mut state, &line_a, &arena);
            prop_assert!(stale.as_ref().map_or(true, |e| *e != a), "{:?}", stale);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Combined

/// The `Events[0].GetMeta(..)` values of each alert in a CrowdSec `scenario.assert`.
fn crowdsec_alert_meta(assert_file: &str) -> Vec<BTreeMap<String, String>> {
    let mut alerts: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for line in read(assert_file).lines() {
        let Some(rest) = line.strip_prefix("results[") else {
            continue;
        };
        let (index, rest) = rest.split_once(']').expect("index");
        let Some(rest) = rest.strip_prefix(".Overflow.Alert.Events[0].GetMeta(\"") else {
            continue;
        };
        let (key, value) = rest.split_once("\") == \"").expect("meta assertion");
        let value = value.strip_suffix('"').expect("quoted value");
        alerts
            .entry(index.parse().expect("numeric index"))
            .or_default()
            .insert(key.into(), value.into());
    }
    alerts.into_values().collect()
}

#[test]
fn combined_crowdsec_scenario_meta() {
    let mut compared = 0;
    for (dir, lines) in [
        ("nginx-http-open-proxy", 2),
        ("fortinet-cve-2018-13379", 1),
        ("pulse-secure-sslvpn-cve-2019-11510", 2),
    ] {
        let events: Vec<_> = read(&format!("proxy/crowdsec-hub/{dir}/{dir}.log"))
            .lines()
            .map(|line| {
                assert!(combined::looks_like(line), "{line}");
                combined::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
            })
            .collect();
        assert_eq!(events.len(), lines, "{dir}");
        let alerts = crowdsec_alert_meta(&format!("proxy/crowdsec-hub/{dir}/scenario.assert"));
        assert_eq!(alerts.len(), lines, "{dir}");
        for meta in alerts {
            let e = events
                .iter()
                .find(|e| {
                    e.src_ip == Some(meta["source_ip"].as_str())
                        && e.url == Some(meta["http_path"].as_str())
                })
                .unwrap_or_else(|| panic!("{dir}: no line for {meta:?}"));
            assert_eq!(e.method, Some(meta["http_verb"].as_str()));
            assert_eq!(
                e.status.map(|s| s.to_string()).as_deref(),
                Some(meta["http_status"].as_str())
            );
            // CrowdSec keeps `-` where sanso has null.
            assert_eq!(e.user_agent.unwrap_or("-"), meta["http_user_agent"]);
            if let Some(stamp) = meta.get("timestamp") {
                let expected = DateTime::parse_from_rfc3339(stamp)
                    .expect("RFC 3339")
                    .timestamp_micros();
                assert_eq!(e.time, Some(expected));
                compared += 1;
            }
            compared += 5;
        }
    }
    // Five fields per alert, and the time stamp where CrowdSec asserts one (the proxy ones).
    assert_eq!(compared, 5 * 5 + 2);
}

#[test]
fn combined_crowdsec_lines_field_by_field() {
    let open_proxy: Vec<_> =
        read("proxy/crowdsec-hub/nginx-http-open-proxy/nginx-http-open-proxy.log")
            .lines()
            .map(combined::parse)
            .collect();
    assert_eq!(
        open_proxy,
        [
            Ok(HttpEvent {
                time: Some(utc(2021, 9, 24, 6, 20, 32)),
                src_ip: Some("127.0.0.1"),
                method: Some("CONNECT"),
                url: Some("foo.com:25"),
                url_host: Some("foo.com"),
                status: Some(400),
                bytes_in: Some(166),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
            // nginx's third quoted field is `$http_x_forwarded_for`.
            Ok(HttpEvent {
                time: Some(utc(2022, 8, 8, 21, 18, 26)),
                src_ip: Some("127.0.0.2"),
                method: Some("GET"),
                url: Some("http://www.sbjudge4.com:80/ip4.php"),
                url_host: Some("www.sbjudge4.com"),
                url_path: Some("/ip4.php"),
                status: Some(400),
                bytes_in: Some(255),
                extra: vec![("protocol", "HTTP/1.0"), ("trailing", "\"-\"")],
                ..HttpEvent::default()
            }),
        ]
    );
    let pulse: Vec<_> = read("proxy/crowdsec-hub/pulse-secure-sslvpn-cve-2019-11510/pulse-secure-sslvpn-cve-2019-11510.log")
        .lines()
        .map(combined::parse)
        .collect();
    let first = pulse[0].as_ref().unwrap();
    assert_eq!(first.time, Some(utc(2021, 12, 8, 16, 23, 24)));
    assert_eq!(
        first.url_path,
        Some("/dana-na/../dana/html5acc/guacamole/../../../../../../../etc/passwd")
    );
    assert_eq!(first.url_host, None);
}

/// SSHGuard's attack corpus (the auth folder's copy) has a web section of access lines:
/// every line the combined parser claims in the whole file parses, with the client
/// address that SSHGuard's label names.
#[test]
fn combined_sshguard_web_lines() {
    let lines: Vec<&str> = read("auth/sshguard/tests.txt").lines().collect();
    let (mut claimed, mut labelled) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        if !combined::looks_like(line) {
            continue;
        }
        claimed += 1;
        let e = combined::parse(line).unwrap_or_else(|err| panic!("line {}: {err}: {line}", i + 1));
        assert!(e.time.is_some() && e.status.is_some(), "{line}");
        // The label is `<service> <address> <family> <dangerousness>`, or `*` for none.
        let label = lines[i + 1];
        if label != "*" {
            assert_eq!(e.src_ip, label.split(' ').nth(1), "line {}", i + 1);
            labelled += 1;
        }
    }
    assert_eq!((claimed, labelled), (44, 24));
}

/// The messages of the `let(:message) { '...' }` blocks of a Logstash RSpec file.
fn rspec_single_quoted_messages(spec_file: &str) -> Vec<&'static str> {
    read(spec_file)
        .split("let(:message) { '")
        .skip(1)
        .map(|rest| {
            &rest[..rest
                .find("'}")
                .or_else(|| rest.find("' }"))
                .expect("closing quote")]
        })
        .collect()
}

#[test]
fn combined_logstash_specs() {
    let messages = rspec_single_quoted_messages(
        "proxy/logstash-patterns-core-httpd/spec_patterns_httpd_spec.rb",
    );
    let events: Vec<_> = messages.iter().map(|m| combined::parse(m)).collect();
    // The values Logstash's ECS assertions name, plus the time and sanso's `extra`.
    assert_eq!(
        events,
        [
            Ok(HttpEvent {
                time: Some(utc(2015, 2, 24, 23, 13, 42)),
                src_ip: Some("83.149.9.216"),
                method: Some("GET"),
                url: Some("/presentations/logstash-monitorama-2013/images/kibana-search.png"),
                url_path: Some("/presentations/logstash-monitorama-2013/images/kibana-search.png"),
                status: Some(200),
                bytes_in: Some(203_023),
                user_agent: Some(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"
                ),
                extra: vec![
                    ("protocol", "HTTP/1.1"),
                    (
                        "referer",
                        "http://semicomplete.com/presentations/logstash-monitorama-2013/"
                    ),
                ],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(utc(2016, 4, 7, 18, 42, 24)),
                src_ip: Some("10.0.0.1"),
                user: Some("username@example.com"),
                method: Some("GET"),
                url: Some(
                    "/bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15"
                ),
                url_path: Some("/bar/foo/users/1/username%40example.com/authenticate"),
                status: Some(400),
                bytes_in: Some(75),
                user_agent: Some(
                    "Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13E238 Safari/601.1"
                ),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
            // The status is `-`: Logstash does not capture it either.
            Ok(HttpEvent {
                time: Some(utc(2020, 1, 11, 22, 5, 27)),
                src_ip: Some("83.149.9.216"),
                user: Some("a.user"),
                method: Some("OPTIONS"),
                url: Some("/remote.php/"),
                url_path: Some("/remote.php/"),
                bytes_in: Some(7908),
                user_agent: Some("monitoring-client (v2.2)"),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
        ]
    );
}

#[test]
fn combined_as_proxies_write_it() {
    let events: Vec<_> = read("proxy/vendor-reference/combined-proxies.log")
        .lines()
        .map(combined::parse)
        .collect();
    let jst = |second| utc(2026, 11, 20, 0, 0, second);
    let win = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
    assert_eq!(
        events,
        [
            Ok(HttpEvent {
                time: Some(jst(1)),
                src_ip: Some("10.30.4.20"),
                user: Some("tanaka"),
                method: Some("GET"),
                url: Some("http://www.example.jp/news/index.html?id=3"),
                url_host: Some("www.example.jp"),
                url_path: Some("/news/index.html"),
                status: Some(200),
                bytes_in: Some(5120),
                user_agent: Some(win),
                action: Some("allow"),
                cache_result: Some("TCP_MISS"),
                extra: vec![
                    ("protocol", "HTTP/1.1"),
                    ("referer", "http://portal.example.jp/"),
                    ("hierarchy", "HIER_DIRECT"),
                ],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(2)),
                src_ip: Some("10.30.4.21"),
                user: Some("suzuki"),
                method: Some("CONNECT"),
                url: Some("mail.example.com:443"),
                url_host: Some("mail.example.com"),
                status: Some(403),
                bytes_in: Some(3862),
                user_agent: Some(win),
                action: Some("block"),
                cache_result: Some("TCP_DENIED"),
                extra: vec![("protocol", "HTTP/1.1"), ("hierarchy", "HIER_NONE")],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(3)),
                src_ip: Some("10.30.4.23"),
                method: Some("CONNECT"),
                url: Some("login.example.com:443"),
                url_host: Some("login.example.com"),
                status: Some(407),
                bytes_in: Some(3917),
                user_agent: Some("Mozilla/5.0"),
                cache_result: Some("TCP_DENIED"),
                extra: vec![("protocol", "HTTP/1.1"), ("hierarchy", "HIER_NONE")],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(4)),
                src_ip: Some("10.30.4.22"),
                method: Some("GET"),
                url: Some("http://www.example.com/a.css"),
                url_host: Some("www.example.com"),
                url_path: Some("/a.css"),
                status: Some(200),
                bytes_in: Some(812),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)"),
                duration_ms: Some(34),
                extra: vec![
                    ("protocol", "HTTP/1.1"),
                    ("referer", "http://www.example.com/")
                ],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(5)),
                src_ip: Some("10.30.4.24"),
                user: Some("sato"),
                method: Some("POST"),
                url: Some("/upload?name=report"),
                url_path: Some("/upload"),
                status: Some(201),
                bytes_in: Some(64),
                user_agent: Some("curl/8.5.0"),
                duration_ms: Some(1250),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(6)),
                src_ip: Some("10.30.4.25"),
                method: Some("GET"),
                url: Some("/favicon.ico"),
                url_path: Some("/favicon.ico"),
                status: Some(404),
                bytes_in: Some(209),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(7)),
                src_ip: Some("10.30.4.26"),
                status: Some(408),
                bytes_in: Some(0),
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(8)),
                src_ip: Some("203.0.113.99"),
                status: Some(400),
                bytes_in: Some(157),
                extra: vec![(
                    "request",
                    "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03"
                )],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(9)),
                src_ip: Some("10.30.4.27"),
                method: Some("GET"),
                url: Some("http://www.example.jp/search?q=%22x%22"),
                url_host: Some("www.example.jp"),
                url_path: Some("/search"),
                status: Some(200),
                bytes_in: Some(1024),
                user_agent: Some("Mozilla/5.0 \\\"quoted\\\" agent"),
                extra: vec![("protocol", "HTTP/1.1")],
                ..HttpEvent::default()
            }),
            Ok(HttpEvent {
                time: Some(jst(10)),
                src_ip: Some("2001:db8::27"),
                method: Some("GET"),
                url: Some("http://[2001:db8::80]:8080/"),
                url_host: Some("2001:db8::80"),
                url_path: Some("/"),
                status: Some(200),
                bytes_in: Some(10),
                extra: vec![
                    ("protocol", "HTTP/1.1"),
                    ("trailing", "\"198.51.100.1, 10.30.0.1\"")
                ],
                ..HttpEvent::default()
            }),
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Zscaler

#[test]
fn zscaler_nss_web_lines_field_by_field() {
    let arena = arena();
    let lines: Vec<&str> = read("proxy/vendor-reference/zscaler-nss-web.jsonl")
        .lines()
        .collect();
    let events: Vec<_> = lines
        .iter()
        .map(|line| zscaler::parse(line, arena))
        .collect();
    assert_eq!(counts(&events), (5, 1));
    assert!(lines.iter().all(|l| zscaler::looks_like(l)));
    assert_eq!(
        events[0],
        Ok(HttpEvent {
            src_ip: Some("172.17.3.49"),
            user: Some("new-gre"),
            method: Some("GET"),
            url: Some("ebay.com/"),
            url_host: Some("ebay.com"),
            url_path: Some("/"),
            status: Some(403),
            bytes_in: Some(14061),
            bytes_out: Some(0),
            content_type: Some("Other"),
            user_agent: Some("curl/7.68.0"),
            category: Some("Online Shopping"),
            action: Some("block"),
            duration_ms: Some(0),
            dst_ip: Some("66.211.175.229"),
            extra: vec![
                ("sourcetype", "zscalernss-web"),
                ("datetime", "Mon Jun 20 15:29:11 2022"),
                ("reason", "Not allowed to browse this category"),
                ("event_id", "7111380384411598849"),
                ("protocol", "HTTP"),
                ("transactionsize", "14061"),
                ("product", "NSS"),
                ("location", "new-gre"),
                ("vendor", "Zscaler"),
                ("clientpublicIP", "172.17.3.49"),
                ("appname", "Ebay"),
                ("pagerisk", "72"),
                ("department", "Default Department"),
                ("urlsupercategory", "Shopping and Auctions"),
                ("appclass", "Consumer Apps"),
                ("urlclass", "Productivity Loss"),
                ("bwthrottle", "NO"),
                ("servertranstime", "0"),
            ],
            ..HttpEvent::default()
        })
    );
    assert_eq!(
        events[1],
        Ok(HttpEvent {
            src_ip: Some("10.30.4.20"),
            user: Some("tanaka@city.example.jp"),
            method: Some("GET"),
            url: Some("www.example.jp/news/index.html?id=3"),
            url_host: Some("www.example.jp"),
            url_path: Some("/news/index.html"),
            status: Some(200),
            bytes_in: Some(5120),
            bytes_out: Some(412),
            content_type: Some("text/html"),
            user_agent: Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
            category: Some("Corporate Marketing"),
            action: Some("allow"),
            duration_ms: Some(215),
            dst_ip: Some("203.0.113.80"),
            extra: vec![
                ("sourcetype", "zscalernss-web"),
                ("datetime", "Fri Nov 20 00:00:01 2026"),
                ("reason", "Allowed"),
                ("event_id", "7295842017251262465"),
                ("protocol", "HTTPS"),
                ("transactionsize", "5532"),
                ("refererURL", "https://portal.example.jp/"),
                ("product", "NSS"),
                ("location", "City Hall"),
                ("vendor", "Zscaler"),
                ("clientpublicIP", "198.51.100.20"),
                ("appname", "General Browsing"),
                ("pagerisk", "0"),
                ("department", "総務課"),
                ("urlsupercategory", "Business and Economy"),
                ("appclass", "General Browsing"),
                ("urlclass", "Business Use"),
                ("bwthrottle", "NO"),
                ("servertranstime", "180"),
                ("deviceowner", "tanaka"),
                ("devicehostname", "PC-0420"),
            ],
            ..HttpEvent::default()
        })
    );
    assert_eq!(
        events[2],
        Ok(HttpEvent {
            src_ip: Some("10.30.4.25"),
            user: Some("suzuki@city.example.jp"),
            method: Some("GET"),
            url: Some("malware.example/dl/invoice.exe"),
            url_host: Some("malware.example"),
            url_path: Some("/dl/invoice.exe"),
            status: Some(403),
            bytes_in: Some(0),
            bytes_out: Some(1380),
            content_type: Some("application/x-msdownload"),
            user_agent: Some("python-requests/2.31"),
            category: Some("Malicious Content"),
            action: Some("block"),
            duration_ms: Some(5),
            dst_ip: Some("203.0.113.66"),
            extra: vec![
                ("sourcetype", "zscalernss-web"),
                ("datetime", "Fri Nov 20 00:00:02 2026"),
                ("reason", "Virus/Spyware/Malware Blocked"),
                ("event_id", "7295842017251262466"),
                ("protocol", "HTTP"),
                ("transactionsize", "1380"),
                ("product", "NSS"),
                ("location", "City Hall"),
                ("vendor", "Zscaler"),
                ("clientpublicIP", "198.51.100.20"),
                ("threatcategory", "Virus"),
                ("threatname", "EICAR Test File"),
                ("filetype", "Windows Executable"),
                ("appname", "General Browsing"),
                ("pagerisk", "100"),
                ("department", "税務課"),
                ("urlsupercategory", "Security"),
                ("appclass", "General Browsing"),
                ("urlclass", "Security Risk"),
                ("threatclass", "Virus"),
                ("fileclass", "Executable"),
                ("bwthrottle", "NO"),
                ("servertranstime", "0"),
                ("deviceowner", "suzuki"),
                ("devicehostname", "PC-0425"),
            ],
            ..HttpEvent::default()
        })
    );
    // Flat, with `epochtime` (which wins over `datetime`) and JSON escapes.
    assert_eq!(
        events[3],
        Ok(HttpEvent {
            time: Some(utc(2026, 11, 20, 0, 0, 3)),
            src_ip: Some("10.30.4.22"),
            user: Some("sato@city.example.jp"),
            method: Some("CONNECT"),
            url: Some("cloud.example.net:443"),
            url_host: Some("cloud.example.net"),
            status: Some(200),
            bytes_in: Some(45210),
            bytes_out: Some(2305),
            user_agent: Some("Mozilla/5.0 \"Zoom\" テスト"),
            category: Some("Web Conferencing"),
            action: Some("allow"),
            duration_ms: Some(30490),
            dst_ip: Some("203.0.113.10"),
            extra: vec![
                ("tz", "Asia/Tokyo"),
                ("vendor", "Zscaler"),
                ("reason", "Allowed")
            ],
            ..HttpEvent::default()
        })
    );
    // Flat, keyed by NSS variable names, with the feed's zone.
    assert_eq!(
        events[4],
        Ok(HttpEvent {
            time: Some(utc(2026, 11, 20, 0, 0, 4)),
            src_ip: Some("10.30.4.26"),
            user: Some("ito@city.example.jp"),
            method: Some("POST"),
            url: Some("files.example.org/upload?name=report"),
            url_host: Some("files.example.org"),
            url_path: Some("/upload"),
            status: Some(200),
            bytes_in: Some(2048),
            bytes_out: Some(1_048_576),
            user_agent: Some("Mozilla/5.0 (Macintosh)"),
            category: Some("File Storage"),
            duration_ms: Some(1250),
            dst_ip: Some("198.51.100.7"),
            extra: vec![("tz", "GMT"), ("vendor", "Zscaler"), ("dept", "企画課")],
            ..HttpEvent::default()
        })
    );
    assert_eq!(
        events[5],
        Err(ParseError::Unrecognised {
            format: zscaler::NAME,
            reason: "not a web log (another NSS feed type)"
        })
    );
}

// ---------------------------------------------------------------------------------------
// Automatic detection through the line parser

/// Parses `lines` as one source with automatic detection; returns the batches.
fn detect(lines: &[&str]) -> Vec<(Table, RecordBatch)> {
    let zones = Arc::new(ZoneMap::default());
    let mut parser = LineParser::new(ParseSettings::default(), zones.clone());
    let mut batches = Batches::new(zones);
    for line in lines {
        let raw = RawLine {
            bytes: line.as_bytes(),
            received_at: 0,
            source: "test",
            peer: None,
        };
        parser.parse_into(&raw, &mut batches);
    }
    assert_eq!(
        batches.pending().total(),
        lines.len() as u64,
        "one row per line"
    );
    batches.finish()
}

fn column(out: &[(Table, RecordBatch)], table: Table, name: &str) -> Vec<Option<String>> {
    let Some((_, batch)) = out.iter().find(|(t, _)| *t == table) else {
        return Vec::new();
    };
    let array = batch.column_by_name(name).expect("column");
    (0..array.len())
        .map(|i| {
            if array.is_null(i) {
                return None;
            }
            Some(match array.data_type() {
                arrow::datatypes::DataType::Dictionary(..) => {
                    let dict = array.as_dictionary::<Int32Type>();
                    let values = dict.values().as_string::<i32>();
                    values.value(dict.keys().value(i) as usize).to_owned()
                }
                _ => array.as_string::<i32>().value(i).to_owned(),
            })
        })
        .collect()
}

fn rows(out: &[(Table, RecordBatch)], table: Table) -> usize {
    out.iter()
        .find(|(t, _)| *t == table)
        .map_or(0, |(_, b)| b.num_rows())
}

#[test]
fn detection_routes_combined_and_zscaler_lines() {
    let mut combined_lines: Vec<&str> = read("proxy/vendor-reference/combined-proxies.log")
        .lines()
        .collect();
    for dir in [
        "nginx-http-open-proxy",
        "fortinet-cve-2018-13379",
        "pulse-secure-sslvpn-cve-2019-11510",
    ] {
        combined_lines.extend(read(&format!("proxy/crowdsec-hub/{dir}/{dir}.log")).lines());
    }
    combined_lines.extend(rspec_single_quoted_messages(
        "proxy/logstash-patterns-core-httpd/spec_patterns_httpd_spec.rb",
    ));
    let out = detect(&combined_lines);
    assert_eq!(
        column(&out, Table::Http, "format"),
        vec![Some("combined".to_owned()); combined_lines.len()]
    );
    assert_eq!(rows(&out, Table::Unparsed), 0);
    // Squid's result code and the client address arrive in their columns.
    assert_eq!(
        column(&out, Table::Http, "cache_result")[1].as_deref(),
        Some("TCP_DENIED")
    );
    assert_eq!(
        column(&out, Table::Http, "src_ip")[9].as_deref(),
        Some("2001:db8::27")
    );

    let zscaler_lines: Vec<&str> = read("proxy/vendor-reference/zscaler-nss-web.jsonl")
        .lines()
        .collect();
    let out = detect(&zscaler_lines);
    assert_eq!(
        column(&out, Table::Http, "format"),
        vec![Some("zscaler".to_owned()); 5]
    );
    assert_eq!(
        column(&out, Table::Unparsed, "format_guess"),
        [Some("zscaler".to_owned())]
    );
    assert_eq!(
        column(&out, Table::Unparsed, "error"),
        [Some(
            "zscaler: not a web log (another NSS feed type)".to_owned()
        )]
    );
}

#[test]
fn detection_routes_w3c_lines_in_syslog() {
    // ProxySG and IIS (through NXLog, say) forwarding their access logs over syslog.
    let wrapped: Vec<String> = read("proxy/vendor-reference/proxysg-elff.log")
        .lines()
        .map(|line| format!("<134>Nov 20 09:00:00 proxysg01 bluecoat: {line}"))
        .chain(
            read("proxy/elastic-beats-iis/test.log")
                .lines()
                .map(|line| format!("<134>Nov 20 09:00:00 web01 IIS: {line}")),
        )
        .collect();
    let lines: Vec<&str> = wrapped.iter().map(String::as_str).collect();
    let out = detect(&lines);
    assert_eq!(
        column(&out, Table::Http, "format"),
        vec![Some("w3c".to_owned()); 7 + 3]
    );
    // Directives stay on record as W3C's; the two IIS lines that do not fit their header
    // fit no other format either.
    let errors = column(&out, Table::Unparsed, "error");
    let guesses = column(&out, Table::Unparsed, "format_guess");
    let mut tally: BTreeMap<(Option<String>, Option<String>), usize> = BTreeMap::new();
    for pair in errors.into_iter().zip(guesses) {
        *tally.entry(pair).or_default() += 1;
    }
    assert_eq!(
        tally,
        BTreeMap::from([
            (
                (
                    Some("w3c: directive line, not an event".to_owned()),
                    Some("w3c".to_owned())
                ),
                7 + 12
            ),
            (
                (
                    Some("no parser recognised the line".to_owned()),
                    Some("IIS".to_owned())
                ),
                2
            ),
        ])
    );
    // Whether the URL logged in parts is joined depends on the line parser calling
    // `w3c::parse_in` with its arena (see `detection_routes_raw_w3c_files`); host and
    // path arrive either way.
    assert_eq!(
        column(&out, Table::Http, "url_host")[0].as_deref(),
        Some("www.example.jp")
    );
    assert_eq!(
        column(&out, Table::Http, "url_path")[0].as_deref(),
        Some("/index.html")
    );
}

/// W3C data lines straight from a file start with `yyyy-mm-dd hh:mm:ss`, which the syslog
/// reader takes for an RFC 3164 header with an ISO time stamp, so the W3C parser sees
/// only the rest of the line; until the line parser lets a source with a W3C layout
/// bypass the envelope (and calls `w3c::parse_in` with its arena), these lines end up in
/// `unparsed`.
#[test]
fn detection_routes_raw_w3c_files() {
    let lines: Vec<&str> = read("proxy/vendor-reference/proxysg-elff.log")
        .lines()
        .collect();
    let out = detect(&lines);
    assert_eq!(
        column(&out, Table::Http, "format"),
        vec![Some("w3c".to_owned()); 7]
    );
    assert_eq!(
        column(&out, Table::Http, "url")[0].as_deref(),
        Some("http://www.example.jp/index.html?lang=ja")
    );
    let (_, http) = out
        .iter()
        .find(|(t, _)| *t == Table::Http)
        .expect("http rows");
    let time = http.column_by_name("time").expect("time column");
    let time = time
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
        .value(0);
    assert_eq!(
        time,
        utc(2026, 11, 20, 0, 0, 1),
        "a W3C time is UTC and carried by the line"
    );
}

/// Every other sample under `testdata/`, line by line: none looks like these formats.
#[test]
fn looks_like_claims_no_other_format() {
    let mine = [
        "proxy/crowdsec-hub",
        "proxy/elastic-beats-iis",
        "proxy/logstash-patterns-core-httpd",
        "proxy/vendor-reference",
    ];
    let mut layouts = vec![w3c::W3cState::default()];
    for header in [
        read("proxy/elastic-beats-iis/test.log")
            .lines()
            .nth(3)
            .expect("IIS #Fields"),
        read("proxy/vendor-reference/proxysg-elff.log")
            .lines()
            .nth(4)
            .expect("ProxySG #Fields"),
        "#Fields: date time c-ip",
    ] {
        let mut state = w3c::W3cState::default();
        let _ = w3c::parse(&mut state, header);
        layouts.push(state);
    }
    let mut files = Vec::new();
    let mut dirs = vec![testdata()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("testdata") {
            let path = entry.expect("entry").path();
            let relative = path
                .strip_prefix(testdata())
                .expect("under testdata")
                .to_string_lossy()
                .replace('\\', "/");
            if mine.iter().any(|m| relative.starts_with(m)) {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push((relative, path));
            }
        }
    }
    let mut checked = 0;
    for (relative, path) in &files {
        let bytes = std::fs::read(path).expect("sample");
        // SSHGuard's web section is genuine access lines, checked in
        // `combined_sshguard_web_lines`.
        let web_attacks = relative == "auth/sshguard/tests.txt";
        for line in String::from_utf8_lossy(&bytes).lines() {
            assert!(
                web_attacks || !combined::looks_like(line),
                "combined claims {relative}: {line}"
            );
            assert!(
                !zscaler::looks_like(line),
                "zscaler claims {relative}: {line}"
            );
            for state in &layouts {
                assert!(
                    !w3c::looks_like(state, line),
                    "w3c claims {relative}: {line}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} lines checked");
}
