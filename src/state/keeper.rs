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
//! * **Boot.** Each copy carries the kernel's boot id ([`boot_id`]). A copy from another
//!   boot keeps its bans but loses its log mark: logd's buffer lives in RAM, so no line of it
//!   was seen by the previous run (see [`crate::engine::history`]).
//! * **Failures.** A write that fails (a full tmpfs, a refused directory) leaves the last good
//!   copy as it was and no partial temp file ([`file::write`]); it is retried with backoff
//!   ([`RETRY_MIN_MS`] doubling to [`RETRY_MAX_MS`]). The first failure is logged, then at
//!   most one reminder every [`RELOG_MS`] while it lasts, and the recovery once ([`Health`]).

use super::{file, Snapshot};
use crate::clock::Now;
use crate::config::Main;
use crate::engine::Engine;
use std::path::{Path, PathBuf};

/// Least time between two writes of the tmpfs copy.
pub const DEBOUNCE_MS: u64 = 1000;
/// First retry delay after a failed write; doubled after each further failure.
pub const RETRY_MIN_MS: u64 = 1000;
/// Longest retry delay.
pub const RETRY_MAX_MS: u64 = 60_000;
/// A failure that lasts is logged again at most this often.
pub const RELOG_MS: u64 = 60_000;

/// How writing one copy goes: backoff and rate-limited logging of failures. Pure: time in,
/// decisions out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Failed writes in a row.
    pub failures: u32,
    /// No write before this while failing.
    pub retry_at_ms: u64,
    delay_ms: u64,
    /// When a failure was last logged.
    logged_ms: Option<u64>,
}

/// What to log about a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Say {
    Nothing,
    /// The first failure of a run of them.
    Failed,
    /// Still failing: `failures` in a row so far.
    Still(u32),
    /// It works again after `failures` failed writes.
    Recovered(u32),
}

impl Health {
    /// Whether a write may be tried now.
    pub fn may_try(&self, now_ms: u64) -> bool {
        self.failures == 0 || now_ms >= self.retry_at_ms
    }

    pub fn failed(&mut self, now_ms: u64) -> Say {
        self.failures = self.failures.saturating_add(1);
        self.delay_ms = if self.failures == 1 {
            RETRY_MIN_MS
        } else {
            (self.delay_ms * 2).clamp(RETRY_MIN_MS, RETRY_MAX_MS)
        };
        self.retry_at_ms = now_ms + self.delay_ms;
        match self.logged_ms {
            None => {
                self.logged_ms = Some(now_ms);
                Say::Failed
            }
            Some(t) if now_ms.saturating_sub(t) >= RELOG_MS => {
                self.logged_ms = Some(now_ms);
                Say::Still(self.failures)
            }
            Some(_) => Say::Nothing,
        }
    }

    pub fn worked(&mut self) -> Say {
        let failures = self.failures;
        *self = Health::default();
        if failures > 0 {
            Say::Recovered(failures)
        } else {
            Say::Nothing
        }
    }
}

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
    /// Writing the tmpfs copy, and the flash copy.
    tmpfs_health: Health,
    flash_health: Health,
    /// This boot's id, stamped on every copy written.
    boot: Option<[u8; 16]>,
}

/// Where the kernel tells its boot id (a random UUID drawn at each boot).
pub const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// The boot id as 16 bytes, `None` when it cannot be read (the mark is then never trusted
/// across a restart).
pub fn boot_id() -> Option<[u8; 16]> {
    parse_boot_id(&std::fs::read_to_string(BOOT_ID).ok()?)
}

/// `a3a1e2c4-77b0-4c7e-9b1a-2f3c4d5e6f70` to its 16 bytes.
pub fn parse_boot_id(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.trim().bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
        let digits = core::str::from_utf8(pair).ok()?;
        *o = u8::from_str_radix(digits, 16).ok()?;
    }
    Some(out)
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
                Ok(file::Quarantined::Moved(bad)) => log::error!(
                    "state file {}: {e}; moved aside to {}, starting without it",
                    path.display(),
                    bad.display()
                ),
                Ok(file::Quarantined::Cut { bad, kept }) => log::error!(
                    "state file {}: {e}; removed it, keeping only its first {kept} bytes in {}; starting without it",
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
            tmpfs_health: Health::default(),
            flash_health: Health::default(),
            boot: boot_id(),
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
        let mut snap = match (tmp, flash) {
            (Some(t), Some(f)) if f.saved_at > t.saved_at => Some(f),
            (Some(t), _) => Some(t),
            (None, f) => f,
        }?;
        if snap.mark.is_some() && (snap.boot.is_none() || snap.boot != self.boot) {
            log::info!("state: saved in another boot; every line logd holds is new");
            snap.mark = None;
        }
        Some(snap)
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
        let due = self.save_due(now.mono_ms);
        let flash_due = self.persist_due(now.mono_ms);
        if !(flash_due || due) {
            return;
        }
        let snap = self.stamped(daemon.snapshot(now));
        if due {
            self.last_save_ms = Some(now.mono_ms);
            if self.write_tmpfs(&snap, now.mono_ms) {
                self.dirty = false;
            }
        }
        if flash_due {
            self.persist(&snap, now.mono_ms);
        }
    }

    fn save_due(&self, now_ms: u64) -> bool {
        let debounced = match self.last_save_ms {
            None => true,
            Some(t) => now_ms.saturating_sub(t) >= DEBOUNCE_MS,
        };
        self.dirty && debounced && self.tmpfs_health.may_try(now_ms)
    }

    fn persist_due(&self, now_ms: u64) -> bool {
        let interval = now_ms.saturating_sub(self.last_persist_ms) >= self.persist_ms;
        let retry = self.flash_health.failures > 0 && self.flash_health.may_try(now_ms);
        self.flash.is_some() && self.flash_dirty && (interval || retry)
    }

    /// When a write is next due for what is already known to have changed (a change that
    /// [`Keeper::tick`] has not seen yet is found by the next tick): for a loop's `poll`
    /// timeout. `None` when nothing waits.
    pub fn next_due_ms(&self) -> Option<u64> {
        let save = self.dirty.then(|| {
            let debounce = self.last_save_ms.map_or(0, |t| t + DEBOUNCE_MS);
            let retry = if self.tmpfs_health.failures > 0 {
                self.tmpfs_health.retry_at_ms
            } else {
                0
            };
            debounce.max(retry)
        });
        let persist = (self.flash.is_some() && self.flash_dirty).then(|| {
            let interval = self.last_persist_ms + self.persist_ms;
            if self.flash_health.failures > 0 {
                interval.min(self.flash_health.retry_at_ms)
            } else {
                interval
            }
        });
        match (save, persist) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Failed writes in a row of the tmpfs copy and of the flash copy (0 when writing works).
    pub fn failures(&self) -> (u32, u32) {
        (self.tmpfs_health.failures, self.flash_health.failures)
    }

    /// Clean stop: both copies.
    pub fn shutdown(&mut self, daemon: &Engine, now: Now) {
        let snap = self.stamped(daemon.snapshot(now));
        if self.write_tmpfs(&snap, now.mono_ms) {
            self.dirty = false;
        }
        if self.flash.is_some() {
            self.persist(&snap, now.mono_ms);
        }
    }

    fn stamped(&self, mut snap: Snapshot) -> Snapshot {
        snap.boot = self.boot;
        snap
    }

    fn persist(&mut self, snap: &Snapshot, now_ms: u64) {
        self.last_persist_ms = now_ms;
        if let Some(p) = self.flash.clone() {
            if write(&p, snap, &mut self.flash_health, now_ms) {
                self.flash_dirty = false;
                log::info!("state saved to {} ({} bans)", p.display(), snap.bans());
            }
        }
    }

    fn write_tmpfs(&mut self, snap: &Snapshot, now_ms: u64) -> bool {
        write(&self.tmpfs, snap, &mut self.tmpfs_health, now_ms)
    }
}

/// Writes one copy and logs what its [`Health`] says.
fn write(path: &Path, snap: &Snapshot, health: &mut Health, now_ms: u64) -> bool {
    match file::write(path, snap) {
        Ok(()) => {
            if let Say::Recovered(n) = health.worked() {
                log::info!(
                    "state file {}: writing works again (after {n} failed attempts)",
                    path.display()
                );
            }
            true
        }
        Err(e) => {
            match health.failed(now_ms) {
                Say::Failed => log::error!(
                    "state file {}: {e}; the last good copy is kept, retrying",
                    path.display()
                ),
                Say::Still(n) => log::error!(
                    "state file {}: still failing ({n} attempts): {e}; the last good copy is kept, retrying",
                    path.display()
                ),
                Say::Nothing | Say::Recovered(_) => {}
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_and_are_logged_first_then_once_a_minute_then_on_recovery() {
        let mut h = Health::default();
        assert!(h.may_try(0));
        assert_eq!(h.failed(0), Say::Failed);
        assert!(!h.may_try(999) && h.may_try(1000));
        let mut said = Vec::new();
        let mut t = 1000;
        let mut delays = Vec::new();
        while t < 10 * 60_000 {
            let say = h.failed(t);
            if say != Say::Nothing {
                said.push((t, say));
            }
            delays.push(h.retry_at_ms - t);
            t = h.retry_at_ms;
        }
        assert_eq!(&delays[..7], [2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
        // Reminders at most once a minute, at least one every two minutes (the longest delay
        // plus the minute).
        assert!(said.len() >= 4, "{said:?}");
        for w in said.windows(2) {
            assert!(w[1].0 - w[0].0 >= RELOG_MS, "{said:?}");
            assert!(matches!(w[1].1, Say::Still(_)), "{said:?}");
        }
        let n = h.failures;
        assert_eq!(h.worked(), Say::Recovered(n));
        assert_eq!(h.worked(), Say::Nothing);
        assert!(h.may_try(0));
        assert_eq!(h.failed(t), Say::Failed, "a new run of failures is logged again");
    }

    #[test]
    fn boot_ids_parse_and_a_mark_from_another_boot_is_dropped() {
        use crate::state::LogMark;
        use std::os::unix::fs::DirBuilderExt;
        assert_eq!(
            parse_boot_id("a3a1e2c4-77b0-4c7e-9b1a-2f3c4d5e6f70\n"),
            Some([
                0xa3, 0xa1, 0xe2, 0xc4, 0x77, 0xb0, 0x4c, 0x7e, 0x9b, 0x1a, 0x2f, 0x3c, 0x4d, 0x5e, 0x6f,
                0x70
            ])
        );
        assert_eq!(parse_boot_id("a3a1e2c4-77b0"), None);
        assert_eq!(parse_boot_id("x3a1e2c4-77b0-4c7e-9b1a-2f3c4d5e6f70"), None);
        let here = boot_id().expect("this kernel has a boot id");

        let dir = std::env::temp_dir().join(format!("logjail-keeper-boot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().mode(0o700).create(&dir).expect("dir");
        let main = Main {
            state_file: dir.join("state"),
            ..Main::default()
        };
        let mark = Some(LogMark { time: 7, lines: 1 });
        let load = |boot: Option<[u8; 16]>| {
            let snap = Snapshot {
                saved_at: 1,
                mark,
                boot,
                ..Snapshot::default()
            };
            file::write(&main.state_file, &snap).expect("write");
            Keeper::new(&main, 0).load().expect("loaded").mark
        };
        assert_eq!(load(Some(here)), mark);
        assert_eq!(load(Some([1; 16])), None);
        assert_eq!(load(None), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
