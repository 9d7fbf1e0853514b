//! The dry-run backend: one line per decision on a writer (stdout in the daemon).
//!
//! `ban JAIL ADDR SECONDS` (`-1` for a permanent ban) and `unban JAIL ADDR`, where ADDR is the
//! [`Host`](crate::addr::Host) display form. Tests and users replaying a log diff these lines.

use super::{Ban, Error, Firewall};
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

    fn block(&mut self, ban: &Ban<'_>) -> Result<(), Error> {
        let secs = ban.timeout.map_or(-1, i64::from);
        writeln!(self.out, "ban {} {} {}", ban.jail, ban.host, secs).map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
    }

    fn release(&mut self, ban: &Ban<'_>) -> Result<(), Error> {
        writeln!(self.out, "unban {} {}", ban.jail, ban.host).map_err(|_| Error::Output)?;
        self.out.flush().map_err(|_| Error::Output)
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn fin(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|_| Error::Output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::Host;

    #[test]
    fn prints_decisions() {
        let mut fw = DryRun::new(Vec::new());
        let h4 = Host::new("203.0.113.9".parse().unwrap(), 64);
        let h6 = Host::new("2001:db8:bad::7".parse().unwrap(), 64);
        fw.block(&Ban {
            jail: "dropbear",
            host: h4,
            timeout: Some(3600),
        })
        .unwrap();
        fw.block(&Ban {
            jail: "sshd",
            host: h6,
            timeout: None,
        })
        .unwrap();
        fw.release(&Ban {
            jail: "dropbear",
            host: h4,
            timeout: None,
        })
        .unwrap();
        let out = String::from_utf8(fw.into_inner()).unwrap();
        assert_eq!(
            out,
            "ban dropbear 203.0.113.9 3600\nban sshd 2001:db8:bad::/64 -1\nunban dropbear 203.0.113.9\n"
        );
    }
}
