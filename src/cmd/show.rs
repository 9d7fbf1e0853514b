//! How the control verbs print the daemon's answers: aligned text for people, one JSON object
//! per command for scripts and LuCI. The JSON keys are stable (documented in the README):
//!
//! * `status`: `{"source":{"state","description"},"jails":[{"name","currently_failed",
//!   "total_failed","currently_banned","total_banned"}],"refused":{"now","total"},
//!   "firewall_errors","ignored_lines","state_failures":{"tmpfs","flash"},"own_addresses"}`
//! * `list`: `{"bans":[BAN…],"refused":[BAN+"reason"…],"kernel_only":[{"address",
//!   "remaining"}…]}` (`refused`: bans the kernel would not take, tried again;
//!   `kernel_only`: elements the sets hold that logjail has no ban for), `ban`:
//!   `{"banned":BAN}`, `unban`: `{"unbanned":[BAN…],"kernel_only":["address"…]}` plus
//!   `"emptied":N` for `--all` (elements the sets held), where BAN is `{"jail","address",
//!   "remaining","count","start"}` (`remaining` is `null` when permanent)
//! * `reload`: `{"reloaded":true,"jails":N}`, `version`: `{"client","daemon"}` (`daemon` is
//!   `null` when none answers), any failure: `{"error":"…"}`

use crate::control::proto::{BanInfo, Health, HeldInfo, JailStatus, RefusedInfo, Request, Response};
use crate::json;
use std::fmt::Write;

/// Everything a `list` answer carries.
#[derive(Default)]
struct Listing<'a> {
    bans: Vec<&'a BanInfo>,
    refused: Vec<&'a RefusedInfo>,
    kernel: Vec<&'a HeldInfo>,
}

/// The answer to `req` as text or JSON.
pub fn render(req: &Request, replies: &[Response], as_json: bool) -> String {
    let mut out = String::new();
    let mut l = Listing::default();
    for r in replies {
        match r {
            Response::Bans(b) | Response::Unbanned(b) => l.bans.extend(b),
            Response::Lifted { bans, .. } => l.bans.extend(bans),
            Response::Banned(b) => l.bans.push(b),
            Response::Refused(r) => l.refused.extend(r),
            Response::KernelOnly(k) => l.kernel.extend(k),
            _ => {}
        }
    }
    match (req, replies.first()) {
        (
            _,
            Some(Response::Status {
                source_state,
                source,
                jails,
            }),
        ) => status(&mut out, source_state, source, jails, None, as_json),
        (
            _,
            Some(Response::Overview {
                source_state,
                source,
                jails,
                health,
            }),
        ) => status(&mut out, source_state, source, jails, Some(health), as_json),
        (Request::List { .. }, _) => ban_list(&mut out, &l, as_json),
        (_, Some(Response::Unbanned(_))) => lifted(&mut out, &l.bans, &[], None, req, as_json),
        (
            _,
            Some(Response::Lifted {
                kernel_only, emptied, ..
            }),
        ) => lifted(&mut out, &l.bans, kernel_only, *emptied, req, as_json),
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
        (_, None) => {
            let _ = writeln!(out, "no answer");
        }
        (_, Some(_)) => {
            let _ = writeln!(out, "unexpected answer: one for another request");
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

fn status(
    out: &mut String,
    state: &str,
    source: &str,
    jails: &[JailStatus],
    health: Option<&Health>,
    as_json: bool,
) {
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
        if let Some(h) = health {
            health_text(out, h);
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
    out.push(']');
    if let Some(h) = health {
        let _ = write!(
            out,
            ",\"refused\":{{\"now\":{},\"total\":{}}},\"firewall_errors\":{},\"ignored_lines\":{},\"state_failures\":{{\"tmpfs\":{},\"flash\":{}}},\"own_addresses\":{}",
            h.refused,
            h.refused_total,
            h.firewall_errors,
            h.ignored_lines,
            h.state_failures,
            h.flash_failures,
            h.own_addresses
        );
    }
    out.push_str("}\n");
}

fn health_text(out: &mut String, h: &Health) {
    let _ = writeln!(
        out,
        "refused bans: {} waiting, {} refusals in all{}",
        h.refused,
        h.refused_total,
        if h.refused > 0 {
            " (`logjail list` shows why; tried again when the set changes)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "firewall errors: {}", h.firewall_errors);
    let _ = writeln!(
        out,
        "ignored lines: {} (too long, with a NUL or unfinished; never judged)",
        h.ignored_lines
    );
    if (h.state_failures, h.flash_failures) == (0, 0) {
        out.push_str("state file: writes work\n");
    } else {
        let _ = writeln!(
            out,
            "state file: {} failed writes in a row, flash copy: {}",
            h.state_failures, h.flash_failures
        );
    }
    let _ = writeln!(out, "own addresses: {} (loopback included)", h.own_addresses);
}

fn ban_json(out: &mut String, b: &BanInfo) {
    ban_fields(out, b);
    out.push('}');
}

/// A ban as an open JSON object: `{"jail":…,"address":…,"remaining":…,"count":…,"start":…`
/// (the `list --json` entry; rpcd adds its origin before closing it).
pub(crate) fn ban_fields(out: &mut String, b: &BanInfo) {
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
    let _ = write!(out, ",\"count\":{},\"start\":{}", b.count, b.start);
}

fn held_json(out: &mut String, k: &HeldInfo) {
    out.push_str("{\"address\":");
    let _ = json::string(out, &k.address);
    match k.remaining {
        Some(r) => {
            let _ = write!(out, ",\"remaining\":{r}}}");
        }
        None => out.push_str(",\"remaining\":null}"),
    }
}

/// `[a,b,…]` of `items`, each written by `one`.
fn array<T>(out: &mut String, items: &[T], one: impl Fn(&mut String, &T)) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        one(out, x);
    }
    out.push(']');
}

fn row(out: &mut String, jail: &str, address: &str, remaining: Option<u32>, bans: &str) {
    let _ = write!(
        out,
        "{:<16} {:<42} {:>12} {:>5}",
        jail,
        address,
        duration(remaining),
        bans
    );
}

fn ban_list(out: &mut String, l: &Listing<'_>, as_json: bool) {
    if as_json {
        out.push_str("{\"bans\":");
        array(out, &l.bans, |o, b| ban_json(o, b));
        out.push_str(",\"refused\":");
        array(out, &l.refused, |o, r| {
            ban_json(o, &r.ban);
            o.pop();
            o.push_str(",\"reason\":");
            let _ = json::string(o, &r.reason);
            o.push('}');
        });
        out.push_str(",\"kernel_only\":");
        array(out, &l.kernel, |o, k| held_json(o, k));
        out.push_str("}\n");
        return;
    }
    if l.bans.is_empty() && l.refused.is_empty() && l.kernel.is_empty() {
        out.push_str("no bans\n");
        return;
    }
    let _ = writeln!(
        out,
        "{:<16} {:<42} {:>12} {:>5}",
        "jail", "address", "remaining", "bans"
    );
    for b in &l.bans {
        row(out, &b.jail, &b.address, b.remaining, &b.count.to_string());
        out.push('\n');
    }
    for r in &l.refused {
        let b = &r.ban;
        row(out, &b.jail, &b.address, b.remaining, &b.count.to_string());
        let _ = writeln!(out, "  REFUSED by the kernel: {}", r.reason);
    }
    for k in &l.kernel {
        row(out, "(kernel only)", &k.address, k.remaining, "-");
        out.push_str("  not known to logjail\n");
    }
}

/// The answer to `unban`: what logjail held, what only the sets held, what emptying found.
fn lifted(
    out: &mut String,
    bans: &[&BanInfo],
    kernel_only: &[String],
    emptied: Option<u32>,
    req: &Request,
    as_json: bool,
) {
    if as_json {
        out.push_str("{\"unbanned\":");
        array(out, bans, |o, b| ban_json(o, b));
        out.push_str(",\"kernel_only\":");
        array(out, kernel_only, |o, a| {
            let _ = json::string(o, a);
        });
        if let Some(n) = emptied {
            let _ = write!(out, ",\"emptied\":{n}");
        }
        out.push_str("}\n");
        return;
    }
    for b in bans {
        let _ = writeln!(out, "{}: unbanned {}", b.jail, b.address);
    }
    for a in kernel_only {
        let _ = writeln!(
            out,
            "{a}: removed from the firewall's sets (logjail had no ban of it)"
        );
    }
    if let Some(n) = emptied {
        let _ = writeln!(
            out,
            "the firewall's sets are empty ({n} elements logjail had no ban for were removed too)"
        );
    } else if bans.is_empty() && kernel_only.is_empty() {
        let what = match req {
            Request::Unban { addr: Some(a) } => a.as_str(),
            _ => "it",
        };
        let _ = writeln!(
            out,
            "nothing was banned: {what} is neither among logjail's bans nor in the firewall's sets"
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
#[path = "show_tests.rs"]
mod tests;
