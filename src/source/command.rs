//! A command (`sh -c CMD`) whose standard output is the log, restarted with backoff.
//!
//! States: *running* (its stdout is polled), *reaping* (stdout ended; waiting for the process
//! to exit — it is sent SIGTERM after [`Options::kill_grace_ms`] and SIGKILL after twice
//! that), *backing off* (restart due at a time). The child runs in its own process group so a
//! pipeline (`logread -f | grep …`) is stopped as a whole. Every exit is logged with
//! `log::warn!` and followed by a restart after 1 s, 2 s, 4 s … up to 60 s; a command that ran
//! for [`Options::stable_ms`] starts again at 1 s.

use super::child::{Child, Exit};
use super::lines::Lines;
use super::stream::{drain, Drain};
use super::{Options, SourceError};
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::signal::Signal;
use std::fmt;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};

/// How often a stopped child is checked for while reaping.
const REAP_POLL_MS: u64 = 20;

enum State {
    Running {
        child: Child,
        out: File,
        started_ms: u64,
        /// The shell exited (and was reaped) while something it started still holds stdout.
        exited: Option<Exit>,
    },
    Reaping {
        child: Child,
        started_ms: u64,
        since_ms: u64,
        /// When to look again.
        check_ms: u64,
        signalled: u8,
    },
    Backoff {
        until_ms: u64,
    },
}

pub struct Command {
    command: String,
    opts: Options,
    state: State,
    /// The delay before the next restart.
    backoff_ms: u64,
    pub restarts: u64,
}

impl Command {
    pub fn start(command: &str, opts: Options, now_ms: u64) -> Result<Command, SourceError> {
        if command.trim().is_empty() {
            return Err(SourceError::EmptyCommand);
        }
        let state = spawn(command, now_ms).map_err(|error| SourceError::Spawn {
            command: command.to_string(),
            error: error.into(),
        })?;
        Ok(Command {
            command: command.to_string(),
            backoff_ms: opts.backoff_min_ms,
            opts,
            state,
            restarts: 0,
        })
    }

    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.state {
            State::Running { out, .. } => Some(out.as_fd()),
            _ => None,
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    pub fn read(
        &mut self,
        now_ms: u64,
        lines: &mut Lines,
        sink: &mut dyn FnMut(&[u8]),
        bytes: &mut u64,
    ) -> bool {
        let State::Running { out, .. } = &mut self.state else {
            return false;
        };
        let why = match drain(out, lines, sink, self.opts.read_budget, bytes) {
            Drain::Dry => return false,
            Drain::Budget => return true,
            Drain::Eof => None,
            Drain::Failed(e) => Some(e),
        };
        // A last line without newline: the command may have died in the middle of it.
        lines.abandon();
        if let Some(e) = why {
            log::warn!("command '{}': reading its output: {e}", self.command);
        }
        self.output_ended(now_ms);
        false
    }

    /// Stdout closed: close our end and wait for the process.
    fn output_ended(&mut self, now_ms: u64) {
        let old = std::mem::replace(&mut self.state, State::Backoff { until_ms: now_ms });
        if let State::Running {
            child, started_ms, ..
        } = old
        {
            self.state = State::Reaping {
                child,
                started_ms,
                since_ms: now_ms,
                check_ms: now_ms,
                signalled: 0,
            };
            self.tick(now_ms);
        }
    }

    pub fn tick(&mut self, now_ms: u64) {
        match &mut self.state {
            State::Running { child, exited, .. } => {
                if exited.is_none() {
                    *exited = child.try_wait().ok().flatten();
                }
            }
            State::Reaping {
                child,
                started_ms,
                since_ms,
                check_ms,
                signalled,
            } => match child.try_wait() {
                Ok(Some(status)) => {
                    let ran = now_ms.saturating_sub(*started_ms);
                    self.schedule_restart(&status.to_string(), ran, now_ms);
                }
                Err(e) => {
                    let ran = now_ms.saturating_sub(*started_ms);
                    self.schedule_restart(
                        &format!("could not be waited for ({})", crate::bytes::OsError(e as i32)),
                        ran,
                        now_ms,
                    );
                }
                Ok(None) => {
                    *check_ms = now_ms + REAP_POLL_MS;
                    let waited = now_ms.saturating_sub(*since_ms);
                    let want = u8::from(waited >= self.opts.kill_grace_ms)
                        + u8::from(waited >= 2 * self.opts.kill_grace_ms);
                    if want > *signalled {
                        let signal = if want == 1 {
                            Signal::SIGTERM
                        } else {
                            Signal::SIGKILL
                        };
                        child.signal_group(signal);
                        *signalled = want;
                    }
                }
            },
            State::Backoff { until_ms } => {
                if now_ms >= *until_ms {
                    self.restart(now_ms);
                }
            }
        }
    }

    fn schedule_restart(&mut self, how: &str, ran_ms: u64, now_ms: u64) {
        if ran_ms >= self.opts.stable_ms {
            self.backoff_ms = self.opts.backoff_min_ms;
        }
        let delay = self.backoff_ms;
        self.backoff_ms = (delay * 2)
            .min(self.opts.backoff_max_ms)
            .max(self.opts.backoff_min_ms);
        log::warn!(
            "command '{}' ended ({how}) after {}; restarting in {}",
            self.command,
            Secs(ran_ms),
            Secs(delay)
        );
        self.state = State::Backoff {
            until_ms: now_ms + delay,
        };
    }

    fn restart(&mut self, now_ms: u64) {
        self.restarts += 1;
        match spawn(&self.command, now_ms) {
            Ok(state) => self.state = state,
            Err(e) => self.schedule_restart(
                &format!("could not be started: {}", crate::bytes::OsError(e as i32)),
                0,
                now_ms,
            ),
        }
    }

    pub fn next_deadline_ms(&self) -> Option<u64> {
        match &self.state {
            State::Running { .. } => None,
            State::Reaping { check_ms, .. } => Some(*check_ms),
            State::Backoff { until_ms } => Some(*until_ms),
        }
    }

    /// Stops the child and its whole process group: SIGTERM, up to half a second for the
    /// shell to exit, then SIGKILL to whatever is left of the group; and reaps the shell.
    pub fn close(&mut self) {
        let old = std::mem::replace(&mut self.state, State::Backoff { until_ms: u64::MAX });
        let mut child = match old {
            State::Running { child, .. } | State::Reaping { child, .. } => child,
            State::Backoff { .. } => return,
        };
        child.signal_group(Signal::SIGTERM);
        for _ in 0..50 {
            if !matches!(child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // The group outlives a reaped shell while any member lives, so its id is not reused.
        child.signal_group(Signal::SIGKILL);
        if let Err(e) = child.wait() {
            log::warn!(
                "command '{}': waiting for pid {}: {}",
                self.command,
                child.id(),
                crate::bytes::OsError(e as i32)
            );
        }
    }

    pub fn describe(&self, now_ms: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "command '{}' ", self.command)?;
        match &self.state {
            State::Running { child, .. } => write!(f, "running, pid {}", child.id()),
            State::Reaping { child, .. } => write!(f, "ended, waiting for pid {} to exit", child.id()),
            State::Backoff { until_ms } if *until_ms == u64::MAX => write!(f, "stopped"),
            State::Backoff { until_ms } => {
                write!(f, "restarting in {}", Secs(until_ms.saturating_sub(now_ms)))
            }
        }
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        self.close();
    }
}

fn spawn(command: &str, now_ms: u64) -> Result<State, nix::errno::Errno> {
    let (mut child, out) = Child::spawn(command)?;
    let flags = fcntl(&out, FcntlArg::F_GETFL).map(OFlag::from_bits_truncate);
    if let Err(e) = flags.and_then(|f| fcntl(&out, FcntlArg::F_SETFL(f | OFlag::O_NONBLOCK))) {
        child.signal_group(Signal::SIGKILL);
        let _ = child.wait();
        return Err(e);
    }
    Ok(State::Running {
        child,
        out,
        started_ms: now_ms,
        exited: None,
    })
}

/// Milliseconds shown as seconds: `4s`, `0.3s`.
struct Secs(u64);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 10_000 || self.0 % 1000 == 0 {
            write!(f, "{}s", self.0.div_ceil(1000))
        } else {
            write!(f, "{}.{}s", self.0 / 1000, (self.0 % 1000) / 100)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Secs;

    #[test]
    fn durations_read_as_seconds() {
        let shown: Vec<String> = [0, 200, 1000, 1500, 4000, 59_999, 60_000]
            .iter()
            .map(|&ms| Secs(ms).to_string())
            .collect();
        assert_eq!(shown, ["0s", "0.2s", "1s", "1.5s", "4s", "60s", "60s"]);
    }
}
