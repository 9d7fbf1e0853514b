//! A literal test that runs before the regex: most messages never reach regex-lite.
//!
//! From a pattern's text we derive literal runs that every match must contain, reading only
//! the top level conservatively: a run ends at any group, class, `.`, escape class (`\d`, `\s`),
//! anchor or quantifier; a character followed by `*`, `?` or `{` is dropped (it may be absent),
//! one followed by `+` ends its run; a group's contents are skipped whole. A top-level `|` or an
//! inline flag group (`(?i)`, `(?m)`…) means no literal is required, and the prefilter passes
//! everything. Two tests come out of it:
//!
//! * the run right after a leading `^`, tested with `starts_with` (anchor-aware, O(run));
//! * the longest other run, searched with a first-byte [`memchr`] and a compare (kept only when
//!   it is longer than the prefix, which is then usually the weaker test).
//!
//! Both are necessary conditions only, so the prefilter never changes what a filter reports.

use crate::bytes::memchr;

/// The literal conditions of one pattern.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefilter {
    /// The message must start with this.
    prefix: Option<Box<[u8]>>,
    /// The message must contain this somewhere.
    needle: Option<Box<[u8]>>,
    /// Offset of the needle's least common byte ([`rarest`]), the one the search scans for.
    rare: usize,
}

impl Prefilter {
    /// Derives the conditions from a (compiled, hence valid) pattern.
    pub fn new(pattern: &str) -> Prefilter {
        let Some(runs) = literal_runs(pattern) else {
            return Prefilter::default();
        };
        let prefix = runs.first().filter(|r| r.anchored).map(|r| r.text.clone());
        let needle = runs
            .iter()
            .filter(|r| !r.anchored)
            .map(|r| &r.text)
            .max_by_key(|t| t.len())
            .filter(|t| match &prefix {
                Some(p) => t.len() > p.len(),
                None => true,
            });
        Prefilter {
            prefix: prefix.map(|p| p.into_bytes().into_boxed_slice()),
            rare: needle.map_or(0, |n| rarest(n.as_bytes())),
            needle: needle.map(|n| n.clone().into_bytes().into_boxed_slice()),
        }
    }

    /// False when `hay` cannot match the pattern.
    #[inline]
    pub fn may_match(&self, hay: &[u8]) -> bool {
        if let Some(p) = &self.prefix {
            if !hay.starts_with(p) {
                return false;
            }
        }
        match &self.needle {
            Some(n) => find_by(hay, n, self.rare).is_some(),
            None => true,
        }
    }
}

/// Position of `needle` in `hay`: memchr for the needle's least common byte, then compare.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    find_by(hay, needle, rarest(needle))
}

/// [`find`], scanning for `needle[rare]`. Scanning for the first byte made needles such as
/// ` from ` stop at every word of every message (measured: the prefilter was a third of the
/// instructions of `logjail test sshd` on a syslog log).
fn find_by(hay: &[u8], needle: &[u8], rare: usize) -> Option<usize> {
    let &b = needle.get(rare)?;
    let after = needle.len() - rare - 1; // needle bytes after the scanned one
    let mut at = rare;
    while at + after < hay.len() {
        let i = at + memchr(b, &hay[at..hay.len() - after])?;
        let start = i - rare;
        if hay[start..].starts_with(needle) {
            return Some(start);
        }
        at = i + 1;
    }
    None
}

/// Offset of the byte of `needle` least likely in a log message (the first of equals).
fn rarest(needle: &[u8]) -> usize {
    let mut best = 0;
    for (i, &b) in needle.iter().enumerate() {
        if commonness(b) < commonness(needle[best]) {
            best = i;
        }
    }
    best
}

/// A rough rank of how often a byte occurs in log messages: the space and the frequent
/// lower-case letters first, upper case and punctuation last.
fn commonness(b: u8) -> u8 {
    match b {
        b' ' => 9,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 8,
        b'h' | b'l' | b'd' | b'c' | b'u' | b'm' => 7,
        b'a'..=b'z' => 6,
        b'0'..=b'9' | b'.' | b':' => 5,
        b'A'..=b'Z' => 3,
        _ => 2,
    }
}

struct Run {
    text: String,
    /// Starts right after a leading `^`.
    anchored: bool,
}

/// The required literal runs, in order; `None` when nothing is required for sure.
fn literal_runs(pattern: &str) -> Option<Vec<Run>> {
    let c: Vec<char> = pattern.chars().collect();
    let mut runs = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    let mut anchored = c.first() == Some(&'^');
    if anchored {
        i = 1;
    }
    let end = |cur: &mut String, anchored: &mut bool, runs: &mut Vec<Run>| {
        if !cur.is_empty() {
            runs.push(Run {
                text: core::mem::take(cur),
                anchored: *anchored,
            });
        }
        *anchored = false;
    };
    while i < c.len() {
        let (lit, len) = match c[i] {
            '\\' => match c.get(i + 1) {
                // `\<` and `\>` are word boundaries, not characters.
                Some(&n) if n.is_ascii_punctuation() && n != '<' && n != '>' => (Some(n), 2),
                // Classes, assertions (`\b{start}` too) and control characters: no literal.
                Some('d' | 'D' | 's' | 'S' | 'w' | 'W' | 'b' | 'B' | 'A' | 'z' | '<' | '>')
                | Some('a' | 'f' | 't' | 'n' | 'r' | 'v') => (None, 2 + braces(&c, i + 2)),
                // `\x41`, `\u{..}`, escaped spaces…: codes we do not decode.
                _ => return None,
            },
            '(' => {
                if c.get(i + 1) == Some(&'?') && !matches!(c.get(i + 2), Some(':' | 'P' | '<')) {
                    return None; // inline flags change what literals mean
                }
                (None, skip_group(&c, i)?)
            }
            '[' => (None, skip_class(&c, i)?),
            '|' => return None,
            '.' | '^' | '$' => (None, 1),
            '*' | '+' | '?' | '{' => (None, 1 + braces(&c, i)),
            ch => (Some(ch), 1),
        };
        let q = i + len;
        let quant = c.get(q).copied();
        match (lit, quant) {
            (Some(ch), Some('+')) => {
                cur.push(ch);
                end(&mut cur, &mut anchored, &mut runs);
            }
            (Some(ch), q) if !matches!(q, Some('*' | '?' | '{')) => cur.push(ch),
            _ => end(&mut cur, &mut anchored, &mut runs),
        }
        i = q;
        // Skip the quantifier (and a lazy `?`) that followed this atom.
        if let Some(q) = quant.filter(|q| matches!(q, '*' | '+' | '?' | '{')) {
            // `{n,m}` is all of `braces`; the others are one character.
            i += if q == '{' { braces(&c, i) } else { 1 };
            if c.get(i) == Some(&'?') {
                i += 1;
            }
        }
    }
    end(&mut cur, &mut anchored, &mut runs);
    Some(runs)
}

/// Length of a `{...}` block starting at `at` (0 if none), counting from `at`.
fn braces(c: &[char], at: usize) -> usize {
    if c.get(at) != Some(&'{') {
        return 0;
    }
    c[at..]
        .iter()
        .position(|&x| x == '}')
        .map_or(c.len() - at, |p| p + 1)
}

/// Length of the group opening at `at`, up to and including its `)`.
fn skip_group(c: &[char], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while i < c.len() {
        match c[i] {
            '\\' => i += 1,
            '[' => {
                i += skip_class(c, i)?;
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1 - at);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Length of the class opening at `at`, up to and including its `]`.
fn skip_class(c: &[char], at: usize) -> Option<usize> {
    let mut i = at + 1;
    if c.get(i) == Some(&'^') {
        i += 1;
    }
    if c.get(i) == Some(&']') {
        i += 1;
    }
    while i < c.len() {
        match c[i] {
            '\\' => i += 1,
            '[' if c.get(i + 1) == Some(&':') => {
                // [:alpha:]
                i += c[i..].iter().position(|&x| x == ']')?;
            }
            '[' => i += skip_class(c, i)? - 1,
            ']' => return Some(i + 1 - at),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pf(p: &str) -> (Option<String>, Option<String>) {
        let f = Prefilter::new(p);
        let s = |b: Option<Box<[u8]>>| b.map(|b| String::from_utf8(b.into_vec()).unwrap());
        (s(f.prefix), s(f.needle))
    }

    #[test]
    fn derives_anchored_prefix_and_longest_run() {
        let host = super::super::host::PATTERN;
        let p = format!(r"^Bad password attempt for '.*' from {host}:\d+$");
        assert_eq!(pf(&p), (Some("Bad password attempt for '".into()), None));
        let p = format!(r"^(?:error: )?maximum authentication attempts exceeded for .* from {host}");
        assert_eq!(
            pf(&p),
            (None, Some("maximum authentication attempts exceeded for ".into()))
        );
        assert_eq!(pf(r"a\.b\d+c"), (None, Some("a.b".into())));
        assert_eq!(pf(r"^ab?cd"), (Some("a".into()), Some("cd".into())));
        assert_eq!(pf(r"^x+yz"), (Some("x".into()), Some("yz".into())));
        assert_eq!(pf(r"ab{2}c[x\]]de"), (None, Some("de".into())));
        assert_eq!(pf(r"^PAM: [A-Za-z ]+ for"), (Some("PAM: ".into()), None));
        assert_eq!(
            pf(r"^PAM: [A-Za-z ]+ for you"),
            (Some("PAM: ".into()), Some(" for you".into()))
        );
        assert_eq!(pf("^héllo"), (Some("héllo".into()), None));
        assert_eq!(pf("abc*?d"), (None, Some("ab".into())));
        assert_eq!(pf(r"^ab\<cde\b{end}f"), (Some("ab".into()), Some("cde".into())));
    }

    #[test]
    fn gives_up_where_nothing_is_required() {
        for p in [
            "a|b",
            "(?i)abc",
            "(?m)^abc",
            ".*",
            r"\d+",
            r"^ab\x41cd",
            r"^ab\u{41}cd",
            r"^a\ b",
        ] {
            assert_eq!(pf(p), (None, None), "{p}");
        }
    }

    #[test]
    fn may_match_is_a_necessary_condition() {
        let f = Prefilter::new(r"^Bad (?:PAM )?password attempt for '.*' from x");
        assert!(f.may_match(b"Bad password attempt for 'a' from x"));
        assert!(!f.may_match(b"xBad password attempt for"));
        let f = Prefilter::new(r"^(?:\[\w+\] )?(?:luci: )?failed login on /");
        assert!(f.may_match(b"[info] luci: failed login on /"));
        assert!(!f.may_match(b"luci: accepted login on /"));
        // A counted repetition is skipped whole: the `(` after `{0,2}` starts a group (this
        // read `:Info: ` as required and rejected every dovecot line without "Info: ").
        let f = Prefilter::new(r"^(?:\w+: ){0,2}(?:Info: )?Disconnected \(auth");
        assert!(f.may_match(b"imap-login: Disconnected (auth"));
        assert!(f.may_match(b"Disconnected (auth"));
        let f = Prefilter::new(r"^\d{4}\d+ x[a-z]{2}\(y");
        assert!(f.may_match(b"20261 xab(y"));
        assert!(!f.may_match(b"20261 xab y"));
    }

    #[test]
    fn find_agrees_with_a_naive_search() {
        let naive = |h: &[u8], n: &[u8]| h.windows(n.len()).position(|w| w == n);
        let mut x: u32 = 99;
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            b" fA:r"[(x >> 16) as usize % 5]
        };
        for _ in 0..20_000 {
            let hay: Vec<u8> = (0..(next() % 23)).map(|_| next()).collect();
            let needle: Vec<u8> = (0..1 + next() % 4).map(|_| next()).collect();
            assert_eq!(find(&hay, &needle), naive(&hay, &needle), "{hay:?} {needle:?}");
        }
    }

    #[test]
    fn find_finds_every_position() {
        let hay = b"aaab aab ab abab";
        assert_eq!(find(hay, b"ab"), Some(2));
        assert_eq!(find(hay, b"abab"), Some(12));
        assert_eq!(find(hay, b"abb"), None);
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"xyz", b"z"), Some(2));
        assert_eq!(find(b"", b"z"), None);
        // The scanned byte is not the first: ` from ` is searched by its `f`.
        assert_eq!(rarest(b" from "), 1);
        assert_eq!(find(b"a from b from c", b" from "), Some(1));
        assert_eq!(find(b"from x", b" from "), None);
        assert_eq!(find(b" from", b" from "), None);
        assert_eq!(find(b"x from  from ", b" from "), Some(1));
        assert_eq!(rarest(b"user Root"), 5);
        assert_eq!(find(b"Root user Root", b"user Root"), Some(5));
        assert_eq!(find(b"user Roo", b"user Root"), None);
    }
}
