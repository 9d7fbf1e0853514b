#!/bin/sh
# CI for the router builds, called by .ci/run:
#   1. installs the cross toolchain (cross/install-deps.sh; quick when present),
#   2. runs the library's unit tests for mips-unknown-linux-musl under qemu-mips, a
#      big-endian CPU (wire formats, filters, jails, state),
#   3. builds the release binaries of the four router targets (mips, mipsel, armv7, aarch64),
#   4. runs `logjail --version` and `logjail test dropbear` on a sample under qemu, each,
#   5. packs both into .ipk (opkg, OpenWrt 24.10) and .apk (apk-tools 3, OpenWrt 25.12) files
#      for mips_24kc and aarch64_cortex-a53 in target/cross/packages/ARCH/; `apk mkpkg` is the
#      OpenWrt userland harness's host apk-tools (built by the host tests, else here),
#   6. asserts the size budgets (cross/sizes.sh): mips and mipsel <= 600 KiB, armv7 and
#      aarch64 <= 450 KiB, static, every feature in; CI fails when a binary is over or missing.
#      SIZE_BUDGET=report only prints them.
# Cargo's target directory is target/cross, apart from the host build's.
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started))s"; }

"$LOGJAIL_ROOT/cross/install-deps.sh"

step "unit tests on big-endian MIPS (qemu-mips) [$(elapsed)]"
# config::selfaddr is skipped: it asks the kernel for the machine's addresses (getifaddrs,
# a netlink route dump), which qemu-user does not translate for a big-endian guest; the
# test spins forever there. It runs natively in the host test suite. The timeout bounds
# build and run, so a hang elsewhere fails CI instead of eating its time.
# The two engine-agreement tests of filter::backtrack (every built-in rule against regex-lite
# on every fixture and on 3,000 mutated messages) are skipped too: they check logic that
# does not depend on byte order, run natively in the host suite, and take most of an hour in
# an emulated debug build.
(cd "$LOGJAIL_ROOT" && timeout -k 30 2400 cargo-zigbuild test --config "$LOGJAIL_CARGO_CONFIG" \
	--lib --target mips-unknown-linux-musl -Zbuild-std -- --skip config::selfaddr \
	--skip filter::backtrack::tests::agrees_with_regex_lite)

targets="mips-unknown-linux-musl mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf aarch64-unknown-linux-musl"
for t in $targets; do
	step "release build $t [$(elapsed)]"
	build_release "$t"
done

for t in $targets; do
	step "smoke test $t under $(qemu_for "$t") [$(elapsed)]"
	smoke "$t"
done

step "ipk and apk packages [$(elapsed)]"
apk=$LOGJAIL_ROOT/target/owrt/build/apk-tools/src/apk
[ -x "$apk" ] || bash "$LOGJAIL_ROOT/tests/openwrt/prepare.sh" --userland
for pair in mips-unknown-linux-musl:mips_24kc aarch64-unknown-linux-musl:aarch64_cortex-a53; do
	arch=${pair#*:}
	pkgs=$(APK=$apk sh "$LOGJAIL_ROOT/openwrt/build-ipk.sh" "$(release_bin "${pair%%:*}")" "$arch" \
		"$LOGJAIL_CROSS_TARGET_DIR/packages/$arch")
	ipk=$(echo "$pkgs" | sed -n 1p)
	apkfile=$(echo "$pkgs" | sed -n 2p)
	members=$(tar -tzf "$ipk" | tr '\n' ' ')
	[ "$members" = "./debian-binary ./data.tar.gz ./control.tar.gz " ] ||
		{ echo "ci: $ipk has members $members" >&2 && exit 1; }
	"$apk" adbdump "$apkfile" | grep -qx "  arch: $arch" ||
		{ echo "ci: $apkfile is not for $arch" >&2 && exit 1; }
	for p in "$ipk" "$apkfile"; do
		echo "$p ($(wc -c <"$p" | tr -d ' ') bytes)"
	done
done

step "sizes against the budgets [$(elapsed)]"
# shellcheck disable=SC2086 # a list of words
SIZE_BUDGET=${SIZE_BUDGET:-enforce} "$LOGJAIL_ROOT/cross/sizes.sh" $targets
step "cross CI done in $(elapsed)"
