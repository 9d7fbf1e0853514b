//! The dry-run backend: one line per decision on a writer (stdout in the daemon).
//!
//! `ban JAIL ADDR SECONDS` (`-1` for a permanent ban) and `unban JAIL ADDR`, where ADDR is the
//! [`Host`] display form and SECONDS what the ban has left by the log's clock (a replayed
//! log's old bans are shown as decided, though a kernel would no longer hold them), and `flush` for a release of
//! everything. Tests and users replaying a log diff these lines.

use super::{Ban, Error, Firewall};
use crate::addr::Host;
use std::io::Write;

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

impl<W: Write> Firewall for DryRun<W> {
    fn init(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn block(&mut self, ban: &Ban) -> Result<(), Error> {
        let secs = ban.left.map_or(-1, i64::from);
        writeln!(self.out, "ban {} {} {}", ban.jail, ban.host, secs).map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
    }

    fn release(&mut self, jail: &str, host: Host) -> Result<(), Error> {
        writeln!(self.out, "unban {jail} {host}").map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
    }

    fn flush(&mut self) -> Result<(), Error> {
        writeln!(self.out, "flush").map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
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
        let out = String::from_utf8(fw.into_inner()).unwrap();
        assert_eq!(
            out,
            "ban dropbear 203.0.113.9 3600\nban sshd 2001:db8:bad::/64 -1\nban dropbear 203.0.113.9 600\nunban dropbear 203.0.113.9\n"
        );
    }
}
