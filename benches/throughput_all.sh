#!/bin/sh
# Throughput with every built-in filter at once: `logjail test all --json`, each line parsed
# once and checked by every filter whose program applies, as the daemon does with all jails
# enabled. The runs are throughput.sh's with FILTER=all (its match check also proves that no
# filter matches the benign lines); with valgrind installed, one more run under callgrind gives
# the instruction count per line, which does not depend on the machine's load.
#
#   benches/throughput_all.sh [RUNS] [LINES] [FORMAT]    defaults: 7 200000 openwrt
set -eu
cd "$(dirname "$0")/.."
runs=${1:-7}
lines=${2:-200000}
format=${3:-openwrt}
benches/throughput.sh "$runs" "$lines" all "$format"

command -v valgrind >/dev/null 2>&1 || exit 0
shared=../shared
[ -d "$shared" ] || shared=/work/shared
log=$(mktemp /tmp/logjail-bench.XXXXXX)
trap 'rm -f "$log" "$log.cg" "$log.err"' EXIT
python3 "$shared/tools/genlog.py" "$format" "$lines" "$log" 2>/dev/null
valgrind --tool=callgrind --callgrind-out-file="$log.cg" "${CARGO_TARGET_DIR:-target}/release/logjail" \
    test all --json "$log" >/dev/null 2>"$log.err" || true
ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log.err")
[ -n "$ir" ] && echo "callgrind: $ir instructions, $((ir / lines)) per line (all filters)"
