//! Digital Arts m-FILTER's SMTP access log (`logs/access/access.log`, Ver.5), as the
//! mail text relay writes it: one comma-separated line of 54 columns per message,
//! UTF-8 (`sanso_ingest::parsers::mfilter` documents each column).
//!
//! ```text
//! 26/Nov/2025:09:40:00,1038,2025/11/26 9:39:58,受信メール,198.51.100.25,info@example.co.jp,tanaka@city.omaezaki.lg.jp,0,0,2,0,0,0,"Wed, 26 Nov 2025 09:39:57 +0900",10.20.1.25,25,250 OK,DATA+,73800,<...@example.co.jp>,0,SYSTEM,,"",,0,0,"-",-1,-1,"-",0,"docx",0,-,-,-,0,NONE,0,0,DEL_ATTACH CHG_TEXT,,0,,,-1,-1,5,,0x0001,0x0001,0x0001,見積書.docx
//! ```
//!
//! What happened to the message is the action code (column 11: `0` sent on, `2` held,
//! `1` deleted) and, for a message sent on, the sanitisation m-FILTER applied (column
//! 42, the names it also writes to `X-MAIL-SANITIZED`): `CHG_TEXT` converts HTML mail to
//! text, `REP_LINK` disarms its links, `DEL_ATTACH` removes attachments. Columns the
//! demo has nothing to say about keep the values of the vendor's sample.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Asia::Tokyo;

/// PRI of m-FILTER lines forwarded by rsyslog's imfile: local0 (16) × 8 + notice (5),
/// imfile's default.
pub(crate) const MFILTER_PRI: u8 = 133;

/// The tag imfile gives the forwarded lines.
pub(crate) const MFILTER_TAG: &str = "mfilter";

/// The rule group every inbound message falls under.
const GROUP: &str = "受信メール";

/// What m-FILTER did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Sent on as text, links disarmed (`CHG_TEXT REP_LINK`).
    TextConverted,
    /// Sent on without its attachment, as text (`DEL_ATTACH CHG_TEXT`).
    AttachmentRemoved,
    /// Held for an administrator's review (action 2): suspected spam.
    Held,
    /// Deleted (action 1): spam.
    Rejected,
}

/// One SMTP access-log entry, without its time.
#[derive(Debug)]
pub(crate) struct MfilterEntry {
    /// The message's queue id.
    pub(crate) queue_id: u32,
    /// The server that handed the message over.
    pub(crate) src: Ipv4Addr,
    /// Where a message sent on went (the lgwan mail server).
    pub(crate) dst: Ipv4Addr,
    pub(crate) sender: &'static str,
    /// The recipients' addresses.
    pub(crate) recipients: Vec<String>,
    /// Bytes, attachments included.
    pub(crate) size: u64,
    /// The Message-ID header, without its angle brackets.
    pub(crate) message_id: String,
    /// The attachment's file name, if the message had one.
    pub(crate) attachment: Option<&'static str>,
    pub(crate) outcome: Outcome,
    /// How long before the line the message arrived (column 3) and was dated (column
    /// 14); whole seconds.
    pub(crate) received_before: TimeDelta,
}

impl MfilterEntry {
    /// The entry as m-FILTER writes it at `time`.
    pub(crate) fn line(&self, time: DateTime<Utc>) -> String {
        let written = time.with_timezone(&Tokyo);
        let received = (time - self.received_before).with_timezone(&Tokyo);
        let dated = (time - self.received_before - TimeDelta::seconds(1)).with_timezone(&Tokyo);
        let (action, sent_on, sanitised) = match self.outcome {
            Outcome::TextConverted => (0, true, "CHG_TEXT REP_LINK"),
            Outcome::AttachmentRemoved => (0, true, "DEL_ATTACH CHG_TEXT"),
            Outcome::Held => (2, false, "OFF"),
            Outcome::Rejected => (1, false, "OFF"),
        };
        let mut line = String::with_capacity(320);
        let _ = write!(
            line,
            "{},{},{},{GROUP},{},{},{},0,0,2,{action},0,0,\"{}\",",
            written.format("%d/%b/%Y:%H:%M:%S"),
            self.queue_id,
            received.format("%Y/%-m/%-d %-H:%M:%S"),
            self.src,
            self.sender,
            self.recipients.join(";"),
            dated.format("%a, %d %b %Y %H:%M:%S %z"),
        );
        if sent_on {
            let _ = write!(line, "{},25,250 OK,", self.dst);
        } else {
            line.push_str("-,25,-,");
        }
        let extension = self
            .attachment
            .and_then(|name| name.rsplit_once('.'))
            .map_or("-", |(_, ext)| ext);
        let _ = write!(
            line,
            "DATA+,{},<{}>,0,SYSTEM,,\"\",,0,0,\"-\",-1,-1,\"-\",0,\"{extension}\",0,-,-,-,0,NONE,0,0,{sanitised},,0,,,-1,-1,5,,0x0001,0x0001,0x0001,{}",
            self.size,
            self.message_id,
            self.attachment.unwrap_or(""),
        );
        line
    }
}
