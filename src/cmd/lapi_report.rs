//! The reporter's queue: local bans waiting to be posted to LAPI as alerts, and the watcher
//! token.
//!
//! The queue holds at most [`QUEUE`] reports; when LAPI is unreachable for long and it is
//! full, the oldest report is dropped and counted ([`Reporter::dropped`], logged at the first
//! drop of each outage). Alerts go [`BATCH`] at a time and leave the queue only when LAPI
//! accepted them. Only bans a jail decided are reported: LAPI's own (jail `crowdsec`) never
//! are, nor recidive's lengthening of a ban already reported.

use crate::clock::Now;
use crate::engine::lapi::JAIL;
use crate::engine::{Action, Engine};
use crate::lapi::alert::{Login, Report};
use std::collections::VecDeque;

/// Most reports waiting.
pub const QUEUE: usize = 256;
/// Reports per `POST /v1/alerts`.
pub const BATCH: usize = 16;
/// A token is renewed this long before it expires.
pub const RENEW_S: i64 = 60;
/// Wait after a failed login or post, doubled per failure up to [`MAX_WAIT_MS`].
pub const WAIT_MS: u64 = 10_000;
pub const MAX_WAIT_MS: u64 = 300_000;

/// See the module documentation.
pub struct Reporter {
    queue: VecDeque<Report>,
    pub dropped: u64,
    token: Option<(String, i64)>,
    wait_until_ms: u64,
    failures: u32,
}

/// What a failure or a success changed, for logging once per state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    /// The first failure after a success (or at start).
    Failing,
    /// The first success after failures.
    Working,
}

impl Default for Reporter {
    fn default() -> Self {
        Reporter::new()
    }
}

impl Reporter {
    pub fn new() -> Reporter {
        Reporter {
            queue: VecDeque::new(),
            dropped: 0,
            token: None,
            wait_until_ms: 0,
            failures: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues the jail bans among `actions`.
    pub fn note(&mut self, actions: &[Action], engine: &Engine, now: Now) {
        for a in actions {
            let Action::Block { ban } = a else { continue };
            if ban.jail == JAIL || ban.replace || ban.timeout == Some(0) {
                continue;
            }
            let events = engine
                .jails
                .iter()
                .find(|j| j.name == ban.jail.as_str())
                .map_or(1, |j| j.params.maxretry);
            if self.queue.len() >= QUEUE {
                self.queue.pop_front();
                self.dropped += 1;
                if self.dropped == 1 || self.failures == 0 {
                    log::warn!(
                        "crowdsec: alert queue full ({QUEUE}): dropping the oldest ({} dropped so far)",
                        self.dropped
                    );
                }
            }
            self.queue.push_back(Report {
                jail: ban.jail.clone(),
                host: ban.host,
                events,
                start: now.wall,
                duration: ban.timeout,
            });
        }
    }

    /// Whether a login or a post is due.
    pub fn due(&self, now: Now) -> bool {
        !self.queue.is_empty() && now.mono_ms >= self.wait_until_ms
    }

    /// When the next exchange is due, if any is waiting.
    pub fn next_due_ms(&self) -> Option<u64> {
        (!self.queue.is_empty()).then_some(self.wait_until_ms)
    }

    pub fn logged_in(&self, now: Now) -> bool {
        self.token
            .as_ref()
            .is_some_and(|(_, exp)| now.wall < exp - RENEW_S)
    }

    pub fn logged_in_until(&mut self, login: Login, now: Now) -> Change {
        let expire = login.expire.unwrap_or(now.wall + 1800);
        self.token = Some((login.token, expire));
        self.worked()
    }

    fn worked(&mut self) -> Change {
        let was = self.failures;
        self.failures = 0;
        if was > 0 {
            Change::Working
        } else {
            Change::Same
        }
    }

    pub fn logged_out(&mut self) {
        self.token = None;
    }

    /// The next reports to post and the token to post them with.
    pub fn batch(&mut self) -> (&[Report], &str) {
        let n = self.queue.len().min(BATCH);
        let token = self.token.as_ref().map_or("", |(t, _)| t.as_str());
        (&self.queue.make_contiguous()[..n], token)
    }

    /// LAPI took the first `n` reports.
    pub fn sent(&mut self, n: usize) -> Change {
        self.queue.drain(..n.min(self.queue.len()));
        log::info!("crowdsec: {n} alerts reported to LAPI");
        self.worked()
    }

    /// A login or post failed: wait, longer each time.
    pub fn failed(&mut self, now_ms: u64) -> Change {
        self.failures = self.failures.saturating_add(1);
        let wait = WAIT_MS
            .saturating_mul(1 << self.failures.min(10))
            .min(MAX_WAIT_MS);
        self.wait_until_ms = now_ms + wait;
        if self.failures == 1 {
            Change::Failing
        } else {
            Change::Same
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Host;
    use crate::config::{Config, JailConfig};
    use crate::firewall::Ban;

    #[test]
    fn queues_jail_bans_only_and_drops_the_oldest_when_full() {
        let c = Config {
            jails: vec![JailConfig::new("dropbear")],
            ..Config::default()
        };
        let engine = Engine::new(&c, &[], 1).expect("engine");
        let now = Now {
            wall: 1_795_860_000,
            mono_ms: 1,
        };
        let ban = |jail: &str, i: u32| Action::Block {
            ban: Ban::new(jail, Host::V4((0x0a00_0000 + i).into()), Some(600)),
        };
        let mut actions: Vec<Action> = (0..300).map(|i| ban("dropbear", i)).collect();
        actions.push(ban(JAIL, 9999));
        let mut lengthened = ban("recidive", 1);
        if let Action::Block { ban } = &mut lengthened {
            ban.replace = true;
        }
        actions.push(lengthened);
        let mut r = Reporter::new();
        r.note(&actions, &engine, now);
        assert_eq!((r.len(), r.dropped), (QUEUE, 300 - QUEUE as u64));
        assert!(r.due(now) && !r.logged_in(now));
        r.logged_in_until(
            Login {
                token: "t".into(),
                expire: Some(now.wall + 3600),
            },
            now,
        );
        assert!(r.logged_in(now));
        let (batch, token) = r.batch();
        assert_eq!((batch.len(), token), (BATCH, "t"));
        // The oldest were dropped: the first queued is the 45th ban.
        assert_eq!(batch[0].host, Host::V4((0x0a00_0000 + 44).into()));
        assert_eq!(batch[0].events, 5);
        assert_eq!(r.sent(BATCH), Change::Same);
        assert_eq!(r.len(), QUEUE - BATCH);
        let later = Now {
            wall: now.wall + 3550,
            ..now
        };
        assert!(!r.logged_in(later), "renewed a minute before it expires");
        assert_eq!(r.failed(now.mono_ms), Change::Failing);
        assert_eq!(r.failed(now.mono_ms), Change::Same);
        assert!(!r.due(now));
        assert_eq!(r.sent(1), Change::Working);
    }
}
