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
//! A file is written whole to `PATH.tmp`, `fsync`ed, renamed over `PATH`, and the directory is
//! `fsync`ed: a crash leaves either the old file or the new one, never half of one. A file
//! that does not check out — short, wrong magic, a newer version, a checksum or decoding
//! failure, trailing bytes — is moved aside to `PATH.bad` by [`quarantine`] and never trusted.

use super::{Snapshot, StateError};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub const MAGIC: [u8; 4] = *b"LJST";
/// Format version this build writes and reads.
pub const VERSION: u16 = 1;
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
    let (snap, rest) =
        postcard::take_from_bytes::<Snapshot>(payload).map_err(|e| StateError::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(StateError::Trailing(rest.len()));
    }
    Ok(snap)
}

/// Reads and decodes `path`; `Ok(None)` when there is no file.
pub fn read(path: &Path) -> Result<Option<Snapshot>, StateError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StateError::Io {
                what: "open",
                error: e,
            })
        }
    };
    let mut bytes = Vec::new();
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

/// Where a file that failed to load is moved: `PATH.bad`.
pub fn bad_path(path: &Path) -> PathBuf {
    with_suffix(path, ".bad")
}

/// Moves a file that did not check out to `PATH.bad` (replacing an older one).
pub fn quarantine(path: &Path) -> std::io::Result<PathBuf> {
    let bad = bad_path(path);
    fs::rename(path, &bad)?;
    Ok(bad)
}

/// Writes `snap` to `path` atomically: temp file, fsync, rename, fsync of the directory.
/// Creates the directory (mode 0700) when missing.
pub fn write(path: &Path, snap: &Snapshot) -> Result<(), StateError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let bytes = encode(snap)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
    let tmp = with_suffix(path, ".tmp");
    let io = |what: &'static str| move |error| StateError::Io { what, error };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io("create temporary file"))?;
    f.write_all(&bytes).map_err(io("write"))?;
    f.sync_all().map_err(io("fsync"))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io("rename"))?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
