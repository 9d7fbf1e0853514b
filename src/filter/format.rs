//! The filter file format: what a `filters/NAME.filter` file says, before any regex is built.
//!
//! ```text
//! # comment
//! program dropbear
//! failregex ^Bad password attempt for '.*' from <HOST>:\d+$
//! ignoreregex ^Password auth succeeded
//! ```
//!
//! One directive a line: a keyword, whitespace, then its argument running to the end of the
//! line. Leading and trailing whitespace is dropped (write `\s` or `[ ]` for a pattern that must
//! end in a space). `#` starts a comment only at the start of a line, since `#` is an ordinary
//! character inside a pattern. Keywords:
//!
//! * `program NAME...` — the log program names the filter applies to; several per line, several
//!   lines allowed. No `program` line means every program. A name ending in `*` is a prefix:
//!   `postfix/*` takes `postfix/smtpd` and `postfix/submission/smtpd`.
//! * `failregex RE` — one or more; order matters, the rule index is reported.
//! * `ignoreregex RE` — optional; a message a failregex matched is ignored when one matches.
//! * `failregex[MODES] RE`, `ignoreregex[MODES] RE` — the rule belongs only to the listed
//!   modes (`failregex[ddos,aggressive] ...`, see [`super::mode`]); untagged rules belong to
//!   every mode.
//! * `failregex[companion=SECS] RE` (alone or among the modes) — the rule's line announces an
//!   attempt whose other lines follow within SECS seconds (1–3600); those count once with it
//!   (see [`crate::jail::attempt`]).
//!
//! This module only splits the text; [`super::Filter::parse`] compiles what it finds.

use super::mode::Modes;
use super::FilterError;

/// A pattern and the line it came from (1-based), for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pattern<'a> {
    pub line: usize,
    pub text: &'a str,
    /// The modes the rule belongs to (`failregex[aggressive]`); untagged: every mode.
    pub modes: Modes,
    /// `companion=SECS`: the window of the attempt the line announces; 0: none.
    pub companion: u16,
}

/// Largest `companion=` window, seconds.
pub(super) const MAX_COMPANION: u16 = 3600;

/// The inside of a rule's tag: mode names and `companion=SECS`, comma-separated.
fn tags(list: &str, is_fail: bool) -> Result<(Modes, u16), String> {
    let mut modes: Vec<&str> = Vec::new();
    let mut companion = 0;
    for item in list.split(',') {
        let item = item.trim();
        match item.strip_prefix("companion=") {
            Some(_) if !is_fail => return Err("only a failregex can be a companion".into()),
            Some(secs) => {
                companion = secs
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (1..=MAX_COMPANION).contains(s))
                    .ok_or_else(|| format!("companion={secs}: the window is 1 to {MAX_COMPANION} seconds"))?;
            }
            None => modes.push(item),
        }
    }
    let modes = match modes.as_slice() {
        [] => Modes::EVERY,
        names => Modes::parse(&names.join(",")).map_err(|e| e.to_string())?,
    };
    Ok((modes, companion))
}

/// The directives of one filter file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Spec<'a> {
    pub programs: Vec<&'a str>,
    pub fail: Vec<Pattern<'a>>,
    pub ignore: Vec<Pattern<'a>>,
}

/// Splits `text` into directives; `file` names it in errors.
pub(super) fn split<'a>(file: &str, text: &'a str) -> Result<Spec<'a>, FilterError> {
    let mut spec = Spec::default();
    let err = |line: usize, what: String| FilterError::Syntax {
        file: file.to_owned(),
        line,
        what,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (keyword, arg) = match l.find(char::is_whitespace) {
            Some(at) => (&l[..at], l[at..].trim_start()),
            None => (l, ""),
        };
        let (keyword, (modes, companion)) = match keyword.split_once('[') {
            Some((k, tag)) => match tag.strip_suffix(']') {
                Some(list) if k == "failregex" || k == "ignoreregex" => {
                    (k, tags(list, k == "failregex").map_err(|e| err(line, e))?)
                }
                _ => (keyword, (Modes::EVERY, 0)),
            },
            None => (keyword, (Modes::EVERY, 0)),
        };
        match keyword {
            "program" => {
                if arg.is_empty() {
                    return Err(err(line, "program needs at least one name".into()));
                }
                spec.programs.extend(arg.split_whitespace());
            }
            "failregex" | "ignoreregex" => {
                if arg.is_empty() {
                    return Err(err(line, format!("{keyword} needs a pattern")));
                }
                let p = Pattern {
                    line,
                    text: arg,
                    modes,
                    companion,
                };
                if keyword == "failregex" {
                    spec.fail.push(p);
                } else {
                    spec.ignore.push(p);
                }
            }
            other => {
                return Err(err(
                    line,
                    format!("unknown keyword `{other}` (expected program, failregex or ignoreregex)"),
                ))
            }
        }
    }
    if spec.fail.is_empty() {
        return Err(err(0, "no failregex".into()));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_directives_and_skips_comments() {
        let text = "# c\n\nprogram sshd sshd-session\nprogram sshd-auth\n  failregex  ^a <HOST> # x  \n\
                    ignoreregex ^b\nfailregex ^c <HOST>\n";
        let s = split("f", text).unwrap();
        assert_eq!(s.programs, ["sshd", "sshd-session", "sshd-auth"]);
        assert_eq!(
            s.fail,
            [
                Pattern {
                    line: 5,
                    text: "^a <HOST> # x",
                    modes: Modes::EVERY,
                    companion: 0
                },
                Pattern {
                    line: 7,
                    text: "^c <HOST>",
                    modes: Modes::EVERY,
                    companion: 0
                }
            ]
        );
        assert_eq!(
            s.ignore,
            [Pattern {
                line: 6,
                text: "^b",
                modes: Modes::EVERY,
                companion: 0
            }]
        );
    }

    #[test]
    fn mode_tags() {
        use super::super::mode::Mode;
        let s = split(
            "f",
            "failregex[ddos,aggressive] ^a <HOST>\nignoreregex[aggressive] ^b\n",
        )
        .unwrap();
        assert!(s.fail[0].modes.has(Mode::Ddos) && !s.fail[0].modes.has(Mode::Normal));
        assert!(s.ignore[0].modes.has(Mode::Aggressive) && !s.ignore[0].modes.has(Mode::Ddos));
        let e = split("f", "failregex ^a <HOST>\nfailregex[extra] ^b <HOST>\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:2: unknown mode `extra` (expected normal, ddos or aggressive)"
        );
        let s = split("f", "failregex[companion=5] ^a <HOST>\nfailregex[aggressive,companion=60] ^b <HOST>\nfailregex ^c <HOST>\n").unwrap();
        let tagged: Vec<_> = s
            .fail
            .iter()
            .map(|p| (p.companion, p.modes.has(Mode::Normal)))
            .collect();
        assert_eq!(tagged, [(5, true), (60, false), (0, true)]);
        for (bad, want) in [
            (
                "failregex[companion=0] ^a <HOST>\n",
                "f:1: companion=0: the window is 1 to 3600 seconds",
            ),
            (
                "failregex[companion=x] ^a <HOST>\n",
                "f:1: companion=x: the window is 1 to 3600 seconds",
            ),
            (
                "failregex ^a <HOST>\nignoreregex[companion=2] ^b\n",
                "f:2: only a failregex can be a companion",
            ),
        ] {
            assert_eq!(split("f", bad).unwrap_err().to_string(), want);
        }
        let e = split("f", "program[ddos] x\nfailregex ^a <HOST>\n").unwrap_err();
        assert!(
            e.to_string().starts_with("f:1: unknown keyword `program[ddos]`"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            (
                "failregex ^a <HOST>\nfrobnicate x\n",
                "f:2: unknown keyword `frobnicate`",
            ),
            ("program\n", "f:1: program needs at least one name"),
            ("failregex\n", "f:1: failregex needs a pattern"),
            ("# only\nprogram x\n", "f: no failregex"),
        ];
        for (text, want) in cases {
            let e = split("f", text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e:?} does not start with {want:?}");
        }
    }
}
