//! Decisions from CrowdSec's Local API as one more input of the engine, with origin
//! [`Origin::Lapi`] and the pseudo-jail name [`JAIL`] (`crowdsec`).
//!
//! [`LapiBans`] holds what LAPI decided, sorted by host, in a table whose capacity is fixed
//! by `max_decisions`: a full table refuses new decisions and counts them
//! ([`LapiBans::full`]). Each entry is a host and the wall-clock second its ban ends: 24
//! bytes, so 30,000 decisions cost about 700 KiB.
//!
//! [`Engine::lapi`] takes one whole, parsed response ([`crate::lapi::stream::Decision`]s, all
//! of them: the caller never hands over half a body) and pushes the actions: deletions first,
//! then new bans, in one batch of blocks the backend installs in one netlink message. A
//! response to `startup=true` is the whole truth: bans of the table it does not repeat are
//! lifted. What the kernel holds lasts as long as LAPI said (kernel timeouts), so LAPI being
//! down changes nothing until it answers again.
//!
//! **Addresses.** An `Ip` decision is one address (IPv6 as a /128). A `Range` decision on IPv6
//! is one interval element of the v6 set. The v4 set holds single addresses (fw4's sets are
//! `flags timeout`, not interval sets, and changing their type would break sets declared by
//! hand), so a v4 range is expanded into its addresses when it is a /[`V4_RANGE_MIN`] or
//! narrower (at most 256 entries, each counted against the capacity) and skipped and counted
//! otherwise ([`LapiBans::wide`]). Loopback, the router's own addresses and the main
//! `ignoreip` list are never banned, and a ban also held by a jail is not lifted when LAPI
//! deletes it (nor the other way round).
//!
//! **Unban.** `logjail unban ADDR` removes LAPI's ban here and in the kernel, and nowhere
//! else: LAPI still has its decision, and sends it again at the next `startup=true` (a
//! restart of logjail or of LAPI). Delete it with `cscli decisions delete` to lift it for
//! good.

use super::{Action, Engine};
use crate::addr::{self, Cidr, Host};
use crate::clock::Now;
pub use crate::config::crowdsec::{DEFAULT_CAPACITY, MAX_CAPACITY};
use crate::firewall::Ban;
use crate::lapi::stream::Decision;
use core::net::{IpAddr, Ipv4Addr};

/// The pseudo-jail LAPI's bans are listed under.
pub const JAIL: &str = "crowdsec";
/// The shortest IPv4 prefix expanded into addresses (a /24: 256 addresses).
pub const V4_RANGE_MIN: u8 = 24;
/// Seconds between scans for ended bans.
pub const EXPIRE_EVERY: i64 = 30;

/// One held decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub host: Host,
    /// Wall-clock second the ban ends.
    pub until: u32,
}

/// What one response changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub added: usize,
    pub removed: usize,
    /// New decisions the full table refused.
    pub full: usize,
    /// v4 ranges wider than /24, and decisions for addresses never banned.
    pub skipped: usize,
}

/// LAPI's bans. See the module documentation.
#[derive(Debug)]
pub struct LapiBans {
    entries: Vec<Entry>,
    capacity: usize,
    /// Never banned besides loopback and the router's own (the main `ignoreip`).
    ignore: Vec<Cidr>,
    /// Decisions refused because the table was full, since start.
    pub full: u64,
    /// v4 ranges skipped for being wider than /24, since start.
    pub wide: u64,
    expired_at: i64,
}

impl LapiBans {
    pub fn new(capacity: usize, ignore: &[Cidr]) -> LapiBans {
        LapiBans {
            entries: Vec::new(),
            capacity: capacity.clamp(1, MAX_CAPACITY),
            ignore: ignore.to_vec(),
            full: 0,
            wide: 0,
            expired_at: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether LAPI holds a ban of `host`.
    pub fn holds(&self, host: &Host) -> bool {
        self.entries.binary_search_by(|e| e.host.cmp(host)).is_ok()
    }

    /// Takes over `old`'s bans (a reload), as many as fit.
    pub fn adopt(&mut self, old: LapiBans) {
        self.entries = old.entries;
        self.entries.truncate(self.capacity);
        self.full = old.full;
        self.wide = old.wide;
    }

    /// Forgets the bans whose end `wall` has reached (the kernel dropped them by itself).
    pub fn expire(&mut self, wall: i64) {
        self.entries.retain(|e| i64::from(e.until) > wall);
        self.expired_at = wall;
    }

    /// [`LapiBans::expire`] at most every [`EXPIRE_EVERY`] seconds (the engine's ticks).
    pub fn tick(&mut self, wall: i64) {
        if wall.saturating_sub(self.expired_at) >= EXPIRE_EVERY || wall < self.expired_at {
            self.expire(wall);
        }
    }

    /// Removes `host`; whether it was there.
    pub fn remove(&mut self, host: &Host) -> bool {
        match self.entries.binary_search_by(|e| e.host.cmp(host)) {
            Ok(i) => {
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }
}

/// The hosts a decision bans (`push` gets each), or `false` when it is a v4 range too wide.
fn hosts(d: &Decision, push: &mut dyn FnMut(Host)) -> bool {
    match d.net {
        IpAddr::V4(a) if d.prefix >= 32 => push(Host::V4(a)),
        IpAddr::V4(_) if d.prefix < V4_RANGE_MIN => return false,
        IpAddr::V4(a) => {
            let first = u32::from(a);
            for i in 0..(1u32 << (32 - u32::from(d.prefix))) {
                push(Host::V4(Ipv4Addr::from(first | i)));
            }
        }
        IpAddr::V6(a) => push(Host::V6(a, d.prefix.clamp(1, 128))),
    }
    true
}

impl Engine {
    /// Whether a jail or recidive holds a ban of `host`.
    fn held_locally(&self, host: &Host) -> bool {
        self.jails.iter().any(|j| j.ban_of(host).is_some())
            || self.recidive.as_ref().is_some_and(|r| r.holds(*host))
    }

    fn never_banned(&self, host: &Host, ignore: &[Cidr]) -> bool {
        !host.can_offend()
            || super::loopback()
                .iter()
                .chain(&self.own)
                .chain(ignore)
                .any(|c| c.overlaps(host))
    }

    /// Applies one whole LAPI response (see the module documentation); `startup`: it answered
    /// `startup=true` and lists every active decision.
    pub fn lapi(
        &mut self,
        decisions: &[Decision],
        startup: bool,
        now: Now,
        out: &mut Vec<Action>,
    ) -> Applied {
        let mut applied = Applied::default();
        let Some(mut table) = self.lapi.take() else {
            return applied;
        };
        let wall = self.clock.trusted_wall(now);
        table.expire(wall);
        let release = |engine: &Engine, host: Host, out: &mut Vec<Action>| {
            if !engine.held_locally(&host) {
                out.push(Action::Release {
                    jail: crate::firewall::jail_name(JAIL),
                    host,
                });
            }
        };
        // The new table: deletions and (for startup) everything not repeated go.
        let mut wanted: Vec<Entry> = Vec::new();
        for d in decisions.iter().filter(|d| !d.deleted) {
            let until = u32::try_from(wall.saturating_add(i64::from(d.seconds))).unwrap_or(u32::MAX);
            let ok = hosts(d, &mut |host| wanted.push(Entry { host, until }));
            if !ok {
                table.wide += 1;
                applied.skipped += 1;
            }
        }
        wanted.retain(|e| {
            let never = self.never_banned(&e.host, &table.ignore);
            applied.skipped += usize::from(never);
            !never
        });
        // Same host twice: the longest ban wins.
        wanted.sort_unstable_by(|a, b| a.host.cmp(&b.host).then(b.until.cmp(&a.until)));
        wanted.dedup_by(|later, first| later.host == first.host);
        for d in decisions.iter().filter(|d| d.deleted) {
            hosts(d, &mut |host| {
                if wanted.binary_search_by(|e| e.host.cmp(&host)).is_err() && table.remove(&host) {
                    applied.removed += 1;
                    release(self, host, out);
                }
            });
        }
        if startup {
            let old = core::mem::take(&mut table.entries);
            for e in old {
                if wanted.binary_search_by(|w| w.host.cmp(&e.host)).is_err() {
                    applied.removed += 1;
                    release(self, e.host, out);
                } else {
                    table.entries.push(e);
                }
            }
        }
        // Merge: a new or longer ban is (re)installed; a full table refuses the rest.
        let mut merged: Vec<Entry> = Vec::with_capacity(table.entries.len().max(wanted.len()));
        let mut old = core::mem::take(&mut table.entries).into_iter().peekable();
        for w in wanted {
            while let Some(o) = old.next_if(|o| o.host < w.host) {
                merged.push(o);
            }
            let before = old.next_if(|o| o.host == w.host);
            if before.is_none() && merged.len() + old.len() >= table.capacity {
                table.full += 1;
                applied.full += 1;
                continue;
            }
            if before.is_some_and(|b| b.until.abs_diff(w.until) <= 1) {
                merged.extend(before);
                continue;
            }
            let timeout = u32::try_from(i64::from(w.until) - wall).unwrap_or(0).max(1);
            out.push(Action::Block {
                ban: Ban {
                    replace: before.is_some(),
                    ..Ban::new(JAIL, w.host, Some(timeout))
                },
            });
            applied.added += 1;
            merged.push(w);
        }
        merged.extend(old);
        table.entries = merged;
        self.lapi = Some(table);
        applied
    }

    /// LAPI's bans as the backend should see them at `now` (a reinstall after the firewall
    /// lost its sets).
    pub fn lapi_active(&self, now: Now) -> Vec<Ban> {
        let wall = self.clock.trusted_wall(now);
        self.lapi
            .iter()
            .flat_map(|t| t.entries.iter())
            .filter(|e| i64::from(e.until) > wall)
            .map(|e| Ban::new(JAIL, e.host, u32::try_from(i64::from(e.until) - wall).ok()))
            .collect()
    }

    /// Seconds LAPI's ban of each held host has left at `now`.
    pub fn lapi_bans(&self, now: Now) -> impl Iterator<Item = (Host, u32)> + '_ {
        let wall = self.clock.trusted_wall(now);
        self.lapi
            .iter()
            .flat_map(|t| t.entries.iter())
            .filter_map(move |e| {
                let left = i64::from(e.until) - wall;
                (left > 0).then(|| (e.host, u32::try_from(left).unwrap_or(u32::MAX)))
            })
    }

    /// `unban`: LAPI's bans overlapping `text` (`None`: all) are forgotten, locally only.
    /// Returns the hosts and the seconds their bans had left.
    pub(super) fn lapi_unban(&mut self, text: Option<&str>, now: Now) -> Vec<(Host, u32)> {
        let wall = self.clock.trusted_wall(now);
        let Some(t) = self.lapi.as_mut() else {
            return Vec::new();
        };
        let cidr = text.and_then(|s| {
            Cidr::parse(s).or_else(|| addr::parse_host(s.as_bytes()).map(|ip| Cidr::new(ip, 128)))
        });
        let mut gone = Vec::new();
        t.entries.retain(|e| {
            let hit = match (text, cidr) {
                (None, _) => true,
                (Some(_), Some(c)) => c.overlaps(&e.host),
                (Some(_), None) => false,
            };
            if hit {
                gone.push((e.host, u32::try_from(i64::from(e.until) - wall).unwrap_or(0)));
            }
            !hit
        });
        if !gone.is_empty() {
            log::info!(
                "{JAIL}: {} of LAPI's bans lifted here only; LAPI keeps its decisions (cscli decisions delete lifts them everywhere)",
                gone.len()
            );
        }
        gone
    }
}

#[cfg(test)]
#[path = "tests_lapi.rs"]
mod tests;
