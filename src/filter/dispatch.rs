//! Which filters a line's program reaches, for any number of filters at once.
//!
//! [`Filter::applies_to`] answers for one filter; with thirteen filters enabled, asking each in
//! turn costs more than the filter that finally runs. [`Dispatch`] indexes every filter's
//! program names once, by first byte, and answers for a program with the indices of the
//! filters it reaches ([`Dispatch::filters`]): a `dnsmasq-dhcp` line looks at the two or three
//! names that start with `d`, not at thirteen filters. Lines without a program (bare messages)
//! reach every filter, as do filters that name no program.
//!
//! Filter sets are bit sets of 64-bit words, one word per 64 filters, so there is no limit on
//! how many filters a user adds; the answer is an iterator that builds one word at a time.
//! Nothing here allocates after [`Dispatch::new`].

use super::Filter;
use core::ops::Range;

const WORD: usize = 64;

struct Name {
    bytes: Box<[u8]>,
    prefix: bool,
}

pub struct Dispatch {
    /// Names sorted by first byte; `by_first[b]` is the range of those starting with `b`.
    names: Vec<Name>,
    /// The filters of `names[i]`: `words` words from `i * words`.
    sets: Vec<u64>,
    by_first: Box<[(u32, u32); 256]>,
    /// Filters that apply to every program, plus names that are an empty prefix (`*`).
    everywhere: Vec<u64>,
    /// How many filters.
    len: usize,
    /// Words per set.
    words: usize,
}

impl Dispatch {
    pub fn new(filters: &[Filter]) -> Dispatch {
        let words = filters.len().div_ceil(WORD).max(1);
        let mut everywhere = vec![0u64; words];
        let mut names: Vec<(Name, Vec<u64>)> = Vec::new();
        for (i, f) in filters.iter().enumerate() {
            let (w, bit) = (i / WORD, 1u64 << (i % WORD));
            if f.program_patterns().is_empty() {
                everywhere[w] |= bit;
            }
            for (bytes, prefix) in f.program_patterns() {
                if bytes.is_empty() {
                    everywhere[w] |= bit;
                } else if let Some((_, set)) = names
                    .iter_mut()
                    .find(|(n, _)| n.bytes == *bytes && n.prefix == *prefix)
                {
                    set[w] |= bit;
                } else {
                    let mut set = vec![0u64; words];
                    set[w] = bit;
                    let name = Name {
                        bytes: bytes.clone(),
                        prefix: *prefix,
                    };
                    names.push((name, set));
                }
            }
        }
        names.sort_by_key(|(n, _)| n.bytes[0]);
        let mut by_first = Box::new([(0u32, 0u32); 256]);
        for (i, (n, _)) in names.iter().enumerate() {
            let r = &mut by_first[usize::from(n.bytes[0])];
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if r.0 == r.1 {
                *r = (i, i.saturating_add(1));
            } else {
                r.1 = i.saturating_add(1);
            }
        }
        let sets = names.iter().flat_map(|(_, s)| s.iter().copied()).collect();
        Dispatch {
            names: names.into_iter().map(|(n, _)| n).collect(),
            sets,
            by_first,
            everywhere,
            len: filters.len(),
            words,
        }
    }

    /// The indices of the filters that apply to `program`, lowest first: those that
    /// [`Filter::applies_to`] would say yes for.
    pub fn filters<'d>(&'d self, program: &'d [u8]) -> Filters<'d> {
        Filters {
            d: self,
            program,
            cursor: self.cursor(program),
        }
    }

    /// The same walk as [`Dispatch::filters`] without holding a borrow between steps (for a
    /// caller that changes itself while it goes): `while let Some(i) = d.next(&mut c, program)`.
    pub fn cursor(&self, program: &[u8]) -> Cursor {
        let names = match program.first() {
            Some(&first) => {
                let (lo, hi) = self.by_first[usize::from(first)];
                lo as usize..hi as usize
            }
            None => 0..0,
        };
        Cursor {
            all: program.is_empty(),
            names,
            word: 0,
            bits: 0,
        }
    }

    /// The next filter index of a [`Dispatch::cursor`] walk; `program` is the one it was made for.
    pub fn next(&self, c: &mut Cursor, program: &[u8]) -> Option<usize> {
        while c.bits == 0 {
            if c.word * WORD >= self.len {
                return None;
            }
            c.bits = self.word(c.word, program, &c.names, c.all);
            c.word += 1;
        }
        let i = c.bits.trailing_zeros() as usize;
        c.bits &= c.bits - 1;
        Some((c.word - 1) * WORD + i)
    }

    /// Word `w` of the set of filters that `program` reaches through `names`.
    fn word(&self, w: usize, program: &[u8], names: &Range<usize>, all: bool) -> u64 {
        if all {
            let left = self.len - w * WORD;
            return if left >= WORD {
                u64::MAX
            } else {
                (1u64 << left) - 1
            };
        }
        let mut bits = self.everywhere[w];
        for (i, n) in self.names[names.clone()].iter().enumerate() {
            let hit = if n.prefix {
                program.starts_with(&n.bytes)
            } else {
                *n.bytes == *program
            };
            if hit {
                bits |= self.sets[(names.start + i) * self.words + w];
            }
        }
        bits
    }
}

/// Where a walk over the filters of one program stands; see [`Dispatch::cursor`].
#[derive(Clone, Debug)]
pub struct Cursor {
    /// No program: every filter.
    all: bool,
    /// The names that start with the program's first byte.
    names: Range<usize>,
    /// The next word to build.
    word: usize,
    /// What is left of the current word.
    bits: u64,
}

/// Indices of the filters a program reaches; see [`Dispatch::filters`].
pub struct Filters<'d> {
    d: &'d Dispatch,
    program: &'d [u8],
    cursor: Cursor,
}

impl Iterator for Filters<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        self.d.next(&mut self.cursor, self.program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(name: &str, programs: &str) -> Filter {
        let text = format!("{programs}\nfailregex ^x from <HOST>$\n");
        Filter::parse(name, &text).expect("filter")
    }

    fn filters() -> Vec<Filter> {
        vec![
            filter("dropbear", "program dropbear"),
            filter("sshd", "program sshd sshd-session"),
            filter("postfix", "program postfix/*"),
            filter("any", ""),
            filter("dovecot", "program dovecot"),
            filter("twin", "program dropbear"),
        ]
    }

    const PROGRAMS: &[&[u8]] = &[
        b"dropbear",
        b"dropbearx",
        b"drop",
        b"sshd",
        b"sshd-session",
        b"sshd-",
        b"postfix/smtpd",
        b"postfix/",
        b"postfix",
        b"dovecot",
        b"dnsmasq-dhcp",
        b"kernel",
        b"",
        b"\xff",
    ];

    fn agrees(fs: &[Filter], programs: &[&[u8]]) {
        let d = Dispatch::new(fs);
        for p in programs {
            let want: Vec<usize> = (0..fs.len()).filter(|&i| fs[i].applies_to(p)).collect();
            let got: Vec<usize> = d.filters(p).collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn agrees_with_each_filter_on_every_program() {
        let fs = filters();
        agrees(&fs, PROGRAMS);
        let d = Dispatch::new(&fs);
        assert_eq!(d.filters(b"dropbear").collect::<Vec<_>>(), vec![0, 3, 5]);
        assert_eq!(Dispatch::new(&[]).filters(b"").count(), 0);
    }

    #[test]
    fn the_seventieth_filter_is_asked() {
        // 70 filters, each for its own program, and every 64th for all of them.
        let fs: Vec<Filter> = (0..70)
            .map(|i| match i {
                63 | 64 => filter(&format!("f{i}"), ""),
                _ => filter(&format!("f{i}"), &format!("program p{i} q*")),
            })
            .collect();
        let d = Dispatch::new(&fs);
        assert_eq!(d.filters(b"p69").collect::<Vec<_>>(), vec![63, 64, 69]);
        assert_eq!(d.filters(b"p1").collect::<Vec<_>>(), vec![1, 63, 64]);
        assert_eq!(d.filters(b"x").collect::<Vec<_>>(), vec![63, 64]);
        assert_eq!(d.filters(b"").collect::<Vec<_>>(), (0..70).collect::<Vec<_>>());
        assert_eq!(d.filters(b"qq").count(), 70);
        let many: Vec<&[u8]> = [b"p0" as &[u8], b"p64", b"p65", b"p69", b"p7", b"q", b"r"]
            .into_iter()
            .chain(PROGRAMS.iter().copied())
            .collect();
        agrees(&fs, &many);
        // Exactly 64 and 128 filters: the last word is full.
        for n in [64, 128, 129] {
            let fs: Vec<Filter> = (0..n)
                .map(|i| filter(&format!("f{i}"), &format!("program p{i}")))
                .collect();
            let d = Dispatch::new(&fs);
            assert_eq!(d.filters(b"").count(), n);
            let last = format!("p{}", n - 1);
            assert_eq!(d.filters(last.as_bytes()).collect::<Vec<_>>(), vec![n - 1]);
        }
    }
}
