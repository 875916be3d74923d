//! W3C extended: the input is a stream of lines through one layout state, so directives
//! and data lines interleave as in a file. No line panics; the values of an event borrow
//! from its line, except a URL joined in the arena from pieces of the line; the entry
//! point without an arena accepts exactly the lines the one with an arena accepts.

use bumpalo::Bump;
use sanso_ingest::parsers::w3c;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut state = w3c::W3cState::default();
    let mut without_arena = w3c::W3cState::default();
    let mut arena = Bump::new();
    for line in text.split('\n') {
        arena.reset();
        let _ = w3c::looks_like(&state, line);
        let joined = w3c::parse_in(&mut state, line, &arena);
        let plain = w3c::parse(&mut without_arena, line);
        assert_eq!(joined.is_ok(), plain.is_ok(), "{line:?}");
        let Ok(e) = joined else { continue };
        for value in [
            e.src_ip,
            e.user,
            e.method,
            e.url_host,
            e.url_path,
            e.user_agent,
            e.content_type,
            e.category,
            e.dst_ip,
            e.cache_result,
        ]
        .into_iter()
        .flatten()
        .chain(e.extra.iter().map(|(_, v)| *v))
        {
            assert!(line.contains(value), "{value:?} is not from {line:?}");
        }
        if let Some(url) = e.url {
            assert!(
                url.split(['/', ':', '?']).all(|piece| line.contains(piece)),
                "{url:?} is not made of {line:?}"
            );
        }
    }
}
