//! Following a file like `tail -F`.
//!
//! The file is read from its *end* when the source opens (a live daemon judges what happens
//! from now on; old lines were judged by the run before, and a restart must not ban again on
//! them). If the end is in the middle of a line, the rest of that line is skipped. A file that
//! appears later — it was missing, or it replaced the old one — is read from its start.
//!
//! Regular files are always "readable" to `poll`, so the descriptor to wait on is an inotify
//! watch on the file's directory ([`super::watch`]), readable when anything there changes. The
//! daemon also calls `read` when `next_deadline_ms` says: every
//! [`super::Options::file_poll_ms`] (250 ms) without inotify, every [`WATCHED_POLL`] times
//! that (2 s) as a safety net with it. Each `read` reads to the end of what is there, then looks
//! at the path:
//! * the same file, shorter than what was read: truncated in place (`copytruncate`); read again
//!   from offset 0;
//! * another file (device/inode changed: `mv log log.1` and a new `log`): the old file is
//!   drained to its end first (a last line without newline is dropped as unfinished), then the
//!   new one is read from its start — no line is read twice or lost if the writer has moved to
//!   the new file when the rotation is seen;
//! * nothing: the file was moved away or deleted; keep reading the old one until a new one
//!   appears.
//!
//! * the same file, as long as before or longer, but the byte before the old offset is not the
//!   one read there: truncated and written again past the offset before this `read` looked
//!   (`tail -F` reads on from the offset). Read on, the first "line" would be the tail of some
//!   line, whose start an attacker may have written (an anonymous FTP password, a SIP Call-ID:
//!   fields after the address); it is read again from offset 0 instead. A regrown file whose
//!   byte there happens to be the same is read on: when that byte is the `\n` of a whole line
//!   (the usual case), the offset is a line start in the new content too.

use super::lines::Lines;
use super::stream::{drain, Drain};
use super::watch::Watch;
use super::{Options, SourceError};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// With inotify, the file is also polled every this many `file_poll_ms`.
pub const WATCHED_POLL: u64 = 8;

struct Open {
    file: File,
    dev: u64,
    ino: u64,
    /// Bytes read so far (the file position).
    offset: u64,
    /// The byte at `offset - 1` when it was read: if it is another byte now, the file was
    /// truncated and written again past `offset` while nobody looked.
    last: Option<u8>,
}

impl Open {
    fn byte_before_offset(&self) -> Option<u8> {
        let at = self.offset.checked_sub(1)?;
        let mut b = [0u8; 1];
        self.file.read_exact_at(&mut b, at).ok().map(|()| b[0])
    }

    /// Truncated and regrown past the offset since the last read: reading on from the offset
    /// would start in the middle of some line, a tail whose start an attacker may have written
    /// (an anonymous FTP password, a SIP Call-ID). A shorter file is the size check's.
    fn rewritten(&self) -> bool {
        self.last
            .is_some_and(|b| self.byte_before_offset().is_some_and(|now| now != b))
    }
}

pub struct Follow {
    path: PathBuf,
    opts: Options,
    open: Option<Open>,
    watch: Watch,
    /// When the next `read` is due.
    due_ms: u64,
    /// The last `read` stopped on its budget, or [`Follow::tick`] found the poll due: read
    /// again at once (`fd()` is `None` until then).
    more: bool,
    /// Why opening failed, as last logged (each reason once, not every poll).
    warned: Option<String>,
    /// Truncations and rotations seen.
    pub reopened: u64,
}

impl Follow {
    pub fn start(path: &Path, opts: Options, now_ms: u64, lines: &mut Lines) -> Result<Follow, SourceError> {
        let err = |error: io::Error| SourceError::Open {
            path: path.to_path_buf(),
            error,
        };
        let mut me = Follow {
            path: path.to_path_buf(),
            opts,
            open: None,
            watch: Watch::new(path, opts.inotify),
            due_ms: now_ms,
            more: false,
            warned: None,
            reopened: 0,
        };
        match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                log::warn!("log file {} does not exist (yet); waiting for it", path.display());
                me.warned = Some("missing".into());
                return Ok(me);
            }
            Err(e) => return Err(err(e)),
            Ok(_) => {}
        }
        let mut open = open(path).map_err(|e| match e {
            Opened::NotAFile => SourceError::NotAFile {
                path: path.to_path_buf(),
            },
            Opened::Io(e) => err(e),
        })?;
        open.offset = open.file.seek(SeekFrom::End(0)).map_err(err)?;
        open.last = open.byte_before_offset();
        if open.last.is_some_and(|b| b != b'\n') {
            lines.skip_to_newline();
        }
        me.open = Some(open);
        Ok(me)
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The inotify descriptor, when watching — but `None` while the last read stopped on its
    /// budget, so that a loop which reads descriptor-less sources every round comes back at
    /// once rather than waiting for the next change to the file.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        if self.more {
            return None;
        }
        self.watch.fd()
    }

    pub fn next_deadline_ms(&self) -> Option<u64> {
        Some(if self.more { 0 } else { self.due_ms })
    }

    /// Once the next poll of the path is due, stops offering the inotify descriptor, so a
    /// loop that reads a source only when its descriptor is ready (or it has none) reads it
    /// now — and `read` moves the deadline on. Without this a loop that only polls the
    /// descriptor would see a deadline in the past forever and never sleep.
    pub fn tick(&mut self, now_ms: u64) {
        if now_ms >= self.due_ms {
            self.more = true;
        }
    }

    /// Reads what was appended, then handles truncation and rotation (see the module doc).
    pub fn read(&mut self, now_ms: u64, lines: &mut Lines, sink: &mut dyn FnMut(&[u8]), bytes: &mut u64) {
        self.watch.drain();
        self.watch.retry();
        let every = if self.watch.active() { WATCHED_POLL } else { 1 };
        self.due_ms = now_ms + self.opts.file_poll_ms * every;
        self.more = false;
        if self.open.is_none() && !self.open_new(lines) {
            return;
        }
        if self.open.as_ref().is_some_and(Open::rewritten) && !self.read_from_start(lines, "rewritten") {
            return;
        }
        // At most one reopening per call: a file rotated again at once waits for the next.
        for _ in 0..2 {
            if !self.drain_open(lines, sink, bytes) {
                return;
            }
            let Ok(now) = fs::metadata(&self.path) else {
                return; // moved away or unreadable: keep reading the old file
            };
            let Some(open) = self.open.as_ref() else {
                return;
            };
            let replaced = (now.dev(), now.ino()) != (open.dev, open.ino);
            let truncated = !replaced && now.len() < open.offset;
            if replaced {
                // What the writer added to the old file before it moved on comes first.
                if !self.drain_open(lines, sink, bytes) {
                    return;
                }
                lines.abandon();
                log::info!(
                    "log file {} was replaced; reading the new one",
                    self.path.display()
                );
                self.open = None;
                self.reopened += 1;
                if !self.open_new(lines) {
                    return;
                }
            } else if truncated {
                if !self.read_from_start(lines, "truncated") {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /// The open file was truncated (or `rewritten`, see [`Open::rewritten`]): read it again
    /// from offset 0. `false` if it could not be.
    fn read_from_start(&mut self, lines: &mut Lines, how: &str) -> bool {
        lines.abandon();
        log::info!(
            "log file {} was {how}; reading it from the start",
            self.path.display()
        );
        self.reopened += 1;
        let Some(open) = self.open.as_mut() else {
            return false;
        };
        open.offset = 0;
        open.last = None;
        if let Err(e) = open.file.seek(SeekFrom::Start(0)) {
            log::warn!("log file {}: {e}; reopening it", self.path.display());
            self.open = None;
            return false;
        }
        true
    }

    /// Reads the open file to its end; `false` if the budget ran out or the read failed.
    fn drain_open(&mut self, lines: &mut Lines, sink: &mut dyn FnMut(&[u8]), bytes: &mut u64) -> bool {
        let Some(open) = self.open.as_mut() else {
            return false;
        };
        let mut n = 0;
        let result = drain(&mut open.file, lines, sink, self.opts.read_budget, &mut n);
        open.offset += n;
        if n > 0 {
            open.last = open.byte_before_offset();
        }
        *bytes += n;
        match result {
            Drain::Eof | Drain::Dry => true,
            Drain::Budget => {
                self.more = true;
                false
            }
            Drain::Failed(e) => {
                log::warn!("reading log file {}: {e}; reopening it", self.path.display());
                self.open = None;
                lines.reset();
                false
            }
        }
    }

    /// Opens the file now at the path, from its start. `false` if it is not there (yet).
    fn open_new(&mut self, lines: &mut Lines) -> bool {
        lines.reset();
        match open(&self.path) {
            Ok(open) => {
                if self.warned.take().is_some() {
                    log::info!("log file {} is there now; following it", self.path.display());
                }
                self.open = Some(open);
                true
            }
            Err(Opened::Io(e)) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => {
                // Once per reason: a missing file that turns up as a FIFO is news.
                let why = e.to_string();
                if self.warned.as_deref() != Some(why.as_str()) {
                    log::warn!("log file {}: {why}; retrying", self.path.display());
                    self.warned = Some(why);
                }
                false
            }
        }
    }

    pub fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.open {
            Some(open) => write!(
                f,
                "file {} followed at offset {}",
                self.path.display(),
                open.offset
            ),
            None => write!(f, "file {} missing, waiting for it", self.path.display()),
        }
    }
}

enum Opened {
    NotAFile,
    Io(io::Error),
}

impl fmt::Display for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opened::NotAFile => f.write_str("not a regular file"),
            Opened::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Opens `path` if it is a regular file. Without blocking: a FIFO at the path would hold the
/// event loop in `open` until some writer came (`O_NONBLOCK` changes nothing for a regular
/// file's reads).
fn open(path: &Path) -> Result<Open, Opened> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(Opened::Io)?;
    let meta = file.metadata().map_err(Opened::Io)?;
    if !meta.is_file() {
        return Err(Opened::NotAFile);
    }
    Ok(Open {
        file,
        dev: meta.dev(),
        ino: meta.ino(),
        offset: 0,
        last: None,
    })
}
