//! `logjail check [-c FILE]`: validate the configuration and print what will be in effect.
//!
//! Exit status 0 when the configuration loads (warnings go to stderr and do not fail the
//! check), 1 when it does not; the error is printed to stderr as `file:line: what is wrong`.
//! On success stdout shows the main section and one block per jail with every effective
//! value, defaults included, so a user sees exactly what the daemon will do.

use crate::addr::Cidr;
use crate::cmd::cli::CheckArgs;
use crate::config::value::Duration;
use crate::config::{self, selfaddr, Config, JailConfig, Main};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

pub fn run(args: &CheckArgs) -> i32 {
    let loaded = match config::load(Path::new(&args.config)) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let mut bad = false;
    for jail in &loaded.config.jails {
        let dir = &loaded.config.main.filter_dir;
        if let Err(e) = crate::filter::load_with(&jail.filter, dir, &jail.filter_options()) {
            let line = jail.line_of(&e);
            eprintln!("{}:{line}: jail '{}': {e}", args.config, jail.name);
            bad = true;
        }
    }
    if bad {
        return 1;
    }
    let own = selfaddr::addresses();
    let text = render(&args.config, &loaded.config, &own);
    // A closed stdout (`logjail check | head`) is not an error of the configuration.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    0
}

/// The report printed on success. `own` is listed when a jail uses `ignoreself`.
pub fn render(file: &str, config: &Config, own: &[Cidr]) -> String {
    let mut out = String::new();
    let enabled = config.jails.iter().filter(|j| j.enabled).count();
    let _ = writeln!(out, "# {file}: configuration OK");
    let _ = writeln!(
        out,
        "# {} jails: {enabled} enabled, {} disabled\n",
        config.jails.len(),
        config.jails.len() - enabled
    );
    main_block(&mut out, &config.main);
    for jail in &config.jails {
        out.push('\n');
        jail_block(&mut out, jail);
    }
    if let Some(c) = &config.crowdsec {
        out.push('\n');
        crowdsec_block(&mut out, c);
    }
    if config.jails.iter().any(|j| j.ignoreself) {
        let _ = writeln!(out, "\n# ignoreself: the router's own addresses, never banned");
        let _ = writeln!(out, "#   {}", list(own));
    }
    out
}

fn main_block(out: &mut String, m: &Main) {
    let _ = writeln!(out, "main");
    let persistent = match &m.state_file_persistent {
        Some(p) => p.display().to_string(),
        None => "(none)".into(),
    };
    let all_jails = match m.ignoreip.as_slice() {
        [] => list(&m.ignoreip),
        some => format!("{} (all jails)", list(some)),
    };
    let rows: [(&str, String); 13] = [
        ("source", m.source.clone()),
        ("loglevel", m.loglevel.as_str().to_ascii_lowercase()),
        ("state_file", m.state_file.display().to_string()),
        ("state_file_persistent", persistent),
        ("persist_interval", Duration(Some(m.persist_interval)).to_string()),
        ("control_socket", m.control_socket.display().to_string()),
        ("filter_dir", m.filter_dir.display().to_string()),
        ("family", m.family.clone()),
        ("table", m.table.clone()),
        ("set_v4", m.set_v4.clone()),
        ("set_v6", m.set_v6.clone()),
        ("standalone", yes_no(m.standalone)),
        ("ignoreip", all_jails),
    ];
    table(out, &rows);
}

fn jail_block(out: &mut String, j: &JailConfig) {
    let state = if j.enabled { "enabled" } else { "disabled" };
    let _ = writeln!(out, "jail {} ({state})", j.name);
    let bantime_max = match j.bantime_max {
        None => "none".into(),
        max => Duration(max).to_string(),
    };
    let programs = match j.programs.as_slice() {
        [] => "(the filter's own)".to_string(),
        some => some.join(" "),
    };
    let rows: [(&str, String); 15] = [
        ("enabled", yes_no(j.enabled)),
        ("filter", j.filter.clone()),
        ("mode", j.mode.to_string()),
        ("program", programs),
        ("maxretry", j.maxretry.to_string()),
        ("findtime", Duration(Some(j.findtime)).to_string()),
        ("bantime", Duration(j.bantime).to_string()),
        ("bantime_factor", j.bantime_factor.to_string()),
        ("bantime_max", bantime_max),
        ("ignoreip", list(&j.ignoreip)),
        ("ignoreself", yes_no(j.ignoreself)),
        ("ipv6_prefix", j.ipv6_prefix.to_string()),
        ("max_failures", j.max_failures.to_string()),
        ("max_bans", j.max_bans.to_string()),
        ("max_offenders", j.max_offenders.to_string()),
    ];
    table(out, &rows);
}

/// `config crowdsec`, secrets shown as `(set)` only.
fn crowdsec_block(out: &mut String, c: &crate::config::crowdsec::CrowdSec) {
    let state = if c.enabled { "enabled" } else { "disabled" };
    let _ = writeln!(out, "crowdsec ({state})");
    let set = |s: bool| if s { "(set)" } else { "(none)" }.to_string();
    let scopes: Vec<&str> = [(c.filter.ip, "ip"), (c.filter.range, "range")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
    let origins = if c.filter.origins.is_empty() {
        "(all)".to_string()
    } else {
        c.filter.origins.join(" ")
    };
    let rows: [(&str, String); 9] = [
        ("enabled", yes_no(c.enabled)),
        ("lapi_url", format!("http://{}", c.lapi)),
        ("api_key", set(!c.api_key.is_empty())),
        ("poll_interval", Duration(Some(c.poll_interval)).to_string()),
        ("scopes", scopes.join(" ")),
        ("origins", origins),
        ("max_decisions", c.max_decisions.to_string()),
        (
            "machine_id",
            c.machine_id.clone().unwrap_or_else(|| "(none)".into()),
        ),
        ("password", set(c.password.is_some())),
    ];
    table(out, &rows);
}

fn table(out: &mut String, rows: &[(&str, String)]) {
    for (name, value) in rows {
        let _ = writeln!(out, "  {name:<22} {value}");
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn list(c: &[Cidr]) -> String {
    if c.is_empty() {
        return "(none)".into();
    }
    c.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_value_of_main_and_jails() {
        let text = "config logjail 'main'\n\toption state_file_persistent '/etc/logjail.state'\n\
                    config jail 'dropbear'\n\toption bantime_factor 2\n\toption bantime_max 1w\n\
                    \tlist ignoreip 192.168.1.0/24\n\
                    config jail 'sshd'\n\toption enabled 0\n\toption bantime -1\n";
        let loaded = config::parse(text, "f").map_err(|e| e.to_string());
        let Ok(loaded) = loaded else {
            panic!("{loaded:?}");
        };
        let own = selfaddr::loopback();
        let out = render("f", &loaded.config, &own);
        for want in [
            "# f: configuration OK\n# 2 jails: 1 enabled, 1 disabled\n",
            "\nmain\n  source                 logread -f\n  loglevel               info\n",
            "  state_file_persistent  /etc/logjail.state\n",
            "  persist_interval       3600s (1h)\n",
            "  standalone             no\n  ignoreip               (none)\n",
            "\njail dropbear (enabled)\n  enabled                yes\n  filter                 dropbear\n",
            "  maxretry               5\n  findtime               600s (10m)\n",
            "  bantime                3600s (1h)\n  bantime_factor         2\n",
            "  bantime_max            604800s (1w)\n  ignoreip               192.168.1.0/24\n",
            "  ignoreself             yes\n  ipv6_prefix            64\n",
            "  max_failures           1024\n  max_bans               4096\n  max_offenders          4096\n",
            "\njail sshd (disabled)\n  enabled                no\n",
            "  bantime                permanent\n  bantime_factor         1\n  bantime_max            none\n",
            "#   127.0.0.0/8 ::1\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
    }
}
