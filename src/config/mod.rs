//! Typed configuration: what `/etc/config/logjail` means.
//!
//! [`uci`] reads the file format, [`load`](mod@load) turns sections into these types and checks
//! every value (`options`, [`value`]), [`selfaddr`] lists the router's own addresses for
//! `ignoreself`.

use crate::addr::Cidr;
use crate::filter::{FilterError, Mode, Options};
use crate::jail::capacity::{self, MAX_MAXRETRY};
use crate::jail::{Capacity, Params};
use std::path::PathBuf;

pub mod crowdsec;
pub mod error;
pub mod load;
mod options;
pub mod selfaddr;
pub mod uci;
pub mod value;

pub use error::ConfigError;
pub use load::{load, parse, Loaded};
pub use options::MAX_JAIL_NAME;

/// Default of `history_lines`: more than logd's default 64 KiB buffer holds.
pub const HISTORY_LINES: u32 = 1000;
/// Largest `history_lines`.
pub const MAX_HISTORY_LINES: u32 = 100_000;

/// `config logjail 'main'`.
#[derive(Clone, Debug, PartialEq)]
pub struct Main {
    /// Command whose stdout is the log stream (`logread -f`), `-` for stdin, or a file path.
    pub source: String,
    /// Lines of logd's history a `logread … -f` source replays first (`logread -l N -f`);
    /// 0: none (see [`crate::engine::history`]).
    pub history_lines: u32,
    pub loglevel: log::LevelFilter,
    /// Where state lives between restarts (tmpfs).
    pub state_file: PathBuf,
    /// Optional flash copy, written at most every `persist_interval` seconds.
    pub state_file_persistent: Option<PathBuf>,
    pub persist_interval: u32,
    pub control_socket: PathBuf,
    /// Directory whose `NAME` filter files override the built-in ones.
    pub filter_dir: PathBuf,
    /// nftables family and table holding the sets (`inet`, `fw4`).
    pub family: String,
    pub table: String,
    pub set_v4: String,
    pub set_v6: String,
    /// Create our own `table inet logjail` with drop rules when the table is missing.
    pub standalone: bool,
    /// Addresses never banned by any jail.
    pub ignoreip: Vec<Cidr>,
    /// `recidive_maxbans` (and findtime, bantime): a host banned this often across all jails
    /// gets the long ban of the `recidive` pseudo-jail. `None`: off (the default).
    pub recidive: Option<crate::jail::RecidiveParams>,
}

impl Default for Main {
    fn default() -> Self {
        Main {
            source: "logread -f".into(),
            history_lines: HISTORY_LINES,
            loglevel: log::LevelFilter::Info,
            state_file: "/var/run/logjail/state".into(),
            state_file_persistent: None,
            persist_interval: 3600,
            control_socket: "/var/run/logjail/logjail.sock".into(),
            filter_dir: "/etc/logjail/filters".into(),
            family: "inet".into(),
            table: "fw4".into(),
            set_v4: "logjail_v4".into(),
            set_v6: "logjail_v6".into(),
            standalone: false,
            ignoreip: Vec::new(),
            recidive: None,
        }
    }
}

/// `config jail 'NAME'`.
#[derive(Clone, Debug, PartialEq)]
pub struct JailConfig {
    pub name: String,
    pub enabled: bool,
    /// Built-in filter name or path of a filter file.
    pub filter: String,
    pub maxretry: u32,
    /// Seconds.
    pub findtime: u32,
    /// Seconds; `None` = permanent (`-1`).
    pub bantime: Option<u32>,
    /// Each new ban of a repeat offender multiplies the previous ban time by this (1 = off).
    pub bantime_factor: u32,
    /// Cap for escalated bans, seconds; `None` = no cap.
    pub bantime_max: Option<u32>,
    pub ignoreip: Vec<Cidr>,
    pub ignoreself: bool,
    /// IPv6 offenders are counted and banned by this prefix (64; 128 = single address).
    pub ipv6_prefix: u8,
    /// Table capacities, within the compile-time maxima in [`crate::jail::capacity`].
    pub max_failures: usize,
    pub max_bans: usize,
    pub max_offenders: usize,
    /// Which of the filter's rules count (`option mode`).
    pub mode: Mode,
    /// Program names added to the filter's own (`list program`).
    pub programs: Vec<String>,
    /// Where the jail is written, for errors the filter raises: lines of the section and of
    /// its `filter`, `mode` and first `program` statements (0: not written).
    pub lines: JailLines,
}

/// Lines of a jail's statements in the configuration file (0: not written).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JailLines {
    pub section: usize,
    pub filter: usize,
    pub mode: usize,
    pub program: usize,
}

impl JailConfig {
    /// A jail with the documented defaults.
    pub fn new(name: &str) -> Self {
        JailConfig {
            name: name.into(),
            enabled: true,
            filter: name.into(),
            maxretry: 5,
            findtime: 600,
            bantime: Some(3600),
            bantime_factor: 1,
            bantime_max: None,
            ignoreip: Vec::new(),
            ignoreself: true,
            ipv6_prefix: 64,
            max_failures: capacity::DEFAULT_FAILURES,
            max_bans: capacity::DEFAULT_BANS,
            max_offenders: capacity::DEFAULT_OFFENDERS,
            mode: Mode::Normal,
            programs: Vec::new(),
            lines: JailLines::default(),
        }
    }

    /// The options the jail's filter is loaded with ([`crate::filter::load_with`]).
    pub fn filter_options(&self) -> Options {
        Options {
            mode: self.mode,
            programs: self.programs.clone(),
        }
    }

    /// The line to name for an error loading the jail's filter: its `mode` for a mode the
    /// filter lacks, its `program` for a bad program name, else its `filter` (or section).
    pub fn line_of(&self, error: &FilterError) -> usize {
        let l = &self.lines;
        let line = match error {
            FilterError::Mode { .. } => l.mode,
            FilterError::Program { .. } => l.program,
            _ => l.filter,
        };
        if line == 0 {
            l.section
        } else {
            line
        }
    }
}

impl JailConfig {
    /// The jail's counting and ban rules, clamped to what the jail supports.
    pub fn params(&self) -> Params {
        Params {
            maxretry: self.maxretry.clamp(1, MAX_MAXRETRY),
            findtime: self.findtime.max(1),
            bantime: self.bantime,
            factor: self.bantime_factor.max(1),
            bantime_max: self.bantime_max,
            ipv6_prefix: self.ipv6_prefix.clamp(1, 128),
        }
    }

    /// The jail's table sizes.
    pub fn capacity(&self) -> Capacity {
        Capacity {
            failures: self.max_failures,
            bans: self.max_bans,
            offenders: self.max_offenders,
        }
    }
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub main: Main,
    pub jails: Vec<JailConfig>,
    /// `config crowdsec`, when present.
    pub crowdsec: Option<crowdsec::CrowdSec>,
}
