//! `config crowdsec`: where CrowdSec's Local API is, how to talk to it, what to take from it.
//!
//! The bouncer side needs `lapi_url` and `api_key`; the reporter side is on when
//! `machine_id` and `password` are set too. Secrets never appear in `Debug` output, logs or
//! `logjail check`. See `docs/crowdsec.md`.

use crate::lapi::http::Endpoint;
use crate::lapi::stream::Filter;
use core::fmt;

/// Default `poll_interval`, seconds.
pub const POLL_INTERVAL: u32 = 10;
/// Shortest and longest `poll_interval`.
pub const MIN_POLL: u32 = 1;
pub const MAX_POLL: u32 = 3600;
/// Longest `api_key`, `machine_id` or `password`.
pub const MAX_SECRET: usize = 256;
/// Default `max_decisions`: a community blocklist's size.
pub const DEFAULT_CAPACITY: usize = 30_000;
/// Largest `max_decisions`.
pub const MAX_CAPACITY: usize = 200_000;
/// Most `origins` entries.
pub const MAX_ORIGINS: usize = 16;

/// The section, checked.
#[derive(Clone, PartialEq)]
pub struct CrowdSec {
    pub enabled: bool,
    pub lapi: Endpoint,
    pub api_key: String,
    pub poll_interval: u32,
    /// Which scopes and origins to take.
    pub filter: Filter,
    /// Capacity of the table of LAPI's bans.
    pub max_decisions: usize,
    /// Watcher login for the reporter; `None`: no reports.
    pub machine_id: Option<String>,
    pub password: Option<String>,
    /// Line of the section, for messages.
    pub line: usize,
}

impl CrowdSec {
    /// Whether local bans are reported to LAPI.
    pub fn reports(&self) -> bool {
        self.machine_id.is_some() && self.password.is_some()
    }
}

impl fmt::Debug for CrowdSec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrowdSec")
            .field("enabled", &self.enabled)
            .field("lapi", &self.lapi)
            .field("api_key", &"(hidden)")
            .field("poll_interval", &self.poll_interval)
            .field("filter", &self.filter)
            .field("max_decisions", &self.max_decisions)
            .field("machine_id", &self.machine_id)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}
