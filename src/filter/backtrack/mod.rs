//! A small backtracking matcher for the anchored patterns filters are made of, in front of
//! regex-lite.
//!
//! regex-lite's PikeVM costs ~60 ns per byte of haystack, and every failure line must be fully
//! matched to find its `<HOST>`: at one attack line in ten that alone would cap a filter far
//! below the 2 M lines/s budget. Filter patterns are simple — `^`, literals, `.*`, `\d+`,
//! `[...]`, optional and alternative groups, counted repetitions in `<HOST>`, `$` — and a
//! backtracker runs them with a handful of steps per byte (on the benchmark log it cut the
//! instructions per line about five-fold). So a pattern that starts with `^` and uses only
//! that subset is compiled into a [`Program`] here too; anything else (flags, lazy
//! quantifiers, `\b`, nested classes…) returns `None` and the rule keeps using regex-lite alone.
//!
//! Semantics are regex-lite's: leftmost-first, greedy, ASCII `\d \s \w`, `.` is any character but
//! `\n`, `$` the end of the text; captures are those of the highest-priority match, which is the
//! first one a backtracker finds. A unit test checks both engines agree on every fixture.
//! Backtracking can be exponential, so every run has a step budget ([`STEPS`]); when it is spent
//! the answer is [`Verdict::GaveUp`] and the caller asks regex-lite, whose time is linear.

/// Work allowed per run before giving up (a step is one sequence position tried).
pub const STEPS: u32 = 20_000;

mod parse;

/// What a run says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Matched; the span of the capture group asked for, if it took part.
    Match(Option<(usize, usize)>),
    NoMatch,
    GaveUp,
}

/// A set of characters: a bitmap for ASCII, ranges beyond.
#[derive(Clone, Debug)]
pub(super) struct Set {
    /// Bit `c % 64` of word `c / 64` for ASCII `c` (u128 shifts compile to library calls).
    pub(super) ascii: [u64; 2],
    pub(super) high: Vec<(u32, u32)>,
}

impl Set {
    pub(super) fn from_ranges(ranges: &[(u32, u32)], negated: bool) -> Set {
        let mut ascii = [0u64; 2];
        let mut high = Vec::new();
        for &(a, b) in ranges {
            for c in a..=b.min(127) {
                ascii[(c / 64) as usize] |= 1 << (c % 64);
            }
            if b >= 128 {
                high.push((a.max(128), b));
            }
        }
        if !negated {
            return Set { ascii, high };
        }
        high.sort_unstable();
        let mut inv = Vec::new();
        let mut next = 128u32;
        for (a, b) in high {
            if a > next {
                inv.push((next, a - 1));
            }
            next = next.max(b + 1);
        }
        if next <= 0x10FFFF {
            inv.push((next, 0x10FFFF));
        }
        Set {
            ascii: [!ascii[0], !ascii[1]],
            high: inv,
        }
    }

    pub(super) fn has_ascii(&self, c: u32) -> bool {
        self.ascii[(c / 64) as usize] & (1 << (c % 64)) != 0
    }

    fn has(&self, c: char) -> bool {
        let c = c as u32;
        if c < 128 {
            self.has_ascii(c)
        } else {
            self.high.iter().any(|&(a, b)| a <= c && c <= b)
        }
    }
}

#[derive(Clone, Debug)]
pub(super) enum Node {
    Start,
    End,
    Lit(Box<[u8]>),
    /// A greedy repetition of one character of a set.
    Class {
        set: Set,
        min: u32,
        max: u32,
    },
    /// `.*` or `.+` (`min` 0 or 1): runs to the end of the line and backs off, straight to the
    /// places where a following literal can start.
    AnyRun {
        min: u32,
    },
    /// A greedy repetition of alternatives; `capture` when it is the group asked for.
    Group {
        alts: Vec<Vec<Node>>,
        min: u32,
        max: u32,
        capture: bool,
    },
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Program {
    nodes: Vec<Node>,
}

impl Program {
    /// Compiles `pattern` if it is anchored with `^` and within the subset; `capture` names the
    /// group whose span [`Program::run`] reports.
    pub fn new(pattern: &str, capture: &str) -> Option<Program> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = parse::Parser::new(&chars, capture);
        let alts = p.alternation()?;
        if !p.at_end() || alts.len() != 1 {
            return None;
        }
        let nodes = alts.into_iter().next()?;
        matches!(nodes.first(), Some(Node::Start)).then_some(Program { nodes })
    }

    /// Matches `text` from its start.
    pub fn run(&self, text: &str) -> Verdict {
        let mut cx = Cx {
            text,
            steps: 0,
            cap: None,
        };
        let matched = seq(&self.nodes, &mut cx, 0, &mut |_, _| true);
        match (matched, cx.steps > STEPS) {
            (true, _) => Verdict::Match(cx.cap),
            (false, true) => Verdict::GaveUp,
            (false, false) => Verdict::NoMatch,
        }
    }
}

struct Cx<'t> {
    text: &'t str,
    steps: u32,
    cap: Option<(usize, usize)>,
}

type Cont<'k, 't> = dyn FnMut(&mut Cx<'t>, usize) -> bool + 'k;

fn char_at(text: &str, pos: usize) -> Option<char> {
    match text.as_bytes().get(pos) {
        Some(&b) if b < 0x80 => Some(b as char),
        Some(_) => text.get(pos..)?.chars().next(),
        None => None,
    }
}

fn seq<'t>(nodes: &[Node], cx: &mut Cx<'t>, pos: usize, k: &mut Cont<'_, 't>) -> bool {
    cx.steps += 1;
    if cx.steps > STEPS {
        return false;
    }
    let Some((first, rest)) = nodes.split_first() else {
        return k(cx, pos);
    };
    match first {
        Node::Start => pos == 0 && seq(rest, cx, pos, k),
        Node::End => pos == cx.text.len() && seq(rest, cx, pos, k),
        Node::Lit(l) => {
            let t = cx.text.as_bytes().get(pos..).unwrap_or_default();
            // Most literals after the first are a byte or two: skip memcmp's call for those.
            let here = match **l {
                [a] => t.first() == Some(&a),
                _ => t.starts_with(l),
            };
            here && seq(rest, cx, pos + l.len(), k)
        }
        Node::Class { set, min, max } => {
            // A literal next can only match where its first byte is: skip the other positions.
            let next = match rest.first() {
                Some(Node::Lit(l)) => l.first().copied(),
                _ => None,
            };
            let (mut end, mut n) = (pos, 0u32);
            while n < *max {
                match char_at(cx.text, end) {
                    Some(c) if set.has(c) => end += c.len_utf8(),
                    _ => break,
                }
                n += 1;
            }
            loop {
                if n < *min {
                    return false;
                }
                let viable = match next {
                    Some(b) => cx.text.as_bytes().get(end) == Some(&b),
                    None => true,
                };
                if viable && seq(rest, cx, end, k) {
                    return true;
                }
                if n == *min || cx.steps > STEPS {
                    return false;
                }
                n -= 1;
                end = if n == 0 { pos } else { back_one(cx.text, end, pos) };
            }
        }
        Node::AnyRun { min } => any_run(*min as usize, rest, cx, pos, k),
        Node::Group {
            alts,
            min,
            max,
            capture,
        } => group(alts, (*min, *max, *capture), 0, rest, cx, pos, k),
    }
}

/// `.*` / `.+` from `pos`: every end from the longest (the line's end or its first `\n`) down
/// to `pos + min`, greedy first. All ends are char boundaries: the longest is, `back_one`
/// keeps them so, and an ASCII byte always starts a character.
fn any_run<'t>(min: usize, rest: &[Node], cx: &mut Cx<'t>, pos: usize, k: &mut Cont<'_, 't>) -> bool {
    let bytes = cx.text.as_bytes();
    let floor = pos + min;
    let tail = bytes.get(pos..).unwrap_or_default();
    let mut end = pos + crate::bytes::memchr(b'\n', tail).unwrap_or(tail.len());
    if let Some(Node::Lit(l)) = rest.first() {
        if let Some(&b) = l.first().filter(|b| b.is_ascii()) {
            loop {
                let Some(e) = (floor..=end).rev().find(|&e| bytes.get(e) == Some(&b)) else {
                    return false;
                };
                if seq(rest, cx, e, k) {
                    return true;
                }
                if e == floor || cx.steps > STEPS {
                    return false;
                }
                end = e - 1;
            }
        }
    }
    loop {
        if end < floor {
            return false;
        }
        if seq(rest, cx, end, k) {
            return true;
        }
        if end == pos || cx.steps > STEPS {
            return false;
        }
        end = back_one(cx.text, end, pos);
    }
}

/// The char boundary before `end` (never before `floor`).
fn back_one(text: &str, end: usize, floor: usize) -> usize {
    let mut e = end - 1;
    while e > floor && !text.is_char_boundary(e) {
        e -= 1;
    }
    e
}

fn group<'t>(
    alts: &[Vec<Node>],
    (min, max, capture): (u32, u32, bool),
    count: u32,
    rest: &[Node],
    cx: &mut Cx<'t>,
    pos: usize,
    k: &mut Cont<'_, 't>,
) -> bool {
    if count < max {
        for alt in alts {
            let mut then = |cx: &mut Cx<'t>, p: usize| {
                if p == pos && count >= min {
                    return false; // an empty iteration adds nothing
                }
                let saved = cx.cap;
                if capture {
                    cx.cap = Some((pos, p));
                }
                let ok = group(alts, (min, max, capture), count + 1, rest, cx, p, k);
                if !ok {
                    cx.cap = saved;
                }
                ok
            };
            if seq(alt, cx, pos, &mut then) {
                return true;
            }
            if cx.steps > STEPS {
                return false;
            }
        }
    }
    count >= min && seq(rest, cx, pos, k)
}

#[cfg(test)]
mod tests;
