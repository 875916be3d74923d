//! pfSense/OPNsense filterlog: any text is accepted or rejected without panicking, and
//! whatever is accepted borrows from the message.

use sanso_ingest::parsers::filterlog;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = filterlog::looks_like(None, msg);
    let _ = filterlog::looks_like(Some("filterlog"), msg);
    if let Ok(e) = filterlog::parse(msg) {
        let columns = [e.src_ip, e.dst_ip, e.rule, e.src_intf, e.dst_intf];
        for value in columns.into_iter().flatten() {
            assert!(msg.contains(value), "{value:?} is not from {msg:?}");
        }
        for (_, value) in &e.extra {
            assert!(msg.contains(value), "{value:?} is not from {msg:?}");
        }
    }
}
