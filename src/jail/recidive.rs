//! Recidive: a host that jails ban again and again gets one long ban.
//!
//! fail2ban users know this as the `recidive` jail, which reads fail2ban's own log. Here it is
//! a pure table fed by the daemon's ban decisions: every ban any jail decides is
//! [`Recidive::ban`]ned in; when one host (as the deciding jail counted it: an IPv4 address or
//! an IPv6 network) collects `maxbans` bans within `findtime` seconds, the answer is a
//! [`Decision`] of the pseudo-jail [`NAME`] lasting `bantime` (`None`: permanent). It is off
//! unless `recidive_maxbans` is set.
//!
//! Both tables are fixed-capacity [`Table`]s allocated at start: the ban history (up to
//! [`MAX_MAXBANS`] timestamps per host, the newest kept) and the active recidive bans. When
//! full they forget their least recently seen host, as every jail table does. A host under a
//! recidive ban is not recounted, and while it lasts the daemon leaves the host in the set when
//! the ban of the jail that triggered it ends ([`Recidive::holds`]).

use super::judge::Decision;
use super::table::Table;
pub use super::{RecidiveParams as Params, MAX_MAXBANS};
use crate::addr::Host;

/// The pseudo-jail's name, in log lines, dry-run output and the firewall calls.
pub const NAME: &str = "recidive";
/// Hosts with a ban history, and hosts under a recidive ban.
pub const CAPACITY: usize = 4096;

/// The newest ban times of one host, oldest first.
#[derive(Clone, Copy, Debug)]
struct History {
    times: [i64; MAX_MAXBANS as usize],
    len: u8,
}

impl History {
    fn push(&mut self, at: i64, keep: usize) {
        let n = usize::from(self.len);
        if n == keep {
            self.times.copy_within(1..n, 0);
            self.times[n - 1] = at;
        } else {
            self.times[n] = at;
            self.len += 1;
        }
    }

    /// Bans at or after `since`.
    fn since(&self, since: i64) -> u32 {
        let n = usize::from(self.len);
        self.times[..n].iter().filter(|&&t| t >= since).count() as u32
    }
}

pub struct Recidive {
    pub params: Params,
    history: Table<Host, History>,
    bans: Table<Host, Decision>,
    /// Recidive bans decided since start.
    pub total: u64,
}

impl Recidive {
    pub fn new(params: Params, seed: u64) -> Recidive {
        let params = Params {
            maxbans: params.maxbans.clamp(2, MAX_MAXBANS),
            ..params
        };
        Recidive {
            params,
            history: Table::new(CAPACITY, seed ^ 0x7265_6369_6469_7665),
            bans: Table::new(CAPACITY, seed.rotate_left(17)),
            total: 0,
        }
    }

    /// A jail banned `host` at `at` (the ban's start). Returns the recidive ban when this ban
    /// makes `maxbans` within `findtime`.
    pub fn ban(&mut self, host: Host, at: i64) -> Option<Decision> {
        if self.holds(host) {
            return None;
        }
        let keep = self.params.maxbans as usize;
        match self.history.get_mut(&host) {
            Some(h) => h.push(at, keep),
            None => {
                let mut h = History {
                    times: [0; MAX_MAXBANS as usize],
                    len: 0,
                };
                h.push(at, keep);
                self.history.insert(host, h);
            }
        }
        let since = at - i64::from(self.params.findtime);
        let seen = self.history.peek(&host).map_or(0, |h| h.since(since));
        if seen < self.params.maxbans {
            return None;
        }
        self.history.remove(&host);
        let d = Decision {
            host,
            start: at,
            duration: self.params.bantime,
            count: seen,
        };
        self.bans.insert(host, d);
        self.total += 1;
        Some(d)
    }

    /// Whether `host` is under a recidive ban: the daemon keeps it in the set when a jail's
    /// shorter ban of it ends.
    pub fn holds(&self, host: Host) -> bool {
        self.bans.contains(&host)
    }

    /// Lifts the recidive bans whose end `now` has reached, calling `ended` for each.
    pub fn expire(&mut self, now: i64, mut ended: impl FnMut(&Decision)) {
        self.bans.retain(
            |_, d| !matches!(d.end(), Some(end) if end <= now),
            |_, d| ended(&d),
        );
    }

    /// The active recidive bans.
    pub fn bans(&self) -> impl Iterator<Item = &Decision> + '_ {
        self.bans.iter().map(|(_, d)| d)
    }

    /// Ends the recidive ban of `host` now (a manual unban) and forgets its history.
    pub fn lift(&mut self, host: Host) -> Option<Decision> {
        self.history.remove(&host);
        self.bans.remove(&host)
    }

    /// Puts back a saved recidive ban (a restart).
    pub fn restore(&mut self, d: Decision) {
        self.bans.insert(d.host, d);
    }

    /// Takes over another table's history and bans (a reload), keeping these parameters.
    pub fn adopt(&mut self, old: Recidive) {
        let params = self.params;
        *self = Recidive { params, ..old };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> Host {
        Host::V4(s.parse().unwrap())
    }

    fn three_in_an_hour() -> Recidive {
        Recidive::new(
            Params {
                maxbans: 3,
                findtime: 3600,
                bantime: Some(86_400),
            },
            1,
        )
    }

    #[test]
    fn the_nth_ban_within_findtime_gives_the_long_ban() {
        let mut r = three_in_an_hour();
        let h = host("203.0.113.9");
        assert_eq!(r.ban(h, 1000), None);
        assert_eq!(r.ban(h, 1600), None);
        let d = r.ban(h, 2000).expect("third ban in an hour");
        assert_eq!((d.host, d.start, d.duration, d.count), (h, 2000, Some(86_400), 3));
        assert!(r.holds(h));
        // Under the recidive ban, more jail bans are not recounted.
        assert_eq!(r.ban(h, 2100), None);
        assert_eq!(r.total, 1);
    }

    #[test]
    fn bans_older_than_findtime_do_not_count() {
        let mut r = three_in_an_hour();
        let h = host("203.0.113.9");
        assert_eq!(r.ban(h, 0), None);
        assert_eq!(r.ban(h, 3000), None);
        // 0 is more than an hour before 4000: only two inside the window.
        assert_eq!(r.ban(h, 4000), None);
        assert!(r.ban(h, 4500).is_some());
    }

    #[test]
    fn hosts_are_counted_apart() {
        let mut r = three_in_an_hour();
        let (a, b) = (host("203.0.113.1"), host("203.0.113.2"));
        for t in [10, 20] {
            assert_eq!(r.ban(a, t), None);
            assert_eq!(r.ban(b, t), None);
        }
        assert!(r.ban(a, 30).is_some());
        assert!(!r.holds(b));
    }

    #[test]
    fn expiry_lifts_the_ban_and_starts_over() {
        let mut r = three_in_an_hour();
        let h = host("198.51.100.7");
        for t in [0, 1, 2] {
            r.ban(h, t);
        }
        let mut ended = Vec::new();
        r.expire(86_401, |d| ended.push(d.host));
        assert!(ended.is_empty(), "ends at 2 + 86400");
        r.expire(86_402, |d| ended.push(d.host));
        assert_eq!(ended, [h]);
        assert!(!r.holds(h));
        // The history was spent on the recidive ban: counting starts again.
        assert_eq!(r.ban(h, 90_000), None);
    }

    #[test]
    fn permanent_bantime_never_expires() {
        let mut r = Recidive::new(
            Params {
                maxbans: 2,
                findtime: 60,
                bantime: None,
            },
            7,
        );
        let h = host("192.0.2.1");
        r.ban(h, 0);
        assert_eq!(r.ban(h, 1).map(|d| d.duration), Some(None));
        r.expire(i64::MAX, |_| panic!("a permanent ban ended"));
        assert_eq!(r.bans().count(), 1);
    }

    #[test]
    fn history_keeps_the_newest_maxbans_and_memory_is_bounded() {
        let mut r = Recidive::new(
            Params {
                maxbans: 3,
                findtime: 10,
                bantime: Some(100),
            },
            3,
        );
        // Many hosts with one ban each: the history table stays at its capacity.
        for i in 0..(CAPACITY as u32 + 100) {
            r.ban(Host::V4(i.into()), i64::from(i));
        }
        assert!(r.history.len() <= CAPACITY);
        let h = host("203.0.113.77");
        // Ten bans far apart never make three in ten seconds; three close ones do.
        for t in 0..10 {
            assert_eq!(r.ban(h, t * 1000), None);
        }
        assert_eq!(r.ban(h, 9005), None);
        assert!(r.ban(h, 9008).is_some());
    }

    #[test]
    fn lift_ends_a_ban_and_adopt_keeps_state_under_new_params() {
        let mut r = three_in_an_hour();
        let h = host("203.0.113.5");
        for t in [0, 1, 2] {
            r.ban(h, t);
        }
        assert_eq!(r.lift(h).map(|d| d.host), Some(h));
        assert!(!r.holds(h) && r.lift(h).is_none());
        r.ban(h, 10);
        let mut new = Recidive::new(
            Params {
                maxbans: 2,
                findtime: 3600,
                bantime: Some(5),
            },
            9,
        );
        new.adopt(r);
        assert_eq!(new.params.maxbans, 2);
        // The ban at 10 came over: one more makes two.
        assert_eq!(new.ban(h, 20).map(|d| d.duration), Some(Some(5)));
    }

    #[test]
    fn maxbans_is_clamped() {
        let r = Recidive::new(
            Params {
                maxbans: 99,
                ..Params::default()
            },
            0,
        );
        assert_eq!(r.params.maxbans, MAX_MAXBANS);
    }
}
