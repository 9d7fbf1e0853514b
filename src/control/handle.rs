//! Answers one control request: reads come from the engine's jails, manual bans and unbans
//! are engine requests whose actions are applied at once (so the client hears the firewall's
//! answer). Runs inside the event loop, between lines.
//!
//! `list` also asks the firewall what its sets hold and shows the elements no ban of logjail
//! accounts for as kernel-only; `unban` says what went from logjail's bans and what from the
//! sets alone, and "nothing was banned" only when neither held it.

use super::proto::{
    BanInfo, BanTime, Health, HeldInfo, JailStatus, RefusedInfo, Request, Response, BANS_PER_FRAME,
};
use super::server::Handled;
use crate::clock::Now;
use crate::cmd::event_loop::apply;
use crate::engine::{self, Engine};
use crate::firewall::Firewall;
use crate::jail::Decision;
use crate::source::{Source, Status};
use crate::state::keeper::Keeper;

/// The daemon's answer to `req` at `now`.
pub fn handle(
    req: Request,
    daemon: &mut Engine,
    fw: &mut dyn Firewall,
    keeper: Option<&mut Keeper>,
    source: &Source,
    now: Now,
) -> Handled {
    let reply = match req {
        Request::Reload => return Handled::Reload,
        Request::Version => vec![Response::Version {
            version: env!("CARGO_PKG_VERSION").into(),
        }],
        Request::Status { jail } => vec![status(daemon, source, keeper.as_deref(), jail.as_deref(), now)],
        Request::List { jail } => list(daemon, fw, jail.as_deref(), now),
        Request::Ban {
            jail,
            addr,
            time,
            force,
        } => vec![ban(daemon, fw, keeper, &jail, &addr, time, force, now)],
        Request::Unban { addr } => vec![unban(daemon, fw, keeper, addr.as_deref(), now)],
    };
    Handled::Reply(reply)
}

fn err(msg: String) -> Response {
    Response::Error(msg)
}

fn jail_index(daemon: &Engine, name: &str) -> Result<usize, Response> {
    daemon.jail_index(name).map_err(|e| err(e.to_string()))
}

fn info(jail: &str, d: &Decision, clock: i64) -> BanInfo {
    BanInfo {
        jail: jail.into(),
        address: d.host.to_string(),
        remaining: d.remaining(clock),
        count: d.count,
        start: d.start,
    }
}

fn status(
    daemon: &Engine,
    source: &Source,
    keeper: Option<&Keeper>,
    only: Option<&str>,
    now: Now,
) -> Response {
    let lapi = daemon.lapi.is_some() && only == Some(crate::engine::lapi::JAIL);
    if let Some(name) = only.filter(|_| !lapi) {
        if let Err(e) = jail_index(daemon, name) {
            return e;
        }
    }
    let jails = daemon
        .jails
        .iter()
        .filter(|j| only.map_or(true, |n| n == j.name))
        .map(|j| {
            let s = j.stats();
            JailStatus {
                name: j.name.clone(),
                currently_failed: j.failing() as u64,
                total_failed: s.failed_total,
                currently_banned: j.banned() as u64,
                total_banned: s.banned_total,
            }
        })
        .collect::<Vec<_>>();
    let mut jails = jails;
    // LAPI's bans as the pseudo-jail `crowdsec` (see engine::lapi).
    if let Some(t) = daemon
        .lapi
        .as_ref()
        .filter(|_| only.map_or(true, |n| n == crate::engine::lapi::JAIL))
    {
        jails.push(JailStatus {
            name: crate::engine::lapi::JAIL.into(),
            currently_failed: 0,
            total_failed: 0,
            currently_banned: t.len() as u64,
            total_banned: t.len() as u64,
        });
    }
    let source_state = match source.status() {
        Status::Open => "open",
        Status::Waiting => "waiting",
        Status::Ended => "ended",
    };
    let (state_failures, flash_failures) = keeper.map_or((0, 0), Keeper::failures);
    let c = daemon.counters;
    let health = Health {
        refused: daemon.refusals(now).count() as u64,
        refused_total: c.refused,
        firewall_errors: c.firewall_errors,
        ignored_lines: source.stats().ignored,
        state_failures,
        flash_failures,
        own_addresses: u32::try_from(daemon.own().len()).unwrap_or(u32::MAX),
    };
    Response::Overview {
        source_state: source_state.into(),
        source: source.to_string(),
        jails,
        health,
    }
}

fn frames<T: Clone>(all: &[T], wrap: fn(Vec<T>) -> Response, out: &mut Vec<Response>) {
    out.extend(all.chunks(BANS_PER_FRAME).map(|c| wrap(c.to_vec())));
}

fn list(daemon: &Engine, fw: &mut dyn Firewall, only: Option<&str>, now: Now) -> Vec<Response> {
    let lapi = daemon.lapi.is_some() && only == Some(crate::engine::lapi::JAIL);
    if let Some(name) = only.filter(|_| !lapi) {
        if let Err(e) = jail_index(daemon, name) {
            return vec![e];
        }
    }
    let clock = daemon.clock(now);
    let all: Vec<BanInfo> = daemon
        .jails
        .iter()
        .filter(|j| only.map_or(true, |n| n == j.name))
        .flat_map(|j| j.bans().map(move |d| (j, d)))
        .filter(|(_, d)| d.remaining(clock) != Some(0))
        .filter(|(j, d)| !daemon.is_refused(&j.name, &d.host))
        .map(|(j, d)| info(&j.name, d, clock))
        .chain(lapi_bans(daemon, only, now))
        .collect();
    let refused: Vec<RefusedInfo> = daemon
        .refusals(now)
        .filter(|(r, _)| only.map_or(true, |n| n == r.jail.as_str()))
        .map(|(r, d)| RefusedInfo {
            ban: info(&r.jail, d, clock),
            reason: r.reason.clone(),
        })
        .collect();
    let mut out = Vec::new();
    frames(&all, Response::Bans, &mut out);
    frames(&refused, Response::Refused, &mut out);
    if only.is_none() {
        frames(&kernel_only(daemon, fw, now), Response::KernelOnly, &mut out);
    }
    out.push(Response::End);
    out
}

/// LAPI's bans, listed under the pseudo-jail `crowdsec` (`list crowdsec` shows only them).
fn lapi_bans(daemon: &Engine, only: Option<&str>, now: Now) -> Vec<BanInfo> {
    if only.is_some_and(|n| n != crate::engine::lapi::JAIL) {
        return Vec::new();
    }
    daemon
        .lapi_bans(now)
        .map(|(host, left)| BanInfo {
            jail: crate::engine::lapi::JAIL.into(),
            address: host.to_string(),
            remaining: Some(left),
            count: 1,
            start: now.wall,
        })
        .collect()
}

/// What the sets hold that no ban of logjail (a jail's or recidive's) accounts for.
fn kernel_only(daemon: &Engine, fw: &mut dyn Firewall, now: Now) -> Vec<HeldInfo> {
    let held = match fw.held() {
        Ok(h) => h,
        Err(e) => {
            log::warn!("list: cannot read the firewall's sets: {e}");
            return Vec::new();
        }
    };
    let mut known: Vec<_> = daemon
        .active(now)
        .into_iter()
        .map(|b| b.host)
        .chain(daemon.jails.iter().flat_map(|j| j.bans().map(|d| d.host)))
        .chain(daemon.lapi_bans(now).map(|(h, _)| h))
        .collect();
    // Sorted: with LAPI's bans both lists can hold tens of thousands.
    known.sort_unstable();
    held.into_iter()
        .filter(|k| known.binary_search(&k.host).is_err())
        .map(|k| HeldInfo {
            address: k.host.to_string(),
            remaining: k.remaining,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn ban(
    daemon: &mut Engine,
    fw: &mut dyn Firewall,
    keeper: Option<&mut Keeper>,
    jail: &str,
    text: &str,
    time: BanTime,
    force: bool,
    now: Now,
) -> Response {
    let time = match time {
        BanTime::Jail => engine::BanTime::Jail,
        BanTime::Seconds(s) => engine::BanTime::Seconds(s),
        BanTime::Permanent => engine::BanTime::Permanent,
    };
    let own = daemon.own().to_vec();
    let mut actions = Vec::new();
    let req = engine::BanRequest {
        jail,
        addr: text,
        time,
        force,
    };
    let d = match daemon.ban(req, &own, now, &mut actions) {
        Ok(d) => d,
        Err(e) => return err(e.to_string()),
    };
    let done = apply(&mut actions, fw, daemon, keeper);
    if let Some(r) = done.refused.iter().find(|r| r.host == d.host) {
        return err(format!(
            "{jail}: ban {}: the kernel refused it: {}; logjail keeps the ban and tries again when the set changes",
            d.host, r.reason
        ));
    }
    if let Some(e) = done.error {
        return err(format!("{jail}: ban {}: {e}", d.host));
    }
    Response::Banned(info(jail, &d, daemon.clock(now)))
}

fn unban(
    daemon: &mut Engine,
    fw: &mut dyn Firewall,
    keeper: Option<&mut Keeper>,
    text: Option<&str>,
    now: Now,
) -> Response {
    let mut actions = Vec::new();
    let gone = match daemon.unban(text, now, &mut actions) {
        Ok(g) => g,
        Err(e) => return err(e.to_string()),
    };
    let done = apply(&mut actions, fw, daemon, keeper);
    if let Some(e) = done.error {
        return err(format!("unban: {e}"));
    }
    let clock = daemon.clock(now);
    let bans: Vec<BanInfo> = gone.iter().map(|(j, d)| info(j, d, clock)).collect();
    // The kernel's own: removed elements no ban of logjail accounts for.
    let kernel_only = done
        .lifted
        .iter()
        .filter(|h| gone.iter().all(|(_, d)| d.host != **h))
        .map(|h| h.to_string())
        .collect();
    Response::Lifted {
        bans,
        kernel_only,
        emptied: done.emptied.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
    }
}
