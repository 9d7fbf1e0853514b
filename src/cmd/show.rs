//! How the control verbs print the daemon's answers: aligned text for people, one JSON object
//! per command for scripts and LuCI. The JSON keys are stable (documented in the README):
//!
//! * `status`: `{"source":{"state","description"},"jails":[{"name","currently_failed",
//!   "total_failed","currently_banned","total_banned"}]}`
//! * `list`: `{"bans":[BAN…]}`, `ban`: `{"banned":BAN}`, `unban`: `{"unbanned":[BAN…]}` where
//!   BAN is `{"jail","address","remaining","count","start"}` (`remaining` is `null` when
//!   permanent)
//! * `reload`: `{"reloaded":true,"jails":N}`, `version`: `{"client","daemon"}` (`daemon` is
//!   `null` when none answers), any failure: `{"error":"…"}`

use crate::control::proto::{BanInfo, JailStatus, Request, Response};
use crate::json;
use std::fmt::Write;

/// The answer to `req` as text or JSON.
pub fn render(req: &Request, replies: &[Response], as_json: bool) -> String {
    let mut out = String::new();
    let bans: Vec<&BanInfo> = replies
        .iter()
        .flat_map(|r| match r {
            Response::Bans(b) | Response::Unbanned(b) => b.iter().collect(),
            Response::Banned(b) => vec![b],
            _ => Vec::new(),
        })
        .collect();
    match (req, replies.first()) {
        (
            _,
            Some(Response::Status {
                source_state,
                source,
                jails,
            }),
        ) => status(&mut out, source_state, source, jails, as_json),
        (Request::List { .. }, _) => ban_list(&mut out, "bans", &bans, as_json),
        (_, Some(Response::Unbanned(_))) => ban_list(&mut out, "unbanned", &bans, as_json),
        (_, Some(Response::Banned(b))) if as_json => {
            out.push_str("{\"banned\":");
            ban_json(&mut out, b);
            out.push_str("}\n");
        }
        (_, Some(Response::Banned(b))) => {
            let time = match b.remaining {
                Some(_) => format!("for {}", duration(b.remaining)),
                None => "permanently".into(),
            };
            let _ = writeln!(out, "{}: banned {} {time} (ban #{})", b.jail, b.address, b.count);
        }
        (_, Some(Response::Reloaded { jails })) if as_json => {
            let _ = writeln!(out, "{{\"reloaded\":true,\"jails\":{jails}}}");
        }
        (_, Some(Response::Reloaded { jails })) => {
            let _ = writeln!(out, "reloaded: {jails} jails");
        }
        (_, other) => {
            let _ = writeln!(out, "unexpected answer: {other:?}");
        }
    }
    out
}

/// `1h2m3s`, `45s`, or `permanent`.
pub fn duration(secs: Option<u32>) -> String {
    let Some(s) = secs else {
        return "permanent".into();
    };
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm')] {
        if n > 0 || !out.is_empty() {
            let _ = write!(out, "{n}{unit}");
        }
    }
    let _ = write!(out, "{s}s");
    out
}

fn status(out: &mut String, state: &str, source: &str, jails: &[JailStatus], as_json: bool) {
    if !as_json {
        let _ = writeln!(out, "source: {state} ({source})");
        let _ = writeln!(
            out,
            "{:<16} {:>16} {:>12} {:>16} {:>12}",
            "jail", "currently failed", "total failed", "currently banned", "total banned"
        );
        for j in jails {
            let _ = writeln!(
                out,
                "{:<16} {:>16} {:>12} {:>16} {:>12}",
                j.name, j.currently_failed, j.total_failed, j.currently_banned, j.total_banned
            );
        }
        return;
    }
    out.push_str("{\"source\":{\"state\":");
    let _ = json::string(out, state);
    out.push_str(",\"description\":");
    let _ = json::string(out, source);
    out.push_str("},\"jails\":[");
    for (i, j) in jails.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        let _ = json::string(out, &j.name);
        let _ = write!(
            out,
            ",\"currently_failed\":{},\"total_failed\":{},\"currently_banned\":{},\"total_banned\":{}}}",
            j.currently_failed, j.total_failed, j.currently_banned, j.total_banned
        );
    }
    out.push_str("]}\n");
}

fn ban_json(out: &mut String, b: &BanInfo) {
    out.push_str("{\"jail\":");
    let _ = json::string(out, &b.jail);
    out.push_str(",\"address\":");
    let _ = json::string(out, &b.address);
    match b.remaining {
        Some(r) => {
            let _ = write!(out, ",\"remaining\":{r}");
        }
        None => out.push_str(",\"remaining\":null"),
    }
    let _ = write!(out, ",\"count\":{},\"start\":{}}}", b.count, b.start);
}

fn ban_list(out: &mut String, key: &str, bans: &[&BanInfo], as_json: bool) {
    if as_json {
        let _ = write!(out, "{{\"{key}\":[");
        for (i, b) in bans.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            ban_json(out, b);
        }
        out.push_str("]}\n");
        return;
    }
    if bans.is_empty() {
        out.push_str(if key == "bans" {
            "no bans\n"
        } else {
            // The daemon asked the firewall to remove it all the same (elements left by a
            // crash or added by hand): say both.
            "no ban known to logjail; removed from the firewall's sets if it was there\n"
        });
        return;
    }
    if key == "unbanned" {
        for b in bans {
            let _ = writeln!(out, "{}: unbanned {}", b.jail, b.address);
        }
        return;
    }
    let _ = writeln!(
        out,
        "{:<16} {:<42} {:>12} {:>5}",
        "jail", "address", "remaining", "bans"
    );
    for b in bans {
        let _ = writeln!(
            out,
            "{:<16} {:<42} {:>12} {:>5}",
            b.jail,
            b.address,
            duration(b.remaining),
            b.count
        );
    }
}

/// `logjail version`.
pub fn version(ours: &str, theirs: Option<&str>, as_json: bool) -> String {
    let mut out = String::new();
    if as_json {
        out.push_str("{\"client\":");
        let _ = json::string(&mut out, ours);
        out.push_str(",\"daemon\":");
        match theirs {
            Some(v) => {
                let _ = json::string(&mut out, v);
            }
            None => out.push_str("null"),
        }
        out.push_str("}\n");
    } else {
        let _ = writeln!(out, "logjail {ours}");
        if let Some(v) = theirs {
            let _ = writeln!(out, "daemon {v}");
        }
    }
    out
}

/// `{"error":"…"}`.
pub fn error(msg: &str) -> String {
    let mut out = String::from("{\"error\":");
    let _ = json::string(&mut out, msg);
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(duration(None), "permanent");
        assert_eq!(duration(Some(45)), "45s");
        assert_eq!(duration(Some(3600)), "1h0m0s");
        assert_eq!(duration(Some(90_061)), "1d1h1m1s");
    }

    #[test]
    fn json_keys_are_the_documented_ones() {
        let b = BanInfo {
            jail: "dropbear".into(),
            address: "2001:db8::/64".into(),
            remaining: None,
            count: 2,
            start: 7,
        };
        let r = render(&Request::List { jail: None }, &[Response::Bans(vec![b])], true);
        assert_eq!(
            r,
            "{\"bans\":[{\"jail\":\"dropbear\",\"address\":\"2001:db8::/64\",\"remaining\":null,\"count\":2,\"start\":7}]}\n"
        );
        assert_eq!(version("1", None, true), "{\"client\":\"1\",\"daemon\":null}\n");
        assert_eq!(error("a\"b"), "{\"error\":\"a\\\"b\"}\n");
    }
}
