//! Which filters a line's program reaches, for many filters at once.
//!
//! [`Filter::applies_to`] answers for one filter; with fourteen filters enabled, asking each in
//! turn costs more than the filter that finally runs. [`Dispatch`] indexes every filter's
//! program names once, by first byte, and answers for a program with a bit set of filter
//! indices: a `dnsmasq-dhcp` line looks at the two or three names that start with `d`, not at
//! fourteen filters. Lines without a program (bare messages) reach every filter, as do filters
//! that name no program. Nothing here allocates after [`Dispatch::new`].

use super::Filter;

/// Most filters one dispatch table indexes; beyond that every filter is asked in turn.
pub const MAX_FILTERS: usize = 64;

struct Name {
    bytes: Box<[u8]>,
    prefix: bool,
    filters: u64,
}

pub struct Dispatch {
    /// Names sorted by first byte; `by_first[b]` is the range of those starting with `b`.
    names: Vec<Name>,
    by_first: Box<[(u16, u16); 256]>,
    /// Filters that apply to every program, plus names that are an empty prefix (`*`).
    everywhere: u64,
    /// Every filter.
    all: u64,
    /// More filters than a mask holds: fall back to asking each filter.
    linear: bool,
}

impl Dispatch {
    pub fn new(filters: &[Filter]) -> Dispatch {
        let linear = filters.len() > MAX_FILTERS;
        let all = if filters.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << filters.len()) - 1
        };
        let mut everywhere = 0;
        let mut names: Vec<Name> = Vec::new();
        for (i, f) in filters.iter().enumerate().take(MAX_FILTERS) {
            let bit = 1u64 << i;
            if f.program_patterns().is_empty() {
                everywhere |= bit;
            }
            for (bytes, prefix) in f.program_patterns() {
                if bytes.is_empty() {
                    everywhere |= bit;
                } else if let Some(n) = names
                    .iter_mut()
                    .find(|n| n.bytes == *bytes && n.prefix == *prefix)
                {
                    n.filters |= bit;
                } else {
                    names.push(Name {
                        bytes: bytes.clone(),
                        prefix: *prefix,
                        filters: bit,
                    });
                }
            }
        }
        names.sort_by_key(|n| n.bytes[0]);
        let mut by_first = Box::new([(0u16, 0u16); 256]);
        for (i, n) in names.iter().enumerate() {
            let r = &mut by_first[usize::from(n.bytes[0])];
            if r.0 == r.1 {
                *r = (i as u16, i as u16 + 1);
            } else {
                r.1 = i as u16 + 1;
            }
        }
        Dispatch {
            names,
            by_first,
            everywhere,
            all,
            linear,
        }
    }

    /// The filters (bit `i` = `filters[i]`) that apply to `program`.
    pub fn mask(&self, program: &[u8]) -> u64 {
        let Some(&first) = program.first() else {
            return self.all;
        };
        if self.linear {
            return self.all;
        }
        let (lo, hi) = self.by_first[usize::from(first)];
        let mut mask = self.everywhere;
        for n in &self.names[usize::from(lo)..usize::from(hi)] {
            let hit = if n.prefix {
                program.starts_with(&n.bytes)
            } else {
                *n.bytes == *program
            };
            if hit {
                mask |= n.filters;
            }
        }
        mask
    }

    /// True when the mask may be trusted without asking each filter ([`Filter::applies_to`]).
    pub fn exact(&self) -> bool {
        !self.linear
    }
}

/// Indices of the set bits of `mask`, lowest first.
pub fn indices(mut mask: u64) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let i = mask.trailing_zeros() as usize;
        mask &= mask - 1;
        Some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters() -> Vec<Filter> {
        let f = |name: &str, programs: &str| {
            let text = format!("{programs}\nfailregex ^x from <HOST>$\n");
            Filter::parse(name, &text).expect("filter")
        };
        vec![
            f("dropbear", "program dropbear"),
            f("sshd", "program sshd sshd-session"),
            f("postfix", "program postfix/*"),
            f("any", ""),
            f("dovecot", "program dovecot"),
            f("twin", "program dropbear"),
        ]
    }

    #[test]
    fn agrees_with_each_filter_on_every_program() {
        let fs = filters();
        let d = Dispatch::new(&fs);
        for p in [
            &b"dropbear"[..],
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
        ] {
            let want: u64 = fs
                .iter()
                .enumerate()
                .filter(|(_, f)| f.applies_to(p))
                .map(|(i, _)| 1 << i)
                .sum();
            assert_eq!(d.mask(p), want, "{}", String::from_utf8_lossy(p));
        }
        assert_eq!(indices(d.mask(b"dropbear")).collect::<Vec<_>>(), vec![0, 3, 5]);
        assert!(d.exact());
    }

    #[test]
    fn more_filters_than_a_mask_holds_fall_back_to_all() {
        let fs: Vec<Filter> = (0..70)
            .map(|i| {
                Filter::parse(&format!("f{i}"), "program p\nfailregex ^x from <HOST>$\n").expect("filter")
            })
            .collect();
        let d = Dispatch::new(&fs);
        assert!(!d.exact());
        assert_eq!(d.mask(b"q"), u64::MAX);
    }
}
