#!/usr/bin/env python3
"""The engine of benches/compare.sh: runs logjail and its peers side by side, prints the table
and writes benches/RESULTS.md. Not meant to be called directly (compare.sh builds, installs the
peers and generates the inputs first); the environment carries the settings:

  LJ_BIN      logjail release binary        LJ_STATIC  static build (optional)
  LJ_OPENWRT  openwrt-format log            LJ_SYSLOG  syslog-format log
  LJ_ATTACKS_OPENWRT / LJ_ATTACKS_SYSLOG    attack lines genlog wrote (the truth)
  LJ_LINES    lines per log                 LJ_RUNS    runs per command (alternating)
  LJ_FLOOD    distinct addresses in the flood
  LJ_REPO     the repository                LJ_COMMAND how compare.sh was invoked
  LJ_LATENCY  file with ban-latency results (optional, from benches/ban_latency.sh)

Every timed command runs RUNS times, the commands of one item taking turns (A B C A B C …), so
a burst of load on this shared machine hits all of them alike; the table shows medians. Peak
RSS is the child's ru_maxrss (os.wait4); CPU time is user + system from the same rusage.
"""
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

E = os.environ
BIN = E["LJ_BIN"]
REPO = E["LJ_REPO"]
RUNS = int(E.get("LJ_RUNS", "5"))
LINES = int(E["LJ_LINES"])
OPENWRT, SYSLOG = E["LJ_OPENWRT"], E["LJ_SYSLOG"]
TRUTH = {"openwrt": int(E["LJ_ATTACKS_OPENWRT"]), "syslog": int(E["LJ_ATTACKS_SYSLOG"])}
PARSER = "/usr/libexec/sshguard/sshg-parser"
TIME = "/usr/bin/time"
F2B_FILTERS = "/etc/fail2ban/filter.d"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def timed(argv, stdin=None):
    """Runs argv once under GNU time: (wall seconds, cpu seconds, peak RSS KiB, stdout text).
    Peak RSS is GNU time's %M: the rusage of a child forked from this Python process would
    count Python's own pages. CPU time is user + system from wait4 on GNU time, which includes
    the command it waited for, in microseconds (GNU time's own %U %S are centiseconds)."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as tf:
        src = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-o", tf.name, "-f", "%M"] + argv,
                             stdin=src, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if stdin:
            src.close()
        out.seek(0)
        text = out.read().decode(errors="replace")
        fields = tf.read().split()
    if p.returncode != 0 or not fields:
        raise RuntimeError(f"{argv[0]} exited {p.returncode}: {text[-500:]}")
    return wall, ru.ru_utime + ru.ru_stime, int(fields[-1]), text


def alternate(cmds):
    """cmds: {name: (argv, stdin, count_fn)}. Returns {name: dict of medians and found}."""
    res = {k: {"wall": [], "cpu": [], "rss": [], "found": None} for k in cmds}
    for i in range(RUNS):
        for name, (argv, stdin, count) in cmds.items():
            wall, cpu, rss, text = timed(argv, stdin)
            res[name]["wall"].append(wall)
            res[name]["cpu"].append(cpu)
            res[name]["rss"].append(rss)
            res[name]["found"] = count(text)
            log(f"  run {i + 1}/{RUNS} {name}: {wall:.3f} s wall, {cpu:.3f} s cpu, {rss} KiB")
    out = {}
    for name, r in res.items():
        wall = statistics.median(r["wall"])
        cpu = statistics.median(r["cpu"])
        out[name] = {
            "wall_s": wall, "cpu_s": cpu, "lps": LINES / wall, "lps_cpu": LINES / cpu if cpu else 0,
            "rss_kib": max(r["rss"]), "found": r["found"],
        }
    return out


def json_matched(text):
    return json.loads(text)["matched"]


def f2b_matched(text):
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", text, re.M)
    return int(m.group(1)) if m else None


def count_lines(text):
    return len([l for l in text.splitlines() if l.strip()])


def grep_count(text):
    return int(text.strip().splitlines()[-1])


GREP_OPENWRT = r"dropbear\[[0-9]+\]: (Bad password attempt|Login attempt for nonexistent user|Exit before auth from <.*Max auth tries)"
GREP_SYSLOG = r"sshd\[[0-9]+\]: (Failed password|Invalid user)"


def throughput():
    log("1. dropbear / openwrt log")
    r1 = alternate({
        "logjail": ([BIN, "test", "dropbear", "--json", OPENWRT], None, json_matched),
        "fail2ban": (["fail2ban-regex", OPENWRT, f"{F2B_FILTERS}/dropbear.conf"], None, f2b_matched),
        "grep": (["grep", "-cE", GREP_OPENWRT, OPENWRT], None, grep_count),
    })
    log("2. sshd / syslog log")
    r2 = alternate({
        "logjail": ([BIN, "test", "sshd", "--json", SYSLOG], None, json_matched),
        "fail2ban": (["fail2ban-regex", SYSLOG, f"{F2B_FILTERS}/sshd.conf"], None, f2b_matched),
        "sshg-parser": ([PARSER], SYSLOG, count_lines),
        "grep": (["grep", "-cE", GREP_SYSLOG, SYSLOG], None, grep_count),
    })
    return r1, r2


# ---- idle RSS -------------------------------------------------------------------------------

def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1])
    except OSError:
        pass
    return out


def group_pids(pgid):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def idle(argv, settle, env=None, cwd=None, exclude=()):
    """Starts argv in its own process group, waits `settle` seconds, sums the group's memory."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, env=env, cwd=cwd)
    try:
        time.sleep(settle)
        procs = {}
        for pid in group_pids(p.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    name = f.read().split(b"\0")[0].decode()
            except OSError:
                continue
            if any(x in name for x in exclude):
                continue
            procs[pid] = (name, proc_status(pid))
        alive = p.poll() is None
    finally:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    total = {k: sum(s.get(k, 0) for _, s in procs.values()) for k in ("VmRSS", "RssAnon", "Pss")}
    total["processes"] = len(procs)
    total["alive"] = alive
    return total


def idle_logjail(binary):
    config = os.path.join(REPO, "benches", "flood.config")
    return idle([binary, "run", "-c", config, "--dry-run", "--foreground", "--source", "sleep 1000000"],
                2, exclude=("sleep",))


def idle_fail2ban(tmp):
    if not shutil.which("fail2ban-client"):
        return None
    conf = os.path.join(tmp, "f2b")
    shutil.copytree("/etc/fail2ban", conf)
    for f in os.listdir(os.path.join(conf, "jail.d")):
        os.remove(os.path.join(conf, "jail.d", f))
    logf = os.path.join(tmp, "auth.log")
    open(logf, "w").close()
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write(f"[DEFAULT]\nbackend = polling\nbanaction = dummy\naction = dummy\n\n"
                f"[sshd]\nenabled = true\nport = ssh\nlogpath = {logf}\nbackend = polling\n")
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write(f"[DEFAULT]\ndbfile = :memory:\nlogtarget = {tmp}/f2b.log\n"
                f"socket = {tmp}/f2b.sock\npidfile = {tmp}/f2b.pid\n")
    return idle(["fail2ban-client", "-c", conf, "-f", "-x", "start"], 8)


def idle_sshguard(tmp):
    if not os.path.exists("/usr/sbin/sshguard"):
        return None
    logf = os.path.join(tmp, "sg-auth.log")
    open(logf, "w").close()
    conf = os.path.join(tmp, "sshguard.conf")
    with open(conf, "w") as f:
        f.write(f'BACKEND="/usr/libexec/sshguard/sshg-fw-null"\nFILES="{logf}"\n'
                "THRESHOLD=30\nBLOCK_TIME=120\nDETECTION_TIME=1800\n")
    # The packaged script reads a fixed config path: run a copy that reads ours.
    script = os.path.join(tmp, "sshguard.sh")
    with open("/usr/sbin/sshguard") as src, open(script, "w") as dst:
        dst.write(re.sub(r'(?m)^config=.*$', f'config="{conf}"', src.read()))
    return idle(["sh", script], 3)


# ---- flood, latency, size -------------------------------------------------------------------

def flood(binary):
    n = E.get("LJ_FLOOD", "1000000")
    out = subprocess.run([sys.executable, os.path.join(REPO, "benches", "flood.py"), binary,
                          os.path.join(REPO, "benches", "flood.config"), n],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        log(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sizes():
    out = {"host": os.path.getsize(BIN)}
    static = E.get("LJ_STATIC")
    if static and os.path.exists(static):
        out["static"] = os.path.getsize(static)
        out["static_what"] = E.get("LJ_STATIC_WHAT", "static")
    return out


# ---- report ---------------------------------------------------------------------------------

def mib(kib):
    return f"{kib / 1024:.2f} MiB"


def fmt_lps(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def report(r1, r2, idles, fl, lat, sz, elapsed):
    L = []
    a = L.append
    lj1, f1, g1 = r1["logjail"], r1["fail2ban"], r1["grep"]
    lj2, f2, s2, g2 = r2["logjail"], r2["fail2ban"], r2["sshg-parser"], r2["grep"]
    a("| # | measurement | logjail | peer | ratio | goal |")
    a("|---|---|---|---|---|---|")
    ratio1, ratio1c = lj1["lps"] / f1["lps"], lj1["lps_cpu"] / f1["lps_cpu"]
    a(f"| 1 | dropbear, openwrt log: lines/s, cpu time (wall) | {fmt_lps(lj1['lps_cpu'])} ({fmt_lps(lj1['lps'])}) "
      f"| fail2ban-regex {fmt_lps(f1['lps_cpu'])} ({fmt_lps(f1['lps'])}) | {ratio1c:.0f}× ({ratio1:.0f}×) | ≥ 30× {verdict(ratio1c >= 30)} |")
    a(f"| 1 | dropbear: peak RSS | {mib(lj1['rss_kib'])} | fail2ban-regex {mib(f1['rss_kib'])} | {f1['rss_kib'] / lj1['rss_kib']:.0f}× less | |")
    a(f"| 1 | dropbear: attack lines found (truth {TRUTH['openwrt']}) | {lj1['found']} | fail2ban-regex {f1['found']} | | |")
    ratio2f, ratio2fc = lj2["lps"] / f2["lps"], lj2["lps_cpu"] / f2["lps_cpu"]
    ratio2s, ratio2sc = lj2["lps"] / s2["lps"], lj2["lps_cpu"] / s2["lps_cpu"]
    a(f"| 2 | sshd, syslog log: lines/s, cpu time (wall) | {fmt_lps(lj2['lps_cpu'])} ({fmt_lps(lj2['lps'])}) "
      f"| fail2ban-regex {fmt_lps(f2['lps_cpu'])} ({fmt_lps(f2['lps'])}) | {ratio2fc:.0f}× ({ratio2f:.0f}×) | |")
    a(f"| 2 | sshd: lines/s vs sshguard's parser, cpu time (wall) | {fmt_lps(lj2['lps_cpu'])} ({fmt_lps(lj2['lps'])}) "
      f"| sshg-parser {fmt_lps(s2['lps_cpu'])} ({fmt_lps(s2['lps'])}) | {ratio2sc:.1f}× ({ratio2s:.1f}×) | ≥ 2× {verdict(ratio2sc >= 2)} |")
    a(f"| 2 | sshd: peak RSS | {mib(lj2['rss_kib'])} | fail2ban-regex {mib(f2['rss_kib'])}, sshg-parser {mib(s2['rss_kib'])} | | |")
    a(f"| 2 | sshd: attack lines found (truth {TRUTH['syslog']}) | {lj2['found']} | fail2ban-regex {f2['found']}, sshg-parser {s2['found']} | | |")
    a(f"| 3 | read limit: `grep -cE` on the openwrt log, cpu time (wall) | {fmt_lps(lj1['lps_cpu'])} ({fmt_lps(lj1['lps'])}) | grep {fmt_lps(g1['lps_cpu'])} ({fmt_lps(g1['lps'])}), found {g1['found']} | {lj1['lps_cpu'] / g1['lps_cpu']:.2f}× ({lj1['lps'] / g1['lps']:.2f}×) grep | |")
    a(f"| 3 | read limit: `grep -cE` on the syslog log, cpu time (wall) | {fmt_lps(lj2['lps_cpu'])} ({fmt_lps(lj2['lps'])}) | grep {fmt_lps(g2['lps_cpu'])} ({fmt_lps(g2['lps'])}), found {g2['found']} | {lj2['lps_cpu'] / g2['lps_cpu']:.2f}× ({lj2['lps'] / g2['lps']:.2f}×) grep | |")
    lj = idles["logjail"]
    ljs = idles.get("logjail-static")
    if ljs:
        a(f"| 4 | idle RSS, `logjail run` default jails, static build: VmRSS (private anon) | {mib(ljs['VmRSS'])} ({mib(ljs['RssAnon'])}) | | | ≤ 1 MiB {verdict(ljs['VmRSS'] <= 1024)} |")
    a(f"| 4 | idle RSS, `logjail run` default jails, host (glibc dynamic): VmRSS (private anon) | {mib(lj['VmRSS'])} ({mib(lj['RssAnon'])}) | | | {'' if ljs else '≤ 1 MiB ' + verdict(lj['VmRSS'] <= 1024)} |")
    f = idles.get("fail2ban")
    if f:
        a(f"| 4 | idle RSS, fail2ban-server, sshd jail (polling, dummy action) | | {mib(f['VmRSS'])} (PSS {mib(f['Pss'])}) | {f['VmRSS'] / (ljs or lj)['VmRSS']:.0f}× less | |")
    s = idles.get("sshguard")
    if s:
        a(f"| 4 | idle RSS, sshguard daemon, {s['processes']} processes summed (null backend) | | {mib(s['VmRSS'])} (PSS {mib(s['Pss'])}) | {s['VmRSS'] / (ljs or lj)['VmRSS']:.1f}× less | |")
    if fl:
        ok_rss = fl["peak_rss_kb"] <= 4096
        tenths = [t for t in fl["rss_kb_by_tenth"] if t]
        flat = len(tenths) >= 2 and (max(tenths[len(tenths) // 2:]) - min(tenths[len(tenths) // 2:])) <= 256
        st = fl["stats"].get("dropbear", {})
        a(f"| 5 | flood: {fl['addresses']:,} distinct addresses ({fl['lines']:,} lines): peak RSS | {mib(fl['peak_rss_kb'])} | | | ≤ 4 MiB {verdict(ok_rss)} |")
        a(f"| 5 | flood: RSS at each tenth of the input | {' '.join(f'{t / 1024:.2f}' for t in tenths)} MiB | | | flat when full {verdict(flat)} |")
        a(f"| 5 | flood: lines/s through `logjail run --dry-run` | {fmt_lps(fl['lines_per_s'])} | | | |")
        a(f"| 5 | flood: crossed maxretry inside findtime / banned / missed / wrongly banned | {fl['should_ban']} / {fl['banned']} / {fl['missed']} / {fl['wrongly_banned']} | | | all banned {verdict(fl['missed'] == 0 and fl['wrongly_banned'] == 0)} |")
        a(f"| 5 | flood: evicted from the failure / ban / offender tables | {st.get('evicted_failing', '?')} / {st.get('evicted_banned', '?')} / {st.get('evicted_offenders', '?')} | | | |")
    if lat:
        for row in lat:
            a(row)
    else:
        a("| 6 | ban latency in a namespace | not measured (benches/ban_latency.sh not available) | | | p99 ≤ 5 ms |")
    a(f"| 7 | binary size, release, host x86_64 glibc dynamic | {sz['host'] / 1024:.0f} KiB | | | |")
    if "static" in sz:
        a(f"| 7 | binary size, release, {sz['static_what']} | {sz['static'] / 1024:.0f} KiB | | | |")
    return "\n".join(L)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}, load average at start {load[0]:.1f}"


def versions():
    v = {}
    for name, argv in {"fail2ban": ["fail2ban-client", "--version"], "sshguard": ["dpkg-query", "-W", "-f", "${Version}", "sshguard"],
                       "grep": ["grep", "--version"], "rustc": ["rustc", "--version"]}.items():
        try:
            v[name] = subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            v[name] = "?"
    return v


def duration_ms(text):
    """A Rust `Duration` Debug string (`27.2µs`, `1.6ms`, `2s`) in milliseconds."""
    m = re.match(r"([0-9.]+)(ns|µs|us|ms|s)", text)
    if not m:
        return None
    scale = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    return float(m.group(1)) * scale


def latency_rows():
    """Rows for item 6 from benches/ban_latency.sh's output (and the fail2ban run, if any)."""
    rows = []
    path = E.get("LJ_LATENCY")
    if path and os.path.exists(path):
        with open(path) as f:
            text = f.read()
        m = re.search(r"(\d+) bans: median (\S+), p99 (\S+), max (\S+)", text)
        if m:
            med, p99, mx = (duration_ms(m.group(i)) for i in (2, 3, 4))
            rows.append(f"| 6 | ban latency, line written → element in the nft set (real kernel, namespace), "
                        f"{m.group(1)} bans: median / p99 / max | {med:.3f} / {p99:.3f} / {mx:.3f} ms | | | "
                        f"p99 ≤ 5 ms {verdict(p99 <= 5)} |")
        m = re.search(r"(\d+) bans re-installed after .*?: (\S+) from", text)
        if m:
            rows.append(f"| 6 | {m.group(1)} bans re-installed after the table was re-created | {duration_ms(m.group(2)):.1f} ms | | | |")
        if not rows:
            rows.append(f"| 6 | ban latency | benches/ban_latency.sh gave no figures: {text.strip()[-200:]} | | | p99 ≤ 5 ms |")
    f2b = E.get("LJ_LATENCY_F2B")
    if f2b and os.path.exists(f2b):
        with open(f2b) as f:
            text = f.read()
        m = re.search(r"(\d+) bans: median ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms", text)
        if m:
            rows.append(f"| 6 | fail2ban-server, nftables action, same namespace, {m.group(1)} bans: median / p99 / max | | "
                        f"{float(m.group(2)):.1f} / {float(m.group(3)):.1f} / {float(m.group(4)):.1f} ms | | |")
        else:
            rows.append(f"| 6 | fail2ban-server with its nftables action | | not measured: {text.strip().splitlines()[-1] if text.strip() else 'no output'} | | |")
    return rows or None


def main():
    start = time.time()
    machine_line = machine()
    r1, r2 = throughput()
    log("4. idle RSS")
    idles = {"logjail": idle_logjail(BIN)}
    if E.get("LJ_STATIC") and os.path.exists(E["LJ_STATIC"]):
        idles["logjail-static"] = idle_logjail(E["LJ_STATIC"])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            idles["fail2ban"] = idle_fail2ban(tmp)
        except Exception as e:  # a peer that cannot start must not sink the whole table
            log(f"fail2ban idle: {e}")
        try:
            idles["sshguard"] = idle_sshguard(tmp)
        except Exception as e:
            log(f"sshguard idle: {e}")
    idles = {k: v for k, v in idles.items() if v}
    log(f"   {idles}")
    log("5. flood")
    fl = flood(E.get("LJ_STATIC") if E.get("LJ_STATIC") and os.path.exists(E["LJ_STATIC"]) else BIN)
    log(f"   {json.dumps(fl)}")
    lat = latency_rows()
    sz = sizes()
    table = report(r1, r2, idles, fl, lat, sz, time.time() - start)
    print(table)
    v = versions()
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    md = f"""# Benchmark results

Written by `benches/compare.sh`; do not edit by hand above "Measured by hand". Medians of {RUNS} alternating runs,
{LINES:,} generated lines per log (`shared/tools/genlog.py`, seed 42).

- date: {date}
- machine: {machine_line} (shared with other developers: wall-clock figures are noisy, the
  cpu-time figures less so: lines/s are given as cpu time (wall clock))
- command: `{E.get('LJ_COMMAND', 'benches/compare.sh')}`
- peers: fail2ban {v['fail2ban']}, sshguard {v['sshguard']}, {v['grep']}; logjail built with {v['rustc']}
- total run time: {time.time() - start:.0f} s

{table}

Raw: `{json.dumps({'dropbear': r1, 'sshd': r2, 'idle': idles, 'flood': fl, 'size': sz}, default=str)}`
"""
    if E.get("LJ_WRITE", "1") == "1":
        path = os.path.join(REPO, "benches", "RESULTS.md")
        # Keep the hand-measured part (from its heading on) that other scripts' figures live in.
        kept = ""
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            at = text.find("\n## Measured by hand")
            kept = text[at:] if at >= 0 else ""
        with open(path, "w") as f:
            f.write(md + kept)
        log("wrote benches/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
