//! End to end with real peers: an attacker namespace behind a veth pair, the daemon banning
//! it, traffic dropped during the ban; and Debian's dropbear piping its log into
//! `logjail run --source -` while dbclient guesses passwords.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::netns::enter;
use support::nft::{element, fw4_ruleset, load};
use support::nft_daemon::{failures, Logjail, Watch};
use support::peer::{self, Peer, ATTACKER_V4, ROUTER_V4, WAN};
use support::wait_for;

const SSH_PORT: u16 = 2222;

/// Not a test: the traffic tests run it inside the attacker namespace (see `peer::probe_main`).
#[test]
#[ignore = "helper run by the traffic tests inside the attacker namespace"]
fn probe() {
    peer::probe_main();
}

fn reach_both(p: &Peer, port: u16) -> (bool, bool) {
    std::thread::scope(|s| {
        let tcp = s.spawn(|| p.reaches(&format!("tcp {ROUTER_V4}:{port}")));
        let ping = s.spawn(|| p.reaches(&format!("ping {ROUTER_V4}")));
        (tcp.join().unwrap_or(false), ping.join().unwrap_or(false))
    })
}

#[test]
fn daemon_ban_drops_tcp_and_ping_until_expiry() {
    if !enter("daemon_ban_drops_tcp_and_ping_until_expiry") {
        return;
    }
    load(&fw4_ruleset(WAN, true));
    let p = Peer::new();
    let l = TcpListener::bind(("0.0.0.0", SSH_PORT)).expect("listen");
    std::thread::spawn(move || l.incoming().for_each(drop));
    let mut lj = Logjail::start("traffic", "", "\toption bantime '4'");
    assert!(
        wait_for(Duration::from_secs(5), || reach_both(&p, SSH_PORT)
            == (true, true))
        .is_some(),
        "before the ban"
    );
    for l in failures(&format!("{ATTACKER_V4}:4242"), 5) {
        lj.feed(&l);
    }
    assert!(wait_for(Duration::from_secs(5), || element(
        "fw4",
        "logjail_v4",
        ATTACKER_V4
    )
    .is_some())
    .is_some());
    assert_eq!(
        reach_both(&p, SSH_PORT),
        (false, false),
        "during the ban TCP and ping fail"
    );
    let back = wait_for(Duration::from_secs(8), || {
        reach_both(&p, SSH_PORT) == (true, true)
    });
    println!(
        "after a 4 s ban, TCP and ping work again {:?} after the failed probes",
        back.expect("after expiry")
    );
}

/// Runs dropbear in the foreground, logging to stderr; each line goes to `sink` with the time
/// it was read.
fn dropbear(dir: &std::path::Path, sink: impl FnMut(&str, Instant) + Send + 'static) -> std::process::Child {
    let key = dir.join("hostkey");
    let ok = Command::new("dropbearkey")
        .args(["-t", "ed25519", "-f"])
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "dropbearkey");
    let mut child = Command::new("dropbear")
        .args(["-F", "-E", "-p", &SSH_PORT.to_string(), "-r"])
        .arg(&key)
        .arg("-P")
        .arg(dir.join("dropbear.pid"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dropbear");
    let err = child.stderr.take().expect("dropbear stderr");
    let mut sink = sink;
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            sink(&line, Instant::now());
        }
    });
    child
}

#[test]
fn dropbear_and_dbclient_end_to_end() {
    if !enter("dropbear_and_dbclient_end_to_end") {
        return;
    }
    let have = |c: &str| {
        Command::new(c)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    assert!(
        have("dropbear") && have("dbclient"),
        "dropbear/dbclient are missing (install the dropbear-bin package; .ci/run does)"
    );
    load(&fw4_ruleset(WAN, true));
    let p = Peer::new();
    let mut lj = Logjail::start("dropbear", "", "\toption bantime '1h'");
    let dir = lj.dir.clone();
    // dropbear's stderr is piped into logjail's stdin, with the time of each failure noted.
    let mut to_logjail = lj.take_stdin();
    let failed_at = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let noted = Arc::clone(&failed_at);
    let mut db = dropbear(&dir, move |line, at| {
        if line.contains("Bad password attempt") {
            noted.lock().expect("times").push(at);
        }
        let _ = writeln!(to_logjail, "{line}");
        let _ = to_logjail.flush();
    });
    assert!(
        wait_for(Duration::from_secs(5), || p
            .reaches(&format!("tcp {ROUTER_V4}:{SSH_PORT}")))
        .is_some(),
        "dropbear listens"
    );

    let mut watch = Watch::new();
    let target = format!("root@{ROUTER_V4}");
    let client = p
        .command(
            "timeout",
            &[
                "20",
                "dbclient",
                "-y",
                "-y",
                "-p",
                &SSH_PORT.to_string(),
                &target,
                "true",
            ],
        )
        .env("DROPBEAR_PASSWORD", "wrong-password")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbclient");
    let banned_at = watch.added(&[203, 0, 113, 9], Duration::from_secs(20));
    let banned_at = banned_at.unwrap_or_else(|| panic!("no ban after dbclient's failures\n{}", lj.log()));
    let times = failed_at.lock().expect("times").clone();
    assert!(
        times.len() >= 5,
        "maxretry 5: {} failures seen before the ban",
        times.len()
    );
    let fifth = times[4];
    println!(
        "5th `Bad password attempt` line from dropbear -> element in the set: {:?}",
        banned_at - fifth
    );
    assert!(element("fw4", "logjail_v4", ATTACKER_V4).is_some());

    // The next connection does not get through.
    let t0 = Instant::now();
    let again = p
        .command(
            "timeout",
            &[
                "3",
                "dbclient",
                "-y",
                "-y",
                "-p",
                &SSH_PORT.to_string(),
                &target,
                "true",
            ],
        )
        .env("DROPBEAR_PASSWORD", "wrong-password")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("dbclient again");
    assert!(!again.success(), "a banned client cannot log in");
    assert!(
        t0.elapsed() >= Duration::from_secs(2),
        "it hangs until the timeout: SYNs are dropped"
    );
    assert!(
        !p.reaches(&format!("tcp {ROUTER_V4}:{SSH_PORT}")),
        "TCP connect times out"
    );
    let mut client = client;
    let _ = client.kill();
    let _ = client.wait();
    let _ = db.kill();
    let _ = db.wait();
}
