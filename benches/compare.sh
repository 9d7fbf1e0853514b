#!/bin/sh
# logjail beside fail2ban and sshguard, on the same input in the same run.
#
#   benches/compare.sh            full run: 200,000-line logs, 5 alternating runs, a flood of
#                                 1,000,000 addresses (about 8 minutes on 2 busy cores)
#   QUICK=1 benches/compare.sh    50,000 lines, 3 runs, 100,000 addresses (about 2 minutes)
#
# Overrides: RUNS, LINES, FLOOD (distinct flood addresses), STATIC=0 (skip the static build),
# WRITE=0 (print the table only, leave benches/RESULTS.md alone).
#
# What it does, in order: installs the peers from Debian when they are missing (fail2ban,
# sshguard, GNU time; needs root and apt), builds the release binary (and a static one:
# musl when that target is installed, else glibc with crt-static), generates an OpenWrt
# (logread, dropbear) and a syslog (OpenSSH) log with shared/tools/genlog.py, then hands over
# to benches/compare.py, which times the commands, measures memory, floods `logjail run
# --dry-run` (benches/flood.py), runs benches/ban_latency.sh when present, prints the table
# and writes benches/RESULTS.md. Not part of `cargo test`.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
    runs=${RUNS:-3}; lines=${LINES:-50000}; flood=${FLOOD:-100000}
else
    runs=${RUNS:-5}; lines=${LINES:-200000}; flood=${FLOOD:-1000000}
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
if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >&2
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
    if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
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

# --- ban latency (another developer's script, when it is there) ------------------------------
latency=""
if [ -x benches/ban_latency.sh ] && [ "${LATENCY:-1}" = 1 ]; then
    latency=$tmp/latency.md
    BIN=$bin benches/ban_latency.sh >"$tmp/latency.out" 2>&1 || echo "ban_latency.sh failed; see below" >&2
    cp "$tmp/latency.out" "$latency"
fi

LJ_BIN=$bin LJ_STATIC=$static LJ_STATIC_WHAT=$static_what LJ_REPO=$repo \
LJ_OPENWRT=$tmp/openwrt.log LJ_SYSLOG=$tmp/syslog.log \
LJ_ATTACKS_OPENWRT=$a_openwrt LJ_ATTACKS_SYSLOG=$a_syslog \
LJ_LINES=$lines LJ_RUNS=$runs LJ_FLOOD=$flood LJ_LATENCY=$latency LJ_WRITE=${WRITE:-1} \
LJ_COMMAND="${QUICK:+QUICK=$QUICK }benches/compare.sh" \
    python3 benches/compare.py
