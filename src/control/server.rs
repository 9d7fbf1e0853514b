//! The daemon's side of the control socket, served from the one event loop.
//!
//! Nothing here blocks: the listener and every client are non-blocking, and
//! [`Server::service`] does whatever reading and writing is possible right now. A client is
//! bounded in every way — at most [`MAX_CLIENTS`] at once (when full, a new connection takes the
//! place of the one that has waited longest for its request, or is closed at once when every
//! slot is busy answering), a request buffer of [`MAX_REQUEST`] bytes, [`DEADLINE_MS`] to send its
//! request and as long again for each step of reading the reply — so a client that connects
//! and sends nothing, sends garbage or never reads cannot stall the daemon or grow its memory.

use super::proto::{self, Request, Response, MAX_REQUEST, PREFIX};
use super::ControlError;
use nix::poll::{PollFd, PollFlags};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Clients served at once.
pub const MAX_CLIENTS: usize = 8;
/// Time a client has to send its request, and to take each part of the reply.
pub const DEADLINE_MS: u64 = 2000;
/// Connections accepted per loop turn.
const ACCEPT_BURST: usize = 32;

/// What the handler made of a request.
pub enum Handled {
    Reply(Vec<Response>),
    /// Reload the configuration; the reply follows with [`Server::reloaded`].
    Reload,
}

#[derive(PartialEq, Eq)]
enum Phase {
    Reading,
    /// Waiting for the configuration to be reloaded.
    Reload,
    Writing,
}

struct Client {
    stream: UnixStream,
    buf: Box<[u8; PREFIX + MAX_REQUEST]>,
    have: usize,
    out: Vec<u8>,
    sent: usize,
    deadline_ms: u64,
    phase: Phase,
}

impl Client {
    fn reply(&mut self, replies: &[Response], now_ms: u64) {
        self.out.clear();
        self.sent = 0;
        for r in replies {
            if let Err(e) = proto::push_frame(r, &mut self.out) {
                log::error!("control: cannot encode a reply: {e}");
            }
        }
        self.phase = Phase::Writing;
        self.deadline_ms = now_ms + DEADLINE_MS;
    }

    /// Reads what is there; `Err(())` when the client is to be dropped.
    fn read(&mut self) -> Result<Option<Result<Request, proto::ProtoError>>, ()> {
        loop {
            let need = if self.have < PREFIX {
                PREFIX
            } else {
                let mut p = [0u8; PREFIX];
                p.copy_from_slice(&self.buf[..PREFIX]);
                match proto::frame_len(p, MAX_REQUEST) {
                    Ok(n) => PREFIX + n,
                    Err(e) => return Ok(Some(Err(e))),
                }
            };
            if self.have == need {
                return Ok(Some(proto::decode_request(&self.buf[PREFIX..need])));
            }
            match self.stream.read(&mut self.buf[self.have..need]) {
                Ok(0) => return Err(()),
                Ok(n) => self.have += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
    }

    /// Writes what the socket takes; `Ok(true)` when everything is sent.
    fn write(&mut self, now_ms: u64) -> Result<bool, ()> {
        while self.sent < self.out.len() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(0) => return Err(()),
                Ok(n) => {
                    self.sent += n;
                    self.deadline_ms = now_ms + DEADLINE_MS;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        Ok(true)
    }
}

pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    clients: Vec<Client>,
}

impl Server {
    /// Binds `path` (mode 0600, directory created 0700). A stale socket file is replaced; a
    /// socket a running daemon answers on is an error. Nothing at the path is followed: a
    /// symbolic link or any other file there is refused (never removed), and so is a
    /// directory that other users can write ([`crate::state::file::safe_dir`]).
    pub fn bind(path: &Path) -> Result<Server, ControlError> {
        use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
        let err = |what: &'static str| {
            let path = path.to_path_buf();
            move |error| ControlError::Io { what, path, error }
        };
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d,
            None => Path::new("."),
        };
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(err("create directory for"))?;
        }
        crate::state::file::safe_dir(dir).map_err(err("refusing its directory"))?;
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(err("look at")(e)),
            Ok(m) if m.file_type().is_socket() => {
                if UnixStream::connect(path).is_ok() {
                    return Err(ControlError::InUse(path.to_path_buf()));
                }
                std::fs::remove_file(path).map_err(err("remove stale"))?;
            }
            Ok(m) => {
                let what = if m.file_type().is_symlink() {
                    "a symbolic link is there (not followed, not removed)"
                } else {
                    "something other than a socket is there (not removed)"
                };
                return Err(err("refusing to bind")(std::io::Error::new(
                    ErrorKind::AlreadyExists,
                    what,
                )));
            }
        }
        // Created under a tight umask: the socket is never reachable by others. (`bind` makes
        // a new name, failing if anything appeared there meanwhile.)
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
        let bound = UnixListener::bind(path);
        nix::sys::stat::umask(old);
        let listener = bound.map_err(err("bind"))?;
        let ours = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
        if ours {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err("chmod"))?;
        }
        listener.set_nonblocking(true).map_err(err("set non-blocking"))?;
        Ok(Server {
            listener,
            path: path.to_path_buf(),
            clients: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Descriptors to poll: the listener, and each client for what it waits on.
    pub fn poll_fds<'a>(&'a self, fds: &mut Vec<PollFd<'a>>) {
        fds.push(PollFd::new(self.listener.as_fd(), PollFlags::POLLIN));
        for c in &self.clients {
            let ev = match c.phase {
                Phase::Reading => PollFlags::POLLIN,
                Phase::Writing => PollFlags::POLLOUT,
                Phase::Reload => continue,
            };
            fds.push(PollFd::new(c.stream.as_fd(), ev));
        }
    }

    /// Accepts, reads, answers and writes whatever can be done without blocking. Returns true
    /// when a client asked for a reload (answer it with [`Server::reloaded`]).
    pub fn service(&mut self, now_ms: u64, handle: &mut dyn FnMut(Request) -> Handled) -> bool {
        self.accept(now_ms);
        let mut reload = false;
        self.clients.retain_mut(|c| {
            if c.phase == Phase::Reading {
                match c.read() {
                    Err(()) => return false,
                    Ok(None) => {}
                    Ok(Some(Err(e))) => {
                        log::warn!("control: {e}");
                        c.reply(&[Response::Error(e.to_string())], now_ms);
                    }
                    Ok(Some(Ok(req))) => match handle(req) {
                        Handled::Reply(r) => c.reply(&r, now_ms),
                        Handled::Reload => {
                            c.phase = Phase::Reload;
                            reload = true;
                        }
                    },
                }
            }
            if c.phase == Phase::Writing {
                match c.write(now_ms) {
                    Ok(true) | Err(()) => return false,
                    Ok(false) => {}
                }
            }
            c.phase == Phase::Reload || now_ms < c.deadline_ms
        });
        reload
    }

    /// Answers the clients that asked for a reload.
    pub fn reloaded(&mut self, reply: &Response, now_ms: u64) {
        for c in self.clients.iter_mut().filter(|c| c.phase == Phase::Reload) {
            c.reply(core::slice::from_ref(reply), now_ms);
        }
    }

    fn accept(&mut self, now_ms: u64) {
        for _ in 0..ACCEPT_BURST {
            let stream = match self.listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("control: accept: {e}");
                    return;
                }
            };
            if self.clients.len() >= MAX_CLIENTS && !self.make_room() {
                log::warn!("control: {MAX_CLIENTS} clients already connected; closing a new one");
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.clients.push(Client {
                stream,
                buf: Box::new([0u8; PREFIX + MAX_REQUEST]),
                have: 0,
                out: Vec::new(),
                sent: 0,
                deadline_ms: now_ms + DEADLINE_MS,
                phase: Phase::Reading,
            });
        }
    }
}

impl Server {
    /// Full: the client that has waited longest for its request gives way to a new one, so
    /// connections that send nothing cannot lock out a client that asks at once (the newest
    /// is read in the same [`Server::service`] call that accepts it). When every slot is
    /// answering, there is no room.
    fn make_room(&mut self) -> bool {
        let oldest = (self.clients.iter().enumerate())
            .filter(|(_, c)| c.phase == Phase::Reading)
            .min_by_key(|(_, c)| c.deadline_ms)
            .map(|(i, _)| i);
        match oldest {
            Some(i) => {
                log::debug!("control: {MAX_CLIENTS} clients connected; the longest silent one is closed");
                self.clients.swap_remove(i);
                true
            }
            None => false,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
