//! How the engine says what it does: the log line of a ban's length and of a release, and the
//! one place a release is logged and pushed.

use super::Action;
use crate::addr::Host;
use crate::firewall::jail_name;
use core::fmt;

/// How long a ban lasts, as the log says it: `for 600s` or `permanently` (formatted in place,
/// without a `String` per ban).
pub(super) struct Lasting(pub(super) Option<u32>);

impl fmt::Display for Lasting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "for {s}s"),
            None => f.write_str("permanently"),
        }
    }
}

/// Why a ban is lifted, as the log line says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Why {
    Expired,
    Manual,
    /// A reload removed the jail or now ignores the host.
    Reload,
    /// A reload turned recidive off.
    RecidiveOff,
    /// A saved ban whose jail is gone or whose host is now ignored.
    Saved,
    /// The router now has an address the ban covers.
    Own,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Why::Expired => "",
            Why::Manual => " (manual)",
            Why::Reload => " (jail removed or host now ignored)",
            Why::RecidiveOff => " (recidive turned off)",
            Why::Saved => " (saved ban; jail removed or host now ignored)",
            Why::Own => " (it covers one of the router's own addresses now)",
        })
    }
}

/// Logs and pushes the release of `host` from `jail`: the one place a ban is lifted.
pub(super) fn release(out: &mut Vec<Action>, jail: &str, host: Host, why: Why) {
    log::info!("{jail}: unban {host}{why}");
    out.push(Action::Release {
        jail: jail_name(jail),
        host,
    });
}
