//! HTTP/1.1 as a client needs it: a request writer and a response parser that is fed bytes as
//! the socket delivers them.
//!
//! [`Response::next`] takes the unread part of a chunk and returns the next [`Part`]: the
//! [`Head`] once the status line and headers are in, then the body as slices *of the input*
//! (no copy, whatever the framing), then [`Part::End`]. `None` means the chunk ran out. The
//! body is framed by `Transfer-Encoding: chunked` (chunk extensions and trailers skipped), by
//! `Content-Length`, or by the server closing the connection ([`Response::closed`]).
//!
//! Bounds: a header or chunk-size line is at most [`MAX_LINE`] bytes, the head at most
//! [`MAX_HEAD`] bytes, the body at most the limit given to [`Response::new`]. Anything else —
//! a status line that is not HTTP/1.x, a bad length, a chunk without its CRLF, conflicting
//! lengths — is a [`HttpError`] naming it; the parser then stays failed.
//!
//! The request writer and the endpoint are in [`request`](super::request) (re-exported here).

use core::fmt;

pub use super::request::{Endpoint, Request};

/// Longest status, header, chunk-size or trailer line.
pub const MAX_LINE: usize = 8192;
/// Longest status line plus headers.
pub const MAX_HEAD: usize = 65536;

/// What went wrong, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    Malformed(&'static str),
    TooLarge(&'static str),
    /// The server closed the connection before the response was complete.
    Truncated,
    /// A request field holds CR, LF or NUL.
    BadField(&'static str),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Malformed(w) => write!(f, "malformed HTTP response: {w}"),
            HttpError::TooLarge(w) => write!(f, "HTTP response too large: {w}"),
            HttpError::Truncated => f.write_str("the server closed the connection mid-response"),
            HttpError::BadField(w) => write!(f, "request {w} contains CR, LF or NUL"),
        }
    }
}

/// The status line and the headers logjail cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    /// `Connection: close`, or a body that ends with the connection.
    pub close: bool,
}

/// One piece of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    Head(Head),
    Body(&'a [u8]),
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Status,
    Headers,
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    /// The CRLF after a chunk's data; `true` once the CR was seen.
    ChunkEnd(bool),
    Trailers,
    UntilClose,
    Done,
    Failed,
}

/// A response being parsed. See the module documentation.
pub struct Response {
    state: State,
    line: Vec<u8>,
    head_bytes: usize,
    body_bytes: u64,
    max_body: u64,
    status: u16,
    length: Option<u64>,
    chunked: bool,
    close: bool,
    /// The status has no body.
    no_body: bool,
    /// The head being read is a 1xx one.
    interim: bool,
}

impl Response {
    /// A parser for the response to one request, accepting at most `max_body` body bytes.
    pub fn new(max_body: u64) -> Response {
        Response {
            state: State::Status,
            line: Vec::new(),
            head_bytes: 0,
            body_bytes: 0,
            max_body,
            status: 0,
            length: None,
            chunked: false,
            close: false,
            no_body: false,
            interim: false,
        }
    }

    /// Whether the whole response was read.
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    fn fail(&mut self, e: HttpError) -> HttpError {
        self.state = State::Failed;
        e
    }

    /// The server closed the connection: the end of a body framed that way, else an error.
    pub fn closed(&mut self) -> Result<Part<'static>, HttpError> {
        match self.state {
            State::UntilClose | State::Done => {
                self.state = State::Done;
                Ok(Part::End)
            }
            State::Failed => Err(HttpError::Malformed("the parser failed before")),
            _ => Err(self.fail(HttpError::Truncated)),
        }
    }

    /// Collects one CRLF-ended line; `Some` when complete (CR and LF removed).
    fn take_line(&mut self, input: &mut &[u8]) -> Result<bool, HttpError> {
        let Some(nl) = input.iter().position(|&b| b == b'\n') else {
            self.line.extend_from_slice(input);
            *input = &[];
            return if self.line.len() > MAX_LINE {
                Err(self.fail(HttpError::TooLarge("a header line is longer than 8 KiB")))
            } else {
                Ok(false)
            };
        };
        self.line.extend_from_slice(&input[..nl]);
        *input = &input[nl + 1..];
        if self.line.len() > MAX_LINE {
            return Err(self.fail(HttpError::TooLarge("a header line is longer than 8 KiB")));
        }
        if self.line.pop() != Some(b'\r') {
            return Err(self.fail(HttpError::Malformed("a line does not end in CRLF")));
        }
        Ok(true)
    }

    fn body_budget(&mut self, n: u64) -> Result<(), HttpError> {
        self.body_bytes += n;
        if self.body_bytes > self.max_body {
            return Err(self.fail(HttpError::TooLarge("the body is over the limit")));
        }
        Ok(())
    }

    /// The next part of the response from `input` (advanced past what was used).
    pub fn next<'a>(&mut self, input: &mut &'a [u8]) -> Result<Option<Part<'a>>, HttpError> {
        loop {
            match self.state {
                State::Failed => return Err(HttpError::Malformed("the parser failed before")),
                State::Done => return Ok(None),
                State::Status | State::Headers | State::ChunkSize | State::Trailers => {
                    let before = input.len();
                    let complete = self.take_line(input)?;
                    if matches!(self.state, State::Status | State::Headers) {
                        self.head_bytes += before - input.len();
                        if self.head_bytes > MAX_HEAD {
                            return Err(self.fail(HttpError::TooLarge("the headers are over 64 KiB")));
                        }
                    }
                    if !complete {
                        return Ok(None);
                    }
                    let line = core::mem::take(&mut self.line);
                    let part = self.line_done(&line);
                    self.line = line;
                    self.line.clear();
                    if let Some(p) = part? {
                        return Ok(Some(p));
                    }
                }
                State::Length(0) => {
                    self.state = State::Done;
                    return Ok(Some(Part::End));
                }
                State::Length(rem) | State::ChunkData(rem) => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let n = usize::try_from(rem).unwrap_or(usize::MAX).min(input.len());
                    let (body, rest) = input.split_at(n);
                    *input = rest;
                    self.body_budget(n as u64)?;
                    let left = rem - n as u64;
                    self.state = match self.state {
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::ChunkEnd(false),
                        _ => State::ChunkData(left),
                    };
                    return Ok(Some(Part::Body(body)));
                }
                State::ChunkEnd(cr) => {
                    let Some((&b, rest)) = input.split_first() else {
                        return Ok(None);
                    };
                    *input = rest;
                    self.state = match (cr, b) {
                        (false, b'\r') => State::ChunkEnd(true),
                        (true, b'\n') => State::ChunkSize,
                        _ => {
                            return Err(self.fail(HttpError::Malformed("chunk data is not followed by CRLF")))
                        }
                    };
                }
                State::UntilClose => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let body = core::mem::take(input);
                    self.body_budget(body.len() as u64)?;
                    return Ok(Some(Part::Body(body)));
                }
            }
        }
    }

    /// A complete line in a line state: what it means.
    fn line_done(&mut self, line: &[u8]) -> Result<Option<Part<'static>>, HttpError> {
        match self.state {
            State::Status => {
                let status = status_line(line)
                    .ok_or_else(|| self.fail(HttpError::Malformed("not an HTTP/1.x status line")))?;
                // 100 Continue: its headers are skipped, the real status follows.
                self.interim = (100..200).contains(&status);
                self.status = status;
                self.no_body |= status == 204 || status == 304;
                self.state = State::Headers;
                Ok(None)
            }
            State::Headers if line.is_empty() && self.interim => {
                self.state = State::Status;
                Ok(None)
            }
            State::Headers if line.is_empty() => {
                self.state = if self.no_body {
                    State::Length(0)
                } else if self.chunked {
                    State::ChunkSize
                } else if let Some(n) = self.length {
                    if n > self.max_body {
                        return Err(self.fail(HttpError::TooLarge("Content-Length is over the limit")));
                    }
                    State::Length(n)
                } else {
                    self.close = true;
                    State::UntilClose
                };
                Ok(Some(Part::Head(Head {
                    status: self.status,
                    close: self.close,
                })))
            }
            State::Headers => self.header(line).map(|()| None),
            State::ChunkSize => {
                let digits = line.split(|&b| b == b';').next().unwrap_or_default();
                let digits = digits.trim_ascii();
                if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
                    return Err(self.fail(HttpError::Malformed("bad chunk size")));
                }
                let n = digits.iter().fold(0u64, |n, &d| {
                    n << 4 | u64::from((d as char).to_digit(16).unwrap_or(0))
                });
                self.state = if n == 0 {
                    State::Trailers
                } else {
                    State::ChunkData(n)
                };
                Ok(None)
            }
            State::Trailers if line.is_empty() => {
                self.state = State::Done;
                Ok(Some(Part::End))
            }
            _ => Ok(None),
        }
    }

    fn header(&mut self, line: &[u8]) -> Result<(), HttpError> {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(self.fail(HttpError::Malformed("a header line without ':'")));
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.is_empty() || name.iter().any(|b| b.is_ascii_whitespace()) {
            return Err(self.fail(HttpError::Malformed("a header name is empty or has white space")));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = (!value.is_empty() && value.len() <= 15 && value.iter().all(u8::is_ascii_digit))
                .then(|| value.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
                .ok_or_else(|| self.fail(HttpError::Malformed("bad Content-Length")))?;
            if self.length.is_some_and(|m| m != n) {
                return Err(self.fail(HttpError::Malformed("two different Content-Length headers")));
            }
            self.length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value
                .rsplit(|&b| b == b',')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if !last.eq_ignore_ascii_case(b"chunked") {
                return Err(self.fail(HttpError::Malformed("a transfer coding other than chunked")));
            }
            self.chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") && value.eq_ignore_ascii_case(b"close") {
            self.close = true;
        }
        Ok(())
    }
}

/// `HTTP/1.1 200 OK` → 200.
fn status_line(line: &[u8]) -> Option<u16> {
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let (minor, rest) = rest.split_first()?;
    let code = rest.strip_prefix(b" ")?.get(..3)?;
    if !minor.is_ascii_digit() || !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return None;
    }
    if rest.len() > 4 && rest[4] != b' ' {
        return None;
    }
    Some(code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')))
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
