//! `logjail run`'s state and control-socket setup: hand the saved state to the fresh engine
//! (which restores it and asks for its bans to be put back), bind the control socket, and
//! answer a reload.
//!
//! **Dry run.** `--dry-run` must not disturb a daemon running on the same router, so it uses
//! the state file and the control socket only when the configuration names them explicitly
//! (a path other than the default): tests and experiments point them at a scratch directory.

use crate::clock::Now;
use crate::cmd::event_loop::{apply, Services};
use crate::config::{Config, Main};
use crate::control::proto::Response;
use crate::control::server::Server;
use crate::control::ControlError;
use crate::engine::Engine;
use crate::firewall::Firewall;
use crate::state::keeper::Keeper;

/// Builds the services for `config`; `Err` only when another daemon owns the socket.
pub fn services(
    config: &Config,
    engine: &mut Engine,
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
        let mut actions = Vec::new();
        let changed = match keeper.load() {
            Some(snap) => {
                let r = engine.restore(&snap, now, &mut actions);
                r.expired > 0 || !r.lift.is_empty()
            }
            None => false,
        };
        apply(&mut actions, fw, engine, None);
        keeper.settle(engine);
        if changed {
            keeper.mark();
        }
        svc.keeper = Some(keeper);
    }
    Ok(svc)
}

/// Elements the sets hold that the engine has no ban for (left by a crash, a state file
/// lost or refused, added by hand) are *adopted* as kernel-only entries: logged here, shown by
/// `logjail list` (marked `kernel only`), lifted by `logjail unban ADDR` and `unban --all`,
/// and otherwise left to their kernel timeouts (they are not copied into a jail, so they do
/// not count as repeat offences and are not saved in the state file).
pub fn adopt(engine: &Engine, fw: &mut dyn Firewall, now: Now) {
    let held = match fw.held() {
        Ok(h) => h,
        Err(e) => {
            log::warn!("cannot read what the firewall's sets hold: {e}");
            return;
        }
    };
    let known: Vec<_> = engine.active(now).into_iter().map(|b| b.host).collect();
    let unknown: Vec<_> = held.iter().filter(|k| !known.contains(&k.host)).collect();
    if unknown.is_empty() {
        return;
    }
    let shown: Vec<String> = unknown.iter().take(5).map(|k| k.host.to_string()).collect();
    log::info!(
        "the firewall's sets hold {} elements logjail has no ban for ({}{}): kept with their kernel timeouts; `logjail list` shows them, `logjail unban` lifts them",
        unknown.len(),
        shown.join(", "),
        if unknown.len() > shown.len() { ", …" } else { "" }
    );
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
