//! Splitting a byte stream into lines in bounded memory.
//!
//! [`Lines`] owns one fixed buffer. Bytes are read into its free tail; complete lines are handed
//! out as slices of it. A line longer than [`MAX_LINE`] is cut: its first `MAX_LINE` bytes are
//! handed out once (and counted in [`Lines::cut`]); the rest, up to the next newline, is skipped
//! without being stored. A gigabyte without a newline therefore costs nothing but the buffer.
//! Lines are bytes: nothing here looks at UTF-8.

use std::io::{self, Read};

/// Longest line handed out; longer lines are cut here.
pub const MAX_LINE: usize = 1024;
/// Buffer size: several lines per `read`, a pipe's worth at a time.
pub const BUFFER: usize = 64 * 1024;

pub struct Lines {
    buf: Box<[u8]>,
    /// Start of unconsumed data.
    start: usize,
    /// End of valid data.
    end: usize,
    /// Skipping the rest of a cut line until its newline.
    skipping: bool,
    /// Lines handed out.
    pub lines: u64,
    /// Lines that were longer than `MAX_LINE` and cut.
    pub cut: u64,
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
            cut: 0,
        }
    }

    /// Reads once from `r` into the free space. `Ok(0)` is end of file.
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

    /// The next complete line (without its `\n`, and without a trailing `\r`), if one is buffered.
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
            let window = &avail[..avail.len().min(MAX_LINE + 1)];
            return match memchr(b'\n', window) {
                Some(i) => {
                    let s = self.start;
                    self.start += i + 1;
                    self.lines += 1;
                    Some(trim_cr(&self.buf[s..s + i]))
                }
                None if avail.len() > MAX_LINE => {
                    let s = self.start;
                    self.start += MAX_LINE;
                    self.skipping = true;
                    self.lines += 1;
                    self.cut += 1;
                    Some(&self.buf[s..s + MAX_LINE])
                }
                None => None,
            };
        }
    }

    /// At end of input: the last line if it had no newline.
    pub fn finish(&mut self) -> Option<&[u8]> {
        if self.skipping || self.start == self.end {
            self.start = self.end;
            self.skipping = false;
            return None;
        }
        let s = self.start;
        self.start = self.end;
        self.lines += 1;
        Some(trim_cr(&self.buf[s..self.end]))
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

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Position of the first `needle` byte, eight bytes at a time (SWAR).
pub fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO * u64::from(needle);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ pat;
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&b| b == needle).map(|p| p + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], chunk: usize) -> (Vec<Vec<u8>>, u64) {
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(b.len());
                b[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = Chunked(input, chunk);
        let mut l = Lines::new();
        let mut out = Vec::new();
        while l.fill(&mut r).unwrap() > 0 {
            while let Some(line) = l.next_line() {
                out.push(line.to_vec());
            }
        }
        if let Some(line) = l.finish() {
            out.push(line.to_vec());
        }
        (out, l.cut)
    }

    #[test]
    fn splits_lines_across_reads() {
        for chunk in [1, 3, 7, 4096] {
            let (out, cut) = collect(b"one\ntwo\r\n\nthree", chunk);
            assert_eq!(
                out,
                vec![b"one".to_vec(), b"two".to_vec(), b"".to_vec(), b"three".to_vec()]
            );
            assert_eq!(cut, 0);
        }
    }

    #[test]
    fn cuts_long_lines_and_skips_their_rest() {
        let mut input = vec![b'a'; 5000];
        input.extend_from_slice(b"\nnext\n");
        input.extend(vec![b'b'; MAX_LINE]);
        input.extend_from_slice(b"\nexact\n");
        for chunk in [1000, 64 * 1024] {
            let (out, cut) = collect(&input, chunk);
            assert_eq!(out.len(), 4);
            assert_eq!(out[0], vec![b'a'; MAX_LINE]);
            assert_eq!(out[1], b"next");
            assert_eq!(out[2], vec![b'b'; MAX_LINE]);
            assert_eq!(out[3], b"exact");
            assert_eq!(cut, 1);
        }
    }

    #[test]
    fn a_megabyte_without_newline_stays_in_the_buffer() {
        let input = vec![b'x'; 1 << 20];
        let (out, cut) = collect(&input, 64 * 1024);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), MAX_LINE);
        assert_eq!(cut, 1);
    }

    #[test]
    fn each_line_reads_to_the_end() {
        let mut got = Vec::new();
        let l = each_line(&mut &b"a\nb\nc"[..], &mut |x| got.push(x.to_vec())).unwrap();
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!((l.lines, l.cut), (3, 0));
    }

    #[test]
    fn invalid_utf8_is_just_bytes() {
        let (out, _) = collect(b"\xff\xfe bad\n\xc3\n", 2);
        assert_eq!(out, vec![b"\xff\xfe bad".to_vec(), b"\xc3".to_vec()]);
    }

    #[test]
    fn memchr_finds_every_position() {
        let hay: Vec<u8> = (0..40).map(|i| b'a' + (i % 20) as u8).collect();
        for (i, &b) in hay.iter().enumerate().take(20) {
            assert_eq!(memchr(b, &hay), Some(i));
        }
        assert_eq!(memchr(b'\n', &hay), None);
        assert_eq!(memchr(0x80, &[0x7f, 0x80]), Some(1));
        assert_eq!(memchr(0, &[1; 9]), None);
    }
}
