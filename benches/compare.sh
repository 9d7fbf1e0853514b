#!/bin/sh
# logjail beside fail2ban and sshguard, on the same input in the same run.
#
#   benches/compare.sh            full run: 200,000-line logs, 5 alternating runs, a flood of
#                                 1,000,000 addresses (about 8 minutes on 2 busy cores)
#   QUICK=1 benches/compare.sh    50,000 lines, 3 runs, 100,000 addresses (about 2 minutes)
#
# Overrides: RUNS, LINES, FLOOD (distinct flood addresses), F2B_BANS (fail2ban's latency
# sample), STATIC=0 (skip the static build), LATENCY=0 (skip item 6), WRITE=0 (print the table
# only, leave benches/RESULTS.md alone).
#
# What it does, in order: installs the peers from Debian when they are missing (fail2ban,
# sshguard, GNU time; needs root and apt), builds the release binary (and a static one:
# musl when that target is installed, else glibc with crt-static), generates an OpenWrt
# (logread, dropbear) and a syslog (OpenSSH) log with shared/tools/genlog.py, then hands over
# to benches/compare.py, which times the commands, measures memory, floods `logjail run
# --dry-run` (benches/flood.py), measures ban latency in a user + network namespace
# (benches/ban_latency.sh for logjail, benches/f2b_latency.py for fail2ban), prints the table
# and writes benches/RESULTS.md. Not part of `cargo test`.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
    runs=${RUNS:-3}; lines=${LINES:-50000}; flood=${FLOOD:-100000}; f2b_bans=${F2B_BANS:-100}
else
    runs=${RUNS:-5}; lines=${LINES:-200000}; flood=${FLOOD:-1000000}; f2b_bans=${F2B_BANS:-1000}
fi
shared=$repo/../shared
[ -d "$shared" ] || shared=/work/shared
[ -f "$shared/tools/genlog.py" ] || { echo "compare.sh: shared/tools/genlog.py not found" >&2; exit 1; }

# --- peers ----------------------------------------------------------------------------------
missing=""
command -v fail2ban-regex >/dev/null 2>&1 || missing="$missing fail2ban"
[ -x /usr/libexec/sshguard/sshg-parser ] || missing="$missing sshguard"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
[ -x /usr/bin/time ] || missing="$missing time"
command -v nft >/dev/null 2>&1 || missing="$missing nftables"
# fail2ban's default log backend on Debian (Recommends): without it fail2ban polls once a second.
/usr/bin/python3 -c 'import pyinotify' 2>/dev/null || missing="$missing python3-pyinotify"
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >&2
        # shellcheck disable=SC2086 # a list of package names, split on purpose
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
    else
        echo "compare.sh: need$missing (apt-get install$missing as root)" >&2
        exit 1
    fi
fi

# --- builds ---------------------------------------------------------------------------------
target=${CARGO_TARGET_DIR:-$repo/target}
cargo build --release --quiet
bin=$target/release/logjail
static=""
static_what=""
if [ "${STATIC:-1}" = 1 ]; then
    cross_bin=${LOGJAIL_CROSS_TARGET_DIR:-$repo/target/cross}/x86_64-unknown-linux-musl/release/logjail
    if [ -x /opt/logjail-cross/venv/bin/cargo-zigbuild ] && "$repo/cross/build-all.sh" x86_64-unknown-linux-musl >/dev/null 2>&1; then
        # The router build: static musl, std for size, immediate-abort panics (cross/).
        static=$cross_bin
        static_what="static x86_64 musl (cross/build-all.sh, as the router builds)"
    elif rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
        CARGO_TARGET_DIR=$target/static cargo build --release --quiet --target x86_64-unknown-linux-musl \
            && static=$target/static/x86_64-unknown-linux-musl/release/logjail \
            && static_what="static x86_64 musl"
    else
        RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=$target/static \
            cargo build --release --quiet --target x86_64-unknown-linux-gnu \
            && static=$target/static/x86_64-unknown-linux-gnu/release/logjail \
            && static_what="static x86_64 glibc (crt-static; the musl target is not installed here)"
    fi
fi

# --- inputs ---------------------------------------------------------------------------------
tmp=$(mktemp -d /tmp/logjail-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
attacks() { sed -n 's/.* \([0-9]*\) attack lines.*/\1/p'; }
a_openwrt=$(python3 "$shared/tools/genlog.py" openwrt "$lines" "$tmp/openwrt.log" 2>&1 | attacks)
a_syslog=$(python3 "$shared/tools/genlog.py" syslog "$lines" "$tmp/syslog.log" 2>&1 | attacks)
cat "$tmp/openwrt.log" "$tmp/syslog.log" >/dev/null # page cache

# --- ban latency: logjail with benches/ban_latency.sh (1000 bans), fail2ban the same way -----
latency=""
latency_f2b=""
if [ "${LATENCY:-1}" = 1 ]; then
    if [ -x benches/ban_latency.sh ]; then
        latency=$tmp/latency.out
        benches/ban_latency.sh >"$latency" 2>&1 || echo "ban_latency.sh failed: $(tail -n 3 "$latency")" >&2
    fi
    latency_f2b=$tmp/latency_f2b.out
    unshare -Urn python3 benches/f2b_latency.py "$f2b_bans" >"$latency_f2b" 2>&1 ||
        echo "f2b_latency.py failed: $(tail -n 3 "$latency_f2b")" >&2
fi

LJ_BIN=$bin LJ_STATIC=$static LJ_STATIC_WHAT=$static_what LJ_REPO=$repo \
LJ_OPENWRT=$tmp/openwrt.log LJ_SYSLOG=$tmp/syslog.log \
LJ_ATTACKS_OPENWRT=$a_openwrt LJ_ATTACKS_SYSLOG=$a_syslog \
LJ_LINES=$lines LJ_RUNS=$runs LJ_FLOOD=$flood LJ_LATENCY=$latency LJ_LATENCY_F2B=$latency_f2b \
LJ_WRITE=${WRITE:-1} \
LJ_COMMAND="${QUICK:+QUICK=$QUICK }benches/compare.sh" \
    python3 benches/compare.py
