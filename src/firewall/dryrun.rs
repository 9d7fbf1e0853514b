//! The dry-run backend: one line per decision on a writer (stdout in the daemon).
//!
//! `ban JAIL ADDR SECONDS` (`-1` for a permanent ban) and `unban JAIL ADDR`, where ADDR is the
//! [`Host`] display form and SECONDS what the ban has left by the log's clock (a replayed
//! log's old bans are shown as decided, though a kernel would no longer hold them), and
//! `flush` for a release of everything. A manual unban of an address, which a kernel backend
//! applies to every element overlapping it whichever jail put it there, is `unban * ADDR`.
//! The dry run holds nothing ([`Firewall::held`] is empty, [`Firewall::lift`] removes nothing)
//! and refuses nothing. Tests and users replaying a log diff these lines.
//!
//! Each line is put together on the stack with `ufmt` (small code, no `core::fmt` machinery
//! for the numbers) and written with one call.

use super::{Ban, Error, Firewall};
use crate::addr::Host;
use std::io::Write;
use ufmt::uwriteln;

/// Longest line: `unban` + a 32-byte jail + a 43-byte IPv6 prefix + a number.
const LINE: usize = 128;

/// One output line on the stack.
struct Line(heapless::Vec<u8, LINE>);

impl ufmt::uWrite for Line {
    type Error = ();
    fn write_str(&mut self, s: &str) -> Result<(), ()> {
        self.0.extend_from_slice(s.as_bytes()).map_err(|_| ())
    }
}

/// A host's display form (`203.0.113.9`, `2001:db8:bad::/64`) without allocating.
fn text(host: Host) -> heapless::String<48> {
    let mut s = heapless::String::new();
    let _ = core::fmt::write(&mut s, format_args!("{host}"));
    s
}

pub struct DryRun<W: Write> {
    out: W,
}

impl<W: Write> DryRun<W> {
    pub fn new(out: W) -> Self {
        DryRun { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> DryRun<W> {
    fn emit(&mut self, line: Result<Line, ()>) -> Result<(), Error> {
        let line = line.map_err(|()| Error::Output)?;
        self.out.write_all(&line.0).map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
    }
}

fn line(f: impl FnOnce(&mut Line) -> Result<(), ()>) -> Result<Line, ()> {
    let mut l = Line(heapless::Vec::new());
    f(&mut l).map(|()| l)
}

impl<W: Write> Firewall for DryRun<W> {
    fn init(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn block(&mut self, ban: &Ban) -> Result<(), Error> {
        let secs = ban.left.map_or(-1, i64::from);
        let host = text(ban.host);
        self.emit(line(|l| {
            uwriteln!(l, "ban {} {} {}", ban.jail.as_str(), host.as_str(), secs)
        }))
    }

    fn release(&mut self, jail: &str, host: Host) -> Result<(), Error> {
        let host = text(host);
        self.emit(line(|l| uwriteln!(l, "unban {} {}", jail, host.as_str())))
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.emit(line(|l| uwriteln!(l, "flush")))
    }

    fn lift(&mut self, host: Host) -> Result<Vec<Host>, Error> {
        self.release("*", host).map(|()| Vec::new())
    }

    fn fin(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|_| Error::Output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_decisions() {
        let mut fw = DryRun::new(Vec::new());
        let h4 = Host::new("203.0.113.9".parse().unwrap(), 64);
        let h6 = Host::new("2001:db8:bad::7".parse().unwrap(), 64);
        fw.block(&Ban::new("dropbear", h4, Some(3600))).unwrap();
        fw.block(&Ban::new("sshd", h6, None)).unwrap();
        // An old line's ban: over for the kernel, shown as decided.
        let old = Ban {
            timeout: Some(0),
            ..Ban::new("dropbear", h4, Some(600))
        };
        fw.block(&old).unwrap();
        fw.release("dropbear", h4).unwrap();
        assert_eq!(fw.lift(h6).unwrap(), []);
        assert_eq!(fw.lift_all().unwrap(), 0);
        assert_eq!(fw.held().unwrap(), []);
        let out = String::from_utf8(fw.into_inner()).unwrap();
        assert_eq!(
            out,
            "ban dropbear 203.0.113.9 3600\nban sshd 2001:db8:bad::/64 -1\nban dropbear 203.0.113.9 600\nunban dropbear 203.0.113.9\nunban * 2001:db8:bad::/64\nflush\n"
        );
    }

    #[test]
    fn the_longest_line_fits() {
        let mut fw = DryRun::new(Vec::new());
        let jail = "j".repeat(32);
        let h = Host::new("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(), 128);
        fw.block(&Ban::new(&jail, h, Some(u32::MAX))).unwrap();
        fw.release(&jail, h).unwrap();
        let out = String::from_utf8(fw.into_inner()).unwrap();
        assert_eq!(out, format!("ban {jail} {h} 4294967295\nunban {jail} {h}\n"),);
    }
}
