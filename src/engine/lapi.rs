//! Decisions from CrowdSec's Local API as one more input of the engine, with origin
//! [`Origin::Lapi`](super::Origin::Lapi) and the pseudo-jail name [`JAIL`] (`crowdsec`).
//!
//! [`LapiBans`] holds what LAPI decided, sorted by host, in a table whose capacity is fixed
//! by `max_decisions`: a full table refuses new decisions and counts them
//! ([`LapiBans::full`]). Each entry is a host and the wall-clock second its ban ends: 24
//! bytes, so 30,000 decisions cost about 700 KiB.
//!
//! The shell collects one response's decisions in a [`Staged`] (bounded by the capacity) while
//! the body streams in, and hands it to [`Engine::lapi`] only when the whole body was good:
//! nothing of a broken body is ever applied. The table changes at once; what the firewall
//! must do comes out of [`Engine::lapi_drain`] a batch at a time (releases, then blocks the
//! backend installs in one netlink message per batch), so a resync of 30,000 bans never needs
//! 30,000 actions in memory. A response to `startup=true` is the whole truth: bans it does not
//! repeat are lifted. What the kernel holds lasts as long as LAPI said (kernel timeouts), so
//! LAPI being down changes nothing until it answers again.
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
use crate::addr::{Cidr, Host};
use crate::clock::Now;
pub use crate::config::crowdsec::{DEFAULT_CAPACITY, MAX_CAPACITY};
use crate::firewall::Ban;

/// The pseudo-jail LAPI's bans are listed under.
pub const JAIL: &str = "crowdsec";
/// The shortest IPv4 prefix expanded into addresses (a /24: 256 addresses).
pub const V4_RANGE_MIN: u8 = 24;
/// New decisions of a poll up to this many are put into the table in place; more are merged
/// into a new table.
pub const IN_PLACE: usize = 256;
/// Seconds between scans for ended bans.
pub const EXPIRE_EVERY: i64 = 30;

#[path = "lapi_staged.rs"]
mod staged;
#[path = "lapi_view.rs"]
mod view;
pub use staged::Staged;

/// One held decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub host: Host,
    /// Wall-clock second the ban ends.
    pub until: u32,
    /// [`INSTALLED`], or what the firewall still has to do ([`INSTALL`], [`REPLACE`]).
    state: u8,
}

/// The firewall holds the entry's element.
const INSTALLED: u8 = 0;
/// The element is to be added.
const INSTALL: u8 = 1;
/// The element is to be replaced (a longer ban).
const REPLACE: u8 = 2;

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
    /// Hosts whose elements are to be removed ([`Engine::lapi_drain`]).
    releases: Vec<Host>,
    /// Some entry is not [`INSTALLED`].
    pending: bool,
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
            releases: Vec::new(),
            pending: false,
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
        self.releases = old.releases;
        self.pending = old.pending;
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

    /// An empty [`Staged`] for the response about to be read at `now`.
    /// For a `startup` answer the room of the whole table is reserved at once (it becomes
    /// the table; pages never written cost nothing), so it is never copied while growing.
    pub fn lapi_staging(&self, now: Now, startup: bool) -> Staged {
        let capacity = self.lapi.as_ref().map_or(0, LapiBans::capacity);
        Staged {
            bans: Vec::with_capacity(if startup { capacity } else { 0 }),
            wall: self.clock.trusted_wall(now),
            capacity,
            startup,
            ..Staged::default()
        }
    }

    /// Applies one whole LAPI response (see the module documentation); `startup`: it answered
    /// `startup=true` and lists every active decision. The table changes at once; the
    /// firewall's share comes out of [`Engine::lapi_drain`].
    pub fn lapi(&mut self, staged: Staged, startup: bool, now: Now) -> Applied {
        let mut applied = Applied {
            skipped: staged.wide,
            full: staged.over,
            ..Applied::default()
        };
        let Some(mut table) = self.lapi.take() else {
            return applied;
        };
        table.wide += staged.wide as u64;
        table.full += staged.over as u64;
        let wall = self.clock.trusted_wall(now);
        table.expire(wall);
        let Staged {
            bans: mut wanted,
            deleted,
            ..
        } = staged;
        wanted.retain(|e| {
            let never = self.never_banned(&e.host, &table.ignore);
            applied.skipped += usize::from(never);
            !never
        });
        // Same host twice: the longest ban wins.
        wanted.sort_unstable_by(|a, b| a.host.cmp(&b.host).then(b.until.cmp(&a.until)));
        wanted.dedup_by(|later, first| later.host == first.host);
        let find = |v: &[Entry], h: &Host| v.binary_search_by(|e| e.host.cmp(h)).ok();
        let mut releases = core::mem::take(&mut table.releases);
        for host in deleted {
            if find(&wanted, &host).is_none() && table.remove(&host) {
                applied.removed += 1;
                releases.push(host);
            }
        }
        if !startup && wanted.len() <= IN_PLACE {
            // A poll's few changes go into the table where it stands: no copy of it.
            for w in wanted {
                match table.entries.binary_search_by(|e| e.host.cmp(&w.host)) {
                    Ok(i) if w.until > table.entries[i].until.saturating_add(1) => {
                        let state = match table.entries[i].state {
                            INSTALL => INSTALL,
                            _ => REPLACE,
                        };
                        table.entries[i] = Entry { state, ..w };
                        applied.added += 1;
                    }
                    Ok(_) => {}
                    Err(_) if table.entries.len() >= table.capacity => {
                        table.full += 1;
                        applied.full += 1;
                    }
                    Err(i) => {
                        table.entries.insert(i, w);
                        applied.added += 1;
                    }
                }
            }
            return self.lapi_settle(table, releases, applied);
        }
        // What the table held: kept as it is, lengthened, or (startup) lifted.
        let old = core::mem::take(&mut table.entries);
        let mut kept = 0;
        let mut keep = vec![false; if startup { 0 } else { old.len() }];
        for (i, o) in old.iter().enumerate() {
            match find(&wanted, &o.host) {
                Some(w) if wanted[w].until.abs_diff(o.until) <= 1 || wanted[w].until < o.until => {
                    wanted[w] = Entry {
                        until: wanted[w].until.max(o.until),
                        state: o.state,
                        ..wanted[w]
                    };
                }
                Some(w) => wanted[w].state = REPLACE,
                None if startup => {
                    applied.removed += 1;
                    releases.push(o.host);
                }
                None => {
                    keep[i] = true;
                    kept += 1;
                }
            }
        }
        // A full table refuses the newest hosts.
        let room = table.capacity.saturating_sub(kept);
        let fresh = wanted.iter().filter(|e| e.state == INSTALL).count();
        let excess = (wanted.len()).saturating_sub(room).min(fresh);
        let mut allowed = fresh - excess;
        wanted.retain(|e| {
            if e.state != INSTALL {
                return true;
            }
            let ok = allowed > 0;
            allowed = allowed.saturating_sub(1);
            ok
        });
        table.full += excess as u64;
        applied.full += excess;
        let fresh = fresh - excess;
        applied.added = fresh + wanted.iter().filter(|e| e.state == REPLACE).count();
        if kept > 0 {
            wanted.reserve_exact(kept);
            wanted.extend(old.iter().zip(&keep).filter(|(_, k)| **k).map(|(e, _)| *e));
            wanted.sort_unstable_by_key(|e| e.host);
        }
        drop(old);
        table.entries = wanted;
        self.lapi_settle(table, releases, applied)
    }

    /// Puts the updated table back, with the releases no local ban objects to.
    fn lapi_settle(&mut self, mut table: LapiBans, mut releases: Vec<Host>, applied: Applied) -> Applied {
        releases.retain(|h| !self.held_locally(h));
        table.releases = releases;
        table.pending = table.entries.iter().any(|e| e.state != INSTALLED);
        self.lapi = Some(table);
        applied
    }

    /// Moves up to `max` of LAPI's pending firewall changes (releases first, then blocks)
    /// into `out`; returns how many. The caller applies them and asks again until 0, so a
    /// resync of 30,000 bans never needs 30,000 actions at once.
    pub fn lapi_drain(&mut self, max: usize, now: Now, out: &mut Vec<Action>) -> usize {
        let wall = self.clock.trusted_wall(now);
        let Some(t) = self.lapi.as_mut() else {
            return 0;
        };
        let mut n = 0;
        while n < max {
            let Some(host) = t.releases.pop() else { break };
            out.push(Action::Release {
                jail: crate::firewall::jail_name(JAIL),
                host,
            });
            n += 1;
        }
        if !t.pending {
            return n;
        }
        for e in t.entries.iter_mut().filter(|e| e.state != INSTALLED) {
            if n >= max {
                return n;
            }
            let timeout = u32::try_from(i64::from(e.until) - wall).unwrap_or(0).max(1);
            out.push(Action::Block {
                ban: Ban {
                    replace: e.state == REPLACE,
                    ..Ban::new(JAIL, e.host, Some(timeout))
                },
            });
            e.state = INSTALLED;
            n += 1;
        }
        t.pending = false;
        n
    }
}

#[cfg(test)]
#[path = "tests_lapi.rs"]
mod tests;
