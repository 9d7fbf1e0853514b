//! State that survives restarts: active bans and the repeat-offender history.
//!
//! A [`Snapshot`] is what the daemon knows that the kernel does not: each jail's bans (host,
//! start, decided duration, ban count) and its offender records. [`capture`] takes one from a
//! running [`Daemon`]; [`restore`] puts one back into a freshly built daemon; [`file`] is the
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
use crate::daemon::{Daemon, Now};
use crate::jail::{Decision, Offender};
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use serde::{Deserialize, Serialize};

/// Saves stamped before this (2020-01-01) were made with a clock that was not set.
pub const SANE_EPOCH: i64 = 1_577_836_800;
/// A gap longer than this between save and load is not believed.
pub const MAX_GAP: i64 = 366 * 86_400;
/// Saved times further from now than this are clamped (a file is not trusted).
const FAR: i64 = 100 * 366 * 86_400;

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

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Wall-clock Unix seconds of the save.
    pub saved_at: i64,
    pub jails: Vec<JailState>,
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

/// The daemon's bans and offender records at `now`. Bans already over are left out.
pub fn capture(daemon: &Daemon, now: Now) -> Snapshot {
    let clock = daemon.clock(now);
    let jails = daemon
        .jails
        .iter()
        .map(|j| JailState {
            name: j.name.clone(),
            bans: j
                .bans()
                .filter(|d| d.remaining(clock) != Some(0))
                .map(|d| BanRecord {
                    host: HostRec::new(&d.host),
                    start: d.start,
                    duration: d.duration,
                    remaining: d.remaining(clock),
                    count: d.count,
                })
                .collect(),
            offenders: j
                .offenders()
                .map(|(h, o)| OffenderRecord {
                    host: HostRec::new(h),
                    bans: o.bans,
                    last: o.last,
                    until_rel: o.until.saturating_sub(clock),
                })
                .collect(),
        })
        .collect();
    Snapshot {
        saved_at: now.wall,
        jails,
    }
}

/// What [`restore`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub bans: usize,
    pub expired: usize,
    pub offenders: usize,
    /// Bans whose jail is gone or whose host is now ignored: `(jail, host)`, to be lifted.
    pub lift: Vec<(String, Host)>,
}

/// Puts `snap` into `daemon` at `now`: each ban with what it has left (see [`elapsed`]).
pub fn restore(snap: &Snapshot, daemon: &mut Daemon, now: Now) -> Restored {
    let clock = daemon.clock(now);
    let gone = elapsed(snap.saved_at, now.wall);
    let mut out = Restored::default();
    for js in &snap.jails {
        let Some(jail) = daemon.jails.iter_mut().find(|j| j.name == js.name) else {
            out.lift
                .extend(js.bans.iter().map(|b| (js.name.clone(), b.host.host())));
            continue;
        };
        for o in js.offenders.iter().rev() {
            let until = clock.saturating_add(o.until_rel).saturating_sub(gone);
            let rec = Offender {
                bans: o.bans.max(1),
                last: o.last,
                until,
            };
            jail.restore_offender(o.host.host(), rec);
            out.offenders += 1;
        }
        for b in js.bans.iter().rev() {
            let host = b.host.host();
            if jail.is_ignored(&host) {
                out.lift.push((js.name.clone(), host));
                continue;
            }
            let d = match b.duration {
                Some(dur) => {
                    let left = i64::from(b.remaining.unwrap_or(dur).min(dur)) - gone;
                    if left <= 0 {
                        out.expired += 1;
                        continue;
                    }
                    Decision {
                        host,
                        start: clock - (i64::from(dur) - left),
                        duration: Some(dur),
                        count: b.count.max(1),
                    }
                }
                None => Decision {
                    host,
                    start: b.start.clamp(clock - FAR, clock),
                    duration: None,
                    count: b.count.max(1),
                },
            };
            jail.restore(d);
            out.bans += 1;
        }
    }
    out
}
