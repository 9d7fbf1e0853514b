//! Where filters come from: the ones compiled into the binary, filter files on disk, and the
//! rule that picks between them.
//!
//! `build.rs` embeds every `filters/*.filter` of the source tree, so the package needs no filter
//! files on flash; a file `NAME.filter` in the configured filter directory overrides the
//! built-in of the same name, and a jail may name any filter file by path.

use super::{Filter, FilterError, Options};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_filters.rs"));
static PACKED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_filters.lz"));

/// File name suffix of filter files.
pub const EXTENSION: &str = "filter";

/// Names of the built-in filters, sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, ..)| *name)
}

/// Text of the built-in filter `name`, unpacked ([`super::packed`]).
pub fn text(name: &str) -> Option<String> {
    let &(_, start, end) = BUILTIN.iter().find(|(n, ..)| *n == name)?;
    let all = super::packed::unpack(PACKED, end)?;
    String::from_utf8(all.get(start..)?.to_vec()).ok()
}

/// Loads a filter. `name_or_path` containing `/` is a file path; otherwise
/// `filter_dir/NAME.filter`, when it exists, overrides the built-in `NAME`.
pub fn load(name_or_path: &str, filter_dir: &Path) -> Result<Filter, FilterError> {
    load_with(name_or_path, filter_dir, &Options::default())
}

/// [`load`] with a jail's options: the filter's [`super::Mode`] and extra program names. A
/// mode the filter's rules are not tagged with, or a program name no log tag can be, is an
/// error naming the filter.
pub fn load_with(name_or_path: &str, filter_dir: &Path, options: &Options) -> Result<Filter, FilterError> {
    if name_or_path.contains('/') {
        let path = Path::new(name_or_path);
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or(name_or_path);
        return from_file(name, path, options);
    }
    if name_or_path.is_empty() || name_or_path.starts_with('.') {
        return Err(not_found(name_or_path, filter_dir));
    }
    let path = filter_dir.join(format!("{name_or_path}.{EXTENSION}"));
    if path.is_file() {
        return from_file(name_or_path, &path, options);
    }
    match text(name_or_path) {
        Some(t) => Filter::parse_with(name_or_path, &t, options),
        None => Err(not_found(name_or_path, filter_dir)),
    }
}

fn not_found(name: &str, dir: &Path) -> FilterError {
    FilterError::NotFound {
        name: name.to_owned(),
        dir: dir.display().to_string(),
    }
}

/// Largest filter file read (ten times the largest built-in filter, comments included).
pub const MAX_FILE: u64 = 64 * 1024;

/// Reads and compiles a filter file; errors name the path.
fn from_file(name: &str, path: &Path, options: &Options) -> Result<Filter, FilterError> {
    let shown = path.display().to_string();
    let text = read_bounded(path).map_err(|error| FilterError::Io {
        path: shown.clone(),
        error,
    })?;
    let mut f = Filter::parse_with(&shown, &text, options)?;
    f.name = name.to_owned();
    Ok(f)
}

/// The text of a regular file of at most [`MAX_FILE`] bytes. Opened without blocking (a FIFO
/// would hold the daemon's loop in `open` on a reload) and checked before reading: a device
/// like `/dev/zero` would be read until memory runs out.
fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file, not a filter file".into());
    }
    if meta.len() > MAX_FILE {
        return Err(format!("larger than {} KiB, not a filter file", MAX_FILE / 1024));
    }
    let mut text = String::new();
    file.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_FILE {
        return Err(format!("larger than {} KiB, not a filter file", MAX_FILE / 1024));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_compiles() {
        let names: Vec<_> = names().collect();
        for want in ["dropbear", "luci", "sshd"] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        for name in names {
            let f = Filter::parse(name, &text(name).unwrap()).unwrap();
            assert!(!f.programs().is_empty(), "{name} names no program");
        }
    }

    /// build.rs embeds each shipped file with its comment lines emptied: every other line is
    /// the file's, on the same line number (what error messages cite), and no comment is left.
    #[test]
    fn builtins_are_the_shipped_files_without_their_comments() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("filters");
        let (mut files, mut comments) = (0, 0);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension() != Some(std::ffi::OsStr::new(EXTENSION)) {
                continue;
            }
            files += 1;
            let name = path.file_stem().unwrap().to_str().unwrap();
            let shipped = std::fs::read_to_string(&path).unwrap();
            let embedded = text(name).unwrap_or_else(|| panic!("{name} not embedded"));
            let (shipped, embedded): (Vec<_>, Vec<_>) =
                (shipped.lines().collect(), embedded.lines().collect());
            assert_eq!(shipped.len(), embedded.len(), "{name}: line count");
            for (i, (s, e)) in shipped.iter().zip(&embedded).enumerate() {
                let want = if s.trim_start().starts_with('#') { "" } else { s };
                assert_eq!(*e, want, "{name}:{}", i + 1);
            }
            comments += shipped.iter().filter(|l| l.trim_start().starts_with('#')).count();
        }
        assert_eq!(files, names().count());
        assert!(comments > 0, "no comment lines to leave out");
    }

    #[test]
    fn directory_overrides_builtin_and_paths_are_read() {
        let dir = std::env::temp_dir().join(format!("logjail-filter-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = load("dropbear", &dir).unwrap();
        assert_eq!(f.name(), "dropbear");
        assert!(f.rules().count() > 1);
        std::fs::write(dir.join("dropbear.filter"), "program x\nfailregex ^z <HOST>$\n").unwrap();
        let f = load("dropbear", &dir).unwrap();
        assert_eq!(f.rules().collect::<Vec<_>>(), ["^z <HOST>$"]);
        std::fs::write(dir.join("bad.filter"), "failregex ^(z <HOST>$\n").unwrap();
        let path = dir.join("bad.filter").display().to_string();
        let e = load(&path, &dir).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{path}:1: bad regex")), "{e}");
        let e = load("nonesuch", &dir).unwrap_err().to_string();
        assert!(
            e.contains("no filter `nonesuch`") && e.contains("dropbear"),
            "{e}"
        );
        let e = load("./missing.filter", &dir).unwrap_err().to_string();
        assert!(e.starts_with("./missing.filter: "), "{e}");
        // Not read at all: a device, and a file past the limit.
        let e = load("/dev/zero", &dir).unwrap_err().to_string();
        assert_eq!(e, "/dev/zero: not a regular file, not a filter file");
        let big = dir.join("big.filter");
        std::fs::write(&big, "#\n".repeat(MAX_FILE as usize / 2 + 1)).unwrap();
        let e = load(&big.display().to_string(), &dir).unwrap_err().to_string();
        assert!(e.ends_with(": larger than 64 KiB, not a filter file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
