//! The shell a command source runs: started by [`crate::sys::spawn_shell`] (`posix_spawnp`,
//! not `std::process::Command`, whose builder, environment capture and fork fallback cost the
//! router binary tens of KiB), waited for without blocking, its exit told the way std tells it
//! (`exit status: 1`, `signal: 15 (SIGTERM)`).
//!
//! The exit status is kept once reaped, so asking again answers the same instead of `ECHILD`.

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::fmt;
use std::fs::File;

/// How a reaped child ended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal { signal: Signal, core_dumped: bool },
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Exit::Code(code) => write!(f, "exit status: {code}"),
            Exit::Signal { signal, core_dumped } => {
                let core = if core_dumped { " (core dumped)" } else { "" };
                write!(f, "signal: {} ({}){core}", signal as i32, signal.as_str())
            }
        }
    }
}

pub struct Child {
    pid: Pid,
    exit: Option<Exit>,
}

impl Child {
    /// Starts `sh -c command` in its own process group; returns it and the read end of its
    /// standard output.
    pub fn spawn(command: &str) -> Result<(Child, File), Errno> {
        let (pid, out) = crate::sys::spawn_shell(command)?;
        let child = Child {
            pid: Pid::from_raw(pid),
            exit: None,
        };
        Ok((child, File::from(out)))
    }

    pub fn id(&self) -> i32 {
        self.pid.as_raw()
    }

    /// The exit, if the child has ended (reaping it); `Ok(None)` while it runs.
    pub fn try_wait(&mut self) -> Result<Option<Exit>, Errno> {
        self.wait_with(Some(WaitPidFlag::WNOHANG))
    }

    /// Waits for the child to end.
    pub fn wait(&mut self) -> Result<Exit, Errno> {
        loop {
            if let Some(exit) = self.wait_with(None)? {
                return Ok(exit);
            }
        }
    }

    fn wait_with(&mut self, flags: Option<WaitPidFlag>) -> Result<Option<Exit>, Errno> {
        if self.exit.is_some() {
            return Ok(self.exit);
        }
        let exit = match waitpid(self.pid, flags) {
            Ok(WaitStatus::Exited(_, code)) => Exit::Code(code),
            Ok(WaitStatus::Signaled(_, signal, core_dumped)) => Exit::Signal { signal, core_dumped },
            Ok(_) => return Ok(None),
            Err(Errno::EINTR) if flags.is_none() => return Ok(None),
            Err(e) => return Err(e),
        };
        self.exit = Some(exit);
        Ok(self.exit)
    }

    /// Signals the child's process group (it leads its own); a group already gone is fine.
    pub fn signal_group(&self, signal: Signal) {
        let _ = killpg(self.pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;
    use nix::sys::signal::Signal;

    #[test]
    fn exits_read_like_std() {
        let shown = [
            Exit::Code(0),
            Exit::Code(3),
            Exit::Signal {
                signal: Signal::SIGTERM,
                core_dumped: false,
            },
            Exit::Signal {
                signal: Signal::SIGSEGV,
                core_dumped: true,
            },
        ]
        .map(|e| e.to_string());
        assert_eq!(
            shown,
            [
                "exit status: 0",
                "exit status: 3",
                "signal: 15 (SIGTERM)",
                "signal: 11 (SIGSEGV) (core dumped)"
            ]
        );
    }
}
