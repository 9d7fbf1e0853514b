//! What the reporter sends and reads back: the watcher login and the alerts.
//!
//! `POST /v1/watchers/login` takes `{"machine_id", "password", "scenarios"}` and answers
//! `{"code": 200, "expire": "2026-12-03T08:28:01Z", "token": "…"}`; the token (a JWT) goes
//! in `Authorization: Bearer` until shortly before `expire` ([`Login::read`]).
//!
//! `POST /v1/alerts` takes an array of alerts; [`alerts_body`] writes one per local ban
//! ([`Report`]): scenario `logjail/JAIL`, the source address (scope `Ip`, or `Range` for an
//! IPv6 prefix), the failures counted, start and stop times, and the ban as the alert's
//! decision (type `ban`, duration `NNNs`, origin `crowdsec`), which LAPI stores and every
//! bouncer then receives. Bans that came from LAPI are never reported (the shell only reports
//! bans decided by a jail).

use super::json::{Reader, Token};
use crate::addr::Host;
use crate::json::string;
use core::fmt::Write;

/// Longest JWT kept.
pub const MAX_TOKEN: usize = 4096;

/// One local ban to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub jail: crate::firewall::JailName,
    pub host: Host,
    /// Failures that led to the ban.
    pub events: u32,
    /// Unix seconds the ban began.
    pub start: i64,
    /// Seconds; `None`: permanent.
    pub duration: Option<u32>,
}

/// The login request's body.
pub fn login_body(machine_id: &str, password: &str) -> String {
    let mut s = String::from("{\"machine_id\":");
    let _ = string(&mut s, machine_id);
    s.push_str(",\"password\":");
    let _ = string(&mut s, password);
    s.push_str(",\"scenarios\":[\"logjail/*\"]}");
    s
}

/// A login answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Login {
    pub token: String,
    /// Unix seconds the token expires (`None`: not said or not readable).
    pub expire: Option<i64>,
}

impl Login {
    /// Reads the login answer's body; `None` when it has no token.
    pub fn read(body: &[u8]) -> Option<Login> {
        let mut r = Reader::new();
        let mut input = body;
        let mut key = String::new();
        let mut login = Login::default();
        loop {
            let top = r.depth() == 1;
            let Some(t) = r.next(&mut input).ok()? else {
                break;
            };
            match t {
                Token::Key(k) if top => key = k.to_string(),
                Token::Str(s) if top && key == "token" && s.len() <= MAX_TOKEN => login.token = s.into(),
                Token::Str(s) if top && key == "expire" => login.expire = rfc3339(s),
                _ => {}
            }
        }
        r.end().ok()?;
        (!login.token.is_empty() && login.token.bytes().all(|b| b.is_ascii_graphic())).then_some(login)
    }
}

/// The alerts request's body for `reports`; `machine` names the router in the message.
pub fn alerts_body(reports: &[Report], machine: &str) -> String {
    let mut s = String::from("[");
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let scenario = format!("logjail/{}", r.jail);
        let (scope, value) = match r.host {
            Host::V6(_, p) if p < 128 => ("Range", r.host.to_string()),
            h => ("Ip", h.ip().to_string()),
        };
        let at = time_text(r.start);
        let duration = format!("{}s", r.duration.unwrap_or(10 * 365 * 86400));
        let message = format!(
            "logjail on {machine}: {value} banned by jail {} after {} failures",
            r.jail, r.events
        );
        s.push_str("{\"scenario\":");
        let _ = string(&mut s, &scenario);
        s.push_str(",\"scenario_hash\":\"\",\"scenario_version\":\"1\",\"message\":");
        let _ = string(&mut s, &message);
        let _ = write!(
            s,
            ",\"events_count\":{},\"start_at\":\"{at}\",\"stop_at\":\"{at}\",\"capacity\":0,\"leakspeed\":\"0\",\"simulated\":false,\"remediation\":true,\"events\":[{{\"timestamp\":\"{at}\",\"meta\":[{{\"key\":\"source_ip\",\"value\":",
            r.events
        );
        let _ = string(&mut s, &value);
        s.push_str("}]}],\"source\":{\"scope\":");
        let _ = string(&mut s, scope);
        s.push_str(",\"value\":");
        let _ = string(&mut s, &value);
        if scope == "Ip" {
            s.push_str(",\"ip\":");
            let _ = string(&mut s, &value);
        } else {
            s.push_str(",\"range\":");
            let _ = string(&mut s, &value);
        }
        s.push_str("},\"decisions\":[{\"type\":\"ban\",\"origin\":\"crowdsec\",\"scope\":");
        let _ = string(&mut s, scope);
        s.push_str(",\"value\":");
        let _ = string(&mut s, &value);
        let _ = write!(s, ",\"duration\":\"{duration}\",\"scenario\":");
        let _ = string(&mut s, &scenario);
        s.push_str(",\"simulated\":false}]}");
    }
    s.push(']');
    s
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as `2026-12-03T07:28:01Z`.
pub fn time_text(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `2026-12-03T08:28:01Z`, `…T08:28:01.123456789+01:00` → Unix seconds.
pub fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
#[path = "alert_tests.rs"]
mod tests;
