//! Bans the kernel refused: remembered with the kernel's reason, shown, and tried again.
//!
//! A kernel backend may refuse single elements (a set declared with a `size` that is full, a
//! set without `flags timeout`). The engine still holds such a ban — the host stays banned as
//! far as counting goes, so the same failures do not ban it again and again — but the ban is
//! not in force, so the shell reports each refusal ([`Engine::refused`]) and `list` shows it
//! as refused with the reason, `status` counts it. [`Engine::retry`] asks for every refused
//! ban that is still due to be blocked again; the shell calls it when the firewall says a set
//! changed (re-created with a larger size, elements removed by someone else) and every
//! [`RETRY_MS`] while any are waiting (elements the kernel expires raise no event). A ban that
//! ends or is lifted while refused is simply forgotten.
//!
//! **Bounds.** At most [`MAX_REFUSED`] refusals are kept (the oldest goes first), each reason
//! cut to [`REASON_MAX`] bytes.

use super::{Action, Engine};
use crate::addr::Host;
use crate::clock::Now;
use crate::firewall::{jail_name, JailName};
use crate::jail::{recidive, Decision};

/// Most refused bans remembered.
pub const MAX_REFUSED: usize = 1024;
/// Longest reason kept, in bytes.
pub const REASON_MAX: usize = 160;
/// How often refused bans are tried again without a firewall event.
pub const RETRY_MS: u64 = 60_000;

/// A ban the kernel refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub jail: JailName,
    pub host: Host,
    /// In the kernel's words: `set logjail_v4 in table inet fw4 is full (size 2)`.
    pub reason: String,
}

impl Engine {
    /// The kernel refused `jail`'s ban of `host` because of `reason`.
    pub fn refused(&mut self, jail: &str, host: Host, reason: &str) {
        self.counters.refused += 1;
        let mut end = reason.len().min(REASON_MAX);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let r = Refused {
            jail: jail_name(jail),
            host,
            reason: reason[..end].to_string(),
        };
        match self
            .refused
            .iter_mut()
            .find(|x| x.host == host && x.jail == r.jail)
        {
            Some(x) => *x = r,
            None => {
                if self.refused.len() >= MAX_REFUSED {
                    self.refused.remove(0);
                }
                self.refused.push(r);
            }
        }
    }

    /// The decision behind a refusal, while the engine still holds it.
    fn refused_decision(&self, r: &Refused) -> Option<&Decision> {
        if r.jail == recidive::NAME {
            return self
                .recidive
                .as_ref()
                .and_then(|rc| rc.bans().find(|d| d.host == r.host));
        }
        self.jails
            .iter()
            .find(|j| j.name == r.jail.as_str())
            .and_then(|j| j.ban_of(&r.host))
    }

    /// Refused bans still held and still due at `now`, with their decisions.
    pub fn refusals(&self, now: Now) -> impl Iterator<Item = (&Refused, &Decision)> + '_ {
        let clock = self.clock.at(now);
        self.refused.iter().filter_map(move |r| {
            self.refused_decision(r)
                .filter(|d| d.remaining(clock) != Some(0))
                .map(|d| (r, d))
        })
    }

    /// True when `jail`'s ban of `host` is waiting as refused.
    pub fn is_refused(&self, jail: &str, host: &Host) -> bool {
        self.refused.iter().any(|r| r.host == *host && r.jail == jail)
    }

    /// True when refused bans wait for another try.
    pub fn has_refused(&self) -> bool {
        !self.refused.is_empty()
    }

    /// Pushes a block of every refused ban still due and forgets the refusals (a new refusal
    /// brings one back). Returns how many were tried.
    pub fn retry(&mut self, now: Now, out: &mut Vec<Action>) -> usize {
        self.clock.tick(now);
        let bans: Vec<_> = self
            .refusals(now)
            .map(|(r, d)| self.ban_view(&r.jail, d, now))
            .filter(|b| b.timeout != Some(0))
            .collect();
        self.refused.clear();
        if !bans.is_empty() {
            log::info!("trying {} refused bans again", bans.len());
        }
        let n = bans.len();
        out.extend(bans.into_iter().map(|ban| Action::Block { ban }));
        n
    }
}
