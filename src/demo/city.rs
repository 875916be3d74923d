//! The simulated city: zones, devices, address plan, staff and the sites they visit.
//!
//! Everything here is static data plus a few address helpers. The address plan follows the
//! embedded example configuration (`src/default-config.toml`): each zone owns a /16, split
//! the same way in every zone so that a reader can tell a host's role from its address:
//!
//! ```text
//! 10.Z.1.0/24      server segment (gateway .1)
//!                  .5 domain controller (DNS, Kerberos, LDAP)   .8 proxy (Squid)
//!                  .9 web filter proxy (internet: i-FILTER)   .11 srv-*01 (SSH)
//!                  .20 file server  .25 mail  .30 business web app  .31 database  .40 print
//!                  .50 admin jump host (core, lgwan)  .60 monitoring (Nagios)  .61 backup
//!                  .70 MFA RADIUS server (core: mfa-core01)
//!                  .100–.199 other servers
//! 10.Z.2.0/23      staff terminals, Windows, from 10.Z.2.11 (gateway .2.1); the first,
//!                  10.Z.2.11, is the shared terminal whose Security log is collected
//!                  (term-core, term-lgwan01)
//! Z = 10 core (基幹系), 20 lgwan (LGWAN接続系), 30 internet (インターネット接続系)
//!
//! 10.30.5.0/24     sanitisation DMZ on its own firewall port (無害化通信):
//!                  .10 screen transfer (画面転送)  .20 file sanitiser  .25 mail text relay
//!                  (m-FILTER: mfilter-gw)
//! 198.51.100.0/24  the prefecture's security cloud (自治体情報セキュリティクラウド):
//!                  .10 web proxy  .25 mail relay  .53 DNS
//! 172.16.0.0/12    the LGWAN backbone and its ASP services, reached only by proxy-lgwan,
//!                  and 172.31.10.10 the intermediate server (中間サーバー), core's one
//!                  allowlisted partner, reached by core's application server on 443
//! 203.0.113.0/24   the maintenance vendors' offices, whose SSL-VPN lands on fw-lgwan
//! 192.0.2.0/24     somewhere on the Internet (only attack scenarios go there)
//! ```
//!
//! Outside addresses are documentation or private ranges, so a demo run never points an
//! analyst at a real party; the one exception is 8.8.8.8, the public resolver that a
//! misconfigured internet-zone terminal tries and the firewall blocks.

use std::net::Ipv4Addr;

/// A zone of the three-layer model; `id()` is the zone id used in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Zone {
    Core,
    Lgwan,
    Internet,
}

/// Host numbers in every zone's server segment `10.Z.1.0/24`.
pub(crate) mod host {
    pub(crate) const DC: u8 = 5;
    pub(crate) const PROXY: u8 = 8;
    /// i-FILTER, the internet zone's second proxy (see [`IFILTER_INET`](super::IFILTER_INET)).
    pub(crate) const WEB_FILTER: u8 = 9;
    pub(crate) const SSH_SERVER: u8 = 11;
    pub(crate) const FILE: u8 = 20;
    pub(crate) const MAIL: u8 = 25;
    pub(crate) const APP: u8 = 30;
    pub(crate) const DB: u8 = 31;
    pub(crate) const PRINT: u8 = 40;
    pub(crate) const JUMP: u8 = 50;
    pub(crate) const MONITORING: u8 = 60;
    pub(crate) const BACKUP: u8 = 61;
    /// The MFA server that checks one-time codes over RADIUS (core only).
    pub(crate) const MFA: u8 = 70;
    /// Servers that never appear in ordinary traffic; a compromised one is the source of a
    /// lateral attack where terminals could not reach the target (core and lgwan servers
    /// accept SSH only from the server segment).
    pub(crate) const OTHER_SERVERS: std::ops::RangeInclusive<u8> = 100..=199;
}

/// Screen-transfer gateway (画面転送): lgwan terminals browse the Internet through it.
pub(crate) const SCREEN_TRANSFER: Ipv4Addr = Ipv4Addr::new(10, 30, 5, 10);
/// File sanitiser: lgwan terminals fetch sanitised copies of Internet files from it.
pub(crate) const FILE_SANITISER: Ipv4Addr = Ipv4Addr::new(10, 30, 5, 20);
/// Mail text relay: forwards Internet mail, reduced to text, to the lgwan mail server.
pub(crate) const MAIL_RELAY: Ipv4Addr = Ipv4Addr::new(10, 30, 5, 25);
/// The one public-sector partner on core's allowlist: J-LIS's intermediate server
/// platform (中間サーバー・プラットフォーム), which core's business application server
/// reaches over LGWAN on [`PARTNER_PORT`] and nothing else.
pub(crate) const PARTNER: Ipv4Addr = Ipv4Addr::new(172, 31, 10, 10);
/// The port of [`PARTNER`]'s allowlisted tuple.
pub(crate) const PARTNER_PORT: u16 = 443;
/// The security cloud's web proxy, proxy-inet's only parent.
pub(crate) const CLOUD_PROXY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
/// The security cloud's mail relay.
pub(crate) const CLOUD_MAIL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 25);
/// The security cloud's DNS resolver, the internet zone DC's forwarder.
pub(crate) const CLOUD_DNS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 53);

/// First host number of the terminal range (10.Z.2.1 is the firewall, the rest is DHCP
/// reservations for printers and the like).
const TERMINAL_FIRST: usize = 11;

impl Zone {
    pub(crate) const ALL: [Zone; 3] = [Zone::Core, Zone::Lgwan, Zone::Internet];

    /// The zone id of the configuration (`core`, `lgwan`, `internet`).
    pub(crate) fn id(self) -> &'static str {
        match self {
            Zone::Core => "core",
            Zone::Lgwan => "lgwan",
            Zone::Internet => "internet",
        }
    }

    /// Second octet of the zone's /16.
    pub(crate) const fn octet(self) -> u8 {
        match self {
            Zone::Core => 10,
            Zone::Lgwan => 20,
            Zone::Internet => 30,
        }
    }

    /// The zone's CIDR as the configuration writes it.
    #[cfg(test)]
    pub(crate) fn cidr(self) -> String {
        format!("10.{}.0.0/16", self.octet())
    }

    /// A host in the zone's server segment.
    pub(crate) const fn server(self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, self.octet(), 1, host)
    }

    /// How many staff terminals the zone has: most staff work in lgwan, the internet zone
    /// serves the few who need the web directly, core is the counter staff.
    pub(crate) const fn terminal_count(self) -> usize {
        match self {
            Zone::Core => 160,
            Zone::Lgwan => 300,
            Zone::Internet => 200,
        }
    }

    /// The `i`-th staff terminal, counting from 10.Z.2.11 across the /23.
    pub(crate) fn terminal(self, i: usize) -> Ipv4Addr {
        debug_assert!(i < self.terminal_count());
        let n = TERMINAL_FIRST + i;
        Ipv4Addr::new(10, self.octet(), 2 + (n / 256) as u8, (n % 256) as u8)
    }

    /// Broadcast address of the terminal /23, where Windows NetBIOS chatter goes.
    pub(crate) const fn terminal_broadcast(self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.octet(), 3, 255)
    }

    /// The zone's boundary firewall.
    pub(crate) fn firewall(self) -> &'static Device {
        match self {
            Zone::Core => &FW_CORE,
            Zone::Lgwan => &FW_LGWAN,
            Zone::Internet => &FW_INET,
        }
    }

    /// The zone's Linux server that writes auth.log.
    pub(crate) fn ssh_server(self) -> &'static Device {
        match self {
            Zone::Core => &SRV_CORE,
            Zone::Lgwan => &SRV_LGWAN,
            Zone::Internet => &SRV_INET,
        }
    }

    /// Staff who administer the zone's server, as (account, uid). Core and lgwan admins
    /// log in from the jump host, internet zone admins from their own terminals.
    pub(crate) fn admins(self) -> &'static [(&'static str, u32)] {
        match self {
            Zone::Core => &[("tanaka", 1001), ("suzuki", 1002), ("sato", 1003)],
            Zone::Lgwan => &[
                ("takahashi", 1001),
                ("watanabe", 1002),
                ("ito", 1003),
                ("yamamoto", 1004),
            ],
            Zone::Internet => &[
                ("nakamura", 1001),
                ("kobayashi", 1002),
                ("kato", 1003),
                ("yoshida", 1004),
            ],
        }
    }

    /// The zone's Windows administrator accounts: each admin's own `adm-` account,
    /// apart from the personal one they log on with at a console (core and lgwan; the
    /// internet zone's terminals are not collected).
    pub(crate) fn windows_admins(self) -> &'static [&'static str] {
        match self {
            Zone::Core => &["adm-tanaka", "adm-suzuki", "adm-sato"],
            Zone::Lgwan => &["adm-takahashi", "adm-watanabe", "adm-ito", "adm-yamamoto"],
            Zone::Internet => &[],
        }
    }

    /// The NetBIOS name of the zone's admin jump host (10.Z.1.50).
    pub(crate) fn jump_host_netbios(self) -> &'static str {
        match self {
            Zone::Core => "JUMP-CORE",
            Zone::Lgwan => "JUMP-LGWAN",
            Zone::Internet => "JUMP-INET",
        }
    }

    /// The zone a city address belongs to, by the configured /16s.
    pub(crate) fn of(ip: Ipv4Addr) -> Option<Zone> {
        let [a, b, _, _] = ip.octets();
        if a != 10 {
            return None;
        }
        Zone::ALL.into_iter().find(|z| z.octet() == b)
    }
}

/// Is `ip` a staff terminal (10.Z.2.0/23)? Terminals run Windows, which shows in TTLs.
pub(crate) fn is_terminal(ip: Ipv4Addr) -> bool {
    let [a, _, c, _] = ip.octets();
    a == 10 && (c == 2 || c == 3)
}

/// What a device is, which decides its log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Role {
    /// A zone firewall; its vendor decides what it logs and when (see `firewall.rs`).
    Firewall(Vendor),
    /// Squid: native access.log.
    Proxy,
    /// Linux server: OpenSSH, PAM, sudo and cron in auth.log.
    Server,
    /// Windows terminal: Security events, shipped by winlogbeat.
    Terminal,
    /// FreeRADIUS checking one-time codes: radius.log, forwarded by rsyslog.
    Mfa,
    /// i-FILTER: its access log, in the default layout.
    WebFilter,
    /// m-FILTER: the SMTP access log of the mail it sanitises.
    MailGateway,
}

/// The make of a zone firewall. Cities often run a different one per zone, and so does
/// the demo, so that one run exercises three firewall formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Vendor {
    /// Linux router with UFW: netfilter LOG lines through the kernel log.
    Netfilter,
    /// FortiGate: key=value traffic logs.
    Fortigate,
    /// Palo Alto Networks PAN-OS: CSV traffic logs.
    Panos,
}

/// A device that writes a log file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Device {
    pub(crate) name: &'static str,
    pub(crate) zone: Zone,
    /// The file the device's lines go to in `sanso demo --out`.
    pub(crate) file: &'static str,
    pub(crate) role: Role,
    /// The long-running process's pid: squid on proxies, i-FILTER's on the web filter,
    /// systemd-logind on servers, the svchost.exe that hosts the logon service on
    /// terminals.
    pub(crate) pid: u32,
}

const fn device(
    name: &'static str,
    zone: Zone,
    file: &'static str,
    role: Role,
    pid: u32,
) -> Device {
    Device {
        name,
        zone,
        file,
        role,
        pid,
    }
}

pub(crate) static FW_CORE: Device = device(
    "fw-core",
    Zone::Core,
    "fw-core.log",
    Role::Firewall(Vendor::Netfilter),
    0,
);
pub(crate) static FW_LGWAN: Device = device(
    "fw-lgwan",
    Zone::Lgwan,
    "fw-lgwan.log",
    Role::Firewall(Vendor::Fortigate),
    0,
);
pub(crate) static FW_INET: Device = device(
    "fw-inet",
    Zone::Internet,
    "fw-inet.log",
    Role::Firewall(Vendor::Panos),
    0,
);
pub(crate) static PROXY_LGWAN: Device = device(
    "proxy-lgwan",
    Zone::Lgwan,
    "proxy-lgwan-access.log",
    Role::Proxy,
    1187,
);
pub(crate) static PROXY_INET: Device = device(
    "proxy-inet",
    Zone::Internet,
    "proxy-inet-access.log",
    Role::Proxy,
    1342,
);
pub(crate) static SRV_CORE: Device = device(
    "srv-core01",
    Zone::Core,
    "srv-core01-auth.log",
    Role::Server,
    612,
);
pub(crate) static SRV_LGWAN: Device = device(
    "srv-lgwan01",
    Zone::Lgwan,
    "srv-lgwan01-auth.log",
    Role::Server,
    598,
);
pub(crate) static SRV_INET: Device = device(
    "srv-inet01",
    Zone::Internet,
    "srv-inet01-auth.log",
    Role::Server,
    605,
);
pub(crate) static TERM_CORE: Device = device(
    "term-core",
    Zone::Core,
    "term-core-security.log",
    Role::Terminal,
    1060,
);
pub(crate) static TERM_LGWAN: Device = device(
    "term-lgwan01",
    Zone::Lgwan,
    "term-lgwan01-security.log",
    Role::Terminal,
    988,
);
pub(crate) static MFA_CORE: Device = device(
    "mfa-core01",
    Zone::Core,
    "mfa-core01-radius.log",
    Role::Mfa,
    0,
);

/// The first internet-zone terminal that browses through i-FILTER rather than Squid
/// (see [`IFILTER_INET`]).
pub(crate) const IFILTER_CLIENTS: Ipv4Addr = Ipv4Addr::new(10, 30, 2, 128);

/// i-FILTER on 10.30.1.9: the web filter the city is moving the internet zone to. The
/// terminals from 10.30.2.128 up already browse through it (their PAC file says so), the
/// others still through proxy-inet; both forward to the security cloud.
pub(crate) static IFILTER_INET: Device = device(
    "ifilter-inet",
    Zone::Internet,
    "ifilter-inet-access.log",
    Role::WebFilter,
    4872,
);
/// m-FILTER on the mail text relay ([`MAIL_RELAY`]): inbound mail from the security
/// cloud, sanitised before it goes on to the lgwan mail server.
pub(crate) static MFILTER_GW: Device = device(
    "mfilter-gw",
    Zone::Internet,
    "mfilter-gw-access.log",
    Role::MailGateway,
    0,
);

/// Every device the demo writes, in file order.
pub(crate) static DEVICES: [&Device; 13] = [
    &FW_CORE,
    &FW_LGWAN,
    &FW_INET,
    &PROXY_LGWAN,
    &PROXY_INET,
    &SRV_CORE,
    &SRV_LGWAN,
    &SRV_INET,
    &TERM_CORE,
    &TERM_LGWAN,
    &MFA_CORE,
    &IFILTER_INET,
    &MFILTER_GW,
];

/// A Windows terminal whose Security log the demo writes: a shared terminal (the
/// counter terminal of the resident services desk on core, a shared office terminal on
/// lgwan) that staff log on to in turn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowsTerminal {
    pub(crate) dev: &'static Device,
    pub(crate) ip: Ipv4Addr,
    /// The NetBIOS name Windows writes in `WorkstationName`.
    pub(crate) netbios: &'static str,
}

/// The zone's collected Windows terminal, the first of its terminal range; the
/// internet zone has none.
pub(crate) fn windows_terminal(zone: Zone) -> Option<WindowsTerminal> {
    let (dev, netbios) = match zone {
        Zone::Core => (&TERM_CORE, "TERM-CORE"),
        Zone::Lgwan => (&TERM_LGWAN, "TERM-LGWAN01"),
        Zone::Internet => return None,
    };
    Some(WindowsTerminal {
        dev,
        ip: zone.terminal(0),
        netbios,
    })
}

/// The Windows domain the terminals and staff accounts belong to.
pub(crate) const DOMAIN: &str = "OMAEZAKI";

/// Surnames for terminal owners, as the proxies' authenticated user names.
pub(crate) const SURNAMES: [&str; 36] = [
    "tanaka",
    "suzuki",
    "sato",
    "takahashi",
    "watanabe",
    "ito",
    "yamamoto",
    "nakamura",
    "kobayashi",
    "kato",
    "yoshida",
    "yamada",
    "sasaki",
    "yamaguchi",
    "matsumoto",
    "inoue",
    "kimura",
    "hayashi",
    "shimizu",
    "yamazaki",
    "mori",
    "abe",
    "ikeda",
    "hashimoto",
    "ishikawa",
    "ogawa",
    "maeda",
    "okada",
    "hasegawa",
    "fujita",
    "goto",
    "kondo",
    "murakami",
    "endo",
    "aoki",
    "sakamoto",
];

/// The staff member who usually sits at a terminal (fixed per address).
pub(crate) fn owner(ip: Ipv4Addr) -> &'static str {
    let [_, b, c, d] = ip.octets();
    let n = usize::from(b) * 7 + usize::from(c) * 256 + usize::from(d);
    SURNAMES[n % SURNAMES.len()]
}

/// How a proxy reaches a site, which decides what Squid can see and log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// HTTPS passed through as a CONNECT tunnel: one line, host and port only.
    Tunnel,
    /// HTTPS decrypted by ssl-bump: full `https://` URLs, one line per request.
    Bumped,
    /// Plain HTTP.
    Plain,
    /// Blocked by the proxy's policy: `TCP_DENIED/403`.
    Denied,
}

/// A site the staff visit, with the pages they ask for. Paths ending in `.html` or `/`
/// (and search pages) pull in sub-resources.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) host: &'static str,
    pub(crate) access: Access,
    pub(crate) weight: u32,
    /// (path, content type) of the pages requested directly.
    pub(crate) pages: &'static [(&'static str, &'static str)],
    /// A path that takes ordinary POSTs (a search beacon, a form), if any.
    pub(crate) post: Option<&'static str>,
    /// The origin's address, for sites reached directly (lgwan); internet sites go
    /// through the security cloud, so Squid logs the parent instead.
    pub(crate) addr: Option<Ipv4Addr>,
}

const HTML: &str = "text/html";

/// What internet-zone staff browse, through proxy-inet and the security cloud.
pub(crate) static INTERNET_SITES: [Site; 17] = [
    Site {
        host: "www.google.co.jp",
        access: Access::Bumped,
        weight: 14,
        pages: &[
            (
                "/search?q=%E5%BE%A1%E5%89%8D%E5%B4%8E%E5%B8%82+%E5%A4%A9%E6%B0%97",
                HTML,
            ),
            (
                "/search?q=%E3%83%9E%E3%82%A4%E3%83%8A%E3%83%B3%E3%83%90%E3%83%BC",
                HTML,
            ),
            ("/search?q=LGWAN+%E7%84%A1%E5%AE%B3%E5%8C%96", HTML),
            (
                "/complete/search?client=chrome&q=%E7%A8%8E",
                "application/json",
            ),
        ],
        post: Some("/gen_204"),
        addr: None,
    },
    Site {
        host: "www.yahoo.co.jp",
        access: Access::Bumped,
        weight: 8,
        pages: &[("/", HTML)],
        post: None,
        addr: None,
    },
    Site {
        host: "news.yahoo.co.jp",
        access: Access::Bumped,
        weight: 6,
        pages: &[
            ("/topics/top-picks", HTML),
            ("/categories/domestic", HTML),
            ("/categories/local", HTML),
        ],
        post: None,
        addr: None,
    },
    Site {
        host: "www3.nhk.or.jp",
        access: Access::Bumped,
        weight: 5,
        pages: &[("/news/", HTML), ("/news/catnew.html", HTML)],
        post: None,
        addr: None,
    },
    Site {
        host: "www.city.omaezaki.shizuoka.jp",
        access: Access::Bumped,
        weight: 6,
        pages: &[
            ("/index.html", HTML),
            ("/kurashi/index.html", HTML),
            ("/shisei/index.html", HTML),
        ],
        post: Some("/cgi-bin/inquiry/form.cgi"),
        addr: None,
    },
    Site {
        host: "www.pref.shizuoka.jp",
        access: Access::Tunnel,
        weight: 5,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.e-gov.go.jp",
        access: Access::Tunnel,
        weight: 4,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.soumu.go.jp",
        access: Access::Tunnel,
        weight: 4,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.digital.go.jp",
        access: Access::Tunnel,
        weight: 3,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.jma.go.jp",
        access: Access::Tunnel,
        weight: 3,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "login.microsoftonline.com",
        access: Access::Tunnel,
        weight: 4,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "ctldl.windowsupdate.com",
        access: Access::Plain,
        weight: 3,
        pages: &[
            (
                "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
                "application/vnd.ms-cab-compressed",
            ),
            (
                "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab",
                "application/vnd.ms-cab-compressed",
            ),
        ],
        post: None,
        addr: None,
    },
    Site {
        host: "ocsp.digicert.com",
        access: Access::Plain,
        weight: 3,
        pages: &[(
            "/MFEwTzBNMEswSTAJBgUrDgMCGgUABBTrjrydRyt%2BApF3GSPypfHBxR5XtQQUs9tIpPmhxdiuNkHMEWNpYim8S8YCEAI5PUjXAkJafLQcAAsO18o%3D",
            "application/ocsp-response",
        )],
        post: None,
        addr: None,
    },
    Site {
        host: "download.windowsupdate.com",
        access: Access::Plain,
        weight: 2,
        pages: &[(
            "/d/msdownload/update/software/defu/2025/11/am_delta_patch_1.441.210.0_8b4c2f9a.exe",
            "application/octet-stream",
        )],
        post: None,
        addr: None,
    },
    // Online storage and video sites are outside the city's acceptable-use policy.
    Site {
        host: "www.dropbox.com",
        access: Access::Denied,
        weight: 1,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "mega.nz",
        access: Access::Denied,
        weight: 1,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.nicovideo.jp",
        access: Access::Denied,
        weight: 1,
        pages: &[],
        post: None,
        addr: None,
    },
];

/// What lgwan staff use through proxy-lgwan: LGWAN-ASP services on the LGWAN backbone
/// (host names are illustrative). Internet sites are refused: lgwan has no route out.
pub(crate) static LGWAN_SITES: [Site; 7] = [
    Site {
        host: "portal.lgwan.jp",
        access: Access::Plain,
        weight: 8,
        pages: &[("/", HTML), ("/info/index.html", HTML)],
        post: None,
        addr: Some(Ipv4Addr::new(172, 20, 1, 10)),
    },
    Site {
        host: "www.j-lis.lgwan.jp",
        access: Access::Plain,
        weight: 4,
        pages: &[("/index.html", HTML), ("/news/index.html", HTML)],
        post: None,
        addr: Some(Ipv4Addr::new(172, 20, 3, 21)),
    },
    Site {
        host: "asp-kintai.lgwan.jp",
        access: Access::Tunnel,
        weight: 7,
        pages: &[],
        post: None,
        addr: Some(Ipv4Addr::new(172, 22, 14, 5)),
    },
    Site {
        host: "asp-kessai.lgwan.jp",
        access: Access::Tunnel,
        weight: 6,
        pages: &[],
        post: None,
        addr: Some(Ipv4Addr::new(172, 22, 14, 9)),
    },
    Site {
        host: "elearning.lgwan.jp",
        access: Access::Tunnel,
        weight: 2,
        pages: &[],
        post: None,
        addr: Some(Ipv4Addr::new(172, 24, 2, 40)),
    },
    Site {
        host: "www.google.co.jp",
        access: Access::Denied,
        weight: 1,
        pages: &[],
        post: None,
        addr: None,
    },
    Site {
        host: "www.yahoo.co.jp",
        access: Access::Denied,
        weight: 1,
        pages: &[],
        post: None,
        addr: None,
    },
];

/// Sub-resources a page pulls in: (path, content type).
pub(crate) const SUBRESOURCES: [(&str, &str); 6] = [
    ("/common/css/style.css", "text/css"),
    ("/common/js/main.js", "application/javascript"),
    ("/common/img/logo.png", "image/png"),
    ("/common/img/banner.jpg", "image/jpeg"),
    ("/favicon.ico", "image/x-icon"),
    ("/common/fonts/NotoSansJP-Regular.woff2", "font/woff2"),
];
