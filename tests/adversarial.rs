//! Adversarial pass (issue 10), part 1: what the line splitter hands to the filters, through
//! the real `logjail run --dry-run --source -`. An attacker who writes a user name into a log
//! line must never get the address of their choosing banned: not by padding the line so that
//! a cut falls after a bait address, not with a NUL or a CR, not by having the line arrive in
//! pieces. Every test asserts the decisions a user sees on standard output.
//!
//! The pass, file by file (issue 10 item → where):
//!
//! | file | covers |
//! |---|---|
//! | `adversarial.rs` | cut lines (LuCI, dropbear, sshd; at, around and past 1 KiB), NUL, CR, 64 KiB line, invalid UTF-8, lines written in pieces with pauses |
//! | `adversarial_injection.rs` | every injection fixture and hunted client-field forms of every filter through the daemon; no-host addresses from lines and from `logjail ban`; a burst of lines from the future |
//! | `adversarial_sources.rs` | spinning with hostile sources (file churn, a command exiting at once, a newline-less flood); a FIFO at the followed path; lines cut by their writer's end; a truncation regrown unseen (idle CPU per source kind: `sources_idle.rs`) |
//! | `adversarial_state.rs` | hostile state files (random, empty, bad CRC, 4 GiB length, undecodable, 50 MB), the flash fallback, planted links, open directories, a full directory from the start, bans of no hosts in a saved state |
//! | `adversarial_control.rs` | half frames, 300 held connections, raw and decoded hostile requests, the non-root client of every verb |
//! | `adversarial_config.rs` | broken configurations on SIGHUP and `logjail reload`, filter paths that are no files, a FIFO as the configuration, a storm of reloads, 70 user filters |
//!
//! Kernel-only elements, refused bans and ignoreself following address changes are
//! `adversarial_firewall.rs`.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::daemon::{config, Daemon};
use support::{scratch, BIN};

/// The address every attack tries to get banned.
const BAIT: &str = "198.51.100.77";
/// The longest line logjail judges (`logjail::bytes::MAX_LINE`).
const MAX_LINE: usize = 1024;

/// A configuration with the luci, dropbear and sshd jails, banning at the first failure.
fn three_jails(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let jail = |n: &str| format!("config jail '{n}'\n\toption maxretry '1'\n\toption bantime '600'\n");
    let jails = format!("{}{}{}", jail("luci"), jail("dropbear"), jail("sshd"));
    config(&dir, "", &jails)
}

/// `logjail run --dry-run --foreground [-v] --source - -c CFG` fed `log` in one go: stdout
/// (the decisions) and stderr once input ended.
fn replay(cfg: &std::path::Path, log: &[u8], verbose: bool) -> (String, String) {
    let mut args = vec!["run", "--dry-run", "--foreground", "--source", "-"];
    if verbose {
        args.push("-v");
    }
    let mut child = Command::new(BIN)
        .args(&args)
        .arg("-c")
        .arg(cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logjail");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = log.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write log");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "logjail failed:\n{err}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err)
}

/// No decision names `addr`, or any address `addr` is a prefix of (a cut one byte earlier
/// frames `198.51.100.7`).
fn framed_nobody(out: &str, addr: &str) {
    let cut = &addr[..addr.len() - 1];
    assert!(
        !out.lines().any(|l| l.contains(cut)),
        "an address chosen by the attacker was banned:\n{out}"
    );
}

/// One service's failure line with a client-chosen field padded so that the line's first
/// `cut_at` bytes end with `bait`; the service's own suffix (the real peer) follows.
struct Padded {
    head: &'static str,
    bait: String,
    tail: &'static str,
}

impl Padded {
    fn line(&self, cut_at: usize) -> Vec<u8> {
        let mut line = self.head.as_bytes().to_vec();
        line.resize(cut_at - self.bait.len(), b'x');
        line.extend_from_slice(self.bait.as_bytes());
        assert_eq!(line.len(), cut_at);
        line.extend_from_slice(self.tail.as_bytes());
        line.push(b'\n');
        line
    }
}

fn padded_forms() -> Vec<Padded> {
    vec![
        Padded {
            head: "[info] luci: failed login on / for ",
            bait: format!(" from {BAIT}"),
            tail: " from 203.0.113.66",
        },
        Padded {
            head: "Bad password attempt for '",
            bait: format!("' from {BAIT}:22"),
            tail: "' from 203.0.113.9:4242",
        },
        Padded {
            head: "Login attempt for nonexistent user '",
            bait: format!("' from {BAIT}:22"),
            tail: "' from 203.0.113.9:4242",
        },
        Padded {
            head: "Failed password for invalid user ",
            bait: format!(" from {BAIT} port 22 ssh2"),
            tail: " from 203.0.113.9 port 4242 ssh2",
        },
        Padded {
            head: "Invalid user ",
            bait: format!(" from {BAIT} port 22"),
            tail: " from 203.0.113.9 port 4242",
        },
    ]
}

#[test]
fn a_line_cut_right_after_the_bait_frames_nobody() {
    let cfg = three_jails("adv-cut");
    let mut log = Vec::new();
    for form in padded_forms() {
        // At the limit, one byte on either side, the limit with `\r\n`, and around the read
        // buffer (64 KiB) the splitter fills.
        for cut in [MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, MAX_LINE + 2, 4096, 65_536] {
            log.extend(form.line(cut));
        }
        // The same form, short enough to be whole: its real peer is the offender.
        log.extend(form.line(200));
    }
    let (out, err) = replay(&cfg, &log, true);
    framed_nobody(&out, BAIT);
    // The whole lines reached the filters: their real peers are banned.
    for peer in ["203.0.113.66", "203.0.113.9"] {
        assert!(out.contains(&format!(" {peer} 600")), "{peer}:\n{out}\n{err}");
    }
    assert!(err.contains("longer than 1024 bytes"), "{err}");
}

#[test]
fn a_line_of_exactly_the_limit_is_judged_whole() {
    // The boundary the other way: a line of exactly MAX_LINE bytes (with `\n` or `\r\n`) is
    // whole and judged; a real peer at its very end is banned.
    let cfg = three_jails("adv-limit");
    let form = Padded {
        head: "[info] luci: failed login on / for ",
        bait: " from 203.0.113.5".into(),
        tail: "",
    };
    let mut log = form.line(MAX_LINE);
    let mut crlf = Padded {
        bait: " from 203.0.113.6".into(),
        ..form
    }
    .line(MAX_LINE);
    crlf.insert(crlf.len() - 1, b'\r');
    log.extend(crlf);
    let (out, err) = replay(&cfg, &log, false);
    assert_eq!(
        out, "ban luci 203.0.113.5 600\nban luci 203.0.113.6 600\n",
        "{err}"
    );
}

#[test]
fn a_nul_or_a_cr_inside_a_line_frames_nobody() {
    let cfg = three_jails("adv-nulcr");
    let mut log = Vec::new();
    for sep in [&b"\0"[..], b"\r", b"\r\0", b"\0\r"] {
        // A C reader stops at the NUL, a terminal at the CR: either leaves a line that ends
        // with the bait.
        for (head, bait, tail) in [
            (
                "[info] luci: failed login on / for a",
                format!(" from {BAIT}"),
                " from 203.0.113.66",
            ),
            (
                "Bad password attempt for 'a",
                format!("' from {BAIT}:22"),
                "' from 203.0.113.9:4242",
            ),
            (
                "Failed password for b",
                format!(" from {BAIT} port 22 ssh2"),
                " from 203.0.113.9 port 1 ssh2",
            ),
        ] {
            log.extend_from_slice(head.as_bytes());
            log.extend_from_slice(bait.as_bytes());
            log.extend_from_slice(sep);
            log.extend_from_slice(tail.as_bytes());
            log.push(b'\n');
        }
    }
    // The CR-only lines are whole lines the service wrote: their real peer is the offender.
    let (out, err) = replay(&cfg, &log, true);
    framed_nobody(&out, BAIT);
    assert!(out.contains("ban luci 203.0.113.66 600"), "{out}\n{err}");
    assert!(err.contains("contains a NUL byte"), "{err}");
}

#[test]
fn long_lines_garbage_and_invalid_utf8_frame_nobody_and_the_next_line_counts() {
    let cfg = three_jails("adv-garbage");
    let mut log = Vec::new();
    // A 64 KiB line whose every 1 KiB slice ends with the bait.
    let slice = format!("[info] luci: failed login on / for x from {BAIT}");
    while log.len() < 64 * 1024 {
        log.extend_from_slice(slice.as_bytes());
        log.resize(log.len().div_ceil(MAX_LINE) * MAX_LINE, b' ');
    }
    log.push(b'\n');
    // Invalid UTF-8 and escape sequences in the client's field, the real peer at the end.
    log.extend_from_slice(b"Bad password attempt for '\xff\xfe\xc3\x28\x1b[2J' from 203.0.113.21:4242\n");
    // Invalid UTF-8 *inside* the bait: not an address, not a cut.
    log.extend_from_slice(b"[info] luci: failed login on / for x from 198.51.\xff100.77\n");
    // Overlong encodings of digits and dots.
    log.extend_from_slice(b"[info] luci: failed login on / for x from 198\xc0\xae51.100.77\n");
    log.extend_from_slice(b"Failed password for x from 203.0.113.22 port 1 ssh2\n");
    let (out, err) = replay(&cfg, &log, false);
    framed_nobody(&out, BAIT);
    assert_eq!(
        out, "ban dropbear 203.0.113.21 600\nban sshd 203.0.113.22 600\n",
        "{err}"
    );
}

#[test]
fn a_line_written_in_pieces_with_pauses_is_judged_whole() {
    // The writer pauses right after the bait, longer than the daemon's ticks: the piece it
    // has must not be judged as a line.
    let cfg = three_jails("adv-pieces");
    let mut d = Daemon::start(&cfg);
    let pause = Duration::from_millis(400);
    let line = format!("[info] luci: failed login on / for a from {BAIT} from 203.0.113.66\n");
    let cut = line.find(&format!("{BAIT} ")).expect("bait") + BAIT.len();
    for piece in [&line[..cut], &line[cut..]] {
        d.feed(piece);
        std::thread::sleep(pause);
    }
    // A line split byte by byte, and one split after its `\r` of a `\r\n` end.
    let line = format!("Bad password attempt for 'a' from {BAIT}:22' from 203.0.113.9:4242\r\n");
    for (i, b) in line.as_bytes().chunks(7).enumerate() {
        d.feed(std::str::from_utf8(b).expect("ascii"));
        if i % 4 == 0 {
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    let line = format!("Failed password for a from {BAIT} port 22 ssh2 from 203.0.113.10 port 9 ssh2\r");
    d.feed(&line);
    std::thread::sleep(pause);
    d.feed("\n");
    assert!(d.wait_out("ban sshd 203.0.113.10 600"), "{}", d.err());
    let (code, out, err) = d.stop();
    assert_eq!(code, 0, "{err}");
    framed_nobody(&out, BAIT);
    assert_eq!(
        out, "ban luci 203.0.113.66 600\nban dropbear 203.0.113.9 600\nban sshd 203.0.113.10 600\n",
        "{err}"
    );
}

#[test]
fn a_line_without_newline_at_a_pause_is_not_judged_until_it_ends() {
    // The last piece before the writer goes quiet ends with the bait: nothing happens until
    // the line is finished, and then its real peer is the offender.
    let cfg = three_jails("adv-unfinished");
    let mut d = Daemon::start(&cfg);
    d.feed(&format!("[info] luci: failed login on / for a from {BAIT}"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(d.out(), "", "a piece of a line was judged");
    d.feed(" from 203.0.113.66\n");
    assert!(d.wait_out("ban luci 203.0.113.66 600"), "{}", d.err());
    framed_nobody(&d.out(), BAIT);
}
