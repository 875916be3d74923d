//! Digital Arts m-FILTER logs: the mail gateway that sanitises (無害化) mail between the
//! `internet` and `lgwan` zones, so its logs are the evidence of basic policy 6(3)②.
//!
//! Two logs, both comma-separated with `"`-quoted values that hold commas, UTF-8 since
//! Ver.4 (Ver.3 wrote Shift_JIS: set `encoding = "shift_jis"` on such a source), one
//! message per line, told apart by their first columns:
//!
//! # SMTP access log (`logs/access/access.log`)
//!
//! ```text
//! 19/Sep/2017:17:45:15,38,2017/9/19 17:45:15,group,192.168.244.181,user01@daj.co.jp,user02@daj.co.jp,0,0,2,0,0,0,"Fri, 23 Jun 2017 10:35:53 +0900",192.168.244.181,25,250 OK,DATA+,738,<51FB0943@dajtest.jp>,0,SYSTEM,,"",,0,0,"-",-1,-1,"-",0,"txt",0,-,-,-,0,NONE,0,0,OFF,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,attach.txt
//! ```
//!
//! | # | vendor column | sanso column |
//! |---|---|---|
//! | 1 | アクセスログ出力日時 `dd/Mon/yyyy:hh:mm:ss`, local time | `time`, read in the source's timezone |
//! | 2 | メール固有ID (queue ID) | `extra['queue_id']` |
//! | 4 | 最終適用グループ名 | `extra['group']` |
//! | 5 | 送信元IPアドレス | `src_ip` |
//! | 6 | 差出人 | `sender` |
//! | 7 | 宛先 (`;`-separated when several) | `recipients` |
//! | 9 | テストモード (`1`: the rule only logged) | `extra['test_mode']` when `1` |
//! | 11 | アクション | `disposition`, see below; `extra['action']` |
//! | 15 | 送信先サーバーのアドレス | `dst_ip` |
//! | 17 | 送信先サーバーの応答 | `extra['response']` |
//! | 19 | メールサイズ (attachments included) | `size` |
//! | 20 | Message-ID | `message_id` |
//! | 54 | 添付ファイル名 (Ver.5; `;`-separated when several) | `attachments` |
//!
//! Ver.3/4 lines end after column 38; Ver.5 lines have at least 54 columns.
//!
//! # Communication log (`logs/mail/mail.log`)
//!
//! ```text
//! 2017/09/19 17:45:17,19/Sep/2017:17:45:15,38,38_kVgK+WOW0HlRgB9xFlbXXw==,738,0,0,1505896997_0,ruleset,rule,%22-1%2C%2C%2C%2C%2C%2C%2C%22,1505896997_0,user01@daj.co.jp,"1505896997_0,user02@daj.co.jp",0,
//! ```
//!
//! | # | vendor column | sanso column |
//! |---|---|---|
//! | 1 | メールを保存メールに登録した日時 `yyyy/mm/dd hh:mm:ss`, local time | `time` |
//! | 3 | キューID | `extra['queue_id']` |
//! | 4 | m-FILTERメールID | `extra['mail_id']` |
//! | 5 | メールサイズ | `size` |
//! | 6 | アクション | `disposition`; `extra['action']` |
//! | 7 | 送信ディレイ | `extra['delay']` when not `0` |
//! | 9 | 適用されたルールセット名 | `extra['ruleset']` |
//! | 10 | 適用されたルール名 | `rule` |
//! | 13 | 差出人 | `sender` |
//! | 14 | 宛先 (group ID and address pairs) | `recipients`: the items with an `@` |
//!
//! # Disposition
//!
//! The action code says what happened to the message: `0` 送信 and `4` リレー are
//! `passed`, `8` 保留→送信 (held, then released) is `passed`, `2` 保留 is `held`, `1` 削除
//! and `9` 保留→削除 are `rejected`. A message that went on with its content changed is
//! recognised by m-FILTER's sanitisation action names (the ones it also writes to the
//! `X-MAIL-SANITIZED` header) in any column other than the addresses, subject and file
//! names: `DEL_ATTACH` makes it `attachment_removed`, else `CHG_TEXT` (with or without
//! `REP_LINK`) `text_converted`; the names found are kept in `extra['sanitized']`. An
//! unknown action code leaves `disposition` null.
//!
//! # Sources
//!
//! Digital Arts' public FAQ: SMTP access log Ver.5,
//! <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=3681>; Ver.3/4 (and the
//! encodings), <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=2585>; the test mode
//! and action columns, <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=5282>;
//! communication log Ver.5, <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=3686>;
//! its columns and action codes,
//! <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=4334>; the sanitisation action
//! names, <https://www.pa-solution.net/daj/bs/faq/Detail.aspx?id=3403>.

use std::net::IpAddr;

use bumpalo::Bump;
use chrono_tz::Tz;
use memchr::memchr;

use crate::error::ParseError;
use crate::event::MailEvent;
use crate::parsers::proxy::combined::{clock, digits, local_micros, month};
use crate::parsers::proxy::ifilter::url_decode_in;

/// Parser name, for the `format` column and configuration.
pub const NAME: &str = "mfilter";

/// The m-FILTER sanitisation actions, strongest first, and the disposition each gives.
const SANITISATIONS: [(&str, &str); 3] = [
    ("DEL_ATTACH", "attachment_removed"),
    ("CHG_TEXT", "text_converted"),
    ("REP_LINK", "text_converted"),
];

/// Cheap check: an SMTP access line (`dd/Mon/yyyy:hh:mm:ss,<id>,yyyy/...`) or a
/// communication log line (`yyyy/mm/dd hh:mm:ss,dd/Mon/yyyy:hh:mm:ss,`).
pub fn looks_like(msg: &str) -> bool {
    let mut fields = Fields { rest: Some(msg) };
    let (Some(first), Some(second), Some(third)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let access = clf_local(first).is_some()
        && digits(second).is_some()
        && third.as_bytes().get(4) == Some(&b'/')
        && third.get(..4).and_then(digits).is_some();
    access || (slash_date_time(first).is_some() && clf_local(second).is_some())
}

/// Parses a line of either log; local times are read in `tz`.
///
/// # Errors
///
/// [`ParseError::MissingField`] when a column the log always has is absent;
/// [`ParseError::InvalidField`] naming the first value that does not parse.
pub fn parse_in<'a>(line: &'a str, tz: Tz, arena: &'a Bump) -> Result<MailEvent<'a>, ParseError> {
    let fields: Vec<&str> = Fields { rest: Some(line) }.collect();
    let first = fields.first().copied().unwrap_or("");
    if clf_local(first).is_some() {
        access(&fields, tz)
    } else if slash_date_time(first).is_some() {
        communication(&fields, tz, arena)
    } else {
        Err(invalid("time"))
    }
}

fn access<'a>(f: &[&'a str], tz: Tz) -> Result<MailEvent<'a>, ParseError> {
    let get = |n: usize, field| f.get(n - 1).copied().ok_or(missing(field));
    let time = clf_local(get(1, "time")?).ok_or(invalid("time"))?;
    let time = local_micros(tz, time.0, time.1).ok_or(invalid("time"))?;
    let queue_id = get(2, "queue_id")?;
    let group = get(4, "group")?;
    let src_ip = ip(get(5, "src_ip")?).map_err(|()| invalid("src_ip"))?;
    let sender = get(6, "sender")?;
    let recipients = get(7, "recipients")?;
    let test_mode = get(9, "test_mode")?;
    let action = get(11, "action")?;
    let dst_ip = ip(get(15, "dst_ip")?).map_err(|()| invalid("dst_ip"))?;
    let response = get(17, "response")?;
    let size = get(19, "size")?;
    let message_id = get(20, "message_id")?;
    let attachments = f.get(53).copied().and_then(dash_is_none);

    let mut e = MailEvent {
        time: Some(time),
        src_ip,
        dst_ip,
        sender: dash_is_none(sender),
        recipients: list(recipients, ';'),
        size: Some(digits(size).ok_or(invalid("size"))?),
        attachments: attachments.map_or_else(Vec::new, |a| list(a, ';')),
        message_id: dash_is_none(message_id),
        ..MailEvent::default()
    };
    e.extra.push(("queue_id", queue_id));
    if let Some(group) = dash_is_none(group) {
        e.extra.push(("group", group));
    }
    if test_mode == "1" {
        e.extra.push(("test_mode", test_mode));
    }
    if let Some(response) = dash_is_none(response) {
        e.extra.push(("response", response));
    }
    // Columns that carry what someone outside wrote cannot say what the gateway did:
    // the addresses, the Date header, the Message-ID, the file names, and from column
    // 66 on, where Ver.5 logs the subject.
    let written_by_sender = [6, 7, 14, 20, 54];
    let markers = f
        .iter()
        .enumerate()
        .filter(|(i, _)| !written_by_sender.contains(&(i + 1)) && *i < 65)
        .map(|(_, v)| *v);
    dispose(&mut e, action, markers)?;
    Ok(e)
}

fn communication<'a>(f: &[&'a str], tz: Tz, arena: &'a Bump) -> Result<MailEvent<'a>, ParseError> {
    let get = |n: usize, field| f.get(n - 1).copied().ok_or(missing(field));
    let (date, secs) = slash_date_time(get(1, "time")?).ok_or(invalid("time"))?;
    let time = local_micros(tz, date, secs).ok_or(invalid("time"))?;
    let queue_id = get(3, "queue_id")?;
    let mail_id = get(4, "mail_id")?;
    let size = get(5, "size")?;
    let action = get(6, "action")?;
    let delay = get(7, "delay")?;
    let ruleset = get(9, "ruleset")?;
    let rule = get(10, "rule")?;
    let details = url_decode_in(get(11, "details")?, arena);
    let sender = get(13, "sender")?;
    let recipients = get(14, "recipients")?;

    let mut e = MailEvent {
        time: Some(time),
        sender: dash_is_none(sender),
        recipients: recipients
            .split(',')
            .filter(|item| memchr(b'@', item.as_bytes()).is_some())
            .collect(),
        size: Some(digits(size).ok_or(invalid("size"))?),
        rule: dash_is_none(rule),
        ..MailEvent::default()
    };
    e.extra.push(("queue_id", queue_id));
    e.extra.push(("mail_id", mail_id));
    if delay != "0" && !delay.is_empty() {
        e.extra.push(("delay", delay));
    }
    if let Some(ruleset) = dash_is_none(ruleset) {
        e.extra.push(("ruleset", ruleset));
    }
    let markers = f
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i + 1, 11 | 13 | 14))
        .map(|(_, v)| *v)
        .chain([details]);
    dispose(&mut e, action, markers)?;
    Ok(e)
}

/// Sets `disposition` from the action code and the sanitisation names in `fields`, as
/// the module documentation describes.
fn dispose<'a>(
    e: &mut MailEvent<'a>,
    action: &'a str,
    fields: impl Iterator<Item = &'a str>,
) -> Result<(), ParseError> {
    let code = digits(action).ok_or(invalid("action"))?;
    e.extra.push(("action", action));
    let mut strongest: Option<usize> = None;
    for field in fields {
        for word in field.split([' ', ',', ';', '"']) {
            if let Some(rank) = SANITISATIONS.iter().position(|(name, _)| *name == word) {
                if !e.extra.iter().any(|(k, v)| *k == "sanitized" && *v == word) {
                    e.extra.push(("sanitized", word));
                }
                strongest = Some(strongest.map_or(rank, |s| s.min(rank)));
            }
        }
    }
    e.disposition = match code {
        1 | 9 => Some("rejected"),
        2 => Some("held"),
        0 | 4 | 8 => Some(strongest.map_or("passed", |rank| SANITISATIONS[rank].1)),
        _ => None,
    };
    Ok(())
}

/// `dd/Mon/yyyy:hh:mm:ss` without an offset: the date and the seconds of the day.
fn clf_local(s: &str) -> Option<((u64, u32, u32), i64)> {
    let b = s.as_bytes();
    if b.len() != 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let day = u32::try_from(digits(&s[..2])?).ok()?;
    let month = month(&b[3..6])?;
    let year = digits(&s[7..11])?;
    let (secs, rest) = clock(&s[12..])?;
    rest.is_empty().then_some(((year, month, day), secs))
}

/// `yyyy/m/d h:mm:ss` or `yyyy/mm/dd hh:mm:ss`.
fn slash_date_time(s: &str) -> Option<((u64, u32, u32), i64)> {
    let (date, time) = s.split_once(' ')?;
    let mut parts = date.split('/');
    let year = digits(parts.next().filter(|y| y.len() == 4)?)?;
    let month = u32::try_from(digits(parts.next().filter(|m| m.len() <= 2)?)?).ok()?;
    let day = u32::try_from(digits(parts.next().filter(|d| d.len() <= 2)?)?).ok()?;
    if parts.next().is_some() {
        return None;
    }
    let mut hms = time.split(':');
    let mut part = |max: u64| {
        hms.next()
            .filter(|p| (1..=2).contains(&p.len()))
            .and_then(digits)
            .filter(|v| *v <= max)
    };
    let (h, m, sec) = (part(23)?, part(59)?, part(60)?);
    if hms.next().is_some() {
        return None;
    }
    let secs = i64::try_from(h * 3600 + m * 60 + sec).ok()?;
    Some(((year, month, day), secs))
}

/// An IP address column: null when `-` or empty, an error when anything else.
fn ip(value: &str) -> Result<Option<&str>, ()> {
    match dash_is_none(value) {
        Some(v) => v.parse::<IpAddr>().map(|_| Some(v)).map_err(|_| ()),
        None => Ok(None),
    }
}

fn list(value: &str, separator: char) -> Vec<&str> {
    value
        .split(separator)
        .map(str::trim)
        .filter(|v| dash_is_none(v).is_some())
        .collect()
}

fn dash_is_none(value: &str) -> Option<&str> {
    (!value.is_empty() && value != "-").then_some(value)
}

fn missing(field: &'static str) -> ParseError {
    ParseError::MissingField {
        format: NAME,
        field,
    }
}

fn invalid(field: &'static str) -> ParseError {
    ParseError::InvalidField {
        format: NAME,
        field,
    }
}

/// Comma-separated values; a value that starts with `"` runs to the `"` before the next
/// comma (or the end) and is given without its quotes. Doubled quotes inside stay as
/// written: unescaping would need a copy, and `raw` keeps the line.
struct Fields<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        if let Some(quoted) = rest.strip_prefix('"') {
            let b = quoted.as_bytes();
            let mut search = 0;
            while let Some(i) = memchr(b'"', &b[search..]) {
                let close = search + i;
                match b.get(close + 1) {
                    None => {
                        self.rest = None;
                        return Some(&quoted[..close]);
                    }
                    Some(b',') => {
                        self.rest = Some(&quoted[close + 2..]);
                        return Some(&quoted[..close]);
                    }
                    Some(_) => search = close + 1,
                }
            }
            // No closing quote: the rest of the line is the value, as written.
            self.rest = None;
            return Some(rest);
        }
        match memchr(b',', rest.as_bytes()) {
            Some(comma) => {
                self.rest = Some(&rest[comma + 1..]);
                Some(&rest[..comma])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The sample lines are Digital Arts', from the FAQ pages cited in the module
    //! documentation, each on one line as the product writes it; the others are written
    //! from the column tables there.

    use proptest::prelude::*;

    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    /// FAQ 3681: an SMTP access line of Ver.5.
    const ACCESS_V5: &str = "19/Sep/2017:17:45:15,38,2017/9/19 17:45:15,group,192.168.244.181,user01@daj.co.jp,user02@daj.co.jp,0,0,2,0,0,0,\"Fri, 23 Jun 2017 10:35:53 +0900\",192.168.244.181,25,250 OK,DATA+,738,<51FB0943@dajtest.jp>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"txt\",0,-,-,-,0,NONE,0,0,OFF,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,attach.txt";

    /// FAQ 2585: an SMTP access line of Ver.3/4.
    const ACCESS_V4: &str = "02/Aug/2013:10:20:01,9999,2013/8/2 10:20:00,GroupA,192.168.2.46,user01@daj.jp,user02@daj.jp,0,0,0,0,0,0,\"Fri, 02 Aug 2013 10:20:03 +0900\",192.168.2.170,25,250 OK,DATA+,374,<51FB0943@dajtest.jp>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"-\",0,-,-,-,0";

    /// FAQ 3686: a communication log line of Ver.5.
    const COMMUNICATION: &str = "2017/09/19 17:45:17,19/Sep/2017:17:45:15,38,38_kVgK+WOW0HlRgB9xFlbXXw==,738,0,0,1505896997_0,ruleset,rule,%22-1%2C%2C%2C%2C%2C%2C%2C%22,1505896997_0,user01@daj.co.jp,\"1505896997_0,user02@daj.co.jp\",0,";

    #[test]
    fn vendor_access_sample_v5_field_by_field() {
        let arena = Bump::new();
        assert_eq!(
            parse_in(ACCESS_V5, TOKYO, &arena).unwrap(),
            MailEvent {
                // 17:45:15 in Tokyo is 08:45:15 UTC.
                time: Some(1_505_810_715_000_000),
                src_ip: Some("192.168.244.181"),
                dst_ip: Some("192.168.244.181"),
                sender: Some("user01@daj.co.jp"),
                recipients: vec!["user02@daj.co.jp"],
                size: Some(738),
                attachments: vec!["attach.txt"],
                message_id: Some("<51FB0943@dajtest.jp>"),
                disposition: Some("passed"),
                extra: vec![
                    ("queue_id", "38"),
                    ("group", "group"),
                    ("response", "250 OK"),
                    ("action", "0"),
                ],
                ..MailEvent::default()
            }
        );
    }

    #[test]
    fn vendor_access_sample_v4() {
        let arena = Bump::new();
        let e = parse_in(ACCESS_V4, TOKYO, &arena).unwrap();
        assert_eq!(e.time, Some(1_375_406_401_000_000));
        assert_eq!(e.src_ip, Some("192.168.2.46"));
        assert_eq!(e.dst_ip, Some("192.168.2.170"));
        assert_eq!(e.recipients, ["user02@daj.jp"]);
        assert_eq!(e.size, Some(374));
        assert!(e.attachments.is_empty());
        assert_eq!(e.disposition, Some("passed"));
    }

    #[test]
    fn vendor_communication_sample_field_by_field() {
        let arena = Bump::new();
        assert_eq!(
            parse_in(COMMUNICATION, TOKYO, &arena).unwrap(),
            MailEvent {
                time: Some(1_505_810_717_000_000),
                sender: Some("user01@daj.co.jp"),
                recipients: vec!["user02@daj.co.jp"],
                size: Some(738),
                rule: Some("rule"),
                disposition: Some("passed"),
                extra: vec![
                    ("queue_id", "38"),
                    ("mail_id", "38_kVgK+WOW0HlRgB9xFlbXXw=="),
                    ("ruleset", "ruleset"),
                    ("action", "0"),
                ],
                ..MailEvent::default()
            }
        );
    }

    #[test]
    fn action_codes_and_sanitisation_give_the_disposition() {
        let arena = Bump::new();
        let with_action =
            |code: &str| ACCESS_V5.replacen(",2,0,0,0,\"Fri", &format!(",2,{code},0,0,\"Fri"), 1);
        for (code, disposition) in [
            ("0", Some("passed")),
            ("4", Some("passed")),
            ("8", Some("passed")),
            ("2", Some("held")),
            ("1", Some("rejected")),
            ("9", Some("rejected")),
            ("7", None),
        ] {
            let line = with_action(code);
            let e = parse_in(&line, TOKYO, &arena).unwrap();
            assert_eq!(e.disposition, disposition, "{code}");
        }

        let sanitised = |actions: &str| ACCESS_V5.replace(",OFF,", &format!(",{actions},"));
        let cases = [
            ("CHG_TEXT", "text_converted"),
            ("CHG_TEXT REP_LINK", "text_converted"),
            ("DEL_ATTACH", "attachment_removed"),
            ("DEL_ATTACH CHG_TEXT REP_LINK", "attachment_removed"),
        ];
        for (actions, disposition) in cases {
            let line = sanitised(actions);
            let e = parse_in(&line, TOKYO, &arena).unwrap();
            assert_eq!(e.disposition, Some(disposition), "{actions}");
            for action in actions.split(' ') {
                assert!(e.extra.contains(&("sanitized", action)), "{actions}");
            }
        }
        // A held message stays held whatever its content would have become.
        let held = sanitised("DEL_ATTACH").replacen(",2,0,0,0,\"Fri", ",2,2,0,0,\"Fri", 1);
        assert_eq!(
            parse_in(&held, TOKYO, &arena).unwrap().disposition,
            Some("held")
        );

        // The sender writes the subject and file names, so they cannot claim a
        // sanitisation the gateway did not do.
        let claimed = ACCESS_V5.replace("attach.txt", "DEL_ATTACH");
        assert_eq!(
            parse_in(&claimed, TOKYO, &arena).unwrap().disposition,
            Some("passed")
        );

        let communication = COMMUNICATION.replace("%22-1%2C%2C", "%22-1%2CCHG_TEXT%2C");
        let e = parse_in(&communication, TOKYO, &arena).unwrap();
        assert_eq!(e.disposition, Some("text_converted"));
    }

    #[test]
    fn japanese_groups_and_several_recipients_and_attachments() {
        let arena = Bump::new();
        let line = ACCESS_V5
            .replace(",group,", ",総務部情報政策課,")
            .replace(
                ",user02@daj.co.jp,",
                ",a@city.example.lg.jp;b@city.example.lg.jp,",
            )
            .replace(",attach.txt", ",議事録.docx;予算.xlsx");
        let e = parse_in(&line, TOKYO, &arena).unwrap();
        assert!(e.extra.contains(&("group", "総務部情報政策課")));
        assert_eq!(
            e.recipients,
            ["a@city.example.lg.jp", "b@city.example.lg.jp"]
        );
        assert_eq!(e.attachments, ["議事録.docx", "予算.xlsx"]);

        let communication = COMMUNICATION.replace(
            "\"1505896997_0,user02@daj.co.jp\"",
            "\"1_0,a@city.example.lg.jp,2_0,b@city.example.lg.jp\"",
        );
        let e = parse_in(&communication, TOKYO, &arena).unwrap();
        assert_eq!(
            e.recipients,
            ["a@city.example.lg.jp", "b@city.example.lg.jp"]
        );
    }

    #[test]
    fn rejections_name_the_column() {
        let arena = Bump::new();
        let missing = |field| ParseError::MissingField {
            format: NAME,
            field,
        };
        let cut = &ACCESS_V5[..ACCESS_V5.find(",738,").unwrap()];
        assert_eq!(parse_in(cut, TOKYO, &arena), Err(missing("size")));
        assert_eq!(
            parse_in(&ACCESS_V5.replace(",738,", ",7x8,"), TOKYO, &arena),
            Err(invalid("size"))
        );
        assert_eq!(
            parse_in(
                &ACCESS_V5.replace(",192.168.244.181,user01", ",pc01,user01"),
                TOKYO,
                &arena
            ),
            Err(invalid("src_ip"))
        );
        assert_eq!(
            parse_in(
                &ACCESS_V5.replace("19/Sep/2017:17", "19/Sep/2017:27"),
                TOKYO,
                &arena
            ),
            Err(invalid("time"))
        );
        assert_eq!(
            parse_in(
                &COMMUNICATION.replace(",738,0,0,", ",738,x,0,"),
                TOKYO,
                &arena
            ),
            Err(invalid("action"))
        );
        assert_eq!(parse_in("hello", TOKYO, &arena), Err(invalid("time")));
    }

    #[test]
    fn quoted_values_hold_commas() {
        let fields: Vec<_> = Fields {
            rest: Some("a,\"b, c\",,\"d\"\"e\",\"f"),
        }
        .collect();
        assert_eq!(fields, ["a", "b, c", "", "d\"\"e", "\"f"]);
    }

    #[test]
    fn detection() {
        assert!(looks_like(ACCESS_V5));
        assert!(looks_like(ACCESS_V4));
        assert!(looks_like(COMMUNICATION));
        // The POP access log starts like the SMTP one but is not a mail delivery.
        assert!(!looks_like(
            "03/Aug/2023:11:32:55,1342,127.0.0.1,tanaka,\"Thu, 03 Aug 2023 11:07:42 +0900\""
        ));
        assert!(!looks_like("2026/11/26 09:30:00 HTTPS 10.30.4.20"));
        assert!(!looks_like(""));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let arena = Bump::new();
            let _ = looks_like(&s);
            let _ = parse_in(&s, TOKYO, &arena);
        }

        #[test]
        fn never_panics_on_field_shaped_noise(
            fields in proptest::collection::vec("[0-9A-Za-z@<>/:.\" _-]{0,10}", 0..60),
            communication in any::<bool>(),
        ) {
            let arena = Bump::new();
            let head = if communication {
                "2026/11/26 09:00:00,26/Nov/2026:09:00:00,"
            } else {
                "26/Nov/2026:09:00:00,1,2026/11/26 9:00:00,"
            };
            let line = format!("{head}{}", fields.join(","));
            let _ = parse_in(&line, TOKYO, &arena);
        }
    }
}
