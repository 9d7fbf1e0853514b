//! `logjail run`: load the configuration, build the daemon, run the event loop.

use crate::addr::Cidr;
use crate::addrwatch::AddrWatch;
use crate::clock::{self, Now};
use crate::cmd::cli::RunArgs;
use crate::cmd::event_loop::{self, apply, Exit};
use crate::cmd::startup;
use crate::config::{self, Config};
use crate::engine::{Action, Engine};
use crate::firewall::dryrun::DryRun;
use crate::firewall::Firewall;
use crate::logging;
use crate::source::{Source, Spec};
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

    // Follow the router's addresses from here on; without the watcher, the list at start stays.
    let watch = match AddrWatch::open() {
        Ok(w) => Some(w),
        Err(e) => {
            log::warn!("cannot follow the router's addresses ({e}); ignoreself uses the addresses at start");
            None
        }
    };
    let own = own_addresses();
    let seed = seed();
    let mut engine = match Engine::new(&config, &own, seed) {
        Ok(d) => d,
        Err(e) => {
            let e = e.at(&path.display().to_string());
            log::error!("{e}");
            eprintln!("logjail: {e}");
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
    let mut svc = match startup::services(&config, &mut engine, fw.as_mut(), args.dry_run) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e}");
            eprintln!("logjail: {e}");
            return 1;
        }
    };
    svc.watch = watch;
    svc.lapi = lapi_client(&config);
    startup::adopt(&engine, fw.as_mut(), Now::read());
    let sig = match event_loop::signals() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("logjail: signals: {}", crate::bytes::OsError(e as i32));
            return 1;
        }
    };
    let spec = Spec::parse(args.source.as_deref().unwrap_or(&config.main.source))
        .with_history(config.main.history_lines);
    let mut source = match Source::open(&spec) {
        Ok(s) => s,
        Err(e) => {
            log::error!("source: {e}");
            eprintln!("logjail: source: {e}");
            return 1;
        }
    };
    log::info!("started: {} jails, source {spec}", engine.jails.len());
    let mut current = config;
    let mut actions: Vec<Action> = Vec::new();
    loop {
        match event_loop::run(&mut engine, &mut source, fw.as_mut(), &sig, &mut svc) {
            Exit::Stop | Exit::SourceEnded => break,
            Exit::Reload => {
                let now = Now::read();
                let own = svc
                    .watch
                    .as_ref()
                    .filter(|w| w.synced())
                    .map_or_else(own_addresses, AddrWatch::own);
                let (e, outcome) = reload(path, engine, &own, seed, now, &mut actions);
                engine = e;
                apply(&mut actions, fw.as_mut(), &mut engine, svc.keeper.as_mut());
                let outcome = match outcome {
                    Ok(new) => {
                        if !args.dry_run && firewall_moved(&current, &new) {
                            fw = move_firewall(fw, &new, &mut engine, now);
                        }
                        if new.crowdsec != current.crowdsec {
                            svc.lapi = lapi_client(&new);
                        }
                        current = new;
                        Ok(engine.jails.len())
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
        k.shutdown(&engine, Now::read());
    }
    drop(svc);
    if let Err(e) = fw.fin() {
        log::error!("firewall: {e}");
    }
    for j in &engine.jails {
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
        engine.counters.lines,
        engine.counters.matched
    );
    0
}

/// The LAPI client `config` asks for.
fn lapi_client(config: &Config) -> Option<crate::cmd::lapi_client::LapiClient> {
    let c = config.crowdsec.as_ref().filter(|c| c.enabled)?;
    Some(crate::cmd::lapi_client::LapiClient::new(c.clone()))
}

fn load(path: &Path) -> Result<Config, config::ConfigError> {
    let loaded = config::load(path)?;
    for w in &loaded.warnings {
        eprintln!("logjail: warning: {w}");
    }
    Ok(loaded.config)
}

/// Builds an engine from the reloaded configuration; the running one hands its bans over
/// ([`Engine::reload`]). On a broken configuration the old engine goes on, with why (for the
/// control client that asked).
fn reload(
    path: &Path,
    old: Engine,
    own: &[Cidr],
    seed: u64,
    now: Now,
    actions: &mut Vec<Action>,
) -> (Engine, Result<Config, String>) {
    let config = match load(path) {
        Ok(c) => c,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return (old, Err(e.to_string()));
        }
    };
    let new = match Engine::new(&config, own, seed) {
        Ok(d) => d,
        Err(e) => {
            log::error!("reload: {e}; keeping the running configuration");
            return (old, Err(e.at(&path.display().to_string())));
        }
    };
    log::set_max_level(config.main.loglevel.max(log::max_level()));
    (old.reload(new, now, actions), Ok(config))
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
fn move_firewall(
    mut old: Box<dyn Firewall>,
    config: &Config,
    engine: &mut Engine,
    now: Now,
) -> Box<dyn Firewall> {
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
    // Every active ban, refused ones included (the new sets may take them).
    let mut all = Vec::new();
    engine.reinstall(now, &mut all);
    let bans: Vec<crate::firewall::Ban> = all
        .into_iter()
        .filter_map(|a| match a {
            Action::Block { ban } => Some(ban),
            _ => None,
        })
        .collect();
    for b in &bans {
        if let Err(e) = old.release(&b.jail, b.host) {
            log::warn!("reload: lifting {} from the old set: {e}", b.host);
        }
    }
    let _ = old.fin();
    match new.block_report(&bans) {
        Ok(refused) => {
            for r in refused {
                if let Some(b) = bans.iter().find(|b| b.host == r.host) {
                    engine.refused(&b.jail, r.host, &r.reason);
                }
            }
        }
        Err(e) => log::error!("reload: installing {} bans in the new sets: {e}", bans.len()),
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
