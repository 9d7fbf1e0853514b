# shellcheck shell=sh disable=SC2034
# Sourced by the other cross/ scripts: selects Debian's Rust toolchain and the zig linker
# explicitly, so rustup's toolchain stays the default for everything else on the machine.
#
#   rustc-web, cargo-web, rust-web-src (Debian, bookworm-security: Rust 1.96 and its source)
#   qemu-user                         (Debian: qemu-mips, qemu-mipsel, qemu-arm, qemu-aarch64)
#   llvm                              (Debian: llvm-objcopy, for MIPS's .pdr; llvm-nm for size-report)
#   ziglang, cargo-zigbuild           (PyPI, in a venv under $LOGJAIL_CROSS_HOME)
#
# std is built from source for every target (-Zbuild-std), which is why the toolchain needs
# RUSTC_BOOTSTRAP=1 and the matching rust-web-src: neither rustup (no network for std
# downloads here) nor Debian ships a prebuilt std for the router targets.

LOGJAIL_ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
LOGJAIL_CROSS_HOME=${LOGJAIL_CROSS_HOME:-/opt/logjail-cross}
LOGJAIL_CROSS_TARGET_DIR=${LOGJAIL_CROSS_TARGET_DIR:-$LOGJAIL_ROOT/target/cross}
LOGJAIL_CARGO_CONFIG=$LOGJAIL_ROOT/cross/cargo-config.toml

# Versions measured to work together; install-deps.sh installs exactly these.
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
# Debian's toolchain must be at least this new (older std sources do not build with it).
RUST_MIN_MINOR=96

# The five release targets: router CPUs first.
LOGJAIL_TARGETS="mips-unknown-linux-musl mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf aarch64-unknown-linux-musl x86_64-unknown-linux-musl"

# Debian's cargo and rustc, never rustup's proxies; the venv for cargo-zigbuild and zig.
PATH=$LOGJAIL_CROSS_HOME/venv/bin:/usr/bin:/bin:$PATH
RUSTC=/usr/bin/rustc
RUSTDOC=/usr/bin/rustdoc
CARGO=/usr/bin/cargo
RUSTC_BOOTSTRAP=1
CARGO_TARGET_DIR=$LOGJAIL_CROSS_TARGET_DIR
export PATH RUSTC RUSTDOC CARGO RUSTC_BOOTSTRAP CARGO_TARGET_DIR
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET 2>/dev/null || true

# xcargo SUBCOMMAND ARGS...: cargo-zigbuild with the cross configuration.
xcargo() {
	sub=$1
	shift
	(cd "$LOGJAIL_ROOT" && cargo-zigbuild "$sub" --config "$LOGJAIL_CARGO_CONFIG" "$@")
}

# qemu_for TARGET: the qemu-user binary that runs TARGET's executables (empty for x86_64).
qemu_for() {
	case $1 in
	mips-*) echo qemu-mips ;;
	mipsel-*) echo qemu-mipsel ;;
	armv7-*) echo qemu-arm ;;
	aarch64-*) echo qemu-aarch64 ;;
	*) echo "" ;;
	esac
}

# release_bin TARGET: path of the stripped static release binary.
release_bin() {
	echo "$LOGJAIL_CROSS_TARGET_DIR/$1/release/logjail"
}

# build_release TARGET...: static, size-optimised release binaries: std rebuilt with
# optimize_for_size, and panics abort at once without formatting a message
# (`-Cpanic=immediate-abort`, which drops std's backtrace printer: about 140 KiB on MIPS). The
# code never panics on input (no unwrap on input-derived data); procd restarts the daemon if
# it ever does. Tests keep the normal panic strategy. Nothing unwinds, so no unwind tables
# either (`-Cforce-unwind-tables=no`: 59 KB of .eh_frame on MIPS). docs/size.md has the
# measurements. `Debug` is compiled out (`-Zfmt-debug=none`: `{:?}` writes nothing, so no
# shipped message uses it, tests/debug_free.rs) and so are panic locations
# (`-Zlocation-detail=none`): 15 KB on MIPS. The C library's unwind tables are discarded at
# link time (cross/no-eh-frame.ld): 7 KB.
build_release() {
	for t in "$@"; do
		# MIPS binaries are static non-PIE executables anyway: position-dependent code calls
		# with one `jal` instead of a GOT load and `jalr $t9`, and sets up no $gp.
		case $t in
		mips*) extra=',"-Crelocation-model=static"' ;;
		# ARMv7 as Thumb-2, which every ARMv7-A core runs (OpenWrt's cortex-a7/a9/a15
		# targets): 16- and 32-bit instructions instead of ARM's fixed 32 bits.
		armv7*) extra=',"-Ctarget-feature=+thumb-mode"' ;;
		*) extra= ;;
		esac
		# LOGJAIL_XFLAGS: more rustflags, comma-separated quoted strings, for size experiments
		# (e.g. '"-Zfmt-debug=none"'); empty for the shipped builds.
		[ -n "${LOGJAIL_XFLAGS:-}" ] && extra="$extra,$LOGJAIL_XFLAGS"
		set -- "$@" --target "$t" \
			--config "target.$t.rustflags=[\"-Zunstable-options\",\"-Cpanic=immediate-abort\",\"-Cforce-unwind-tables=no\",\"-Zfmt-debug=none\",\"-Zlocation-detail=none\",\"-Clink-arg=-Wl,-T,$LOGJAIL_ROOT/cross/no-eh-frame.ld\"$extra]"
		shift
	done
	xcargo build --release "$@" \
		-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
	for a in "$@"; do
		case $a in
		mips*) strip_pdr "$(release_bin "$a")" ;;
		esac
	done
}

# strip_pdr BINARY: drops `.pdr`, the MIPS procedure descriptors LLVM writes for every
# function (about 100 KiB here), and nothing else (symbols stay for cross/size-report.sh).
# Nothing reads them at run time, and cargo's strip (the linker's --strip-all) keeps them:
# they are neither symbols nor debug info.
strip_pdr() {
	"$(llvm_objcopy)" --remove-section=.pdr "$1"
}

# llvm_objcopy: Debian's llvm-objcopy (package llvm), which handles every target's ELF.
llvm_objcopy() {
	command -v llvm-objcopy || command -v llvm-objcopy-14 || {
		echo "llvm-objcopy not found (apt-get install llvm)" >&2
		return 1
	}
}

# run_on TARGET BINARY ARGS...: runs a target binary under its qemu.
run_on() {
	q=$(qemu_for "$1")
	shift
	$q "$@"
}

# smoke TARGET: runs the release binary under qemu: `--version`, and `test --json dropbear`
# on cross/sample/dropbear.log, whose report must count exactly the real failures.
smoke() {
	bin=$(release_bin "$1")
	version=$(run_on "$1" "$bin" --version)
	echo "$1: $version"
	case $version in
	"logjail "[0-9]*) ;;
	*) echo "smoke: unexpected --version output from $1: $version" >&2 && return 1 ;;
	esac
	report=$(run_on "$1" "$bin" test --json dropbear "$LOGJAIL_ROOT/cross/sample/dropbear.log") || {
		echo "smoke: $1: 'logjail test dropbear' failed" >&2
		return 1
	}
	echo "$1: $report"
	# Three failures from 203.0.113.7, one from 2001:db8:5::/64; the successful login and
	# the uhttpd line that merely looks like dropbear's are not counted.
	for want in '"lines":7' '"matched":4' '"203.0.113.7":3' '"2001:db8:5::'; do
		case $report in
		*"$want"*) ;;
		*) echo "smoke: $1: 'logjail test dropbear' report lacks $want" >&2 && return 1 ;;
		esac
	done
	for unwanted in 192.0.2.1 198.51.100.4; do
		case $report in
		*"$unwanted"*) echo "smoke: $1: $unwanted must not be counted" >&2 && return 1 ;;
		esac
	done
}

step() {
	printf '\n==> %s\n' "$*" >&2
}
