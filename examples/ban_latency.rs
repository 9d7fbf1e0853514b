//! Benchmark: log line → kernel set element, and 10 000-element batches.
//!
//! Run by `benches/ban_latency.sh` inside a fresh user + network namespace in which
//! `table inet fw4` with logjail's sets exists:
//!
//! ```text
//! ban_latency LOGJAIL_BINARY SCRATCH_DIR     # SCRATCH_DIR/fw4.nft is the ruleset
//! ```
//!
//! 1. Starts `LOGJAIL_BINARY run --source -` (jail `dropbear`, maxretry 1, bantime 1h) and, for
//!    1 000 distinct addresses, writes one failure line and waits for the `NEWSETELEM` event of
//!    that address on its own nf_tables event socket: the latency from the line being written to
//!    the element being committed in the kernel. Prints median, p99 and max.
//! 2. Deletes and re-creates `table inet fw4` (as `firewall restart` does) while the daemon holds
//!    10 000 bans, and times the re-installation (one `block_many`) up to its last element.
//! 3. Times the backend's `block_many` directly: 10 000 new elements, then 10 000 refreshes.

use logjail::addr::Host;
use logjail::firewall::nft::Nft;
use logjail::firewall::{Ban, Firewall};
use logjail::netlink::header::{nft_type, Messages};
use logjail::netlink::reply::element_keys;
use logjail::netlink::socket::Socket;
use logjail::netlink::{msg_type, NFNLGRP_NFTABLES};
use std::collections::HashSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn addr(i: u32) -> [u8; 4] {
    (0x0a00_0000 + i).to_be_bytes()
}

fn line(i: u32) -> String {
    let a = addr(i);
    format!(
        "Bad password attempt for 'root' from {}.{}.{}.{}:22\n",
        a[0], a[1], a[2], a[3]
    )
}

/// Waits until every key of `want` was added; returns when the last one was seen.
fn wait_added(sock: &Socket, want: &mut HashSet<[u8; 4]>, limit: Duration) -> Option<Instant> {
    let mut buf = vec![0u8; 1 << 16];
    let end = Instant::now() + limit;
    while !want.is_empty() {
        if Instant::now() > end {
            return None;
        }
        let fd = sock.fd();
        let mut fds = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(100u8));
        while let Ok(n) = sock.recv(&mut buf) {
            for m in Messages::new(&buf[..n]).map_while(Result::ok) {
                if m.kind() == nft_type(msg_type::NEWSETELEM) {
                    for k in element_keys(&m) {
                        if let Ok(k) = <[u8; 4]>::try_from(k) {
                            want.remove(&k);
                        }
                    }
                }
            }
        }
    }
    Some(Instant::now())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bin, dir) = match args.as_slice() {
        [_, bin, dir] => (bin.clone(), std::path::PathBuf::from(dir)),
        _ => {
            eprintln!("usage: ban_latency LOGJAIL_BINARY SCRATCH_DIR");
            std::process::exit(2);
        }
    };
    let conf = dir.join("logjail.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "config logjail 'main'\n\toption source '-'\n\toption state_file '{d}/state'\n\
             \toption control_socket '{d}/sock'\n\toption loglevel 'info'\n\n\
             config jail 'dropbear'\n\toption filter 'dropbear'\n\toption maxretry '1'\n\
             \toption bantime '1h'\n\toption max_bans '16384'\n\toption max_failures '16384'\n"
        ),
    )
    .expect("write config");
    let events = Socket::events(NFNLGRP_NFTABLES).expect("event socket");
    let mut child = Command::new(&bin)
        .args(["run", "--foreground", "--source", "-", "-c"])
        .arg(&conf)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logjail");
    let mut stdin = child.stdin.take().expect("stdin");
    // The daemon's log, each line with the moment it was read.
    let (log_tx, log_rx) = std::sync::mpsc::channel::<(String, Instant)>();
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = log_tx.send((l, Instant::now()));
        }
    });
    std::thread::sleep(Duration::from_millis(500));

    // 1. line -> element, one at a time.
    let mut lat = Vec::with_capacity(1000);
    for i in 0..1000 {
        let t0 = Instant::now();
        stdin.write_all(line(i).as_bytes()).expect("feed");
        stdin.flush().expect("flush");
        let mut want = HashSet::from([addr(i)]);
        let at = wait_added(&events, &mut want, Duration::from_secs(5)).expect("element within 5 s");
        lat.push(at - t0);
    }
    lat.sort();
    println!(
        "line -> set element, 1000 bans: median {:?}, p99 {:?}, max {:?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat[lat.len() - 1]
    );

    // 2. 10 000 bans held by the daemon, re-installed after the table is re-created.
    for i in 1000..10_000 {
        stdin.write_all(line(i).as_bytes()).expect("feed");
    }
    stdin.flush().expect("flush");
    // At this rate the event socket overflows; count with nft instead.
    let count = || {
        let out = Command::new("nft")
            .args(["list", "set", "inet", "fw4", "logjail_v4"])
            .output()
            .expect("nft list");
        String::from_utf8_lossy(&out.stdout).matches("expires").count()
    };
    let start = Instant::now();
    while count() < 10_000 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "10000 bans within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let empty = std::fs::read_to_string(dir.join("fw4.nft")).expect("SCRATCH_DIR/fw4.nft");
    let ok = Command::new("nft")
        .args(["delete", "table", "inet", "fw4"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "nft delete table");
    std::thread::sleep(Duration::from_millis(200));
    while log_rx.try_recv().is_ok() {}
    let mut nft = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft -f");
    let t0 = Instant::now();
    nft.stdin
        .take()
        .expect("nft stdin")
        .write_all(empty.as_bytes())
        .expect("ruleset");
    let _ = nft.wait();
    let done = loop {
        let (l, at) = log_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("re-install logged");
        if l.contains("re-installed") {
            break at;
        }
    };
    assert_eq!(count(), 10_000, "all re-installed");
    println!("10000 bans re-installed after `nft -f` re-created the table: {:?} from load to the daemon's log line", done - t0);
    drop(stdin);
    let _ = child.wait();

    // 3. The backend alone.
    let mut fw = Nft::new(&logjail::firewall::nft::Settings::default()).expect("backend");
    fw.init().expect("init");
    fw.flush().expect("flush");
    let bans = |secs| -> Vec<Ban<'static>> {
        (0..10_000)
            .map(|i| Ban {
                jail: "b",
                host: Host::V4((0x0b00_0000 + i).into()),
                timeout: Some(secs),
            })
            .collect()
    };
    let t0 = Instant::now();
    fw.block_many(&bans(3600)).expect("10k new");
    let fresh = t0.elapsed();
    let t0 = Instant::now();
    fw.block_many(&bans(7200)).expect("10k refresh");
    println!(
        "block_many of 10000 v4 elements: {fresh:?} new, {:?} all refreshed",
        t0.elapsed()
    );
}
