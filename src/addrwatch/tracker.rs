//! The set of the router's addresses, kept up to date from rtnetlink messages. Pure: messages
//! in, [`Change`]s out; [`super::AddrWatch`] does the reading and the requests.
//!
//! * **Per interface.** The set holds `(interface index, address)` pairs, so an address on two
//!   interfaces stays ours until the last one loses it; changes are reported per address.
//! * **Dumps.** A dump (`RTM_GETADDR`, the kernel answers in `NLM_F_MULTI` parts ending with
//!   `NLMSG_DONE`, all carrying the request's sequence number) is collected apart and replaces
//!   the set when done; events arriving meanwhile update both. Nothing is reported before the
//!   first dump is done: then every address is reported as added at once.
//! * **Lost events.** After an overrun (`ENOBUFS`), a dump interrupted by a change
//!   (`NLM_F_DUMP_INTR`) or a failed dump (at most [`DUMP_RETRIES`] in a row), [`Tracker::wants_dump`]
//!   says so and the watcher dumps again; only one dump runs at a time.
//! * **Bounded.** At most [`MAX_ADDRESSES`] pairs; beyond that an address is not followed and
//!   [`Tracker::message`] says which.

use crate::netlink::header::flags::MULTI;
use crate::netlink::route::{IfAddr, RouteMsg, NLM_F_DUMP_INTR};
use core::net::IpAddr;

/// Most `(interface, address)` pairs followed (a router has a few dozen).
pub const MAX_ADDRESSES: usize = 1024;

/// An address that became the router's own, or stopped being it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added(IpAddr),
    Removed(IpAddr),
}

/// What a message could not be applied for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackError {
    /// [`MAX_ADDRESSES`] pairs are followed already: this address is not.
    Full(IpAddr),
    /// The kernel ended the dump with an error (positive errno; 0 when it only acked).
    DumpFailed(i32),
}

impl core::fmt::Display for TrackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TrackError::Full(ip) => write!(
                f,
                "more than {MAX_ADDRESSES} interface addresses: {ip} is not followed for ignoreself"
            ),
            TrackError::DumpFailed(errno) => write!(
                f,
                "listing interface addresses failed: {}",
                crate::bytes::OsError(*errno)
            ),
        }
    }
}

type Pair = (u32, IpAddr);

#[derive(Debug, Default)]
pub struct Tracker {
    current: Vec<Pair>,
    /// The running dump: its sequence number and what it listed so far.
    dump: Option<(u32, Vec<Pair>)>,
    /// Events may have been lost since the set was last complete.
    stale: bool,
    /// A dump has completed: the set is the kernel's.
    synced: bool,
    /// Dumps refused in a row; retried up to [`DUMP_RETRIES`] times.
    refused: u8,
}

/// How often a refused dump is retried before the watcher waits for the next overrun.
pub const DUMP_RETRIES: u8 = 3;

impl Tracker {
    /// An empty set that wants its first dump.
    pub fn new() -> Tracker {
        Tracker {
            stale: true,
            ..Tracker::default()
        }
    }

    /// True when a dump should be requested: the set may be incomplete and none is running.
    pub fn wants_dump(&self) -> bool {
        self.stale && self.dump.is_none()
    }

    /// A dump request with sequence number `seq` was sent.
    pub fn dump_started(&mut self, seq: u32) {
        self.stale = false;
        self.dump = Some((seq, Vec::new()));
    }

    /// Events were lost (`ENOBUFS`, a datagram too large for the buffer): dump again.
    pub fn overrun(&mut self) {
        self.stale = true;
    }

    /// True once a dump has completed.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// Each distinct address once, in the order first seen.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.current
            .iter()
            .enumerate()
            .filter(|(i, (_, ip))| !self.current[..*i].iter().any(|(_, o)| o == ip))
            .map(|(_, (_, ip))| *ip)
    }

    /// Applies one message, appending what changed to `changes` (nothing before the first
    /// dump is done).
    pub fn message(&mut self, m: RouteMsg, changes: &mut Vec<Change>) -> Result<(), TrackError> {
        let in_dump = |seq: u32, flags: u16, dump: &Option<(u32, Vec<Pair>)>| {
            flags & MULTI != 0 && dump.as_ref().is_some_and(|(s, _)| *s == seq)
        };
        match m {
            RouteMsg::New { addr, seq, flags } if in_dump(seq, flags, &self.dump) => {
                if flags & NLM_F_DUMP_INTR != 0 {
                    self.stale = true;
                }
                match &mut self.dump {
                    Some((_, listed)) => insert(listed, addr),
                    None => Ok(()),
                }
            }
            RouteMsg::New { addr, .. } => {
                if let Some((_, listed)) = &mut self.dump {
                    insert(listed, addr)?;
                }
                let had = self.has(addr.ip);
                insert(&mut self.current, addr)?;
                if !had && self.synced {
                    changes.push(Change::Added(addr.ip));
                }
                Ok(())
            }
            RouteMsg::Del { addr, .. } => {
                if let Some((_, listed)) = &mut self.dump {
                    listed.retain(|p| *p != (addr.index, addr.ip));
                }
                let had = self.has(addr.ip);
                self.current.retain(|p| *p != (addr.index, addr.ip));
                if had && !self.has(addr.ip) && self.synced {
                    changes.push(Change::Removed(addr.ip));
                }
                Ok(())
            }
            RouteMsg::Done { seq, flags } if self.dump.as_ref().is_some_and(|d| d.0 == seq) => {
                if flags & NLM_F_DUMP_INTR != 0 {
                    self.stale = true;
                }
                if let Some((_, listed)) = self.dump.take() {
                    self.refused = 0;
                    self.replace(listed, changes);
                }
                Ok(())
            }
            RouteMsg::Error { seq, errno } if self.dump.as_ref().is_some_and(|d| d.0 == seq) => {
                self.dump = None;
                if self.refused < DUMP_RETRIES {
                    self.refused += 1;
                    self.stale = true;
                }
                Err(TrackError::DumpFailed(errno))
            }
            RouteMsg::Overrun => {
                self.stale = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn has(&self, ip: IpAddr) -> bool {
        self.current.iter().any(|(_, o)| *o == ip)
    }

    /// The dump is complete: it becomes the set; the difference is reported.
    fn replace(&mut self, listed: Vec<Pair>, changes: &mut Vec<Change>) {
        let old = core::mem::replace(&mut self.current, listed);
        let first = !self.synced;
        self.synced = true;
        for (i, (_, ip)) in old.iter().enumerate() {
            if !self.has(*ip) && !old[..i].iter().any(|(_, o)| o == ip) && !first {
                changes.push(Change::Removed(*ip));
            }
        }
        let now: Vec<IpAddr> = self.addresses().collect();
        for ip in now {
            if first || !old.iter().any(|(_, o)| *o == ip) {
                changes.push(Change::Added(ip));
            }
        }
    }
}

fn insert(set: &mut Vec<Pair>, a: IfAddr) -> Result<(), TrackError> {
    let pair = (a.index, a.ip);
    if set.contains(&pair) {
        return Ok(());
    }
    if set.len() >= MAX_ADDRESSES {
        return Err(TrackError::Full(a.ip));
    }
    set.push(pair);
    Ok(())
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
