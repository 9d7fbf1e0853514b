//! What the sets hold, whatever the daemon remembers.
//!
//! The sets are logjail's, but the daemon's memory of them is not the whole truth: a crash
//! between a ban and the next state save, a state file lost or refused, or `nft add element`
//! by hand leave elements the daemon has no record of. These calls ask the kernel instead:
//!
//! * [`Nft::kernel_bans`] lists both sets (a `GETSETELEM` dump each) as hosts with the time
//!   they have left; IPv6 prefixes are paired from their start and end elements.
//! * [`Nft::unban`] removes every element that covers the host or lies inside it — a
//!   `2001:db8::1` unban lifts a hand-added `2001:db8::/32`, a `/64` unban the `/128`s in it —
//!   and returns what it removed; nothing removed means the kernel held nothing for it.
//! * [`Nft::unban_all`] empties both sets (`DELSETELEM` without an elements list flushes a
//!   set) and returns how many hosts they held.

use super::{conn_error, Nft};
use crate::addr::Host;
use crate::firewall::Error;
use crate::netlink::elems::{self, Entry, Listed};
use crate::netlink::msg::{Element, SetRef};
use crate::netlink::msg_type;

/// A host one of the sets holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelBan {
    pub host: Host,
    /// Seconds the kernel keeps it (rounded up); `None` = permanent.
    pub remaining: Option<u32>,
}

impl From<&Entry> for KernelBan {
    fn from(e: &Entry) -> KernelBan {
        let remaining = e
            .expires_ms
            .or(e.timeout_ms)
            .map(|ms| u32::try_from(ms.div_ceil(1000)).unwrap_or(u32::MAX));
        KernelBan {
            host: e.host,
            remaining,
        }
    }
}

/// True when `a` and `b` overlap: one contains the other.
fn overlaps(a: &Host, b: &Host) -> bool {
    let (ka, kb) = (
        crate::addr::Cidr::new(a.ip(), a.prefix()),
        crate::addr::Cidr::new(b.ip(), b.prefix()),
    );
    ka.contains(b.ip()) || kb.contains(a.ip())
}

impl Nft {
    /// The elements of the v4 or v6 set, paired into hosts; an empty list when the set is
    /// missing.
    fn dump_set(&mut self, v6: bool) -> Result<Vec<Entry>, Error> {
        let (table, set) = (self.table.clone(), self.set_name(v6).to_string());
        let body = SetRef {
            table: &table,
            set: &set,
        };
        let mut listed: Vec<Listed> = Vec::new();
        self.conn
            .dump(msg_type::GETSETELEM, self.family, &body, |m| {
                elems::parse(&m, &mut listed)
            })
            .map_err(conn_error)?;
        let (entries, odd) = elems::pair(&listed);
        if odd > 0 {
            log::info!(
                "set {set} in {} holds {odd} range(s) that are not a prefix; `unban --all` removes them",
                self.table_words()
            );
        }
        Ok(entries)
    }

    /// Every host the two sets hold, v4 first, lowest address first.
    pub fn kernel_bans(&mut self) -> Result<Vec<KernelBan>, Error> {
        let mut out = Vec::new();
        for v6 in [false, true] {
            out.extend(self.dump_set(v6)?.iter().map(KernelBan::from));
        }
        Ok(out)
    }

    /// Removes `host` from the kernel whether or not the daemon knows it was banned: every
    /// element overlapping it. Returns the hosts removed (empty: the kernel held none).
    pub fn unban(&mut self, host: Host) -> Result<Vec<Host>, Error> {
        let v6 = host.is_v6();
        let targets: Vec<Host> = if v6 {
            self.dump_set(true)?
                .iter()
                .map(|e| e.host)
                .filter(|h| overlaps(h, &host))
                .collect()
        } else {
            vec![host]
        };
        let mut removed = Vec::new();
        for h in targets {
            let e = Element {
                host: h,
                timeout_ms: None,
            };
            if self.remove_reporting(v6, &e)? {
                removed.push(h);
            }
        }
        Ok(removed)
    }

    /// Empties both sets, elements the daemon does not know included; returns how many hosts
    /// they held just before.
    pub fn unban_all(&mut self) -> Result<usize, Error> {
        let mut n = 0;
        for v6 in [false, true] {
            n += self.dump_set(v6)?.len();
            self.flush_set(v6)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time_rounds_up_and_permanent_stays_none() {
        let h = Host::parse("203.0.113.9").unwrap();
        let e = |timeout_ms, expires_ms| Entry {
            host: h,
            timeout_ms,
            expires_ms,
        };
        assert_eq!(
            KernelBan::from(&e(Some(3_600_000), Some(3_599_968))).remaining,
            Some(3600)
        );
        assert_eq!(KernelBan::from(&e(Some(1000), Some(1))).remaining, Some(1));
        assert_eq!(KernelBan::from(&e(None, None)).remaining, None);
    }

    #[test]
    fn overlap_is_containment_either_way() {
        let p = |s| Host::parse(s).unwrap();
        assert!(overlaps(&p("2001:db8::/32"), &p("2001:db8:1::/64")));
        assert!(overlaps(&p("2001:db8:1::/64"), &p("2001:db8::/32")));
        assert!(overlaps(&p("2001:db8:1::5"), &p("2001:db8:1::/64")));
        assert!(!overlaps(&p("2001:db8:2::/64"), &p("2001:db8:1::/64")));
    }
}
