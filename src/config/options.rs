//! The options of each section type: names, value types, ranges, and cross-checks.
//!
//! A section's items are first folded the way `uci` folds them ([`fold`]): the last `option`
//! wins, `list` values accumulate (after an `option` of the same name they extend it), and
//! an empty `option x ''` removes `x`. Each remaining name is then looked up in the table of
//! its section type; unknown names become warnings.

use super::error::{invalid, ConfigError};
use super::uci::{Excerpt, Item, Section};
use super::value::{self, Duration, ValueError};
use super::{JailConfig, Main};
use crate::addr::Cidr;
use crate::filter::mode::{self, Mode};
use crate::jail::{capacity, RecidiveParams, MAX_MAXBANS};

/// Longest jail name; it appears in log lines, the state file and control replies.
pub const MAX_JAIL_NAME: usize = 32;
/// Largest `bantime_factor`.
pub const MAX_BANTIME_FACTOR: u32 = 1000;
/// Below this IPv6 prefix a single offender bans an unusually large network: warn.
pub const WARN_IPV6_PREFIX: u8 = 32;
/// `sun_path` holds 108 bytes including the terminating NUL.
pub const MAX_SOCKET_PATH: usize = 107;
/// nftables table and set names (NFT_NAME_MAXLEN 256, including the NUL).
pub const MAX_NFT_NAME: usize = 255;

/// The folded value of one option name.
enum Val<'a> {
    One(&'a Item),
    Many(Vec<&'a Item>),
}

/// Folds a section's items as `uci` does, keeping the order in which names first appear.
/// A linear search over the names seen so far: sections have a few dozen options (a file at
/// the size limit with thousands of distinct names costs milliseconds per thousand), and a
/// hash map or a sort costs the router binary more (docs/size.md).
fn fold(items: &[Item]) -> Vec<(&str, Val<'_>)> {
    let mut slots: Vec<(&str, Option<Val<'_>>)> = Vec::new();
    for item in items {
        let i = match slots.iter().rposition(|(n, _)| *n == item.name) {
            Some(i) => i,
            None => {
                slots.push((&item.name, None));
                slots.len() - 1
            }
        };
        let Some((_, slot)) = slots.get_mut(i) else {
            continue;
        };
        *slot = match (item.list, slot.take()) {
            (false, _) if item.value.is_empty() => None,
            (false, _) => Some(Val::One(item)),
            (true, None) => Some(Val::Many(vec![item])),
            (true, Some(Val::One(prev))) => Some(Val::Many(vec![prev, item])),
            (true, Some(Val::Many(mut v))) => {
                v.push(item);
                Some(Val::Many(v))
            }
        };
    }
    slots.into_iter().filter_map(|(n, v)| Some((n, v?))).collect()
}

/// `cidrs` with each network after its first mention dropped, in order; by a sort, as lists
/// near the file size limit hold tens of thousands of entries.
fn without_repeats(cidrs: Vec<Cidr>) -> Vec<Cidr> {
    let key = |c: &Cidr| (c.network(), c.prefix());
    let mut order: Vec<usize> = (0..cidrs.len()).collect();
    order.sort_unstable_by(|&a, &b| key(&cidrs[a]).cmp(&key(&cidrs[b])).then(a.cmp(&b)));
    let mut keep = vec![true; cidrs.len()];
    for w in order.windows(2) {
        if key(&cidrs[w[0]]) == key(&cidrs[w[1]]) {
            keep[w[1]] = false;
        }
    }
    cidrs
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

/// A section being read: the file and how messages name the section.
struct Scope<'a> {
    file: &'a str,
    label: String,
}

impl Scope<'_> {
    fn bad(&self, item: &Item, e: ValueError) -> ConfigError {
        let what = format!("{} '{}' in {} {e}", item.name, Excerpt(&item.value), self.label);
        invalid(self.file, item.line, what)
    }

    fn one<'v>(&self, v: &Val<'v>) -> Result<&'v Item, ConfigError> {
        match v {
            Val::One(item) => Ok(item),
            Val::Many(items) => {
                let item = items.first().copied();
                let (line, name) = item.map_or((0, ""), |i| (i.line, i.name.as_str()));
                let what = format!(
                    "{name} in {} takes one value: write 'option {name} ...', not 'list'",
                    self.label
                );
                Err(invalid(self.file, line, what))
            }
        }
    }

    fn text(&self, v: &Val) -> Result<String, ConfigError> {
        self.one(v).map(|i| i.value.clone())
    }

    fn boolean(&self, v: &Val) -> Result<bool, ConfigError> {
        let item = self.one(v)?;
        value::boolean(&item.value).map_err(|e| self.bad(item, e))
    }

    fn num<T>(&self, v: &Val, min: T, max: T) -> Result<T, ConfigError>
    where
        T: TryFrom<u64> + TryInto<u64> + Copy,
    {
        let item = self.one(v)?;
        let (lo, hi) = (min.try_into().unwrap_or(0), max.try_into().unwrap_or(u64::MAX));
        let n = value::ranged(&item.value, lo, hi).map_err(|e| self.bad(item, e))?;
        T::try_from(n).map_err(|_| self.bad(item, ValueError::TooLarge))
    }

    /// A duration of at least one second; `-1` (`None`) only when `permanent_ok`.
    fn duration(&self, v: &Val, permanent_ok: bool) -> Result<(Option<u32>, usize), ConfigError> {
        let item = self.one(v)?;
        match value::duration(&item.value, permanent_ok) {
            Ok(Some(0)) => {
                let hint = if permanent_ok { " (-1 means permanent)" } else { "" };
                let what = format!("{} in {} must be at least 1s{hint}", item.name, self.label);
                Err(invalid(self.file, item.line, what))
            }
            Ok(d) => Ok((d, item.line)),
            Err(e) => Err(self.bad(item, e)),
        }
    }

    /// Addresses and networks, from `list` entries and space-separated `option` values.
    fn cidrs(&self, v: &Val) -> Result<Vec<Cidr>, ConfigError> {
        let items = match v {
            Val::One(item) => std::slice::from_ref(item),
            Val::Many(items) => items.as_slice(),
        };
        let mut out: Vec<Cidr> = Vec::new();
        for item in items {
            for word in item.value.split_whitespace() {
                let Some(c) = Cidr::parse(word) else {
                    let what = format!(
                        "{} '{}' in {} is not an address or network (ADDR or ADDR/LEN; host names are not resolved)",
                        item.name,
                        Excerpt(word),
                        self.label
                    );
                    return Err(invalid(self.file, item.line, what));
                };
                out.push(c);
            }
        }
        Ok(without_repeats(out))
    }

    /// Program names (`list program 'NAME'`, or space-separated in an `option`), each a log
    /// tag, and the line of the first.
    fn programs(&self, v: &Val) -> Result<(Vec<String>, usize), ConfigError> {
        let items = match v {
            Val::One(item) => std::slice::from_ref(item),
            Val::Many(items) => items.as_slice(),
        };
        let mut out: Vec<String> = Vec::new();
        for item in items {
            for word in item.value.split_whitespace() {
                if let Err(why) = mode::check_program(word) {
                    let what = format!(
                        "program '{}' in {} is not a program name: {why}",
                        Excerpt(word),
                        self.label
                    );
                    return Err(invalid(self.file, item.line, what));
                }
                if !out.iter().any(|p| p == word) {
                    out.push(word.to_owned());
                }
            }
        }
        Ok((out, items.first().map_or(0, |i| i.line)))
    }

    /// A name nftables accepts for a table or a set.
    fn nft_name(&self, v: &Val) -> Result<String, ConfigError> {
        let item = self.one(v)?;
        let s = &item.value;
        let first_ok = s
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        let rest_ok = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if first_ok && rest_ok && s.len() <= MAX_NFT_NAME {
            return Ok(s.clone());
        }
        let what = format!(
            "{} '{}' in {} is not an nftables name: a letter or '_', then letters, digits, '_', '.', '-'",
            item.name,
            Excerpt(s),
            self.label
        );
        Err(invalid(self.file, item.line, what))
    }

    fn unknown(&self, name: &str, v: &Val, warnings: &mut Vec<String>) {
        let line = match v {
            Val::One(i) => i.line,
            Val::Many(items) => items.first().map_or(0, |i| i.line),
        };
        warnings.push(format!(
            "{}:{line}: unknown option '{}' in {}",
            self.file,
            Excerpt(name),
            self.label
        ));
    }
}

/// `config logjail ['main']`.
pub fn main_section(file: &str, s: &Section, warnings: &mut Vec<String>) -> Result<Main, ConfigError> {
    let label = match &s.name {
        Some(n) => format!("section '{n}'"),
        None => "the logjail section".into(),
    };
    let sc = Scope { file, label };
    let mut m = Main::default();
    let (mut v4_line, mut v6_line) = (s.line, s.line);
    let mut recidive = RecidiveParams::default();
    let mut recidive_on = false;
    for (name, v) in fold(&s.items) {
        match name {
            "source" => m.source = sc.text(&v)?,
            "history_lines" => m.history_lines = sc.num(&v, 0, super::MAX_HISTORY_LINES)?,
            "loglevel" => {
                let item = sc.one(&v)?;
                m.loglevel = value::loglevel(&item.value).map_err(|e| sc.bad(item, e))?;
            }
            "state_file" => m.state_file = sc.text(&v)?.into(),
            "state_file_persistent" => m.state_file_persistent = Some(sc.text(&v)?.into()),
            "persist_interval" => m.persist_interval = sc.duration(&v, false)?.0.unwrap_or(1),
            "control_socket" => {
                let item = sc.one(&v)?;
                if item.value.len() > MAX_SOCKET_PATH {
                    let what = format!(
                        "control_socket in {} is longer than {MAX_SOCKET_PATH} bytes, the limit of a unix socket path",
                        sc.label
                    );
                    return Err(invalid(file, item.line, what));
                }
                m.control_socket = item.value.clone().into();
            }
            "filter_dir" => m.filter_dir = sc.text(&v)?.into(),
            "family" => {
                let item = sc.one(&v)?;
                if !["inet", "ip", "ip6", "bridge", "netdev"].contains(&item.value.as_str()) {
                    let what = format!(
                        "family '{}' in {} is not an nftables family for address sets: inet, ip, ip6, bridge or netdev",
                        Excerpt(&item.value),
                        sc.label
                    );
                    return Err(invalid(file, item.line, what));
                }
                m.family = item.value.clone();
            }
            "table" => m.table = sc.nft_name(&v)?,
            "set_v4" => (m.set_v4, v4_line) = (sc.nft_name(&v)?, sc.one(&v)?.line),
            "set_v6" => (m.set_v6, v6_line) = (sc.nft_name(&v)?, sc.one(&v)?.line),
            "standalone" => m.standalone = sc.boolean(&v)?,
            "ignoreip" => m.ignoreip = sc.cidrs(&v)?,
            "recidive_maxbans" => {
                recidive.maxbans = sc.num(&v, 0, MAX_MAXBANS)?;
                recidive_on = recidive.maxbans > 0;
                if recidive.maxbans == 1 {
                    let item = sc.one(&v)?;
                    let what = format!(
                        "recidive_maxbans in {} must be 0 (off) or at least 2: one ban is every banned host",
                        sc.label
                    );
                    return Err(invalid(file, item.line, what));
                }
            }
            "recidive_findtime" => recidive.findtime = sc.duration(&v, false)?.0.unwrap_or(1),
            "recidive_bantime" => recidive.bantime = sc.duration(&v, true)?.0,
            _ => sc.unknown(name, &v, warnings),
        }
    }
    m.recidive = recidive_on.then_some(recidive);
    if m.set_v4 == m.set_v6 {
        let what = format!(
            "set_v4 and set_v6 in {} name the same set '{}'",
            sc.label, m.set_v4
        );
        return Err(invalid(file, v4_line.max(v6_line), what));
    }
    Ok(m)
}

/// `config jail 'NAME'`.
pub fn jail_section(file: &str, s: &Section, warnings: &mut Vec<String>) -> Result<JailConfig, ConfigError> {
    let Some(name) = s.name.as_deref() else {
        let what = "jail section without a name: write config jail 'NAME'".to_string();
        return Err(invalid(file, s.line, what));
    };
    if name.len() > MAX_JAIL_NAME {
        let what = format!(
            "jail name '{}' is longer than {MAX_JAIL_NAME} characters",
            Excerpt(name)
        );
        return Err(invalid(file, s.line, what));
    }
    let sc = Scope {
        file,
        label: format!("jail '{name}'"),
    };
    let mut j = JailConfig::new(name);
    j.lines.section = s.line;
    let (mut bantime_line, mut max_line) = (None, None);
    for (key, v) in fold(&s.items) {
        match key {
            "enabled" => j.enabled = sc.boolean(&v)?,
            "filter" => (j.filter, j.lines.filter) = (sc.text(&v)?, sc.one(&v)?.line),
            "mode" => {
                let item = sc.one(&v)?;
                j.mode = item.value.parse::<Mode>().map_err(|e| {
                    let what = format!("mode '{}' in {}: {e}", Excerpt(&item.value), sc.label);
                    invalid(file, item.line, what)
                })?;
                j.lines.mode = item.line;
            }
            "program" => (j.programs, j.lines.program) = sc.programs(&v)?,
            "maxretry" => j.maxretry = sc.num(&v, 1, capacity::MAX_MAXRETRY)?,
            "findtime" => j.findtime = sc.duration(&v, false)?.0.unwrap_or(1),
            "bantime" => {
                let (d, line) = sc.duration(&v, true)?;
                (j.bantime, bantime_line) = (d, Some(line));
            }
            "bantime_factor" => j.bantime_factor = sc.num(&v, 1, MAX_BANTIME_FACTOR)?,
            "bantime_max" => {
                let (d, line) = sc.duration(&v, true)?;
                (j.bantime_max, max_line) = (d, Some(line));
            }
            "ignoreip" => j.ignoreip = sc.cidrs(&v)?,
            "ignoreself" => j.ignoreself = sc.boolean(&v)?,
            "ipv6_prefix" => {
                j.ipv6_prefix = sc.num(&v, 1, 128)?;
                if j.ipv6_prefix < WARN_IPV6_PREFIX {
                    warnings.push(format!(
                        "{file}:{}: ipv6_prefix {} in {}: one offender gets a whole /{} banned",
                        sc.one(&v)?.line,
                        j.ipv6_prefix,
                        sc.label,
                        j.ipv6_prefix
                    ));
                }
            }
            "max_failures" => j.max_failures = sc.num(&v, 1, capacity::MAX_FAILURES)?,
            "max_bans" => j.max_bans = sc.num(&v, 1, capacity::MAX_BANS)?,
            "max_offenders" => j.max_offenders = sc.num(&v, 1, capacity::MAX_OFFENDERS)?,
            _ => sc.unknown(key, &v, warnings),
        }
    }
    if let Some(line) = max_line {
        // `None` is permanent: longer than any number of seconds.
        let shorter = match (j.bantime_max, j.bantime) {
            (Some(max), Some(ban)) => max < ban,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if shorter {
            let whence = match bantime_line {
                Some(l) => format!("line {l}"),
                None => "the default".into(),
            };
            let what = format!(
                "bantime_max ({}) in {} is shorter than bantime ({}, {whence})",
                Duration(j.bantime_max),
                sc.label,
                Duration(j.bantime)
            );
            return Err(invalid(file, line, what));
        }
        if j.bantime_factor == 1 {
            warnings.push(format!(
                "{file}:{line}: bantime_max in {} has no effect while bantime_factor is 1",
                sc.label
            ));
        }
    }
    Ok(j)
}

mod crowdsec;
pub use crowdsec::crowdsec_section;

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
