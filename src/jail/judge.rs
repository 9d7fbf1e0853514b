//! One jail: counting failures per host and deciding bans.
//!
//! A jail is pure. It is fed failures (an address and the time of the failure) and the passage
//! of time, and answers with values: a [`Verdict`] per failure, and the bans that ended. It
//! never reads a clock and never touches the firewall.
//!
//! * **Counting.** Each failing host keeps the times of its last `maxretry` failures in a small
//!   ring. A failure bans when the ring is full and its oldest entry lies inside `findtime`:
//!   a true sliding window, not fixed buckets.
//! * **Escalation.** A host banned before (the repeat-offender table) gets the previous ban time
//!   multiplied by `bantime_factor`, capped at `bantime_max`. Offender records are forgotten
//!   [`OFFENDER_MEMORY`] after their last ban ended, or `bantime_max` if that is longer.
//! * **Never the owner.** Addresses in the ignore list (which holds the router's own addresses
//!   and loopback when `ignoreself` is on) are answered with [`Verdict::Ignored`] before they
//!   are counted.
//! * **Bounded.** All three tables are [`Table`]s of fixed capacity; when full they evict the
//!   least recently seen host and count it in [`Stats`].

use super::attempt::{Attempt, Pending, Role};
use super::capacity::MAX_MAXRETRY;
use super::table::Table;
use super::Params;
use crate::addr::{Cidr, Host};
use core::net::IpAddr;

mod own;

/// How long a repeat offender is remembered after its last ban ended (unless `bantime_max` is
/// longer).
pub const OFFENDER_MEMORY: u32 = 7 * 86_400;

/// A ban the jail decided (or holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub host: Host,
    /// When the ban began (Unix seconds).
    pub start: i64,
    /// Seconds; `None` = permanent.
    pub duration: Option<u32>,
    /// How many times this host has been banned by this jail, this ban included.
    pub count: u32,
}

impl Decision {
    /// End of the ban (Unix seconds), `None` when permanent.
    pub fn end(&self) -> Option<i64> {
        self.duration.map(|d| self.start + i64::from(d))
    }

    /// Seconds left at `now`, never more than the decided duration; `Some(0)` once over.
    pub fn remaining(&self, now: i64) -> Option<u32> {
        let d = self.duration?;
        let left = (self.start + i64::from(d) - now).clamp(0, i64::from(d));
        Some(u32::try_from(left).unwrap_or(d))
    }
}

/// What a failure led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// On the ignore list: not counted.
    Ignored,
    /// Counted; `failures` inside the window so far.
    Counted { failures: u32 },
    /// The host is banned already (lines from connections still open).
    AlreadyBanned,
    /// A further line of an attempt already counted (see [`super::attempt`]).
    SameAttempt,
    /// Ban now.
    Ban(Decision),
}

/// Counters for `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub failed_total: u64,
    pub banned_total: u64,
    pub ignored_total: u64,
    pub evicted_failures: u64,
    pub evicted_bans: u64,
    pub evicted_offenders: u64,
}

#[derive(Clone, Copy)]
struct Failures {
    /// Ring of the last `maxretry` failure times; `head` is the oldest when full.
    times: [i64; MAX_MAXRETRY as usize],
    len: u8,
    head: u8,
    /// The attempt its last companion line announced.
    pending: Pending,
}

/// What [`Jail::count`] did.
enum Count {
    /// A further line of the attempt counted last.
    Same,
    /// Counted; failures inside the window.
    Inside(u32),
    /// Counted, and `maxretry` is reached (the record is dropped).
    Full,
}

/// A repeat offender's record, as saved and restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offender {
    /// Bans so far.
    pub bans: u32,
    /// Duration of the last ban; `None` = permanent.
    pub last: Option<u32>,
    /// End of the last ban (or its start, for a permanent one).
    pub until: i64,
}

/// Table capacities of one jail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub failures: usize,
    pub bans: usize,
    pub offenders: usize,
}

pub struct Jail {
    pub name: String,
    pub params: Params,
    ignore: Vec<Cidr>,
    /// The router's own addresses inside `ignore` (see [`Jail::set_own`]).
    own: Vec<Cidr>,
    failures: Table<Host, Failures>,
    bans: Table<Host, Decision>,
    offenders: Table<Host, Offender>,
    /// Earliest end among active bans: expiry scans are skipped before it.
    next_end: i64,
    stats: Stats,
}

impl Jail {
    /// A jail called `name`; `ignore` is the full ignore list (the jail's own, the global
    /// one, and the router's own addresses when `ignoreself` is on).
    pub fn with(name: &str, params: Params, ignore: Vec<Cidr>, cap: Capacity, seed: u64) -> Jail {
        Jail {
            name: name.into(),
            params,
            ignore,
            own: Vec::new(),
            failures: Table::new(cap.failures, seed),
            bans: Table::new(cap.bans, seed ^ 0x5bd1_e995),
            offenders: Table::new(cap.offenders, seed ^ 0x27d4_eb2f),
            next_end: i64::MAX,
            stats: Stats::default(),
        }
    }

    pub fn host(&self, ip: IpAddr) -> Host {
        Host::new(ip, self.params.ipv6_prefix)
    }

    pub fn is_ignored(&self, host: &Host) -> bool {
        self.ignore.iter().any(|c| c.overlaps(host))
    }

    /// A failure from `ip` at `now`.
    pub fn failure(&mut self, ip: IpAddr, now: i64) -> Verdict {
        self.failure_as(ip, now, Role::Main)
    }

    /// A failure line from `ip` at `now` in its `role` among the lines of one attempt: a line
    /// of an attempt already counted is [`Verdict::SameAttempt`] (see [`super::attempt`]).
    pub fn failure_as(&mut self, ip: IpAddr, now: i64, role: Role) -> Verdict {
        let host = self.host(ip);
        if self.ignore.iter().any(|c| c.contains(ip) || c.overlaps(&host)) {
            self.stats.ignored_total += 1;
            return Verdict::Ignored;
        }
        if self.bans.contains(&host) {
            self.stats.failed_total += 1;
            return Verdict::AlreadyBanned;
        }
        let verdict = match self.count(host, now, role) {
            Count::Same => return Verdict::SameAttempt,
            Count::Inside(inside) => Verdict::Counted { failures: inside },
            Count::Full => Verdict::Ban(self.ban(host, now, None)),
        };
        self.stats.failed_total += 1;
        verdict
    }

    /// A failure from `ip` at `now` that a previous run of the daemon already judged (a log
    /// line read again at start, see [`crate::engine::history`]): counted like
    /// [`Jail::failure_as`], but never a ban. Where it completes a window, the previous run banned
    /// then and its count started over; so does this one. Not in the [`Stats`].
    pub fn recount(&mut self, ip: IpAddr, now: i64, role: Role) -> Verdict {
        let host = self.host(ip);
        if self.ignore.iter().any(|c| c.contains(ip) || c.overlaps(&host)) {
            return Verdict::Ignored;
        }
        if self.bans.contains(&host) {
            return Verdict::AlreadyBanned;
        }
        match self.count(host, now, role) {
            Count::Same => Verdict::SameAttempt,
            Count::Inside(failures) => Verdict::Counted { failures },
            Count::Full => Verdict::Counted { failures: 0 },
        }
    }

    /// Pushes a failure line of `host` at `now` in `role`: nothing when it is a further line of
    /// the attempt counted last, else the failures inside the window, or [`Count::Full`] when
    /// they reach `maxretry` (the record is then dropped).
    fn count(&mut self, host: Host, now: i64, role: Role) -> Count {
        let max = self.params.maxretry as usize;
        let window_start = now - i64::from(self.params.findtime);
        let f = match self.failures.get_mut(&host) {
            Some(f) => f,
            None => {
                let fresh = Failures {
                    times: [0; MAX_MAXRETRY as usize],
                    len: 0,
                    head: 0,
                    pending: Pending::default(),
                };
                if self.failures.insert(host, fresh).is_some() {
                    self.stats.evicted_failures += 1;
                }
                match self.failures.get_mut(&host) {
                    Some(f) => f,
                    None => return Count::Inside(0),
                }
            }
        };
        if f.pending.judge(role, now) == Attempt::Same {
            return Count::Same;
        }
        // Push `now`, dropping the oldest when the ring is full.
        let len = f.len as usize;
        if len < max {
            f.times[(f.head as usize + len) % max] = now;
            f.len += 1;
        } else {
            f.times[f.head as usize] = now;
            f.head = ((f.head as usize + 1) % max) as u8;
        }
        let inside = (0..f.len as usize)
            .filter(|&i| f.times[(f.head as usize + i) % max] > window_start)
            .count();
        if inside < max {
            return Count::Inside(inside as u32);
        }
        self.failures.remove(&host);
        Count::Full
    }

    /// Bans `host` from `now`: for `duration` when given (a manual ban), else by the jail's
    /// rules with escalation. Replaces an existing ban of the host.
    pub fn ban(&mut self, host: Host, now: i64, duration: Option<Option<u32>>) -> Decision {
        let previous = self
            .offenders
            .peek(&host)
            .filter(|o| now <= o.until + self.memory())
            .map(|o| (o.bans, o.last));
        let duration = duration.unwrap_or_else(|| self.params.duration(previous));
        let count = previous.map_or(1, |(n, _)| n.saturating_add(1));
        let d = Decision {
            host,
            start: now,
            duration,
            count,
        };
        let until = d.end().unwrap_or(now);
        if self
            .offenders
            .insert(
                host,
                Offender {
                    bans: count,
                    last: duration,
                    until,
                },
            )
            .is_some()
        {
            self.stats.evicted_offenders += 1;
        }
        self.failures.remove(&host);
        if self.bans.insert(host, d).is_some() {
            self.stats.evicted_bans += 1;
        }
        self.next_end = self.next_end.min(d.end().unwrap_or(i64::MAX));
        self.stats.banned_total += 1;
        d
    }

    fn memory(&self) -> i64 {
        i64::from(OFFENDER_MEMORY.max(self.params.bantime_max.unwrap_or(0)))
    }

    /// Lifts the ban of `host` and forgets its failures. Returns the ban if there was one.
    pub fn unban(&mut self, host: &Host) -> Option<Decision> {
        self.failures.remove(host);
        self.bans.remove(host)
    }

    /// Removes every ban that ended at or before `now`, handing each to `ended` with the jail's
    /// name; also forgets failure windows and offender records that have run out.
    pub fn expire(&mut self, now: i64, mut ended: impl FnMut(&str, &Decision)) {
        if now < self.next_end {
            return;
        }
        let mut next = i64::MAX;
        let name = &self.name;
        self.bans.retain(
            |_, d| match d.end() {
                Some(end) if end <= now => false,
                Some(end) => {
                    next = next.min(end);
                    true
                }
                None => true,
            },
            |_, d| ended(name, &d),
        );
        self.next_end = next;
        let window_start = now - i64::from(self.params.findtime);
        let max = self.params.maxretry as usize;
        self.failures.retain(
            |_, f| f.len > 0 && f.times[(f.head as usize + f.len as usize - 1) % max] > window_start,
            |_, _| {},
        );
        let memory = self.memory();
        self.offenders.retain(|_, o| now <= o.until + memory, |_, _| {});
    }

    /// Restores a ban from saved state (no escalation, no counting).
    pub fn restore(&mut self, d: Decision) {
        if self
            .offenders
            .insert(
                d.host,
                Offender {
                    bans: d.count,
                    last: d.duration,
                    until: d.end().unwrap_or(d.start),
                },
            )
            .is_some()
        {
            self.stats.evicted_offenders += 1;
        }
        if self.bans.insert(d.host, d).is_some() {
            self.stats.evicted_bans += 1;
        }
        self.next_end = self.next_end.min(d.end().unwrap_or(i64::MAX));
    }

    /// Restores a repeat-offender record from saved state (kept unless one is there already).
    pub fn restore_offender(&mut self, host: Host, o: Offender) {
        if self.offenders.contains(&host) {
            return;
        }
        if self.offenders.insert(host, o).is_some() {
            self.stats.evicted_offenders += 1;
        }
    }

    /// Repeat-offender records, most recent first.
    pub fn offenders(&self) -> impl Iterator<Item = (&Host, &Offender)> + '_ {
        self.offenders.iter()
    }

    /// How many bans are active.
    pub fn banned(&self) -> usize {
        self.bans.len()
    }

    /// Active bans, most recent first.
    pub fn bans(&self) -> impl Iterator<Item = &Decision> + '_ {
        self.bans.iter().map(|(_, d)| d)
    }

    pub fn ban_of(&self, host: &Host) -> Option<&Decision> {
        self.bans.peek(host)
    }

    /// Hosts with failures inside the window right now.
    pub fn failing(&self) -> usize {
        self.failures.len()
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }
}
