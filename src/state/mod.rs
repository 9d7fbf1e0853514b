//! State that survives restarts: active bans and the repeat-offender history.
//!
//! A [`Snapshot`] is what the daemon knows that the kernel does not: each jail's bans (host,
//! start, decided duration, ban count) and its offender records, and recidive's bans (as a jail
//! named `recidive`), and the mark of the last log line judged with the boot it was made in
//! (so a restart does not count a replayed line twice, see
//! [`engine::history`](crate::engine::history)). The engine takes one ([`Engine::snapshot`](crate::engine::Engine::snapshot))
//! and puts one back ([`Engine::restore`](crate::engine::Engine::restore)); [`file`](mod@file) is the
//! on-disk format (header, checksum, atomic replace); [`keeper`] decides when to write (tmpfs
//! after each change, debounced; flash at most every `persist_interval` and at shutdown).
//!
//! **Time.** Routers without a real-time clock boot in the past and jump forward when NTP
//! answers. A snapshot therefore stores, besides the wall time it was saved at, each ban's
//! *remaining* seconds and each offender record's end *relative* to the save. On restore the
//! time elapsed since the save is subtracted only when it can be trusted ([`elapsed`]): the
//! save time is a plausible date, the clock has not gone backwards, and less than a year has
//! passed. Otherwise nothing is subtracted and every ban gets at most what it had left — a
//! clock jump can shorten a ban, never lengthen it.

pub mod file;
pub mod keeper;
#[cfg(test)]
mod tests;

use crate::addr::Host;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use serde::{Deserialize, Serialize};

/// Saves stamped before this (2020-01-01) were made with a clock that was not set.
pub const SANE_EPOCH: i64 = 1_577_836_800;
/// A gap longer than this between save and load is not believed.
pub const MAX_GAP: i64 = 366 * 86_400;
/// Saved times further from now than this are clamped (a file is not trusted).
pub const FAR: i64 = 100 * 366 * 86_400;

/// A host as stored: IPv4 address, or IPv6 network and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostRec {
    V4([u8; 4]),
    V6([u8; 16], u8),
}

impl HostRec {
    pub fn new(h: &Host) -> HostRec {
        match *h {
            Host::V4(a) => HostRec::V4(a.octets()),
            Host::V6(a, p) => HostRec::V6(a.octets(), p),
        }
    }

    /// The host, with the prefix clamped and host bits cleared (a file is not trusted).
    pub fn host(&self) -> Host {
        match *self {
            HostRec::V4(o) => Host::V4(Ipv4Addr::from(o)),
            HostRec::V6(o, p) => Host::new(Ipv6Addr::from(o).into(), p),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRecord {
    pub host: HostRec,
    /// When the ban began, by the clock of the save (shown to users, not trusted for expiry).
    pub start: i64,
    /// Decided duration in seconds; `None` = permanent.
    pub duration: Option<u32>,
    /// Seconds left at the save; `None` = permanent.
    pub remaining: Option<u32>,
    pub count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffenderRecord {
    pub host: HostRec,
    pub bans: u32,
    pub last: Option<u32>,
    /// End of the last ban minus the save time (negative once it is over).
    pub until_rel: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailState {
    pub name: String,
    /// Most recent first.
    pub bans: Vec<BanRecord>,
    /// Most recent first.
    pub offenders: Vec<OffenderRecord>,
}

/// The last log line the engine judged: its own time (as the line says it, before any zone
/// correction) and how many lines carried exactly that second (see
/// [`engine::history`](crate::engine::history)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogMark {
    pub time: i64,
    pub lines: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Wall-clock Unix seconds of the save.
    pub saved_at: i64,
    pub jails: Vec<JailState>,
    /// The last log line judged when the snapshot was taken (format version 2).
    pub mark: Option<LogMark>,
    /// The kernel's boot id (`/proc/sys/kernel/random/boot_id`) at the save: logd's buffer
    /// lives in RAM, so a mark is only meaningful in the boot that made it (version 2).
    pub boot: Option<[u8; 16]>,
}

/// Format version 1's payload: the same without `mark` and `boot`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotV1 {
    pub saved_at: i64,
    pub jails: Vec<JailState>,
}

impl From<SnapshotV1> for Snapshot {
    fn from(v1: SnapshotV1) -> Snapshot {
        Snapshot {
            saved_at: v1.saved_at,
            jails: v1.jails,
            mark: None,
            boot: None,
        }
    }
}

impl Snapshot {
    pub fn bans(&self) -> usize {
        self.jails.iter().map(|j| j.bans.len()).sum()
    }
}

/// Why a state file could not be read or written. Callers add the path.
#[derive(Debug)]
pub enum StateError {
    Io {
        what: &'static str,
        error: std::io::Error,
    },
    Truncated {
        have: usize,
        need: usize,
    },
    Magic,
    Header,
    FutureVersion(u16),
    Trailing(usize),
    Checksum,
    Decode(String),
    Encode(String),
    TooLarge,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io { what, error } => write!(f, "{what}: {error}"),
            StateError::Truncated { have, need } => {
                write!(f, "truncated: {have} bytes, the header promises {need}")
            }
            StateError::Magic => f.write_str("not a logjail state file (bad magic)"),
            StateError::Header => f.write_str("malformed header (version 0 or reserved bits set)"),
            StateError::FutureVersion(v) => write!(
                f,
                "format version {v} is newer than this logjail understands ({})",
                file::VERSION
            ),
            StateError::Trailing(n) => write!(f, "{n} unexpected bytes after the payload"),
            StateError::Checksum => f.write_str("checksum mismatch (corrupt payload)"),
            StateError::Decode(e) => write!(f, "payload does not decode: {e}"),
            StateError::Encode(e) => write!(f, "cannot encode the state: {e}"),
            StateError::TooLarge => write!(f, "larger than {} bytes", file::MAX_FILE),
        }
    }
}

impl std::error::Error for StateError {}

/// Seconds since `saved_at` that may be subtracted from saved durations (see the module docs).
pub fn elapsed(saved_at: i64, wall: i64) -> i64 {
    if saved_at < SANE_EPOCH || wall < saved_at || wall - saved_at > MAX_GAP {
        0
    } else {
        wall - saved_at
    }
}
