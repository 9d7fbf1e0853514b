#!/bin/sh
# Throughput with every built-in filter at once: `logjail test all --json` over a generated
# OpenWrt log — each line parsed once and checked by every filter whose program applies, as the
# daemon does with all jails enabled.
#
#   benches/throughput_all.sh [RUNS] [LINES] [FORMAT]    defaults: 7 200000 openwrt
#
# Prints lines/s per run by wall-clock and by CPU time (user + sys) and the medians, like
# throughput.sh, and checks that the match count equals genlog's attack-line count (no filter
# may match the benign dnsmasq/netifd/kernel lines). With valgrind installed it also counts the
# instructions of one run under callgrind, which does not depend on the machine's load, and
# prints them per line.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-7}
lines=${2:-200000}
format=${3:-openwrt}
shared=../shared
[ -d "$shared" ] || shared=/work/shared

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/logjail
log=$(mktemp /tmp/logjail-bench.XXXXXX)
cg=$(mktemp /tmp/logjail-callgrind.XXXXXX)
trap 'rm -f "$log" "$cg"' EXIT
summary=$(python3 "$shared/tools/genlog.py" "$format" "$lines" "$log" 2>&1)
echo "$summary"
attacks=$(echo "$summary" | sed -n 's/.* \([0-9]*\) attack lines.*/\1/p')
echo "filters: $("$bin" test --list | awk '{print $1}' | tr '\n' ' ')"
cat "$log" >/dev/null # warm the page cache

python3 - "$bin" "$log" "$lines" "$runs" "$attacks" <<'PY'
import os, resource, statistics, subprocess, sys, time
binary, log, lines, runs, attacks = sys.argv[1:6]
lines, runs = int(lines), int(runs)
pin = ["taskset", "-c", "0"] if subprocess.run(["sh", "-c", "command -v taskset"], capture_output=True).returncode == 0 else []
wall, cpu = [], []
for i in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(pin + [binary, "test", "all", "--json", log], capture_output=True, text=True, check=True).stdout
    t1 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    matched = out.split('"matched":')[1].split(",")[0]
    if matched != attacks:
        sys.exit(f"MISMATCH: logjail matched {matched}, genlog wrote {attacks} attack lines")
    wall.append(lines / (t1 - t0)); cpu.append(lines / max(used, 1e-6))
    print(f"run {i + 1}: {1000 * (t1 - t0):.0f} ms wall, {1000 * used:.0f} ms cpu: {wall[-1]:,.0f} lines/s wall, {cpu[-1]:,.0f} lines/s cpu")
print(f"median: {statistics.median(wall):,.0f} lines/s wall, {statistics.median(cpu):,.0f} lines/s cpu "
      f"(all filters, {lines} lines, {runs} runs, release build, one core; load {os.getloadavg()[0]:.1f})")
PY

if command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$bin" test all --json "$log" >/dev/null 2>"$cg.err" || true
    ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$cg.err")
    rm -f "$cg.err"
    [ -n "$ir" ] && python3 -c "import sys; ir, n = int(sys.argv[1]), int(sys.argv[2]); print(f'callgrind: {ir:,} instructions, {ir / n:,.0f} per line (all filters)')" "$ir" "$lines"
fi
