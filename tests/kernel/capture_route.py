#!/usr/bin/env python3
"""Captures the rtnetlink address messages behind tests/kernel/route_*.hex.

Run inside a fresh network namespace (as root or not):

    unshare -Urn python3 tests/kernel/capture_route.py tests/kernel

It opens a NETLINK_ROUTE socket bound to RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR (what
src/addrwatch reads), changes addresses with iproute2's `ip`, and writes every datagram the
kernel queued on that socket, byte for byte, as hex. Then it sends the RTM_GETADDR dump
request logjail sends and saves the reply datagrams, and a malformed request for an error.
"""
import os
import socket
import struct
import subprocess
import sys

NETLINK_ROUTE = 0
GROUPS = 0x10 | 0x100
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300

out = sys.argv[1] if len(sys.argv) > 1 else "."


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def drain(sock):
    got = []
    while True:
        try:
            got.append(sock.recv(65536, socket.MSG_DONTWAIT))
        except BlockingIOError:
            return got


def save(name, what, datagrams):
    with open(os.path.join(out, name + ".hex"), "w") as f:
        f.write(f"# {what}\n")
        f.write("# captured by tests/kernel/capture_route.py (unshare -Urn, kernel "
                f"{os.uname().release}, {sys.byteorder}-endian): every datagram read from a\n"
                "# NETLINK_ROUTE socket, concatenated (each is a whole number of aligned messages)\n")
        for d in datagrams:
            for i in range(0, len(d), 16):
                f.write(" ".join(f"{b:02x}" for b in d[i:i + 16]) + "\n")


s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
s.bind((0, GROUPS))
ip("link", "set", "lo", "up")
drain(s)  # lo's own 127.0.0.1 and ::1

ip("addr", "add", "198.51.100.1/24", "dev", "lo")
save("route_newaddr_v4", "event: ip addr add 198.51.100.1/24 dev lo", drain(s))

ip("-6", "addr", "add", "2001:db8:1::1/64", "dev", "lo")
save("route_newaddr_v6", "event: ip -6 addr add 2001:db8:1::1/64 dev lo (tentative, then final)", drain(s))

ip("addr", "add", "192.0.2.1", "peer", "192.0.2.254", "dev", "lo")
save("route_newaddr_peer", "event: ip addr add 192.0.2.1 peer 192.0.2.254 dev lo (PPP-style: "
     "IFA_LOCAL is ours, IFA_ADDRESS the peer)", drain(s))

ip("addr", "del", "198.51.100.1/24", "dev", "lo")
save("route_deladdr_v4", "event: ip addr del 198.51.100.1/24 dev lo", drain(s))

ip("-6", "addr", "del", "2001:db8:1::1/64", "dev", "lo")
save("route_deladdr_v6", "event: ip -6 addr del 2001:db8:1::1/64 dev lo", drain(s))

# The dump logjail asks for: nlmsghdr + ifaddrmsg (AF_UNSPEC), seq 7.
d = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
d.bind((0, 0))
req = struct.pack("=IHHII", 24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 7, 0) + bytes(8)
d.send(req)
replies = []
while True:
    b = d.recv(65536)
    replies.append(b)
    if struct.unpack_from("=H", b, 4)[0] == 3:  # NLMSG_DONE
        break
save("route_dump", "reply to RTM_GETADDR dump (seq 7) with 127.0.0.1/8, 192.0.2.1 peer "
     "192.0.2.254, ::1 on lo", replies)

# An RTM_NEWADDR request without an address: the kernel answers NLMSG_ERROR (EINVAL).
bad = struct.pack("=IHHII", 24, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 9, 0) + \
    struct.pack("=BBBBI", 2, 24, 0, 0, 1)
d.send(bad)
save("route_error", "reply to an RTM_NEWADDR request (seq 9) without IFA_LOCAL: NLMSG_ERROR",
     [d.recv(65536)])
