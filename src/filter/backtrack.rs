//! A small backtracking matcher for the anchored patterns filters are made of, in front of
//! regex-lite.
//!
//! regex-lite's PikeVM costs ~60 ns per byte of haystack, and every failure line must be fully
//! matched to find its `<HOST>`: at one attack line in ten that alone would cap a filter far
//! below the 2 M lines/s budget. Filter patterns are simple — `^`, literals, `.*`, `\d+`,
//! `[...]`, optional and alternative groups, counted repetitions in `<HOST>`, `$` — and a
//! backtracker runs them at a few ns per byte. So a pattern that starts with `^` and uses only
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
struct Set {
    /// Bit `c` of word `c / 64` for ASCII `c` (two words: u128 shifts are slow on 32-bit targets).
    ascii: [u64; 2],
    high: Vec<(u32, u32)>,
}

impl Set {
    fn from_ranges(ranges: &[(u32, u32)], negated: bool) -> Set {
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

    fn has_ascii(&self, c: u32) -> bool {
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

const DIGIT: &[(u32, u32)] = &[(48, 57)];
const SPACE: &[(u32, u32)] = &[(9, 13), (32, 32)];
const WORD: &[(u32, u32)] = &[(48, 57), (65, 90), (95, 95), (97, 122)];
const NEWLINE: &[(u32, u32)] = &[(10, 10)];

#[derive(Clone, Debug)]
enum Node {
    Start,
    End,
    Lit(Box<[u8]>),
    /// A greedy repetition of one character of a set.
    Class {
        set: Set,
        min: u32,
        max: u32,
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
        let mut p = Parser {
            c: &chars,
            i: 0,
            capture,
        };
        let alts = p.alternation()?;
        if p.i != chars.len() || alts.len() != 1 {
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
            cx.text.as_bytes().get(pos..).is_some_and(|t| t.starts_with(l)) && seq(rest, cx, pos + l.len(), k)
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
        Node::Group {
            alts,
            min,
            max,
            capture,
        } => group(alts, (*min, *max, *capture), 0, rest, cx, pos, k),
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

struct Parser<'a> {
    c: &'a [char],
    i: usize,
    capture: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn alternation(&mut self) -> Option<Vec<Vec<Node>>> {
        let mut alts = vec![self.sequence()?];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.sequence()?);
        }
        Some(alts)
    }

    fn sequence(&mut self) -> Option<Vec<Node>> {
        let mut nodes: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.i += 1;
            let atom = match c {
                '^' => Node::Start,
                '$' => Node::End,
                '.' => class(Set::from_ranges(NEWLINE, true)),
                '[' => class(self.bracket()?),
                '(' => self.group()?,
                '\\' => match self.escape()? {
                    Ok(ch) => lit(ch),
                    Err(set) => class(set),
                },
                '*' | '+' | '?' | '{' => return None,
                ch => lit(ch),
            };
            let (min, max) = self.quantifier()?;
            let node = match (atom, min, max) {
                (a, 1, 1) => a,
                (Node::Start | Node::End, ..) => return None,
                (Node::Lit(l), min, max) => {
                    let ch = core::str::from_utf8(&l).ok()?.chars().next()? as u32;
                    Node::Class {
                        set: Set::from_ranges(&[(ch, ch)], false),
                        min,
                        max,
                    }
                }
                (Node::Class { set, .. }, min, max) => Node::Class { set, min, max },
                (Node::Group { alts, capture, .. }, min, max) => {
                    if max > 1 && alts.iter().any(|a| nullable(a)) {
                        return None;
                    }
                    Node::Group {
                        alts,
                        min,
                        max,
                        capture,
                    }
                }
            };
            match (nodes.last_mut(), &node) {
                (Some(Node::Lit(prev)), Node::Lit(l)) => {
                    let mut v = prev.to_vec();
                    v.extend_from_slice(l);
                    *prev = v.into_boxed_slice();
                }
                _ => nodes.push(node),
            }
        }
        Some(nodes)
    }

    fn group(&mut self) -> Option<Node> {
        let mut capture = false;
        if self.peek() == Some('?') {
            let rest: String = self.c[self.i..].iter().take(40).collect();
            if rest.starts_with("?:") {
                self.i += 2;
            } else if let Some(name) = rest.strip_prefix("?P<").or_else(|| rest.strip_prefix("?<")) {
                let end = name.find('>')?;
                capture = &name[..end] == self.capture;
                self.i += rest.len() - name.len() + end + 1;
            } else {
                return None; // flags
            }
        }
        let alts = self.alternation()?;
        if self.peek() != Some(')') {
            return None;
        }
        self.i += 1;
        Some(Node::Group {
            alts,
            min: 1,
            max: 1,
            capture,
        })
    }

    /// After `\`: a literal character or a Perl class.
    fn escape(&mut self) -> Option<Result<char, Set>> {
        let c = self.peek()?;
        self.i += 1;
        let (ranges, neg) = match c {
            'd' | 'D' => (DIGIT, c == 'D'),
            's' | 'S' => (SPACE, c == 'S'),
            'w' | 'W' => (WORD, c == 'W'),
            c if c.is_ascii_punctuation() => return Some(Ok(c)),
            _ => return None,
        };
        Some(Err(Set::from_ranges(ranges, neg)))
    }

    /// After `[`: a class of single characters, ranges and Perl classes.
    fn bracket(&mut self) -> Option<Set> {
        let negated = self.peek() == Some('^');
        if negated {
            self.i += 1;
        }
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.i += 1;
            let lo = match c {
                ']' if !first => break,
                '[' | '&' | '~' => return None, // nested classes, set operations
                '\\' => match self.escape()? {
                    Ok(ch) => ch,
                    Err(set) => {
                        ranges.extend(set_ranges(&set));
                        first = false;
                        continue;
                    }
                },
                ch => ch,
            };
            first = false;
            let is_range = self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|&n| n != ']');
            if is_range {
                let hi = *self.c.get(self.i + 1)?;
                if hi == '\\' || hi == '[' || hi < lo {
                    return None;
                }
                self.i += 2;
                ranges.push((lo as u32, hi as u32));
            } else {
                ranges.push((lo as u32, lo as u32));
            }
        }
        Some(Set::from_ranges(&ranges, negated))
    }

    /// A quantifier after an atom, as (min, max); (1, 1) when there is none.
    fn quantifier(&mut self) -> Option<(u32, u32)> {
        let q = match self.peek() {
            Some('*') => (0, u32::MAX),
            Some('+') => (1, u32::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                let close = self.c[self.i..].iter().position(|&c| c == '}')?;
                let body: String = self.c[self.i + 1..self.i + close].iter().collect();
                self.i += close;
                let num = |s: &str| s.trim().parse::<u32>().ok();
                match body.split_once(',') {
                    None => (num(&body)?, num(&body)?),
                    Some((a, "")) => (num(a)?, u32::MAX),
                    Some((a, b)) => (num(a)?, num(b)?),
                }
            }
            _ => return Some((1, 1)),
        };
        self.i += 1;
        if matches!(self.peek(), Some('?' | '+' | '*' | '{')) {
            return None; // lazy or stacked quantifiers
        }
        Some(q)
    }
}

fn lit(c: char) -> Node {
    let mut b = [0u8; 4];
    Node::Lit(c.encode_utf8(&mut b).as_bytes().into())
}

fn class(set: Set) -> Node {
    Node::Class { set, min: 1, max: 1 }
}

/// The members of a set as ranges (for a Perl class inside brackets).
fn set_ranges(set: &Set) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = (0..128u32)
        .filter(|&c| set.has_ascii(c))
        .map(|c| (c, c))
        .collect();
    v.extend(set.high.iter().copied());
    v
}

fn nullable(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| match n {
        Node::Start | Node::End => true,
        Node::Lit(l) => l.is_empty(),
        Node::Class { min, .. } => *min == 0,
        Node::Group { alts, min, .. } => *min == 0 || alts.iter().any(|a| nullable(a)),
    })
}

#[cfg(test)]
#[path = "backtrack_tests.rs"]
mod tests;
