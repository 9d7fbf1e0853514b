//! Where logjail's own messages go: syslog (OpenWrt's logd) as a daemon, stderr in the
//! foreground. The syslog tag is [`crate::daemon::TAG`], a program no filter declares, and the
//! daemon drops lines with that program before any filter sees them.

use crate::daemon::TAG;
use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

struct Stderr;

/// Longest message written with a single system call.
const LINE: usize = 1024;

impl Log for Stderr {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    /// One `write` per message: the line is put together in a stack buffer first (stderr is
    /// unbuffered, and formatting straight into it costs a system call per piece: some twenty
    /// for a ban). A message too long for the buffer is written piecewise.
    fn log(&self, r: &Record<'_>) {
        if self.enabled(r.metadata()) {
            let level = match r.level() {
                log::Level::Error => "error",
                log::Level::Warn => "warn",
                log::Level::Info => "info",
                log::Level::Debug => "debug",
                log::Level::Trace => "trace",
            };
            let mut buf = [0u8; LINE];
            let mut cur = std::io::Cursor::new(&mut buf[..]);
            let whole = writeln!(cur, "{TAG}: {level}: {}", r.args()).is_ok();
            let n = usize::try_from(cur.position()).unwrap_or(LINE);
            let mut e = std::io::stderr().lock();
            let _ = if whole {
                e.write_all(&buf[..n])
            } else {
                writeln!(e, "{TAG}: {level}: {}", r.args())
            };
        }
    }

    fn flush(&self) {}
}

/// Installs the logger once; later calls only change the level.
pub fn init(foreground: bool, level: LevelFilter) {
    log::set_max_level(level);
    if !foreground {
        let f = syslog::Formatter3164 {
            facility: syslog::Facility::LOG_DAEMON,
            hostname: None,
            process: TAG.into(),
            pid: std::process::id(),
        };
        if let Ok(w) = syslog::unix(f) {
            if log::set_boxed_logger(Box::new(syslog::BasicLogger::new(w))).is_ok() {
                return;
            }
        }
    }
    let _ = log::set_logger(&Stderr);
}
