#!/bin/sh
# logd/logread: the daemon's default source `logread -f` (run as `logread -l 1000 -f`) on
# the real logd, with lines from logger and from a real dropbear (Debian's dropbear-bin) in
# the router, logging through syslog to logd, driven by dbclient from the attacker's
# namespace; the attacker's next connection is dropped by the kernel while a neighbour still
# reaches dropbear.
. /usr/share/owrt-test/lib.sh
boot
check "opkg install" install_pkg
check "the service is ready" ready
check "its source is logread -l 1000 -f (history first), a child of the daemon" sh -c "ps -o pid,ppid,args | grep -v grep | grep 'logread -l 1000 -f' | grep -q \" $(lj_pid) \""
check "the shipped config's source is 'logread -f'" sh -c '[ "$(uci get logjail.main.source)" = "logread -f" ]'

step "lines from logger (busybox, through /dev/log to logd)"
fail_login 198.51.100.77 5
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	logger -t "dropbear[4242]" -p authpriv.info "Login attempt for nonexistent user from 2001:db8:dead::1:5000$i"
	logger -t dropbear -p authpriv.warn "Bad password attempt for 'root' from 192.168.1.100:4100$i"
done
check "198.51.100.77 banned" wait_until 30 in_set 198.51.100.77
check "2001:db8:dead::/64 banned (IPv6 peer, dropbear[pid] tag)" wait_until 30 in_set 2001:db8:dead::/64 logjail_v6
check_not "the LAN host 192.168.1.100 is not banned (ignoreip 192.168.1.0/24)" in_set 192.168.1.100
check "logread shows logjail's own lines with tag logjail" sh -c 'logread | grep -q " logjail\[[0-9]*\]: dropbear: ban 198.51.100.77"'

step "a real dropbear in the router, syslog to logd"
check "dropbear-bin's dropbear is in the root" test -x /usr/sbin/dropbear
echo /bin/ash >/etc/shells
mkdir -p /etc/dropbear
dropbear -R -p 22
check "dropbear listens on port 22" wait_until 30 sh -c 'netstat -ltn | grep -q ":22 "'
check "dropbear logs to logd" wait_until 20 sh -c 'logread | grep -q "dropbear\[[0-9]*\]: "'

step "the attacker (203.0.113.9) guesses root's password with dbclient"
as_attacker env DROPBEAR_PASSWORD=wrong-password HOME=/tmp timeout 30 dbclient -y -y root@198.51.100.2 true </dev/null >/tmp/dbclient.out 2>&1 &
check "203.0.113.9 banned within 25 s" wait_until 250 in_set 203.0.113.9
echo "banned after $WAITED tenths of a second"
logread | grep "203.0.113.9" | head -8
check "dropbear's own lines reached logd" sh -c 'logread | grep -q "authpriv.warn dropbear\[[0-9]*\]: Bad password attempt for .root. from 203.0.113.9:"'
check "5 failures counted before the ban" sh -c '[ "$(logread | grep -c "Bad password attempt for .root. from 203.0.113.9:")" -ge 5 ]'

step "the attacker's next connection is dropped by the kernel"
C0=$(nft list chain inet fw4 input_wan | sed -n 's/.*ip saddr @logjail_v4 counter packets \([0-9]*\).*/\1/p')
t0=$(date +%s)
check_not "dbclient from 203.0.113.9 does not get in" as_attacker env DROPBEAR_PASSWORD=wrong-password HOME=/tmp timeout 4 dbclient -y -y root@198.51.100.2 true </dev/null
t1=$(date +%s)
check "it hung until its timeout (SYNs dropped, no reset): $((t1 - t0)) s" [ $((t1 - t0)) -ge 3 ]
C1=$(nft list chain inet fw4 input_wan | sed -n 's/.*ip saddr @logjail_v4 counter packets \([0-9]*\).*/\1/p')
check "logjail's drop rule counted its packets ($C0 -> $C1)" [ "$C1" -gt "$C0" ]

step "a neighbour (203.0.113.10) still reaches dropbear"
as_attacker env HOME=/tmp timeout 5 dbclient -y -y -b 203.0.113.10 nobody@198.51.100.2 true </dev/null >/tmp/neighbour.out 2>&1
check "dropbear logged the neighbour's connection" wait_until 30 sh -c 'logread | grep -q "from 203.0.113.10:"'
logread | grep "203.0.113.10" | head -3
check_not "the neighbour is not banned" in_set 203.0.113.10
summary
