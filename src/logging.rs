//! Where logjail's own messages go: syslog (OpenWrt's logd) as a daemon, stderr in the
//! foreground. The syslog tag is [`TAG`], a program no filter declares, and the engine drops
//! lines with that program before any filter sees them.

use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::Mutex;

/// The syslog tag logjail logs under; lines with this program never reach a filter.
pub const TAG: &str = "logjail";

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

/// Messages to syslog: RFC 3164 lines `<PRI>Mmm dd hh:mm:ss logjail[pid]: message` (UTC, as the
/// `syslog` crate stamps them on Unix),
/// one datagram (or NUL-terminated stream record) each, sent through the `syslog` crate's socket.
/// The header is put together by hand: the crate's own formatter pulls in a date formatting
/// library that costs tens of KiB for these fifteen characters.
struct Syslog {
    backend: Mutex<syslog::LoggerBackend>,
    pid: u32,
}

/// `LOG_DAEMON`, the facility of the priority.
const DAEMON: u32 = 3 << 3;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Month (0–11), day of month, hour, minute and second of Unix time `t` in UTC.
fn utc_clock(t: i64) -> [u32; 5] {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Days since 0000-03-01 in 400-year eras (146 097 days); the year starts on March 1st.
    let z = days + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let mon = if mp < 10 { mp + 2 } else { mp - 10 };
    [mon, day, secs / 3600, secs / 60 % 60, secs % 60].map(|v| v as u32)
}

/// Appends `n` in decimal, at least `width` digits (zero-padded).
fn push_num(s: &mut String, n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut i = digits.len();
    let mut n = n;
    while n > 0 || i + width > digits.len() {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    s.extend(digits[i..].iter().map(|&b| char::from(b)));
}

impl Syslog {
    /// The whole line for one message at `now` (Unix seconds).
    fn line(&self, severity: u32, now: i64, msg: &std::fmt::Arguments<'_>) -> String {
        let [mon, day, h, m, sec] = utc_clock(now);
        let mut s = String::with_capacity(128);
        s.push('<');
        push_num(&mut s, DAEMON | severity, 1);
        s.push('>');
        s.push_str(MONTHS.get(mon as usize).copied().unwrap_or("Jan"));
        for (sep, v) in [(' ', day), (' ', h), (':', m), (':', sec)] {
            s.push(sep);
            push_num(&mut s, v, 2);
        }
        s.push(' ');
        s.push_str(TAG);
        s.push('[');
        push_num(&mut s, self.pid, 1);
        s.push_str("]: ");
        let _ = std::fmt::Write::write_fmt(&mut s, *msg);
        s
    }
}

impl Log for Syslog {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &Record<'_>) {
        if self.enabled(r.metadata()) {
            let severity = match r.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                log::Level::Info => 6,
                log::Level::Debug | log::Level::Trace => 7,
            };
            let line = self.line(severity, crate::clock::wall(), r.args());
            if let Ok(mut b) = self.backend.lock() {
                let _ = b.write(line.as_bytes());
            }
        }
    }

    fn flush(&self) {
        if let Ok(mut b) = self.backend.lock() {
            let _ = b.flush();
        }
    }
}

/// The syslog socket, connected as `syslog::unix` connects it (a datagram socket, a stream
/// where the path is one: `EPROTOTYPE`), without that function's boxed errors, which bring
/// `Debug` formatting into the router binary (docs/size.md).
fn syslog_socket() -> Option<syslog::LoggerBackend> {
    use std::os::unix::net::{UnixDatagram, UnixStream};
    for path in ["/dev/log", "/var/run/syslog", "/var/run/log"] {
        let sock = UnixDatagram::unbound().ok()?;
        match sock.connect(path) {
            Ok(()) => return Some(syslog::LoggerBackend::Unix(sock)),
            Err(e) if e.raw_os_error() == Some(libc::EPROTOTYPE) => {
                let stream = UnixStream::connect(path).ok()?;
                return Some(syslog::LoggerBackend::UnixStream(std::io::BufWriter::new(stream)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        }
    }
    None
}

/// Installs the logger once; later calls only change the level.
pub fn init(foreground: bool, level: LevelFilter) {
    log::set_max_level(level);
    if !foreground {
        if let Some(backend) = syslog_socket() {
            let logger = Syslog {
                backend: Mutex::new(backend),
                pid: std::process::id(),
            };
            if log::set_boxed_logger(Box::new(logger)).is_ok() {
                return;
            }
        }
    }
    let _ = log::set_logger(&Stderr);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_padded() {
        let mut s = String::new();
        for (n, w) in [(0, 1), (7, 2), (31, 2), (0, 2), (4_194_304, 1)] {
            push_num(&mut s, n, w);
            s.push(' ');
        }
        assert_eq!(s, "0 07 31 00 4194304 ");
    }

    #[test]
    fn utc_clock_agrees_with_the_calendar() {
        use crate::line::time::days_from_civil;
        for (y, mo, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2024, 12, 31),
            (2100, 3, 1),
            (1969, 12, 31),
        ] {
            let t = days_from_civil(y, mo, d) * 86_400 + 3_723;
            assert_eq!(utc_clock(t), [mo - 1, d, 1, 2, 3], "{y}-{mo}-{d}");
        }
    }

    #[test]
    fn syslog_line_is_rfc3164() {
        let logger = Syslog {
            backend: Mutex::new(syslog::LoggerBackend::Unix(
                std::os::unix::net::UnixDatagram::unbound().expect("socket"),
            )),
            pid: 42,
        };
        // 2025-11-24 16:00:00 UTC.
        let line = logger.line(6, 1_764_000_000, &format_args!("banned {}", "1.2.3.4"));
        assert_eq!(line, "<30>Nov 24 16:00:00 logjail[42]: banned 1.2.3.4");
        let line = logger.line(3, 1_709_164_805, &format_args!("x"));
        assert_eq!(line, "<27>Feb 29 00:00:05 logjail[42]: x");
    }
}
