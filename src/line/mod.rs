//! Log line formats: a raw line in, `(program, pid, message, time)` out.
//!
//! [`parse`] looks at the first byte to pick a format, then parses by hand at fixed offsets:
//!
//! | first byte | format | example |
//! |---|---|---|
//! | `A`–`Z` | OpenWrt `logread` | `Thu Dec  5 17:43:58 2024 authpriv.info dropbear[12388]: msg` |
//! | | `logread -t` | `Thu Dec  5 17:43:58 2024 [1733420638.123] daemon.notice netifd: msg` |
//! | | RFC 3164 | `Nov 24 10:00:01 host sshd[123]: msg` |
//! | `<` | RFC 3164 / ISO syslog with `<PRI>` | `<38>Nov 24 10:00:01 host sshd[123]: msg` |
//! | | RFC 5424 | `<34>1 2026-11-24T10:00:01.003Z host sshd 123 ID47 [a b="c"] msg` |
//! | `0`–`9` | ISO syslog (rsyslog's default) | `2026-11-24T10:00:01.123456+01:00 host sshd[123]: msg` |
//! | `[` | dropbear `-E` on stderr | `[123] Nov 24 10:00:01 msg` |
//!
//! Anything else, and any line whose date does not parse (day 32, `25:00:00`, February 30th,
//! an unknown month), is a *bare* message: program empty, no pid, no time, message = the whole
//! line. A line is never guessed at.
//!
//! The tag (`dropbear[12388]:`, `netifd:`, `luci-app-foo:`) becomes `program` and `pid`; a tag is
//! up to [`MAX_TAG`] bytes without spaces, ending in `:` or `[pid]:`; a `:` after a `(` and
//! before a non-space is no tag's end, and such a line has no tag (Dovecot 2.4's log file:
//! `auth(u,addr,sasl:plain)<id>: `). For OpenWrt kernel lines (`kern.warn kernel: [   12.345678]
//! msg`) the program is `kernel` and the uptime stamp is dropped from the message.
//!
//! **Time** is Unix seconds. Lines carry wall-clock time; where the format has no UTC offset
//! (logread's ctime, RFC 3164, dropbear) the clock is read *as if it were UTC* and the line is
//! marked [`Line::local`]: the daemon, which knows the router's zone, subtracts the local UTC
//! offset (a ban's remaining time in the kernel depends on it). `logread -t` carries the real
//! epoch; it is preferred.
//! Formats without a year (RFC 3164, dropbear) take it from `now`: the latest of next, this or
//! last year that puts the line at most a day in the future of `now` (so `Dec 31` read on
//! `Jan 1` is last year's, and `Jan 1 00:00:05` read at `Dec 31 23:59:58` is next year's).
//!
//! `parse` never allocates, never panics on any bytes (fuzzed in the tests) and returns slices
//! of its input; bytes need not be UTF-8.

mod syslog;
#[cfg(test)]
mod tests;
pub mod time;

use crate::bytes::memchr;
use time::Civil;

/// Longest tag (program name plus `[pid]`) recognised.
pub const MAX_TAG: usize = 64;

/// A log line split into its parts; all slices borrow the raw line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Program name (`dropbear`, `sshd`, `kernel`); empty when the format has none.
    pub program: &'a [u8],
    pub pid: Option<u32>,
    pub message: &'a [u8],
    /// Unix seconds from the line's own timestamp, when it has one.
    pub time: Option<i64>,
    /// `time` was read from a local wall-clock stamp without a zone (logread's ctime, RFC 3164,
    /// dropbear), as if it were UTC: the daemon subtracts the local UTC offset.
    pub local: bool,
}

impl<'a> Line<'a> {
    /// The whole line as a message without program, pid or time.
    pub fn bare(raw: &'a [u8]) -> Line<'a> {
        Line {
            program: b"",
            pid: None,
            message: raw,
            time: None,
            local: false,
        }
    }
}

/// Splits one raw line (without its newline). `now` is Unix seconds, for year inference.
pub fn parse(raw: &[u8], now: i64) -> Line<'_> {
    let parsed = match raw.first() {
        Some(b'A'..=b'Z') => logread(raw).or_else(|| syslog::bsd(raw, now)),
        Some(b'<') => syslog::with_pri(raw, now),
        Some(b'0'..=b'9') => syslog::iso(raw),
        Some(b'[') => dropbear(raw, now),
        _ => None,
    };
    parsed.unwrap_or(Line::bare(raw))
}

/// Length of logread's ctime date, `Thu Dec  5 17:43:58 2024`.
const CTIME: usize = 24;

/// `Www Mmm dd hh:mm:ss yyyy [epoch.ms] facility.priority[ kernel:] tag: msg`.
fn logread(raw: &[u8]) -> Option<Line<'_>> {
    if raw.len() <= CTIME || !time::is_weekday(&raw[..3]) {
        return None;
    }
    if raw[3] != b' ' || raw[7] != b' ' || raw[10] != b' ' || raw[19] != b' ' || raw[CTIME] != b' ' {
        return None;
    }
    let mut c = Civil {
        year: i64::try_from(time::digits(&raw[20..24])?).ok()?,
        month: time::month(&raw[4..7])?,
        day: time::padded_day(raw, 8)?,
        hour: 0,
        min: 0,
        sec: 0,
    };
    time::clock(raw, 11, &mut c)?;
    let mut time = c.checked_unix()?;
    let mut local = true;
    let mut rest = &raw[CTIME + 1..];
    if rest.first() == Some(&b'[') {
        let (epoch, len) = bracketed_epoch(rest)?;
        time = epoch;
        local = false;
        rest = &rest[len..];
    }
    // facility.priority: `authpriv.info`, `kern.warn`, `<unknown>.err`.
    let sp = find(b' ', rest, 24)?;
    find(b'.', &rest[..sp], sp)?;
    rest = &rest[sp + 1..];
    let line = match rest.strip_prefix(b"kernel: ") {
        Some(msg) => Line {
            program: b"kernel",
            pid: None,
            message: strip_uptime(msg),
            time: None,
            local: false,
        },
        None => tagged(rest),
    };
    Some(Line {
        time: Some(time),
        local,
        ..line
    })
}

/// `[1733420638.123] ` (milliseconds optional): seconds and the length including the space.
fn bracketed_epoch(b: &[u8]) -> Option<(i64, usize)> {
    let end = find(b']', b, 24)?;
    let inner = &b[1..end];
    let secs = match memchr(b'.', inner) {
        Some(dot) => {
            time::digits(&inner[dot + 1..])?;
            &inner[..dot]
        }
        None => inner,
    };
    let secs = i64::try_from(time::digits(secs)?).ok()?;
    (b.get(end + 1) == Some(&b' ')).then_some((secs, end + 2))
}

/// Drops a kernel uptime stamp, `[   12.345678] `, from the front of a kernel message.
fn strip_uptime(msg: &[u8]) -> &[u8] {
    if msg.first() != Some(&b'[') {
        return msg;
    }
    let Some(end) = find(b']', msg, 24) else {
        return msg;
    };
    let inner = &msg[1..end];
    // Spaces, digits and dots only (checked without early exit: the compiler vectorises it).
    let odd = inner.iter().fold(0u8, |odd, &c| {
        odd | u8::from(c != b' ' && c != b'.' && c.wrapping_sub(b'0') > 9)
    });
    if inner.is_empty() || odd != 0 {
        return msg;
    }
    let rest = &msg[end + 1..];
    rest.strip_prefix(b" ").unwrap_or(rest)
}

/// Byte classes for tag scanning: 0 part of a tag, 1 `:`, 2 `[`, 3 ends any tag.
static TAG_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 3;
        i += 1;
    }
    t[b' ' as usize] = 3;
    t[b']' as usize] = 3;
    t[b':' as usize] = 1;
    t[b'[' as usize] = 2;
    t
};

/// `tag[pid]: msg` or `tag: msg` into program, pid and message (`time` left `None`). Without a
/// tag the program is empty and the message is all of `rest`.
pub(crate) fn tagged(rest: &[u8]) -> Line<'_> {
    let untagged = Line::bare(rest);
    let head = &rest[..rest.len().min(MAX_TAG + 1)];
    let Some(i) = head.iter().position(|&b| TAG_CLASS[usize::from(b)] != 0) else {
        return untagged;
    };
    if i == 0 {
        return untagged;
    }
    match TAG_CLASS[usize::from(rest[i])] {
        // A `:` inside an open parenthesis is not the tag's end: Dovecot 2.4's own log file
        // starts a line with `auth(user,1.2.3.4,sasl:plain)<session>: ` (auth-request.c),
        // which stays a bare message rather than the tag `auth(user,1.2.3.4,sasl`.
        1 if rest.get(i + 1) != Some(&b' ') && memchr(b'(', &rest[..i]).is_some() => untagged,
        1 => Line {
            program: &rest[..i],
            message: after_colon(&rest[i + 1..]),
            ..untagged
        },
        2 => {
            let Some(close) = find(b']', &rest[i..], 12).map(|p| i + p) else {
                return untagged;
            };
            if rest.get(close + 1) != Some(&b':') {
                return untagged;
            }
            let pid = time::digits(&rest[i + 1..close]).and_then(|p| u32::try_from(p).ok());
            Line {
                program: &rest[..i],
                pid,
                message: after_colon(&rest[close + 2..]),
                ..untagged
            }
        }
        _ => untagged,
    }
}

/// The first `needle` in the first `within` bytes of `b`.
pub(crate) fn find(needle: u8, b: &[u8], within: usize) -> Option<usize> {
    memchr(needle, &b[..b.len().min(within)])
}

fn after_colon(b: &[u8]) -> &[u8] {
    b.strip_prefix(b" ").unwrap_or(b)
}

/// dropbear's stderr log (`dropbear -E`): `[pid] Mmm dd hh:mm:ss msg`, the date written with
/// `strftime("%b %d %H:%M:%S")` in local time, or `[pid] epoch msg` when that failed.
fn dropbear(raw: &[u8], now: i64) -> Option<Line<'_>> {
    let close = find(b']', raw, 12)?;
    let pid = u32::try_from(time::digits(&raw[1..close])?).ok()?;
    let rest = raw.get(close + 1..)?.strip_prefix(b" ")?;
    let (time, len, local) = match time::month_day_clock(rest) {
        Some((c, len)) => (time::infer_year(c, now)?, len, true),
        None => {
            let len = rest.iter().take(13).take_while(|c| c.is_ascii_digit()).count();
            (i64::try_from(time::digits(&rest[..len])?).ok()?, len, false)
        }
    };
    let message = match rest.get(len) {
        None => &rest[len..],
        Some(b' ') => &rest[len + 1..],
        Some(_) => return None,
    };
    Some(Line {
        program: b"dropbear",
        pid: Some(pid),
        message,
        time: Some(time),
        local,
    })
}
