//! The crate's only `unsafe`: calls into the C library that have no safe wrapper.

#![allow(unsafe_code)]

/// The broken-down local time of Unix time `at` (`localtime_r`: on OpenWrt, musl reads the zone
/// from `TZ` / `/etc/TZ`), or `None` when the C library cannot tell.
fn local_tm(at: i64) -> Option<libc::tm> {
    // time_t is 64 bits on every target we build (musl ≥ 1.2 has 64-bit time_t on 32-bit CPUs).
    let t: libc::time_t = at as _;
    // SAFETY: `tm` is plain old data for which all-zero bytes are a valid value; `localtime_r`
    // only reads `t` and writes into `tm`, both live, properly aligned locals of this frame.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: as above; the return value is checked for NULL before `tm` is used.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    (!r.is_null()).then_some(tm)
}

/// Seconds east of UTC of the local time zone at Unix time `at`. 0 when the C library cannot
/// tell.
pub fn utc_offset(at: i64) -> i64 {
    // `c_long`: 32 bits on 32-bit targets, so the conversion is not useless there.
    #[allow(clippy::useless_conversion)]
    local_tm(at).map_or(0, |tm| i64::from(tm.tm_gmtoff))
}

/// Local month (0–11), day of month, hour, minute and second of Unix time `at`, or `None` when
/// the C library cannot tell.
pub fn local_clock(at: i64) -> Option<[u32; 5]> {
    let tm = local_tm(at)?;
    Some([tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec].map(|v| v as u32))
}

#[cfg(test)]
mod tests {
    #[test]
    fn offset_is_within_a_day() {
        let o = super::utc_offset(1_764_000_000);
        assert!(o.abs() <= 14 * 3600, "{o}");
    }

    #[test]
    fn local_clock_is_in_range() {
        let [mon, day, h, m, s] = super::local_clock(1_764_000_000).unwrap_or_default();
        assert!(mon < 12 && (1..=31).contains(&day) && h < 24 && m < 60 && s < 61);
    }
}
