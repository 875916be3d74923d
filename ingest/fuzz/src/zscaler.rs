//! Zscaler NSS JSON: any text is accepted or rejected without panicking, an accepted
//! object has at least one of the web fields, and every string of the event lies in the
//! line or in the arena (unescaped strings and rendered numbers).

use bumpalo::Bump;
use sanso_ingest::parsers::zscaler;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = zscaler::looks_like(msg);
    let mut arena = Bump::new();
    let spans: Vec<(usize, usize)> = match zscaler::parse(msg, &arena) {
        Ok(e) => {
            assert!(
                e.url.is_some() || e.method.is_some() || e.category.is_some(),
                "{msg:?}"
            );
            [
                e.src_ip,
                e.user,
                e.method,
                e.url,
                e.url_host,
                e.url_path,
                e.content_type,
                e.user_agent,
                e.category,
                e.dst_ip,
            ]
            .into_iter()
            .flatten()
            .chain(e.extra.iter().flat_map(|(k, v)| [*k, *v]))
            .filter(|s| !matches!(*s, "true" | "false"))
            .map(|s| (s.as_ptr() as usize, s.len()))
            .collect()
        }
        Err(_) => return,
    };
    let within = |(start, len): (usize, usize), base: usize, size: usize| {
        start >= base && start + len <= base + size
    };
    let chunks: Vec<(usize, usize)> = arena
        .iter_allocated_chunks()
        .map(|c| (c.as_ptr() as usize, c.len()))
        .collect();
    for span in spans {
        assert!(
            span.1 == 0
                || within(span, msg.as_ptr() as usize, msg.len())
                || chunks.iter().any(|&(base, size)| within(span, base, size)),
            "a value of {msg:?} is neither in the line nor in the arena"
        );
    }
}
