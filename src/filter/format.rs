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
        let (keyword, modes) = match keyword.split_once('[') {
            Some((k, tag)) => match tag.strip_suffix(']') {
                Some(list) if k == "failregex" || k == "ignoreregex" => {
                    (k, Modes::parse(list).map_err(|e| err(line, e.to_string()))?)
                }
                _ => (keyword, Modes::EVERY),
            },
            None => (keyword, Modes::EVERY),
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
                    modes: Modes::EVERY
                },
                Pattern {
                    line: 7,
                    text: "^c <HOST>",
                    modes: Modes::EVERY
                }
            ]
        );
        assert_eq!(
            s.ignore,
            [Pattern {
                line: 6,
                text: "^b",
                modes: Modes::EVERY
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
