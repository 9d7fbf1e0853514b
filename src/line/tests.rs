//! Real lines → parts. Times were computed independently with `date -u -d … +%s`.

use super::*;

/// 2026-11-25T12:00:00Z.
const NOW: i64 = 1_795_608_000;

/// Parses with the zone flag cleared (checked on its own in `zone_flag`).
fn p(raw: &[u8]) -> Line<'_> {
    Line {
        local: false,
        ..parse(raw, NOW)
    }
}

#[test]
fn zone_flag() {
    let local: &[&[u8]] = &[
        b"Thu Dec  5 17:43:58 2024 authpriv.info dropbear[1]: m",
        b"Nov 24 10:00:01 host sshd[123]: m",
        b"<38>Nov 24 10:00:01 host sshd[123]: m",
        b"[123] Nov 24 10:00:01 m",
    ];
    let utc: &[&[u8]] = &[
        b"Thu Dec  5 17:43:58 2024 [1733420638.123] daemon.notice netifd: m",
        b"2026-11-24T10:00:01.123456+01:00 host sshd[123]: m",
        b"<34>1 2026-11-24T10:00:01.003Z host sshd 123 ID47 - m",
        b"[123] 1733420638 m",
        b"no format at all",
    ];
    for raw in local {
        assert!(parse(raw, NOW).local, "{}", String::from_utf8_lossy(raw));
    }
    for raw in utc {
        assert!(!parse(raw, NOW).local, "{}", String::from_utf8_lossy(raw));
    }
}

fn line<'a>(program: &'a [u8], pid: Option<u32>, message: &'a [u8], time: Option<i64>) -> Line<'a> {
    Line {
        program,
        pid,
        message,
        time,
        local: false,
    }
}

#[test]
fn logread_with_pid() {
    let raw = b"Thu Dec  5 17:43:58 2024 authpriv.info dropbear[12388]: Bad password attempt for 'root' from 192.0.2.7:52144";
    assert_eq!(
        p(raw),
        line(
            b"dropbear",
            Some(12388),
            b"Bad password attempt for 'root' from 192.0.2.7:52144",
            Some(1_733_420_638)
        )
    );
}

#[test]
fn logread_two_digit_day_and_tag_without_pid() {
    let raw = b"Thu Nov  5 08:01:02 2026 daemon.notice netifd: Interface 'wan' is now up";
    assert_eq!(
        p(raw),
        line(b"netifd", None, b"Interface 'wan' is now up", Some(1_793_865_662))
    );
    let raw =
        b"Tue Nov 24 10:00:01 2026 daemon.err uhttpd[1]: luci: failed login on / for root from 192.0.2.9";
    assert_eq!(
        p(raw),
        line(
            b"uhttpd",
            Some(1),
            b"luci: failed login on / for root from 192.0.2.9",
            Some(1_795_514_401)
        )
    );
}

#[test]
fn logread_odd_tags() {
    for (raw, prog) in [
        (
            &b"Tue Nov 24 10:00:01 2026 user.notice luci-app-foo: hi"[..],
            &b"luci-app-foo"[..],
        ),
        (b"Tue Nov 24 10:00:01 2026 daemon.info ucode: hi", b"ucode"),
        (
            b"Tue Nov 24 10:00:01 2026 daemon.info odhcpd[1729]: hi",
            b"odhcpd",
        ),
        (
            b"Tue Nov 24 10:00:01 2026 local7.debug my_prog.sh: hi",
            b"my_prog.sh",
        ),
        (
            b"Tue Nov 24 10:00:01 2026 <unknown>.err /usr/bin/x: hi",
            b"/usr/bin/x",
        ),
    ] {
        let l = p(raw);
        assert_eq!(
            (l.program, l.message, l.time),
            (prog, &b"hi"[..], Some(1_795_514_401))
        );
    }
}

#[test]
fn colon_inside_parentheses_is_no_tag_end() {
    // Dovecot 2.4's log file (log_timestamp "%b %d %H:%M:%S "): the auth request prefix.
    let raw = b"Aug 30 00:10:57 auth(u@example.com,192.0.2.1,sasl:login)<CvN>: Info: sql: x";
    let l = p(raw);
    assert_eq!(l.program, b"");
    assert_eq!(&l.message[..12], b"auth(u@examp");
    // Tags with parentheses and a real `: ` end stay tags.
    let l = p(b"Aug 30 00:10:57 mail auth-worker(304): pam(u,192.0.2.1): x");
    assert_eq!(
        (l.program, l.message),
        (&b"auth-worker(304)"[..], &b"pam(u,192.0.2.1): x"[..])
    );
}

#[test]
fn logread_kernel_drops_uptime() {
    let raw = b"Thu Dec  5 17:43:58 2024 kern.warn kernel: [   12.345678] br-lan: port 1(lan1) entered blocking state";
    assert_eq!(
        p(raw),
        line(
            b"kernel",
            None,
            b"br-lan: port 1(lan1) entered blocking state",
            Some(1_733_420_638)
        )
    );
    // Without an uptime stamp, and with a bracket that is not one.
    let raw = b"Thu Dec  5 17:43:58 2024 kern.info kernel: [x] y";
    assert_eq!(p(raw).message, b"[x] y");
}

#[test]
fn logread_t_prefers_the_epoch() {
    // The epoch differs from the ctime by an hour: a router in UTC+1.
    let raw = b"Thu Dec  5 18:43:58 2024 [1733420638.123] authpriv.info dropbear[12388]: Exit (root)";
    assert_eq!(
        p(raw),
        line(b"dropbear", Some(12388), b"Exit (root)", Some(1_733_420_638))
    );
    let raw = b"Thu Dec  5 18:43:58 2024 [1733420638.123] kern.err kernel: [   1.5] oops";
    assert_eq!(p(raw), line(b"kernel", None, b"oops", Some(1_733_420_638)));
    let raw = b"Thu Dec  5 18:43:58 2024 [1733420638] daemon.info x: y";
    assert_eq!(p(raw).time, Some(1_733_420_638));
}

#[test]
fn logread_untagged_and_empty_messages() {
    let raw = b"Thu Dec  5 17:43:58 2024 user.info hello world: not a tag";
    assert_eq!(
        p(raw),
        line(b"", None, b"hello world: not a tag", Some(1_733_420_638))
    );
    assert_eq!(
        p(b"Thu Dec  5 17:43:58 2024 user.info prog[7]:"),
        line(b"prog", Some(7), b"", Some(1_733_420_638))
    );
    assert_eq!(
        p(b"Thu Dec  5 17:43:58 2024 user.info prog: "),
        line(b"prog", None, b"", Some(1_733_420_638))
    );
    assert_eq!(
        p(b"Thu Dec  5 17:43:58 2024 user.info "),
        line(b"", None, b"", Some(1_733_420_638))
    );
}

#[test]
fn leap_days_and_centuries() {
    let l = p(b"Thu Feb 29 12:00:00 2024 user.info a: b");
    assert_eq!(l.time, Some(1_709_208_000));
    // 2023 and 2100 are not leap years; 2000 is.
    assert_eq!(
        p(b"Wed Mar  1 00:00:00 2000 user.info a: b").time,
        Some(951_868_800)
    );
    assert_eq!(
        p(b"Mon Mar  1 00:00:00 2100 user.info a: b").time,
        Some(4_107_542_400)
    );
    for bad in [
        &b"Wed Feb 29 12:00:00 2023 user.info a: b"[..],
        b"Mon Feb 29 12:00:00 2100 user.info a: b",
        b"Thu Dec 32 17:43:58 2024 user.info a: b",
        b"Thu Nov 31 17:43:58 2024 user.info a: b",
        b"Thu Dec  0 17:43:58 2024 user.info a: b",
        b"Thu Dec  5 24:00:00 2024 user.info a: b",
        b"Thu Dec  5 17:60:00 2024 user.info a: b",
        b"Thu Dex  5 17:43:58 2024 user.info a: b",
        b"Thx Dec  5 17:43:58 2024 user.info a: b",
        b"Thu Dec  5 17:43:58 20x4 user.info a: b",
        b"Thu Dec  5 17-43-58 2024 user.info a: b",
        b"Thu Dec  5 17:43:58 2024 noFacility a: b",
    ] {
        assert_eq!(p(bad), Line::bare(bad), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn rfc3164_with_and_without_host_and_pri() {
    let want = line(
        b"sshd",
        Some(123),
        b"Failed password for root",
        Some(1_795_514_401),
    );
    assert_eq!(
        p(b"Nov 24 10:00:01 host sshd[123]: Failed password for root"),
        want
    );
    assert_eq!(
        p(b"<38>Nov 24 10:00:01 host sshd[123]: Failed password for root"),
        want
    );
    assert_eq!(
        p(b"<38>Nov 24 10:00:01 sshd[123]: Failed password for root"),
        want
    );
    assert_eq!(
        p(b"Nov 24 10:00:01 router authpriv.info sshd[123]: Failed password for root"),
        want
    );
    let l = p(b"Nov  5 08:01:02 gw su: pam_unix(su:auth): authentication failure");
    assert_eq!(l.program, b"su");
    assert_eq!(l.message, b"pam_unix(su:auth): authentication failure");
    assert_eq!(l.time, Some(1_793_865_662));
    assert_eq!(p(b"Nov 05 08:01:02 gw su: x").time, Some(1_793_865_662));
    // An unpadded day (syslog-ng and BSD loggers write `Nov 5`).
    let l = p(b"Nov 5 08:01:02 gw su: x");
    assert_eq!((l.program, l.time), (&b"su"[..], Some(1_793_865_662)));
    assert_eq!(
        p(b"Nov 5 8:01:02 gw su: x"),
        Line::bare(b"Nov 5 8:01:02 gw su: x")
    );
    assert_eq!(
        p(b"<999>Nov 24 10:00:01 h a: b"),
        Line::bare(b"<999>Nov 24 10:00:01 h a: b")
    );
    assert_eq!(p(b"Nov 24 10:00:01"), line(b"", None, b"", Some(1_795_514_401)));
}

#[test]
fn rfc3164_year_inference() {
    let at = |raw: &'static [u8], now: i64| parse(raw, now).time;
    // A day back is this year; two days ahead is last year; within a day ahead is this year.
    assert_eq!(at(b"Nov 24 10:00:01 h a: b", NOW), Some(1_795_514_401));
    assert_eq!(
        at(b"Nov 27 10:00:01 h a: b", NOW),
        Some(1_795_514_401 + 3 * 86_400 - 365 * 86_400)
    );
    assert_eq!(at(b"Nov 26 11:00:00 h a: b", NOW), Some(NOW + 86_400 - 3600));
    // Across New Year: Dec 31 read on Jan 1 is last year's; Jan 1 read on Dec 31 is next year's.
    let jan1 = 1_767_225_600; // 2026-01-01T00:00:00Z
    assert_eq!(at(b"Dec 31 23:59:59 h a: b", jan1 + 10), Some(1_767_225_599));
    assert_eq!(
        at(b"Jan  1 00:00:05 h a: b", 1_798_761_600 - 2),
        Some(1_798_761_605)
    );
    // Feb 29 in a leap year read the next January; and where no leap year is near: bare.
    assert_eq!(
        at(b"Feb 29 12:00:00 h a: b", 1_709_208_000 + 300 * 86_400),
        Some(1_709_208_000)
    );
    assert_eq!(at(b"Feb 29 12:00:00 h a: b", NOW), None);
}

#[test]
fn iso_syslog_as_rsyslog_writes_it() {
    let raw = b"2026-11-24T10:00:01.123456+01:00 host sshd[123]: Invalid user admin from 192.0.2.1 port 22";
    assert_eq!(
        p(raw),
        line(
            b"sshd",
            Some(123),
            b"Invalid user admin from 192.0.2.1 port 22",
            Some(1_795_510_801)
        )
    );
    assert_eq!(p(b"2026-11-24T10:00:01Z h a: b").time, Some(1_795_514_401));
    assert_eq!(p(b"2026-11-24T09:00:01-01:00 h a: b").time, Some(1_795_514_401));
    assert_eq!(p(b"<13>2026-11-24T10:00:01 h a: b").time, Some(1_795_514_401));
    for bad in [
        &b"2026-13-24T10:00:01Z h a: b"[..],
        b"2026-11-24 10:00:01 h a: b",
        b"2026-11-24T10:00:01+1 h",
    ] {
        assert_eq!(p(bad), Line::bare(bad));
    }
}

#[test]
fn rfc5424() {
    let raw = b"<34>1 2026-11-24T10:00:01.003Z mymachine.example.com su 123 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"li]cation\"][x@1 a=\"\\]\"] \xEF\xBB\xBF'su root' failed";
    assert_eq!(
        p(raw),
        line(b"su", Some(123), b"'su root' failed", Some(1_795_514_401))
    );
    let raw = b"<165>1 - - - - - -";
    assert_eq!(p(raw), line(b"", None, b"", None));
    let raw = b"<165>1 2026-11-24T10:00:01+00:00 h app proc-7 - - hello";
    assert_eq!(p(raw), line(b"app", None, b"hello", Some(1_795_514_401)));
    for bad in [
        &b"<34>1 2026-11-24T10:00:01Z h su 1 ID [unterminated msg"[..],
        b"<34>1 2026-11-24T10:00:01Z h su 1 ID nosd",
        b"<34>1 2026-11-24 h su 1 ID - m",
        b"<34>1 2026-11-24T10:00:01Z h su",
    ] {
        assert_eq!(p(bad), Line::bare(bad), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn dropbear_stderr() {
    let raw = b"[4242] Nov 24 10:00:01 Bad password attempt for 'root' from 192.0.2.7:40000";
    assert_eq!(
        p(raw),
        line(
            b"dropbear",
            Some(4242),
            b"Bad password attempt for 'root' from 192.0.2.7:40000",
            Some(1_795_514_401)
        )
    );
    assert_eq!(p(b"[7] Nov 05 08:01:02 x").time, Some(1_793_865_662));
    assert_eq!(
        p(b"[7] 1733420638 Exit before auth"),
        line(b"dropbear", Some(7), b"Exit before auth", Some(1_733_420_638))
    );
    for bad in [
        &b"[   12.345678] usb 1-1: new device"[..],
        b"[7] Nov 24 99:00:01 x",
        b"[x] Nov 24 10:00:01 x",
    ] {
        assert_eq!(p(bad), Line::bare(bad));
    }
}

#[test]
fn bare_messages() {
    for raw in [
        &b""[..],
        b"hello",
        b"Failed password for root from 192.0.2.1",
        b"  Thu Dec  5 17:43:58 2024 user.info a: b",
        b"\xff\xfe\xfd invalid utf-8",
        b"Thu Dec  5 17:43:58 2024",
    ] {
        assert_eq!(p(raw), Line::bare(raw));
    }
}

#[test]
fn invalid_utf8_and_long_lines_are_just_bytes() {
    let raw = b"Thu Dec  5 17:43:58 2024 authpriv.info dropbear[1]: user '\xff\xc3' from 192.0.2.7";
    assert_eq!(p(raw).message, b"user '\xff\xc3' from 192.0.2.7");
    let mut long = b"Thu Dec  5 17:43:58 2024 authpriv.info dropbear[1]: ".to_vec();
    long.resize(1024, b'x');
    let l = p(&long);
    assert_eq!((l.program, l.message.len()), (&b"dropbear"[..], 1024 - 52));
    // A 1 KiB "tag" is no tag.
    let long = vec![b'a'; 1024];
    assert_eq!(p(&long), Line::bare(&long));
}

/// Random bytes and every truncation of every example: no panic, all slices inside the input.
#[test]
fn never_panics_on_any_bytes() {
    let examples: &[&[u8]] = &[
        b"Thu Dec  5 18:43:58 2024 [1733420638.123] authpriv.info dropbear[12388]: Exit (root)",
        b"Thu Dec  5 17:43:58 2024 kern.warn kernel: [   12.345678] br-lan: port 1",
        b"<38>Nov 24 10:00:01 router authpriv.info sshd[123]: Failed password for root",
        b"<34>1 2026-11-24T10:00:01.003Z h su 123 ID47 [a b=\"c\\\"]\"] \xEF\xBB\xBFmsg",
        b"2026-11-24T10:00:01.123456+01:00 host sshd[123]: x",
        b"[4242] Nov 24 10:00:01 Bad password",
        b"[7] 1733420638 Exit",
    ];
    let check = |raw: &[u8], now: i64| {
        let l = parse(raw, now);
        let range = raw.as_ptr_range();
        let inside = |part: &[u8]| {
            let r = part.as_ptr_range();
            part.is_empty() || (range.start <= r.start && r.end <= range.end)
        };
        // The program is a slice of the line, or a name the format implies.
        assert!(inside(l.message));
        assert!(inside(l.program) || l.program == b"kernel" || l.program == b"dropbear");
    };
    for ex in examples {
        for end in 0..=ex.len() {
            for now in [NOW, 0, i64::MIN, i64::MAX, -1] {
                check(&ex[..end], now);
            }
        }
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"<>[]:. -+TZ0123456789NovDecThu\xEF\xBB\xBF\"\\a";
    let mut buf = [0u8; 96];
    for _ in 0..200_000 {
        let len = (next() % 96) as usize;
        for b in &mut buf[..len] {
            let r = next();
            *b = if r & 1 == 0 {
                alphabet[(r >> 8) as usize % alphabet.len()]
            } else {
                (r >> 16) as u8
            };
        }
        // Splice a real example's head in sometimes, then mutate.
        if next() % 2 == 0 {
            let ex = examples[(next() % examples.len() as u64) as usize];
            let n = ex.len().min(len);
            buf[..n].copy_from_slice(&ex[..n]);
            let at = (next() % 96) as usize;
            if at < n {
                buf[at] = next() as u8;
            }
        }
        check(&buf[..len], next() as i64);
    }
}
