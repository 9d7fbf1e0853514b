//! LAPI's bans as `list`, a reinstall and `unban` see them (see [`super`]).

use super::JAIL;
use crate::addr::{self, Cidr, Host};
use crate::clock::Now;
use crate::engine::Engine;

impl Engine {
    /// The firewall lost its sets: every LAPI ban still running is to be installed again
    /// ([`Engine::lapi_drain`]).
    pub fn lapi_reinstall(&mut self, now: Now) {
        let wall = self.clock.trusted_wall(now);
        let Some(t) = self.lapi.as_mut() else { return };
        t.expire(wall);
        t.releases.clear();
        for e in t.entries.iter_mut() {
            e.state = super::INSTALL;
        }
        t.pending = !t.entries.is_empty();
        if t.pending {
            log::info!("{JAIL}: re-installing LAPI's {} bans", t.entries.len());
        }
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
    pub(in crate::engine) fn lapi_unban(&mut self, text: Option<&str>, now: Now) -> Vec<(Host, u32)> {
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
