//! Filters: which messages are failures, and whose.
//!
//! A filter is a compact text file (see [`format`]): the programs it applies to, `failregex`
//! rules with one `<HOST>` each (see [`host`]) and optional `ignoreregex` rules. [`Filter::check`]
//! takes one message (bytes, as the log gave them) and answers with an [`Outcome`]: the first
//! failregex that matches and whose `<HOST>` is an address wins, unless an ignoreregex matches
//! too. The per-message path allocates nothing: invalid UTF-8 is repaired in a stack buffer
//! ([`utf8`]), a literal [`prefilter`] keeps most messages away from any regex engine, anchored
//! patterns run on a small [`backtrack`]ing matcher (regex-lite's PikeVM is the fallback and the
//! reference), and regex-lite's captures land in locations allocated once per rule.
//!
//! Filters are written so that text an attacker controls (user names, URLs) cannot frame
//! another address: every shipped rule is anchored, and a greedy `.*` before the final
//! `from <HOST>` makes the last, server-written address the one captured. That holds only for
//! whole lines: the line splitter hands out no line that was cut, has a NUL or is unfinished
//! ([`crate::source::lines`]), and [`Filter::check`] refuses a message longer than
//! [`MAX_LINE`]. An address that is no host's (`0.0.0.0`, broadcast, multicast, `::`) is never
//! an offender ([`crate::addr::can_offend`]).
//!
//! Built-in filters ship inside the binary ([`builtin`]); [`load`] finds a filter by name or path,
//! [`load_with`] also applies a jail's [`Options`]: its [`Mode`] (which tagged rules count) and
//! extra program names.

pub mod backtrack;
pub mod builtin;
pub mod dispatch;
mod format;
pub mod host;
pub mod mode;
pub mod packed;
pub mod prefilter;
mod utf8;

pub use builtin::{load, load_with};
pub use mode::{Mode, Options};

use crate::bytes::MAX_LINE;
use crate::jail::attempt::Role;
use backtrack::Verdict;
use core::cell::OnceCell;
use core::cell::RefCell;
use core::fmt;
use core::net::IpAddr;
use prefilter::Prefilter;
use regex_lite::{CaptureLocations, Regex};

/// A failure found in a message: the offender and which `failregex` (0-based) found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub addr: IpAddr,
    pub rule: usize,
}

/// What a filter says about one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    NoMatch,
    /// A `failregex` matched but an `ignoreregex` did too.
    Ignored,
    Match(Match),
}

/// Why a filter could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterError {
    /// A problem in the text; `line` is 1-based, 0 for the file as a whole.
    Syntax { file: String, line: usize, what: String },
    /// Neither a filter file nor a built-in filter of that name.
    NotFound { name: String, dir: String },
    /// The file exists but could not be read.
    Io { path: String, error: String },
    /// A jail asked for a mode none of the filter's rules is tagged with.
    Mode {
        filter: String,
        mode: Mode,
        modes: Vec<Mode>,
    },
    /// An extra program name that no log tag can be.
    Program {
        filter: String,
        name: String,
        why: &'static str,
    },
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Syntax { file, line: 0, what } => write!(f, "{file}: {what}"),
            FilterError::Syntax { file, line, what } => write!(f, "{file}:{line}: {what}"),
            FilterError::NotFound { name, dir } => write!(
                f,
                "no filter `{name}`: not in {dir} and not built in (built-in: {})",
                builtin::names().collect::<Vec<_>>().join(", ")
            ),
            FilterError::Io { path, error } => write!(f, "{path}: {error}"),
            FilterError::Mode { filter, mode, modes } => {
                let names: Vec<_> = modes.iter().map(|m| m.name()).collect();
                write!(
                    f,
                    "filter `{filter}` has no mode `{mode}` (its modes: {})",
                    names.join(", ")
                )
            }
            FilterError::Program { filter, name, why } => {
                write!(
                    f,
                    "filter `{filter}`: program name {}: {why}",
                    crate::bytes::Quoted(name)
                )
            }
        }
    }
}

impl std::error::Error for FilterError {}

/// One compiled pattern.
struct Rule {
    /// The pattern as written in the file, `<HOST>` and all.
    source: String,
    /// The pattern with `<HOST>` expanded: what regex-lite compiles.
    expanded: Box<str>,
    /// regex-lite's program: compiled at load when the backtracker cannot run the pattern,
    /// else only the first time the backtracker gives up on a line (most rules never do,
    /// and a compiled regex-lite program costs kilobytes of RAM for each rule of each jail).
    regex: OnceCell<Option<Regex>>,
    prefilter: Prefilter,
    /// The same pattern for the backtracker, when it is within its subset.
    fast: Option<backtrack::Program>,
    /// Capture group index of `<HOST>`, if the pattern has one.
    host: Option<usize>,
    /// How its lines stand to the other lines of one attempt (`failregex[companion=SECS]`).
    role: Role,
    locs: RefCell<Option<CaptureLocations>>,
}

impl Rule {
    fn new(file: &str, i: usize, p: format::Pattern<'_>, is_fail: bool) -> Result<Rule, FilterError> {
        let err = |what: String| FilterError::Syntax {
            file: file.to_owned(),
            line: p.line,
            what,
        };
        let expanded = host::expand(p.text, is_fail).map_err(|e| err(e.to_string()))?;
        // Compiled here in any case: its errors are the filter file's syntax errors.
        let regex = Regex::new(&expanded).map_err(|e| err(format!("bad regex: {e}")))?;
        let host = regex.capture_names().position(|n| n == Some(host::GROUP));
        let fast = backtrack::Program::new(&expanded, host::GROUP);
        let kept = OnceCell::new();
        if fast.is_none() {
            let _ = kept.set(Some(regex));
        }
        Ok(Rule {
            source: p.text.to_owned(),
            prefilter: Prefilter::new(&expanded),
            expanded: expanded.into_boxed_str(),
            fast,
            locs: RefCell::new(None),
            regex: kept,
            host,
            role: Role::of_rule(i, p.companion),
        })
    }

    /// regex-lite's program for this rule, compiled on first use (see [`Rule::regex`]'s field).
    /// `None` cannot happen (the pattern compiled at load) and reads as no match.
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&self.expanded).ok())
            .as_ref()
    }

    fn is_match(&self, text: &str) -> bool {
        if !self.prefilter.may_match(text.as_bytes()) {
            return false;
        }
        match self.fast.as_ref().map(|p| p.run(text)) {
            Some(Verdict::Match(_)) => true,
            Some(Verdict::NoMatch) => false,
            Some(Verdict::GaveUp) | None => self.regex().is_some_and(|r| r.is_match(text)),
        }
    }

    /// The address this rule finds in `text`, if it matches and `<HOST>` is an address.
    fn offender(&self, text: &str) -> Option<IpAddr> {
        if !self.prefilter.may_match(text.as_bytes()) {
            return None;
        }
        let group = self.host?;
        let (start, end) = match self.fast.as_ref().map(|p| p.run(text)) {
            Some(Verdict::Match(span)) => span?,
            Some(Verdict::NoMatch) => return None,
            Some(Verdict::GaveUp) | None => self.captures(group, text)?,
        };
        crate::addr::parse_host(text.as_bytes().get(start..end)?)
    }

    /// The span of capture `group` according to regex-lite.
    fn captures(&self, group: usize, text: &str) -> Option<(usize, usize)> {
        let regex = self.regex()?;
        let mut fresh;
        let mut borrowed = self.locs.try_borrow_mut();
        let locs = match &mut borrowed {
            Ok(l) => l.get_or_insert_with(|| regex.capture_locations()),
            Err(_) => {
                fresh = regex.capture_locations();
                &mut fresh
            }
        };
        regex.captures_read(locs, text)?;
        locs.get(group)
    }
}

/// A compiled filter.
pub struct Filter {
    name: String,
    mode: Mode,
    /// The modes the file's rules are tagged with, `normal` always first.
    modes: Vec<Mode>,
    programs: Vec<String>,
    /// `programs` as bytes, `true` for a prefix (`postfix/*`), checked on every line.
    dispatch: Vec<(Box<[u8]>, bool)>,
    fail: Vec<Rule>,
    ignore: Vec<Rule>,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("name", &self.name)
            .field("programs", &self.programs)
            .field("rules", &self.fail.len())
            .field("ignores", &self.ignore.len())
            .finish()
    }
}

impl Filter {
    /// Compiles filter text in mode `normal`. `name` names the filter and, in errors, the file.
    pub fn parse(name: &str, text: &str) -> Result<Filter, FilterError> {
        Filter::parse_with(name, text, &Options::default())
    }

    /// Compiles filter text with a jail's options: only the rules of `options.mode`, and the
    /// extra program names of `options.programs`.
    pub fn parse_with(name: &str, text: &str, options: &Options) -> Result<Filter, FilterError> {
        let spec = format::split(name, text)?;
        let modes: Vec<Mode> = Mode::ALL
            .into_iter()
            .filter(|&m| {
                m == Mode::Normal
                    || spec
                        .fail
                        .iter()
                        .chain(&spec.ignore)
                        .any(|p| p.modes != mode::Modes::EVERY && p.modes.has(m))
            })
            .collect();
        if !modes.contains(&options.mode) {
            return Err(FilterError::Mode {
                filter: name.to_owned(),
                mode: options.mode,
                modes,
            });
        }
        let compile = |ps: &[format::Pattern<'_>], is_fail| {
            ps.iter()
                .filter(|p| p.modes.has(options.mode))
                .enumerate()
                .map(|(i, &p)| Rule::new(name, i, p, is_fail))
                .collect::<Result<Vec<_>, _>>()
        };
        let mut programs: Vec<String> = spec.programs.iter().map(|p| (*p).to_owned()).collect();
        if !programs.is_empty() {
            for extra in &options.programs {
                mode::check_program(extra).map_err(|why| FilterError::Program {
                    filter: name.to_owned(),
                    name: extra.clone(),
                    why,
                })?;
                if !programs.contains(extra) {
                    programs.push(extra.clone());
                }
            }
        }
        let fail = compile(&spec.fail, true)?;
        if fail.is_empty() {
            return Err(FilterError::Syntax {
                file: name.to_owned(),
                line: 0,
                what: format!("no failregex in mode `{}`", options.mode),
            });
        }
        Ok(Filter {
            name: name.to_owned(),
            mode: options.mode,
            modes,
            dispatch: programs
                .iter()
                .map(|p| match p.strip_suffix('*') {
                    Some(prefix) => (prefix.as_bytes().into(), true),
                    None => (p.as_bytes().into(), false),
                })
                .collect(),
            programs,
            fail,
            ignore: compile(&spec.ignore, false)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The mode the filter was loaded in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The modes the filter's rules are tagged with (`normal` always, first).
    pub fn modes(&self) -> &[Mode] {
        &self.modes
    }

    /// The program names as bytes, `true` for a prefix (for [`dispatch::Dispatch`]).
    pub(crate) fn program_patterns(&self) -> &[(Box<[u8]>, bool)] {
        &self.dispatch
    }

    /// The program names of the `program` lines; empty means every program.
    pub fn programs(&self) -> &[String] {
        &self.programs
    }

    /// Whether messages of `program` are this filter's business. An empty program (a bare
    /// message, whose format names none) goes to every filter. A name ending in `*` matches
    /// every program that starts with the rest (`postfix/*`, `openvpn*` for OpenWrt's
    /// `openvpn(NAME)` tags).
    pub fn applies_to(&self, program: &[u8]) -> bool {
        program.is_empty()
            || self.dispatch.is_empty()
            || self.dispatch.iter().any(|(name, prefix)| {
                // The first byte rejects most programs without a memcmp call.
                match (name.first(), *prefix) {
                    (None, true) => true,
                    (first, _) if first != program.first() => false,
                    (_, true) => program.starts_with(name),
                    (_, false) => **name == *program,
                }
            })
    }

    /// The failregex patterns as written, in rule order.
    pub fn rules(&self) -> impl Iterator<Item = &str> + '_ {
        self.fail.iter().map(|r| r.source.as_str())
    }

    /// How lines of failregex `i` stand to the other lines of one attempt: a companion (the
    /// first line of an attempt, `failregex[companion=SECS]`) or a main line.
    pub fn role(&self, i: usize) -> Role {
        self.fail.get(i).map_or(Role::Main, |r| r.role)
    }

    /// The failregex pattern of rule `i`, as written.
    pub fn rule(&self, i: usize) -> Option<&str> {
        self.fail.get(i).map(|r| r.source.as_str())
    }

    /// Checks a split log line: program dispatch ([`Filter::applies_to`]), then its message.
    pub fn check_line(&self, line: &crate::line::Line<'_>) -> Outcome {
        if self.applies_to(line.program) {
            self.check(line.message)
        } else {
            Outcome::NoMatch
        }
    }

    /// Checks one message (without the program prefix; see [`crate::line`]). A message longer
    /// than [`MAX_LINE`] is no match: the line splitter never hands out such a line, and only
    /// a whole line the service wrote may yield an offender.
    pub fn check(&self, message: &[u8]) -> Outcome {
        if message.len() > MAX_LINE {
            return Outcome::NoMatch;
        }
        let mut buf;
        let text = match core::str::from_utf8(message) {
            Ok(s) => s,
            Err(_) => {
                buf = [0u8; utf8::SANITISED];
                utf8::text(message, &mut buf)
            }
        };
        for (rule, r) in self.fail.iter().enumerate() {
            if let Some(addr) = r.offender(text) {
                if self.ignore.iter().any(|i| i.is_match(text)) {
                    return Outcome::Ignored;
                }
                return Outcome::Match(Match { addr, rule });
            }
        }
        Outcome::NoMatch
    }
}

#[cfg(test)]
mod tests;
