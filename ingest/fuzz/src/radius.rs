//! FreeRADIUS: any text, with or without a program name, is accepted or rejected without
//! panicking; whatever is accepted borrows from the message, and nothing after the `/`
//! of a logged `[user/password]` reaches a value.

use sanso_ingest::parsers::radius;

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
    let _ = radius::looks_like(app, msg);
    let Ok(e) = radius::parse(msg) else {
        return;
    };
    let values = [e.user, e.src_ip, e.src_host, e.dst_host];
    for value in values
        .into_iter()
        .flatten()
        .chain(e.extra.iter().map(|(_, v)| *v))
    {
        assert!(msg.contains(value), "{value:?} is not from {msg:?}");
    }
    if let Some(user) = e.user {
        let after_host = user
            .get(5..)
            .filter(|_| user[..5].eq_ignore_ascii_case("host/"));
        assert!(
            !after_host.unwrap_or(user).contains('/'),
            "{user:?} keeps a password part"
        );
    }
}
