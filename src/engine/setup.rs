//! Why an engine could not be built from a configuration.

use crate::filter;
use core::fmt;

/// Why the engine could not be built.
#[derive(Debug)]
pub enum SetupError {
    /// A jail's filter could not be loaded; `line` is where the configuration file says what
    /// the error is about ([`crate::config::JailConfig::line_of`]).
    Filter {
        jail: String,
        line: usize,
        error: filter::FilterError,
    },
    NoJails,
}

impl SetupError {
    /// The error as `FILE:LINE: jail '…': …` for the configuration file `file`.
    pub fn at(&self, file: &str) -> String {
        match self {
            SetupError::Filter { line, .. } if *line > 0 => format!("{file}:{line}: {self}"),
            _ => format!("{file}: {self}"),
        }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Filter { jail, error, .. } => write!(f, "jail '{jail}': {error}"),
            SetupError::NoJails => f.write_str("no enabled jail in the configuration"),
        }
    }
}
