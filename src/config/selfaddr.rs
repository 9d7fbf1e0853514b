//! The router's own addresses, never banned by a jail with `ignoreself`.
//!
//! Loopback ranges always count; every address configured on an interface is added as a
//! single address (`/32`, `/128`). This is the one part of the configuration that asks the
//! operating system, and it only reads: `getifaddrs(3)`. Addresses change (PPPoE, DHCP), so
//! the daemon calls [`addresses`] again when it reloads.

use crate::addr::Cidr;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `127.0.0.0/8` and `::1`.
pub fn loopback() -> [Cidr; 2] {
    [
        Cidr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
        Cidr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    ]
}

/// Loopback ranges plus each interface address, without duplicates. When the interface list
/// cannot be read, the error is logged and only the loopback ranges are returned.
pub fn addresses() -> Vec<Cidr> {
    let mut out = loopback().to_vec();
    match nix::ifaddrs::getifaddrs() {
        Ok(ifaddrs) => {
            for ifa in ifaddrs {
                let Some(addr) = ifa.address else { continue };
                let ip = if let Some(v4) = addr.as_sockaddr_in() {
                    IpAddr::V4(v4.ip())
                } else if let Some(v6) = addr.as_sockaddr_in6() {
                    IpAddr::V6(v6.ip())
                } else {
                    continue;
                };
                let c = Cidr::new(ip, if ip.is_ipv4() { 32 } else { 128 });
                if !out.iter().any(|o| o.contains(ip)) {
                    out.push(c);
                }
            }
        }
        Err(e) => log::warn!("cannot list interface addresses for ignoreself: {e}"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
