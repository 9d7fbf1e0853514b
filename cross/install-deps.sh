#!/bin/sh
# Installs what the Docker-free cross builds need, on Debian 12 (bookworm) as root.
# Idempotent and quick when everything is already there (no apt or pip call at all then).
#
#   Debian: rustc-web cargo-web rust-web-src (1.96, bookworm-security), qemu-user, llvm
#   PyPI:   ziglang, cargo-zigbuild, into a venv at $LOGJAIL_CROSS_HOME/venv
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

rust_ok() {
	[ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || return 1
	[ -f /usr/lib/rustlib/src/rust/library/Cargo.lock ] || return 1
	minor=$(/usr/bin/rustc --version | sed -n 's/^rustc 1\.\([0-9]*\)\..*/\1/p')
	[ -n "$minor" ] && [ "$minor" -ge "$RUST_MIN_MINOR" ]
}

qemu_ok() {
	for q in qemu-mips qemu-mipsel qemu-arm qemu-aarch64; do
		command -v "$q" >/dev/null 2>&1 || return 1
	done
}

llvm_ok() {
	command -v llvm-objcopy >/dev/null 2>&1 || command -v llvm-objcopy-14 >/dev/null 2>&1
}

if ! rust_ok || ! qemu_ok || ! llvm_ok; then
	step "apt: rustc-web cargo-web rust-web-src qemu-user llvm"
	export DEBIAN_FRONTEND=noninteractive
	apt_get() { $SUDO apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@"; }
	# An up-to-date package list is needed for the security archive's 1.96.
	# Another apt run (a parallel CI step) may hold the lists lock for a while.
	n=0
	until apt_get update -qq; do
		n=$((n + 1))
		[ $n -lt 10 ] || exit 1
		sleep 15
	done
	apt_get install -y -qq --no-install-recommends \
		rustc-web cargo-web rust-web-src qemu-user llvm >/dev/null
	rust_ok || {
		echo "install-deps: /usr/bin/rustc is $(/usr/bin/rustc --version 2>&1)," \
			"need 1.$RUST_MIN_MINOR or newer with rust-web-src (is bookworm-security enabled?)" >&2
		exit 1
	}
fi

venv=$LOGJAIL_CROSS_HOME/venv
if ! "$venv/bin/cargo-zigbuild" --version 2>/dev/null | grep -q "$CARGO_ZIGBUILD_VERSION" ||
	! "$venv/bin/python3" -m ziglang version 2>/dev/null | grep -q "^$ZIGLANG_VERSION"; then
	step "pip: ziglang $ZIGLANG_VERSION, cargo-zigbuild $CARGO_ZIGBUILD_VERSION"
	$SUDO mkdir -p "$LOGJAIL_CROSS_HOME"
	if [ ! -x "$venv/bin/pip" ]; then
		python3 -m venv "$venv" 2>/dev/null || {
			# A fresh Debian may lack python3, and its python3 needs python3-venv for this.
			rm -rf "$venv"
			$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
				python3 python3-venv >/dev/null
			python3 -m venv "$venv"
		}
	fi
	"$venv/bin/pip" install -q --disable-pip-version-check \
		"ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
fi

step "toolchain: $(/usr/bin/rustc --version), cargo-zigbuild $("$venv/bin/cargo-zigbuild" --version | sed 's/.* //'), zig $("$venv/bin/python3" -m ziglang version)"
