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

#[cfg(test)]
mod tests {
    #[test]
    fn offset_is_within_a_day() {
        let o = super::utc_offset(1_764_000_000);
        assert!(o.abs() <= 14 * 3600, "{o}");
    }
}
