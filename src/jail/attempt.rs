//! One failed attempt counts once, however many lines it leaves.
//!
//! Some services log one failed login twice: sshd with PAM writes `pam_unix(sshd:auth):
//! authentication failure … rhost=ADDR` and then `Failed password for USER from ADDR`; Dovecot's
//! PAM and auth-worker lines are followed by the login process's `auth failed`; OpenVPN's
//! `VERIFY ERROR` by `TLS Error: TLS handshake failed`; vsftpd's PAM line by `FAIL LOGIN`.
//! Counting every line bans a host after half of `maxretry`, which is not what admins expect
//! (fail2ban counts the attempt).
//!
//! A filter marks the lines that announce an attempt — the ones written first, before the line
//! every attempt leaves — as *companions* with a window (`failregex[companion=SECS] RE`, see
//! [`crate::filter`]). The jail keeps, inside each failing host's record, one [`Pending`]: the
//! window of the last companion, which rule opened it, and how many announced attempts have not
//! yet shown their main line. Then:
//!
//! * a companion of the rule that opened the window announces one more attempt: it counts, and
//!   the window starts again from it (attempts in a row, or from parallel connections, each
//!   have their own companion);
//! * a companion of another rule inside the window is a further line of the same attempt
//!   (sshd's keyboard-interactive through PAM: `pam_unix`, then `error: PAM: … for USER from
//!   ADDR`; Dovecot: `pam_unix(dovecot:auth)`, then the auth process's `pam(USER,ADDR)` line);
//! * any other failure line inside the window, while an announced attempt is waiting for it, is
//!   that attempt's main line ([`super::Verdict::SameAttempt`]): not counted again, and the
//!   attempt is done;
//! * everything else counts: a companion alone (a PAM-only failure), a main line without one,
//!   a second connection's `Invalid user` line after the first connection's attempt was done.
//!
//! Every attempt leaves its opening line, and those always count, so an attacker gains nothing
//! by its own lines: at worst a main line inside a window goes uncounted for each companion
//! counted. The record is 32 bytes inside the failure record, so it costs no table of its own
//! and no allocation.

/// How a failure line stands to the other lines of one attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// A line that is the attempt (or follows its companion).
    #[default]
    Main,
    /// A first line of an attempt whose other lines may follow within `window` seconds;
    /// `rule` tells the filter's companion rules apart.
    Companion { window: u16, rule: u8 },
}

impl Role {
    /// The role of rule `rule` whose `companion=` window is `window` seconds (0: none).
    pub fn of_rule(rule: usize, window: u16) -> Role {
        if window == 0 {
            Role::Main
        } else {
            let rule = u8::try_from(rule).unwrap_or(u8::MAX);
            Role::Companion { window, rule }
        }
    }
}

/// A host's open attempt: lines from its companion's time to the end of the window (event
/// seconds, inclusive) are part of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// From, until (inclusive), and the companion rule that opened it.
    span: Option<(i64, i64, u8)>,
    /// Attempts announced inside the window whose main line has not come.
    waiting: u8,
}

/// What a line is, given the host's open attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Count it.
    New,
    /// A further line of the attempt already counted.
    Same,
}

impl Pending {
    /// Judges a line of `role` at `now` and updates the record.
    pub fn judge(&mut self, role: Role, now: i64) -> Attempt {
        // A line older than the companion (read out of order) is not its follower.
        let open = match self.span {
            Some((from, until, opener)) if (from..=until).contains(&now) => Some(opener),
            _ => None,
        };
        match (role, open) {
            (Role::Companion { rule, .. }, Some(opener)) if rule != opener => Attempt::Same,
            (Role::Companion { window, rule }, _) => {
                self.waiting = if open.is_some() {
                    self.waiting.saturating_add(1)
                } else {
                    1
                };
                self.span = Some((now, now.saturating_add(i64::from(window)), rule));
                Attempt::New
            }
            (Role::Main, Some(_)) if self.waiting > 0 => {
                self.waiting -= 1;
                Attempt::Same
            }
            (Role::Main, _) => Attempt::New,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Role = Role::Companion { window: 2, rule: 0 };
    const D: Role = Role::Companion { window: 2, rule: 1 };

    fn run(lines: &[(Role, i64)]) -> usize {
        let mut p = Pending::default();
        lines
            .iter()
            .filter(|(r, t)| p.judge(*r, *t) == Attempt::New)
            .count()
    }

    #[test]
    fn a_companion_and_its_main_line_count_once() {
        // sshd with PAM, password: pam_unix, then Failed password; five attempts.
        let five: Vec<_> = (0..5).flat_map(|i| [(C, 10 * i), (Role::Main, 10 * i)]).collect();
        assert_eq!(run(&five), 5);
        // Keyboard-interactive through PAM: pam_unix, error: PAM, Failed keyboard-interactive/pam.
        assert_eq!(run(&[(C, 0), (D, 0), (Role::Main, 1)]), 1);
        assert_eq!(run(&[(C, 0), (D, 0), (Role::Main, 1), (Role::Main, 1)]), 2);
        // Dovecot: pam_unix and the auth process for each of three attempts, then the login
        // process's line for the connection.
        let three = [(C, 0), (D, 0), (C, 4), (D, 4), (C, 8), (D, 8), (Role::Main, 9)];
        assert_eq!(run(&three), 3);
        // The same without PAM: the auth process's line opens each attempt.
        assert_eq!(run(&[(D, 0), (D, 4), (D, 8), (Role::Main, 9)]), 3);
        // Two connections in parallel, each with its two companions.
        assert_eq!(run(&[(C, 0), (C, 0), (D, 0), (D, 1)]), 2);
        // Parallel connections: companions interleaved with the main lines.
        assert_eq!(
            run(&[
                (C, 0),
                (C, 0),
                (Role::Main, 0),
                (C, 1),
                (Role::Main, 1),
                (Role::Main, 1)
            ]),
            3
        );
        // sshd, a user that does not exist, two connections: "Invalid user", pam_unix, "Failed
        // password" each; the second "Invalid user" is not the first attempt's.
        let m = Role::Main;
        assert_eq!(run(&[(m, 0), (C, 0), (m, 2), (m, 2), (C, 2), (m, 4)]), 4);
    }

    #[test]
    fn alone_each_counts_and_the_window_ends() {
        assert_eq!(run(&[(C, 0), (C, 5), (C, 9)]), 3);
        assert_eq!(run(&[(Role::Main, 0), (Role::Main, 0)]), 2);
        // After the window, a main line is an attempt of its own.
        assert_eq!(run(&[(C, 0), (Role::Main, 3)]), 2);
        assert_eq!(run(&[(C, 0), (Role::Main, 2), (Role::Main, 2)]), 2);
        // A line from before the companion (out of order) is not its follower.
        assert_eq!(run(&[(C, 100_000), (Role::Main, 0)]), 2);
        assert_eq!(run(&[(C, 0), (D, 3)]), 2);
        assert_eq!(Role::of_rule(4, 0), Role::Main);
        assert_eq!(Role::of_rule(4, 3), Role::Companion { window: 3, rule: 4 });
    }
}
