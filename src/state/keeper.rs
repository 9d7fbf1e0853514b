//! When the state is read and written.
//!
//! * **Start.** Both copies are read — the tmpfs file (survives a daemon restart) and the
//!   optional flash file (survives a reboot) — and the one saved last is used. A copy that does
//!   not check out is moved aside to `PATH.bad` with the reason logged; the other is used.
//! * **Running.** After a change (a ban, an unban, an expiry) the tmpfs copy is rewritten,
//!   at most once per [`DEBOUNCE_MS`]: cheap, and a `kill -9` loses at most the last second.
//!   The flash copy is rewritten at most every `persist_interval`, and only when something
//!   changed since its last write: flash wears out.
//! * **Clean stop.** Both copies are written.

use super::{file, Snapshot};
use crate::clock::Now;
use crate::config::Main;
use crate::engine::Engine;
use std::path::{Path, PathBuf};

/// Least time between two writes of the tmpfs copy.
pub const DEBOUNCE_MS: u64 = 1000;

pub struct Keeper {
    tmpfs: PathBuf,
    flash: Option<PathBuf>,
    persist_ms: u64,
    last_save_ms: Option<u64>,
    last_persist_ms: u64,
    /// Total bans decided and bans active at the last look: a change moves one of them.
    seen: (u64, usize),
    dirty: bool,
    flash_dirty: bool,
    /// The last write failed (logged once until one succeeds).
    failing: bool,
}

fn fingerprint(d: &Engine) -> (u64, usize) {
    d.jails.iter().fold((0, 0), |(t, n), j| {
        (t.wrapping_add(j.stats().banned_total), n + j.banned())
    })
}

/// Reads `path`; a file that does not check out is moved aside and logged.
pub fn read_or_quarantine(path: &Path) -> Option<Snapshot> {
    match file::read(path) {
        Ok(s) => s,
        Err(e @ super::StateError::Io { .. }) => {
            log::error!("state file {}: {e}; not used", path.display());
            None
        }
        Err(e) => {
            match file::quarantine(path) {
                Ok(bad) => log::error!(
                    "state file {}: {e}; moved aside to {}, starting without it",
                    path.display(),
                    bad.display()
                ),
                Err(m) => log::error!(
                    "state file {}: {e}; cannot move it aside ({m}), starting without it",
                    path.display()
                ),
            }
            None
        }
    }
}

impl Keeper {
    pub fn new(main: &Main, now_ms: u64) -> Keeper {
        Keeper {
            tmpfs: main.state_file.clone(),
            flash: main.state_file_persistent.clone(),
            persist_ms: u64::from(main.persist_interval.max(1)) * 1000,
            last_save_ms: None,
            last_persist_ms: now_ms,
            seen: (0, 0),
            dirty: false,
            flash_dirty: false,
            failing: false,
        }
    }

    /// The newer of the two copies, if any checks out. When the tmpfs copy is newer than the
    /// flash copy (the last daemon was killed), the flash copy is due at its next write.
    pub fn load(&mut self) -> Option<Snapshot> {
        let tmp = read_or_quarantine(&self.tmpfs);
        let flash = self.flash.as_deref().and_then(read_or_quarantine);
        if self.flash.is_some() {
            self.flash_dirty = match (&tmp, &flash) {
                (Some(t), Some(f)) => t.saved_at > f.saved_at,
                (Some(_), None) => true,
                _ => false,
            };
        }
        match (tmp, flash) {
            (Some(t), Some(f)) if f.saved_at > t.saved_at => Some(f),
            (Some(t), _) => Some(t),
            (None, f) => f,
        }
    }

    /// Takes the daemon as it is now as already saved (after a load).
    pub fn settle(&mut self, daemon: &Engine) {
        self.seen = fingerprint(daemon);
    }

    /// Something changed that the jails' counters may not show (a manual unban).
    pub fn mark(&mut self) {
        self.dirty = true;
        self.flash_dirty = true;
    }

    /// Called from every loop turn: writes what is due.
    pub fn tick(&mut self, daemon: &Engine, now: Now) {
        let fp = fingerprint(daemon);
        if fp != self.seen {
            self.seen = fp;
            self.mark();
        }
        let due = match self.last_save_ms {
            None => true,
            Some(t) => now.mono_ms.saturating_sub(t) >= DEBOUNCE_MS,
        };
        let flash_due = self.flash.is_some()
            && self.flash_dirty
            && now.mono_ms.saturating_sub(self.last_persist_ms) >= self.persist_ms;
        if !(flash_due || self.dirty && due) {
            return;
        }
        let snap = daemon.snapshot(now);
        if self.dirty && due {
            self.last_save_ms = Some(now.mono_ms);
            if self.write(&self.tmpfs.clone(), &snap) {
                self.dirty = false;
            }
        }
        if flash_due {
            self.persist(&snap, now.mono_ms);
        }
    }

    /// Clean stop: both copies.
    pub fn shutdown(&mut self, daemon: &Engine, now: Now) {
        let snap = daemon.snapshot(now);
        if self.write(&self.tmpfs.clone(), &snap) {
            self.dirty = false;
        }
        if self.flash.is_some() {
            self.persist(&snap, now.mono_ms);
        }
    }

    fn persist(&mut self, snap: &Snapshot, now_ms: u64) {
        self.last_persist_ms = now_ms;
        if let Some(p) = self.flash.clone() {
            if self.write(&p, snap) {
                self.flash_dirty = false;
                log::info!("state saved to {} ({} bans)", p.display(), snap.bans());
            }
        }
    }

    fn write(&mut self, path: &Path, snap: &Snapshot) -> bool {
        match file::write(path, snap) {
            Ok(()) => {
                if self.failing {
                    log::info!("state file {}: writing works again", path.display());
                }
                self.failing = false;
                true
            }
            Err(e) => {
                if !self.failing {
                    log::error!("state file {}: {e}", path.display());
                }
                self.failing = true;
                false
            }
        }
    }
}
