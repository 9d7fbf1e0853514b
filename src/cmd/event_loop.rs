//! The one event loop: `poll` over the log source, the signal descriptor and the firewall's
//! event socket, with a tick at least every [`TICK_MS`].
//!
//! Signals arrive through a `signalfd` (they are blocked for normal delivery), so a signal is
//! just another readable descriptor and never interrupts half-done work: `SIGTERM`/`SIGINT`
//! end the loop, `SIGHUP` asks the caller to reload.
//!
//! The loop also serves the control socket (a client asking for a reload ends the loop with
//! [`Exit::Reload`] too; the caller answers it) and has the state [`Keeper`] write what is due.

use crate::clock::Now;
use crate::control::handle::handle;
use crate::control::server::Server;
use crate::engine::{Action, Counters, Engine};
use crate::firewall::{Ban, Error, Firewall};
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
}

/// Applies `actions` (and empties the buffer): the one place the engine's decisions reach
/// the firewall backend and the state keeper. Consecutive blocks go in one batch. Returns the
/// first backend error (also logged and counted).
pub fn apply(
    actions: &mut Vec<Action>,
    fw: &mut dyn Firewall,
    counters: &mut Counters,
    keeper: Option<&mut Keeper>,
) -> Option<Error> {
    if actions.is_empty() {
        return None;
    }
    if let Some(k) = keeper {
        k.mark();
    }
    let mut first = None;
    let mut failed = |e: Error, counters: &mut Counters| {
        counters.firewall_errors += 1;
        first.get_or_insert(e);
    };
    let mut bans: Vec<Ban> = Vec::new();
    let mut it = actions.drain(..).peekable();
    while let Some(a) = it.next() {
        match a {
            Action::Block { ban } => {
                bans.push(ban);
                if matches!(it.peek(), Some(Action::Block { .. })) {
                    continue;
                }
                let r = match bans.as_slice() {
                    [one] => fw.block(one).map_err(|e| {
                        log::error!("{}: ban {}: {e}", one.jail, one.host);
                        e
                    }),
                    many => fw.block_many(many).map_err(|e| {
                        log::error!("installing {} bans: {e}", many.len());
                        e
                    }),
                };
                if let Err(e) = r {
                    failed(e, counters);
                }
                bans.clear();
            }
            Action::Release { jail, host } => {
                if let Err(e) = fw.release(&jail, host) {
                    log::error!("{jail}: unban {host}: {e}");
                    failed(e, counters);
                }
            }
            Action::ReleaseAll => {
                if let Err(e) = fw.flush() {
                    log::error!("emptying the sets: {e}");
                    failed(e, counters);
                }
            }
        }
    }
    first
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
    let mut actions: Vec<Action> = Vec::new();
    let mut now = Now::read();
    loop {
        if zone_checked_ms.map_or(true, |t| now.mono_ms.saturating_sub(t) >= ZONE_CHECK_MS) {
            // The zone can change (DST, `uci set system.@system[0].zonename`): ask again now and then.
            engine.set_utc_offset(crate::sys::utc_offset(now.wall));
            zone_checked_ms = Some(now.mono_ms);
        }
        source.tick(now.mono_ms);
        let (ready_src, ready_sig, ready_fw) = {
            let src_fd = source.fd();
            let fw_borrowed = fw.events().and_then(|e| e.event_fd());
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
                .map_or(TICK_MS, |d| d.saturating_sub(now.mono_ms))
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
        now = Now::read();
        if ready_src {
            let mut n = 0u32;
            let status = source.read(now.mono_ms, &mut |raw: &[u8]| {
                engine.line(raw, now, &mut actions);
                apply(&mut actions, fw, &mut engine.counters, svc.keeper.as_mut());
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
                Some(Ok(true)) => engine.reinstall(now, &mut actions),
                Some(Ok(false)) | None => {}
                Some(Err(e)) => log::error!("firewall events: {e}"),
            }
            apply(&mut actions, fw, &mut engine.counters, None);
        }
        let mut reload = false;
        if let Some(ctl) = svc.control.as_mut() {
            let src: &Source = source;
            let keeper = &mut svc.keeper;
            reload = ctl.service(now.mono_ms, &mut |req| {
                handle(req, engine, fw, keeper.as_mut(), src, now)
            });
        }
        engine.tick(now, &mut actions);
        apply(&mut actions, fw, &mut engine.counters, svc.keeper.as_mut());
        if let Some(k) = svc.keeper.as_mut() {
            k.tick(engine, now);
        }
        if reload {
            log::info!("reload asked on the control socket");
            return Exit::Reload;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Host;
    use crate::firewall::jail_name;

    /// A backend that records calls and refuses blocks when `fail` is set.
    #[derive(Default)]
    struct Recorder {
        log: Vec<String>,
        fail: bool,
    }

    impl Firewall for Recorder {
        fn init(&mut self) -> Result<(), Error> {
            Ok(())
        }
        fn block(&mut self, b: &Ban) -> Result<(), Error> {
            self.block_many(core::slice::from_ref(b))
        }
        fn block_many(&mut self, bans: &[Ban]) -> Result<(), Error> {
            self.log.push(format!("block {}", bans.len()));
            if self.fail {
                return Err(Error::Kernel {
                    what: "set logjail_v4 not found in table inet fw4".into(),
                    errno: 2,
                });
            }
            Ok(())
        }
        fn release(&mut self, jail: &str, host: Host) -> Result<(), Error> {
            self.log.push(format!("release {jail} {host}"));
            Ok(())
        }
        fn flush(&mut self) -> Result<(), Error> {
            self.log.push("flush".into());
            Ok(())
        }
        fn fin(&mut self) -> Result<(), Error> {
            Ok(())
        }
    }

    fn block(a: &str) -> Action {
        Action::Block {
            ban: Ban::new("dropbear", Host::parse(a).expect("host"), Some(60)),
        }
    }

    #[test]
    fn consecutive_blocks_go_in_one_batch_in_order() {
        let mut fw = Recorder::default();
        let mut c = Counters::default();
        let mut actions = vec![
            block("192.0.2.1"),
            block("192.0.2.2"),
            Action::Release {
                jail: jail_name("dropbear"),
                host: Host::parse("192.0.2.3").expect("host"),
            },
            block("192.0.2.4"),
            Action::ReleaseAll,
        ];
        assert!(apply(&mut actions, &mut fw, &mut c, None).is_none());
        assert!(actions.is_empty());
        assert_eq!(
            fw.log,
            ["block 2", "release dropbear 192.0.2.3", "block 1", "flush"]
        );
    }

    #[test]
    fn a_backend_error_is_counted_returned_and_the_rest_goes_on() {
        let mut fw = Recorder {
            fail: true,
            ..Recorder::default()
        };
        let mut c = Counters::default();
        let mut actions = vec![block("192.0.2.1"), Action::ReleaseAll, block("192.0.2.2")];
        let e = apply(&mut actions, &mut fw, &mut c, None).expect("error");
        assert!(e.to_string().contains("logjail_v4"), "{e}");
        assert_eq!(c.firewall_errors, 2);
        assert_eq!(fw.log, ["block 1", "flush", "block 1"]);
    }
}
