//! Addresses as logjail sees them: what a log line names, what a jail counts, what a set holds.
//!
//! Three types, from the wire of a log line to the key of a table:
//!
//! * [`parse_host`] turns the text a filter's `<HOST>` captured into an [`IpAddr`]. Log
//!   lines spell peers in many ways — `1.2.3.4`, `1.2.3.4:22`, `<1.2.3.4:22>`,
//!   `[2001:db8::1]:22`, `2001:db8::7:54498` (dropbear: unbracketed v6 with the port as the
//!   last group), `fe80::1%eth0` (zone, dropped), `::ffff:1.2.3.4` (v4-mapped, normalised to
//!   `1.2.3.4`). Parsing is strict: anything that is not an address is `None`, never a guess.
//!   An address that cannot be a peer's ([`can_offend`]) is `None` too, so no filter and no
//!   manual ban ever yields one.
//! * [`can_offend`] is the rule for what may be an offender at all: the unicast address of a
//!   host. Never: IPv4 `0.0.0.0/8` ("this network", 0.0.0.0 included), `224.0.0.0/4`
//!   (multicast), `240.0.0.0/4` (reserved, with the broadcast 255.255.255.255); IPv6 `ff00::/8`
//!   (multicast), `::` (unspecified) and every other address whose first 64 bits are zero
//!   but `::1` (IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`: no peer
//!   sends from them, and a jail counting by /64 would ban `::/64`, which holds `::` and
//!   `::1`). IPv4-mapped `::ffff:a.b.c.d` is judged as the IPv4 address it maps. Loopback
//!   (`127.0.0.0/8`, `::1`) is an address, and the jails never ban it (see
//!   [`crate::jail`]); link-local (`169.254.0.0/16`, `fe80::/10`) is kept: a LAN host can
//!   attack from one, and the ignore list is the place to trust a LAN.
//! * [`Host`] is what a jail counts and bans: an IPv4 address, or an IPv6 network of a given
//!   prefix length (a /64 by default, since one subscriber line owns a whole /64). `Display`
//!   gives the form users see and the dry-run backend prints: `203.0.113.9`,
//!   `2001:db8:bad::/64`, or a bare v6 address for a /128.
//! * [`Cidr`] is an entry of an ignore list; [`Cidr::contains`] answers for an address.
//!
//! Nothing here allocates.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

/// Longest text a host capture may have (`[` + 39-char v6 + `%` zone + `]:65535` + `<>`).
pub const MAX_HOST_TEXT: usize = 80;

/// Parses the text a `<HOST>` placeholder captured. See the module docs for the forms.
pub fn parse_host(text: &[u8]) -> Option<IpAddr> {
    if text.is_empty() || text.len() > MAX_HOST_TEXT {
        return None;
    }
    let s = core::str::from_utf8(text).ok()?;
    let s = s
        .strip_prefix('<')
        .map_or(s, |t| t.strip_suffix('>').unwrap_or(t));
    let ip = if let Some(rest) = s.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        let (inner, tail) = rest.split_once(']')?;
        if !(tail.is_empty() || port_ok(tail.strip_prefix(':')?)) {
            return None;
        }
        parse_v6_zoned(inner)?
    } else if s.contains('.') && s.bytes().filter(|&b| b == b':').count() <= 1 {
        // `v4` or `v4:port`
        let (addr, port) = match s.split_once(':') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        if let Some(p) = port {
            if !port_ok(p) {
                return None;
            }
        }
        IpAddr::V4(Ipv4Addr::from_str(addr).ok()?)
    } else {
        match parse_v6_zoned(s) {
            Some(ip) => ip,
            None => {
                // dropbear's unbracketed `v6:port`: the last group is the port.
                let (addr, port) = s.rsplit_once(':')?;
                if !port_ok(port) {
                    return None;
                }
                parse_v6_zoned(addr)?
            }
        }
    };
    Some(normalise(ip)).filter(|&ip| can_offend(ip))
}

/// Whether `ip` can be an offender: the unicast address of a host (see the module docs).
pub fn can_offend(ip: IpAddr) -> bool {
    match normalise(ip) {
        IpAddr::V4(v4) => !matches!(v4.octets()[0], 0 | 224..=255),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            !(v6.is_multicast() || (bits >> 64 == 0 && bits != 1))
        }
    }
}

fn port_ok(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 5
        && p.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<u32>().is_ok_and(|n| n <= 65535)
}

fn parse_v6_zoned(s: &str) -> Option<IpAddr> {
    let addr = match s.split_once('%') {
        Some((a, zone)) if !zone.is_empty() => a,
        Some(_) => return None,
        None => s,
    };
    Ipv6Addr::from_str(addr).ok().map(IpAddr::V6)
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d`; everything else is unchanged.
pub fn normalise(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// What a jail counts and bans: an IPv4 address or an IPv6 prefix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Host {
    V4(Ipv4Addr),
    /// Network address (host bits zero) and prefix length, 1..=128.
    V6(Ipv6Addr, u8),
}

impl Host {
    /// The host an address is counted under, with IPv6 addresses masked to `v6_prefix` bits.
    pub fn new(ip: IpAddr, v6_prefix: u8) -> Host {
        match normalise(ip) {
            IpAddr::V4(v4) => Host::V4(v4),
            IpAddr::V6(v6) => {
                let p = v6_prefix.clamp(1, 128);
                Host::V6(Ipv6Addr::from(u128::from(v6) & mask128(p)), p)
            }
        }
    }

    /// Whether the host may be banned as an offender (a manual ban asks): its first address
    /// [`can_offend`] (so not `::/64`, which `::1` becomes at /64), and a v6 range holds no
    /// multicast address.
    pub fn can_offend(&self) -> bool {
        let multicast = Cidr::new(IpAddr::V6(Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0)), 8);
        can_offend(self.ip()) && !(self.is_v6() && multicast.overlaps(self))
    }

    /// Parses the `Display` form back: `1.2.3.4`, `2001:db8::/64`, `2001:db8::1` (= /128).
    pub fn parse(s: &str) -> Option<Host> {
        let c = Cidr::parse(s)?;
        Some(match c.net {
            IpAddr::V4(v4) if c.prefix == 32 => Host::V4(v4),
            IpAddr::V4(_) => return None,
            IpAddr::V6(v6) => Host::V6(v6, c.prefix),
        })
    }

    /// The first address of the host's range.
    pub fn ip(&self) -> IpAddr {
        match *self {
            Host::V4(a) => IpAddr::V4(a),
            Host::V6(a, _) => IpAddr::V6(a),
        }
    }

    /// Prefix length: 32 for IPv4, the jail's prefix for IPv6.
    pub fn prefix(&self) -> u8 {
        match *self {
            Host::V4(_) => 32,
            Host::V6(_, p) => p,
        }
    }

    pub fn is_v6(&self) -> bool {
        matches!(self, Host::V6(..))
    }

    /// The last address of the range (inclusive); for a v4 host or a /128 the address itself.
    pub fn last(&self) -> IpAddr {
        match *self {
            Host::V4(a) => IpAddr::V4(a),
            Host::V6(a, p) => IpAddr::V6(Ipv6Addr::from(u128::from(a) | !mask128(p))),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a, 128) => write!(f, "{a}"),
            Host::V6(a, p) => write!(f, "{a}/{p}"),
        }
    }
}

fn mask128(p: u8) -> u128 {
    match p {
        0 => 0,
        p if p >= 128 => u128::MAX,
        p => u128::MAX << (128 - u32::from(p)),
    }
}

fn mask32(p: u8) -> u32 {
    match p {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

/// An address range for ignore lists: `10.0.0.0/8`, `192.168.1.1`, `2001:db8::/32`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDR` or `ADDR/LEN`. Host bits are cleared. `None` on anything else.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip = normalise(IpAddr::from_str(a).ok()?);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|&n| n <= max)?
            }
            Some(_) => return None,
        };
        Some(Cidr::new(ip, prefix))
    }

    pub fn new(ip: IpAddr, prefix: u8) -> Cidr {
        let net = match normalise(ip) {
            IpAddr::V4(v4) => {
                let p = prefix.min(32);
                return Cidr {
                    net: IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask32(p))),
                    prefix: p,
                };
            }
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask128(prefix.min(128)))),
        };
        Cidr {
            net,
            prefix: prefix.min(128),
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, normalise(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }

    /// True when every address of `host` lies inside this range.
    pub fn covers(&self, host: &Host) -> bool {
        self.contains(host.ip()) && self.contains(host.last())
    }

    /// True when this range and `host` share at least one address.
    pub fn overlaps(&self, host: &Host) -> bool {
        let other = Cidr::new(host.ip(), host.prefix());
        let p = self.prefix.min(other.prefix);
        Cidr::new(self.net, p) == Cidr::new(other.net, p)
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn network(&self) -> IpAddr {
        self.net
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.net.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.net)
        } else {
            write!(f, "{}/{}", self.net, self.prefix)
        }
    }
}

#[cfg(test)]
#[path = "addr_tests.rs"]
mod tests;
