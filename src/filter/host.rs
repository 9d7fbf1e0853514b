//! `<HOST>`: the placeholder a failregex puts where the offender's address stands.
//!
//! It expands to one named capture group matching every spelling [`crate::addr::parse_host`]
//! understands: IPv4 with an optional `:port`; `[v6]` with an optional zone and `:port`; bare
//! IPv6, with an optional zone, which also covers embedded IPv4 (`::ffff:1.2.3.4`) and dropbear's
//! unbracketed `v6:port`. The pattern is deliberately loose (a run of hex digits, colons and
//! dots): the captured text is handed to `parse_host`, which is strict, and a capture that is
//! not an address, or an address that cannot be an offender ([`crate::addr::can_offend`]:
//! `0.0.0.0`, broadcast, multicast, `::`…), makes the rule not match. What follows `<HOST>` in
//! a failregex settles any ambiguity by backtracking, e.g. dropbear's `<HOST>:\d+` leaves the
//! port out of the capture.

/// The placeholder as written in filter files.
pub const PLACEHOLDER: &str = "<HOST>";

/// Name of the capture group `<HOST>` becomes.
pub const GROUP: &str = "logjail_host";

/// What `<HOST>` expands to.
pub const PATTERN: &str = concat!(
    r"(?P<logjail_host>",
    r"\[[0-9A-Fa-f:.]+(?:%[0-9A-Za-z_.-]+)?\](?::\d{1,5})?",
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?",
    r"|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(?:%[0-9A-Za-z_.-]+)?",
    r")"
);

/// Why a pattern's `<HOST>` is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostError {
    Missing,
    Twice,
}

impl core::fmt::Display for HostError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            HostError::Missing => "failregex has no <HOST>",
            HostError::Twice => "<HOST> appears more than once",
        })
    }
}

/// Replaces the one `<HOST>` of `pattern`. `required` is true for failregex: a failure without
/// an offender is useless. An ignoreregex may have none.
pub fn expand(pattern: &str, required: bool) -> Result<String, HostError> {
    match pattern.matches(PLACEHOLDER).count() {
        0 if required => Err(HostError::Missing),
        0 => Ok(pattern.to_owned()),
        1 => Ok(pattern.replacen(PLACEHOLDER, PATTERN, 1)),
        _ => Err(HostError::Twice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::parse_host;
    use regex_lite::Regex;

    /// The capture of `<HOST>` in `pattern` on `text`, parsed.
    fn host(pattern: &str, text: &str) -> Option<String> {
        let re = Regex::new(&expand(pattern, true).unwrap()).unwrap();
        let caps = re.captures(text)?;
        parse_host(caps.name(GROUP)?.as_str().as_bytes()).map(|ip| ip.to_string())
    }

    #[test]
    fn matches_every_address_form() {
        let cases = [
            ("^from <HOST>$", "from 1.2.3.4", "1.2.3.4"),
            ("^from <HOST>$", "from 1.2.3.4:22", "1.2.3.4"),
            ("^from <HOST>:\\d+$", "from 1.2.3.4:22", "1.2.3.4"),
            ("^from <HOST>$", "from [2001:db8::1]:22", "2001:db8::1"),
            ("^from <HOST>$", "from [fe80::1%br-lan]:22", "fe80::1"),
            (
                "^from <HOST>$",
                "from 2001:db8::a11:beef:7ac0",
                "2001:db8::a11:beef:7ac0",
            ),
            ("^from <HOST>$", "from fe80::1%eth0", "fe80::1"),
            ("^from <HOST>:\\d+$", "from 2001:db8::7:54498", "2001:db8::7"),
            ("^from <HOST>:\\d+$", "from ::ffff:1.2.3.4:55990", "1.2.3.4"),
            ("^from <<HOST>>:", "from <::ffff:10.0.0.1:46154>: x", "10.0.0.1"),
            (
                "^from <HOST> port",
                "from 2001:db8::1%vbr1 port 22",
                "2001:db8::1",
            ),
            ("^from <HOST>$", "from ::1", "::1"),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(host(pattern, text).as_deref(), Some(want), "{pattern} on {text}");
        }
    }

    #[test]
    fn rejects_non_addresses() {
        for text in [
            "from example.com",
            "from 999.1.1.1",
            "from dead:beef:x",
            "from :",
            // Addresses, but not of a host: never an offender.
            "from ::",
            "from 0.0.0.0",
            "from 255.255.255.255",
            "from 224.0.0.251:5353",
            "from ff02::1%eth0",
            "from ::ffff:0.0.0.0",
        ] {
            assert_eq!(host("^from <HOST>$", text), None, "{text}");
        }
    }

    #[test]
    fn requires_exactly_one_placeholder() {
        assert_eq!(expand("^a$", true), Err(HostError::Missing));
        assert_eq!(expand("^a$", false).as_deref(), Ok("^a$"));
        assert_eq!(expand("<HOST> <HOST>", true), Err(HostError::Twice));
        assert_eq!(expand("<HOST> <HOST>", false), Err(HostError::Twice));
    }
}
