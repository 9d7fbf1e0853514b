//! The OpenWrt userland harness (`shared/openwrt` beside the checkout) as `tests/openwrt/`
//! builds it into this build's target directory: its host tools, built once per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The target directory of this build (the test binary's `…/target/debug/logjail` is two
/// levels below it); `tests/openwrt/prepare.sh` builds the userland in its `owrt/`.
pub fn target_dir() -> PathBuf {
    Path::new(super::BIN)
        .ancestors()
        .nth(2)
        .expect("target dir")
        .to_path_buf()
}

/// The harness's host apk-tools 3 (`owrt/build/apk-tools/src/apk`, for `apk mkpkg`), built by
/// `tests/openwrt/prepare.sh --userland` (as root) once per test binary. Panics, saying why,
/// when it cannot be had.
pub fn apk_tools() -> &'static Path {
    static APK: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = APK.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(repo.join("tests/openwrt/prepare.sh"))
            .arg("--userland")
            .env("OWRT_TARGET", target_dir())
            .output()
            .map_err(|e| format!("bash tests/openwrt/prepare.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tests/openwrt/prepare.sh --userland failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let apk = target_dir().join("owrt/build/apk-tools/src/apk");
        if apk.is_file() {
            Ok(apk)
        } else {
            Err(format!("the harness built no {}", apk.display()))
        }
    });
    match r {
        Ok(p) => p,
        Err(e) => panic!("no apk-tools 3: {e}"),
    }
}
