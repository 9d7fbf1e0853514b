//! `logjail run`: load the configuration, build the daemon, run the event loop.

use crate::addr::Cidr;
use crate::cli::RunArgs;
use crate::cmd::startup;
use crate::config::{self, Config};
use crate::daemon::event_loop::{self, Exit};
use crate::daemon::{Daemon, Now};
use crate::firewall::dryrun::DryRun;
use crate::firewall::{Ban, Firewall};
use crate::jail::recidive;
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
    let mut svc = match startup::services(&config, &mut daemon, fw.as_mut(), args.dry_run) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e}");
            eprintln!("logjail: {e}");
            return 1;
        }
    };
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
    let mut current = config;
    loop {
        match event_loop::run(&mut daemon, &mut source, fw.as_mut(), &sig, &mut svc) {
            Exit::Stop | Exit::SourceEnded => break,
            Exit::Reload => {
                let (d, outcome) = reload(path, daemon, fw.as_mut(), seed, args.dry_run);
                daemon = d;
                let outcome = match outcome {
                    Ok(new) => {
                        if !args.dry_run && firewall_moved(&current, &new) {
                            fw = move_firewall(fw, &new, &daemon);
                        }
                        current = new;
                        Ok(daemon.jails.len())
                    }
                    Err(e) => Err(e),
                };
                startup::answer_reload(&mut svc, outcome);
                if let Some(k) = svc.keeper.as_mut() {
                    k.mark();
                }
            }
        }
    }
    if let Some(k) = svc.keeper.as_mut() {
        k.shutdown(&daemon, Now::read());
    }
    drop(svc);
    if let Err(e) = fw.fin() {
        log::error!("firewall: {e}");
    }
    for j in &daemon.jails {
        let s = j.stats();
        log::info!(
            "{}: {} failures, {} bans, {} ignored; evicted {} failing, {} banned, {} offenders",
            j.name,
            s.failed_total,
            s.banned_total,
            s.ignored_total,
            s.evicted_failures,
            s.evicted_bans,
            s.evicted_offenders
        );
    }
    log::info!(
        "stopped: {} lines, {} matched",
        daemon.counters.lines,
        daemon.counters.matched
    );
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
/// configuration the old daemon goes on, with why (for the control client that asked). Repeat-offender records move
/// with their jail.
fn reload(
    path: &Path,
    mut old: Daemon,
    fw: &mut dyn Firewall,
    seed: u64,
    dry_run: bool,
) -> (Daemon, Result<Config, String>) {
    let config = match load(path) {
        Ok(c) => c,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return (old, Err(e.to_string()));
        }
    };
    let mut new = match Daemon::new(&config, &own_addresses(), seed, dry_run) {
        Ok(d) => d,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return (old, Err(format!("{}: {e}", path.display())));
        }
    };
    log::set_max_level(config.main.loglevel.max(log::max_level()));
    for d in new.adopt_recidive(&mut old) {
        log::info!(
            "{}: lifting the ban of {} (recidive turned off)",
            recidive::NAME,
            d.host
        );
        if let Err(e) = fw.release(&Ban {
            jail: recidive::NAME,
            host: d.host,
            timeout: None,
        }) {
            log::error!("{}: unban {}: {e}", recidive::NAME, d.host);
        }
    }
    for oj in &old.jails {
        let target = new.jails.iter().position(|j| j.name == oj.name);
        if let Some(i) = target {
            let records: Vec<_> = oj.offenders().map(|(h, o)| (*h, *o)).collect();
            for (h, o) in records.into_iter().rev() {
                new.jails[i].restore_offender(h, o);
            }
        }
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
    (new, Ok(config))
}

/// The reloaded configuration names another table or other sets.
fn firewall_moved(old: &Config, new: &Config) -> bool {
    let (a, b) = (&old.main, &new.main);
    (&a.family, &a.table, &a.set_v4, &a.set_v6, a.standalone)
        != (&b.family, &b.table, &b.set_v4, &b.set_v6, b.standalone)
}

/// Moves every active ban to the table and sets the reloaded configuration names. The bans
/// are lifted from the old sets (a renamed set must not keep blocking) and installed in the new
/// ones with the time they have left. If the new backend cannot be set up, the old one stays.
fn move_firewall(mut old: Box<dyn Firewall>, config: &Config, daemon: &Daemon) -> Box<dyn Firewall> {
    let m = &config.main;
    let mut new = match kernel_firewall(config).and_then(|mut fw| fw.init().map(|()| fw)) {
        Ok(fw) => fw,
        Err(e) => {
            log::error!(
                "reload: table {} {} / sets {}, {}: {e}; bans stay where they are",
                m.family,
                m.table,
                m.set_v4,
                m.set_v6
            );
            return old;
        }
    };
    let bans = daemon.active_bans(clock::wall());
    for b in &bans {
        if let Err(e) = old.release(b) {
            log::warn!("reload: lifting {} from the old set: {e}", b.host);
        }
    }
    let _ = old.fin();
    if let Err(e) = new.block_many(&bans) {
        log::error!("reload: installing {} bans in the new sets: {e}", bans.len());
    }
    log::info!(
        "reload: {} active bans moved to table {} {} (sets {}, {})",
        bans.len(),
        m.family,
        m.table,
        m.set_v4,
        m.set_v6
    );
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
    let m = &config.main;
    let settings = crate::firewall::nft::Settings {
        family: m.family.clone(),
        table: m.table.clone(),
        set_v4: m.set_v4.clone(),
        set_v6: m.set_v6.clone(),
        standalone: m.standalone,
    };
    Ok(Box::new(crate::firewall::nft::Nft::new(&settings)?))
}
