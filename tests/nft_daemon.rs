//! `logjail run` against the real kernel: dropbear failure lines on stdin, bans verified with
//! the real `nft`, each test in a fresh user + network namespace with an fw4-shaped ruleset.

mod support;

use std::time::{Duration, Instant};
use support::netns::enter;
use support::nft::{element, elements, expires, fw4_ruleset, load, nft};
use support::nft_daemon::{failures, Logjail, Watch};
use support::wait_for;

const SEC: Duration = Duration::from_secs(1);

fn feed_all(lj: &mut Logjail, lines: &[String]) {
    for l in lines {
        lj.feed(l);
    }
}

#[test]
fn five_dropbear_failures_ban_with_the_configured_bantime() {
    if !enter("five_dropbear_failures_ban_with_the_configured_bantime") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut lj = Logjail::start("v4", "", "\toption bantime '1h'");
    let mut watch = Watch::new();
    feed_all(&mut lj, &failures("203.0.113.9:4242", 4));
    assert!(
        watch
            .added(&[203, 0, 113, 9], Duration::from_millis(300))
            .is_none(),
        "4 failures are not a ban"
    );
    let t0 = Instant::now();
    lj.feed("Bad password attempt for 'root' from 203.0.113.9:4242");
    let at = watch.added(&[203, 0, 113, 9], 5 * SEC).expect("element added");
    println!("5th failure line -> element in the kernel: {:?}", at - t0);
    let e = element("fw4", "logjail_v4", "203.0.113.9").expect("banned");
    let left = expires(&e).expect("with a timeout");
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
        "{e}"
    );
    lj.stop();
    assert!(
        element("fw4", "logjail_v4", "203.0.113.9").is_some(),
        "the ban outlives the daemon"
    );
}

#[test]
fn ipv6_offender_bans_its_64_and_mapped_goes_to_v4() {
    if !enter("ipv6_offender_bans_its_64_and_mapped_goes_to_v4") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut lj = Logjail::start("v6", "", "\toption bantime '10m'");
    feed_all(&mut lj, &failures("2001:db8:bad::7:54498", 3));
    feed_all(&mut lj, &failures("2001:db8:bad::8:54499", 2));
    feed_all(&mut lj, &failures("::ffff:198.51.100.7:40000", 5));
    let ok = wait_for(5 * SEC, || {
        element("fw4", "logjail_v6", "2001:db8:bad::/64").is_some()
            && element("fw4", "logjail_v4", "198.51.100.7").is_some()
    });
    assert!(
        ok.is_some(),
        "v6: {:?} v4: {:?}\n{}",
        elements("fw4", "logjail_v6"),
        elements("fw4", "logjail_v4"),
        lj.log()
    );
    let e = element("fw4", "logjail_v6", "2001:db8:bad::/64").unwrap();
    assert!(expires(&e).unwrap() > Duration::from_secs(590), "{e}");
    assert_eq!(
        elements("fw4", "logjail_v6").len(),
        1,
        "one /64, not two addresses"
    );
}

#[test]
fn kernel_expires_the_ban_while_the_daemon_is_stopped() {
    if !enter("kernel_expires_the_ban_while_the_daemon_is_stopped") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut lj = Logjail::start("expiry", "", "\toption bantime '3'");
    feed_all(&mut lj, &failures("203.0.113.9:4242", 5));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_some()).is_some(),
        "{}",
        lj.log()
    );
    lj.stop();
    let gone = wait_for(6 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_none());
    println!(
        "ban of 3 s ended in the kernel {:?} after the daemon stopped",
        gone.expect("expired")
    );
}

#[test]
fn ban_is_back_within_a_second_after_fw4_table_is_recreated() {
    if !enter("ban_is_back_within_a_second_after_fw4_table_is_recreated") {
        return;
    }
    let ruleset = fw4_ruleset("wan0", true);
    load(&ruleset);
    let mut lj = Logjail::start("resync", "", "\toption bantime '1h'");
    feed_all(&mut lj, &failures("203.0.113.9:4242", 5));
    feed_all(&mut lj, &failures("2001:db8:bad::7:54498", 5));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v6", "2001:db8:bad::/64")
            .is_some())
        .is_some()
    );

    nft(&["delete", "table", "inet", "fw4"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        support::nft::nft_try(&["list", "table", "inet", "fw4"]).is_err(),
        "logjail leaves a deleted table alone"
    );
    let t0 = Instant::now();
    load(&ruleset);
    let back = wait_for(SEC, || {
        element("fw4", "logjail_v4", "203.0.113.9").is_some()
            && element("fw4", "logjail_v6", "2001:db8:bad::/64").is_some()
    });
    let back = back.unwrap_or_else(|| panic!("bans not back within 1 s\n{}", lj.log()));
    println!(
        "bans re-installed {:?} after the ruleset was re-loaded",
        t0.elapsed()
    );
    let left = expires(&element("fw4", "logjail_v4", "203.0.113.9").unwrap()).unwrap();
    assert!(
        left > Duration::from_secs(3500) && left < Duration::from_secs(3600),
        "remaining time, not a new hour"
    );
    assert!(
        wait_for(SEC, || lj.has_logged("re-install")).is_some(),
        "the resync is logged:\n{}",
        lj.log()
    );
    let _ = back;
}

#[test]
fn ignored_and_own_addresses_never_reach_the_kernel() {
    if !enter("ignored_and_own_addresses_never_reach_the_kernel") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    // Gives this namespace wan0 with 203.0.113.1; kept alive, or the veth pair goes away.
    let _peer = support::peer::Peer::new();
    let main = "\tlist ignoreip '198.51.100.0/24'\n\tlist ignoreip '2001:db8:beef::/48'";
    let mut lj = Logjail::start("ignore", main, "\toption bantime '1h'\n\toption ignoreself '1'");
    feed_all(&mut lj, &failures("198.51.100.23:4242", 10));
    feed_all(&mut lj, &failures("2001:db8:beef:1::9:4242", 10));
    feed_all(&mut lj, &failures("203.0.113.1:4242", 10)); // the router's own address
    feed_all(&mut lj, &failures("127.0.0.1:4242", 10));
    // A marker ban after them: once it is in, the lines before it have been handled.
    feed_all(&mut lj, &failures("192.0.2.99:4242", 5));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v4", "192.0.2.99").is_some()).is_some(),
        "{}",
        lj.log()
    );
    assert_eq!(
        elements("fw4", "logjail_v4").len(),
        1,
        "{:?}",
        elements("fw4", "logjail_v4")
    );
    assert!(elements("fw4", "logjail_v6").is_empty());
}

#[test]
fn ten_thousand_bans_are_reinstalled_in_one_go() {
    if !enter("ten_thousand_bans_are_reinstalled_in_one_go") {
        return;
    }
    let ruleset = fw4_ruleset("wan0", true);
    load(&ruleset);
    let jail = "\toption bantime '1h'\n\toption maxretry '1'\n\toption max_bans '16384'\n\toption max_failures '16384'";
    let mut lj = Logjail::start("10k", "", jail);
    let lines: Vec<String> = (0..10_000u32)
        .map(|i| {
            format!(
                "Bad password attempt for 'root' from 10.{}.{}.{}:22",
                i >> 16,
                (i >> 8) & 255,
                i & 255
            )
        })
        .collect();
    let t0 = Instant::now();
    feed_all(&mut lj, &lines);
    let all = wait_for(60 * SEC, || elements("fw4", "logjail_v4").len() == 10_000);
    assert!(
        all.is_some(),
        "{} of 10000 banned\n{}",
        elements("fw4", "logjail_v4").len(),
        lj.log()
    );
    println!("10000 bans one by one from 10000 lines: {:?}", t0.elapsed());

    nft(&["delete", "table", "inet", "fw4"]);
    let t0 = Instant::now();
    load(&ruleset);
    let back = wait_for(10 * SEC, || elements("fw4", "logjail_v4").len() == 10_000);
    assert!(
        back.is_some(),
        "{} of 10000 re-installed\n{}",
        elements("fw4", "logjail_v4").len(),
        lj.log()
    );
    println!(
        "10000 bans re-installed in one block_many: {:?} from ruleset load to the last element",
        t0.elapsed()
    );
}

#[test]
fn reload_with_renamed_sets_moves_the_bans() {
    if !enter("reload_with_renamed_sets_moves_the_bans") {
        return;
    }
    load(&fw4_ruleset("wan0", true));
    let mut lj = Logjail::start("rename", "", "\toption bantime '1h'");
    feed_all(&mut lj, &failures("203.0.113.9:4242", 5));
    assert!(
        wait_for(5 * SEC, || element("fw4", "logjail_v4", "203.0.113.9").is_some()).is_some(),
        "{}",
        lj.log()
    );
    support::nft_daemon::config(
        &lj.dir,
        "\toption set_v4 'jail4'\n\toption set_v6 'jail6'",
        "\toption bantime '1h'",
    );
    let out = std::process::Command::new(support::BIN)
        .args(["reload", "--socket"])
        .arg(lj.dir.join("sock"))
        .output()
        .expect("logjail reload");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let moved = wait_for(5 * SEC, || {
        element("fw4", "jail4", "203.0.113.9").is_some()
            && element("fw4", "logjail_v4", "203.0.113.9").is_none()
    });
    assert!(
        moved.is_some(),
        "jail4: {:?}\n{}",
        elements("fw4", "jail4"),
        lj.log()
    );
    let e = element("fw4", "jail4", "203.0.113.9").expect("moved");
    assert!(expires(&e).expect("timeout") > Duration::from_secs(3500), "{e}");
    // New bans go to the new set.
    feed_all(&mut lj, &failures("198.51.100.7:4000", 5));
    assert!(
        wait_for(5 * SEC, || element("fw4", "jail4", "198.51.100.7").is_some()).is_some(),
        "{}",
        lj.log()
    );
}
