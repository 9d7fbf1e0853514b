#!/bin/bash
# run.sh SCENARIO [VAR=VALUE...]: run tests/openwrt/SCENARIO.sh inside a fresh copy of the
# userland that prepare.sh built (target/owrt/root), chrooted in new mount, network and PID
# namespaces (the harness's owrt-ns.sh): when it ends, the kernel ends everything it started.
# VAR=VALUE pairs are set for the scenario (e.g. JSONFILTER=head).
#
# The network: the router's WAN eth1 (198.51.100.2/24, 2001:db8:1::2/64) and LAN br-lan
# (192.168.1.1/24) from the harness's ns-setup.sh; behind the WAN, an attacker namespace
# (its pid in /tmp/attacker.pid) with 203.0.113.9 (the attacker), 203.0.113.10 (a neighbour),
# 2001:db8:bad::1 (the IPv6 attacker) and 2001:db8:beef::1 (an IPv6 neighbour).
# Prints every check; exits non-zero if one failed. Work dir: target/owrt-tests/SCENARIO.
set -euo pipefail
scen=${1:?usage: run.sh SCENARIO [VAR=VALUE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
owrt=${OWRT_TARGET:-$repo/target}/owrt
[ -f "$here/$scen.sh" ] || { echo "run.sh: no scenario $here/$scen.sh" >&2; exit 2; }
[ -x "$owrt/root/usr/sbin/procd" ] || { echo "run.sh: $owrt/root not built: run tests/openwrt/prepare.sh" >&2; exit 2; }
name=$scen
for kv in "$@"; do name=$name-${kv#*=}; done
w=${OWRT_TARGET:-$repo/target}/owrt-tests/$name
rm -rf "$w"
mkdir -p "$w/report"
cp -a "$owrt/root" "$w/root"
root=$w/root
t=$root/usr/share/owrt-test
mkdir -p "$t" "$root/root"
cp "$here"/*.sh "$here"/*.config "$t/"
cp "$owrt/fixtures/rpcd.config" "$t/"
cp "$owrt/fixtures/fake-netifd.uc" "$t/"
cp "$owrt/fixtures/etc/config/network" "$root/etc/config/"
# OpenWrt's default firewall (lan + wan zones), plus SSH open on the WAN: the attacker's target.
cat "$owrt/fixtures/etc/config/firewall" "$here/firewall-ssh.config" >"$root/etc/config/firewall"
cp "$owrt"/pkgs/*.ipk "$owrt"/pkgs/*.apk "$root/root/"
cp -r "$owrt/feed" "$root/root/feed"
cp -r "$owrt/apk-feed" "$root/root/apk-feed"
# Debian's dropbear and its client (dropbear-bin), linked against the host's libraries that
# owrt-ns.sh binds into the root.
for b in /usr/sbin/dropbear /usr/bin/dbclient; do
	[ ! -x "$b" ] || cp "$b" "$root$b"
done
cp "$owrt/build/jsonpath-head/jsonpath" "$root/usr/bin/jsonpath-head"
env=""
for kv in "$@"; do env="$env $kv"; done
export NS_SETUP='. "$OWRT/fixtures/ns-setup.sh"
unshare -n sleep 100000 & AP=$!
echo $AP > "$ROOT/tmp/attacker.pid"
sleep 0.2
ip link set wanpeer netns $AP
nsenter -t $AP -n sh -c "ip link set lo up; ip link set wanpeer up
ip addr add 203.0.113.9/24 dev wanpeer; ip addr add 203.0.113.10/24 dev wanpeer
ip route add 198.51.100.0/24 dev wanpeer
ip -6 addr add 2001:db8:bad::1/64 dev wanpeer nodad; ip -6 addr add 2001:db8:beef::1/64 dev wanpeer nodad
ip -6 route add 2001:db8:1::/64 dev wanpeer"
ip route add 203.0.113.0/24 dev eth1
ip -6 route add 2001:db8:bad::/64 dev eth1
ip -6 route add 2001:db8:beef::/64 dev eth1'
# A scenario may have a host-side part, SCENARIO.host.sh (bash), sourced after the network
# setup, in the router's namespaces but on the host's filesystem (e.g. a browser on LuCI).
[ ! -f "$here/$scen.host.sh" ] || NS_SETUP="$NS_SETUP
HERE='$here'; . '$here/$scen.host.sh'"
export TOP=$w ROOT=$root OWRT=$owrt
# shellcheck disable=SC2086
timeout "${OWRT_TIMEOUT:-240}" "$owrt/owrt-ns.sh" "env $env sh /usr/share/owrt-test/$scen.sh" 2>&1 |
	tee "$w/report/output.txt"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || echo "run.sh: scenario $scen ended with exit status $rc"
exit "$rc"
