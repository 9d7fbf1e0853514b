//! The control socket: how `logjail status|list|ban|unban|reload|version` talk to the daemon.
//!
//! [`proto`] is the wire format (length-prefixed postcard enums), [`server`] serves the socket
//! from the daemon's event loop without ever blocking it, [`handle`] answers a request from the
//! daemon's jails, and [`client`] is the CLI's side.

pub mod client;
pub mod handle;
pub mod proto;
pub mod server;

use core::fmt;
use std::path::PathBuf;

/// Why the control socket could not be set up or used.
#[derive(Debug)]
pub enum ControlError {
    Io {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// Another daemon answers on the socket.
    InUse(PathBuf),
    /// Nothing listens on the socket.
    NoDaemon { path: PathBuf, error: std::io::Error },
    /// The socket (or its directory) is not ours to use: it needs root or its owner.
    Denied { path: PathBuf, error: std::io::Error },
    /// The daemon's answer did not come in time or did not make sense.
    Reply { path: PathBuf, what: String },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Io { what, path, error } => {
                write!(f, "control socket {}: {what}: {error}", path.display())
            }
            ControlError::InUse(p) => write!(
                f,
                "control socket {}: another logjail daemon is running",
                p.display()
            ),
            ControlError::NoDaemon { path, error } => write!(
                f,
                "no logjail daemon is running (cannot connect to {}: {error})",
                path.display()
            ),
            ControlError::Denied { path, error } => write!(
                f,
                "control socket {}: {error}: only root (or the socket's owner) may talk to the daemon; run this as root",
                path.display()
            ),
            ControlError::Reply { path, what } => {
                write!(f, "control socket {}: {what}", path.display())
            }
        }
    }
}

impl std::error::Error for ControlError {}
