//! Option values as users write them: durations, booleans, counts, log levels.
//!
//! Each parser takes the text of one UCI value and returns the typed value or a [`ValueError`]
//! that says what was expected; [`crate::config::load()`] adds the file, the line and the option
//! name. The forms follow what OpenWrt users already know:
//!
//! * durations are plain seconds (`600`) or one number with a unit: `s`, `m`, `h`, `d`, `w`
//!   (`10m`, `1h`, `1w`); `-1` means permanent where the option allows it (`bantime`,
//!   `bantime_max`) and is `None` in the typed config;
//! * booleans are the words `uci`'s `config_get_bool` knows: `1`/`0`, `yes`/`no`, `on`/`off`,
//!   `true`/`false`, `enabled`/`disabled` (lower case, as in `/lib/functions.sh`);
//! * counts are plain decimal numbers within the range the option allows.
//!
//! [`Duration`] formats seconds back for `logjail check`: `600s (10m)`, `5400s (1h30m)`,
//! `permanent`.

use core::fmt;

/// What was wrong with a value; `Display` completes the sentence "option 'x' ...".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// Not a duration: expected `N`, `Ns`, `Nm`, `Nh`, `Nd`, `Nw` (or `-1` where allowed).
    Duration {
        permanent_ok: bool,
    },
    /// A duration or count beyond what fits.
    TooLarge,
    Bool,
    Number,
    /// A number outside `min..=max`.
    Range {
        min: u64,
        max: u64,
    },
    LogLevel,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Duration { permanent_ok: true } => f.write_str(
                "is not a duration: expected seconds or a number with s, m, h, d or w (10m, 1h, 1w), \
                 or -1 for permanent",
            ),
            ValueError::Duration { permanent_ok: false } => f.write_str(
                "is not a duration: expected seconds or a number with s, m, h, d or w (10m, 1h, 1w)",
            ),
            ValueError::TooLarge => f.write_str("is too large"),
            ValueError::Bool => {
                f.write_str("is not a boolean: expected 1/0, yes/no, on/off, true/false or enabled/disabled")
            }
            ValueError::Number => f.write_str("is not a number"),
            ValueError::Range { min, max } => write!(f, "is out of range: expected {min} to {max}"),
            ValueError::LogLevel => {
                f.write_str("is not a log level: expected debug, info, notice, warn, warning, err or error")
            }
        }
    }
}

/// Seconds per unit suffix.
const UNITS: [(u8, u32); 5] = [
    (b's', 1),
    (b'm', 60),
    (b'h', 3600),
    (b'd', 86_400),
    (b'w', 604_800),
];

/// Parses a duration in seconds. `-1` gives `Ok(None)` when `permanent_ok`, an error otherwise.
pub fn duration(text: &str, permanent_ok: bool) -> Result<Option<u32>, ValueError> {
    let bad = ValueError::Duration { permanent_ok };
    let t = text.trim();
    if t == "-1" {
        return if permanent_ok { Ok(None) } else { Err(bad) };
    }
    let (digits, unit) = match t.as_bytes().last() {
        Some(b) if b.is_ascii_digit() => (t, 1),
        Some(&b) => match UNITS.iter().find(|(u, _)| *u == b) {
            Some(&(_, secs)) => (&t[..t.len() - 1], secs),
            None => return Err(bad),
        },
        None => return Err(bad),
    };
    let n = count(digits).map_err(|e| if e == ValueError::Number { bad } else { e })?;
    let secs = n.checked_mul(u64::from(unit)).ok_or(ValueError::TooLarge)?;
    u32::try_from(secs).map(Some).map_err(|_| ValueError::TooLarge)
}

/// Parses a plain non-negative decimal number (no sign, no spaces).
pub fn count(t: &str) -> Result<u64, ValueError> {
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::Number);
    }
    t.parse::<u64>().map_err(|_| ValueError::TooLarge)
}

/// Parses a number and checks it lies in `min..=max`.
pub fn ranged(text: &str, min: u64, max: u64) -> Result<u64, ValueError> {
    match count(text.trim()) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) | Err(ValueError::TooLarge) => Err(ValueError::Range { min, max }),
        Err(e) => Err(e),
    }
}

/// Parses a boolean the way `config_get_bool` does.
pub fn boolean(text: &str) -> Result<bool, ValueError> {
    match text.trim() {
        "1" | "yes" | "on" | "true" | "enabled" => Ok(true),
        "0" | "no" | "off" | "false" | "disabled" => Ok(false),
        _ => Err(ValueError::Bool),
    }
}

/// Parses a syslog-style level name. `log` has no notice level: it counts as info.
pub fn loglevel(text: &str) -> Result<log::LevelFilter, ValueError> {
    use log::LevelFilter as L;
    match text.trim() {
        "debug" => Ok(L::Debug),
        "info" | "notice" => Ok(L::Info),
        "warn" | "warning" => Ok(L::Warn),
        "err" | "error" => Ok(L::Error),
        _ => Err(ValueError::LogLevel),
    }
}

/// A duration for display: `600s (10m)`, `45s`, `permanent` (for `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub Option<u32>);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(secs) = self.0 else {
            return f.write_str("permanent");
        };
        write!(f, "{secs}s")?;
        if secs < 60 {
            return Ok(());
        }
        f.write_str(" (")?;
        let mut rest = secs;
        for &(unit, size) in UNITS.iter().rev() {
            if rest >= size {
                write!(f, "{}{}", rest / size, char::from(unit))?;
                rest %= size;
            }
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_plain_and_with_units() {
        let cases: &[(&str, Option<u32>)] = &[
            ("600", Some(600)),
            ("0", Some(0)),
            ("45s", Some(45)),
            ("10m", Some(600)),
            ("1h", Some(3600)),
            ("1d", Some(86_400)),
            ("1w", Some(604_800)),
            (" 2h ", Some(7200)),
        ];
        for (text, want) in cases {
            assert_eq!(duration(text, false), Ok(*want), "{text}");
        }
        assert_eq!(duration("-1", true), Ok(None));
        assert_eq!(
            duration("-1", false),
            Err(ValueError::Duration { permanent_ok: false })
        );
    }

    #[test]
    fn durations_rejected() {
        for bad in ["", "m", "10x", "1.5h", "-5", "1h30m", "10 m", "+10", "١٠", "10M"] {
            assert_eq!(
                duration(bad, true),
                Err(ValueError::Duration { permanent_ok: true }),
                "{bad:?}"
            );
        }
        assert_eq!(duration("4294967295", false), Ok(Some(u32::MAX)));
        assert_eq!(duration("4294967296", false), Err(ValueError::TooLarge));
        assert_eq!(duration("7102w", false), Err(ValueError::TooLarge));
        assert_eq!(
            duration("99999999999999999999999w", false),
            Err(ValueError::TooLarge)
        );
    }

    #[test]
    fn booleans_as_uci_knows_them() {
        for t in ["1", "yes", "on", "true", "enabled"] {
            assert_eq!(boolean(t), Ok(true), "{t}");
        }
        for f in ["0", "no", "off", "false", "disabled"] {
            assert_eq!(boolean(f), Ok(false), "{f}");
        }
        for bad in ["", "2", "YES", "y", "enable", "nope"] {
            assert_eq!(boolean(bad), Err(ValueError::Bool), "{bad}");
        }
    }

    #[test]
    fn counts_and_ranges() {
        assert_eq!(ranged("5", 1, 32), Ok(5));
        assert_eq!(ranged("0", 1, 32), Err(ValueError::Range { min: 1, max: 32 }));
        assert_eq!(ranged("33", 1, 32), Err(ValueError::Range { min: 1, max: 32 }));
        assert_eq!(
            ranged("999999999999999999999999", 1, 32),
            Err(ValueError::Range { min: 1, max: 32 })
        );
        assert_eq!(ranged("-1", 1, 32), Err(ValueError::Number));
        assert_eq!(ranged("five", 1, 32), Err(ValueError::Number));
    }

    #[test]
    fn loglevels() {
        assert_eq!(loglevel("notice"), Ok(log::LevelFilter::Info));
        assert_eq!(loglevel("warning"), Ok(log::LevelFilter::Warn));
        assert_eq!(loglevel("err"), Ok(log::LevelFilter::Error));
        assert_eq!(loglevel("debug"), Ok(log::LevelFilter::Debug));
        assert_eq!(loglevel("verbose"), Err(ValueError::LogLevel));
    }

    #[test]
    fn durations_display() {
        let show = |s| Duration(s).to_string();
        assert_eq!(show(Some(600)), "600s (10m)");
        assert_eq!(show(Some(3600)), "3600s (1h)");
        assert_eq!(show(Some(5400)), "5400s (1h30m)");
        assert_eq!(show(Some(604_800)), "604800s (1w)");
        assert_eq!(show(Some(45)), "45s");
        assert_eq!(show(Some(90_061)), "90061s (1d1h1m1s)");
        assert_eq!(show(None), "permanent");
    }
}
