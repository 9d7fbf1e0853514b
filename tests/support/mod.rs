//! The one test support module: scratch directories, the built binary, waiting, and the
//! harnesses that spawn the real daemon or enter a network namespace. Every test file that
//! needs any of it says `mod support;`.
//!
//! | need | where |
//! |---|---|
//! | a fresh directory for a test | [`scratch`] |
//! | the `logjail` binary under test | [`BIN`] |
//! | the `shared/` folder beside the checkout (corpus, log generator) | [`shared_dir`] |
//! | poll until something holds | [`wait_for`] |
//! | a `logjail run` fed on stdin, its decisions, the CLI against its socket | [`daemon`] |
//! | run a test in its own user + network namespace | [`netns::enter`] |
//! | `nft` to set up and verify, an fw4-shaped ruleset, set elements | [`nft`] |
//! | a kernel-backed `logjail run` in the namespace, nf_tables event watch | [`nft_daemon`] |
//! | a real CrowdSec LAPI (`crowdsec -no-cs`) and `cscli` | [`lapi`] |
//! | an attacker namespace joined by a veth pair, probes from it | [`peer`] |
//! | one source driven by the daemon's poll loop, captured logs, process groups | [`source_loop`] |
//! | the OpenWrt userland harness's host tools (apk-tools 3) | [`owrt`] |
#![allow(dead_code)]

pub mod daemon;
pub mod lapi;
pub mod netns;
pub mod nft;
pub mod nft_daemon;
pub mod owrt;
pub mod peer;
pub mod source_loop;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The `logjail` binary Cargo built for the tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_logjail");

/// A fresh, empty directory `logjail-NAME-PID` under the system temp dir (unique per test
/// binary run and name; inside a namespace run the pid is the inner run's). Short, so Unix
/// socket paths in it fit.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("logjail-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("scratch dir {}: {e}", dir.display()));
    dir
}

/// The `shared/` folder beside the checkout (`CARGO_MANIFEST_DIR/../shared`): CI clones the
/// repository into a folder with a copy of `shared/` next to it. Fails, naming the path, when
/// `rel` is not in it: a test that passes without its input cannot fail.
pub fn shared_dir(rel: &str) -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let path = shared.join(rel);
    assert!(
        path.exists(),
        "{} is missing: put a copy of the shared/ folder (with {rel}) beside the checkout, at {}",
        path.display(),
        shared.display()
    );
    path
}

/// Polls `check` every 10 ms until it holds or `limit` passes; returns how long it took.
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if check() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
