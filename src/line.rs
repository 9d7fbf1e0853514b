//! Log line formats: a raw line in, `(program, pid, message, time)` out.
//!
//! STUB — owned by the sources/line-format work. Contract:
//! * recognises OpenWrt logread (`Thu Dec  5 17:43:58 2024 authpriv.info dropbear[12388]: msg`,
//!   also `kern.warn kernel: msg`), `logread -t` (`... [1733420638.123] ...`), RFC 3164
//!   (`Nov 24 10:00:01 host sshd[123]: msg`), RFC 5424, dropbear's stderr form
//!   (`[123] Nov 24 10:00:01 msg`), and bare messages (program empty, time `None`);
//! * never panics, never allocates; `time` is Unix seconds (UTC) where the line carries one;
//!   RFC 3164 has no year: the year is taken from `now` (and the previous year when that would
//!   put the line more than a day in the future).

/// A log line split into its parts; all slices borrow the raw line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Program name (`dropbear`, `sshd`, `kernel`); empty when the format has none.
    pub program: &'a [u8],
    pub pid: Option<u32>,
    pub message: &'a [u8],
    /// Unix seconds from the line's own timestamp, when it has one.
    pub time: Option<i64>,
}

/// Splits one raw line (without its newline). `now` is Unix seconds, for year inference.
pub fn parse(raw: &[u8], _now: i64) -> Line<'_> {
    Line {
        program: b"",
        pid: None,
        message: raw,
        time: None,
    }
}
