//! Syslog wire and file formats: RFC 3164 (BSD), ISO-timestamped (rsyslog's default file
//! format), and RFC 5424, each optionally behind a `<PRI>`.

use super::{find, tagged, time, Line};

/// Longest RFC 5424 header field we accept (APP-NAME is 48, PROCID 128, MSGID 32, HOSTNAME 255).
const MAX_FIELD: usize = 255;
/// The UTF-8 byte order mark RFC 5424 allows before MSG.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `<PRI>` then RFC 5424 (`1 …`), ISO syslog or RFC 3164.
pub fn with_pri(raw: &[u8], now: i64) -> Option<Line<'_>> {
    let close = find(b'>', raw, 5)?;
    let pri = time::digits(&raw[1..close])?;
    if pri > 191 {
        return None;
    }
    let rest = &raw[close + 1..];
    match rest.first()? {
        b'1' if rest.get(1) == Some(&b' ') => rfc5424(&rest[2..]),
        b'0'..=b'9' => iso(rest),
        _ => bsd(rest, now),
    }
}

/// RFC 3164: `Mmm dd hh:mm:ss [host] tag[pid]: msg`.
pub fn bsd(raw: &[u8], now: i64) -> Option<Line<'_>> {
    let (c, len) = time::month_day_clock(raw)?;
    let time = time::infer_year(c, now)?;
    let rest = after_space(raw, len)?;
    Some(Line {
        time: Some(time),
        local: true,
        ..host_and_tag(rest)
    })
}

/// `2026-11-24T10:00:01.123456+01:00 host tag[pid]: msg`.
pub fn iso(raw: &[u8]) -> Option<Line<'_>> {
    let (time, len) = time::rfc3339(raw)?;
    let rest = after_space(raw, len)?;
    Some(Line {
        time: Some(time),
        ..host_and_tag(rest)
    })
}

/// What follows a timestamp: the end of the line, or a space and more.
fn after_space(b: &[u8], at: usize) -> Option<&[u8]> {
    match b.get(at) {
        None => Some(&b[at..]),
        Some(b' ') => Some(&b[at + 1..]),
        Some(_) => None,
    }
}

/// `host tag: msg`, or `tag: msg` without a host (as sent to `/dev/log`); busybox syslogd
/// also writes a `facility.priority` after the host, which is skipped.
fn host_and_tag(rest: &[u8]) -> Line<'_> {
    let Some(sp) = find(b' ', rest, MAX_FIELD + 1) else {
        return tagged(rest);
    };
    let first = &rest[..sp];
    if first.ends_with(b":") || first.contains(&b'[') {
        return tagged(rest);
    }
    let mut rest = &rest[sp + 1..];
    if let Some(sp) = find(b' ', rest, 24) {
        if is_facility_priority(&rest[..sp]) {
            rest = &rest[sp + 1..];
        }
    }
    tagged(rest)
}

/// `daemon.notice`, `authpriv.info`: a known facility, a dot and lowercase letters.
fn is_facility_priority(b: &[u8]) -> bool {
    let Some(dot) = b.iter().position(|&c| c == b'.') else {
        return false;
    };
    let facility = matches!(
        &b[..dot],
        b"auth"
            | b"authpriv"
            | b"cron"
            | b"daemon"
            | b"ftp"
            | b"kern"
            | b"lpr"
            | b"mail"
            | b"news"
            | b"syslog"
            | b"user"
            | b"uucp"
            | b"local0"
            | b"local1"
            | b"local2"
            | b"local3"
            | b"local4"
            | b"local5"
            | b"local6"
            | b"local7"
    );
    let priority = &b[dot + 1..];
    facility && !priority.is_empty() && priority.iter().all(u8::is_ascii_lowercase)
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`, `-` for nil.
fn rfc5424(b: &[u8]) -> Option<Line<'_>> {
    let (time, rest) = if let Some(rest) = b.strip_prefix(b"- ") {
        (None, rest)
    } else {
        let (t, len) = time::rfc3339(b)?;
        (Some(t), after_space(b, len)?)
    };
    let (_host, rest) = field(rest)?;
    let (app, rest) = field(rest)?;
    let (procid, rest) = field(rest)?;
    let (_msgid, rest) = field(rest)?;
    let sd_len = structured_data(rest)?;
    let msg = match rest.get(sd_len) {
        None => &rest[sd_len..],
        Some(b' ') => &rest[sd_len + 1..],
        Some(_) => return None,
    };
    Some(Line {
        program: if app == b"-" { b"" } else { app },
        pid: time::digits(procid).and_then(|p| u32::try_from(p).ok()),
        message: msg.strip_prefix(BOM).unwrap_or(msg),
        time,
        local: false,
    })
}

/// One space-terminated, non-empty header field and what follows its space.
fn field(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = find(b' ', b, MAX_FIELD + 1)?;
    (sp > 0).then(|| (&b[..sp], &b[sp + 1..]))
}

/// Length of STRUCTURED-DATA: `-`, or `[id k="v" …]` elements back to back, where a quoted
/// value may hold `]`, and `\"`, `\]`, `\\` escapes.
fn structured_data(b: &[u8]) -> Option<usize> {
    match b.first()? {
        b'-' => return Some(1),
        b'[' => {}
        _ => return None,
    }
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
        let mut quoted = false;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    Some(i)
}
