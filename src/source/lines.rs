//! Splitting a byte stream into lines in bounded memory, handing out only whole lines.
//!
//! [`Lines`] owns one fixed buffer. Bytes are read into its free tail; complete lines are handed
//! out as slices of it, without their `\n` and without a `\r` right before it (`\r\n` ends
//! work; a `\r` anywhere else stays in the line, where a filter sees it as one more byte).
//!
//! What reaches a filter must be a line the service wrote, whole: a prefix of a longer line
//! can end anywhere an attacker likes (a LuCI user name padded so that a cut falls right after
//! `from 198.51.100.77` would frame that address). So a line is *ignored* — not handed out,
//! counted in [`Lines::ignored`], reported at debug level — when
//! * it is longer than [`MAX_LINE`]: its first bytes are not kept, and the rest up to the next
//!   newline is skipped without being stored (a gigabyte without a newline costs nothing but
//!   the buffer);
//! * it contains a NUL byte: syslog daemons and C services end a string there, so such a line
//!   was not written by a service through syslog, and whatever reads it as a C string would
//!   see a prefix of it;
//! * it has no newline yet when the writer may still be appending to it, or may have died in
//!   the middle of it: a followed file that is rotated or truncated, a command whose output
//!   ended ([`Lines::abandon`]). Only at the end of standard input or of a file read whole is a
//!   last line without newline judged ([`Lines::finish`]).
//!
//! A line split across reads is joined: nothing is handed out before its newline is there.
//! Lines are bytes: nothing here looks at UTF-8.

use crate::bytes::{memchr, memchr2, MAX_LINE};
use std::io::{self, Read};

/// Buffer size: several lines per `read`, a pipe's worth at a time.
pub const BUFFER: usize = 64 * 1024;

/// Why a line was not handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// Contains a NUL byte.
    Nul,
    /// No newline, and the writer may not have finished it.
    Unfinished,
}

impl core::fmt::Display for Ignored {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Ignored::TooLong => write!(f, "it is longer than {MAX_LINE} bytes"),
            Ignored::Nul => f.write_str("it contains a NUL byte"),
            Ignored::Unfinished => {
                f.write_str("it has no end of line and its writer may not have finished it")
            }
        }
    }
}

pub struct Lines {
    buf: Box<[u8]>,
    /// Start of unconsumed data.
    start: usize,
    /// End of valid data.
    end: usize,
    /// Skipping input up to the next newline (the rest of an ignored line).
    skipping: bool,
    /// Lines handed out.
    pub lines: u64,
    /// Lines not handed out: see [`Ignored`].
    pub ignored: u64,
    /// Why the latest line was ignored.
    pub last_ignored: Option<Ignored>,
}

impl Default for Lines {
    fn default() -> Self {
        Self::new()
    }
}

impl Lines {
    pub fn new() -> Lines {
        Lines {
            buf: vec![0u8; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            skipping: false,
            lines: 0,
            ignored: 0,
            last_ignored: None,
        }
    }

    /// Reads once from `r` into the free space. `Ok(0)` is end of file. Take every line
    /// ([`Lines::next_line`] until `None`) before filling again.
    pub fn fill<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<usize> {
        if self.start > 0 && (self.start == self.end || self.buf.len() - self.end < MAX_LINE) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = r.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// The next complete line, if one is buffered. Lines that are ignored are skipped.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        loop {
            let avail = &self.buf[self.start..self.end];
            if self.skipping {
                match memchr(b'\n', avail) {
                    Some(i) => {
                        self.start += i + 1;
                        self.skipping = false;
                        continue;
                    }
                    None => {
                        self.start = self.end;
                        return None;
                    }
                }
            }
            // A line of `MAX_LINE` bytes ends with `\n` or `\r\n` within this window.
            let window = avail.len().min(MAX_LINE + 2);
            match memchr2(b'\n', 0, &avail[..window]) {
                Some(i) if avail[i] == 0 => {
                    // Ignored whatever follows: skip to its newline.
                    self.start += i + 1;
                    self.skipping = true;
                    self.ignore(Ignored::Nul);
                }
                Some(i) => {
                    let s = self.start;
                    self.start += i + 1;
                    if let Some(len) = self.judge(s, i, false) {
                        self.lines += 1;
                        return Some(&self.buf[s..s + len]);
                    }
                }
                None if window == MAX_LINE + 2 => {
                    self.start += window;
                    self.skipping = true;
                    self.ignore(Ignored::TooLong);
                }
                None => return None,
            }
        }
    }

    /// The length of the line at `buf[s..s + len]` to hand out (without a final `\r`), or
    /// `None` when it is ignored (and counted). `nul`: look for a NUL (`next_line` has).
    fn judge(&mut self, s: usize, len: usize, nul: bool) -> Option<usize> {
        let line = &self.buf[s..s + len];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let why = if line.len() > MAX_LINE {
            Ignored::TooLong
        } else if nul && memchr(0, line).is_some() {
            Ignored::Nul
        } else {
            return Some(line.len());
        };
        self.ignore(why);
        None
    }

    fn ignore(&mut self, why: Ignored) {
        self.ignored += 1;
        self.last_ignored = Some(why);
        log::debug!("log line not judged: {why}");
    }

    /// At the end of input that has ended for good (standard input, a file read whole): the
    /// last line if it had no newline.
    pub fn finish(&mut self) -> Option<&[u8]> {
        let (s, len) = (self.start, self.end - self.start);
        let skipping = self.skipping;
        self.reset();
        if skipping || len == 0 {
            return None;
        }
        let len = self.judge(s, len, true)?;
        self.lines += 1;
        Some(&self.buf[s..s + len])
    }

    /// Drops a buffered line that has no newline yet, counting it as ignored: its writer may
    /// still be appending to it or may have died in the middle of it (a followed file that was
    /// rotated or truncated, a command whose output ended).
    pub fn abandon(&mut self) {
        if !self.skipping && self.start < self.end {
            self.ignore(Ignored::Unfinished);
        }
        self.reset();
    }

    /// Skips input up to and including the next newline (a followed file is opened in the
    /// middle of a line).
    pub fn skip_to_newline(&mut self) {
        self.skipping = true;
    }

    /// Drops buffered bytes (a followed file was truncated or replaced).
    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.skipping = false;
    }
}

/// Every line of `r` up to its end, the last one even without a newline, in bounded memory
/// (for reading a whole file, as `logjail test` does). Returns the counters.
pub fn each_line<R: Read + ?Sized>(r: &mut R, sink: &mut dyn FnMut(&[u8])) -> io::Result<Lines> {
    let mut lines = Lines::new();
    loop {
        match lines.fill(r) {
            Ok(0) => break,
            Ok(_) => {
                while let Some(line) = lines.next_line() {
                    sink(line);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(line) = lines.finish() {
        sink(line);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chunked<'a>(&'a [u8], usize);
    impl Read for Chunked<'_> {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(b.len());
            b[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Every line of `input` read `chunk` bytes at a time; `finish` at the end when `eof`,
    /// else `abandon`. Returns the lines and the ignored count.
    fn split(input: &[u8], chunk: usize, eof: bool) -> (Vec<Vec<u8>>, u64) {
        let mut r = Chunked(input, chunk);
        let mut l = Lines::new();
        let mut out = Vec::new();
        while l.fill(&mut r).unwrap() > 0 {
            while let Some(line) = l.next_line() {
                out.push(line.to_vec());
            }
        }
        if eof {
            if let Some(line) = l.finish() {
                out.push(line.to_vec());
            }
        } else {
            l.abandon();
        }
        assert_eq!(l.lines, out.len() as u64);
        (out, l.ignored)
    }

    fn collect(input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, u64) {
        split(input, chunk, true)
    }

    #[test]
    fn splits_lines_across_reads() {
        for chunk in [1, 3, 7, 4096] {
            let (out, ignored) = collect(b"one\ntwo\r\n\nthree", chunk);
            assert_eq!(
                out,
                vec![b"one".to_vec(), b"two".to_vec(), b"".to_vec(), b"three".to_vec()]
            );
            assert_eq!(ignored, 0);
        }
    }

    #[test]
    fn long_lines_are_ignored_whole_never_cut() {
        // The LuCI framing: a user name padded so that byte MAX_LINE is the end of an address.
        let head = b"uhttpd[1]: luci: failed login on / for ";
        let tail = b" from 198.51.100.77";
        let mut framing = head.to_vec();
        framing.resize(MAX_LINE - tail.len(), b'x');
        framing.extend_from_slice(tail);
        assert_eq!(framing.len(), MAX_LINE);
        framing.extend_from_slice(b"' from 203.0.113.5\n");
        let mut input = vec![b'a'; 5000];
        input.extend_from_slice(b"\nnext\n");
        input.extend_from_slice(&framing);
        input.extend(vec![b'b'; MAX_LINE]);
        input.extend_from_slice(b"\nexact\n");
        input.extend(vec![b'c'; MAX_LINE]);
        input.extend_from_slice(b"\r\ncrlf\n");
        input.extend(vec![b'd'; MAX_LINE + 1]);
        input.extend_from_slice(b"\nlast\n");
        for chunk in [1, 1000, 64 * 1024] {
            let (out, ignored) = collect(&input, chunk);
            let want: Vec<Vec<u8>> = vec![
                b"next".to_vec(),
                vec![b'b'; MAX_LINE],
                b"exact".to_vec(),
                vec![b'c'; MAX_LINE],
                b"crlf".to_vec(),
                b"last".to_vec(),
            ];
            assert!(
                out == want,
                "chunk {chunk}: {:?}",
                out.iter().map(|l| l.len()).collect::<Vec<_>>()
            );
            assert_eq!(ignored, 3, "chunk {chunk}");
        }
    }

    #[test]
    fn a_megabyte_without_newline_stays_out_of_the_buffer() {
        let mut input = vec![b'x'; 1 << 20];
        let (out, ignored) = collect(&input, 64 * 1024);
        assert!(out.is_empty());
        assert_eq!(ignored, 1);
        input.extend_from_slice(b"\nafter");
        assert_eq!(collect(&input, 64 * 1024), (vec![b"after".to_vec()], 1));
    }

    #[test]
    fn lines_with_a_nul_are_ignored() {
        for chunk in [1, 5, 4096] {
            let (out, ignored) = collect(b"a from 1.2.3.4\0 from 5.6.7.8\nok\n\0\nend\0", chunk);
            assert_eq!(out, vec![b"ok".to_vec()], "chunk {chunk}");
            assert_eq!(ignored, 3);
        }
    }

    #[test]
    fn a_cr_inside_a_line_stays_only_a_final_one_goes() {
        let (out, _) = collect(b"user a\rfrom 1.2.3.4 from 5.6.7.8\r\nx\r\r\n\r\n", 3);
        assert_eq!(
            out,
            vec![
                b"user a\rfrom 1.2.3.4 from 5.6.7.8".to_vec(),
                b"x\r".to_vec(),
                b"".to_vec()
            ]
        );
    }

    #[test]
    fn an_unfinished_last_line_is_judged_only_at_the_end_of_input() {
        // At stdin's end the last line is whole; a followed file or a command may not be done.
        assert_eq!(
            split(b"a\nfrom 198.51.100.7", 4, true),
            (vec![b"a".to_vec(), b"from 198.51.100.7".to_vec()], 0)
        );
        assert_eq!(split(b"a\nfrom 198.51.100.7", 4, false), (vec![b"a".to_vec()], 1));
        assert_eq!(split(b"a\n", 4, false), (vec![b"a".to_vec()], 0));
        // A too long last line is counted once.
        assert_eq!(split(&[b'x'; 3 * MAX_LINE], 4096, false), (vec![], 1));
        assert_eq!(split(&[b'x'; MAX_LINE + 1], 4096, true), (vec![], 1));
    }

    #[test]
    fn the_reason_is_kept_and_reads_well() {
        let mut l = Lines::new();
        l.fill(&mut &b"a\0\nb\n"[..]).unwrap();
        assert_eq!(l.next_line(), Some(&b"b"[..]));
        assert_eq!(l.last_ignored, Some(Ignored::Nul));
        let said = format!("log line not judged: {}", Ignored::TooLong);
        assert_eq!(said, "log line not judged: it is longer than 1024 bytes");
    }

    #[test]
    fn each_line_reads_to_the_end() {
        let mut got = Vec::new();
        let l = each_line(&mut &b"a\nb\nc"[..], &mut |x| got.push(x.to_vec())).unwrap();
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!((l.lines, l.ignored), (3, 0));
    }

    #[test]
    fn invalid_utf8_is_just_bytes() {
        let (out, _) = collect(b"\xff\xfe bad\n\xc3\n", 2);
        assert_eq!(out, vec![b"\xff\xfe bad".to_vec(), b"\xc3".to_vec()]);
    }
}
