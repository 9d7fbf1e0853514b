//! Followed files against real files: appends, copytruncate, rename rotation, a live writer,
//! huge lines, inotify wake-ups; driven by the daemon's poll loop.

mod support;

use logjail::source::{Options, Source, Spec, Status};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::time::Instant;
use support::scratch;
use support::source_loop::*;

#[test]
fn a_followed_file_starts_at_its_end_and_survives_truncation_and_rotation() {
    follow_truncation_and_rotation(true);
}

#[test]
fn without_inotify_too() {
    follow_truncation_and_rotation(false);
    live_rotation(false);
}

fn follow_truncation_and_rotation(inotify: bool) {
    capture_logs();
    let dir = scratch(&format!("follow-{inotify}"));
    let path = dir.join("messages");
    fs::write(&path, "old line, judged by the run before\nhalf a li").expect("write");
    let start = Instant::now();
    let opts = Options { inotify, ..fast() };
    let mut src = Source::open_with(&Spec::File(path.clone()), opts, 0).expect("follow");
    assert_eq!(src.fd().is_some(), inotify);
    let mut got = Vec::new();
    append(&path, b"ne\na\nb\n");
    pump(&mut src, start, &mut got, 2000, |g| g.len() >= 2);
    assert_eq!(got, ["a", "b"]);

    // copytruncate: the copy is made, the file cut to nothing, then written again.
    fs::copy(&path, dir.join("messages.0")).expect("copy");
    File::create(&path).expect("truncate");
    append(&path, b"c\n");
    pump(&mut src, start, &mut got, 2000, |g| g.len() >= 3);
    assert_eq!(got, ["a", "b", "c"]);
    assert!(logged("was truncated"));

    // Rotation: more to the old file after the move, then a new file.
    append(&path, b"d\n");
    fs::rename(&path, dir.join("messages.1")).expect("rename");
    append(&dir.join("messages.1"), b"e\n");
    pump(&mut src, start, &mut got, 100, |_| false);
    append(&dir.join("messages.1"), b"f, unterminated");
    append(&path, b"g\n");
    pump(&mut src, start, &mut got, 2000, |g| g.len() >= 6);
    pump(&mut src, start, &mut got, 50, |_| false);
    // The old file's last line has no newline: its writer may not have finished it.
    assert_eq!(got, ["a", "b", "c", "d", "e", "g"]);
    assert_eq!(src.stats().ignored, 1);
    assert_eq!(src.stats().restarts, 2);
    assert!(src.to_string().starts_with("file "), "{src}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_file_is_waited_for_and_read_from_its_start() {
    let dir = scratch("missing");
    let path = dir.join("later.log");
    let start = Instant::now();
    let mut src = Source::open_with(&Spec::File(path.clone()), fast(), 0).expect("follow");
    assert_eq!(src.read(0, &mut |_| panic!("no lines yet")), Status::Waiting);
    assert!(src.to_string().contains("missing"));
    fs::write(&path, "first\nsecond\n").expect("write");
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 2000, |g| g.len() >= 2);
    assert_eq!(got, ["first", "second"]);
    assert_eq!(src.status(), Status::Open);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_is_not_a_log_file() {
    let dir = scratch("dir");
    let err = Source::open_with(&Spec::File(dir.clone()), fast(), 0)
        .err()
        .expect("error");
    assert!(err.to_string().ends_with("is not a regular file"), "{err}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn every_line_exactly_once_across_a_rotation_under_a_live_writer() {
    live_rotation(true);
}

fn live_rotation(inotify: bool) {
    let dir = scratch(&format!("live-{inotify}"));
    let path = dir.join("log");
    fs::write(&path, "").expect("create");
    let opts = Options { inotify, ..fast() };
    let mut src = Source::open_with(&Spec::File(path.clone()), opts, 0).expect("follow");
    const N: usize = 20_000;
    let writer = {
        let path = path.clone();
        let rotated = dir.join("log.1");
        std::thread::spawn(move || {
            let mut f = OpenOptions::new().append(true).open(&path).expect("open");
            for i in 0..N {
                if i == N / 2 {
                    fs::rename(&path, &rotated).expect("rename");
                    // The writer notices late: a few more lines go to the old file.
                    for j in 0..50 {
                        writeln!(f, "line {}", i + j).expect("write old");
                    }
                    f = OpenOptions::new()
                        .append(true)
                        .create(true)
                        .open(&path)
                        .expect("new");
                }
                if (N / 2..N / 2 + 50).contains(&i) {
                    continue;
                }
                writeln!(f, "line {i}").expect("write");
            }
        })
    };
    let start = Instant::now();
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 10_000, |g| g.len() >= N);
    writer.join().expect("writer");
    pump(&mut src, start, &mut got, 50, |_| false);
    let want: Vec<String> = (0..N).map(|i| format!("line {i}")).collect();
    assert_eq!(got.len(), N);
    assert!(got == want, "lines out of order, lost or doubled");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_megabyte_without_newline_in_a_followed_file_stays_bounded() {
    let dir = scratch("huge");
    let path = dir.join("log");
    fs::write(&path, "").expect("create");
    let start = Instant::now();
    let mut src = Source::open_with(&Spec::File(path.clone()), fast(), 0).expect("follow");
    let mut huge = vec![b'x'; 1 << 20];
    huge.extend_from_slice(b"\nafter\n");
    append(&path, &huge);
    let mut got = Vec::new();
    pump(&mut src, start, &mut got, 3000, |g| !g.is_empty());
    pump(&mut src, start, &mut got, 50, |_| false);
    // The megabyte line is not judged at all (no prefix of it is handed out).
    assert_eq!(got, ["after"]);
    let stats = src.stats();
    assert_eq!(
        (stats.lines, stats.ignored, stats.bytes),
        (1, 1, huge.len() as u64)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_followed_file_wakes_the_poll_loop_through_inotify() {
    let dir = scratch("inotify");
    let path = dir.join("log");
    fs::write(&path, "").expect("create");
    let opts = Options {
        file_poll_ms: 60_000,
        ..fast()
    };
    let mut src = Source::open_with(&Spec::File(path.clone()), opts, 0).expect("follow");
    let ready = |src: &Source, ms: u16| match src.fd() {
        Some(fd) => poll(&mut [PollFd::new(fd, PollFlags::POLLIN)], PollTimeout::from(ms)).unwrap_or(0),
        None => panic!("no inotify descriptor"),
    };
    let mut got = Vec::new();
    let mut sink = |l: &[u8]| got.push(String::from_utf8_lossy(l).into_owned());
    src.read(0, &mut sink);
    assert_eq!(ready(&src, 0), 0, "nothing happened yet");
    append(&path, b"one\n");
    assert_eq!(ready(&src, 2000), 1, "an append wakes the loop");
    src.read(1, &mut sink);
    assert_eq!(ready(&src, 0), 0, "read consumed the wake-up");
    fs::rename(&path, dir.join("log.1")).expect("rotate");
    append(&path, b"two\n");
    assert_eq!(ready(&src, 2000), 1, "a rotation wakes the loop");
    src.read(2, &mut sink);
    assert_eq!(got, ["one", "two"]);
    // Nothing else to do for a minute: the file poll is only a safety net.
    assert!(src.next_deadline_ms() >= Some(60_000));
    let _ = fs::remove_dir_all(&dir);
}

/// A backlog bigger than one `read` budget is read to its end without another change to the
/// file, by a loop that only reads a source when its descriptor is ready or it has none.
#[test]
fn a_backlog_beyond_the_read_budget_does_not_wait_for_the_next_write() {
    let dir = scratch("backlog");
    let path = dir.join("log");
    fs::write(&path, "").expect("create");
    let opts = Options {
        read_budget: 1,
        file_poll_ms: 60_000,
        ..fast()
    };
    let mut src = Source::open_with(&Spec::File(path.clone()), opts, 0).expect("follow");
    let mut backlog = Vec::new();
    for i in 0..20_000 {
        writeln!(backlog, "line {i}").expect("format");
    }
    append(&path, &backlog);
    let start = Instant::now();
    let mut got = 0usize;
    while got < 20_000 && start.elapsed().as_millis() < 3000 {
        let ready = match src.fd() {
            Some(fd) => {
                poll(
                    &mut [PollFd::new(fd, PollFlags::POLLIN)],
                    PollTimeout::from(250u16),
                )
                .unwrap_or(0)
                    > 0
            }
            None => true,
        };
        if ready {
            src.read(1, &mut |_| got += 1);
        }
    }
    assert_eq!(got, 20_000);
    assert!(
        backlog.len() > 2 * logjail::source::lines::BUFFER,
        "more than one budget"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// The contract a loop that reads a source only when its descriptor is ready relies on: a due
/// poll takes the descriptor away (so the loop reads), and after the read the deadline is in
/// the future again (so the loop sleeps). Once it stayed in the past and the daemon spun.
#[test]
fn a_due_poll_is_read_once_and_then_the_deadline_is_ahead() {
    let dir = scratch("due");
    let path = dir.join("messages");
    fs::write(&path, "old\n").expect("write");
    let opts = Options {
        file_poll_ms: 100,
        ..Options::default()
    };
    let mut src = Source::open_with(&Spec::File(path.clone()), opts, 0).expect("follow");
    assert!(src.fd().is_some(), "watched by inotify");
    src.read(0, &mut |_| {});
    let due = src.next_deadline_ms().expect("a safety-net poll");
    assert!(due > 0);
    src.tick(due - 1);
    assert!(src.fd().is_some(), "not due yet: wait on inotify");
    src.tick(due);
    assert!(src.fd().is_none(), "due: read now");
    src.read(due, &mut |_| {});
    assert!(src.fd().is_some());
    assert!(
        src.next_deadline_ms().expect("next poll") > due,
        "the deadline moved on"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_line_still_being_written_is_handed_out_only_whole() {
    let dir = scratch("half");
    let path = dir.join("log");
    fs::write(&path, "").expect("create");
    let start = Instant::now();
    let mut src = Source::open_with(&Spec::File(path.clone()), fast(), 0).expect("follow");
    let mut got = Vec::new();
    // The writer has written part of a line: `from 198.51.100.7`, and the `7` is coming.
    append(
        &path,
        b"before\nBad password attempt for 'root' from 198.51.100.7",
    );
    pump(&mut src, start, &mut got, 300, |_| false);
    assert_eq!(got, ["before"]);
    append(&path, b"7:22\n");
    pump(&mut src, start, &mut got, 2000, |g| g.len() >= 2);
    assert_eq!(
        got,
        ["before", "Bad password attempt for 'root' from 198.51.100.77:22"]
    );
    assert_eq!(src.stats().ignored, 0);
    let _ = fs::remove_dir_all(&dir);
}
