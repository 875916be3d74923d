//! Cisco ASA/FTD: any text, with or without the tag split off as the syslog program
//! name, is accepted or rejected without panicking, and whatever is accepted borrows
//! from the message.

use sanso_ingest::parsers::cisco_asa;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A first line, when there is one, plays the syslog program name.
    let (app, msg) = match text.split_once('\n') {
        Some((app, msg)) => (Some(app), msg),
        None => (None, text),
    };
    let _ = cisco_asa::looks_like(app, msg);
    if let Ok(e) = cisco_asa::parse(app, msg) {
        let columns = [
            e.src_ip,
            e.dst_ip,
            e.rule,
            e.src_intf,
            e.dst_intf,
            e.nat_src_ip,
            e.nat_dst_ip,
        ];
        for value in columns.into_iter().flatten() {
            assert!(msg.contains(value), "{value:?} is not from {msg:?}");
        }
    }
}
