//! Jails: failure counting in fixed-size tables and ban decisions.

pub mod capacity {
    //! Table capacities. Each jail's tables are sized once at start with the configured
    //! capacity, never grow, and evict their least recently seen entry when full.

    /// Hosts with failures inside `findtime`, per jail.
    pub const DEFAULT_FAILURES: usize = 1024;
    pub const MAX_FAILURES: usize = 65536;
    /// Active bans, per jail.
    pub const DEFAULT_BANS: usize = 4096;
    pub const MAX_BANS: usize = 65536;
    /// Repeat-offender history (ban counts for escalation), per jail.
    pub const DEFAULT_OFFENDERS: usize = 4096;
    pub const MAX_OFFENDERS: usize = 65536;
    /// Largest `maxretry`: a failing host keeps this many timestamps for the sliding window.
    pub const MAX_MAXRETRY: u32 = 32;
}

pub mod attempt;
mod judge;
pub mod recidive;
pub mod table;
#[cfg(test)]
mod tests;

pub use judge::{Capacity, Decision, Jail, Offender, Stats, Verdict, OFFENDER_MEMORY};

use crate::addr::Host;

/// Counting and ban rules of a jail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub maxretry: u32,
    pub findtime: u32,
    /// `None` = permanent.
    pub bantime: Option<u32>,
    pub factor: u32,
    pub bantime_max: Option<u32>,
    pub ipv6_prefix: u8,
}

impl Params {
    /// Ban time for a host banned `previous` times before, whose last ban lasted `last`.
    pub(super) fn duration(&self, previous: Option<(u32, Option<u32>)>) -> Option<u32> {
        let base = self.bantime?;
        let Some((_, last)) = previous else {
            return Some(base);
        };
        let last = last?; // the previous ban was permanent: so is this one
        let grown = u64::from(last.max(base)) * u64::from(self.factor);
        let capped = match self.bantime_max {
            Some(max) => grown.min(u64::from(max.max(base))),
            None => grown,
        };
        Some(u32::try_from(capped).unwrap_or(u32::MAX))
    }
}

/// Largest `recidive_maxbans`: a host keeps this many ban times.
pub const MAX_MAXBANS: u32 = 16;

/// `recidive_maxbans`, `recidive_findtime`, `recidive_bantime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecidiveParams {
    /// Bans within `findtime` that make a recidivist; 2..=[`MAX_MAXBANS`].
    pub maxbans: u32,
    /// Seconds.
    pub findtime: u32,
    /// Seconds; `None` = permanent.
    pub bantime: Option<u32>,
}

impl Default for RecidiveParams {
    /// Five bans in a day give a week.
    fn default() -> Self {
        RecidiveParams {
            maxbans: 5,
            findtime: 86_400,
            bantime: Some(604_800),
        }
    }
}

impl table::Key for Host {
    fn hash(&self, seed: u64) -> u64 {
        match *self {
            Host::V4(a) => table::mix(u64::from(u32::from(a)) ^ seed),
            Host::V6(a, p) => {
                let v = u128::from(a);
                let hi = table::mix((v >> 64) as u64 ^ seed);
                table::mix(hi ^ (v as u64) ^ u64::from(p).rotate_left(56))
            }
        }
    }
}
