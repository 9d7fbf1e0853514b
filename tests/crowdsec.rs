//! logjail as a CrowdSec bouncer and reporter against the real Local API (Debian's `crowdsec`
//! package, `crowdsec -no-cs`), in a fresh user + network namespace per test with the real
//! kernel's nf_tables: decisions added with `cscli` land in the kernel sets with their
//! timeouts and leave when deleted, a local ban on one router reaches another (in its own
//! namespace, across a veth), LAPI going
//! away and coming back, 30,000 decisions, and a broken LAPI that never stops the bans from
//! the router's own log.
mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use support::daemon::cli;
use support::lapi::Lapi;
use support::netns::enter;
use support::nft::{element, elements, expires, fw4_ruleset, load};
use support::nft_daemon::{failures, Logjail};
use support::peer::{Peer, ROUTER_V4};
use support::wait_for;

const SEC: Duration = Duration::from_secs(1);
/// One poll interval (1 s) plus the time LAPI and the kernel take.
const ONE_POLL: Duration = Duration::from_millis(2500);

fn banned(set: &str, key: &str) -> bool {
    element("fw4", set, key).is_some()
}

#[test]
fn cscli_decisions_reach_the_kernel_sets_and_leave_when_deleted() {
    if !enter("cscli_decisions_reach_the_kernel_sets_and_leave_when_deleted") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let lapi = Lapi::start("sets");
    let key = lapi.bouncer("router");
    let lj = Logjail::start("sets", "", &Lapi::section(&key, ""));
    assert!(
        wait_for(5 * SEC, || lj.has_logged("crowdsec: 0 decisions (startup)")).is_some(),
        "{}",
        lj.log()
    );
    lapi.cscli(&["decisions", "add", "--ip", "192.0.2.7", "--duration", "2m"]);
    lapi.cscli(&[
        "decisions",
        "add",
        "--range",
        "203.0.113.8/30",
        "--duration",
        "2m",
    ]);
    lapi.cscli(&[
        "decisions",
        "add",
        "--range",
        "2001:db8:5::/48",
        "--duration",
        "3m",
    ]);
    let all_in = wait_for(ONE_POLL, || {
        banned("logjail_v4", "192.0.2.7")
            && banned("logjail_v4", "203.0.113.11")
            && banned("logjail_v6", "2001:db8:5::/48")
    });
    assert!(
        all_in.is_some(),
        "v4 {:?} v6 {:?}\n{}",
        elements("fw4", "logjail_v4"),
        elements("fw4", "logjail_v6"),
        lj.log()
    );
    let e = element("fw4", "logjail_v4", "192.0.2.7").expect("ip");
    let left = expires(&e).expect("timeout");
    assert!(
        left > Duration::from_secs(110) && left <= Duration::from_secs(120),
        "{e}"
    );
    let e = element("fw4", "logjail_v6", "2001:db8:5::/48").expect("v6 range");
    assert!(expires(&e).expect("timeout") > Duration::from_secs(170), "{e}");
    // A v4 /30 is its four addresses.
    for a in ["203.0.113.8", "203.0.113.9", "203.0.113.10", "203.0.113.11"] {
        assert!(banned("logjail_v4", a), "{a}");
    }
    // `logjail list` shows them under `crowdsec`.
    let cfg = lj.dir.join("logjail.conf");
    let (rc, out, err) = cli(&cfg, &["list"]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("crowdsec") && out.contains("192.0.2.7"), "{out}");
    lapi.cscli(&["decisions", "delete", "--ip", "192.0.2.7"]);
    lapi.cscli(&["decisions", "delete", "--range", "2001:db8:5::/48"]);
    let gone = wait_for(ONE_POLL, || {
        !banned("logjail_v4", "192.0.2.7") && !banned("logjail_v6", "2001:db8:5::/48")
    });
    assert!(
        gone.is_some(),
        "{:?}\n{}",
        elements("fw4", "logjail_v4"),
        lj.log()
    );
    assert!(banned("logjail_v4", "203.0.113.9"), "the other decision stays");
    // A local unban of a LAPI decision is local: the element goes, LAPI keeps it.
    let (rc, _, err) = cli(&cfg, &["unban", "203.0.113.9"]);
    assert_eq!(rc, 0, "{err}");
    assert!(!banned("logjail_v4", "203.0.113.9"));
    assert!(lapi
        .cscli(&["decisions", "list", "-o", "json"])
        .contains("203.0.113.8/30"));
    // fw4 restarted (the table re-created, empty): LAPI's bans come back, the locally unbanned
    // one not.
    load(&fw4_ruleset("wan0", true));
    let back = wait_for(3 * SEC, || {
        banned("logjail_v4", "203.0.113.8") && banned("logjail_v4", "203.0.113.11")
    });
    assert!(
        back.is_some(),
        "{:?}\n{}",
        elements("fw4", "logjail_v4"),
        lj.log()
    );
    assert!(!banned("logjail_v4", "203.0.113.9"));
    assert!(!lj.log().contains(&key), "the API key must never be logged");
    assert!(lj.has_logged("its mode is 0644: chmod 600"), "{}", lj.log());
}

#[test]
fn https_and_a_readable_key_file_are_refused_or_warned_about() {
    let dir = support::scratch("cs-check");
    let cfg = dir.join("logjail.conf");
    let text = |url: &str| {
        format!("config jail 'dropbear'\n\nconfig crowdsec\n\toption lapi_url '{url}'\n\toption api_key 's3cr3t-key'\n")
    };
    std::fs::write(&cfg, text("https://192.0.2.10:8080")).expect("write");
    let (rc, out, err) = cli(&cfg, &["check"]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(
        err.contains("is https://: logjail speaks plain HTTP only"),
        "{err}"
    );
    std::fs::write(&cfg, text("http://192.0.2.10:8080")).expect("write");
    let (rc, out, err) = cli(&cfg, &["check"]);
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("chmod 600"), "{err}");
    assert!(out.contains("api_key                (set)"), "{out}");
    assert!(!out.contains("s3cr3t") && !err.contains("s3cr3t"), "{out}{err}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (_, _, err) = cli(&cfg, &["check"]);
    assert!(!err.contains("chmod 600"), "{err}");
}

/// Router B: `logjail run` inside the peer namespace (its own kernel tables, standalone
/// mode), reaching LAPI on router A's side of the veth; its log in `log`.
fn router_b(peer: &Peer, key: &str) -> (std::process::Child, std::path::PathBuf) {
    let dir = support::scratch("fleet-b");
    let url = format!("http://{ROUTER_V4}:8080");
    let conf =
        support::nft_daemon::config(&dir, "\toption standalone '1'", &Lapi::section_for(&url, key, ""));
    let log = std::fs::File::create(dir.join("log")).expect("log");
    let child = peer
        .command(
            support::BIN,
            &[
                "run",
                "--foreground",
                "--source",
                "-",
                "-c",
                conf.to_str().expect("path"),
            ],
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start router B");
    (child, dir.join("log"))
}

#[test]
fn a_local_ban_on_router_a_reaches_router_b() {
    if !enter("a_local_ban_on_router_a_reaches_router_b") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let peer = Peer::new();
    let lapi = Lapi::start_on("fleet", "0.0.0.0");
    let (key_a, key_b) = (lapi.bouncer("router-a"), lapi.bouncer("router-b"));
    lapi.machine("router-a", "pw-of-router-a");
    let report = "\toption machine_id 'router-a'\n\toption password 'pw-of-router-a'";
    let mut a = Logjail::start("fleet-a", "", &Lapi::section(&key_a, report));
    let (mut b, b_log) = router_b(&peer, &key_b);
    let b_set = || {
        let out = peer.run("nft", &["list", "set", "inet", "logjail", "logjail_v4"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let log_b = || std::fs::read_to_string(&b_log).unwrap_or_default();
    let synced = wait_for(10 * SEC, || log_b().contains("crowdsec: 0 decisions (startup)"));
    assert!(synced.is_some(), "router B:\n{}", log_b());
    for l in failures("198.51.100.77:4242", 5) {
        a.feed(&l);
    }
    assert!(
        wait_for(2 * SEC, || banned("logjail_v4", "198.51.100.77")).is_some(),
        "{}",
        a.log()
    );
    // Two polls of B, plus A's post.
    let reached = wait_for(2 * ONE_POLL + SEC, || b_set().contains("198.51.100.77 timeout"));
    let _ = b.kill();
    let _ = b.wait();
    assert!(
        reached.is_some(),
        "B: {}\nA:\n{}\nB:\n{}",
        b_set(),
        a.log(),
        log_b()
    );
    println!("local ban on A -> element in B's kernel set: {:?}", reached);
    let set = b_set();
    let line = set
        .lines()
        .find(|l| l.contains("198.51.100.77"))
        .unwrap_or_default();
    let e = line.trim().trim_start_matches("elements = {").trim();
    assert!(expires(e).expect("timeout") > Duration::from_secs(3500), "{set}");
    let alerts = lapi.cscli(&["alerts", "list", "-o", "json"]);
    assert!(
        alerts.contains("logjail/dropbear") && alerts.contains("198.51.100.77"),
        "{alerts}"
    );
    // A does not report LAPI's decision back: exactly one alert.
    std::thread::sleep(2 * SEC);
    let alerts = lapi.cscli(&["alerts", "list", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&alerts).expect("cscli JSON");
    let ours = v
        .as_array()
        .expect("array")
        .iter()
        .filter(|a| a["scenario"] == "logjail/dropbear")
        .count();
    assert_eq!(ours, 1, "one alert, LAPI's decision not reported back: {alerts}");
}

#[test]
fn lapi_stopped_and_started_again() {
    if !enter("lapi_stopped_and_started_again") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut lapi = Lapi::start("restart");
    let key = lapi.bouncer("router");
    // A wrong key first: LAPI's 403, said in words.
    let wrong = Logjail::start("wrong-key", "", &Lapi::section("not-the-key", ""));
    let said = wait_for(3 * SEC, || {
        wrong.has_logged("LAPI refused the api_key (HTTP 403)")
    });
    assert!(said.is_some(), "{}", wrong.log());
    wrong.stop();
    let mut lj = Logjail::start("restart", "", &Lapi::section(&key, ""));
    lapi.cscli(&["decisions", "add", "--ip", "192.0.2.20", "--duration", "5m"]);
    assert!(
        wait_for(ONE_POLL, || banned("logjail_v4", "192.0.2.20")).is_some(),
        "{}",
        lj.log()
    );
    lapi.stop();
    assert!(wait_for(3 * SEC, || lj
        .has_logged("crowdsec: LAPI at http://127.0.0.1:8080"))
    .is_some());
    std::thread::sleep(4 * SEC);
    let warned = lj.log().matches("installed bans stay").count();
    assert_eq!(warned, 1, "logged once per state change:\n{}", lj.log());
    assert!(
        banned("logjail_v4", "192.0.2.20"),
        "LAPI down: what is installed stays"
    );
    for l in failures("203.0.113.50:22", 5) {
        lj.feed(&l);
    }
    assert!(
        wait_for(2 * SEC, || banned("logjail_v4", "203.0.113.50")).is_some(),
        "own bans go on"
    );
    lapi.run();
    lapi.cscli(&["decisions", "add", "--ip", "192.0.2.21", "--duration", "5m"]);
    // Back-off is at most a few poll intervals here.
    let back = wait_for(10 * SEC, || banned("logjail_v4", "192.0.2.21"));
    assert!(back.is_some(), "{}", lj.log());
    assert!(lj.has_logged("answers again"), "{}", lj.log());
    assert!(
        lj.has_logged("(startup)"),
        "re-synced with startup=true:\n{}",
        lj.log()
    );
}

#[test]
fn thirty_thousand_decisions_from_cscli_import() {
    if !enter("thirty_thousand_decisions_from_cscli_import") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let lapi = Lapi::start("import");
    let key = lapi.bouncer("router");
    let mut csv = String::from("value\n");
    for i in 0..30_000u32 {
        csv.push_str(&format!(
            "10.{}.{}.{}\n",
            1 + i / 65025,
            (i / 255) % 255,
            i % 255 + 1
        ));
    }
    let file = lapi.dir.join("decisions.csv");
    std::fs::write(&file, csv).expect("write");
    lapi.cscli(&[
        "decisions",
        "import",
        "-i",
        file.to_str().expect("path"),
        "--duration",
        "10m",
    ]);
    let mut lj = Logjail::start("import", "", &Lapi::section(&key, ""));
    let all = wait_for(30 * SEC, || lj.has_logged("30000 held"));
    assert!(all.is_some(), "{}", lj.log());
    // The log line comes first; the kernel batches follow.
    let mut n = 0;
    let applied = wait_for(10 * SEC, || {
        n = elements("fw4", "logjail_v4").len();
        n == 30_000
    });
    assert!(applied.is_some(), "{n} elements in the set\n{}", lj.log());
    for l in failures("203.0.113.60:22", 5) {
        lj.feed(&l);
    }
    assert!(
        wait_for(2 * SEC, || banned("logjail_v4", "203.0.113.60")).is_some(),
        "own bans go on"
    );
}

/// A fake LAPI: each connection gets the next of `answers` (then the last again); the body
/// of `Slow` trickles a byte every 200 ms for 16 s, longer than an exchange may take.
enum Answer {
    Bytes(Vec<u8>),
    Slow,
}

fn fake_lapi(answers: Vec<Answer>) -> std::thread::JoinHandle<()> {
    let listener = TcpListener::bind("127.0.0.1:8080").expect("bind fake LAPI");
    std::thread::spawn(move || {
        for (i, conn) in listener.incoming().enumerate() {
            let Ok(mut s) = conn else { continue };
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req);
            match &answers[i.min(answers.len() - 1)] {
                Answer::Bytes(b) => {
                    let _ = s.write_all(b);
                }
                Answer::Slow => {
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{\"new\":[");
                    for _ in 0..80 {
                        if s.write_all(b" ").is_err() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
            }
        }
    })
}

#[test]
fn a_broken_lapi_never_stops_the_bans_from_the_log() {
    if !enter("a_broken_lapi_never_stops_the_bans_from_the_log") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let _ = std::process::Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    let decision =
        r#"{"duration":"1h","origin":"cscli","scenario":"x","scope":"Ip","type":"ban","value":"192.0.2.99"}"#;
    let good_then_garbage = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{{\"new\":[{decision},\r\n5\r\n<html\r\n0\r\n\r\n",
        decision.len() + 9
    );
    // 10 MB of decisions in one chunk: no length to refuse up front, the limit is met while
    // the body streams.
    let mut huge = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{{\"new\":[",
        10 << 20
    )
    .into_bytes();
    while huge.len() < (10 << 20) {
        huge.extend_from_slice(decision.as_bytes());
        huge.push(b',');
    }
    let answers = vec![
        Answer::Bytes(b"SSH-2.0-dropbear\r\n".to_vec()),
        Answer::Bytes(good_then_garbage.into_bytes()),
        Answer::Slow,
        Answer::Bytes(huge),
    ];
    let _server = fake_lapi(answers);
    let extra = "\toption max_decisions '1000'";
    let mut lj = Logjail::start("broken", "\toption loglevel 'debug'", &Lapi::section("k", extra));
    // Each broken answer in turn (the retries back off: 2, 4, 8 s…); a ban from the log
    // between each.
    let whys = [
        "not an HTTP/1.x status line",
        "invalid JSON at byte",
        "no complete answer in time",
        "HTTP response too large: the body is over the limit",
    ];
    for (i, why) in whys.into_iter().enumerate() {
        let seen = wait_for(40 * SEC, || lj.has_logged(why));
        assert!(seen.is_some(), "no '{why}' in the log:\n{}", lj.log());
        let addr = format!("203.0.113.{}", 70 + i);
        for l in failures(&format!("{addr}:22"), 5) {
            lj.feed(&l);
        }
        let t = wait_for(2 * SEC, || banned("logjail_v4", &addr));
        assert!(t.is_some(), "ban {addr} while LAPI is broken:\n{}", lj.log());
    }
    assert!(
        !banned("logjail_v4", "192.0.2.99"),
        "nothing of a broken answer is applied"
    );
}
