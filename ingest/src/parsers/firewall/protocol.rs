//! IP protocol names as every firewall parser writes them: the lower-case IANA keyword
//! (`/etc/protocols` spelling, except ICMPv6, always `icmpv6`), whatever the vendor
//! logged (`TCP`, `6`, `icmp6`, `ipv6-icmp`).

/// The keyword of an IANA protocol number, for the protocols firewalls commonly log.
pub(crate) fn by_number(number: u8) -> Option<&'static str> {
    Some(match number {
        0 => "hopopt",
        1 => "icmp",
        2 => "igmp",
        4 => "ipencap",
        6 => "tcp",
        17 => "udp",
        33 => "dccp",
        41 => "ipv6",
        43 => "ipv6-route",
        44 => "ipv6-frag",
        46 => "rsvp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        59 => "ipv6-nonxt",
        60 => "ipv6-opts",
        88 => "eigrp",
        89 => "ospf",
        94 => "ipip",
        103 => "pim",
        108 => "ipcomp",
        112 => "carp",
        115 => "l2tp",
        132 => "sctp",
        136 => "udplite",
        240 => "pfsync",
        _ => return None,
    })
}

/// The keyword of a protocol name, in any case or spelling firewalls use.
pub(crate) fn by_name(name: &str) -> Option<&'static str> {
    const ALIASES: [(&str, &str); 21] = [
        ("tcp", "tcp"),
        ("udp", "udp"),
        ("icmp", "icmp"),
        ("icmp6", "icmpv6"),
        ("icmpv6", "icmpv6"),
        ("ipv6-icmp", "icmpv6"),
        ("igmp", "igmp"),
        ("gre", "gre"),
        ("esp", "esp"),
        ("ah", "ah"),
        ("sctp", "sctp"),
        ("ospf", "ospf"),
        ("eigrp", "eigrp"),
        ("pim", "pim"),
        ("ipv6", "ipv6"),
        ("vrrp", "vrrp"),
        ("carp", "carp"),
        ("udplite", "udplite"),
        ("dccp", "dccp"),
        ("l2tp", "l2tp"),
        ("pfsync", "pfsync"),
    ];
    ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, keyword)| *keyword)
}

/// The protocol column for a logged name or number: its keyword when it has one,
/// otherwise the value as logged (without allocating); `None` when nothing was logged.
pub(crate) fn normalise(value: &str) -> Option<&str> {
    if value.is_empty() {
        return None;
    }
    let keyword = match value.parse::<u8>() {
        Ok(number) => by_number(number),
        Err(_) => by_name(value),
    };
    Some(keyword.unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_meet_on_one_keyword() {
        for logged in ["6", "TCP", "tcp"] {
            assert_eq!(normalise(logged), Some("tcp"));
        }
        for logged in ["58", "icmp6", "ICMPv6", "ipv6-icmp"] {
            assert_eq!(normalise(logged), Some("icmpv6"));
        }
        assert_eq!(normalise("253"), Some("253"));
        assert_eq!(normalise("Experimental"), Some("Experimental"));
        assert_eq!(normalise(""), None);
    }
}
