//! PAN-OS: any text is accepted or rejected without panicking; an accepted record's
//! addresses are addresses, its action one of the four verdicts, and every value it puts
//! in `extra` borrows from the message.

use std::net::IpAddr;

use sanso_ingest::parsers::panos;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = panos::looks_like(msg);
    if let Ok(e) = panos::parse(msg) {
        for ip in [e.src_ip, e.dst_ip, e.nat_src_ip, e.nat_dst_ip]
            .into_iter()
            .flatten()
        {
            assert!(ip.parse::<IpAddr>().is_ok(), "{ip:?}");
        }
        assert!(matches!(
            e.action,
            None | Some("allow" | "deny" | "drop" | "reset")
        ));
        let range = msg.as_bytes().as_ptr_range();
        for (_, value) in &e.extra {
            assert!(
                range.contains(&value.as_ptr()),
                "{value:?} is not from {msg:?}"
            );
        }
    }
}
