//! From a UCI file to a checked [`Config`].
//!
//! [`load`] reads the file (at most [`MAX_FILE_BYTES`]), [`parse`] does the rest: the
//! [`uci`] reader turns text into sections, then each `config logjail` section
//! becomes [`Main`](super::Main) and each `config jail 'NAME'` a
//! [`JailConfig`](super::JailConfig), every value parsed and range-checked (see
//! `options`).
//!
//! The first problem found is returned as a [`ConfigError`] whose `Display` is
//! `file:line: what is wrong`, with the line of the offending statement. Things that are
//! probably mistakes but harmless — an unknown option, an unknown section type, no enabled
//! jail — become warnings in [`Loaded::warnings`], in the same `file:line: ...` form, and the
//! configuration still loads. Meaning follows `uci`: an option written twice keeps the last
//! value, `list` statements accumulate, `option x ''` unsets `x` (the default applies).

use super::error::{invalid, ConfigError};
use super::options::{crowdsec_section, jail_section, main_section};
use super::uci::{self, Section};
use super::Config;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Largest configuration file read; anything bigger is not a logjail configuration.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A loaded configuration and the warnings found on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub config: Config,
    /// `file:line: ...` messages for the user; empty for a clean file.
    pub warnings: Vec<String>,
}

/// Reads and checks the configuration file at `path`; errors and warnings name `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let label = path.display().to_string();
    let read_err = |err| ConfigError::Read {
        path: label.clone(),
        err,
    };
    // Opened without blocking and checked before reading: a FIFO would hold the daemon's loop
    // in `open` on a reload, and a device like /dev/zero would be read without end.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(ConfigError::NotAFile { path: label });
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ConfigError::TooLarge { path: label });
    }
    let mut loaded = parse_bytes(&bytes, &label)?;
    let secrets = loaded
        .config
        .crowdsec
        .as_ref()
        .is_some_and(|c| !c.api_key.is_empty() || c.password.is_some());
    let mode = meta.mode() & 0o777;
    if secrets && mode & 0o077 != 0 {
        loaded.warnings.push(format!(
            "{label}: holds the crowdsec api_key or password but its mode is {mode:04o}: chmod 600 {label}"
        ));
    }
    Ok(loaded)
}

/// Checks configuration text; `file` labels errors and warnings.
pub fn parse(text: &str, file: &str) -> Result<Loaded, ConfigError> {
    parse_bytes(text.as_bytes(), file)
}

/// Like [`parse`], for bytes that may not be UTF-8 (invalid UTF-8 in a value is an error).
pub fn parse_bytes(src: &[u8], file: &str) -> Result<Loaded, ConfigError> {
    let sections = uci::parse(src, file)?;
    let mut config = Config::default();
    let mut warnings = Vec::new();
    let mut named: Vec<(&str, usize)> = Vec::new();
    let mut main_line: Option<usize> = None;
    for s in &sections {
        if let Some(name) = s.name.as_deref() {
            if let Some(&(_, first)) = named.iter().find(|(n, _)| *n == name) {
                return Err(invalid(
                    file,
                    s.line,
                    format!("section '{name}' is already defined on line {first}: names must be unique"),
                ));
            }
            named.push((name, s.line));
        }
        match s.kind.as_str() {
            "logjail" => {
                if let Some(first) = main_line {
                    return Err(invalid(
                        file,
                        s.line,
                        format!("second logjail section: only one is allowed (the first is on line {first})"),
                    ));
                }
                main_line = Some(s.line);
                config.main = main_section(file, s, &mut warnings)?;
            }
            "jail" => config.jails.push(jail_section(file, s, &mut warnings)?),
            "crowdsec" => {
                if let Some(first) = &config.crowdsec {
                    return Err(invalid(
                        file,
                        s.line,
                        format!(
                            "second crowdsec section: only one is allowed (the first is on line {})",
                            first.line
                        ),
                    ));
                }
                config.crowdsec = Some(crowdsec_section(file, s, &mut warnings)?);
            }
            other => warnings.push(unknown_section(file, s, other)),
        }
    }
    if !config.jails.iter().any(|j| j.enabled) {
        warnings.push(format!(
            "{file}: no jail is enabled: logjail will read the log but ban nobody"
        ));
    }
    Ok(Loaded { config, warnings })
}

fn unknown_section(file: &str, s: &Section, kind: &str) -> String {
    format!(
        "{file}:{}: unknown section type '{}' (expected logjail, jail or crowdsec): ignored",
        s.line,
        uci::Excerpt(kind)
    )
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
