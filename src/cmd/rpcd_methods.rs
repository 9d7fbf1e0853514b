//! What each `luci.logjail` method does once [`super::rpcd`] has checked its arguments: ask the
//! daemon over the control socket, read the configuration, or run a filter, and write the
//! JSON reply. Replies (keys stable, LuCI's views read them):
//!
//! * `status`: `{"running":true,` + the object of `logjail status --json` `}`, or
//!   `{"running":false,"error":"…"}` when no daemon answers
//! * `bans`: `{"bans":[{"jail","address","remaining","count","start","origin"}…]}`: `origin`
//!   is `logjail` for logjail's bans, `refused` for bans the kernel would not take (with a
//!   `reason`), `kernel` for elements the sets hold that logjail has no ban for (`jail` `""`)
//! * `unban`: `{"unbanned":["address"…],"kernel_only":["address"…]}`
//! * `ban`: `{"banned":BAN}`; `reload`: `{"reloaded":true,"jails":N}`
//! * `jails`: `{"running":bool,"jails":[{"name","enabled","filter","maxretry","findtime",
//!   "bantime","currently_failed","total_failed","currently_banned","total_banned"}…]}`
//!   (the configuration's jails; counters from the daemon, 0 when it is not running)
//! * `filters`: `{"filters":[{"name","builtin","user","programs":[…]}…]}`
//! * `test`: `{"filter","lines":[{"line","result":"match|ignored|miss","rule","rule_index",
//!   "address","ban"}…],"matched":N,"ignored":N,"missed":N}` (`rule`… only for a match)

use super::cli::Common;
use super::ctl::socket_path;
use super::show;
use crate::addr::Host;
use crate::control::client;
use crate::control::proto::{BanInfo, BanTime, Request, Response};
use crate::filter::dispatch::Dispatch;
use crate::filter::{self, Outcome};
use crate::json;
use crate::source::lines::Lines;
use std::fmt::Write;

/// Most lines the filter tester judges in one call.
pub const MAX_TEST_LINES: usize = 500;
/// Most user filter files listed.
pub const MAX_USER_FILTERS: usize = 256;

/// One request to the daemon: its replies, or the reason as text.
fn ask(c: &Common, req: &Request) -> Result<Vec<Response>, String> {
    let replies = client::call(&socket_path(c), req).map_err(|e| e.to_string())?;
    match replies.iter().find_map(|r| match r {
        Response::Error(e) => Some(e.clone()),
        _ => None,
    }) {
        Some(e) => Err(e),
        None => Ok(replies),
    }
}

fn render(c: &Common, req: &Request) -> String {
    match ask(c, req) {
        Ok(r) => show::render(req, &r, true),
        Err(e) => show::error(&e),
    }
}

pub fn status(c: &Common) -> String {
    let req = Request::Status { jail: None };
    match ask(c, &req) {
        Ok(r) => {
            let body = show::render(&req, &r, true);
            format!("{{\"running\":true,{}", body.strip_prefix('{').unwrap_or("}\n"))
        }
        Err(e) => {
            let mut s = String::from("{\"running\":false,\"error\":");
            let _ = json::string(&mut s, &e);
            s.push_str("}\n");
            s
        }
    }
}

fn ban_json(out: &mut String, b: &BanInfo, origin: &str) {
    super::show::ban_fields(out, b);
    out.push_str(",\"origin\":");
    let _ = json::string(out, origin);
}

/// Every ban of `jail` (or all), as one list with an origin each.
fn ban_list(c: &Common, jail: Option<&str>) -> Result<Vec<(BanInfo, &'static str, String)>, String> {
    let replies = ask(
        c,
        &Request::List {
            jail: jail.map(str::to_owned),
        },
    )?;
    let mut all = Vec::new();
    for r in replies {
        match r {
            Response::Bans(b) => all.extend(b.into_iter().map(|b| (b, "logjail", String::new()))),
            Response::Refused(r) => all.extend(r.into_iter().map(|r| (r.ban, "refused", r.reason))),
            Response::KernelOnly(k) if jail.is_none() => all.extend(k.into_iter().map(|k| {
                let b = BanInfo {
                    jail: String::new(),
                    address: k.address,
                    remaining: k.remaining,
                    count: 0,
                    start: 0,
                };
                (b, "kernel", String::new())
            })),
            _ => {}
        }
    }
    Ok(all)
}

pub fn bans(c: &Common, jail: Option<&str>) -> String {
    let all = match ban_list(c, jail) {
        Ok(a) => a,
        Err(e) => return show::error(&e),
    };
    let mut s = String::from("{\"bans\":[");
    for (i, (b, origin, reason)) in all.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        ban_json(&mut s, b, origin);
        if !reason.is_empty() {
            s.push_str(",\"reason\":");
            let _ = json::string(&mut s, reason);
        }
        s.push('}');
    }
    s.push_str("]}\n");
    s
}

/// The `unban` reply from the daemon's answers.
fn unbanned(replies: &[Response], out: &mut Vec<String>, kernel: &mut Vec<String>) {
    for r in replies {
        match r {
            Response::Lifted {
                bans, kernel_only, ..
            } => {
                out.extend(bans.iter().map(|b| b.address.clone()));
                kernel.extend(kernel_only.iter().cloned());
            }
            Response::Unbanned(bans) => out.extend(bans.iter().map(|b| b.address.clone())),
            _ => {}
        }
    }
}

fn unban_reply(addrs: &[String], kernel: &[String]) -> String {
    let list = |s: &mut String, v: &[String]| {
        s.push('[');
        for (i, a) in v.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = json::string(s, a);
        }
        s.push(']');
    };
    let mut s = String::from("{\"unbanned\":");
    list(&mut s, addrs);
    s.push_str(",\"kernel_only\":");
    list(&mut s, kernel);
    s.push_str("}\n");
    s
}

/// One address (or prefix) in every jail, or (`None`) every ban.
pub fn unban(c: &Common, addr: Option<&str>) -> String {
    match ask(
        c,
        &Request::Unban {
            addr: addr.map(str::to_owned),
        },
    ) {
        Ok(r) => {
            let (mut a, mut k) = (Vec::new(), Vec::new());
            unbanned(&r, &mut a, &mut k);
            unban_reply(&a, &k)
        }
        Err(e) => show::error(&e),
    }
}

/// Every ban of `jail`: each of its addresses is unbanned (in every jail, as `logjail unban`).
pub fn unban_jail(c: &Common, jail: &str) -> String {
    let list = match ban_list(c, Some(jail)) {
        Ok(l) => l,
        Err(e) => return show::error(&e),
    };
    let (mut a, mut k) = (Vec::new(), Vec::new());
    for (b, _, _) in list {
        match ask(
            c,
            &Request::Unban {
                addr: Some(b.address.clone()),
            },
        ) {
            Ok(r) => unbanned(&r, &mut a, &mut k),
            Err(e) => return show::error(&format!("{}: {e}", b.address)),
        }
    }
    unban_reply(&a, &k)
}

pub fn ban(c: &Common, jail: &str, addr: &str, time: Option<i64>) -> String {
    let time = match time {
        None => BanTime::Jail,
        Some(-1) => BanTime::Permanent,
        Some(n) => BanTime::Seconds(u32::try_from(n).unwrap_or(u32::MAX)),
    };
    render(
        c,
        &Request::Ban {
            jail: jail.to_owned(),
            addr: addr.to_owned(),
            time,
            force: false,
        },
    )
}

pub fn reload(c: &Common) -> String {
    render(c, &Request::Reload)
}

pub fn jails(c: &Common) -> String {
    let loaded = match crate::config::load(std::path::Path::new(&c.config)) {
        Ok(l) => l,
        Err(e) => return show::error(&e.to_string()),
    };
    let counters = match ask(c, &Request::Status { jail: None }) {
        Ok(r) => r.into_iter().find_map(|r| match r {
            Response::Overview { jails, .. } | Response::Status { jails, .. } => Some(jails),
            _ => None,
        }),
        Err(_) => None,
    };
    let mut s = format!("{{\"running\":{},\"jails\":[", counters.is_some());
    for (i, j) in loaded.config.jails.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"name\":");
        let _ = json::string(&mut s, &j.name);
        s.push_str(",\"filter\":");
        let _ = json::string(&mut s, &j.filter);
        let bantime = j.bantime.map_or(-1, i64::from);
        let _ = write!(
            s,
            ",\"enabled\":{},\"maxretry\":{},\"findtime\":{},\"bantime\":{bantime}",
            j.enabled, j.maxretry, j.findtime
        );
        let n = counters
            .as_ref()
            .and_then(|c| c.iter().find(|x| x.name == j.name));
        let (cf, tf, cb, tb) = n.map_or((0, 0, 0, 0), |n| {
            (
                n.currently_failed,
                n.total_failed,
                n.currently_banned,
                n.total_banned,
            )
        });
        let _ = write!(
            s,
            ",\"currently_failed\":{cf},\"total_failed\":{tf},\"currently_banned\":{cb},\"total_banned\":{tb}}}"
        );
    }
    s.push_str("]}\n");
    s
}

fn filter_dir(c: &Common) -> std::path::PathBuf {
    match crate::config::load(std::path::Path::new(&c.config)) {
        Ok(l) => l.config.main.filter_dir,
        Err(_) => crate::config::Main::default().filter_dir,
    }
}

pub fn filters(c: &Common) -> String {
    let dir = filter_dir(c);
    let mut names: Vec<(String, bool, bool)> = filter::builtin::names()
        .map(|n| (n.to_owned(), true, false))
        .collect();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten().take(MAX_USER_FILTERS) {
            let name = e.file_name();
            let Some(stem) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".filter"))
                .filter(|n| !n.is_empty() && !n.starts_with('.'))
            else {
                continue;
            };
            match names.iter_mut().find(|(n, _, _)| n == stem) {
                Some(x) => x.2 = true,
                None => names.push((stem.to_owned(), false, true)),
            }
        }
    }
    names.sort_unstable();
    let mut s = String::from("{\"filters\":[");
    for (i, (name, builtin, user)) in names.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"name\":");
        let _ = json::string(&mut s, name);
        let _ = write!(s, ",\"builtin\":{builtin},\"user\":{user},\"programs\":[");
        if let Ok(f) = filter::load(name, &dir) {
            for (k, p) in f.programs().iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let _ = json::string(&mut s, p);
            }
        }
        s.push_str("]}");
    }
    s.push_str("]}\n");
    s
}

/// Runs the filter `name` over `text`, line by line, as the daemon would judge each line.
pub fn test(c: &Common, name: &str, text: &[u8]) -> String {
    let f = match filter::load(name, &filter_dir(c)) {
        Ok(f) => f,
        Err(e) => return show::error(&e.to_string()),
    };
    let fs = [f];
    let dispatch = Dispatch::new(&fs);
    let now = crate::clock::wall();
    let mut s = String::from("{\"filter\":");
    let _ = json::string(&mut s, name);
    s.push_str(",\"lines\":[");
    let (mut n, mut matched, mut ignored) = (0usize, 0, 0);
    let mut one = |raw: &[u8], s: &mut String| {
        if n == MAX_TEST_LINES || raw.is_empty() {
            return;
        }
        if n > 0 {
            s.push(',');
        }
        n += 1;
        let line = crate::line::parse(raw, now);
        let outcome = match dispatch.filters(line.program).next() {
            Some(_) => fs[0].check(line.message),
            None => Outcome::NoMatch,
        };
        s.push_str("{\"line\":");
        let _ = json::string(s, &String::from_utf8_lossy(raw));
        match outcome {
            Outcome::Match(m) => {
                matched += 1;
                s.push_str(",\"result\":\"match\",\"rule\":");
                let _ = json::string(s, fs[0].rule(m.rule).unwrap_or(""));
                let _ = write!(s, ",\"rule_index\":{},\"address\":\"{}\"", m.rule, m.addr);
                let _ = write!(s, ",\"ban\":\"{}\"}}", Host::new(m.addr, 64));
            }
            Outcome::Ignored => {
                ignored += 1;
                s.push_str(",\"result\":\"ignored\"}");
            }
            Outcome::NoMatch => s.push_str(",\"result\":\"miss\"}"),
        }
    };
    let mut lines = Lines::new();
    let mut input = text;
    while let Ok(got) = lines.fill(&mut input) {
        while let Some(raw) = lines.next_line() {
            one(raw, &mut s);
        }
        if got == 0 {
            break;
        }
    }
    if let Some(raw) = lines.finish() {
        one(raw, &mut s);
    }
    let _ = writeln!(
        s,
        "],\"matched\":{matched},\"ignored\":{ignored},\"missed\":{}}}",
        n - matched - ignored
    );
    s
}
