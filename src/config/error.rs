//! Why a configuration could not be loaded ([`ConfigError`]), shared by the file reader
//! (`load`) and the option parsers (`options`).

use super::load::MAX_FILE_BYTES;
use super::uci::UciError;
use core::fmt;

/// Why a configuration could not be loaded. `Display` gives the message for the user.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be opened or read (missing, a directory, no permission).
    Read { path: String, err: std::io::Error },
    /// The file is larger than [`MAX_FILE_BYTES`].
    TooLarge { path: String },
    /// A FIFO, a device, a directory: read it and the daemon could hang or fill memory.
    NotAFile { path: String },
    /// The text is not valid UCI.
    Syntax(UciError),
    /// Valid UCI with a value or section logjail cannot accept.
    Invalid { file: String, line: usize, what: String },
}

impl ConfigError {
    /// The line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax(e) => Some(e.line),
            ConfigError::Invalid { line, .. } => Some(*line),
            ConfigError::Read { .. } | ConfigError::TooLarge { .. } | ConfigError::NotAFile { .. } => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, err } => {
                let why = match err.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                    _ => err.to_string(),
                };
                write!(f, "{path}: cannot read the configuration: {why}")
            }
            ConfigError::NotAFile { path } => {
                write!(f, "{path}: not a regular file, not a logjail configuration")
            }
            ConfigError::TooLarge { path } => write!(
                f,
                "{path}: larger than {} KiB, not a logjail configuration",
                MAX_FILE_BYTES / 1024
            ),
            ConfigError::Syntax(e) => write!(f, "{e}"),
            ConfigError::Invalid { file, line, what } => write!(f, "{file}:{line}: {what}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<UciError> for ConfigError {
    fn from(e: UciError) -> Self {
        ConfigError::Syntax(e)
    }
}

/// A value or section logjail cannot accept, at `file:line`.
pub(super) fn invalid(file: &str, line: usize, what: String) -> ConfigError {
    ConfigError::Invalid {
        file: file.into(),
        line,
        what,
    }
}
