#!/usr/bin/env python3
"""Recall of the built-in filters on an independent corpus: fail2ban's annotated test logs.

fail2ban's test logs (`fail2ban/tests/files/logs/<filter>` in github.com/fail2ban/fail2ban)
carry `# failJSON: {"match": true|false, "host": ...}` before a line, `# filterOptions: [...]`
before a section tested in several fail2ban modes, and unannotated lines that must not match.
This script reads them from a directory given on the command line (their text is not part of
this repository), feeds the log lines to the real binary (`logjail test FILTER --mode M
--print-matched --print-missed` over the whole file, and `--json` over every prefix of it to
see which lines a jail would count: the lines of one attempt count once), and prints per filter
and mode:

  expected  lines fail2ban counts in the fail2ban modes that correspond to ours
  right     of those, matched with the right host (counted, or a further line of an attempt
            counted on an earlier line of the same host)
  wrong     matched with another host
  missed    not matched
  false     counted where fail2ban counts nothing (after pairing companions: a line counted
            here whose attempt fail2ban counts on a later line of the same host is not false)
  shifted   a line counted here that fail2ban does not count, paired with a miss of the same host
            (the attempt counted on another of its lines); counted as found in "recall"
  wider     counted in a mode where fail2ban tests the line only in a wider mode

    python3 benches/recall.py --logs DIR [--bin target/release/logjail] [-v] [--cross] [LOG...]

`--cross` also runs every filter (`logjail test all --mode aggressive`) over every test log in
DIR, all of fail2ban's services, and prints the matches of a filter not mapped to that log: a
line of one service counted by another's filter.

`-v` lists every miss, wrong host and false count with its line number, for classification.
Lines fail2ban names a host by DNS name or with leading zeros (`192.030.0.6`) are listed
under "unaddr": logjail counts addresses only.
"""

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys

# fail2ban test log -> (our filter, {fail2ban mode -> our mode}). Modes fail2ban has and we do
# not (sshd "extra", nginx "fallback": TLS handshake errors) map to the narrowest of ours that
# includes them; lines fail2ban counts only in modes of another scope (postfix's non-SASL modes)
# are not scored, but a match of a line fail2ban never counts is a false count.
CORPORA = {
    "sshd": ("sshd", {"": "normal", "normal": "normal", "ddos": "ddos", "extra": "aggressive",
                      "aggressive": "aggressive"}),
    "sshd-journal": ("sshd", {"": "normal", "normal": "normal", "ddos": "ddos",
                              "extra": "aggressive", "aggressive": "aggressive"}),
    "dropbear": ("dropbear", {"": "normal"}),
    "openvpn": ("openvpn", {"": "normal"}),
    "asterisk": ("asterisk", {"": "normal"}),
    "dovecot": ("dovecot", {"": "normal", "aggressive": "aggressive"}),
    "nginx-http-auth": ("nginx-http-auth", {"": "normal", "normal": "normal", "auth": "normal",
                                            "fallback": "aggressive", "aggressive": "aggressive"}),
    "nginx-limit-req": ("nginx-limit-req", {"": "normal"}),
    "lighttpd-auth": ("lighttpd-auth", {"": "normal"}),
    "proftpd": ("proftpd", {"": "normal"}),
    "vsftpd": ("vsftpd", {"": "normal"}),
    # fail2ban's postfix filter in mode "auth" is the SASL one (its postfix-sasl jail).
    "postfix": ("postfix-sasl", {"auth": "normal", "aggressive": "aggressive"}),
}
ORDER = ["normal", "ddos", "aggressive"]
WIDTH = {"normal": 0, "ddos": 1, "aggressive": 2}
# journal lines have no time: give them one, a minute apart (no attempt spans them).
JOURNAL_T0 = 0


def parse_log(path):
    """Entries (lineno, line, faildata, opts-list) in file order, as fail2ban reads them."""
    common = {}
    opts_list = [{}]
    out = []
    lines = open(path, encoding="utf-8", errors="surrogateescape").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.match(r"^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$", line)
        if m:
            data = json.loads(m.group(2))
            if m.group(1) == "fileOptions":
                common = data
                continue
            if m.group(1) == "filterOptions":
                opts_list = []
                for d in data if isinstance(data, list) else [data]:
                    o = dict(common)
                    o.update(d)
                    opts_list.append(o)
                continue
            if m.group(1) == "addFILE":
                continue
            if i >= len(lines):
                break
            out.append((i + 1, lines[i], data, opts_list if opts_list else [dict(common)]))
            i += 1
            continue
        if line.startswith("#") or not line.strip():
            continue
        out.append((i, line, {}, opts_list if opts_list else [dict(common)]))
    return out


def condition(expr, opts):
    if not expr:
        return True
    return bool(eval(expr, {"name": "sshd", "opts": opts}))  # noqa: S307 (test-file expressions)


def norm_host(h):
    """An address as logjail prints it, or None for a name fail2ban would resolve."""
    try:
        a = ipaddress.ip_address(h)
    except ValueError:
        return None
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
        a = a.ipv4_mapped
    return str(a)


def shaped(line, opts, k):
    """The line as it reaches logjail: fail2ban's journal lines lack the syslog time."""
    if opts.get("logtype") == "journal":
        line = opts.get("test.prefix-line", "") + line
        t = JOURNAL_T0 + 60 * k
        return "Jan  1 %02d:%02d:%02d " % (t // 3600 % 24, t // 60 % 60, t % 60) + line
    return line


def pid(line):
    m = re.search(r"\[(\d+)\]:? ", line)
    return m.group(1) if m else None


def run(binary, filt, mode, data, *flags):
    p = subprocess.run([binary, "test", "--mode", mode, *flags, filt, "-"], input=data,
                       capture_output=True, check=False)
    return p


def modes_of(binary, filt):
    out = []
    for m in ORDER:
        if run(binary, filt, m, b"", "--json").returncode == 0:
            out.append(m)
    return out


def score(binary, name, path, verbose):
    filt, fmap = CORPORA[name]
    entries = parse_log(path)
    rows = []
    for mode in modes_of(binary, filt):
        # Per line: the fail2ban modes it is tested in, mapped to ours.
        ours = []
        for (_, line, fd, ol) in entries:
            tested = set()
            for o in ol:
                if o.get("test.condition") and not condition(o["test.condition"], o):
                    continue
                if not condition(fd.get("constraint"), o):
                    continue
                m = fmap.get(o.get("mode", ""))
                if m:
                    tested.add(m)
            ours.append(tested)
        raw = [shaped(line, ol[0], k).encode("utf-8", "surrogateescape")
               for k, (_, line, _, ol) in enumerate(entries)]
        data = b"\n".join(raw) + b"\n"
        p = run(binary, filt, mode, data, "--print-matched", "--print-missed")
        trace = [t for t in p.stdout.decode("utf-8", "replace").split("\n")
                 if t.startswith(("MATCH ", "IGNORED ", "MISS "))]
        if len(trace) != len(raw):
            sys.exit("%s: %d lines but %d verdicts" % (name, len(raw), len(trace)))
        counted = []
        prev = 0
        for k in range(len(raw)):
            j = run(binary, filt, mode, b"\n".join(raw[:k + 1]) + b"\n", "--json")
            total = sum(v for h, v in json.loads(j.stdout).get("hosts", {}).items())
            counted.append(total > prev)
            prev = total
        r = {"filter": filt, "corpus": name, "mode": mode, "expected": 0, "right": 0,
             "wrong": 0, "missed": 0, "false": 0, "wider": 0, "unaddr": 0, "list": []}
        pending = []  # counted lines fail2ban does not count, per host, awaiting a later line
        for k, (lineno, line, fd, _) in enumerate(entries):
            t = trace[k]
            got = t.split(" ", 2)[1] if t.startswith("MATCH ") else None
            got = norm_host(got) if got else None
            tested = ours[k]
            expect = fd.get("match", False)
            # our modes are nested: what a narrower mode counts, a wider one counts too.
            want_here = mode in tested or (
                expect and any(WIDTH[m] < WIDTH[mode] for m in tested))
            wider = not want_here and any(WIDTH[m] > WIDTH[mode] for m in tested)
            host = fd.get("host") or fd.get("ip4") or fd.get("ip6")
            if want_here and expect:
                r["expected"] += 1
                h = norm_host(host) if isinstance(host, str) else None
                if h is None:
                    r["unaddr"] += 1
                    r["list"].append(("unaddr", lineno, host, got, line))
                elif got == h:
                    r["right"] += 1
                    if not counted[k] and h in pending:
                        pending.remove(h)  # its attempt was counted on a companion line
                elif got:
                    r["wrong"] += 1
                    r["list"].append(("wrong", lineno, h, got, line))
                else:
                    r["missed"] += 1
                    r["list"].append(("missed", lineno, h, got, line))
            elif counted[k]:
                if wider:
                    r["wider"] += 1
                    r["list"].append(("wider", lineno, None, got, line))
                elif want_here or (not tested and not expect):
                    pending.append(got)
                    r["list"].append(("false?", lineno, None, got, line))
        # A counted line still pending had no later line of its attempt: a false count.
        for item in r["list"]:
            if item[0] == "false?":
                if item[3] in pending:
                    pending.remove(item[3])
                    r["false"] += 1
                    r["list"][r["list"].index(item)] = ("false",) + item[1:]
                else:
                    r["list"][r["list"].index(item)] = ("companion",) + item[1:]
        # A false count and a miss of the same host and process are one attempt counted on another line of
        # it (fail2ban attributes an address-less line by pid; logjail counts the line that
        # names the address): "shifted", found.
        r["shifted"] = 0
        for i, item in enumerate(r["list"]):
            if item[0] != "false":
                continue
            for j, m in enumerate(r["list"]):
                if m[0] == "missed" and m[2] == item[3] and pid(m[4]) == pid(item[4]):
                    r["list"][i] = ("shifted",) + item[1:]
                    r["list"][j] = ("shifted",) + m[1:]
                    r["false"] -= 1
                    r["missed"] -= 1
                    r["shifted"] += 1
                    break
        rows.append(r)
        if verbose:
            for kind, lineno, want, got, line in r["list"]:
                if kind == "companion":
                    continue
                print("  %-7s %s:%d want %s got %s | %s" % (kind, name, lineno, want, got, line))
    return rows


def cross(binary, logs):
    """Matches of each filter in test logs of other services."""
    bad = 0
    names = sorted(os.path.relpath(os.path.join(d, f), logs)
                   for d, _, fs in os.walk(logs) for f in fs)
    for name in names:
        # bsd/syslog-*.txt: sshd's lines as FreeBSD's syslogd writes them (fail2ban's sshd test).
        own = "sshd" if name.startswith("bsd/") else CORPORA.get(name, (None,))[0]
        lines = [l for l in open(os.path.join(logs, name), "rb").read().split(b"\n")
                 if not l.startswith(b"#")]
        p = run(binary, "all", "aggressive", b"\n".join(lines) + b"\n", "--print-matched")
        for t in p.stdout.decode("utf-8", "replace").split("\n"):
            f = t.split(" ")
            if t.startswith("MATCH ") and f[2] != own:
                bad += 1
                print("  cross   %s: %s counted by %s | %s" % (name, f[1], f[2], t.split(" | ", 1)[1]))
    print("cross counts over %d test logs: %d" % (len(names), bad))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logs", required=True, help="fail2ban/tests/files/logs of a fail2ban checkout")
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"),
                                                  "release", "logjail"))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--cross", action="store_true", help="every filter over every test log")
    ap.add_argument("corpora", nargs="*", help="fail2ban test log names (default: all mapped)")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        sys.exit("%s: not an executable (cargo build --release)" % a.bin)
    names = a.corpora or list(CORPORA)
    rows = []
    for n in names:
        path = os.path.join(a.logs, n)
        if not os.path.exists(path):
            sys.exit("%s: missing" % path)
        rows += score(a.bin, n, path, a.verbose)
    print("%-16s %-16s %-10s %8s %6s %7s %6s %6s %6s %6s %6s %7s" % (
        "corpus", "filter", "mode", "expected", "right", "shifted", "wrong", "missed", "unaddr",
        "false", "wider", "recall"))
    for r in rows:
        found = r["right"] + r["shifted"]
        rec = 100.0 * found / r["expected"] if r["expected"] else 100.0
        print("%-16s %-16s %-10s %8d %6d %7d %6d %6d %6d %6d %6d %6.1f%%" % (
            r["corpus"], r["filter"], r["mode"], r["expected"], r["right"], r["shifted"],
            r["wrong"], r["missed"], r["unaddr"], r["false"], r["wider"], rec))
    if a.cross:
        cross(a.bin, a.logs)


if __name__ == "__main__":
    main()
