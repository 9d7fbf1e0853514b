#!/bin/sh
# The size of logjail as OpenWrt's SDK builds it from the feed (openwrt/logjail/Makefile), next
# to the shipped static build: the SDK's lang/rust (rust-values.mk, CARGO_PKG_CONFIG_VARS)
# overrides the crate's release profile with
#   CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_LTO=true
#   CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
#   CARGO_PROFILE_RELEASE_PANIC=unwind RUSTFLAGS=-Ctarget-feature=-crt-static
# and links against the router's musl libc.so, then strips the binary when it packs it. This
# script builds TARGET (default mips-unknown-linux-musl) with those variables into
# target/cross-sdk/, strips a copy with `llvm-strip --strip-all`, and prints both sizes.
# Two differences stay: zig links the musl C library in statically whatever crt-static says
# (the SDK's dynamic binary is about the C library, ~90 KB, smaller), and the SDK links a std
# prebuilt at opt-level 3 where this build compiles std at the profile's opt-level z (the
# SDK's is larger by that). docs/size.md has the figures and what a packager can set.
#   cross/sdk-size.sh [TARGET]
#   SDK_PANIC=abort SDK_OVERFLOW_CHECKS=false cross/sdk-size.sh   (what the feed Makefile's
#                                                                  LOGJAIL_SMALL=1 sets)
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

target=${1:-mips-unknown-linux-musl}
STRIP=${STRIP:-$(command -v llvm-strip || command -v llvm-strip-14 || true)}
[ -n "$STRIP" ] || {
	echo "sdk-size: needs llvm-strip (apt-get install llvm)" >&2
	exit 1
}
shipped=$(release_bin "$target")
LOGJAIL_CROSS_TARGET_DIR=$LOGJAIL_ROOT/target/cross-sdk
CARGO_TARGET_DIR=$LOGJAIL_CROSS_TARGET_DIR
export CARGO_TARGET_DIR

panic=${SDK_PANIC:-unwind}
overflow=${SDK_OVERFLOW_CHECKS:-true}
step "SDK-like build $target (panic=$panic, overflow checks $overflow)"
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
	CARGO_PROFILE_RELEASE_DEBUG=false \
	CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=false \
	CARGO_PROFILE_RELEASE_LTO=true \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
	CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS="$overflow" \
	CARGO_PROFILE_RELEASE_PANIC="$panic" \
	CARGO_PROFILE_RELEASE_STRIP=false \
	xcargo build --release --target "$target" \
	--config "target.$target.rustflags=[\"-Ctarget-feature=-crt-static\"]" \
	-Zbuild-std="std,panic_$panic" >&2

bin=$LOGJAIL_CROSS_TARGET_DIR/$target/release/logjail
stripped=$LOGJAIL_CROSS_TARGET_DIR/$target/logjail.stripped
"$STRIP" --strip-all -o "$stripped" "$bin"
bytes=$(wc -c <"$stripped" | tr -d ' ')
echo "target:    $target"
echo "sdk-like:  panic=$panic, overflow checks $overflow: $bytes bytes ($(((bytes + 1023) / 1024)) KiB), stripped"
if [ -f "$shipped" ]; then
	s=$(wc -c <"$shipped" | tr -d ' ')
	echo "static:    $s bytes ($(((s + 1023) / 1024)) KiB), cross/build-all.sh"
fi
