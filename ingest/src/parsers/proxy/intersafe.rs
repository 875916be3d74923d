//! ALSI InterSafe WebFilter access logs (`InterSafe_http.log`), the other web filter
//! common in Japanese local governments.
//!
//! # Layout
//!
//! One request per line, columns separated by tabs (a line without tabs is split on
//! single spaces, as some exports and FAQ samples show it; a group name with a space in
//! it then cannot be read, and the line goes to `unparsed`). The first 18 columns are
//! always there; versions that log the registered categories, the URL, the HTTP version,
//! the method and the referrer add columns 19–25 (tabs written `\t`):
//!
//! ```text
//! 2019/02/13\t15:00:00\tHTTP\t10.10.10.10\tTESTグループ\ttest\t-\tBlocked\t-\t403\twww.alsi-iss.jp\t0\t0\t0\t-\t-\tデータベースマッチ\tITサービス\IT\tITサービス\IT\t-\t-\thttp://www.alsi-iss.jp/\tHTTP/1.1\tGET\t-
//! ```
//!
//! | # | vendor column | sanso column |
//! |---|---|---|
//! | 1, 2 | 日付 `YYYY/MM/DD`, 時刻 `HH:MM:SS`, local time | `time`, read in the source's timezone |
//! | 3 | プロトコル `HTTP` / `HTTPS` | `extra['scheme']` |
//! | 4 | IPアドレス | `src_ip` |
//! | 5 | グループ名 (sub-groups joined by `\`) | `extra['group']` |
//! | 6 | アカウント名 | `user` |
//! | 7 | ブラウザバージョン | `user_agent` |
//! | 8 | 転送状態 | `action`, and `extra['transfer_state']` |
//! | 9 | WWWサーバIP | `dst_ip` |
//! | 10 | 応答コード | `status` |
//! | 11 | WWWサーバ名 | `url_host` |
//! | 12 | 転送時間 (ms; older versions write 0) | `duration_ms` |
//! | 13 | 送信データサイズ | `bytes_out` |
//! | 14 | 受信データサイズ | `bytes_in` |
//! | 15 | ファイルタイプ (MIME type) | `content_type` |
//! | 17 | 判定理由 (e.g. データベースマッチ) | `reason` |
//! | 18 | 判定カテゴリ (`メイン\サブ`) | `category` |
//! | 19–21 | 登録カテゴリ1, 2, セキュリティカテゴリ | `extra['category1']`, `extra['category2']`, `extra['security_category']` |
//! | 22 | リクエストURL | `url`, `url_path` |
//! | 23 | HTTPバージョン | `extra['protocol']` |
//! | 24 | リクエストメソッド | `method` |
//! | 25 | リンク元サイト | `extra['referer']` |
//!
//! `-` is null everywhere. The transfer state gives the verdict: `Blocked` (規制) and
//! `BlkPost` (書き込み規制) are `block`; `Proxied` (uncategorised or allowed category),
//! `Allowed` (allowed by rule) and `Release` (a user pressed the temporary-release
//! button) are `allow`; any other state leaves `action` null and is kept in `extra`.
//! Japanese names arrive as UTF-8 or, on older servers, as Shift_JIS, which the
//! source's `encoding` decodes before this parser sees the line.
//!
//! # Sources
//!
//! ALSI's public FAQ: the 25 columns, <https://alsifaq.dga.jp/faq_detail.html?id=5168>;
//! the 18-column layout and its notes, <https://alsifaq.dga.jp/faq_detail.html?id=5032>;
//! a sample line, <https://alsifaq.dga.jp/faq_detail.html?category=7&id=5258&page=1>;
//! the transfer states, <https://alsifaq.dga.jp/faq_detail.html?id=5299>.

use std::net::IpAddr;

use chrono_tz::Tz;

use super::combined::{clock, digits, local_micros, split_url};
use crate::error::ParseError;
use crate::event::HttpEvent;

/// Parser name, for the `format` column and configuration.
pub const NAME: &str = "intersafe";

/// Cheap check: a `YYYY/MM/DD` date, a time and `HTTP` or `HTTPS`, tab- or
/// space-separated.
pub fn looks_like(msg: &str) -> bool {
    let mut columns = split(msg);
    let (Some(date), Some(time), Some(protocol)) = (columns.next(), columns.next(), columns.next())
    else {
        return false;
    };
    ymd(date).is_some() && time.len() == 8 && clock(time).is_some() && is_protocol(protocol)
}

/// Parses an access log line; local times are read in `tz`.
///
/// # Errors
///
/// [`ParseError::MissingField`] when the line has fewer than 18 columns;
/// [`ParseError::InvalidField`] naming the first value that does not parse.
pub fn parse(line: &str, tz: Tz) -> Result<HttpEvent<'_>, ParseError> {
    let mut columns = split(line);
    let mut next = |field| {
        columns.next().ok_or(ParseError::MissingField {
            format: NAME,
            field,
        })
    };
    let date = next("date")?;
    let time = next("time")?;
    let protocol = next("protocol")?;
    let client = next("client")?;
    let group = next("group")?;
    let account = next("account")?;
    let browser = next("browser")?;
    let state = next("transfer_state")?;
    let server_ip = next("server_ip")?;
    let status = next("status")?;
    let host = next("host")?;
    let elapsed = next("elapsed")?;
    let sent = next("sent")?;
    let received = next("received")?;
    let mime = next("mime_type")?;
    next("reserved")?;
    let reason = next("reason")?;
    let category = next("category")?;
    let optional: [Option<&str>; 7] = std::array::from_fn(|_| columns.next());
    let [
        category1,
        category2,
        security,
        url,
        version,
        method,
        referer,
    ] = optional;
    if columns.next().is_some() {
        return Err(ParseError::Unrecognised {
            format: NAME,
            reason: "the line has more than 25 columns",
        });
    }

    let day = ymd(date).ok_or(invalid("date"))?;
    let (secs, after) = clock(time).ok_or(invalid("time"))?;
    if !after.is_empty() {
        return Err(invalid("time"));
    }
    let time = local_micros(tz, day, secs).ok_or(invalid("date"))?;
    if !is_protocol(protocol) {
        return Err(invalid("protocol"));
    }
    client.parse::<IpAddr>().map_err(|_| invalid("client"))?;
    let dst_ip = match dash_is_none(server_ip) {
        Some(ip) => Some(
            ip.parse::<IpAddr>()
                .map(|_| ip)
                .map_err(|_| invalid("server_ip"))?,
        ),
        None => None,
    };
    let status = match dash_is_none(status) {
        None | Some("0") => None,
        Some(s) => Some(s.parse::<u16>().map_err(|_| invalid("status"))?),
    };
    let number = |value, field| match dash_is_none(value) {
        Some(v) => digits(v).map(Some).ok_or(invalid(field)),
        None => Ok(None),
    };
    let action = match state {
        "Blocked" | "BlkPost" => Some("block"),
        "Proxied" | "Allowed" | "Release" => Some("allow"),
        _ => None,
    };

    let url = url.and_then(dash_is_none);
    let method = method.and_then(dash_is_none);
    let (url_host, url_path) = url.map_or((None, None), |u| split_url(method, u));
    let mut e = HttpEvent {
        time: Some(time),
        src_ip: Some(client),
        user: dash_is_none(account),
        method,
        url,
        url_host: dash_is_none(host).or(url_host),
        url_path,
        status,
        bytes_in: number(received, "received")?,
        bytes_out: number(sent, "sent")?,
        content_type: dash_is_none(mime),
        user_agent: dash_is_none(browser),
        category: dash_is_none(category),
        action,
        reason: dash_is_none(reason),
        duration_ms: number(elapsed, "elapsed")?,
        dst_ip,
        ..HttpEvent::default()
    };
    e.extra.push(("scheme", protocol));
    e.extra.push(("transfer_state", state));
    let optional_extra = [
        ("group", Some(group)),
        ("category1", category1),
        ("category2", category2),
        ("security_category", security),
        ("protocol", version),
        ("referer", referer),
    ];
    for (key, value) in optional_extra {
        if let Some(value) = value.and_then(dash_is_none) {
            e.extra.push((key, value));
        }
    }
    Ok(e)
}

fn is_protocol(word: &str) -> bool {
    matches!(word, "HTTP" | "HTTPS")
}

/// `YYYY/MM/DD`.
fn ymd(date: &str) -> Option<(u64, u32, u32)> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'/' || b[7] != b'/' {
        return None;
    }
    let year = digits(&date[..4])?;
    let month = u32::try_from(digits(&date[5..7])?).ok()?;
    let day = u32::try_from(digits(&date[8..])?).ok()?;
    Some((year, month, day))
}

/// The columns: tab-separated, or space-separated on a line without a tab.
fn split(line: &str) -> std::str::Split<'_, char> {
    line.split(if line.contains('\t') { '\t' } else { ' ' })
}

fn dash_is_none(value: &str) -> Option<&str> {
    (!value.is_empty() && value != "-").then_some(value)
}

fn invalid(field: &'static str) -> ParseError {
    ParseError::InvalidField {
        format: NAME,
        field,
    }
}

#[cfg(test)]
mod tests {
    //! The sample lines are ALSI's, from the FAQ pages cited in the module documentation
    //! (with a real date where the FAQ writes `YYYY/MM/DD`); the others are written from
    //! the column tables there.

    use proptest::prelude::*;

    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    /// FAQ 5258's sample, 25 columns, tab-separated as the product writes it.
    const BLOCKED: &str = "2019/02/13\t15:00:00\tHTTP\t10.10.10.10\tTESTグループ\ttest\t-\tBlocked\t-\t403\twww.alsi-iss.jp\t0\t0\t0\t-\t-\tデータベースマッチ\tITサービス\\IT\tITサービス\\IT\t-\t-\thttp://www.alsi-iss.jp/\tHTTP/1.1\tGET\t-";

    /// The 18-column layout of FAQ 5032, written from its table.
    const OLD: &str = "2026/11/26 09:30:00 HTTPS 10.30.4.20 総務部\\情報政策課 山田 - Proxied - 200 www.example.jp 0 5120 0 text/html - 未分類 -";

    #[test]
    fn vendor_sample_field_by_field() {
        assert_eq!(
            parse(BLOCKED, TOKYO).unwrap(),
            HttpEvent {
                // 15:00 in Tokyo is 06:00 UTC.
                time: Some(1_550_037_600_000_000),
                src_ip: Some("10.10.10.10"),
                user: Some("test"),
                method: Some("GET"),
                url: Some("http://www.alsi-iss.jp/"),
                url_host: Some("www.alsi-iss.jp"),
                url_path: Some("/"),
                status: Some(403),
                bytes_in: Some(0),
                bytes_out: Some(0),
                category: Some("ITサービス\\IT"),
                action: Some("block"),
                reason: Some("データベースマッチ"),
                duration_ms: Some(0),
                extra: vec![
                    ("scheme", "HTTP"),
                    ("transfer_state", "Blocked"),
                    ("group", "TESTグループ"),
                    ("category1", "ITサービス\\IT"),
                    ("protocol", "HTTP/1.1"),
                ],
                ..HttpEvent::default()
            }
        );
    }

    #[test]
    fn eighteen_columns_space_separated() {
        let e = parse(OLD, TOKYO).unwrap();
        assert_eq!(e.time, Some(1_795_653_000_000_000));
        assert_eq!(e.user, Some("山田"));
        assert_eq!(e.url_host, Some("www.example.jp"));
        assert_eq!(e.url, None);
        assert_eq!(e.bytes_out, Some(5120));
        assert_eq!(e.content_type, Some("text/html"));
        assert_eq!(e.action, Some("allow"));
        assert_eq!(e.reason, Some("未分類"));
        assert_eq!(e.category, None);
        assert!(e.extra.contains(&("group", "総務部\\情報政策課")));
    }

    #[test]
    fn transfer_states() {
        for (state, action) in [
            ("Blocked", Some("block")),
            ("BlkPost", Some("block")),
            ("Proxied", Some("allow")),
            ("Allowed", Some("allow")),
            ("Release", Some("allow")),
            ("Other", None),
        ] {
            let line = OLD.replace("Proxied", state);
            let e = parse(&line, TOKYO).unwrap();
            assert_eq!(e.action, action, "{state}");
            assert!(e.extra.contains(&("transfer_state", state)));
        }
    }

    #[test]
    fn the_timezone_is_the_sources() {
        let utc = parse(OLD, chrono_tz::UTC).unwrap().time.unwrap();
        let tokyo = parse(OLD, TOKYO).unwrap().time.unwrap();
        assert_eq!(utc - tokyo, 9 * 3600 * 1_000_000);
    }

    #[test]
    fn rejections_name_the_column() {
        let invalid = |field| ParseError::InvalidField {
            format: NAME,
            field,
        };
        let cut = &OLD[..OLD.rfind(' ').unwrap()];
        assert_eq!(
            parse(cut, TOKYO),
            Err(ParseError::MissingField {
                format: NAME,
                field: "category",
            })
        );
        assert_eq!(
            parse(&OLD.replace("2026/11/26", "2026/13/26"), TOKYO),
            Err(invalid("date"))
        );
        assert_eq!(
            parse(&OLD.replace("09:30:00", "09:30:0x"), TOKYO),
            Err(invalid("time"))
        );
        assert_eq!(
            parse(&OLD.replace("HTTPS", "FTP"), TOKYO),
            Err(invalid("protocol"))
        );
        assert_eq!(
            parse(&OLD.replace("10.30.4.20", "pc-01"), TOKYO),
            Err(invalid("client"))
        );
        assert_eq!(
            parse(&OLD.replace(" 200 ", " OK "), TOKYO),
            Err(invalid("status"))
        );
        assert_eq!(
            parse(&OLD.replace(" 5120 ", " -5 "), TOKYO),
            Err(invalid("sent"))
        );
        let long = format!("{BLOCKED}\tmore");
        assert!(matches!(
            parse(&long, TOKYO),
            Err(ParseError::Unrecognised { .. })
        ));
    }

    #[test]
    fn detection() {
        assert!(looks_like(BLOCKED));
        assert!(looks_like(OLD));
        assert!(!looks_like("2026/11/26 09:30:00,19/Sep/2017:17:45:15,38"));
        assert!(!looks_like("2026-11-26 09:30:00 HTTP 10.0.0.1"));
        assert!(!looks_like(""));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = looks_like(&s);
            let _ = parse(&s, TOKYO);
        }

        #[test]
        fn never_panics_on_column_shaped_noise(
            columns in proptest::collection::vec("[0-9A-Za-z/:.\\\\-]{0,12}", 0..27),
        ) {
            let line = format!("2026/11/26\t09:00:00\tHTTP\t{}", columns.join("\t"));
            let _ = parse(&line, TOKYO);
        }
    }
}
