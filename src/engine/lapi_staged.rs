//! One response's decisions, staged until its body has been read whole (see [`super`]).

use super::{Entry, INSTALL, V4_RANGE_MIN};
use crate::addr::Host;
use crate::lapi::stream::Decision;
use core::net::{IpAddr, Ipv4Addr};

/// The hosts a decision bans (`push` gets each), or `false` when it is a v4 range too wide.
fn hosts(d: &Decision, push: &mut dyn FnMut(Host)) -> bool {
    match d.net {
        IpAddr::V4(a) if d.prefix >= 32 => push(Host::V4(a)),
        IpAddr::V4(_) if d.prefix < V4_RANGE_MIN => return false,
        IpAddr::V4(a) => {
            let first = u32::from(a);
            for i in 0..(1u32 << (32 - u32::from(d.prefix))) {
                push(Host::V4(Ipv4Addr::from(first | i)));
            }
        }
        IpAddr::V6(a) => push(Host::V6(a, d.prefix.clamp(1, 128))),
    }
    true
}

/// One response's decisions, collected while its body streams in and handed to
/// [`Engine::lapi`](crate::engine::Engine::lapi) only when the whole body was good. Bounded by
/// the table's capacity.
#[derive(Debug, Default)]
pub struct Staged {
    pub(super) bans: Vec<Entry>,
    pub(super) deleted: Vec<Host>,
    pub(super) wall: i64,
    pub(super) capacity: usize,
    /// An answer to `startup=true`: its deletions mean nothing (what it does not list goes).
    pub(super) startup: bool,
    /// Decisions left out: v4 ranges wider than /24, or bans over the capacity.
    pub wide: usize,
    pub over: usize,
}

impl Staged {
    pub fn len(&self) -> usize {
        self.bans.len() + self.deleted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one decision of the stream. Deletions over the capacity are dropped (they can
    /// only concern hosts that a full table never took).
    pub fn push(&mut self, d: &Decision) {
        if d.deleted && self.startup {
            return;
        }
        let (cap, until) = (
            self.capacity,
            u32::try_from(self.wall.saturating_add(i64::from(d.seconds))).unwrap_or(u32::MAX),
        );
        let (bans, deleted, over) = (&mut self.bans, &mut self.deleted, &mut self.over);
        let ok = hosts(d, &mut |host| {
            if d.deleted {
                if deleted.len() < cap {
                    deleted.push(host);
                }
            } else if bans.len() < cap {
                bans.push(Entry {
                    host,
                    until,
                    state: INSTALL,
                });
            } else {
                *over += 1;
            }
        });
        self.wide += usize::from(!ok);
    }
}
