#!/usr/bin/env python3
"""CrowdSec bouncer benchmark: 30,000 LAPI decisions through the whole daemon.

A fake LAPI (this script, in the same user + network namespace) answers
`GET /v1/decisions/stream?startup=true` with 30,000 `Ip` ban decisions shaped exactly like
LAPI 1.4's (about 250 bytes each, 7 MB); `logjail run` (release build, real kernel nf_tables,
fw4-shaped table from the package's include files) polls it. Reported: the daemon's own figures
(body read, firewall updated: all 30,000 elements in the kernel set), the set's element count
as `nft` sees it, and the daemon's VmHWM / VmRSS / RssAnon after the sync and 3 idle polls.

Usage: benches/crowdsec.py [N]      (builds the release binary first; needs nft, unshare -Urn)
       LOGJAIL_DRY_RUN=1 benches/crowdsec.py 1   (the idle bouncer as compare.sh measures the
       idle daemon: `--dry-run`, no kernel set; decisions are printed, not added)
       LOGJAIL_BIN=PATH benches/crowdsec.py [N]   (that binary instead, e.g. the static router
       build from `cross/build-all.sh x86_64-unknown-linux-musl`)
"""
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("LOGJAIL_BIN") or os.path.join(ROOT, "target/release/logjail")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 30000


def body(n):
    new = []
    for i in range(n):
        new.append({
            "duration": "167h59m58.%09ds" % (i % 1000000000),
            "id": i + 1,
            "origin": "lists",
            "scenario": "crowdsecurity/http-probing",
            "scope": "Ip",
            "type": "ban",
            "uuid": "%08x-0000-4000-8000-%012x" % (i, i),
            "value": "10.%d.%d.%d" % (1 + i // 65025, (i // 255) % 255, i % 255 + 1),
        })
    return json.dumps({"deleted": None, "new": new}, separators=(",", ":")).encode()


def fw4_ruleset(scratch):
    inc = os.path.join(ROOT, "openwrt/logjail/files/nftables.d")
    text = "table inet fw4 {\n"
    text += open(os.path.join(inc, "table-pre/logjail.nft")).read()
    text += "\tchain input { type filter hook input priority filter; policy accept; }\n\tchain input_wan {\n"
    text += open(os.path.join(inc, "chain-pre/input_wan/logjail.nft")).read()
    text += "\t}\n}\n"
    path = os.path.join(scratch, "fw4.nft")
    open(path, "w").write(text)
    return path


def status(pid):
    out = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        if k in ("VmHWM", "VmRSS", "RssAnon"):
            out[k] = int(v.split()[0])
    return out


def inner():
    scratch = tempfile.mkdtemp(prefix="logjail-bench-cs-")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["nft", "-f", fw4_ruleset(scratch)], check=True)
    full = body(N)
    empty = b'{"deleted":null,"new":null}'
    polls = []

    class Lapi(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            startup = "startup=true" in self.path
            polls.append(startup)
            data = full if startup else empty
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 8080), Lapi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = ("config logjail 'main'\n\toption source '-'\n\toption state_file '%s/state'\n"
            "\toption control_socket '%s/sock'\n\nconfig jail 'dropbear'\n\n" % (scratch, scratch))
    lapi = ("config crowdsec\n\toption lapi_url 'http://127.0.0.1:8080'\n\toption api_key 'k'\n"
            "\toption poll_interval '1s'\n\toption max_decisions '%d'\n" % N)
    conf = os.path.join(scratch, "logjail.conf")
    dry = ["--dry-run"] if os.environ.get("LOGJAIL_DRY_RUN") else []
    run = lambda: subprocess.Popen([BIN, "run", "--foreground", *dry,
                                    "--source", "-", "-c", conf],
                                   stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The same daemon without the crowdsec section, idle: the baseline.
    open(conf, "w").write(base)
    p = run()
    time.sleep(1.5)
    idle = status(p.pid)
    p.terminate()
    p.wait()
    open(conf, "w").write(base + lapi)
    os.chmod(conf, 0o600)
    p = run()
    line = ""
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stderr.readline()
        if "(startup)" in line:
            break
    time.sleep(3.5)  # three more (empty) polls
    st = status(p.pid)
    listed = subprocess.run(["nft", "list", "set", "inet", "fw4", "logjail_v4"],
                            capture_output=True, text=True).stdout
    count = len(re.findall(r"\d+\.\d+\.\d+\.\d+ timeout", listed))
    p.terminate()
    p.wait()
    server.shutdown()
    m = re.search(r"read in (\d+) ms.*firewall updated in (\d+) ms", line)
    result = {
        "decisions": N, "body_bytes": len(full), "log": line.strip(),
        "read_ms": int(m.group(1)) if m else None,
        "applied_ms": int(m.group(2)) if m else None,
        "elements_in_set": count, "idle": idle, "after": st, "polls": len(polls),
    }
    print(json.dumps(result))


def main():
    if os.environ.get("LOGJAIL_BENCH_NS"):
        return inner()
    if not os.environ.get("LOGJAIL_BIN"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "logjail"], cwd=ROOT, check=True)
    env = dict(os.environ, LOGJAIL_BENCH_NS="1", PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    out = subprocess.run(["unshare", "-Urn", sys.executable, os.path.abspath(__file__), str(N)],
                         env=env, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    mib = lambda k: r["after"][k] / 1024
    what = "binary %s" % BIN if os.environ.get("LOGJAIL_BIN") else "release build (host x86_64, glibc dynamic)"
    print("kernel %s, %d CPUs, %s" % (os.uname().release, os.cpu_count(), what))
    print("%d decisions, %.1f MB body: read %s ms, firewall updated %s ms, %d elements in the set"
          % (r["decisions"], r["body_bytes"] / 1e6, r["read_ms"], r["applied_ms"], r["elements_in_set"]))
    print("RSS idle, no crowdsec section: VmRSS %.2f MiB, RssAnon %.2f MiB" % (r["idle"]["VmRSS"] / 1024, r["idle"]["RssAnon"] / 1024))
    print("RSS after sync:  VmHWM %.2f MiB, VmRSS %.2f MiB, RssAnon %.2f MiB"
          % (mib("VmHWM"), mib("VmRSS"), mib("RssAnon")))
    print("raw: " + json.dumps(r))


if __name__ == "__main__":
    main()
