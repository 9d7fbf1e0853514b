//! The router's own addresses as they change: an engine request.
//!
//! The shell follows the router's addresses (an rtnetlink socket, see `addrwatch`) and hands
//! every new list to [`Engine::set_own`]. Each jail with `ignoreself` replaces the own part of
//! its ignore list with it (`Jail::set_own`), and every ban that now covers an own address —
//! a `/64` holding the new address included — is lifted, recidive's too: logjail never bans
//! the router's own addresses, even when it learns them late (WAN DHCP or PPPoE after start, a
//! new delegated prefix). Manual bans are checked against the same list.

use super::{release, Action, Engine, Why};
use crate::addr::{Cidr, Host};
use crate::clock::Now;
use crate::jail::recidive;

impl Engine {
    /// The router's own addresses as last told (loopback included).
    pub fn own(&self) -> &[Cidr] {
        &self.own
    }

    /// The router's addresses are now `own`: jails with `ignoreself` ignore them, and bans
    /// covering one are lifted (pushed as releases). Returns how many bans were lifted.
    pub fn set_own(&mut self, own: &[Cidr], now: Now, out: &mut Vec<Action>) -> usize {
        self.clock.tick(now);
        self.own = own.to_vec();
        let mut lifted: Vec<Host> = Vec::new();
        let mut any = false;
        for (j, _) in self.jails.iter_mut().zip(&self.ignoreself).filter(|(_, on)| **on) {
            any = true;
            for d in j.set_own(own) {
                release(out, &j.name, d.host, Why::Own);
                lifted.push(d.host);
            }
        }
        // Recidive follows the jails that protect the router's addresses.
        if let (true, Some(r)) = (any, self.recidive.as_mut()) {
            let covered: Vec<Host> = r
                .bans()
                .filter(|d| own.iter().any(|c| c.overlaps(&d.host)))
                .map(|d| d.host)
                .collect();
            for h in covered {
                if r.lift(h).is_some() {
                    release(out, recidive::NAME, h, Why::Own);
                    lifted.push(h);
                }
            }
        }
        // LAPI's bans never cover the router's own addresses either.
        if let Some(t) = self.lapi.as_mut() {
            let covered: Vec<Host> = t
                .entries()
                .iter()
                .filter(|e| own.iter().any(|c| c.overlaps(&e.host)))
                .map(|e| e.host)
                .collect();
            for h in covered {
                t.remove(&h);
                release(out, super::lapi::JAIL, h, Why::Own);
                lifted.push(h);
            }
        }
        self.refused.retain(|r| !lifted.contains(&r.host));
        lifted.len()
    }
}
