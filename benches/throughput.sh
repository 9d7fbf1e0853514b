#!/bin/sh
# Filter throughput: `logjail test dropbear --json` over a generated OpenWrt log, on one core.
#
#   benches/throughput.sh [RUNS] [LINES] [FILTER] [FORMAT]    defaults: 7 200000 dropbear openwrt
#
# Builds the release binary (the profile that ships), generates LINES lines with
# shared/tools/genlog.py, runs the filter RUNS times pinned to CPU 0 and prints each run's
# lines/s and the median. The JSON must agree with genlog's attack-line count.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-7}
lines=${2:-200000}
filter=${3:-dropbear}
format=${4:-openwrt}
shared=../shared
[ -d "$shared" ] || shared=/work/shared

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/logjail
log=$(mktemp /tmp/logjail-bench.XXXXXX)
trap 'rm -f "$log"' EXIT
summary=$(python3 "$shared/tools/genlog.py" "$format" "$lines" "$log" 2>&1)
echo "$summary"
attacks=$(echo "$summary" | sed -n 's/.* \([0-9]*\) attack lines.*/\1/p')

pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
cat "$log" >/dev/null # warm the page cache

rates=""
i=0
while [ "$i" -lt "$runs" ]; do
    t0=$(date +%s%N)
    out=$($pin "$bin" test "$filter" --json "$log")
    t1=$(date +%s%N)
    matched=$(echo "$out" | sed -n 's/.*"matched":\([0-9]*\).*/\1/p')
    if [ "$matched" != "$attacks" ]; then
        echo "MISMATCH: logjail matched $matched, genlog wrote $attacks attack lines" >&2
        exit 1
    fi
    rate=$(( lines * 1000000000 / (t1 - t0) ))
    echo "run $((i + 1)): $(( (t1 - t0) / 1000000 )) ms, $rate lines/s"
    rates="$rates $rate"
    i=$((i + 1))
done
median=$(printf '%s\n' $rates | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "median: $median lines/s ($filter, $lines lines, $runs runs, release build, one core)"
