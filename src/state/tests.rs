//! State: the file format byte for byte, every way a file can be bad, and restoring with a
//! clock that cannot be trusted.

use super::file::{self, crc32, decode, encode, HEADER_LEN};
use super::*;
use crate::clock::Now;
use crate::config::{Config, JailConfig};
use crate::engine::{Engine, Restored};

fn capture(d: &Engine, now: Now) -> Snapshot {
    d.snapshot(now)
}

fn restore(snap: &Snapshot, d: &mut Engine, now: Now) -> Restored {
    d.restore(snap, now, &mut Vec::new())
}

fn daemon() -> Engine {
    let mut c = Config::default();
    let mut j = JailConfig::new("dropbear");
    j.bantime = Some(600);
    j.bantime_factor = 2;
    c.jails.push(j);
    Engine::new(&c, &[], 42).expect("daemon")
}

fn at(wall: i64) -> Now {
    Now { wall, mono_ms: 0 }
}

const T0: i64 = 1_764_000_000;

fn v4(s: &str) -> Host {
    Host::parse(s).expect("host")
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn header_is_byte_exact_and_round_trips() {
    let snap = Snapshot {
        saved_at: 1,
        jails: vec![JailState {
            name: "j".into(),
            bans: vec![BanRecord {
                host: HostRec::V4([192, 0, 2, 1]),
                start: 0,
                duration: Some(600),
                remaining: Some(599),
                count: 1,
            }],
            offenders: vec![],
        }],
        mark: Some(LogMark { time: 5, lines: 2 }),
        boot: None,
    };
    let bytes = encode(&snap).unwrap();
    let payload = &bytes[HEADER_LEN..];
    assert_eq!(&bytes[..8], b"LJST\x00\x02\x00\x00");
    assert_eq!(bytes[8..12], (payload.len() as u32).to_be_bytes());
    assert_eq!(bytes[12..16], crc32(payload).to_be_bytes());
    // postcard: saved_at zigzag varint 1 → 2, one jail, name "j", one ban, V4 tag 0, octets...
    assert_eq!(&payload[..5], &[2, 1, 1, b'j', 1]);
    // ... offenders 0, then version 2's mark: Some, time 5 → 10, lines 2; boot: None.
    assert_eq!(&payload[payload.len() - 5..], &[0, 1, 10, 2, 0]);
    assert_eq!(decode(&bytes).unwrap(), snap);
}

#[test]
fn a_version_1_file_is_read_without_a_mark() {
    let v1 = SnapshotV1 {
        saved_at: 1,
        jails: vec![JailState {
            name: "j".into(),
            bans: vec![],
            offenders: vec![],
        }],
    };
    let payload = postcard::to_allocvec(&v1).unwrap();
    let mut bytes = b"LJST\x00\x01\x00\x00".to_vec();
    bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&crc32(&payload).to_be_bytes());
    bytes.extend_from_slice(&payload);
    let snap = decode(&bytes).unwrap();
    assert_eq!(snap, Snapshot::from(v1));
    assert_eq!(snap.mark, None);
    // The same payload under version 2 lacks the new fields: refused, not misread.
    bytes[5] = 2;
    assert!(decode(&bytes).is_err());
}

#[test]
fn every_kind_of_bad_file_is_refused_with_its_reason() {
    let mut d = daemon();
    d.jails[0].ban(v4("198.51.100.7"), T0, None);
    let good = encode(&capture(&d, at(T0))).unwrap();
    let check = |bytes: &[u8], want: &str| {
        let e = decode(bytes).expect_err(want).to_string();
        assert!(e.contains(want), "{e} / {want}");
    };
    check(&good[..10], "truncated");
    check(&good[..good.len() - 1], "truncated");
    check(b"", "truncated");
    let mut v = good.clone();
    v[5] = 9;
    check(&v, "format version 9 is newer");
    let mut v = good.clone();
    v[0] = b'X';
    check(&v, "bad magic");
    let mut v = good.clone();
    let last = v.len() - 1;
    v[last] ^= 0x40;
    check(&v, "checksum");
    let mut v = good.clone();
    v.push(0);
    check(&v, "unexpected bytes");
    // A payload with a valid checksum that is not a snapshot.
    let junk = [0xffu8; 8];
    let mut v = good[..HEADER_LEN].to_vec();
    v[8..12].copy_from_slice(&8u32.to_be_bytes());
    v[12..16].copy_from_slice(&crc32(&junk).to_be_bytes());
    v.extend_from_slice(&junk);
    check(&v, "does not decode");
}

#[test]
fn quarantine_moves_a_bad_file_aside_and_write_replaces_atomically() {
    let dir = std::env::temp_dir().join(format!("logjail-state-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("sub/state");
    let snap = Snapshot::default();
    file::write(&path, &snap).unwrap();
    assert_eq!(file::read(&path).unwrap(), Some(snap));
    assert!(!dir.join("sub/state.tmp").exists());
    std::fs::write(&path, b"garbage").unwrap();
    assert_eq!(keeper::read_or_quarantine(&path), None);
    assert!(!path.exists());
    assert_eq!(std::fs::read(dir.join("sub/state.bad")).unwrap(), b"garbage");
    assert_eq!(file::read(&path).unwrap(), None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restore_subtracts_trusted_time_only() {
    let mut d = daemon();
    let h = v4("203.0.113.9");
    d.jails[0].ban(h, T0, None); // 600 s
    let snap = capture(&d, at(T0 + 100)); // 500 s left
    assert_eq!(snap.jails[0].bans[0].remaining, Some(500));
    let left = |wall: i64| {
        let mut fresh = daemon();
        let r = restore(&snap, &mut fresh, at(wall));
        let rem = fresh.jails[0].ban_of(&h).and_then(|b| b.remaining(wall));
        (r.bans, r.expired, rem)
    };
    // 200 s later: 300 s left.
    assert_eq!(left(T0 + 300), (1, 0, Some(300)));
    // Long after the end: expired, not restored.
    assert_eq!(left(T0 + 700), (0, 1, None));
    // The clock went back (no RTC, boot in 1970): what was left, never more.
    assert_eq!(left(1000), (1, 0, Some(500)));
    // Absurdly later: what was left.
    assert_eq!(left(T0 + 100 + 2 * MAX_GAP), (1, 0, Some(500)));
    // A save made with an unset clock is not trusted either.
    let mut old = snap.clone();
    old.saved_at = 5000;
    let mut fresh = daemon();
    restore(&old, &mut fresh, at(T0));
    assert_eq!(fresh.jails[0].ban_of(&h).and_then(|b| b.remaining(T0)), Some(500));
}

#[test]
fn offender_history_survives_and_escalates() {
    let mut d = daemon();
    let h = v4("192.0.2.44");
    d.jails[0].ban(h, T0, None);
    d.tick(at(T0 + 700), &mut Vec::new());
    assert_eq!(d.jails[0].banned(), 0);
    let snap = capture(&d, at(T0 + 700));
    assert!(snap.jails[0].bans.is_empty());
    assert_eq!(snap.jails[0].offenders.len(), 1);
    let mut fresh = daemon();
    let r = restore(&snap, &mut fresh, at(T0 + 800));
    assert_eq!(r.offenders, 1);
    let again = fresh.jails[0].ban(h, T0 + 800, None);
    assert_eq!((again.count, again.duration), (2, Some(1200)));
}

#[test]
fn bans_of_removed_jails_and_ignored_hosts_are_to_be_lifted() {
    let mut d = daemon();
    d.jails[0].ban(v4("127.0.0.5"), T0, None); // loopback: ignored by every jail
    d.jails[0].ban(v4("198.51.100.1"), T0, None);
    let mut snap = capture(&d, at(T0));
    snap.jails[0].name = "gone".into();
    let mut extra = snap.jails[0].clone();
    extra.name = "dropbear".into();
    snap.jails.push(extra);
    let mut fresh = daemon();
    let r = restore(&snap, &mut fresh, at(T0 + 1));
    assert_eq!(r.bans, 1);
    assert_eq!(r.lift.len(), 3);
    assert!(r
        .lift
        .iter()
        .any(|(j, h)| j == "dropbear" && *h == v4("127.0.0.5")));
}

/// What the `state` fuzz target does, over a fixed stream of random inputs, under
/// `cargo test`: mutated good files and random payloads behind a valid header never panic,
/// and whatever decodes restores into a daemon without panicking.
#[test]
fn random_files_never_panic_the_decoder_or_the_restore() {
    let mut d = daemon();
    for i in 0..40u32 {
        d.jails[0].ban(
            Host::V4(core::net::Ipv4Addr::from(0x0a00_0000 + i)),
            T0 + i64::from(i),
            None,
        );
    }
    let good = encode(&capture(&d, at(T0 + 50))).unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut decoded = 0;
    for round in 0..10_000 {
        let payload: Vec<u8> = if round % 2 == 0 {
            let mut p = good[HEADER_LEN..].to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % p.len();
                p[at] = next() as u8;
            }
            p.truncate(p.len() - (next() as usize % 3));
            p
        } else {
            (0..next() % 96).map(|_| next() as u8).collect()
        };
        let _ = decode(&payload);
        let mut whole = good[..HEADER_LEN].to_vec();
        whole[8..12].copy_from_slice(&(payload.len() as u32).to_be_bytes());
        whole[12..16].copy_from_slice(&crc32(&payload).to_be_bytes());
        whole.extend_from_slice(&payload);
        if let Ok(snap) = decode(&whole) {
            decoded += 1;
            let mut fresh = daemon();
            restore(&snap, &mut fresh, at(T0 + 60));
            let _ = capture(&fresh, at(T0 + 60));
            fresh.tick(at(T0 + 10_000_000), &mut Vec::new());
        }
    }
    assert!(decoded > 300, "{decoded} inputs reached restore");
}
