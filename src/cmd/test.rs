//! `logjail test FILTER LOGFILE|-`: runs one filter over a log, like fail2ban-regex.
//!
//! FILTER may also be several, comma-separated (`dropbear,luci`), or `all` (every built-in
//! filter): each line then goes through every filter that applies to its program, as in the
//! daemon, and counts once, for the first filter that matched it; `--print-matched` names the
//! filter of each match.
//!
//! Lines are read with the daemon's bounded splitter, split with [`crate::line::parse`],
//! dispatched by program exactly as the daemon does, and checked. The report counts lines read,
//! matched and ignored, and offenders as a jail would count them: IPv4 addresses as they are,
//! IPv6 under their /64. The offender table has a fixed capacity ([`HOSTS`]); once it is full,
//! matches of further offenders are added up under `other`.
//!
//! Hosts are counted per attempt, as a jail counts them: the lines a filter marks as one
//! attempt's (`failregex[companion=SECS]`, see [`crate::jail::attempt`]) count once.
//!
//! `--json` prints exactly one object, `{"lines":N,"matched":N,"ignored":N,"hosts":{"ADDR":N}}`,
//! with `"other":N` among the hosts only when the table overflowed. With `--json` the
//! `--print-*` lines go to standard error, so standard output stays one object.

use crate::addr::Host;
use crate::cmd::cli::TestArgs;
use crate::filter::dispatch::Dispatch;
use crate::filter::{self, Filter, Outcome};
use crate::jail::attempt::{Attempt, Pending, Role};
use crate::source::lines::Lines;
use heapless::index_map::FnvIndexMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Distinct offenders counted one by one (a power of two, as heapless requires).
pub const HOSTS: usize = 4096;

/// IPv6 offenders are counted under this prefix, as jails do by default.
const V6_PREFIX: u8 = 64;

pub fn run(args: &TestArgs) -> i32 {
    let dir = filter_dir(&args.config);
    if args.list {
        return list();
    }
    // The positionals are greedy (so that `-` is a positional, not an unknown option): switches
    // written after FILTER arrive here.
    let mut opts = Options {
        json: args.json,
        print_missed: args.print_missed,
        print_matched: args.print_matched,
    };
    let mut positional = Vec::new();
    let mut mode = args.mode.clone();
    let mut programs = args.program.clone();
    let mut rest = args.args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--json" => opts.json = true,
            "--print-missed" => opts.print_missed = true,
            "--print-matched" => opts.print_matched = true,
            "--mode" | "--program" => {
                let Some(value) = rest.next() else {
                    eprintln!("logjail test: {a} needs a value");
                    return 1;
                };
                if a == "--mode" {
                    mode = Some(value.clone());
                } else {
                    programs.push(value.clone());
                }
            }
            _ => positional.push(a.as_str()),
        }
    }
    let [filter_name, input] = positional.as_slice() else {
        eprintln!(
            "usage: logjail test [-c CONFIG] [--json] [--print-missed] [--print-matched] [--mode MODE] [--program NAME]... FILTER[,FILTER...]|all LOGFILE|-"
        );
        eprintln!("       logjail test --list");
        return 1;
    };
    let names: Vec<&str> = if *filter_name == "all" {
        filter::builtin::names().collect()
    } else {
        filter_name.split(',').filter(|n| !n.is_empty()).collect()
    };
    let mut options = filter::Options {
        programs,
        ..filter::Options::default()
    };
    if let Some(m) = mode {
        match m.parse() {
            Ok(m) => options.mode = m,
            Err(e) => {
                eprintln!("logjail test: --mode: {e}");
                return 1;
            }
        }
    }
    let several = names.len() > 1;
    let mut filters = Vec::with_capacity(names.len());
    for name in names {
        // With several filters, one without the mode asked for runs in `normal`.
        let loaded = match filter::load_with(name, &dir, &options) {
            Err(filter::FilterError::Mode { .. }) if several => {
                let normal = filter::Options {
                    mode: filter::Mode::Normal,
                    programs: options.programs.clone(),
                };
                filter::load_with(name, &dir, &normal)
            }
            other => other,
        };
        match loaded {
            Ok(f) => filters.push(f),
            Err(e) => {
                eprintln!("logjail test: {e}");
                return 1;
            }
        }
    }
    let reader: Box<dyn Read> = if *input == "-" {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(input) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("logjail test: {input}: {e}");
                return 1;
            }
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let trace: &mut dyn Write = if opts.json { &mut err } else { &mut out };
    let report = match scan(&filters, reader, crate::clock::wall(), &opts, trace) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("logjail test: {input}: {e}");
            return 1;
        }
    };
    let text = if opts.json {
        report.json()
    } else {
        report.text(&filters)
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("logjail test: writing the report: {e}");
            1
        }
    }
}

/// The filter directory: `filter_dir` of the configuration when the file exists, else the
/// default. A configuration that does not load is reported and the default used: testing a
/// filter should not need a working daemon setup.
fn filter_dir(config: &str) -> PathBuf {
    let default = crate::config::Main::default().filter_dir;
    let path = std::path::Path::new(config);
    if !path.exists() {
        return default;
    }
    match crate::config::load::load(path) {
        Ok(loaded) => loaded.config.main.filter_dir,
        Err(e) => {
            eprintln!(
                "logjail test: {e}; using the filter directory {}",
                default.display()
            );
            default
        }
    }
}

fn list() -> i32 {
    for name in filter::builtin::names() {
        let text = filter::builtin::text(name).unwrap_or_default();
        match Filter::parse(name, &text) {
            Ok(f) => println!("{name:<16} programs: {}", f.programs().join(" ")),
            Err(e) => println!("{name:<16} broken: {e}"),
        }
    }
    0
}

/// How to report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub json: bool,
    pub print_missed: bool,
    pub print_matched: bool,
}

/// What a run found.
pub struct Report {
    pub lines: u64,
    pub matched: u64,
    pub ignored: u64,
    /// Attempts per host, and the attempt its last companion line announced.
    pub hosts: Box<FnvIndexMap<Host, (u64, Pending), HOSTS>>,
    /// Matches of offenders that found the table full.
    pub other: u64,
}

impl Report {
    fn new() -> Report {
        Report {
            lines: 0,
            matched: 0,
            ignored: 0,
            hosts: Box::default(),
            other: 0,
        }
    }

    /// Counts a line of `host` at `time` as a jail does: a further line of an attempt counted
    /// already ([`crate::jail::attempt`]) is not counted again.
    fn count(&mut self, host: Host, role: Role, time: i64) {
        if let Some((n, pending)) = self.hosts.get_mut(&host) {
            if pending.judge(role, time) == Attempt::New {
                *n += 1;
            }
            return;
        }
        let mut pending = Pending::default();
        pending.judge(role, time);
        if self.hosts.insert(host, (1, pending)).is_err() {
            self.other += 1;
        }
    }

    /// Hosts by address.
    fn sorted(&self) -> Vec<(Host, u64)> {
        let mut v: Vec<_> = self.hosts.iter().map(|(h, (n, _))| (*h, *n)).collect();
        v.sort_unstable();
        v
    }

    pub fn json(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "{{\"lines\":{},\"matched\":{},\"ignored\":{},\"hosts\":{{",
            self.lines, self.matched, self.ignored
        );
        let mut sep = "";
        for (h, n) in self.sorted() {
            s.push_str(sep);
            let _ = crate::json::string(&mut s, &h.to_string());
            let _ = write!(s, ":{n}");
            sep = ",";
        }
        if self.other > 0 {
            let _ = write!(s, "{sep}\"other\":{}", self.other);
        }
        s.push_str("}}\n");
        s
    }

    pub fn text(&self, filters: &[Filter]) -> String {
        let mut s = String::new();
        for filter in filters {
            let programs = match filter.programs() {
                [] => "any".to_owned(),
                p => p.join(" "),
            };
            let _ = writeln!(s, "filter:  {} (programs: {programs})", filter.name());
        }
        let missed = self.lines - self.matched - self.ignored;
        let _ = writeln!(
            s,
            "lines:   {} read, {} matched, {} ignored, {missed} missed",
            self.lines, self.matched, self.ignored
        );
        let mut hosts = self.sorted();
        hosts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(s, "hosts:   {}", hosts.len());
        for (h, n) in hosts {
            let _ = writeln!(s, "  {:<24} {n}", h.to_string());
        }
        if self.other > 0 {
            let _ = writeln!(
                s,
                "  {:<24} {} (the table of {HOSTS} offenders was full)",
                "other", self.other
            );
        }
        s
    }
}

/// Runs `filters` over every line of `input`: each line is parsed once and checked by every
/// filter that applies to its program; it counts once, as the first match (or ignore) found
/// it. `trace` receives the `--print-*` lines; with more than one filter they name it.
pub fn scan(
    filters: &[Filter],
    mut input: impl Read,
    now: i64,
    args: &Options,
    trace: &mut dyn Write,
) -> io::Result<Report> {
    let mut report = Report::new();
    let mut lines = Lines::new();
    let named = filters.len() > 1;
    let dispatch = Dispatch::new(filters);
    let mut one = |raw: &[u8], report: &mut Report| -> io::Result<()> {
        report.lines += 1;
        let line = crate::line::parse(raw, now);
        let mut first: Option<(Outcome, usize)> = None;
        for fi in dispatch.filters(line.program) {
            let filter = &filters[fi];
            let outcome = filter.check(line.message);
            let by = if named { filter.name() } else { "" };
            let sp = if named { " " } else { "" };
            match outcome {
                Outcome::Match(m) => {
                    if args.print_matched {
                        let rule = filter.rule(m.rule).unwrap_or("");
                        let raw = crate::bytes::Shown(raw);
                        writeln!(trace, "MATCH {}{sp}{by} rule {} `{rule}` | {raw}", m.addr, m.rule)?;
                    }
                }
                Outcome::Ignored => {
                    if args.print_matched {
                        writeln!(trace, "IGNORED{sp}{by} | {}", crate::bytes::Shown(raw))?;
                    }
                }
                Outcome::NoMatch => continue,
            }
            first.get_or_insert((outcome, fi));
        }
        match first {
            Some((Outcome::Match(m), fi)) => {
                report.matched += 1;
                let role = filters[fi].role(m.rule);
                report.count(Host::new(m.addr, V6_PREFIX), role, line.time.unwrap_or(now));
            }
            Some((Outcome::Ignored, _)) => report.ignored += 1,
            _ if args.print_missed => {
                writeln!(trace, "MISS | {}", crate::bytes::Shown(raw))?;
            }
            _ => {}
        }
        Ok(())
    };
    loop {
        let n = match lines.fill(&mut input) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        while let Some(raw) = lines.next_line() {
            one(raw, &mut report)?;
        }
        if n == 0 {
            break;
        }
    }
    if let Some(raw) = lines.finish() {
        one(raw, &mut report)?;
    }
    Ok(report)
}

#[cfg(test)]
#[path = "test_tests.rs"]
mod tests;
