//! Log sources: a spawned command, standard input, or a followed file.
//!
//! STUB — owned by the sources work. Contract used by the daemon loop:
//! `Source::open(&Spec)`, `fd()` for `poll`, `read(now_ms, &mut |line: &[u8]| ..)` reading what
//! is available without blocking, `tick(now_ms)` for restarts and rotation checks.

pub mod lines;

use std::path::PathBuf;

/// Where lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// `sh -c CMD`, restarted with backoff when it exits.
    Command(String),
    /// Standard input; its end ends the daemon.
    Stdin,
    /// A file followed like `tail -F`.
    File(PathBuf),
}

impl Spec {
    /// `-` is stdin, a string starting with `/` or `.` that names an existing file is a file,
    /// anything else is a command.
    pub fn parse(s: &str) -> Spec {
        if s == "-" {
            Spec::Stdin
        } else if (s.starts_with('/') || s.starts_with('.')) && !s.contains(' ') {
            Spec::File(PathBuf::from(s))
        } else {
            Spec::Command(s.to_string())
        }
    }
}
