//! CEF: any text is accepted or rejected without panicking by both entry points, which
//! agree on what they accept; the values the escape-keeping entry point puts in `extra`
//! borrow from the message.

use bumpalo::Bump;
use sanso_ingest::event::Event;
use sanso_ingest::parsers::cef;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cef::looks_like(msg);
    let kept = cef::parse(msg);
    let arena = Bump::new();
    let unescaped = cef::parse_in(msg, &arena);
    assert_eq!(kept.is_ok(), unescaped.is_ok(), "{msg:?}");
    if let Ok(Event::Network(e)) = kept {
        for (_, value) in &e.extra {
            assert!(msg.contains(value), "{value:?} is not from {msg:?}");
        }
    }
}
