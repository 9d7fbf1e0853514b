//! logjail: fail2ban-class intrusion prevention for OpenWrt routers.
//!
//! The core is pure: [`line`](mod@line) splits raw log lines, [`filter`] finds offenders in messages,
//! [`jail`] counts failures in fixed-size tables and decides bans, [`engine`] turns lines,
//! ticks and requests into firewall actions; all take bytes and a `now` and return values.
//! Only the shell — the event loop and verbs in [`cmd`], the sources, the sockets, the state
//! file, [`sys`], [`logging`] — touches the operating system, and [`clock`] is the one place
//! the clock is read. `tests/layers.rs` checks that no core module imports the shell.
#![deny(unsafe_code)]

pub mod addr;
pub mod addrwatch;
pub mod bytes;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod control;
pub mod engine;
pub mod filter;
pub mod firewall;
pub mod jail;
pub mod json;
pub mod json_object;
pub mod lapi;
pub mod line;
pub mod logging;
pub mod netlink;
pub mod source;
pub mod state;
pub mod sys;
