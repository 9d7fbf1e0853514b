//! The CLI's side of the control socket: connect, send one request, read the reply frames.

use super::proto::{self, Request, Response, MAX_REPLY, PREFIX};
use super::ControlError;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the CLI waits for each part of the daemon's answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

const CLOSED: &str = "the daemon closed the connection without an answer (too many clients?)";

/// Sends `req` to the daemon at `path` and returns its reply frames (for `List`, every
/// `Bans`, `Refused` and `KernelOnly` frame up to `End`, which is not included).
pub fn call(path: &Path, req: &Request) -> Result<Vec<Response>, ControlError> {
    let mut s = UnixStream::connect(path).map_err(|error| connect_error(path, error))?;
    let fail = |what: String| ControlError::Reply {
        path: path.to_path_buf(),
        what,
    };
    let _ = s.set_read_timeout(Some(TIMEOUT));
    let _ = s.set_write_timeout(Some(TIMEOUT));
    let mut out = Vec::new();
    proto::push_frame(req, &mut out).map_err(|e| fail(e.to_string()))?;
    s.write_all(&out).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => fail(CLOSED.into()),
        _ => fail(format!("sending the request: {e}")),
    })?;
    let streaming = matches!(req, Request::List { .. });
    let mut replies = Vec::new();
    loop {
        let r = frame(&mut s).map_err(fail)?;
        match r {
            Response::End => break,
            Response::Bans(_) | Response::Refused(_) | Response::KernelOnly(_) if streaming => {
                replies.push(r)
            }
            other => {
                replies.push(other);
                break;
            }
        }
    }
    Ok(replies)
}

/// Why connecting failed: not allowed (the socket is root's, mode 0600) is not the same as
/// no daemon listening.
fn connect_error(path: &Path, error: std::io::Error) -> ControlError {
    let path = path.to_path_buf();
    match error.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => ControlError::Denied { path, error },
        _ => ControlError::NoDaemon { path, error },
    }
}

fn frame(s: &mut UnixStream) -> Result<Response, String> {
    let mut p = [0u8; PREFIX];
    s.read_exact(&mut p).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => CLOSED.to_string(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        _ => format!("reading the answer: {e}"),
    })?;
    let len = proto::frame_len(p, MAX_REPLY).map_err(|e| e.to_string())?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .map_err(|e| format!("reading the answer: {e}"))?;
    proto::decode_response(&body).map_err(|e| e.to_string())
}
