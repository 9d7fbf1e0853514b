//! The router's own addresses, followed as they change.
//!
//! A jail with `ignoreself` keeps the router's addresses on its ignore list. They change while
//! the daemon runs (WAN DHCP or PPPoE comes up after the services, a new IPv6 prefix is
//! delegated), so the event loop hands every new set to [`Jail::set_own`]: the entries the
//! previous call added leave the ignore list, the new ones join it, and every ban that now
//! covers an own address is lifted and handed back for the firewall to release. A ban covers
//! an own address when they share an address: an IPv6 `/64` ban holding a new own address is
//! lifted with it. Loopback and the configured `ignoreip` entries are never touched: the
//! ignore list is a multiset, and only the entries this method added are taken out again.

use super::{Decision, Jail};
use crate::addr::Cidr;

impl Jail {
    /// Replaces the own-address part of the ignore list with `own` and returns the bans that
    /// cover one of `own`, removed from the jail (the caller releases them in the firewall).
    /// Their failure windows go too; repeat-offender records stay.
    pub fn set_own(&mut self, own: &[Cidr]) -> Vec<Decision> {
        for old in self.own.drain(..) {
            if let Some(i) = self.ignore.iter().rposition(|c| *c == old) {
                self.ignore.remove(i);
            }
        }
        self.ignore.extend_from_slice(own);
        self.own.extend_from_slice(own);
        let covered = |h: &crate::addr::Host| own.iter().any(|c| c.overlaps(h));
        self.failures.retain(|h, _| !covered(h), |_, _| {});
        let mut lifted = Vec::new();
        self.bans.retain(|h, _| !covered(h), |_, d| lifted.push(d));
        lifted
    }

    /// The own addresses the last [`Jail::set_own`] put on the ignore list.
    pub fn own(&self) -> &[Cidr] {
        &self.own
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Capacity, Params, Verdict};
    use super::*;
    use crate::addr::Host;
    use core::net::IpAddr;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// A jail like `Daemon::new` builds it: loopback and `ignoreip` 192.0.2.1, then own.
    fn jail() -> Jail {
        let params = Params {
            maxretry: 1,
            findtime: 60,
            bantime: Some(600),
            factor: 1,
            bantime_max: None,
            ipv6_prefix: 64,
        };
        let cap = Capacity {
            failures: 16,
            bans: 16,
            offenders: 16,
        };
        let ignore = vec![cidr("127.0.0.0/8"), cidr("::1"), cidr("192.0.2.1")];
        let mut j = Jail::with("t", params, ignore, cap, 7);
        assert_eq!(j.set_own(&[cidr("10.0.0.1")]), []);
        j
    }

    fn ban(j: &mut Jail, s: &str) -> Decision {
        match j.failure(ip(s), 1000) {
            Verdict::Ban(d) => d,
            v => panic!("{s}: {v:?}"),
        }
    }

    #[test]
    fn a_ban_on_a_newly_gained_own_address_is_lifted() {
        let mut j = jail();
        let wan = ban(&mut j, "198.51.100.7");
        let other = ban(&mut j, "203.0.113.5");
        assert_eq!(j.set_own(&[cidr("10.0.0.1"), cidr("198.51.100.7")]), [wan]);
        assert_eq!(j.banned(), 1);
        assert_eq!(j.ban_of(&other.host), Some(&other));
        assert_eq!(j.failure(ip("198.51.100.7"), 1001), Verdict::Ignored);
    }

    #[test]
    fn a_v6_prefix_ban_holding_a_new_own_address_is_lifted() {
        let mut j = jail();
        let prefix = ban(&mut j, "2001:db8:1:5::bad");
        let elsewhere = ban(&mut j, "2001:db8:2::bad");
        assert_eq!(prefix.host, Host::parse("2001:db8:1:5::/64").unwrap());
        let lifted = j.set_own(&[cidr("10.0.0.1"), cidr("2001:db8:1:5::1")]);
        assert_eq!(lifted, [prefix]);
        assert_eq!(j.banned(), 1);
        assert!(j.ban_of(&elsewhere.host).is_some());
        // Anyone in that /64 now counts as the router's own prefix.
        assert_eq!(j.failure(ip("2001:db8:1:5::77"), 1001), Verdict::Ignored);
    }

    #[test]
    fn a_lost_own_address_can_be_banned_again_but_configured_entries_stay() {
        let mut j = jail();
        assert_eq!(j.failure(ip("10.0.0.1"), 1000), Verdict::Ignored);
        // The own set names 192.0.2.1 too (the admin's ignoreip is also on an interface).
        assert_eq!(j.set_own(&[cidr("10.0.0.1"), cidr("192.0.2.1")]), []);
        assert_eq!(j.set_own(&[cidr("10.0.0.2")]), []);
        assert_eq!(j.own(), [cidr("10.0.0.2")]);
        assert!(matches!(j.failure(ip("10.0.0.1"), 1000), Verdict::Ban(_)));
        for kept in ["192.0.2.1", "127.0.0.1", "127.9.9.9", "::1", "10.0.0.2"] {
            assert_eq!(j.failure(ip(kept), 1000), Verdict::Ignored, "{kept}");
        }
        // An empty own set leaves exactly the configured list.
        assert_eq!(j.set_own(&[]), []);
        assert_eq!(j.ignore, [cidr("127.0.0.0/8"), cidr("::1"), cidr("192.0.2.1")]);
    }

    #[test]
    fn repeated_sets_do_not_grow_the_ignore_list() {
        let mut j = jail();
        let own = [cidr("10.0.0.1"), cidr("2001:db8::1"), cidr("10.0.0.1")];
        for _ in 0..100 {
            j.set_own(&own);
        }
        assert_eq!(j.ignore.len(), 3 + own.len());
    }

    #[test]
    fn failures_of_a_new_own_address_are_forgotten() {
        let mut j = jail();
        j.params.maxretry = 3;
        assert_eq!(
            j.failure(ip("198.51.100.9"), 1000),
            Verdict::Counted { failures: 1 }
        );
        assert_eq!(j.failing(), 1);
        j.set_own(&[cidr("198.51.100.9")]);
        assert_eq!(j.failing(), 0);
    }
}
