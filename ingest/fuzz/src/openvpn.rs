//! OpenVPN: any text, with or without a program name, is accepted or rejected without
//! panicking, and whatever is accepted borrows from the message; a source address is an
//! IP address.

use sanso_ingest::parsers::openvpn;

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
    let _ = openvpn::looks_like(app, msg);
    let Ok(e) = openvpn::parse(msg) else {
        return;
    };
    for value in [e.user, e.src_ip]
        .into_iter()
        .flatten()
        .chain(e.extra.iter().map(|(_, v)| *v))
    {
        assert!(msg.contains(value), "{value:?} is not from {msg:?}");
    }
    if let Some(ip) = e.src_ip {
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip:?}");
    }
}
