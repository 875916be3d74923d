//! Combined: any text is accepted or rejected without panicking, and the text values of
//! an accepted line borrow from it.

use sanso_ingest::parsers::combined;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = combined::looks_like(msg);
    let Ok(e) = combined::parse(msg) else {
        return;
    };
    for value in [
        e.src_ip,
        e.user,
        e.method,
        e.url,
        e.url_host,
        e.url_path,
        e.user_agent,
        e.cache_result,
    ]
    .into_iter()
    .flatten()
    .chain(e.extra.iter().map(|(_, v)| *v))
    {
        assert!(msg.contains(value), "{value:?} is not from {msg:?}");
    }
}
