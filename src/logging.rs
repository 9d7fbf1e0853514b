//! Where logjail's own messages go: syslog (OpenWrt's logd) as a daemon, stderr in the
//! foreground. The syslog tag is [`crate::daemon::TAG`], a program no filter declares, and the
//! daemon drops lines with that program before any filter sees them.

use crate::daemon::TAG;
use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, r: &Record<'_>) {
        if self.enabled(r.metadata()) {
            let mut e = std::io::stderr().lock();
            let _ = writeln!(
                e,
                "{TAG}: {}: {}",
                r.level().as_str().to_ascii_lowercase(),
                r.args()
            );
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
