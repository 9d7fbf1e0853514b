//! logjail: fail2ban-class intrusion prevention for OpenWrt routers.
//!
//! The core is pure: [`line`](mod@line) splits raw log lines, [`filter`] finds offenders in messages,
//! [`jail`] counts failures in fixed-size tables and decides bans; all take bytes and a `now`
//! and return values. Only the daemon loop, the sources, the netlink socket and the state file
//! touch the operating system, and [`clock`] is the one place the clock is read.
#![deny(unsafe_code)]

pub mod addr;
pub mod addrwatch;
pub mod bytes;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod control;
pub mod daemon;
pub mod filter;
pub mod firewall;
pub mod jail;
pub mod json;
pub mod line;
pub mod logging;
pub mod netlink;
pub mod source;
pub mod state;
pub mod sys;
