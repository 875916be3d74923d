//! Zone membership: which of the three layers an address, a device or an interface
//! belongs to.
//!
//! The map is built once from configuration ([`ZoneConfig`]) and then only read. Address
//! ranges are kept as integer intervals, most specific first, so a lookup is a short scan
//! of integer comparisons with no allocation. Addresses in no configured range are
//! [`Zone::External`] when they are globally routable and unknown (`None`) otherwise, so a
//! private address that nobody mapped shows up as a gap in the configuration instead of
//! being silently filed under a zone.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Deserialize;

/// A network zone of the three-layer model (basic policy 6(3)), plus the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// 基幹系: individual-number and resident systems.
    Core,
    /// 情報系: the LGWAN-connected business zone.
    Lgwan,
    /// インターネット接続系: the internet-connected zone.
    Internet,
    /// Addresses outside the city's networks.
    External,
}

impl Zone {
    /// Every zone, in a stable order.
    pub const ALL: [Zone; 4] = [Zone::Core, Zone::Lgwan, Zone::Internet, Zone::External];

    /// The identifier used in tables, partitions and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Core => "core",
            Zone::Lgwan => "lgwan",
            Zone::Internet => "internet",
            Zone::External => "external",
        }
    }

    /// The policy's Japanese name, for dashboards and reports.
    pub fn display_name(self) -> &'static str {
        match self {
            Zone::Core => "基幹系",
            Zone::Lgwan => "情報系",
            Zone::Internet => "インターネット接続系",
            Zone::External => "外部",
        }
    }
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Zone::ALL
            .into_iter()
            .find(|z| z.as_str() == s)
            .ok_or_else(|| {
                format!("unknown zone `{s}` (expected core, lgwan, internet or external)")
            })
    }
}

/// The `[zones.<zone>]` tables of the configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Address ranges of the zone, e.g. `["10.10.0.0/16"]`; checked while reading so that
    /// a typo is reported at its line.
    #[serde(default, deserialize_with = "cidr_list")]
    pub cidrs: Vec<String>,
    /// Host names of devices that sit in the zone.
    #[serde(default)]
    pub devices: Vec<String>,
    /// Firewall interfaces or device zone names (PAN-OS zones, FortiGate `srcintf`) that
    /// face the zone.
    #[serde(default)]
    pub interfaces: Vec<String>,
}

/// A zone map could not be built from configuration.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// A CIDR string did not parse.
    #[error("zone `{zone}`: `{cidr}` is not a CIDR range such as 10.0.0.0/8 or fd00::/8")]
    BadCidr {
        /// The zone whose list holds it.
        zone: &'static str,
        /// The offending text.
        cidr: String,
    },
}

/// An address range (`10.0.0.0/8`, `fd00::/8`, or a single address) as inclusive integer
/// bounds. IPv4 is mapped into IPv6 space, so one pair of comparisons serves both
/// families and a range check costs no allocation.
///
/// The families stay apart all the same: an IPv4 address is only in a range of IPv4
/// addresses, whether written as such or in the mapped block (`::ffff:10.0.0.0/104`),
/// and never in a wider IPv6 range such as `::/0`. An address logged in mapped form
/// (`::ffff:10.1.2.3`) is the IPv4 address it maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    first: u128,
    last: u128,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDR/LEN` or a bare address; `None` for anything else.
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr.parse::<IpAddr>().ok()?, Some(len.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let (max, offset) = match addr {
            IpAddr::V4(_) => (32, 96),
            IpAddr::V6(_) => (128, 0),
        };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        let prefix = len + offset;
        let host_bits = 128 - u32::from(prefix);
        let mask = if host_bits == 128 {
            0
        } else {
            u128::MAX << host_bits
        };
        let first = ip_key(addr) & mask;
        Some(Cidr {
            first,
            last: first | !mask,
            prefix,
        })
    }

    /// Whether the range holds `ip`; see the [type docs](Self) on the two families.
    pub fn contains(&self, ip: IpAddr) -> bool {
        range_holds(self.first, self.last, ip_key(ip))
    }

    /// The first and last address of the range as [`ip_key`]s, for callers that merge
    /// or search ranges as integers.
    pub fn bounds(&self) -> (u128, u128) {
        (self.first, self.last)
    }
}

/// A configured range and the zone it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    cidr: Cidr,
    zone: Zone,
}

/// Resolves addresses, devices and interfaces to zones.
#[derive(Debug, Clone, Default)]
pub struct ZoneMap {
    ranges: Vec<Range>,
    devices: HashMap<String, Zone>,
    interfaces: HashMap<String, Zone>,
}

impl ZoneMap {
    /// Builds the map from the configured zones.
    pub fn new<'a>(
        zones: impl IntoIterator<Item = (Zone, &'a ZoneConfig)>,
    ) -> Result<Self, ZoneError> {
        let mut map = ZoneMap::default();
        for (zone, config) in zones {
            for cidr in &config.cidrs {
                let parsed = Cidr::parse(cidr).ok_or_else(|| ZoneError::BadCidr {
                    zone: zone.as_str(),
                    cidr: cidr.clone(),
                })?;
                map.ranges.push(Range { cidr: parsed, zone });
            }
            for device in &config.devices {
                map.devices.insert(device.to_ascii_lowercase(), zone);
            }
            for interface in &config.interfaces {
                map.interfaces.insert(interface.to_ascii_lowercase(), zone);
            }
        }
        // Most specific first: a /32 carved out of a /16 wins.
        map.ranges.sort_by_key(|r| std::cmp::Reverse(r.cidr.prefix));
        Ok(map)
    }

    /// The zone of an address given as text; `None` for text that is not an address or
    /// a private address in no configured range.
    pub fn zone_of_ip_str(&self, ip: &str) -> Option<Zone> {
        self.zone_of_ip(ip.parse().ok()?)
    }

    /// The zone of an address.
    pub fn zone_of_ip(&self, ip: IpAddr) -> Option<Zone> {
        if let Some(range) = self.ranges.iter().find(|r| r.cidr.contains(ip)) {
            return Some(range.zone);
        }
        is_global(ip).then_some(Zone::External)
    }

    /// The zone of a device by host name (case-insensitive), or by address when the
    /// name is one.
    pub fn zone_of_device(&self, device: &str) -> Option<Zone> {
        if let Some(zone) = self.devices.get(device) {
            return Some(*zone);
        }
        if device.bytes().any(|b| b.is_ascii_uppercase())
            && let Some(zone) = self.devices.get(&device.to_ascii_lowercase())
        {
            return Some(*zone);
        }
        device.parse().ok().and_then(|ip| self.zone_of_ip(ip))
    }

    /// The zone an interface or device-side zone name faces.
    pub fn zone_of_interface(&self, interface: &str) -> Option<Zone> {
        self.interfaces
            .get(interface)
            .or_else(|| self.interfaces.get(&interface.to_ascii_lowercase()))
            .copied()
    }
}

fn cidr_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let cidrs = Vec::<String>::deserialize(d)?;
    if let Some(bad) = cidrs.iter().find(|c| Cidr::parse(c).is_none()) {
        return Err(serde::de::Error::custom(format!(
            "`{bad}` is not a CIDR range such as 10.0.0.0/8 or fd00::/8"
        )));
    }
    Ok(cidrs)
}

/// An address as an integer in IPv6 space, IPv4 mapped to `::ffff:0:0/96`, so that one
/// comparison orders and ranges both families.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Whether the range of [`ip_key`]s `first..=last` holds `key`, the families kept apart
/// as [`Cidr`] describes: an IPv4 key only in a range that lies in the mapped block.
pub fn range_holds(first: u128, last: u128, key: u128) -> bool {
    let ipv4_range = is_mapped_ipv4(first) && is_mapped_ipv4(last);
    first <= key && key <= last && (ipv4_range || !is_mapped_ipv4(key))
}

/// Whether `key` (see [`ip_key`]) is an IPv4 address, in the mapped block `::ffff:0:0/96`.
pub fn is_mapped_ipv4(key: u128) -> bool {
    key >> 32 == 0xffff
}

/// Whether an address is routable on the internet. `Ipv4Addr::is_global` is unstable, so
/// the special-purpose blocks that matter for logs are listed here.
fn is_global(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            // 2000::/3 is the global unicast space; 2001:db8::/32 is documentation.
            (first & 0xe000) == 0x2000 && !(first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ZoneMap {
        let core = ZoneConfig {
            cidrs: vec!["10.10.0.0/16".into(), "10.20.5.7".into()],
            devices: vec!["fw-core".into()],
            interfaces: vec!["port1".into()],
        };
        let lgwan = ZoneConfig {
            cidrs: vec!["10.20.0.0/16".into(), "fd00:20::/32".into()],
            ..Default::default()
        };
        ZoneMap::new([(Zone::Core, &core), (Zone::Lgwan, &lgwan)]).unwrap()
    }

    #[test]
    fn most_specific_range_wins() {
        let m = map();
        assert_eq!(m.zone_of_ip_str("10.10.3.4"), Some(Zone::Core));
        assert_eq!(m.zone_of_ip_str("10.20.5.7"), Some(Zone::Core));
        assert_eq!(m.zone_of_ip_str("10.20.5.8"), Some(Zone::Lgwan));
        assert_eq!(m.zone_of_ip_str("fd00:20::1"), Some(Zone::Lgwan));
    }

    #[test]
    fn unmapped_private_is_unknown_and_public_is_external() {
        let m = map();
        assert_eq!(m.zone_of_ip_str("192.168.1.1"), None);
        assert_eq!(m.zone_of_ip_str("8.8.8.8"), Some(Zone::External));
        assert_eq!(m.zone_of_ip_str("2001:4860::8888"), Some(Zone::External));
        assert_eq!(m.zone_of_ip_str("2001:db8::1"), None);
        assert_eq!(m.zone_of_ip_str("not an ip"), None);
    }

    #[test]
    fn devices_and_interfaces_ignore_case() {
        let m = map();
        assert_eq!(m.zone_of_device("FW-CORE"), Some(Zone::Core));
        assert_eq!(m.zone_of_device("10.10.0.1"), Some(Zone::Core));
        assert_eq!(m.zone_of_interface("Port1"), Some(Zone::Core));
        assert_eq!(m.zone_of_interface("port2"), None);
    }

    #[test]
    fn cidrs_are_integer_ranges_for_both_families() {
        let v4 = Cidr::parse("10.10.0.0/16").unwrap();
        assert!(v4.contains("10.10.255.255".parse().unwrap()));
        assert!(!v4.contains("10.11.0.0".parse().unwrap()));
        // An IPv4 range never matches an IPv6 address that happens to share bits.
        assert!(!v4.contains("::a0a:1".parse().unwrap()));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        // The families stay apart: `::/0` is every IPv6 address and no IPv4 one, while
        // an address logged in mapped form is the IPv4 address it maps.
        let all_v6 = Cidr::parse("::/0").unwrap();
        assert!(all_v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!all_v6.contains("10.10.0.1".parse().unwrap()));
        assert!(!all_v6.contains("::ffff:10.10.0.1".parse().unwrap()));
        assert!(v4.contains("::ffff:10.10.0.1".parse().unwrap()));
        assert!(
            Cidr::parse("::ffff:10.10.0.0/112")
                .unwrap()
                .contains("10.10.3.4".parse().unwrap())
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("192.0.2.1")
                .unwrap()
                .contains("192.0.2.1".parse().unwrap())
        );
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "",
            "x/8",
            "10.0.0.0/",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bad_cidr_names_zone_and_text() {
        let bad = ZoneConfig {
            cidrs: vec!["10.0.0.0/33".into()],
            ..Default::default()
        };
        let err = ZoneMap::new([(Zone::Internet, &bad)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "zone `internet`: `10.0.0.0/33` is not a CIDR range such as 10.0.0.0/8 or fd00::/8"
        );
    }
}
