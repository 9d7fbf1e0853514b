//! Filters: which messages are failures, and whose.
//!
//! STUB — owned by the filter work. Contract used by the rest of the crate:
//! `Filter::parse(name, text)`, `Filter::applies_to(program)`, `Filter::check(message)`,
//! `load(name_or_path, filter_dir)`, `builtin::names()`.

use core::net::IpAddr;

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
