//! The router's own addresses, never banned by a jail with `ignoreself`.
//!
//! Loopback ranges always count; every address configured on an interface is added as a
//! single address (`/32`, `/128`). [`addresses`] lists them once, by the same rtnetlink dump
//! the daemon's [`crate::addrwatch::AddrWatch`] starts from; the watcher then follows them as
//! they change (PPPoE, DHCP, a new delegated prefix) and hands the new list, built by [`own`],
//! to every `ignoreself` jail.

use crate::addr::Cidr;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `127.0.0.0/8` and `::1`.
pub fn loopback() -> [Cidr; 2] {
    [
        Cidr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
        Cidr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    ]
}

/// Loopback ranges plus each of `ips` as a single address, without duplicates.
pub fn own(ips: impl IntoIterator<Item = IpAddr>) -> Vec<Cidr> {
    let mut out = loopback().to_vec();
    for ip in ips {
        if !out.iter().any(|o| o.contains(ip)) {
            out.push(Cidr::new(ip, if ip.is_ipv4() { 32 } else { 128 }));
        }
    }
    out
}

/// Loopback ranges plus each interface address, without duplicates. When the interface list
/// cannot be read, the error is logged and only the loopback ranges are returned.
pub fn addresses() -> Vec<Cidr> {
    match crate::addrwatch::snapshot() {
        Ok(ips) => own(ips),
        Err(e) => {
            log::warn!("cannot list interface addresses for ignoreself: {e}");
            loopback().to_vec()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_lists_each_address_once_beside_loopback() {
        let ips = [
            "192.0.2.1",
            "127.0.0.1",
            "2001:db8::1",
            "192.0.2.1",
            "::ffff:192.0.2.1",
        ];
        let got = own(ips.iter().map(|s| s.parse().unwrap()));
        let want: Vec<Cidr> = ["127.0.0.0/8", "::1", "192.0.2.1", "2001:db8::1"]
            .iter()
            .map(|s| Cidr::parse(s).unwrap())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn loopback_always_included() {
        let own = addresses();
        assert!(own.iter().any(|c| c.contains(IpAddr::V4(Ipv4Addr::LOCALHOST))));
        assert!(own
            .iter()
            .any(|c| c.contains(IpAddr::V4(Ipv4Addr::new(127, 200, 1, 1)))));
        assert!(own.iter().any(|c| c.contains(IpAddr::V6(Ipv6Addr::LOCALHOST))));
        assert!(!own
            .iter()
            .any(|c| c.contains(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7)))));
    }

    /// Every address `ip -o addr show` lists is ours, as a single address, listed once.
    #[test]
    fn matches_ip_addr_show() {
        let out = std::process::Command::new("ip")
            .args(["-o", "addr", "show"])
            .output()
            .expect("the tests need iproute2's `ip`");
        let text = String::from_utf8_lossy(&out.stdout);
        let listed: Vec<IpAddr> = text
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace().skip_while(|w| *w != "inet" && *w != "inet6");
                w.nth(1)?.split('/').next()?.parse().ok()
            })
            .collect();
        assert!(!listed.is_empty(), "no addresses in {text}");
        let own = addresses();
        for ip in listed {
            assert!(own.iter().any(|c| c.contains(ip)), "{ip} missing from {own:?}");
        }
        for c in &own[2..] {
            let full = if c.network().is_ipv4() { 32 } else { 128 };
            assert_eq!(c.prefix(), full, "{c}");
            assert_eq!(own.iter().filter(|o| *o == c).count(), 1, "{c}");
        }
    }
}
