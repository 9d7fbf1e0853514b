//! `logjail run`: load the configuration, build the daemon, run the event loop.

use crate::addr::Cidr;
use crate::cli::RunArgs;
use crate::config::{self, Config};
use crate::daemon::event_loop::{self, Exit};
use crate::daemon::Daemon;
use crate::firewall::dryrun::DryRun;
use crate::firewall::{Ban, Firewall};
use crate::source::{Source, Spec};
use crate::{clock, logging};
use std::path::Path;

pub fn run(args: &RunArgs) -> i32 {
    let path = Path::new(&args.config);
    let config = match load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("logjail: {e}");
            return 1;
        }
    };
    let level = if args.verbose {
        log::LevelFilter::Debug
    } else {
        config.main.loglevel
    };
    logging::init(args.foreground, level);

    let own = own_addresses();
    let seed = seed();
    let mut daemon = match Daemon::new(&config, &own, seed, args.dry_run) {
        Ok(d) => d,
        Err(e) => {
            log::error!("{}: {e}", path.display());
            eprintln!("logjail: {}: {e}", path.display());
            return 1;
        }
    };
    let mut fw: Box<dyn Firewall> = if args.dry_run {
        Box::new(DryRun::new(std::io::stdout()))
    } else {
        match kernel_firewall(&config) {
            Ok(fw) => fw,
            Err(e) => {
                log::error!("firewall: {e}");
                eprintln!("logjail: firewall: {e}");
                return 1;
            }
        }
    };
    if let Err(e) = fw.init() {
        log::error!("firewall: {e}");
        eprintln!("logjail: firewall: {e}");
        return 1;
    }
    let sig = match event_loop::signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("logjail: signals: {e}");
            return 1;
        }
    };
    let spec = Spec::parse(args.source.as_deref().unwrap_or(&config.main.source));
    let mut source = match Source::open(&spec) {
        Ok(s) => s,
        Err(e) => {
            log::error!("source: {e}");
            eprintln!("logjail: source: {e}");
            return 1;
        }
    };
    log::info!("started: {} jails, source {:?}", daemon.jails.len(), spec);
    loop {
        match event_loop::run(&mut daemon, &mut source, fw.as_mut(), &sig) {
            Exit::Stop | Exit::SourceEnded => break,
            Exit::Reload => daemon = reload(path, daemon, fw.as_mut(), seed, args.dry_run),
        }
    }
    if let Err(e) = fw.fin() {
        log::error!("firewall: {e}");
    }
    log::info!("stopped");
    0
}

fn load(path: &Path) -> Result<Config, config::ConfigError> {
    let loaded = config::load(path)?;
    for w in &loaded.warnings {
        eprintln!("logjail: warning: {w}");
    }
    Ok(loaded.config)
}

/// Builds a daemon from the reloaded configuration and moves the running bans over. Jails that
/// are gone, and hosts that the new ignore lists cover, have their bans lifted. On a broken
/// configuration the old daemon goes on.
fn reload(path: &Path, old: Daemon, fw: &mut dyn Firewall, seed: u64, dry_run: bool) -> Daemon {
    let config = match load(path) {
        Ok(c) => c,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return old;
        }
    };
    let mut new = match Daemon::new(&config, &own_addresses(), seed, dry_run) {
        Ok(d) => d,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return old;
        }
    };
    log::set_max_level(config.main.loglevel.max(log::max_level()));
    for oj in &old.jails {
        let target = new.jails.iter().position(|j| j.name == oj.name);
        for d in oj.bans() {
            match target {
                Some(i) if !new.jails[i].is_ignored(&d.host) => new.jails[i].restore(*d),
                _ => {
                    log::info!(
                        "{}: lifting the ban of {} (jail removed or host now ignored)",
                        oj.name,
                        d.host
                    );
                    if let Err(e) = fw.release(&Ban {
                        jail: &oj.name,
                        host: d.host,
                        timeout: None,
                    }) {
                        log::error!("{}: unban {}: {e}", oj.name, d.host);
                    }
                }
            }
        }
    }
    new.counters = old.counters;
    log::info!("reloaded: {} jails", new.jails.len());
    new
}

fn own_addresses() -> Vec<Cidr> {
    config::selfaddr::addresses()
}

/// A per-process seed for the jail tables' hashes.
fn seed() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)) {
        Ok(()) => u64::from_ne_bytes(b),
        Err(_) => (clock::wall() as u64) ^ (u64::from(std::process::id()) << 32) ^ clock::mono_ms(),
    }
}

fn kernel_firewall(config: &Config) -> Result<Box<dyn Firewall>, crate::firewall::Error> {
    Ok(Box::new(crate::firewall::nft::Nft::new(&config.main)?))
}
