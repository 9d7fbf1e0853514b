//! Waking up when a followed file changes: inotify on the file's directory.
//!
//! A directory watch sees the file written or truncated (`IN_MODIFY`) and replaced, moved or
//! deleted (`IN_CREATE`, `IN_MOVED_TO`, `IN_MOVED_FROM`, `IN_DELETE`), also while the file does
//! not exist, so one watch serves every state of a `tail -F`. The events themselves are not
//! looked at: any event only means "read and look at the path again", which the follower does
//! anyway. If the directory itself goes away (`IN_IGNORED`, `IN_DELETE_SELF`, `IN_MOVE_SELF`) or
//! inotify is not available, the watch is dropped and retried at each poll; the follower's
//! timer keeps working without it.

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

/// `struct inotify_event` before its name: wd, mask, cookie, len.
const EVENT_HEADER: usize = 16;
const MASK_AT: usize = 4;
const LEN_AT: usize = 12;
/// Events that mean the watch on the directory is gone.
const LOST: u32 = libc::IN_IGNORED | libc::IN_DELETE_SELF | libc::IN_MOVE_SELF;

pub struct Watch {
    dir: PathBuf,
    inotify: Option<Inotify>,
    /// Off by configuration: never watch.
    off: bool,
}

impl Watch {
    pub fn new(path: &Path, on: bool) -> Watch {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut w = Watch {
            dir,
            inotify: None,
            off: !on,
        };
        w.retry();
        w
    }

    /// Watching now (else the follower polls at its short interval).
    pub fn active(&self) -> bool {
        self.inotify.is_some()
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.inotify.as_ref().map(|i| i.as_fd())
    }

    /// Sets the watch up again if it is not there.
    pub fn retry(&mut self) {
        if self.inotify.is_some() || self.off {
            return;
        }
        let flags = AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::IN_ONLYDIR;
        let Ok(inotify) = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC) else {
            return;
        };
        if inotify.add_watch(self.dir.as_path(), flags).is_ok() {
            self.inotify = Some(inotify);
        }
    }

    /// Consumes pending events so `poll` stops reporting them; drops the watch if the
    /// directory is gone.
    pub fn drain(&mut self) {
        let Some(inotify) = &self.inotify else {
            return;
        };
        let mut buf = [0u8; 4096];
        let mut lost = false;
        loop {
            match nix::unistd::read(inotify.as_fd(), &mut buf) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                Ok(n) => lost |= any_lost(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(_) => {
                    lost = true;
                    break;
                }
            }
        }
        if lost {
            self.inotify = None;
        }
    }
}

/// Whether any event in a buffer of `struct inotify_event`s says the watch is gone.
fn any_lost(mut events: &[u8]) -> bool {
    while events.len() >= EVENT_HEADER {
        let word =
            |at: usize| u32::from_ne_bytes([events[at], events[at + 1], events[at + 2], events[at + 3]]);
        if word(MASK_AT) & LOST != 0 {
            return true;
        }
        let size = EVENT_HEADER + word(LEN_AT) as usize;
        events = events.get(size..).unwrap_or_default();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(mask: u32, name_len: u32) -> Vec<u8> {
        let mut e = Vec::new();
        for w in [1u32, mask, 0, name_len] {
            e.extend_from_slice(&w.to_ne_bytes());
        }
        e.resize(EVENT_HEADER + name_len as usize, 0);
        e
    }

    #[test]
    fn events_are_walked_by_their_lengths() {
        let mut buf = event(libc::IN_MODIFY, 16);
        buf.extend(event(libc::IN_CREATE, 0));
        assert!(!any_lost(&buf));
        buf.extend(event(libc::IN_IGNORED, 0));
        assert!(any_lost(&buf));
        // A truncated buffer is not read past its end.
        assert!(!any_lost(&buf[..EVENT_HEADER + 3]));
    }

    #[test]
    fn a_missing_directory_is_not_watched() {
        let w = Watch::new(Path::new("/nonexistent-logjail-dir/log"), true);
        assert!(!w.active() && w.fd().is_none());
        let w = Watch::new(Path::new("/tmp/log"), false);
        assert!(!w.active());
    }
}
