//! Real daemons, real clients: Debian's OpenSSH sshd (with PAM), Dovecot (PAM passdb) and
//! dropbear run in network and mount namespaces of their own; sshd, Dovecot and their PAM
//! modules log to syslog, received by busybox's syslogd on a private `/dev/log` and written to
//! a file, as on a router (dropbear logs its stderr to a file). OpenSSH's ssh (through sshpass) and dropbear's dbclient fail
//! logins from other addresses of that namespace in every way they can; the real `logjail
//! test` binary reads the logs, and a real `logjail run` with `maxretry 5` is fed the syslog.
//! Each source address is one scenario, so the per-host counts show that every failed attempt
//! counts once — PAM's `pam_unix` line and the `Failed password` line of one attempt count
//! once together, as do Dovecot's three lines (src/jail/attempt.rs) — and that key trials and
//! successes count nothing.
//!
//! Needs root (for `unshare -mn`, and for sshd's privilege separation: a user namespace refuses
//! its `setgroups`) and the packages openssh-server, openssh-client, sshpass, dropbear-bin,
//! dovecot-imapd, python3 and busybox (installed by `.ci/run`); fails when any is missing.

mod support;

use std::path::Path;
use std::process::Command;

const NEEDS: &str =
    "needs root, openssh-server, openssh-client, sshpass, dropbear-bin, dovecot-imapd, python3 and busybox";

/// sshd's configuration: password, keyboard-interactive through PAM and publickey, logging at
/// the default level to syslog.
const SSHD_CONFIG: &str = "Port 2222
ListenAddress 192.0.2.1
HostKey DIR/hostkey
PidFile none
UsePAM yes
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile DIR/authorized_keys
StrictModes no
LogLevel INFO
MaxAuthTries 6
";

/// Dovecot's: IMAP on 192.0.2.1:1143, passwords checked by PAM (Debian's /etc/pam.d/dovecot,
/// pam_unix), the auth process logging each failure (`auth_verbose`), all to syslog.
const DOVECOT_CONFIG: &str = "protocols = imap
listen = 192.0.2.1
base_dir = DIR/dovecot-run
state_dir = DIR/dovecot-state
log_path = syslog
syslog_facility = mail
auth_verbose = yes
disable_plaintext_auth = no
ssl = no
passdb {
  driver = pam
}
userdb {
  driver = passwd
}
service imap-login {
  inet_listener imap {
    port = 1143
  }
  inet_listener imaps {
    port = 0
  }
}
";

/// An IMAP client: from address argv[1], argv[2] wrong passwords in one connection, then LOGOUT.
const IMAP_CLIENT: &str = r#"import socket, sys
src, n = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("192.0.2.1", 1143), timeout=60, source_address=(src, 0))
f = s.makefile("rb")
f.readline()
for i in range(n):
    s.sendall(b"a%d LOGIN root wrong%d\r\n" % (i, i))
    f.readline()
s.sendall(b"z LOGOUT\r\n")
f.readline()
s.close()
"#;

/// Runs inside the namespaces: a private /dev with busybox syslogd on its /dev/log (the
/// container's /dev is left alone), addresses on lo, both servers, then one scenario per client
/// address.
const SCENARIO: &str = r#"set -u
cd "$DIR"
mount --make-rprivate /
mkdir -p "$DIR/olddev"
mount --rbind /dev "$DIR/olddev"
mount -t tmpfs tmpfs /dev
for n in null zero full random urandom tty console; do
  [ -e "$DIR/olddev/$n" ] || continue
  touch /dev/$n; mount --bind "$DIR/olddev/$n" /dev/$n
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
ln -s /proc/self/fd /dev/fd
busybox syslogd -n -O "$DIR/syslog.log" & SYSLOG=$!
ip link set lo up
for a in 1 2 3 4 5 6 7 8 9 10 11; do ip addr add 192.0.2.$a/32 dev lo; done
mkdir -p /run/sshd
for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
/usr/sbin/sshd -D -f "$DIR/sshd_config" & SSHD=$!
dropbear -F -E -p 192.0.2.1:2223 -r "$DIR/dbkey" -T 3 2> "$DIR/dropbear.log" & DB=$!
dovecot -F -c "$DIR/dovecot.conf" & DOVECOT=$!
for i in $(seq 50); do
  grep -q 'Server listening' "$DIR/syslog.log" 2>/dev/null && grep -q 'starting up for imap' "$DIR/syslog.log" && grep -q 'Not backgrounding' "$DIR/dropbear.log" && break
  sleep 0.1
done
O="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -p 2222"
# .2: a wrong password for a real user, 3 connections, one attempt each
for i in 1 2 3; do sshpass -p wrong ssh $O -b 192.0.2.2 -o PreferredAuthentications=password -o PubkeyAuthentication=no root@192.0.2.1 true; done
# .3: a user that does not exist, 2 connections
for i in 1 2; do sshpass -p wrong ssh $O -b 192.0.2.3 -o PreferredAuthentications=password -o PubkeyAuthentication=no nosuchuser@192.0.2.1 true; done
# .4: keyboard-interactive through PAM, 2 connections
for i in 1 2; do sshpass -p wrong ssh $O -b 192.0.2.4 -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no root@192.0.2.1 true; done
# .5: a key the server does not know (a client trying its keys)
ssh $O -b 192.0.2.5 -o BatchMode=yes -o PreferredAuthentications=publickey -o IdentitiesOnly=yes -i "$DIR/otherkey" root@192.0.2.1 true
# .6: a successful login
ssh $O -b 192.0.2.6 -o BatchMode=yes -o PreferredAuthentications=publickey -o IdentitiesOnly=yes -i "$DIR/clientkey" root@192.0.2.1 true
# .7: dropbear, a wrong password until MaxAuthTries (-T 3)
DROPBEAR_PASSWORD=wrong dbclient -y -y -b 192.0.2.7 -p 2223 root@192.0.2.1 true
# .8: dropbear, a user that does not exist
DROPBEAR_PASSWORD=wrong dbclient -y -y -b 192.0.2.8 -p 2223 nosuchuser@192.0.2.1 true
# .10: dovecot, two wrong passwords in one connection (pam_unix, the auth process, and once
# the login process for the connection); .11: two connections with one each
python3 "$DIR/imap_client.py" 192.0.2.10 2
python3 "$DIR/imap_client.py" 192.0.2.11 1
python3 "$DIR/imap_client.py" 192.0.2.11 1
# .9: five wrong passwords for a real user, one connection each (PAM and sshd: ten lines)
for i in 1 2 3 4 5; do sshpass -p wrong ssh $O -b 192.0.2.9 -o PreferredAuthentications=password -o PubkeyAuthentication=no root@192.0.2.1 true; done
sleep 0.5
kill $SSHD $DB $DOVECOT
sleep 0.3
kill $SYSLOG
wait
exit 0
"#;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `logjail test FILTER LOG --json`, the object it prints.
fn logjail_test(filter: &str, log: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_logjail"))
        .args(["test", filter, &log.display().to_string(), "--json"])
        .output()
        .expect("logjail test");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn openssh_and_dropbear_failures_count_once() {
    let missing: Vec<_> = [
        "sshd",
        "ssh",
        "ssh-keygen",
        "sshpass",
        "dropbear",
        "dropbearkey",
        "dbclient",
        "unshare",
        "ip",
        "busybox",
        "mount",
        "dovecot",
        "python3",
    ]
    .into_iter()
    .filter(|c| !have(c) && !Path::new("/usr/sbin").join(c).exists())
    .collect();
    assert!(missing.is_empty(), "{NEEDS}; missing: {missing:?}");
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "{NEEDS}: run as root (sshd's privilege separation)"
    );
    let dir = std::env::temp_dir().join(format!("logjail-real-daemons-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    for key in ["hostkey", "clientkey", "otherkey"] {
        run(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", &format!("{d}/{key}")],
        );
    }
    run("dropbearkey", &["-t", "ed25519", "-f", &format!("{d}/dbkey")]);
    std::fs::copy(dir.join("clientkey.pub"), dir.join("authorized_keys")).unwrap();
    std::fs::write(dir.join("sshd_config"), SSHD_CONFIG.replace("DIR", &d)).unwrap();
    std::fs::write(dir.join("scenario.sh"), SCENARIO).unwrap();
    std::fs::write(dir.join("dovecot.conf"), DOVECOT_CONFIG.replace("DIR", &d)).unwrap();
    std::fs::write(dir.join("imap_client.py"), IMAP_CLIENT).unwrap();
    let out = Command::new("unshare")
        .args(["-m", "-n", "bash", &format!("{d}/scenario.sh")])
        .env("DIR", &d)
        .output()
        .expect("unshare -n");
    let syslog = dir.join("syslog.log");
    let dropbear_log = dir.join("dropbear.log");
    let logs = format!(
        "scenario: {}\n{}\n--- syslog.log\n{}\n--- dropbear.log\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&syslog).unwrap_or_default(),
        std::fs::read_to_string(&dropbear_log).unwrap_or_default()
    );
    // sshd (fail2ban's counting), every attempt once though PAM's pam_unix line and sshd's own
    // line both name the host: a wrong password (.2: 3 attempts); a user that does not exist,
    // also once per connection for its "Invalid user" line (.3: 2 + 2); keyboard-interactive
    // through PAM, pam_unix and "error: PAM: Authentication failure" (.4: 2; sshd logs "Failed
    // keyboard-interactive/pam" at VERBOSE here); five wrong passwords (.9: 5 attempts, 10
    // lines). A key tried in vain (.5) and a successful login (.6) count nothing.
    let sshd = logjail_test("sshd", &syslog);
    assert!(
        sshd.ends_with(
            r#""matched":26,"ignored":0,"hosts":{"192.0.2.2":3,"192.0.2.3":4,"192.0.2.4":2,"192.0.2.9":5}}"#
        ),
        "{sshd}\n{logs}"
    );
    // Dovecot with PAM and auth_verbose: pam_unix, the auth process's line and the login
    // process's "auth failed" for the connection are one attempt, each attempt counted once
    // (.10: 2 attempts in one connection; .11: 2 connections of one attempt).
    let dovecot = logjail_test("dovecot", &syslog);
    assert!(
        dovecot.ends_with(r#""matched":11,"ignored":0,"hosts":{"192.0.2.10":2,"192.0.2.11":2}}"#),
        "{dovecot}\n{logs}"
    );
    // The daemon counts the same: with maxretry 5 the five attempts of .9 ban it, with
    // maxretry 6 they do not (each counted once, not twice).
    let jails = "config jail 'five'\n\toption filter 'sshd'\n\toption maxretry '5'\n\toption bantime '600'\n\
                 config jail 'six'\n\toption filter 'sshd'\n\toption maxretry '6'\n\toption bantime '600'\n";
    let cfg = support::daemon::config(&dir, "", jails);
    let mut daemon = support::daemon::Daemon::start(&cfg);
    daemon.feed(&std::fs::read_to_string(&syslog).unwrap());
    // .9's lines are the log's last: once "five" banned it, "six" has seen them all.
    assert!(
        daemon.wait_out("ban five 192.0.2.9 600"),
        "{}\n{logs}",
        daemon.err()
    );
    let (_, out, _) = daemon.stop();
    assert!(!out.contains("ban six "), "{out}\n{logs}");
    // dropbear: 3 bad passwords and the "Max auth tries reached" that ends the session (.7:
    // 4); a nonexistent user, whose only line with an address is "Max auth tries reached -
    // user 'is invalid'" on dropbear 2020.79-2024.86 (.8: 1).
    let db = logjail_test("dropbear", &dropbear_log);
    assert!(
        db.contains(r#""hosts":{"192.0.2.7":4,"192.0.2.8":1}"#) && db.contains(r#""matched":5"#),
        "{db}\n{logs}"
    );
    // With every filter at once, each line counts once and nothing else matches (dropbear's
    // log is bare messages: every filter sees them).
    for (log, want) in [(&syslog, 37), (&dropbear_log, 5)] {
        let all = logjail_test("all", log);
        assert!(all.contains(&format!(r#""matched":{want},"#)), "{all}\n{logs}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
