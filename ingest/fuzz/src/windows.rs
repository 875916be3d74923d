//! Windows Security events: any text (JSON, XML or neither) is accepted or rejected
//! without panicking, an accepted event has a mapped event code, and every value either
//! borrows from the message or, when the message escapes it (JSON `\`, XML `&`), comes
//! from the arena.

use bumpalo::Bump;
use sanso_ingest::parsers::windows;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = windows::looks_like(msg);
    let arena = Bump::new();
    let Ok(e) = windows::parse(msg, &arena) else {
        return;
    };
    assert!(e.event_code.is_some(), "{msg:?}");
    let escapes = msg.contains('\\') || msg.contains('&');
    let values = [e.user, e.user_domain, e.src_ip, e.src_host, e.dst_host];
    for value in values
        .into_iter()
        .flatten()
        .chain(e.extra.iter().map(|(_, v)| *v))
    {
        assert!(
            escapes || msg.contains(value),
            "{value:?} is not from {msg:?}"
        );
    }
    if let Some(ip) = e.src_ip {
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip:?}");
    }
}
