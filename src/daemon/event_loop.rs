//! The one event loop: `poll` over the log source, the signal descriptor and the firewall's
//! event socket, with a tick at least every [`TICK_MS`].
//!
//! Signals arrive through a `signalfd` (they are blocked for normal delivery), so a signal is
//! just another readable descriptor and never interrupts half-done work: `SIGTERM`/`SIGINT`
//! end the loop, `SIGHUP` asks the caller to reload.
//!
//! The loop also serves the control socket (a client asking for a reload ends the loop with
//! [`Exit::Reload`] too; the caller answers it) and has the state [`Keeper`] write what is due.

use super::{Daemon, Now};
use crate::clock;
use crate::control::handle::handle;
use crate::control::server::Server;
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
}

/// Runs until a signal, a reload request or the end of standard input.
pub fn run(
    daemon: &mut Daemon,
    source: &mut Source,
    fw: &mut dyn Firewall,
    sig: &SignalFd,
    svc: &mut Services,
) -> Exit {
    let mut zone_checked_ms = None;
    loop {
        let now_ms = clock::mono_ms();
        if zone_checked_ms.map_or(true, |t| now_ms.saturating_sub(t) >= ZONE_CHECK_MS) {
            // The zone can change (DST, `uci set system.@system[0].zonename`): ask again now and then.
            daemon.set_utc_offset(crate::sys::utc_offset(clock::wall()));
            zone_checked_ms = Some(now_ms);
        }
        source.tick(now_ms);
        let (ready_src, ready_sig, ready_fw) = {
            let src_fd = source.fd();
            let fw_borrowed = fw.event_fd();
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(12);
            fds.push(PollFd::new(sig.as_fd(), PollFlags::POLLIN));
            if let Some(fd) = src_fd {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some(fd) = fw_borrowed {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some(ctl) = &svc.control {
                ctl.poll_fds(&mut fds);
            }
            let wait = source
                .next_deadline_ms()
                .map_or(TICK_MS, |d| d.saturating_sub(now_ms))
                .min(TICK_MS);
            let timeout = PollTimeout::try_from(wait as i32).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => log::error!("poll: {e}"),
            }
            let ready = |i: usize| {
                fds.get(i)
                    .and_then(|f| f.revents())
                    .is_some_and(|r| !r.is_empty())
            };
            let src_i = 1;
            let fw_i = 1 + usize::from(src_fd.is_some());
            (
                src_fd.is_none() || ready(src_i),
                ready(0),
                fw_borrowed.is_some() && ready(fw_i),
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
        let now = Now::read();
        if ready_src {
            let status = source.read(now.mono_ms, &mut |raw: &[u8]| daemon.line(raw, now, fw));
            if status == Status::Ended {
                log::info!("end of input");
                return Exit::SourceEnded;
            }
        }
        if ready_fw {
            match fw.poll_events() {
                Ok(true) => reinstall(daemon, fw, now.wall),
                Ok(false) => {}
                Err(e) => log::error!("firewall events: {e}"),
            }
        }
        let mut reload = false;
        if let Some(ctl) = svc.control.as_mut() {
            let now = Now::read();
            let src: &Source = source;
            reload = ctl.service(now.mono_ms, &mut |req| handle(req, daemon, fw, src, now));
        }
        let now = Now::read();
        daemon.tick(now, fw);
        if let Some(k) = svc.keeper.as_mut() {
            k.tick(daemon, now);
        }
        if reload {
            log::info!("reload asked on the control socket");
            return Exit::Reload;
        }
    }
}

/// Re-installs every active ban with the time it has left.
pub fn reinstall(daemon: &Daemon, fw: &mut dyn Firewall, wall: i64) {
    let bans = daemon.active_bans(wall);
    if bans.is_empty() {
        return;
    }
    match fw.block_many(&bans) {
        Ok(()) => log::info!("re-installed {} active bans", bans.len()),
        Err(e) => log::error!("re-installing {} active bans: {e}", bans.len()),
    }
}
