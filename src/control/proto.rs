//! The control protocol: one request per connection, answered by one or more reply frames.
//!
//! A frame is a big-endian `u32` length followed by that many bytes of postcard. A request is
//! at most [`MAX_REQUEST`] bytes; a reply frame at most [`MAX_REPLY`]. Every request is
//! answered by exactly one frame, except [`Request::List`], answered by any number of
//! [`Response::Bans`], [`Response::Refused`] and [`Response::KernelOnly`] frames of at most
//! [`BANS_PER_FRAME`] entries each and a final [`Response::End`]. The daemon closes the
//! connection after the last frame. `status` is answered by [`Response::Overview`] and
//! `unban` by [`Response::Lifted`] (the older `Status` and `Unbanned` stay decodable).
//!
//! The enums are append-only: new variants go at the end, so an older client still decodes
//! the replies it knows.

use core::fmt;
use serde::{Deserialize, Serialize};

/// Largest request payload the daemon reads.
pub const MAX_REQUEST: usize = 4096;
/// Largest reply payload a client accepts.
pub const MAX_REPLY: usize = 256 * 1024;
/// Bans per [`Response::Bans`] frame.
pub const BANS_PER_FRAME: usize = 256;
/// Bytes of the length prefix.
pub const PREFIX: usize = 4;

/// How long a manual ban lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BanTime {
    /// The jail's `bantime`, with escalation for repeat offenders.
    Jail,
    Seconds(u32),
    Permanent,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Version,
    /// One jail, or all.
    Status {
        jail: Option<String>,
    },
    List {
        jail: Option<String>,
    },
    Ban {
        jail: String,
        addr: String,
        time: BanTime,
        /// Ban even an address on the ignore list (never loopback).
        force: bool,
    },
    /// One address (or prefix) in every jail; `None` = every ban.
    Unban {
        addr: Option<String>,
    },
    Reload,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailStatus {
    pub name: String,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanInfo {
    pub jail: String,
    /// `203.0.113.9`, `2001:db8:bad::/64`.
    pub address: String,
    /// Seconds left; `None` = permanent.
    pub remaining: Option<u32>,
    pub count: u32,
    /// Unix seconds.
    pub start: i64,
}

/// An element the firewall's sets hold that logjail has no ban for (left by a crash, added by
/// hand).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldInfo {
    pub address: String,
    /// Seconds the kernel keeps it; `None` = permanent.
    pub remaining: Option<u32>,
}

/// A ban the kernel refused, with its reason; logjail tries it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedInfo {
    pub ban: BanInfo,
    pub reason: String,
}

/// The daemon's health beside the jails' counters, for `status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Bans the kernel refused that wait for another try.
    pub refused: u64,
    /// Refusals since start (each try counts).
    pub refused_total: u64,
    /// Firewall requests that failed since start.
    pub firewall_errors: u64,
    /// Lines the source did not hand out: too long, with a NUL, unfinished (never judged).
    pub ignored_lines: u64,
    /// Failed writes in a row of the state file (tmpfs) and of its flash copy.
    pub state_failures: u32,
    pub flash_failures: u32,
    /// The router's own addresses as the engine knows them (loopback included).
    pub own_addresses: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Version {
        version: String,
    },
    Status {
        /// `open`, `waiting` or `ended`.
        source_state: String,
        /// What the source is doing, in words.
        source: String,
        jails: Vec<JailStatus>,
    },
    Bans(Vec<BanInfo>),
    End,
    Banned(BanInfo),
    Unbanned(Vec<BanInfo>),
    Reloaded {
        jails: u32,
    },
    Error(String),
    /// `list`: elements the sets hold that logjail has no ban for.
    KernelOnly(Vec<HeldInfo>),
    /// `list`: bans the kernel refused.
    Refused(Vec<RefusedInfo>),
    /// `status`.
    Overview {
        source_state: String,
        source: String,
        jails: Vec<JailStatus>,
        health: Health,
    },
    /// `unban`: the bans logjail held, the elements the sets held that it did not know
    /// (`unban ADDR`), and how many elements an emptying (`unban --all`) found.
    Lifted {
        bans: Vec<BanInfo>,
        kernel_only: Vec<String>,
        emptied: Option<u32>,
    },
}

/// What can be wrong with a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum ProtoError {
    /// The length prefix announces more than the limit.
    TooLarge {
        len: usize,
        max: usize,
    },
    Empty,
    /// The payload does not decode.
    Malformed(String),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes is larger than the limit of {max}")
            }
            ProtoError::Empty => f.write_str("empty frame"),
            ProtoError::Malformed(e) => write!(f, "malformed frame: {e}"),
        }
    }
}

impl std::error::Error for ProtoError {}

/// The announced length of a frame whose prefix is `prefix`, checked against `max`.
pub fn frame_len(prefix: [u8; PREFIX], max: usize) -> Result<usize, ProtoError> {
    let len = u32::from_be_bytes(prefix) as usize;
    match len {
        0 => Err(ProtoError::Empty),
        n if n > max => Err(ProtoError::TooLarge { len: n, max }),
        n => Ok(n),
    }
}

/// Appends `msg` as one frame to `out`.
pub fn push_frame<T: Serialize>(msg: &T, out: &mut Vec<u8>) -> Result<(), ProtoError> {
    let body = postcard::to_allocvec(msg).map_err(|e| ProtoError::Malformed(e.to_string()))?;
    let len = u32::try_from(body.len()).map_err(|_| ProtoError::TooLarge {
        len: body.len(),
        max: u32::MAX as usize,
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(())
}

fn decode<'a, T: Deserialize<'a>>(payload: &'a [u8]) -> Result<T, ProtoError> {
    let (v, rest) =
        postcard::take_from_bytes::<T>(payload).map_err(|e| ProtoError::Malformed(e.to_string()))?;
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(ProtoError::Malformed(format!(
            "{} bytes after the message",
            rest.len()
        )))
    }
}

/// Decodes a request payload (without its prefix). Never panics, whatever the bytes.
pub fn decode_request(payload: &[u8]) -> Result<Request, ProtoError> {
    if payload.len() > MAX_REQUEST {
        return Err(ProtoError::TooLarge {
            len: payload.len(),
            max: MAX_REQUEST,
        });
    }
    decode(payload)
}

/// Decodes a reply payload (without its prefix).
pub fn decode_response(payload: &[u8]) -> Result<Response, ProtoError> {
    decode(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_frames_are_byte_exact() {
        let mut out = Vec::new();
        push_frame(
            &Request::Status {
                jail: Some("ssh".into()),
            },
            &mut out,
        )
        .unwrap();
        // len 6: variant 1, Some, string of 3.
        assert_eq!(out, [0, 0, 0, 6, 1, 1, 3, b's', b's', b'h']);
        assert_eq!(
            decode_request(&out[4..]).unwrap(),
            Request::Status {
                jail: Some("ssh".into())
            }
        );
        assert_eq!(
            frame_len([0, 0, 0x10, 1], MAX_REQUEST),
            Err(ProtoError::TooLarge { len: 4097, max: 4096 })
        );
        assert_eq!(frame_len([0; 4], MAX_REQUEST), Err(ProtoError::Empty));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut x: u32 = 99;
        for n in 0..5000usize {
            let bytes: Vec<u8> = (0..n % 64)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = decode_request(&bytes);
            let _ = decode_response(&bytes);
        }
        assert!(decode_request(&[9]).is_err());
        assert!(decode_request(&[0, 7]).is_err(), "trailing byte");
    }
}
