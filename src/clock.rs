//! The one clock reader. Everything else takes `now` as an argument.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Wall-clock Unix seconds (what log lines and ban ends are expressed in).
pub fn wall() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Monotonic milliseconds since the first call (for backoff, poll timeouts, latency).
pub fn mono_ms() -> u64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The two clocks, read once per turn of the event loop and handed to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// Unix seconds.
    pub wall: i64,
    /// Monotonic milliseconds.
    pub mono_ms: u64,
}

impl Now {
    /// Reads both clocks.
    pub fn read() -> Now {
        Now {
            wall: wall(),
            mono_ms: mono_ms(),
        }
    }
}
