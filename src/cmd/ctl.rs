//! The control verbs: `logjail status|list|ban|unban|reload|version`. Each sends one request
//! to the daemon's control socket and prints the answer as text, or as one JSON object with
//! `--json` (keys in [`super::show`]). Exit status 0 on success; 1 when no daemon answers, the
//! daemon refuses the request, or the arguments make no sense — with the reason on stderr.

use super::show;
use crate::cmd::cli::{BanArgs, Common, ListArgs, ReloadArgs, StatusArgs, UnbanArgs, VersionArgs};
use crate::config::{self, Main};
use crate::control::client;
use crate::control::proto::{BanTime, Request, Response};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--socket`, else the configuration's `control_socket`, else the default path (a config
/// that cannot be read is no reason not to try).
pub fn socket_path(c: &Common) -> PathBuf {
    if let Some(s) = &c.socket {
        return PathBuf::from(s);
    }
    match config::load(Path::new(&c.config)) {
        Ok(l) => l.config.main.control_socket,
        Err(_) => Main::default().control_socket,
    }
}

pub fn status(a: &StatusArgs) -> i32 {
    exec(&a.common(), &Request::Status { jail: a.jail.clone() })
}

pub fn list(a: &ListArgs) -> i32 {
    exec(&a.common(), &Request::List { jail: a.jail.clone() })
}

pub fn ban(a: &BanArgs) -> i32 {
    let time = match a.time {
        None => BanTime::Jail,
        Some(-1) => BanTime::Permanent,
        Some(n) => match u32::try_from(n) {
            Ok(s) if s > 0 => BanTime::Seconds(s),
            _ => {
                return fail(
                    &a.common(),
                    &format!(
                        "--time {n}: give seconds from 1 to {}, or -1 for permanent",
                        u32::MAX
                    ),
                )
            }
        },
    };
    let req = Request::Ban {
        jail: a.jail.clone(),
        addr: a.addr.clone(),
        time,
        force: a.force,
    };
    exec(&a.common(), &req)
}

pub fn unban(a: &UnbanArgs) -> i32 {
    let addr = match (&a.addr, a.all) {
        (Some(addr), false) => Some(addr.clone()),
        (None, true) => None,
        _ => return fail(&a.common(), "give either an address or --all"),
    };
    exec(&a.common(), &Request::Unban { addr })
}

pub fn reload(a: &ReloadArgs) -> i32 {
    exec(&a.common(), &Request::Reload)
}

pub fn version(a: &VersionArgs) -> i32 {
    let c = a.common();
    let daemon = client::call(&socket_path(&c), &Request::Version);
    let theirs = match &daemon {
        Ok(r) => match r.first() {
            Some(Response::Version { version }) => Some(version.as_str()),
            _ => None,
        },
        Err(_) => None,
    };
    print(&show::version(env!("CARGO_PKG_VERSION"), theirs, c.json));
    match daemon {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("logjail: {e}");
            1
        }
    }
}

fn exec(c: &Common, req: &Request) -> i32 {
    let path = socket_path(c);
    match client::call(&path, req) {
        Ok(replies) => match replies.iter().find_map(|r| match r {
            Response::Error(e) => Some(e.as_str()),
            _ => None,
        }) {
            Some(e) => fail(c, e),
            None => {
                print(&show::render(req, &replies, c.json));
                0
            }
        },
        Err(e) => fail(c, &e.to_string()),
    }
}

/// Prints `msg` on stderr (and as `{"error": …}` on stdout with `--json`); returns 1.
fn fail(c: &Common, msg: &str) -> i32 {
    if c.json {
        print(&show::error(msg));
    }
    eprintln!("logjail: {msg}");
    1
}

fn print(s: &str) {
    // A closed stdout (`logjail list | head`) is not the daemon's fault.
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}
