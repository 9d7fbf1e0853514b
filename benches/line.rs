//! `cargo bench --bench line`: nanoseconds per `line::parse` call for each format.
//! The logread path is what every line of a router's log takes.

use logjail::line::parse;
use std::hint::black_box;
use std::time::Instant;

const NOW: i64 = 1_795_608_000;

/// The fastest of many short runs: on a shared machine, other processes only ever add time.
/// `cargo bench --bench line -- NAME` runs only the benchmarks whose name starts with NAME.
fn wanted(name: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(only) => name.starts_with(only.as_str()),
        None => true,
    }
}

fn bench(name: &str, raw: &[u8]) {
    if !wanted(name) {
        return;
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
    split_and_parse();
    bench("bare", b"some message without any header at all");
}

/// Splitting a buffer of logread lines into lines and parsing each: the per-line cost of
/// reading a log (without the filters).
fn split_and_parse() {
    if !wanted("split+parse") {
        return;
    }
    let mut log = Vec::new();
    for i in 0..100_000u32 {
        log.extend_from_slice(
            format!(
                "Thu Dec  5 17:43:{:02} 2024 authpriv.info dropbear[{}]: Bad password attempt for 'root' from 192.0.2.{}:52144\n",
                i % 60,
                1000 + i % 5000,
                i % 250
            )
            .as_bytes(),
        );
    }
    let mut best = f64::MAX;
    for _ in 0..20 {
        let start = Instant::now();
        let mut n = 0u64;
        let lines = logjail::source::lines::each_line(&mut &log[..], &mut |l| {
            n += black_box(parse(l, NOW)).message.len() as u64;
        });
        black_box((n, lines.map(|l| l.lines).ok()));
        best = best.min(start.elapsed().as_nanos() as f64 / 100_000.0);
    }
    println!(
        "{:<12} {best:>6.1} ns/line ({:.1} M lines/s)",
        "split+parse",
        1000.0 / best
    );
}
