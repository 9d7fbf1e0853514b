#!/usr/bin/env python3
"""Flood: N distinct attacker addresses through `logjail run --dry-run`.

usage: flood.py BIN CONFIG [N] [--keep DIR]

Generates a logread-format dropbear log with N distinct attacker addresses (default 1,000,000):
70 % IPv4 from 100.64.0.0/10, 30 % IPv6 each in its own /64 of 2001:db8::/32, so every v6
address is a distinct jail host. Most attackers fail once; 2 % ("repeaters") fail `maxretry`
(5) times within a burst of at most 200 lines, i.e. well inside findtime and with fewer
distinct hosts in between than the failure table holds. Those are the truth: each must be
banned exactly once, however full the tables are, and nobody else may be.

The log is fed as standard input (`--source -`) from a file. While the daemon runs, its
VmRSS and its read position (/proc/PID/fdinfo/0) are sampled, so the report shows the memory
at each tenth of the input: flat once the tables are full means the last tenths agree.
Prints one JSON object on stdout.
"""
import heapq
import ipaddress
import json
import os
import random
import subprocess
import sys
import tempfile
import time

MAXRETRY = 5
REPEAT_SHARE = 0.02
BURST = 200  # lines within which a repeater's failures fall
LPS = 2000  # log lines per second of log time


def addresses(n, rng):
    v4_base = int(ipaddress.IPv4Address("100.64.0.0"))
    v4 = rng.sample(range(1, 1 << 22), int(n * 0.7))
    nets = rng.sample(range(1, 1 << 32), n - len(v4))
    out = [str(ipaddress.IPv4Address(v4_base + x)) for x in v4]
    out += ["2001:db8:%x:%x::%x" % (x >> 16, x & 0xFFFF, rng.randrange(1, 0xFFFF)) for x in nets]
    rng.shuffle(out)
    return out


def host_key(addr):
    """The jail's host: the address for v4, its /64 for v6 (as `ban` lines print it)."""
    if "/" in addr:
        return str(ipaddress.ip_network(addr, strict=False))
    ip = ipaddress.ip_address(addr)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def generate(path, n, seed=7):
    rng = random.Random(seed)
    addrs = addresses(n, rng)
    repeaters = set(rng.sample(range(n), int(n * REPEAT_SHARE)))
    # Slots of lines: each attacker's first failure in order; a repeater's further failures
    # are scheduled a few lines later.
    pending = []  # heap of (line index due, address)
    lines = []
    for k, a in enumerate(addrs):
        while pending and pending[0][0] <= len(lines):
            lines.append(heapq.heappop(pending)[1])
        lines.append(a)
        if k in repeaters:
            at = len(lines)
            for _ in range(MAXRETRY - 1):
                at += rng.randrange(1, BURST // MAXRETRY)
                heapq.heappush(pending, (at, a))
    while pending:
        lines.append(heapq.heappop(pending)[1])
    t0 = int(time.time()) - 3600 - len(lines) // LPS
    users = ["root", "admin", "ubnt", "pi"]
    with open(path, "w") as f:
        for i, a in enumerate(lines):
            ts = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(t0 + i // LPS))
            port = 1024 + (i * 7919) % 60000
            if i % 3:
                msg = f"authpriv.warn dropbear[{1000 + i}]: Bad password attempt for '{users[i % 4]}' from {a}:{port}"
            else:
                msg = f"authpriv.warn dropbear[{1000 + i}]: Login attempt for nonexistent user from {a}:{port}"
            f.write(f"{ts} {msg}\n")
    truth = {host_key(addrs[k]) for k in repeaters}
    return len(lines), len(addrs), truth


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon"):
                    out[k] = int(v.split()[0])
        with open(f"/proc/{pid}/fdinfo/0") as f:
            for line in f:
                if line.startswith("pos:"):
                    out["pos"] = int(line.split()[1])
    except OSError:
        pass
    return out


def run(binary, config, log):
    size = os.path.getsize(log)
    samples = []
    with open(log, "rb") as stdin, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(
            [binary, "run", "-c", config, "--dry-run", "--foreground", "--source", "-"],
            stdin=stdin, stdout=out, stderr=err)
        last = {}
        while p.poll() is None:
            s = status(p.pid)
            if "VmRSS" in s:
                last = s
                samples.append((s.get("pos", 0) / size, s["VmRSS"], s.get("RssAnon", 0)))
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        return p.returncode, elapsed, last.get("VmHWM", 0), samples, out.read().decode(), err.read().decode()


def main():
    binary, config = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("-") else 1_000_000
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "flood.log")
        nlines, naddrs, truth = generate(log, n)
        rc, elapsed, hwm, samples, out, err = run(binary, config, log)
    banned = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] == "ban":
            k = host_key(f[2])
            banned[k] = banned.get(k, 0) + 1
    stats = {}
    for line in err.splitlines():
        # "logjail: info: JAIL: F failures, B bans, I ignored; evicted X failing, Y banned, Z offenders"
        if "evicted" in line:
            jail = line.split(": ")[2]
            nums = [int(w) for w in line.replace(",", " ").replace(";", " ").split() if w.isdigit()]
            if len(nums) == 6:
                stats[jail] = dict(zip(
                    ["failures", "bans", "ignored", "evicted_failing", "evicted_banned", "evicted_offenders"], nums))
    # RSS at each tenth of the input (the last sample before the read position passed it).
    tenths = []
    for t in range(1, 11):
        before = [s for s in samples if s[0] <= t / 10 + 1e-9]
        tenths.append(before[-1][1] if before else None)
    missed = truth - set(banned)
    extra = set(banned) - truth
    twice = sum(1 for v in banned.values() if v > 1)
    print(json.dumps({
        "rc": rc, "lines": nlines, "addresses": naddrs, "should_ban": len(truth),
        "banned": len(banned), "missed": len(missed), "wrongly_banned": len(extra),
        "banned_twice": twice, "seconds": round(elapsed, 3),
        "lines_per_s": int(nlines / elapsed) if elapsed else 0,
        "peak_rss_kb": hwm, "rss_kb_by_tenth": tenths, "stats": stats,
        "missed_examples": sorted(missed)[:5], "extra_examples": sorted(extra)[:5],
    }))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
