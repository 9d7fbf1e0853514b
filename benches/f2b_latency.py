#!/usr/bin/env python3
"""fail2ban's ban latency, measured as benches/ban_latency.sh measures logjail's: from a
failure line written to the log to the address appearing in the kernel's nftables set.

usage: unshare -Urn python3 benches/f2b_latency.py [BANS]     (default 100)

Runs inside a fresh user + network namespace (the kernel's nf_tables, nothing outside
touched). Starts fail2ban-server in the foreground with one jail, sshd, maxretry 1, the
`nftables` ban action and fail2ban's default log backend (pyinotify when installed, else
polling), then for BANS distinct addresses appends one OpenSSH failure line and waits for the
`add element` event of that address on `nft monitor`. Prints
"fail2ban: N bans: median X ms, p99 Y ms, max Z ms" (or why it could not run).
fail2ban creates its table on the first ban, so that first ban is not counted.
"""
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def percentile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    bans = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for tool in ("fail2ban-client", "nft"):
        if not shutil.which(tool):
            print(f"fail2ban: not measured ({tool} missing)")
            return 0
    tmp = tempfile.mkdtemp(prefix="f2b-lat.")
    conf = os.path.join(tmp, "conf")
    shutil.copytree("/etc/fail2ban", conf)
    for f in os.listdir(os.path.join(conf, "jail.d")):
        os.remove(os.path.join(conf, "jail.d", f))
    log = os.path.join(tmp, "auth.log")
    open(log, "w").close()
    with open(os.path.join(conf, "jail.local"), "w") as f:
        f.write("[DEFAULT]\nbanaction = nftables\nbanaction_allports = nftables[type=allports]\n"
                "ignoreself = false\n\n"
                f"[sshd]\nenabled = true\nport = ssh\nlogpath = {log}\nmaxretry = 1\n"
                "findtime = 600\nbantime = 3600\n")
    with open(os.path.join(conf, "fail2ban.local"), "w") as f:
        f.write(f"[DEFAULT]\ndbfile = :memory:\nlogtarget = {tmp}/f2b.log\n"
                f"socket = {tmp}/f2b.sock\npidfile = {tmp}/f2b.pid\n")
    server = subprocess.Popen(["fail2ban-client", "-c", conf, "-f", "-x", "start"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    monitor = subprocess.Popen(["nft", "monitor", "elements"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, bufsize=0)
    lat = []
    try:
        # Wait for the jail to be up.
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if "Jail 'sshd' started" in open(f"{tmp}/f2b.log").read():
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            print("fail2ban: not measured (the server did not start its jail in 30 s)")
            return 0
        pending = b""
        with open(log, "a") as out:
            for i in range(bans + 1):
                addr = f"198.51.{100 + i // 250}.{1 + i % 250}"
                stamp = time.strftime("%b %e %H:%M:%S")
                t0 = time.perf_counter()
                out.write(f"{stamp} host sshd[{1000 + i}]: Failed password for root from {addr} port 22 ssh2\n")
                out.flush()
                want = f" {addr} ".encode()
                end = t0 + 10
                seen = False
                while not seen and time.perf_counter() < end:
                    r, _, _ = select.select([monitor.stdout], [], [], 0.5)
                    if r:
                        chunk = os.read(monitor.stdout.fileno(), 65536)
                        pending += chunk
                        *lines, pending = pending.split(b"\n")
                        for line in lines:
                            if b"add element" in line and want in line + b" ":
                                seen = True
                t1 = time.perf_counter()
                if not seen:
                    print(f"fail2ban: not measured (no element for {addr} within 10 s)")
                    return 0
                if i > 0:
                    lat.append((t1 - t0) * 1000)
    finally:
        server.terminate()
        monitor.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        monitor.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"fail2ban: {len(lat)} bans: median {statistics.median(lat):.3f} ms, "
          f"p99 {percentile(lat, 0.99):.3f} ms, max {max(lat):.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
