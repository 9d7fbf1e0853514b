//! Draining a readable descriptor into [`Lines`] without blocking, and standard input.

use super::lines::Lines;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};

/// Why [`drain`] stopped.
#[derive(Debug)]
pub enum Drain {
    /// Nothing more to read right now (`EAGAIN`, or a file at its current end).
    Dry,
    /// The read budget is used up; more may be waiting.
    Budget,
    /// End of input (`read` returned 0 while something was expected: pipe closed).
    Eof,
    /// A read failed.
    Failed(io::Error),
}

/// Reads from `r` at most `budget` times, handing every complete line to `sink`.
/// `Ok(0)` from `r` is reported as [`Drain::Eof`]; the caller decides what it means.
pub fn drain<R: Read + ?Sized>(
    r: &mut R,
    lines: &mut Lines,
    sink: &mut dyn FnMut(&[u8]),
    budget: usize,
    bytes: &mut u64,
) -> Drain {
    for _ in 0..budget {
        match lines.fill(r) {
            Ok(0) => return Drain::Eof,
            Ok(n) => {
                *bytes += n as u64;
                while let Some(line) = lines.next_line() {
                    sink(line);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Drain::Dry,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Drain::Failed(e),
        }
    }
    Drain::Budget
}

/// A descriptor read with `read(2)`, after a zero-timeout `poll` says it will not block —
/// so a blocking descriptor we do not own (standard input) can be read without changing its
/// flags, which it shares with whoever else holds it.
pub struct Polled<'a>(pub BorrowedFd<'a>);

impl Read for Polled<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut fds = [PollFd::new(self.0, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::ZERO) {
            Ok(0) => return Err(io::ErrorKind::WouldBlock.into()),
            Ok(_) => {}
            Err(Errno::EINTR) => return Err(io::ErrorKind::Interrupted.into()),
            Err(e) => return Err(e.into()),
        }
        match nix::unistd::read(self.0, buf) {
            Ok(n) => Ok(n),
            Err(Errno::EAGAIN) => Err(io::ErrorKind::WouldBlock.into()),
            Err(Errno::EINTR) => Err(io::ErrorKind::Interrupted.into()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Standard input: read until its end, which ends the source.
pub struct Stdin {
    stdin: io::Stdin,
    ended: bool,
}

impl Stdin {
    pub fn new() -> Stdin {
        Stdin {
            stdin: io::stdin(),
            ended: false,
        }
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        (!self.ended).then(|| self.stdin.as_fd())
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Reads what is there; `true` once input has ended (the last unterminated line was
    /// delivered).
    pub fn read(
        &mut self,
        lines: &mut Lines,
        sink: &mut dyn FnMut(&[u8]),
        budget: usize,
        bytes: &mut u64,
    ) -> bool {
        if self.ended {
            return true;
        }
        match drain(&mut Polled(self.stdin.as_fd()), lines, sink, budget, bytes) {
            Drain::Dry | Drain::Budget => return false,
            Drain::Eof => {}
            Drain::Failed(e) => log::warn!("reading standard input: {e}; treating it as its end"),
        }
        if let Some(last) = lines.finish() {
            sink(last);
        }
        self.ended = true;
        true
    }
}

impl Default for Stdin {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn polled_pipe_is_drained_without_blocking_then_ends() {
        let (r, w) = nix::unistd::pipe().expect("pipe");
        let mut w = std::fs::File::from(w);
        w.write_all(b"a\nb\npartial").expect("write");
        let mut lines = Lines::new();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut bytes = 0;
        let mut sink = |l: &[u8]| got.push(l.to_vec());
        // A blocking pipe with nothing more in it: reading stops instead of waiting.
        assert!(matches!(
            drain(&mut Polled(r.as_fd()), &mut lines, &mut sink, 16, &mut bytes),
            Drain::Dry
        ));
        drop(w);
        assert!(matches!(
            drain(&mut Polled(r.as_fd()), &mut lines, &mut sink, 16, &mut bytes),
            Drain::Eof
        ));
        assert_eq!(lines.finish(), Some(&b"partial"[..]));
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(bytes, 11);
    }

    #[test]
    fn the_budget_bounds_one_call() {
        let (r, w) = nix::unistd::pipe().expect("pipe");
        let mut w = std::fs::File::from(w);
        w.write_all(&[b'x'; 10_000]).expect("write");
        let mut lines = Lines::new();
        let mut bytes = 0;
        // One read per call at most; the pipe hands out what it has in one go here.
        let r1 = drain(&mut Polled(r.as_fd()), &mut lines, &mut |_| {}, 1, &mut bytes);
        assert!(matches!(r1, Drain::Budget));
        assert_eq!(bytes, 10_000);
    }
}
