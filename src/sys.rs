//! The crate's only `unsafe`: calls into the C library that have no safe wrapper.

#![allow(unsafe_code)]

/// Seconds east of UTC of the local time zone at Unix time `at` (what `localtime_r` says: on
/// OpenWrt, musl reads the zone from `TZ` / `/etc/TZ`). 0 when the C library cannot tell.
// The libc crate still declares musl's 32-bit `time_t` on 32-bit CPUs (deprecated alias) and
// links the matching 32-bit `localtime_r`, which musl keeps for that ABI: the offset of a time
// before 2038 is the same through either.
#[allow(deprecated)]
pub fn utc_offset(at: i64) -> i64 {
    // 64 bits on 64-bit targets; on 32-bit ones the truncation is harmless before 2038 and the
    // offset (all that is returned) does not depend on the exact second.
    let t: libc::time_t = at as _;
    // SAFETY: `tm` is plain old data for which all-zero bytes are a valid value; `localtime_r`
    // only reads `t` and writes into `tm`, both live, properly aligned locals of this frame.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: as above; the return value is checked for NULL before `tm` is used.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return 0;
    }
    // `c_long`: 32 bits on 32-bit targets, so the conversion is not useless there.
    #[allow(clippy::useless_conversion)]
    i64::from(tm.tm_gmtoff)
}

/// `setsockopt(fd, SOL_NETLINK, name, &value)` for the integer netlink options nix has no
/// wrapper for (`NETLINK_CAP_ACK`, `NETLINK_EXT_ACK`).
pub fn set_netlink_option(
    fd: std::os::fd::BorrowedFd<'_>,
    name: libc::c_int,
    value: libc::c_int,
) -> Result<(), nix::errno::Errno> {
    use std::os::fd::AsRawFd;
    let len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `fd` is an open socket borrowed for the call; the option value is a live local
    // `c_int` and `len` is exactly its size, as setsockopt(2) requires for SOL_NETLINK ints.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_NETLINK,
            name,
            (&value as *const libc::c_int).cast(),
            len,
        )
    };
    nix::errno::Errno::result(rc).map(drop)
}

/// The effective user and group ids of this process (whose files and directories are ours).
pub fn effective_ids() -> (u32, u32) {
    // SAFETY: `geteuid` and `getegid` take no arguments, touch no memory of ours and cannot fail.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// Starts `sh -c command` with `posix_spawnp` (found on `PATH`, this process's environment) as
/// the leader of a new process group, with no signal blocked, `SIGPIPE` at its default action
/// (std's runtime ignores it in this process), stdin `/dev/null`, stdout a fresh pipe whose
/// read end is returned, and stderr shared with this process. Returns the child's pid.
pub fn spawn_shell(command: &str) -> Result<(libc::pid_t, std::os::fd::OwnedFd), nix::errno::Errno> {
    use nix::errno::Errno;
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    extern "C" {
        static environ: *const *mut libc::c_char;
    }
    let script = CString::new(command).map_err(|_| Errno::EINVAL)?;
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let argv: [*mut libc::c_char; 4] = [
        c"sh".as_ptr().cast_mut(),
        c"-c".as_ptr().cast_mut(),
        script.as_ptr().cast_mut(),
        core::ptr::null_mut(),
    ];
    let mut pid: libc::pid_t = 0;
    // SAFETY: both structures are plain old data that the `_init` calls fully initialise
    // before any other use; they are live locals of this frame and destroyed below.
    let mut actions: libc::posix_spawn_file_actions_t = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    let mut attr: libc::posix_spawnattr_t = unsafe { core::mem::zeroed() };
    // SAFETY: `actions` and `attr` are initialised first (a failed init is returned before
    // anything else touches them) and destroyed exactly once at the end. Every pointer passed
    // is live for the whole call: the NUL-terminated C strings (literals and `script`), the
    // NULL-terminated `argv`, the signal sets on this frame, `pid`, and the C library's own
    // `environ`, which nothing in this process modifies concurrently (no `setenv` anywhere).
    // `write` is open until the end of this function; the child's copy goes to fd 1 and every
    // other descriptor of ours is close-on-exec.
    let rc = unsafe {
        let rc = libc::posix_spawn_file_actions_init(&mut actions);
        if rc != 0 {
            return Err(Errno::from_raw(rc));
        }
        let rc = libc::posix_spawnattr_init(&mut attr);
        if rc != 0 {
            libc::posix_spawn_file_actions_destroy(&mut actions);
            return Err(Errno::from_raw(rc));
        }
        let mut none: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut none);
        let mut pipe: libc::sigset_t = core::mem::zeroed();
        libc::sigemptyset(&mut pipe);
        libc::sigaddset(&mut pipe, libc::SIGPIPE);
        let flags = libc::POSIX_SPAWN_SETPGROUP | libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        let mut rc =
            libc::posix_spawn_file_actions_addopen(&mut actions, 0, c"/dev/null".as_ptr(), libc::O_RDONLY, 0);
        for step in [
            libc::posix_spawn_file_actions_adddup2(&mut actions, write.as_raw_fd(), 1),
            libc::posix_spawnattr_setflags(&mut attr, flags as libc::c_short),
            libc::posix_spawnattr_setpgroup(&mut attr, 0),
            libc::posix_spawnattr_setsigmask(&mut attr, &none),
            libc::posix_spawnattr_setsigdefault(&mut attr, &pipe),
        ] {
            if rc == 0 {
                rc = step;
            }
        }
        if rc == 0 {
            rc = libc::posix_spawnp(&mut pid, c"sh".as_ptr(), &actions, &attr, argv.as_ptr(), environ);
        }
        libc::posix_spawnattr_destroy(&mut attr);
        libc::posix_spawn_file_actions_destroy(&mut actions);
        rc
    };
    drop(write);
    if rc != 0 {
        return Err(Errno::from_raw(rc));
    }
    Ok((pid, read))
}

#[cfg(test)]
mod tests {
    #[test]
    fn offset_is_within_a_day() {
        let o = super::utc_offset(1_764_000_000);
        assert!(o.abs() <= 14 * 3600, "{o}");
    }
}
