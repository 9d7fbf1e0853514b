//! The one event loop: `poll` over the log source, the signal descriptor and the firewall's
//! event socket, with a tick at least every [`TICK_MS`].
//!
//! Signals arrive through a `signalfd` (they are blocked for normal delivery), so a signal is
//! just another readable descriptor and never interrupts half-done work: `SIGTERM`/`SIGINT`
//! end the loop, `SIGHUP` asks the caller to reload.
//!
//! The loop also serves the control socket (a client asking for a reload ends the loop with
//! [`Exit::Reload`] too; the caller answers it) and has the state [`Keeper`] write what is due.
//!
//! It follows the router's addresses when the watcher could be opened ([`AddrWatch`]): a
//! change hands the new list to the engine ([`Engine::set_own`]), which lifts bans now
//! covering an own address. A watcher that fails is logged and dropped (the last list stays);
//! it is never read again, so it cannot make the loop spin.
//!
//! CrowdSec's Local API client ([`LapiClient`]) is served every turn: its socket is polled
//! and its next poll or retry bounds the sleep.
//!
//! Bans the kernel refused are tried again when the firewall says a set changed
//! ([`crate::firewall::Changes::retry`]) and every [`RETRY_MS`] while any wait.

pub use super::apply::{apply, Applied};

use super::lapi_client::LapiClient;
use crate::addrwatch::AddrWatch;
use crate::clock::Now;
use crate::control::handle::handle;
use crate::control::server::Server;
use crate::engine::{Action, Engine, RETRY_MS};
use crate::firewall::Firewall;
use crate::source::{Source, Status};
use crate::state::keeper::Keeper;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::AsFd;

/// Longest sleep between ticks (expiry, source restarts, file checks).
pub const TICK_MS: u64 = 250;
/// How often the local zone's UTC offset is read again.
pub const ZONE_CHECK_MS: u64 = 60_000;
/// Within a long drain of the source, the clock is read again and the state keeper asked
/// every this many lines: with slow kernel commits a burst of thousands of lines takes
/// seconds, and `kill -9` must lose at most the last second of bans.
pub const LINES_PER_TURN: u32 = 64;

/// Why the loop returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// SIGTERM or SIGINT.
    Stop,
    /// SIGHUP: reload the configuration.
    Reload,
    /// Standard input ended.
    SourceEnded,
}

/// Blocks the daemon's signals for normal delivery and returns a descriptor that reads them.
pub fn signals() -> nix::Result<SignalFd> {
    let mut mask = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        mask.add(s);
    }
    mask.thread_block()?;
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
}

/// What the loop serves besides lines: the control socket and the state file.
#[derive(Default)]
pub struct Services {
    pub control: Option<Server>,
    pub keeper: Option<Keeper>,
    /// The router's addresses, followed (`None`: the start-up list stays).
    pub watch: Option<AddrWatch>,
    /// CrowdSec's Local API, when `config crowdsec` is enabled.
    pub lapi: Option<LapiClient>,
}

/// Reads the address watcher and hands a changed list to the engine; drops the watcher on an
/// error. Returns the actions to apply in `actions`.
fn own_changed(svc: &mut Services, engine: &mut Engine, now: Now, actions: &mut Vec<Action>) {
    let Some(w) = svc.watch.as_mut() else {
        return;
    };
    match w.read() {
        Ok(changes) if changes.is_empty() => {}
        Ok(changes) => {
            let own = w.own();
            let same = own.len() == engine.own().len() && own.iter().all(|c| engine.own().contains(c));
            if !same {
                log::info!(
                    "the router's addresses changed ({} changes): {} own addresses now",
                    changes.len(),
                    own.len()
                );
            }
            let n = engine.set_own(&own, now, actions);
            if n > 0 {
                log::info!("{n} bans lifted: they cover one of the router's own addresses");
            }
        }
        Err(e) => {
            log::error!("address watch: {e}; no longer following the router's addresses");
            svc.watch = None;
        }
    }
}

/// Runs until a signal, a reload request or the end of standard input. The clock is read
/// once per turn (and every [`LINES_PER_TURN`] lines of a long drain).
pub fn run(
    engine: &mut Engine,
    source: &mut Source,
    fw: &mut dyn Firewall,
    sig: &SignalFd,
    svc: &mut Services,
) -> Exit {
    let mut zone_checked_ms = None;
    let mut retried_ms = Now::read().mono_ms;
    let mut actions: Vec<Action> = Vec::new();
    let mut now = Now::read();
    loop {
        if zone_checked_ms.map_or(true, |t| now.mono_ms.saturating_sub(t) >= ZONE_CHECK_MS) {
            // The zone can change (DST, `uci set system.@system[0].zonename`): ask again now and then.
            engine.set_utc_offset(crate::sys::utc_offset(now.wall));
            zone_checked_ms = Some(now.mono_ms);
        }
        source.tick(now.mono_ms);
        if let Some((start, lines)) = source.replay() {
            // A (re)started `logread -l N -f` replays history first (engine::history).
            engine.replay(start, lines);
        }
        let (ready_src, ready_sig, ready_fw, ready_watch) = {
            let src_fd = source.fd();
            let fw_borrowed = fw.events().and_then(|e| e.event_fd());
            let watch_fd = svc.watch.as_ref().map(AddrWatch::fd);
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(12);
            fds.push(PollFd::new(sig.as_fd(), PollFlags::POLLIN));
            if let Some(fd) = src_fd {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some(fd) = fw_borrowed {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some(fd) = watch_fd {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some(ctl) = &svc.control {
                ctl.poll_fds(&mut fds);
            }
            // Last: the client is served every turn, so its readiness is not looked up.
            if let Some((fd, flags)) = svc.lapi.as_ref().and_then(LapiClient::interest) {
                fds.push(PollFd::new(fd, flags));
            }
            let due = [
                source.next_deadline_ms(),
                svc.keeper.as_ref().and_then(Keeper::next_due_ms),
                svc.lapi.as_ref().map(LapiClient::next_due_ms),
            ];
            let wait = due
                .into_iter()
                .flatten()
                .map(|d| d.saturating_sub(now.mono_ms))
                .fold(TICK_MS, u64::min);
            let timeout = PollTimeout::try_from(wait as i32).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => log::error!("poll: {}", crate::bytes::OsError(e as i32)),
            }
            let ready = |i: usize| {
                fds.get(i)
                    .and_then(|f| f.revents())
                    .is_some_and(|r| !r.is_empty())
            };
            let src_i = 1;
            let fw_i = 1 + usize::from(src_fd.is_some());
            let watch_i = fw_i + usize::from(fw_borrowed.is_some());
            (
                src_fd.is_none() || ready(src_i),
                ready(0),
                fw_borrowed.is_some() && ready(fw_i),
                watch_fd.is_some() && ready(watch_i),
            )
        };
        if ready_sig {
            while let Ok(Some(info)) = sig.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGHUP) => {
                        log::info!("SIGHUP: reloading the configuration");
                        return Exit::Reload;
                    }
                    Ok(s) => {
                        log::info!("{s}: stopping");
                        return Exit::Stop;
                    }
                    Err(_) => {}
                }
            }
        }
        now = Now::read();
        if ready_src {
            let mut n = 0u32;
            let status = source.read(now.mono_ms, &mut |raw: &[u8]| {
                engine.line(raw, now, &mut actions);
                if let Some(c) = svc.lapi.as_mut() {
                    c.note(&actions, engine, now);
                }
                apply(&mut actions, fw, engine, svc.keeper.as_mut());
                n += 1;
                if n % LINES_PER_TURN == 0 {
                    now = Now::read();
                    if let Some(k) = svc.keeper.as_mut() {
                        k.tick(engine, now);
                    }
                }
            });
            if status == Status::Ended {
                log::info!("end of input");
                return Exit::SourceEnded;
            }
        }
        if ready_fw {
            match fw.events().map(|e| e.poll_events()) {
                Some(Ok(c)) if c.reinstall => {
                    engine.reinstall(now, &mut actions);
                    apply(&mut actions, fw, engine, None);
                    while engine.lapi_drain(super::lapi_client::DRAIN_BATCH, now, &mut actions) > 0 {
                        apply(&mut actions, fw, engine, None);
                    }
                }
                Some(Ok(c)) if c.retry && engine.has_refused() => {
                    retried_ms = now.mono_ms;
                    engine.retry(now, &mut actions);
                }
                Some(Ok(_)) | None => {}
                Some(Err(e)) => log::error!("firewall events: {e}"),
            }
            apply(&mut actions, fw, engine, None);
        }
        if ready_watch {
            own_changed(svc, engine, now, &mut actions);
            apply(&mut actions, fw, engine, svc.keeper.as_mut());
        }
        if engine.has_refused() && now.mono_ms.saturating_sub(retried_ms) >= RETRY_MS {
            // Elements the kernel expires raise no event: room may have been made.
            retried_ms = now.mono_ms;
            engine.retry(now, &mut actions);
            apply(&mut actions, fw, engine, None);
        }
        let mut reload = false;
        if let Some(ctl) = svc.control.as_mut() {
            let src: &Source = source;
            let keeper = &mut svc.keeper;
            reload = ctl.service(now.mono_ms, &mut |req| {
                handle(req, engine, fw, keeper.as_mut(), src, now)
            });
        }
        if let Some(c) = svc.lapi.as_mut() {
            let keeper = &mut svc.keeper;
            c.service(engine, now, &mut actions, &mut |acts, eng| {
                apply(acts, fw, eng, keeper.as_mut());
            });
        }
        engine.tick(now, &mut actions);
        apply(&mut actions, fw, engine, svc.keeper.as_mut());
        if let Some(k) = svc.keeper.as_mut() {
            k.tick(engine, now);
        }
        if reload {
            log::info!("reload asked on the control socket");
            return Exit::Reload;
        }
    }
}
