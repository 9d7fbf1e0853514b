//! The state-file decoder on arbitrary bytes, twice: as a whole file (header, checksum) and as
//! a payload with a correct header put in front, so the fuzzer reaches the postcard decoder
//! and the restore into an engine (clamping of untrusted times).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logjail::config::{Config, JailConfig};
use logjail::clock::Now;
use logjail::engine::Engine;
use logjail::state::file;

fuzz_target!(|data: &[u8]| {
    let _ = file::decode(data);
    let mut whole = Vec::with_capacity(file::HEADER_LEN + data.len());
    whole.extend_from_slice(&file::MAGIC);
    whole.extend_from_slice(&file::VERSION.to_be_bytes());
    whole.extend_from_slice(&[0, 0]);
    whole.extend_from_slice(&(data.len() as u32).to_be_bytes());
    whole.extend_from_slice(&file::crc32(data).to_be_bytes());
    whole.extend_from_slice(data);
    let Ok(mut snap) = file::decode(&whole) else {
        return;
    };
    assert_eq!(
        file::decode(&file::encode(&snap).expect("encode")).expect("round trip"),
        snap
    );
    if let Some(j) = snap.jails.first_mut() {
        j.name = "dropbear".into();
    }
    let mut c = Config::default();
    let mut jc = JailConfig::new("dropbear");
    jc.max_bans = 64;
    jc.max_offenders = 64;
    c.jails.push(jc);
    let mut d = Engine::new(&c, &[], 1).expect("engine");
    let now = Now { wall: 1_764_000_000, mono_ms: 0 };
    let mut actions = Vec::new();
    d.restore(&snap, now, &mut actions);
    let again = d.snapshot(now);
    d.tick(Now { wall: 1_764_000_000 + 1_000_000_000, mono_ms: 1 << 40 }, &mut actions);
    let _ = file::encode(&again);
});
