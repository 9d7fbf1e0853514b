//! Failures in words: what the kernel refused and why, as a user would want to read it.
//!
//! A failure of a whole set (missing, not permitted) is an [`Error`]; an element the kernel
//! would not take is a [`Refusal`] naming the host and the reason, asking the kernel about the
//! set where its errno alone says too little: `ENFILE` is a full set (with the `size` it was
//! declared with), `EINVAL` on a timed element a set without `flags timeout`, `EEXIST` or
//! `ENOTEMPTY` an interval overlapping one already there.

use super::{Nft, Refusal};
use crate::firewall::Error;
use crate::netlink::conn::Info;
use crate::netlink::msg::{set_attr, Element};

/// Refusals logged one by one per call; the rest are counted.
const LOGGED: usize = 10;

impl Nft {
    pub(super) fn set_error(&self, v6: bool, errno: i32, doing: &str) -> Error {
        let set = self.set_name(v6);
        let what = match errno {
            libc::ENOENT => format!("set {set} not found in {}", self.table_words()),
            libc::EPERM => format!(
                "{doing} set {set} in {}: not permitted (needs CAP_NET_ADMIN)",
                self.table_words()
            ),
            _ => format!("{doing} set {set} in {}", self.table_words()),
        };
        Error::Kernel { what, errno }
    }

    /// The refusals of `bad` (element, errno) in words, each logged (the first
    /// [`LOGGED`], then a count). The set is asked about once, when an errno needs it.
    pub(super) fn refusals(&mut self, v6: bool, bad: &[(&Element, i32)]) -> Vec<Refusal> {
        let info = if bad.iter().any(|&(_, e)| e == libc::ENFILE || e == libc::EINVAL) {
            self.set_info_unchecked(v6).ok().flatten()
        } else {
            None
        };
        let out: Vec<Refusal> = bad
            .iter()
            .map(|&(e, errno)| self.refusal(v6, e, errno, info.as_ref()))
            .collect();
        for r in out.iter().take(LOGGED) {
            log::warn!("{r}");
        }
        if out.len() > LOGGED {
            log::warn!(
                "{} more bans refused by set {}",
                out.len() - LOGGED,
                self.set_name(v6)
            );
        }
        out
    }

    /// Why the kernel refused element `e` with `errno`, with what `info` says of the set
    /// (its declared size, its flags).
    fn refusal(&self, v6: bool, e: &Element, errno: i32, info: Option<&Info>) -> Refusal {
        let set = self.set_name(v6);
        let tw = self.table_words();
        let reason = match errno {
            libc::ENFILE => match info.and_then(|i| i.size) {
                Some(n) => format!("set {set} in {tw} is full (size {n})"),
                None => format!("set {set} in {tw} is full"),
            },
            libc::EINVAL
                if e.timeout_ms.is_some()
                    && info.is_some_and(|i| i.set_flags.unwrap_or(0) & set_attr::F_TIMEOUT == 0) =>
            {
                format!("set {set} in {tw} has no timeout flag (declare it with `flags timeout`)")
            }
            libc::EINVAL if e.timeout_ms.is_some() => {
                format!("set {set} in {tw} refused it (does the set have `flags timeout`?)")
            }
            libc::ENOTEMPTY | libc::EEXIST => {
                format!("it overlaps an element already in set {set} in {tw}")
            }
            libc::EAGAIN => format!("set {set} in {tw} kept changing while it was added"),
            _ => format!("set {set} in {tw} refused it"),
        };
        Refusal {
            host: e.host,
            errno,
            reason,
        }
    }
}
