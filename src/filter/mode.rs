//! Filter modes and per-jail options: which of a filter's rules count, and which extra program
//! names it takes.
//!
//! A service logs more than failed logins: clients that try their keys in turn before one works
//! (`Failed publickey`), scanners that connect and leave without a word (`Did not receive
//! identification string`), clients that disconnect after a failure. Whether those count is the
//! admin's choice, as in fail2ban: a rule may be tagged with the modes it belongs to
//! (`failregex[aggressive] RE`, `failregex[ddos,aggressive] RE`); an untagged rule belongs to
//! every mode. A jail picks one [`Mode`] (`normal` by default); a mode no rule of the filter is
//! tagged with is an error, so `option mode 'ddos'` on a filter without such rules is reported
//! instead of silently meaning `normal`.
//!
//! [`Options::programs`] adds program names to a filter (a service run under its own name,
//! `ovpn-office`, `sshd-wan`), so a user need not copy a built-in filter to add one.

use core::fmt;
use core::str::FromStr;

/// Which rules of a filter count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Failed logins and refused users: what admins mean by an attack.
    #[default]
    Normal,
    /// Also connections that never reach authentication (scanners, protocol garbage).
    Ddos,
    /// Everything the filter knows: `ddos` plus forms legitimate clients produce too (a key
    /// tried before the right one, a client that leaves after a failure).
    Aggressive,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Normal, Mode::Ddos, Mode::Aggressive];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Ddos => "ddos",
            Mode::Aggressive => "aggressive",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Mode::Normal => 1,
            Mode::Ddos => 2,
            Mode::Aggressive => 4,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown mode name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMode(pub String);

impl fmt::Display for UnknownMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown mode `{}` (expected normal, ddos or aggressive)",
            self.0
        )
    }
}

impl FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMode(s.to_owned()))
    }
}

/// A set of modes: the modes a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modes(u8);

impl Modes {
    /// Every mode: an untagged rule.
    pub const EVERY: Modes = Modes(7);

    /// Parses a tag's inside, `ddos,aggressive`.
    pub fn parse(list: &str) -> Result<Modes, UnknownMode> {
        let mut bits = 0;
        for name in list.split(',') {
            bits |= name.trim().parse::<Mode>()?.bit();
        }
        Ok(Modes(bits))
    }

    pub fn has(self, m: Mode) -> bool {
        self.0 & m.bit() != 0
    }
}

/// Per-jail choices applied when a filter is loaded ([`super::builtin::load_with`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub mode: Mode,
    /// Program names added to the filter's own `program` names (`ovpn-office`, `sshd-wan`); a
    /// name ending in `*` is a prefix. Ignored for a filter that applies to every program.
    pub programs: Vec<String>,
}

/// Why an extra program name cannot be one: a log tag is up to [`crate::line::MAX_TAG`] bytes
/// without spaces, `:`, `[` or `]`.
pub fn check_program(name: &str) -> Result<(), &'static str> {
    let bare = name.strip_suffix('*').unwrap_or(name);
    if bare.is_empty() {
        return Err("empty (a program name is the tag before `[pid]:`)");
    }
    if name.len() > crate::line::MAX_TAG {
        return Err("longer than a log tag can be");
    }
    if bare.contains('*') {
        return Err("`*` may only end a name");
    }
    if bare
        .bytes()
        .any(|b| b <= b' ' || b == b':' || b == b'[' || b == b']' || b == 0x7f)
    {
        return Err("a log tag has no spaces, control characters, `:`, `[` or `]`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_name_themselves() {
        for m in Mode::ALL {
            assert_eq!(m.name().parse::<Mode>(), Ok(m));
        }
        let e = "extra".parse::<Mode>().unwrap_err().to_string();
        assert_eq!(e, "unknown mode `extra` (expected normal, ddos or aggressive)");
        let s = Modes::parse("ddos, aggressive").unwrap();
        assert!(!s.has(Mode::Normal) && s.has(Mode::Ddos) && s.has(Mode::Aggressive));
        assert!(Modes::parse("aggressive,").is_err());
        assert!(Mode::ALL.into_iter().all(|m| Modes::EVERY.has(m)));
    }

    #[test]
    fn program_names_are_log_tags() {
        for ok in ["ovpn-office", "openvpn(office)", "sshd@wan", "ovpn-*"] {
            assert_eq!(check_program(ok), Ok(()), "{ok}");
        }
        for bad in ["", "*", "a b", "x:", "x[1]", "a*b", "a\tb"] {
            assert!(check_program(bad).is_err(), "{bad:?}");
        }
        assert!(check_program(&"x".repeat(65)).is_err());
    }
}
