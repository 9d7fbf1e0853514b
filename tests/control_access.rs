//! A user other than root (or the socket's owner) is told that the control socket needs
//! root, not that no daemon is running.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use support::daemon::{config, dropbear, Daemon};
use support::{scratch, BIN};

#[test]
fn a_non_root_client_is_told_the_socket_needs_root() {
    let dir = scratch("ctl-access");
    // The configuration must be readable for the other user to find the socket path.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cfg = config(&dir, "", &dropbear(3, ""));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let d = Daemon::start(&cfg);
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            BIN,
            "status",
            "-c",
        ])
        .arg(&cfg)
        .output()
        .expect("setpriv");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "status as nobody must fail: {err}");
    assert!(
        err.contains("only root (or the socket's owner)") && err.contains("ermission denied"),
        "{err}"
    );
    assert!(!err.contains("no logjail daemon is running"), "{err}");
    // Root is still answered.
    let (code, out, _) = support::daemon::cli(&cfg, &["status"]);
    assert_eq!(code, 0, "{out}");
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}
