//! Answers one control request from the daemon's jails, calling the firewall for manual bans
//! and unbans. Runs inside the event loop, between lines.

use super::proto::{BanInfo, BanTime, JailStatus, Request, Response, BANS_PER_FRAME};
use super::server::Handled;
use crate::addr::{self, Host};
use crate::daemon::{Daemon, Now};
use crate::firewall::{Ban, Firewall};
use crate::jail::{Decision, Jail};
use crate::source::{Source, Status};

/// The daemon's answer to `req` at `now`.
pub fn handle(
    req: Request,
    daemon: &mut Daemon,
    fw: &mut dyn Firewall,
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
        } => vec![ban(daemon, fw, &jail, &addr, time, force, now)],
        Request::Unban { addr } => vec![unban(daemon, fw, addr.as_deref(), now)],
    };
    Handled::Reply(reply)
}

fn err(msg: String) -> Response {
    Response::Error(msg)
}

fn jail_index(daemon: &Daemon, name: &str) -> Result<usize, Response> {
    daemon.jails.iter().position(|j| j.name == name).ok_or_else(|| {
        let names: Vec<&str> = daemon.jails.iter().map(|j| j.name.as_str()).collect();
        err(format!("no jail '{name}' (jails: {})", names.join(", ")))
    })
}

/// An address as a jail counts it: `1.2.3.4`, `[2001:db8::1]`, or a prefix `2001:db8::/64`.
fn host_in(jail: &Jail, text: &str) -> Option<Host> {
    match addr::parse_host(text.as_bytes()) {
        Some(ip) => Some(jail.host(ip)),
        None => Host::parse(text),
    }
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

fn status(daemon: &Daemon, source: &Source, only: Option<&str>) -> Response {
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

fn list(daemon: &Daemon, only: Option<&str>, now: Now) -> Vec<Response> {
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

fn ban(
    daemon: &mut Daemon,
    fw: &mut dyn Firewall,
    jail: &str,
    text: &str,
    time: BanTime,
    force: bool,
    now: Now,
) -> Response {
    let ji = match jail_index(daemon, jail) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let Some(host) = host_in(&daemon.jails[ji], text) else {
        return err(format!("'{text}' is not an IP address or prefix"));
    };
    let own = crate::config::selfaddr::addresses();
    if let Some(c) = own.iter().find(|c| c.overlaps(&host)) {
        return err(format!(
            "{host} is loopback or one of the router's own addresses ({c}); never banned"
        ));
    }
    if !host.can_offend() {
        return err(format!(
            "{host} is not a host's address (unspecified, broadcast, multicast or reserved); never banned"
        ));
    }
    if !force && daemon.jails[ji].is_ignored(&host) {
        return err(format!(
            "{host} is on the ignore list of jail '{jail}' (use --force to ban it anyway)"
        ));
    }
    let duration = match time {
        BanTime::Jail => None,
        BanTime::Seconds(0) => return err("a ban of 0 seconds is no ban".into()),
        BanTime::Seconds(s) => Some(Some(s)),
        BanTime::Permanent => Some(None),
    };
    let clock = daemon.clock(now);
    let d = daemon.jails[ji].ban(host, clock, duration);
    let b = daemon.ban_of(ji, &d, now.wall);
    let shown = b
        .timeout
        .map_or_else(|| "permanently".into(), |s| format!("for {s}s"));
    log::info!("{jail}: manual ban of {host} {shown} (ban #{})", d.count);
    if let Err(e) = fw.block(&b) {
        daemon.counters.firewall_errors += 1;
        log::error!("{jail}: ban {host}: {e}");
        return err(format!("{jail}: ban {host}: {e}"));
    }
    Response::Banned(info(jail, &d, clock))
}

fn unban(daemon: &mut Daemon, fw: &mut dyn Firewall, text: Option<&str>, now: Now) -> Response {
    let clock = daemon.clock(now);
    let mut gone = Vec::new();
    let mut parsed_any = text.is_none();
    for j in daemon.jails.iter_mut() {
        let hosts: Vec<Host> = match text {
            None => j.bans().map(|d| d.host).collect(),
            Some(t) => match host_in(j, t) {
                Some(h) => {
                    parsed_any = true;
                    vec![h]
                }
                None => continue,
            },
        };
        for h in hosts {
            let Some(d) = j.unban(&h) else { continue };
            log::info!("{}: manual unban of {h}", j.name);
            let b = Ban {
                jail: &j.name,
                host: h,
                timeout: None,
            };
            if let Err(e) = fw.release(&b) {
                daemon.counters.firewall_errors += 1;
                log::error!("{}: unban {h}: {e}", j.name);
            }
            gone.push(info(&j.name, &d, clock));
        }
    }
    if !parsed_any {
        return err(format!("'{}' is not an IP address or prefix", text.unwrap_or("")));
    }
    // A recidive ban of the same hosts goes too: the owner asked for them to be let in.
    if let Some(r) = daemon.recidive.as_mut() {
        let lifted: Vec<Host> = match text {
            None => r.bans().map(|d| d.host).collect(),
            Some(t) => match crate::addr::Cidr::parse(t) {
                Some(c) => r.bans().filter(|d| c.overlaps(&d.host)).map(|d| d.host).collect(),
                None => Vec::new(),
            },
        };
        for h in lifted {
            let Some(d) = r.lift(h) else { continue };
            log::info!("{}: manual unban of {h}", crate::jail::recidive::NAME);
            let b = Ban {
                jail: crate::jail::recidive::NAME,
                host: h,
                timeout: None,
            };
            if let Err(e) = fw.release(&b) {
                daemon.counters.firewall_errors += 1;
                log::error!("{}: unban {h}: {e}", crate::jail::recidive::NAME);
            }
            gone.push(info(crate::jail::recidive::NAME, &d, clock));
        }
    }
    Response::Unbanned(gone)
}
