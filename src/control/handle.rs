//! Answers one control request: reads come from the engine's jails, manual bans and unbans
//! are engine requests whose actions are applied at once (so the client hears the firewall's
//! answer). Runs inside the event loop, between lines.

use super::proto::{BanInfo, BanTime, JailStatus, Request, Response, BANS_PER_FRAME};
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
        Request::Status { jail } => vec![status(daemon, source, jail.as_deref())],
        Request::List { jail } => list(daemon, jail.as_deref(), now),
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

fn status(daemon: &Engine, source: &Source, only: Option<&str>) -> Response {
    if let Some(name) = only {
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
        .collect();
    let source_state = match source.status() {
        Status::Open => "open",
        Status::Waiting => "waiting",
        Status::Ended => "ended",
    };
    Response::Status {
        source_state: source_state.into(),
        source: source.to_string(),
        jails,
    }
}

fn list(daemon: &Engine, only: Option<&str>, now: Now) -> Vec<Response> {
    if let Some(name) = only {
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
        .map(|(j, d)| info(&j.name, d, clock))
        .collect();
    let mut out: Vec<Response> = all
        .chunks(BANS_PER_FRAME)
        .map(|c| Response::Bans(c.to_vec()))
        .collect();
    out.push(Response::End);
    out
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
    let own = crate::config::selfaddr::addresses();
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
    if let Some(e) = apply(&mut actions, fw, &mut daemon.counters, keeper) {
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
    if let Some(e) = apply(&mut actions, fw, &mut daemon.counters, keeper) {
        return err(format!("unban: {e}"));
    }
    let clock = daemon.clock(now);
    Response::Unbanned(gone.iter().map(|(j, d)| info(j, d, clock)).collect())
}
