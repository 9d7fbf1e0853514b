//! The state file on disk: a fixed header, then the postcard-encoded [`Snapshot`].
//!
//! ```text
//! offset  size  field
//!      0     4  magic "LJST"
//!      4     2  format version, big-endian (VERSION)
//!      6     2  reserved, zero
//!      8     4  payload length, big-endian
//!     12     4  CRC-32 (IEEE 802.3) of the payload, big-endian
//!     16     …  payload: postcard(Snapshot)
//! ```
//!
//! Version 2 added the log mark and the boot id at the end of the payload ([`Snapshot::mark`],
//! [`Snapshot::boot`]); a version 1 file is still read (as a snapshot without a mark), so an
//! upgrade keeps its bans.
//!
//! A file is written whole to `PATH.tmp`, `fsync`ed, renamed over `PATH`, and the directory is
//! `fsync`ed: a crash leaves either the old file or the new one, never half of one. A file
//! that does not check out — short, wrong magic, a newer version, a checksum or decoding
//! failure, trailing bytes — is moved aside to `PATH.bad` by [`quarantine`] and never trusted.
//!
//! **Hostile file systems.** The directory is created 0700 when missing and refused when
//! another user could write it ([`check_dir`]): a link planted there could otherwise make a
//! root daemon overwrite any file. No link is followed: the state file is opened with
//! `O_NOFOLLOW`, the temp file and an oversized file's `.bad` prefix are created with
//! `O_EXCL | O_NOFOLLOW` after removing whatever name was there, and `rename` replaces a link
//! rather than writing through it. A file's size is checked on the open descriptor before
//! it is read ([`MAX_FILE`]); a write that fails (a full tmpfs) removes its partial temp file
//! and leaves the last good `PATH` in place.

use super::{Snapshot, SnapshotV1, StateError};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: [u8; 4] = *b"LJST";
/// Format version this build writes and reads.
pub const VERSION: u16 = 2;
pub const HEADER_LEN: usize = 16;
const OFF_VERSION: usize = 4;
const OFF_RESERVED: usize = 6;
const OFF_LENGTH: usize = 8;
const OFF_CRC: usize = 12;
/// Largest state file read: far above 65536 bans × a few jails, far below a router's RAM.
pub const MAX_FILE: usize = 32 << 20;

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The whole file for `snap`.
pub fn encode(snap: &Snapshot) -> Result<Vec<u8>, StateError> {
    let payload = postcard::to_allocvec(snap).map_err(|e| StateError::Encode(e.to_string()))?;
    let len = u32::try_from(payload.len()).map_err(|_| StateError::Encode("state too large".into()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32(&payload).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Checks and decodes a whole file.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, StateError> {
    if bytes.len() < HEADER_LEN {
        return Err(StateError::Truncated {
            have: bytes.len(),
            need: HEADER_LEN,
        });
    }
    if bytes[..4] != MAGIC {
        return Err(StateError::Magic);
    }
    let version = be16(bytes, OFF_VERSION);
    if version > VERSION {
        return Err(StateError::FutureVersion(version));
    }
    if version == 0 || be16(bytes, OFF_RESERVED) != 0 {
        return Err(StateError::Header);
    }
    let len = be32(bytes, OFF_LENGTH) as usize;
    let payload = &bytes[HEADER_LEN..];
    if payload.len() < len {
        return Err(StateError::Truncated {
            have: bytes.len(),
            need: HEADER_LEN.saturating_add(len),
        });
    }
    if payload.len() > len {
        return Err(StateError::Trailing(payload.len() - len));
    }
    if crc32(payload) != be32(bytes, OFF_CRC) {
        return Err(StateError::Checksum);
    }
    let decoded = if version == 1 {
        postcard::take_from_bytes::<SnapshotV1>(payload).map(|(s, rest)| (s.into(), rest))
    } else {
        postcard::take_from_bytes::<Snapshot>(payload)
    };
    let (snap, rest) = decoded.map_err(|e| StateError::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(StateError::Trailing(rest.len()));
    }
    Ok(snap)
}

/// Reads and decodes `path`; `Ok(None)` when there is no file.
///
/// The file is opened without following a symbolic link (`O_NOFOLLOW`: a link is an I/O
/// error, and the next write replaces the link itself) and its size is checked on the open descriptor
/// before anything is read: a file larger than [`MAX_FILE`] is refused unread. A directory
/// that others can write is not trusted ([`check_dir`]).
pub fn read(path: &Path) -> Result<Option<Snapshot>, StateError> {
    use std::os::unix::fs::OpenOptionsExt;
    check_dir(&dir_of(path))?;
    let f = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(StateError::Io {
                what: "open",
                error: io::Error::other("it is a symbolic link, which is not followed"),
            })
        }
        Err(e) => {
            return Err(StateError::Io {
                what: "open",
                error: e,
            })
        }
    };
    let meta = f
        .metadata()
        .map_err(|error| StateError::Io { what: "fstat", error })?;
    if !meta.is_file() {
        return Err(StateError::Io {
            what: "open",
            error: io::Error::other("not a regular file"),
        });
    }
    if meta.len() > MAX_FILE as u64 {
        return Err(StateError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_FILE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| StateError::Io { what: "read", error })?;
    if bytes.len() > MAX_FILE {
        return Err(StateError::TooLarge);
    }
    decode(&bytes).map(Some)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where a file that failed to load is moved: `PATH.bad`.
pub fn bad_path(path: &Path) -> PathBuf {
    with_suffix(path, ".bad")
}

/// What [`quarantine`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Quarantined {
    /// The file (or the link) was renamed to `PATH.bad`.
    Moved(PathBuf),
    /// The file was larger than [`MAX_FILE`]: its first `kept` bytes were copied to
    /// `PATH.bad` and the file removed (it would fill the RAM a tmpfs is).
    Cut { bad: PathBuf, kept: usize },
}

/// Bytes of an oversized file kept in `PATH.bad`: its header and a little more, for a look.
pub const KEEP_OF_OVERSIZED: usize = 4096;

/// Moves a file that did not check out to `PATH.bad` (replacing an older one; `rename`
/// replaces a link there rather than writing through it). A file larger than [`MAX_FILE`]
/// is not kept whole: only its first [`KEEP_OF_OVERSIZED`] bytes are.
pub fn quarantine(path: &Path) -> io::Result<Quarantined> {
    use std::os::unix::fs::OpenOptionsExt;
    let bad = bad_path(path);
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_file() || meta.len() <= MAX_FILE as u64 {
        fs::rename(path, &bad)?;
        return Ok(Quarantined::Moved(bad));
    }
    let mut head = Vec::with_capacity(KEEP_OF_OVERSIZED);
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?
        .take(KEEP_OF_OVERSIZED as u64)
        .read_to_end(&mut head)?;
    remove_if_there(&bad)?;
    let mut out = create_new(&bad)?;
    if let Err(e) = out.write_all(&head) {
        drop(out);
        let _ = fs::remove_file(&bad);
        return Err(e);
    }
    fs::remove_file(path)?;
    Ok(Quarantined::Cut {
        bad,
        kept: head.len(),
    })
}

/// Removes a file or link (never what a link points to); a missing one is fine.
fn remove_if_there(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Creates a new file, mode 0600: fails if anything — a file, a link — is at `path`.
fn create_new(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Refuses a directory another user could plant files or links in: it must belong to us
/// (or root) and not be writable by others (group-writable only for group root or ours).
/// A missing directory is fine (it is created 0700).
pub fn check_dir(dir: &Path) -> Result<(), StateError> {
    safe_dir(dir).map_err(|error| StateError::Io {
        what: "refusing its directory",
        error,
    })
}

/// [`check_dir`] as an I/O error (also used for the control socket's directory).
pub fn safe_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let (uid, gid) = crate::sys::effective_ids();
    match unsafe_dir(&meta, uid, gid) {
        None => Ok(()),
        Some(why) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} {why} (owner uid {}, mode {:o}): a link planted there could make the daemon overwrite any file; use a directory only root can write (a missing one is created with mode 0700)",
                dir.display(),
                meta.uid(),
                meta.mode() & 0o7777
            ),
        )),
    }
}

/// Why a directory with `meta` is not safe for a daemon running as `uid`/`gid`, if it is not.
pub fn unsafe_dir(meta: &fs::Metadata, uid: u32, gid: u32) -> Option<&'static str> {
    use std::os::unix::fs::MetadataExt;
    if !meta.is_dir() {
        return Some("is not a directory");
    }
    if meta.uid() != uid && meta.uid() != 0 {
        return Some("belongs to another user");
    }
    if meta.mode() & 0o002 != 0 {
        return Some("is writable by every user");
    }
    if meta.mode() & 0o020 != 0 && meta.gid() != 0 && meta.gid() != gid {
        return Some("is writable by another group");
    }
    None
}

/// Creates the directory of `path` (mode 0700) when missing, and checks it ([`check_dir`]).
pub fn prepare_dir(path: &Path) -> Result<PathBuf, StateError> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = dir_of(path);
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|error| StateError::Io {
                what: "create directory",
                error,
            })?;
    }
    check_dir(&dir)?;
    Ok(dir)
}

/// Writes `snap` to `path` atomically: temp file, fsync, rename, fsync of the directory.
/// Creates the directory (mode 0700) when missing and refuses one that others can write.
///
/// `PATH.tmp` is removed first (a link there is removed, not followed) and created with
/// `O_EXCL | O_NOFOLLOW`. On any failure — a full file system, an I/O error — the partial
/// temp file is removed and `PATH`, the last good copy, is left as it was.
pub fn write(path: &Path, snap: &Snapshot) -> Result<(), StateError> {
    let bytes = encode(snap)?;
    let dir = prepare_dir(path)?;
    let tmp = with_suffix(path, ".tmp");
    let io = |what: &'static str| move |error| StateError::Io { what, error };
    remove_if_there(&tmp).map_err(io("remove old temporary file"))?;
    let mut f = create_new(&tmp).map_err(io("create temporary file"))?;
    let written = f
        .write_all(&bytes)
        .map_err(io("write"))
        .and_then(|()| f.sync_all().map_err(io("fsync")));
    drop(f);
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path).map_err(io("rename"))) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
