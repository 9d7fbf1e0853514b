//! Pattern text to [`Node`]s, for the subset the backtracker runs; `None` for anything else.

use super::{Node, Set};

const DIGIT: &[(u32, u32)] = &[(48, 57)];
const SPACE: &[(u32, u32)] = &[(9, 13), (32, 32)];
const WORD: &[(u32, u32)] = &[(48, 57), (65, 90), (95, 95), (97, 122)];
const NEWLINE: &[(u32, u32)] = &[(10, 10)];

pub(super) struct Parser<'a> {
    c: &'a [char],
    i: usize,
    capture: &'a str,
}

impl<'a> Parser<'a> {
    pub(super) fn new(c: &'a [char], capture: &'a str) -> Parser<'a> {
        Parser { c, i: 0, capture }
    }

    pub(super) fn at_end(&self) -> bool {
        self.i == self.c.len()
    }

    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    pub(super) fn alternation(&mut self) -> Option<Vec<Vec<Node>>> {
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
                (Node::Class { .. }, 0 | 1, u32::MAX) if c == '.' => Node::AnyRun { min },
                (Node::Start | Node::End | Node::AnyRun { .. }, ..) => return None,
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
            let rest = &self.c[self.i..];
            let name_at = if rest.starts_with(&['?', ':']) {
                None
            } else if rest.starts_with(&['?', 'P', '<']) {
                Some(3)
            } else if rest.starts_with(&['?', '<']) {
                Some(2)
            } else {
                return None; // flags
            };
            match name_at {
                None => self.i += 2,
                Some(at) => {
                    let len = rest[at..].iter().position(|&c| c == '>')?;
                    let name: String = rest[at..at + len].iter().collect();
                    capture = name == self.capture;
                    self.i += at + len + 1;
                }
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
            // `\<` and `\>` are word boundaries in regex-lite.
            c if c.is_ascii_punctuation() && c != '<' && c != '>' => return Some(Ok(c)),
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
        Node::Class { min, .. } | Node::AnyRun { min } => *min == 0,
        Node::Group { alts, min, .. } => *min == 0 || alts.iter().any(|a| nullable(a)),
    })
}
