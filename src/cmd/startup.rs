//! `logjail run`'s state and control-socket setup: load the saved state into a fresh daemon,
//! put its bans back into the kernel, bind the control socket, and answer a reload.
//!
//! **Dry run.** `--dry-run` must not disturb a daemon running on the same router, so it uses
//! the state file and the control socket only when the configuration names them explicitly
//! (a path other than the default): tests and experiments point them at a scratch directory.

use crate::config::{Config, Main};
use crate::control::proto::Response;
use crate::control::server::Server;
use crate::control::ControlError;
use crate::daemon::event_loop::Services;
use crate::daemon::{Daemon, Now};
use crate::firewall::{Ban, Firewall};
use crate::state::{self, keeper::Keeper};

/// Builds the services for `config`; `Err` only when another daemon owns the socket.
pub fn services(
    config: &Config,
    daemon: &mut Daemon,
    fw: &mut dyn Firewall,
    dry_run: bool,
) -> Result<Services, ControlError> {
    let defaults = Main::default();
    let mut svc = Services::default();
    // The socket first: a second daemon must not touch the first one's state file.
    if !dry_run || config.main.control_socket != defaults.control_socket {
        match Server::bind(&config.main.control_socket) {
            Ok(s) => {
                log::info!("control socket {}", s.path().display());
                svc.control = Some(s);
            }
            Err(e @ ControlError::InUse(_)) => return Err(e),
            Err(e) => log::error!("{e}; running without a control socket"),
        }
    }
    if !dry_run || config.main.state_file != defaults.state_file {
        let now = Now::read();
        let mut keeper = Keeper::new(&config.main, now.mono_ms);
        let changed = match keeper.load() {
            Some(snap) => load(&snap, daemon, fw, now),
            None => false,
        };
        keeper.settle(daemon);
        if changed {
            keeper.mark();
        }
        svc.keeper = Some(keeper);
    }
    Ok(svc)
}

/// Restores `snap` into `daemon`, lifts what must go and re-installs the rest with the time it
/// has left. True when the state changed on the way (something expired or was lifted).
fn load(snap: &state::Snapshot, daemon: &mut Daemon, fw: &mut dyn Firewall, now: Now) -> bool {
    let r = state::restore(snap, daemon, now);
    log::info!(
        "state: {} bans restored, {} expired while we were away, {} repeat offenders remembered",
        r.bans,
        r.expired,
        r.offenders
    );
    for (jail, host) in &r.lift {
        log::info!("{jail}: lifting the saved ban of {host} (jail removed or host now ignored)");
        let b = Ban {
            jail,
            host: *host,
            timeout: None,
        };
        if let Err(e) = fw.release(&b) {
            log::error!("{jail}: unban {host}: {e}");
        }
    }
    install(daemon, fw, now);
    r.expired > 0 || !r.lift.is_empty()
}

/// Puts every active ban into the firewall with the time it has left by the daemon's clock.
pub fn install(daemon: &Daemon, fw: &mut dyn Firewall, now: Now) {
    let clock = daemon.clock(now);
    let bans: Vec<Ban<'_>> = daemon
        .jails
        .iter()
        .flat_map(|j| {
            j.bans().map(move |d| Ban {
                jail: &j.name,
                host: d.host,
                timeout: d.remaining(clock),
            })
        })
        .filter(|b| b.timeout != Some(0))
        .collect();
    if bans.is_empty() {
        return;
    }
    match fw.block_many(&bans) {
        Ok(()) => log::info!("re-installed {} saved bans", bans.len()),
        Err(e) => log::error!("re-installing {} saved bans: {e}", bans.len()),
    }
}

/// Answers the clients that asked for the reload that just ended.
pub fn answer_reload(svc: &mut Services, outcome: Result<usize, String>) {
    let Some(ctl) = svc.control.as_mut() else {
        return;
    };
    let reply = match outcome {
        Ok(n) => Response::Reloaded {
            jails: u32::try_from(n).unwrap_or(u32::MAX),
        },
        Err(e) => Response::Error(format!("reload failed, the running configuration stays: {e}")),
    };
    ctl.reloaded(&reply, Now::read().mono_ms);
}
