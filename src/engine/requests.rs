//! Requests to the engine besides lines and ticks: manual ban and unban, and a reload.

use super::{release, Action, Engine, Origin, Why};
use crate::addr::{self, Cidr, Host};
use crate::clock::Now;
use crate::firewall::{jail_name, JailName};
use crate::jail::recidive;
use crate::jail::{Decision, Jail};
use core::fmt;

/// How long a manual ban lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BanTime {
    /// As the jail would decide (with its escalation).
    Jail,
    Seconds(u32),
    Permanent,
}

/// A manual ban: `addr` (an address or prefix as the user wrote it) in `jail`; `force`
/// overrides the jail's ignore list (never loopback or the router's own addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BanRequest<'a> {
    pub jail: &'a str,
    pub addr: &'a str,
    pub time: BanTime,
    pub force: bool,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    NoJail { name: String, jails: String },
    NotAnAddress(String),
    Own { host: Host, cidr: Cidr },
    NoHost(Host),
    Ignored { host: Host, jail: String },
    ZeroSeconds,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::NoJail { name, jails } => write!(f, "no jail '{name}' (jails: {jails})"),
            RequestError::NotAnAddress(t) => write!(f, "'{t}' is not an IP address or prefix"),
            RequestError::Own { host, cidr } => write!(
                f,
                "{host} is loopback or one of the router's own addresses ({cidr}); never banned"
            ),
            RequestError::NoHost(host) => write!(
                f,
                "{host} is not a host's address (unspecified, broadcast, multicast or reserved); never banned"
            ),
            RequestError::Ignored { host, jail } => write!(
                f,
                "{host} is on the ignore list of jail '{jail}' (use --force to ban it anyway)"
            ),
            RequestError::ZeroSeconds => f.write_str("a ban of 0 seconds is no ban"),
        }
    }
}

/// An address as a jail counts it: `1.2.3.4`, `[2001:db8::1]`, or a prefix `2001:db8::/64`.
fn host_in(jail: &Jail, text: &str) -> Option<Host> {
    match addr::parse_host(text.as_bytes()) {
        Some(ip) => Some(jail.host(ip)),
        None => Host::parse(text),
    }
}

impl Engine {
    /// The index of the jail called `name`.
    pub fn jail_index(&self, name: &str) -> Result<usize, RequestError> {
        self.jails
            .iter()
            .position(|j| j.name == name)
            .ok_or_else(|| RequestError::NoJail {
                name: name.into(),
                jails: self
                    .jails
                    .iter()
                    .map(|j| j.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// A manual ban. The router's own addresses — `own` and the engine's list
    /// ([`Engine::set_own`]) — are never banned.
    pub fn ban(
        &mut self,
        req: BanRequest<'_>,
        own: &[Cidr],
        now: Now,
        out: &mut Vec<Action>,
    ) -> Result<Decision, RequestError> {
        let BanRequest {
            jail,
            addr: text,
            time,
            force,
        } = req;
        let ji = self.jail_index(jail)?;
        let host = host_in(&self.jails[ji], text).ok_or_else(|| RequestError::NotAnAddress(text.into()))?;
        let never = super::loopback();
        let mut never = never.iter().chain(own).chain(self.own.iter());
        if let Some(c) = never.find(|c| c.overlaps(&host)) {
            return Err(RequestError::Own { host, cidr: *c });
        }
        if !host.can_offend() {
            return Err(RequestError::NoHost(host));
        }
        if !force && self.jails[ji].is_ignored(&host) {
            return Err(RequestError::Ignored {
                host,
                jail: jail.into(),
            });
        }
        let duration = match time {
            BanTime::Jail => None,
            BanTime::Seconds(0) => return Err(RequestError::ZeroSeconds),
            BanTime::Seconds(s) => Some(Some(s)),
            BanTime::Permanent => Some(None),
        };
        self.clock.tick(now);
        let d = self.jails[ji].ban(host, self.clock.at(now), duration);
        self.block(ji, &d, now, Origin::Manual, out);
        Ok(d)
    }

    /// A manual unban of `text` (`None`: every ban). Every jail's and recidive's ban of the
    /// host goes, and the firewall is asked to lift every element overlapping the host
    /// ([`Action::Lift`]) whether or not a jail knew it (the sets are logjail's: an element
    /// left by a crash or added by hand must go too); `None` asks it to empty the sets.
    /// Returns the bans the engine held.
    pub fn unban(
        &mut self,
        text: Option<&str>,
        now: Now,
        out: &mut Vec<Action>,
    ) -> Result<Vec<(JailName, Decision)>, RequestError> {
        self.clock.tick(now);
        let mut gone = Vec::new();
        let mut asked: Vec<(JailName, Host)> = Vec::new();
        for j in self.jails.iter_mut() {
            let hosts: Vec<Host> = match text {
                None => j.bans().map(|d| d.host).collect(),
                Some(t) => match host_in(j, t) {
                    Some(h) => {
                        if !asked.iter().any(|(_, a)| *a == h) {
                            asked.push((jail_name(&j.name), h));
                        }
                        vec![h]
                    }
                    None => continue,
                },
            };
            for h in hosts {
                let Some(d) = j.unban(&h) else { continue };
                release(out, &j.name, h, Why::Manual);
                gone.push((jail_name(&j.name), d));
            }
        }
        if let Some(t) = text {
            if asked.is_empty() {
                return Err(RequestError::NotAnAddress(t.into()));
            }
        }
        // A recidive ban of the same hosts goes too: the owner asked for them to be let in.
        if let Some(r) = self.recidive.as_mut() {
            let lifted: Vec<Host> = match text {
                None => r.bans().map(|d| d.host).collect(),
                Some(t) => match Cidr::parse(t) {
                    Some(c) => r.bans().filter(|d| c.overlaps(&d.host)).map(|d| d.host).collect(),
                    None => Vec::new(),
                },
            };
            for h in lifted {
                let Some(d) = r.lift(h) else { continue };
                release(out, recidive::NAME, h, Why::Manual);
                gone.push((jail_name(recidive::NAME), d));
            }
        }
        // LAPI's bans of the same hosts go here only (see `lapi`).
        for (h, left) in self.lapi_unban(text, now) {
            gone.push((
                jail_name(super::lapi::JAIL),
                Decision {
                    host: h,
                    start: self.clock.at(now),
                    duration: Some(left),
                    count: 1,
                },
            ));
        }
        match text {
            None => {
                log::info!("manual unban of everything: the firewall's sets are emptied");
                out.push(Action::ReleaseAll);
            }
            Some(_) => {
                for (_, h) in asked {
                    out.push(Action::Lift { host: h });
                }
            }
        }
        self.refused
            .retain(|r| text.is_some() && gone.iter().all(|(_, d)| d.host != r.host));
        Ok(gone)
    }

    /// A reload: `new`, built from the new configuration, takes over this engine's bans,
    /// offender records, recidive history, counters and clock, and is returned. Bans of jails
    /// that are gone, of hosts the new ignore lists cover, and recidive's when it was turned
    /// off are lifted.
    pub fn reload(mut self, mut new: Engine, now: Now, out: &mut Vec<Action>) -> Engine {
        match (new.recidive.as_mut(), self.recidive.take()) {
            (Some(n), Some(o)) => n.adopt(o),
            (None, Some(o)) => {
                for d in o.bans() {
                    release(out, recidive::NAME, d.host, Why::RecidiveOff);
                }
            }
            (_, None) => {}
        }
        for oj in &self.jails {
            let target = new.jails.iter().position(|j| j.name == oj.name);
            if let Some(i) = target {
                let records: Vec<_> = oj.offenders().map(|(h, o)| (*h, *o)).collect();
                for (h, o) in records.into_iter().rev() {
                    new.jails[i].restore_offender(h, o);
                }
            }
            for d in oj.bans() {
                match target {
                    Some(i) if !new.jails[i].is_ignored(&d.host) => new.jails[i].restore(*d),
                    _ => release(out, &oj.name, d.host, Why::Reload),
                }
            }
        }
        new.counters = self.counters;
        new.clock = self.clock;
        new.utc_offset = self.utc_offset;
        new.history = self.history;
        new.clock.tick(now);
        new.refused = self.refused;
        match (new.lapi.as_mut(), self.lapi.take()) {
            (Some(n), Some(o)) => n.adopt(o),
            (None, Some(o)) => {
                log::info!(
                    "{}: section removed or disabled: lifting LAPI's {} bans",
                    super::lapi::JAIL,
                    o.len()
                );
                out.extend(o.entries().iter().map(|e| Action::Release {
                    jail: jail_name(super::lapi::JAIL),
                    host: e.host,
                }));
            }
            (_, None) => {}
        }
        // A recidive ban adopted from the old engine may cover an own address.
        let own = new.own.clone();
        new.set_own(&own, now, out);
        log::info!("reloaded: {} jails", new.jails.len());
        new
    }
}
