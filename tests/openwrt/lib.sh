# Helpers of the scenarios, sourced inside the router (busybox ash, chrooted; see run.sh).
PASS=0
FAIL=0
T0=$(date +%s)
ok() { PASS=$((PASS + 1)); echo "PASS: $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
# check DESC CMD...: passes when CMD succeeds; CMD's output is shown only if it fails.
check() {
	d=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then ok "$d"; else bad "$d" && sed 's/^/    /' /tmp/check.out; fi
}
# check_not DESC CMD...: passes when CMD fails.
check_not() {
	d=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then bad "$d" && sed 's/^/    /' /tmp/check.out; else ok "$d"; fi
}
step() { echo "--- [$(($(date +%s) - T0)) s] $*"; }
summary() {
	echo "== $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ] && [ "$PASS" -gt 0 ]
}
# wait_until TENTHS CMD...: polls CMD every 0.1 s, at most TENTHS times; the tenths it took
# are in $WAITED. Fails when CMD never succeeded.
wait_until() {
	n=$1
	shift
	WAITED=0
	while [ "$WAITED" -lt "$n" ]; do
		"$@" && return 0
		sleep 0.1
		WAITED=$((WAITED + 1))
	done
	"$@"
}
AP=$(cat /tmp/attacker.pid)
# as_attacker CMD...: run CMD in the attacker's network namespace (behind the WAN).
as_attacker() { nsenter -t "$AP" -n "$@"; }

# in_set ADDR [SET]: ADDR is an element (with a timeout) of fw4's set.
in_set() { nft list set inet fw4 "${2:-logjail_v4}" 2>/dev/null | grep -q "[ {]$1 timeout"; }
# logjail_in_kernel: any logjail set, rule or table in the ruleset.
logjail_in_kernel() { nft list ruleset | grep -q logjail; }
# svc_running: procd reports the logjail instance running (read without jsonfilter).
svc_running() { ubus call service list '{"name":"logjail"}' 2>/dev/null | grep -q '"running": true'; }
# lj_pid: the pid procd reports for the instance.
lj_pid() { ubus call service list "{\"name\":\"logjail\"}" 2>/dev/null | sed -n "s/.*\"pid\": \([0-9]*\).*/\1/p" | grep .; }
show_ps() { ps w | grep -v grep | grep -E "logjail|logread"; }
# fail_login ADDR [N]: N (default 5) dropbear failure lines through syslog, as dropbear
# logs them (logger -> /dev/log -> logd).
fail_login() {
	i=0
	while [ "$i" -lt "${2:-5}" ]; do
		i=$((i + 1))
		logger -t "dropbear[$((2000 + i))]" -p authpriv.warn "Bad password attempt for 'root' from $1:$((40000 + i))"
	done
}
# reloads: how many times the daemon said it reloaded its configuration.
reloads() { logread -e logjail | grep -ci 'reload'; }
ping_ok() { as_attacker ping -c 1 -W 1 "$@" >/dev/null 2>&1; }

# boot: what an OpenWrt router runs before logjail's START=60: ubusd, logd, netifd (the
# harness's stand-in publishing network.interface), procd as service manager, the firewall.
boot() {
	step "boot: ubusd, logd, netifd stand-in, procd -S, /etc/init.d/firewall"
	ubusd &
	wait_until 30 ubus list >/dev/null 2>&1
	logd -S 64 &
	ucode /usr/share/owrt-test/fake-netifd.uc &
	wait_until 30 sh -c 'ubus list | grep -qx network.interface && ubus list | grep -qx log'
	procd -S >/tmp/procd.log 2>&1 &
	wait_until 30 sh -c 'ubus list | grep -qx service'
	/etc/init.d/firewall enable
	/etc/init.d/firewall start
	check "boot: fw4's table is loaded" nft list chain inet fw4 input_wan
}
# install_pkg [RELEASE]: opkg install the package (release 1 unless told).
install_pkg() {
	opkg install "/root/logjail_"*"-r${1:-1}_"*.ipk >/tmp/opkg-install.out 2>&1
	r=$?
	cat /tmp/opkg-install.out
	return $r
}
check_not_ping() { ! ping_ok "$@"; }
# new_daemon OLDPID: procd reports a process other than OLDPID and it answers on its control
# socket.
new_daemon() {
	p=$(lj_pid) && [ "$p" != "$1" ] && logjail status >/dev/null 2>&1
}
# ready [OLDPID]: wait (up to 5 s) for a daemon other than OLDPID that answers on its socket
# and follows logread, then 0.5 s for logread to subscribe to logd (the daemon runs
# `logread -l 1000 -f`, so lines logged before are read from logd's buffer too).
ready() {
	wait_until 50 new_daemon "${1:-none}" && wait_until 20 pidof logread >/dev/null && sleep 0.5
}
