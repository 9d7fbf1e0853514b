//! A `logread` command that replays logd's recent history before it follows.
//!
//! ubox's `logread -f` asks logd for `lines: 0`: only lines received after it started. With
//! `-l N` logd first sends its last `N` buffered lines, then follows. So that failures logged
//! while logjail was not reading (at boot before it started, during procd's respawn pause,
//! across a restart) are counted, a source command that runs `logread` with `-f` and without
//! `-l` gets `-l N` inserted ([`with_history`], `N` = `history_lines`); a command that already
//! says `-l N` is taken as it is. [`replayed_lines`] tells the daemon how many lines a start
//! of the command replays, and the engine sorts them by its mark
//! ([`crate::engine::history`]). Other commands are run as written and replay nothing.
//!
//! Only the first command of a pipeline or list is looked at (`logread -f | grep dropbear`
//! becomes `logread -l 1000 -f | grep dropbear`); options are read as ubox's getopt string
//! `u0fcs:l:z:Z:r:F:p:S:P:h:e:t` says, up to the first word that is not an option.

/// logread's options that take an argument (the next word, or the rest of this one).
const WITH_ARG: &[u8] = b"slzZrFpSPhe";
/// logread's options without an argument.
const FLAGS: &[u8] = b"u0fct";

/// What the command's `logread` options say: follows (`-f`), and its `-l`, if any.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    follow: bool,
    lines: Option<u32>,
}

/// The options of `cmd` when its first command is `logread`; `None` otherwise (or when an
/// option is not one logread knows: the command is left alone).
fn logread_options(cmd: &str) -> Option<Options> {
    let mut words = cmd.split_whitespace();
    let program = words.next()?;
    if program.rsplit('/').next() != Some("logread") {
        return None;
    }
    let mut o = Options::default();
    while let Some(w) = words.next() {
        let Some(letters) = w
            .strip_prefix('-')
            .filter(|l| !l.is_empty() && !l.starts_with('-'))
        else {
            break;
        };
        for (i, c) in letters.bytes().enumerate() {
            if FLAGS.contains(&c) {
                o.follow |= c == b'f';
            } else if WITH_ARG.contains(&c) {
                let rest = &letters[i + 1..];
                let arg = if rest.is_empty() { words.next()? } else { rest };
                if c == b'l' {
                    o.lines = Some(arg.parse().ok()?);
                }
                break;
            } else {
                return None;
            }
        }
    }
    Some(o)
}

/// `cmd` with `-l lines` inserted when it is a following `logread` without `-l`; `None` when
/// it is left as it is.
pub fn with_history(cmd: &str, lines: u32) -> Option<String> {
    let o = logread_options(cmd)?;
    if lines == 0 || !o.follow || o.lines.is_some() {
        return None;
    }
    let start = cmd.len() - cmd.trim_start().len();
    let program = cmd[start..].split_whitespace().next()?;
    let at = start + program.len();
    Some(format!("{} -l {lines}{}", &cmd[..at], &cmd[at..]))
}

/// How many old lines each start of `cmd` replays before it follows: `N` of a following
/// `logread -l N`, else `None`.
pub fn replayed_lines(cmd: &str) -> Option<u32> {
    let o = logread_options(cmd)?;
    o.lines.filter(|&n| o.follow && n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_following_logread_gets_its_history() {
        let cases = [
            ("logread -f", Some("logread -l 1000 -f")),
            (
                "/sbin/logread -f -e dropbear",
                Some("/sbin/logread -l 1000 -f -e dropbear"),
            ),
            ("logread -tf", Some("logread -l 1000 -tf")),
            (
                "logread -e x -f | grep y",
                Some("logread -l 1000 -e x -f | grep y"),
            ),
            ("  logread -f", Some("  logread -l 1000 -f")),
            // Already asked, not following, not logread, an option logread does not know.
            ("logread -l 50 -f", None),
            ("logread -fl50", None),
            ("logread", None),
            ("logread -e -f", None),
            ("tail -F /var/log/messages", None),
            ("mylogread -f", None),
            ("logread -q -f", None),
        ];
        for (cmd, want) in cases {
            assert_eq!(with_history(cmd, 1000).as_deref(), want, "{cmd}");
        }
        assert_eq!(with_history("logread -f", 0), None);
    }

    #[test]
    fn the_lines_a_start_replays() {
        assert_eq!(replayed_lines("logread -l 1000 -f"), Some(1000));
        assert_eq!(replayed_lines("logread -fl50 | grep x"), Some(50));
        assert_eq!(replayed_lines("logread -l 50"), None);
        assert_eq!(replayed_lines("logread -f"), None);
        assert_eq!(replayed_lines("logread -l 0 -f"), None);
        assert_eq!(replayed_lines("logread -l many -f"), None);
        assert_eq!(replayed_lines("cat x; logread -l 5 -f"), None);
    }
}
