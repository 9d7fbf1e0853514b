//! Log sources: a spawned command, standard input, or a followed file.
//!
//! A [`Source`] is driven by the daemon's single-threaded `poll` loop and never blocks it:
//!
//! ```no_run
//! use logjail::{clock, source::{Source, Spec, Status}};
//! use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
//!
//! let mut sources = vec![Source::open(&Spec::parse("logread -f")).expect("source")];
//! 'run: loop {
//!     let now = clock::mono_ms();
//!     // Wait for output, or until the earliest deadline (never more than a second).
//!     let wake = sources.iter().filter_map(Source::next_deadline_ms).min().unwrap_or(u64::MAX);
//!     let timeout = wake.saturating_sub(now).min(1000) as u16;
//!     let mut fds: Vec<PollFd> =
//!         sources.iter().filter_map(Source::fd).map(|fd| PollFd::new(fd, PollFlags::POLLIN)).collect();
//!     let _ = poll(&mut fds, PollTimeout::from(timeout)); // EINTR: just go round
//!     drop(fds);
//!     let now = clock::mono_ms();
//!     for s in &mut sources {
//!         // Every source, every time round: `read` never blocks and is cheap when idle.
//!         let status = s.read(now, &mut |line: &[u8]| {
//!             let _parts = logjail::line::parse(line, clock::wall());
//!         });
//!         s.tick(now);
//!         if status == Status::Ended {
//!             break 'run; // standard input ended: finish, exit 0
//!         }
//!     }
//! }
//! ```
//!
//! * [`Source::fd`] is what to poll for `POLLIN` now: the command's stdout pipe, standard
//!   input, an inotify watch on a followed file's directory; `None` while a command waits to
//!   restart, once stdin has ended, for a file where inotify is not available, and for a
//!   file whose last read stopped on its budget or whose next poll [`Source::tick`] found due
//!   (so read it again now). A loop that reads a source only when its fd is ready must also
//!   read it when `fd()` is `None` (calling `tick` before collecting the descriptors makes
//!   that cover a passed deadline too); reading every source every round is simplest. An
//!   idle source never asks for a wake-up in the past: after `read`, `next_deadline_ms` is
//!   in the future or `None`, so the loop sleeps in `poll`.
//! * [`Source::read`] reads what is there without blocking (the pipe is non-blocking; stdin is
//!   polled with a zero timeout before each read, so its shared flags are left alone; files
//!   stop at their end), at most [`Options::read_budget`] buffers per call so one flood does
//!   not starve the rest, and hands each complete line, at most [`crate::bytes::MAX_LINE`]
//!   bytes, to the sink; lines that are not whole are not handed out (see [`lines`]). Call it
//!   for every source after every wake-up.
//! * [`Source::tick`] reaps and restarts commands; call it at least once a second.
//!   [`Source::next_deadline_ms`] is when the source next needs `read`/`tick` without a
//!   readable fd: a restart, a reap check, the next file poll ([`Options::file_poll_ms`],
//!   250 ms, or 2 s as a safety net when inotify watches the file), or "now" when a file read
//!   stopped on its budget.
//! * [`Status`]: `Open` (reading), `Waiting` (command restarting, file missing), `Ended`
//!   (stdin's end: the daemon finishes and exits 0). Only stdin ever ends: a command that
//!   exits is restarted with backoff (1 s doubling to 60 s), forever.
//! * Counters in [`Source::stats`]; `Display` is a one-line state ("command 'logread -f'
//!   running, pid 123", "command 'logread -f' restarting in 4s").
//!
//! A command runs as `sh -c CMD` (stdin `/dev/null`, stderr inherited) in its own process
//! group; when its output ends it is reaped, the exit logged, and it is restarted. A file is
//! followed like `tail -F` from its end (truncation and rotation handled, no line read twice
//! or lost). The details are in the essays of `source/command.rs` and `source/follow.rs`.
//! Dropping a `Source` (or [`Source::close`]) stops and reaps a command's process group.

mod child;
mod command;
mod follow;
pub mod history;
pub mod lines;
mod stream;
mod watch;

use crate::clock;
use command::Command;
use follow::Follow;
use lines::Lines;
use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use stream::Stdin;

/// Where lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `sh -c CMD`, restarted with backoff when it exits.
    Command(String),
    /// Standard input; its end ends the daemon.
    Stdin,
    /// A file followed like `tail -F`.
    File(PathBuf),
}

impl Spec {
    /// `-` is stdin; a path (starting with `/` or `.`, without spaces) is a file to follow,
    /// whether or not it exists yet; anything else is a command for `sh -c`.
    pub fn parse(s: &str) -> Spec {
        if s == "-" {
            Spec::Stdin
        } else if (s.starts_with('/') || s.starts_with('.')) && !s.contains(' ') {
            Spec::File(PathBuf::from(s))
        } else {
            Spec::Command(s.to_string())
        }
    }

    /// A following `logread` command asks for `lines` lines of history first (see
    /// [`history`]); any other spec is as it was.
    pub fn with_history(self, lines: u32) -> Spec {
        match self {
            Spec::Command(c) => Spec::Command(history::with_history(&c, lines).unwrap_or(c)),
            other => other,
        }
    }
}

/// Timings and limits; the defaults are the product's, tests shorten them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// First restart delay of a command; doubled after each exit.
    pub backoff_min_ms: u64,
    /// Longest restart delay.
    pub backoff_max_ms: u64,
    /// A command that ran this long restarts after `backoff_min_ms` again.
    pub stable_ms: u64,
    /// After its output ends, a command gets this long to exit before SIGTERM (and twice this
    /// before SIGKILL).
    pub kill_grace_ms: u64,
    /// How often a followed file is read.
    pub file_poll_ms: u64,
    /// Reads (of up to [`lines::BUFFER`] bytes) per `read` call.
    pub read_budget: usize,
    /// Watch followed files with inotify (else only poll them).
    pub inotify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            backoff_min_ms: 1000,
            backoff_max_ms: 60_000,
            stable_ms: 60_000,
            kill_grace_ms: 1000,
            file_poll_ms: 250,
            read_budget: 16,
            inotify: true,
        }
    }
}

/// What a source is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Reading (a command running, a file open, stdin not at its end).
    Open,
    /// A command waiting to restart, a file waiting to appear.
    Waiting,
    /// Standard input ended.
    Ended,
}

/// Counters since the source was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines handed to the sink.
    pub lines: u64,
    /// Lines not handed out because they were not whole: longer than
    /// [`crate::bytes::MAX_LINE`], with a NUL byte, or unfinished (see [`lines`]).
    pub ignored: u64,
    /// Command restarts, or file reopenings (truncation, rotation).
    pub restarts: u64,
    /// Bytes read.
    pub bytes: u64,
}

#[derive(Debug)]
pub enum SourceError {
    /// `Spec::Command` with nothing to run.
    EmptyCommand,
    /// `sh -c CMD` could not be started.
    Spawn { command: String, error: io::Error },
    /// A file to follow exists but cannot be opened.
    Open { path: PathBuf, error: io::Error },
    /// A file to follow is a directory, device or pipe.
    NotAFile { path: PathBuf },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::EmptyCommand => f.write_str("log source: the command is empty"),
            SourceError::Spawn { command, error } => {
                write!(f, "log source: cannot start command 'sh -c {command}': {error}")
            }
            SourceError::Open { path, error } => {
                write!(f, "log source: cannot open log file {}: {error}", path.display())
            }
            SourceError::NotAFile { path } => {
                write!(f, "log source: {} is not a regular file", path.display())
            }
        }
    }
}

impl std::error::Error for SourceError {}

enum Kind {
    Command(Command),
    Stdin(Stdin),
    File(Follow),
}

pub struct Source {
    kind: Kind,
    lines: Lines,
    bytes: u64,
    /// `Options::read_budget`, for stdin.
    budget: usize,
    /// The latest `now_ms` seen, for the description.
    last_ms: u64,
    /// Old lines each start of the command replays ([`history::replayed_lines`]).
    replays: Option<u32>,
}

impl Source {
    /// Opens with the default [`Options`] (a command is started now).
    pub fn open(spec: &Spec) -> Result<Source, SourceError> {
        Source::open_with(spec, Options::default(), clock::mono_ms())
    }

    pub fn open_with(spec: &Spec, opts: Options, now_ms: u64) -> Result<Source, SourceError> {
        let mut lines = Lines::new();
        let replays = match spec {
            Spec::Command(cmd) => history::replayed_lines(cmd),
            _ => None,
        };
        let kind = match spec {
            Spec::Command(cmd) => Kind::Command(Command::start(cmd, opts, now_ms)?),
            Spec::Stdin => Kind::Stdin(Stdin::new()),
            Spec::File(path) => Kind::File(Follow::start(path, opts, now_ms, &mut lines)?),
        };
        Ok(Source {
            kind,
            lines,
            bytes: 0,
            budget: opts.read_budget,
            last_ms: now_ms,
            replays,
        })
    }

    /// For a command that replays old lines when it starts (`logread -l N -f`): which start
    /// this is (a number that changes at each restart) and `N`. `None` for anything else.
    pub fn replay(&self) -> Option<(u64, u32)> {
        match &self.kind {
            Kind::Command(c) => self.replays.map(|n| (c.restarts, n)),
            _ => None,
        }
    }

    /// The descriptor to poll for `POLLIN` now, if any.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.kind {
            Kind::Command(c) => c.fd(),
            Kind::Stdin(s) => s.fd(),
            Kind::File(f) => f.fd(),
        }
    }

    /// Reads what is available without blocking and hands each complete line to `sink`.
    pub fn read(&mut self, now_ms: u64, sink: &mut dyn FnMut(&[u8])) -> Status {
        self.last_ms = self.last_ms.max(now_ms);
        match &mut self.kind {
            Kind::Command(c) => {
                c.read(now_ms, &mut self.lines, sink, &mut self.bytes);
            }
            Kind::Stdin(s) => {
                s.read(&mut self.lines, sink, self.budget, &mut self.bytes);
            }
            Kind::File(f) => f.read(now_ms, &mut self.lines, sink, &mut self.bytes),
        }
        self.status()
    }

    /// Reaps and restarts commands; a followed file whose poll is due gives up its
    /// descriptor until it is read (see [`Source::fd`]). Call at least once a second, and
    /// before collecting the descriptors to poll.
    pub fn tick(&mut self, now_ms: u64) {
        self.last_ms = self.last_ms.max(now_ms);
        match &mut self.kind {
            Kind::Command(c) => c.tick(now_ms),
            Kind::Stdin(_) => {}
            Kind::File(f) => f.tick(now_ms),
        }
    }

    /// When the source next needs `read`/`tick` even without a readable fd.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        match &self.kind {
            Kind::Command(c) => c.next_deadline_ms(),
            Kind::Stdin(_) => None,
            Kind::File(f) => f.next_deadline_ms(),
        }
    }

    pub fn status(&self) -> Status {
        let open = match &self.kind {
            Kind::Command(c) => c.running(),
            Kind::Stdin(s) if s.ended() => return Status::Ended,
            Kind::Stdin(_) => true,
            Kind::File(f) => f.is_open(),
        };
        if open {
            Status::Open
        } else {
            Status::Waiting
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            lines: self.lines.lines,
            ignored: self.lines.ignored,
            restarts: match &self.kind {
                Kind::Command(c) => c.restarts,
                Kind::Stdin(_) => 0,
                Kind::File(f) => f.reopened,
            },
            bytes: self.bytes,
        }
    }

    /// Stops a command (SIGTERM, then SIGKILL, to its process group) and reaps it. Also done
    /// on drop.
    pub fn close(&mut self) {
        if let Kind::Command(c) = &mut self.kind {
            c.close();
        }
    }
}

/// How `started:` names the source: `command "logread -f"`, `stdin`, `file /var/log/x`.
impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Command(c) => write!(f, "command {}", crate::bytes::Quoted(c)),
            Spec::Stdin => f.write_str("stdin"),
            Spec::File(p) => write!(f, "file {}", p.display()),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Command(c) => c.describe(self.last_ms, f),
            Kind::Stdin(s) if s.ended() => f.write_str("standard input ended"),
            Kind::Stdin(_) => f.write_str("standard input open"),
            Kind::File(fl) => fl.describe(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(Spec::parse("-"), Spec::Stdin);
        assert_eq!(
            Spec::parse("/var/log/messages"),
            Spec::File("/var/log/messages".into())
        );
        assert_eq!(Spec::parse("./log"), Spec::File("./log".into()));
        assert_eq!(Spec::parse("logread -f"), Spec::Command("logread -f".into()));
        assert_eq!(
            Spec::parse("/sbin/logread -f"),
            Spec::Command("/sbin/logread -f".into())
        );
    }

    #[test]
    fn errors_name_what_and_where() {
        let e = SourceError::Spawn {
            command: "logread -f".into(),
            error: io::Error::from_raw_os_error(2),
        };
        assert_eq!(
            e.to_string(),
            "log source: cannot start command 'sh -c logread -f': No such file or directory (os error 2)"
        );
        let e = SourceError::Open {
            path: "/var/log/x".into(),
            error: io::Error::from_raw_os_error(13),
        };
        assert_eq!(
            e.to_string(),
            "log source: cannot open log file /var/log/x: Permission denied (os error 13)"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_is_refused_at_open() {
        // Root reads anything; a path through a regular file fails for everyone.
        let err = Source::open_with(&Spec::File("/proc/self/status/x".into()), Options::default(), 0);
        assert!(
            matches!(&err, Err(SourceError::Open { path, .. }) if path.ends_with("status/x")),
            "{:?}",
            err.err()
        );
    }
}
