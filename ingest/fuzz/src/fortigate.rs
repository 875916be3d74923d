//! FortiGate: any text is accepted or rejected without panicking; an accepted line's
//! addresses are addresses, its action one of the four verdicts, and every value it
//! puts in `extra` borrows from the message.

use std::net::IpAddr;

use sanso_ingest::event::Event;
use sanso_ingest::parsers::fortigate;

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(msg) = std::str::from_utf8(data) else {
        return;
    };
    let _ = fortigate::looks_like(msg);
    let borrowed = |s: &str| s.is_empty() || msg.as_bytes().as_ptr_range().contains(&s.as_ptr());
    match fortigate::parse(msg) {
        Ok(Event::Network(e)) => {
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
            for (key, value) in &e.extra {
                assert!(
                    borrowed(key) && borrowed(value),
                    "{key:?}={value:?} is not from {msg:?}"
                );
            }
        }
        Ok(Event::Auth(e)) => {
            assert!(matches!(e.outcome, None | Some("success" | "failure")));
            for (key, value) in &e.extra {
                assert!(
                    borrowed(key) && borrowed(value),
                    "{key:?}={value:?} is not from {msg:?}"
                );
            }
        }
        Ok(Event::Http(_) | Event::Mail(_)) => {
            panic!("FortiGate lines are network or auth events")
        }
        Err(_) => {}
    }
}
