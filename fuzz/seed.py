#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the repository's real inputs.

    python3 fuzz/seed.py        # writes fuzz/corpus/{line,filter,netlink_reply,uci}/

line:          every filter fixture line, after 8 bytes of `now` (year inference)
filter:        every fixture line (whole, and its message after the tag), after one byte that
               picks its filter (index in the sorted built-in names, as the target does)
netlink_reply: every kernel-captured vector in tests/kernel/*.hex
uci:           the shipped config and the test config
lapi_json:     LAPI decisions streams and login answers (as LAPI 1.4 sends them), after one
               byte that picks the chunk split
lapi_http:     LAPI-shaped HTTP responses (Content-Length, chunked, close-delimited, 403),
               after the split byte
"""
import glob
import hashlib
import os
import re
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def unescape(s):
    """Fixture escapes: `\\xHH` is a raw byte, `\\\\` a backslash."""
    b, out, i = s.encode(), bytearray(), 0
    while i < len(b):
        if b[i:i + 2] == b"\\\\":
            out += b"\\"
            i += 2
        elif b[i:i + 2] == b"\\x" and re.fullmatch(rb"[0-9a-fA-F]{2}", b[i + 2:i + 4]):
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    names = sorted(os.path.basename(p)[:-len(".filter")]
                   for p in glob.glob(os.path.join(ROOT, "filters", "*.filter")))
    now = struct.pack("<q", 1_764_000_000 << 16)
    for path in glob.glob(os.path.join(ROOT, "filters", "*.fixtures")):
        name = os.path.basename(path)[:-len(".fixtures")]
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#") or " " not in line:
                    continue
                raw = unescape(line.split(" ", 1)[1])
                put("line", now + raw)
                if name in names:
                    pick = bytes([names.index(name)])
                    put("filter", pick + raw)
                    tag = re.search(rb"\]: |: ", raw)
                    if tag:
                        put("filter", pick + raw[tag.end():])
    for path in glob.glob(os.path.join(ROOT, "tests", "kernel", "*.hex")):
        with open(path) as f:
            hexa = "".join(c for l in f if not l.startswith("#") for c in l if not c.isspace())
        put("netlink_reply", bytes.fromhex(hexa))
    for rel in ("openwrt/logjail/files/logjail.config", "tests/data/logjail.config"):
        with open(os.path.join(ROOT, rel), "rb") as f:
            put("uci", f.read())
    streams = [
        b'{"deleted":null,"new":[{"duration":"3h59m58.5s","id":1,"origin":"cscli",'
        b'"scenario":"manual \'ban\' from \'x\'","scope":"Ip","type":"ban","value":"192.0.2.7"}]}',
        b'{"deleted":[{"duration":"-1.5s","origin":"crowdsec","scope":"Range","type":"ban",'
        b'"value":"2001:db8::/64"}],"new":null}',
        b'{"code":200,"expire":"2026-12-03T08:28:01Z","token":"eyJhbGciOiJIUzI1NiJ9.e30.x"}',
        b'["a\\"b\\u00e9\\ud83d\\ude00",-1.5e3,true,false,null,{}]',
    ]
    for i, doc in enumerate(streams):
        put("lapi_json", bytes([i * 7 % 256]) + doc)
    body = streams[0]
    responses = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x;ext=1\r\n" % len(body) + body + b"\r\n0\r\nX: 1\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + body,
        b'HTTP/1.1 403 Forbidden\r\nContent-Length: 30\r\n\r\n{"message":"access forbidden"}',
    ]
    for i, raw in enumerate(responses):
        put("lapi_http", bytes([i * 37 % 256]) + raw)
    for t in ("line", "filter", "netlink_reply", "uci", "lapi_json", "lapi_http"):
        print(t, len(os.listdir(os.path.join(CORPUS, t))))


main()
