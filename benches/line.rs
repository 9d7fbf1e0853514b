//! `cargo bench --bench line`: nanoseconds per `line::parse` call for each format.
//! The logread path is what every line of a router's log takes.

use logjail::line::parse;
use std::hint::black_box;
use std::time::Instant;

const NOW: i64 = 1_795_608_000;

/// The fastest of many short runs: on a shared machine, other processes only ever add time.
fn bench(name: &str, raw: &[u8]) {
    // `cargo bench --bench line -- NAME` runs only the formats whose name starts with NAME.
    if let Some(only) = std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        if !name.starts_with(only.as_str()) {
            return;
        }
    }
    const N: u32 = 20_000;
    let mut best = f64::MAX;
    for _ in 0..300 {
        let start = Instant::now();
        for _ in 0..N {
            black_box(parse(black_box(raw), NOW));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(N));
    }
    println!("{name:<12} {best:>6.1} ns/line");
}

fn main() {
    bench(
        "logread",
        b"Thu Dec  5 17:43:58 2024 authpriv.info dropbear[12388]: Bad password attempt for 'root' from 192.0.2.7:52144",
    );
    bench(
        "logread -t",
        b"Thu Dec  5 17:43:58 2024 [1733420638.123] authpriv.info dropbear[12388]: Exit before auth",
    );
    bench(
        "kernel",
        b"Thu Dec  5 17:43:58 2024 kern.warn kernel: [   12.345678] br-lan: port 1(lan1) entered blocking state",
    );
    bench(
        "rfc3164",
        b"Nov 24 10:00:01 host sshd[123]: Failed password for root from 192.0.2.1 port 22",
    );
    bench(
        "iso",
        b"2026-11-24T10:00:01.123456+01:00 host sshd[123]: Invalid user admin from 192.0.2.1",
    );
    bench(
        "rfc5424",
        b"<34>1 2026-11-24T10:00:01.003Z h su 123 ID47 [a b=\"c\"] 'su root' failed",
    );
    bench(
        "dropbear -E",
        b"[4242] Nov 24 10:00:01 Bad password attempt for 'root' from 192.0.2.7:40000",
    );
    bench("bare", b"some message without any header at all");
}
