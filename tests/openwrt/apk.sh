#!/bin/sh
# apk (OpenWrt 25.12, apk-tools 3): `apk add` of the .apk that build-ipk.sh makes with APK=
# (post-install reloads fw4, enables and starts the service under procd), an upgrade to a newer
# release (a user-edited conffile and the active bans are kept) by `apk add` of its file, or
# with UPGRADE=repo by `apk update && apk upgrade --available` from a repository (packages.adb)
# holding it, and `apk del` (service stopped, no logjail set, rule or process left).
. /usr/share/owrt-test/lib.sh
boot

# apk_cmd ARGS...: apk as on a router without signing keys for a locally built package.
apk_cmd() {
	apk --allow-untrusted --no-cache "$@" >/tmp/apk.out 2>&1
	r=$?
	cat /tmp/apk.out
	return $r
}
# conffile_sum_ok: /lib/apk/packages/logjail.conffiles_static holds the sha256 of the
# shipped /etc/config/logjail, as sysupgrade compares it.
conffile_sum_ok() {
	want=$(sha256sum /etc/config/logjail | cut -d' ' -f1)
	grep -qx "/etc/config/logjail $want" /lib/apk/packages/logjail.conffiles_static
}

step "apk: firewall4 is installed, logjail is not"
check "apk info -e firewall4" apk info -e firewall4
check_not "apk info -e logjail: not installed" apk info -e logjail
check_not "no logjail set before install" logjail_in_kernel

step "apk add /root/logjail-*-r1.apk"
check "apk add succeeded" apk_cmd add /root/logjail-*-r1.apk
check "apk lists logjail 0.1.0-r1 installed" sh -c '[ "$(apk list --installed logjail | cut -d" " -f1)" = logjail-0.1.0-r1 ]'
apk list --installed logjail
check "apk records the arch $(uname -m) and depends on firewall4" sh -c "apk info -a logjail | grep -q '^logjail-0.1.0-r1 depends on:' && apk info -R logjail | grep -qx firewall4 && apk list -I logjail | grep -q ' $(uname -m) '"
check "/lib/apk/packages/logjail.list lists the daemon and the init script" sh -c 'grep -qx /usr/sbin/logjail /lib/apk/packages/logjail.list && grep -qx /etc/init.d/logjail /lib/apk/packages/logjail.list'
check "/lib/apk/packages/logjail.conffiles names /etc/config/logjail" grep -qx /etc/config/logjail /lib/apk/packages/logjail.conffiles
check "conffiles_static holds the shipped file's sha256" conffile_sum_ok
check "the conffile has mode 0600" sh -c '[ "$(stat -c %a /etc/config/logjail)" = 600 ]'
check "set logjail_v4 in inet fw4" nft list set inet fw4 logjail_v4
check "set logjail_v6 in inet fw4" nft list set inet fw4 logjail_v6
check "post-install reloaded fw4: input_wan drops @logjail_v4" sh -c 'nft list chain inet fw4 input_wan | grep -q "ip saddr @logjail_v4 counter .* drop"'
check "post-install reloaded fw4: forward_wan drops @logjail_v6" sh -c 'nft list chain inet fw4 forward_wan | grep -q "ip6 saddr @logjail_v6 counter .* drop"'
check "post-install enabled the service: /etc/rc.d/S60logjail" test -L /etc/rc.d/S60logjail
check "post-install started the service: procd reports it running" wait_until 30 svc_running
check "the daemon is ready" ready
echo "the service said (default_postinst starts it before the body reloads fw4 and restarts it):"
logread -e logjail
P1=$(lj_pid)
check "one logjail process runs (pid $P1)" sh -c "[ -n '$P1' ] && [ \"\$(pidof logjail)\" = '$P1' ]"
check_not "no standalone logjail table" nft list table inet logjail

step "a ban through the real path: logger -> logd -> logread -f -> logjail -> fw4 set"
fail_login 203.0.113.9 5
check "203.0.113.9 banned in inet fw4 logjail_v4 within 3 s" wait_until 30 in_set 203.0.113.9
check "the attacker's ping is dropped" check_not_ping 198.51.100.2

step "the user edits the conffile (uci set + commit: maxretry 5 -> 4)"
uci set logjail.dropbear.maxretry=4
uci commit logjail
check "uci wrote the edit" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 4 ]'

if [ "${UPGRADE:-file}" = repo ]; then
	step "apk update + apk upgrade --available from a repository with release 2 (its shipped config differs)"
	# OpenWrt 25.12 keeps its own feeds in /etc/apk/repositories.d/distfeeds.list and others
	# in customfeeds.list, one packages.adb URL (or path) a line.
	mkdir -p /etc/apk/repositories.d
	echo /root/apk-feed/packages.adb >>/etc/apk/repositories.d/customfeeds.list
	check "apk update reads the repository" apk_cmd update
	check "apk offers logjail 0.1.0-r2 as an upgrade" sh -c 'apk --allow-untrusted list --upgradable logjail | grep -q "^logjail-0.1.0-r2 "'
	# `apk add FILE` pinned logjail to that file's package in /etc/apk/world; --available
	# lets the repository's newer one replace it.
	check "apk upgrade --available succeeded" apk_cmd upgrade --available logjail
else
	step "apk add of release 2 (its shipped config differs) over release 1"
	check "apk add /root/logjail-*-r2.apk succeeded" apk_cmd add /root/logjail-*-r2.apk
fi
check "apk lists logjail 0.1.0-r2 installed" sh -c '[ "$(apk list --installed logjail | cut -d" " -f1)" = logjail-0.1.0-r2 ]'
check "the user's edit is kept (maxretry 4)" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 4 ]'
check "the user's file was not replaced by the new shipped one" sh -c '! grep -q "Shipped with release 2" /etc/config/logjail'
check "the new shipped one is beside it as /etc/config/logjail.apk-new" grep -q "Shipped with release 2" /etc/config/logjail.apk-new
check "the service runs after the upgrade" ready "$P1"
P2=$(lj_pid)
echo "pid before upgrade $P1, after $P2"; show_ps
check "one logjail process runs: the new one" sh -c "[ \"\$(pidof logjail)\" = '$P2' ]"
check "the service stays enabled" test -L /etc/rc.d/S60logjail
check "the ban is still in the set" in_set 203.0.113.9
check "the upgraded daemon lists the ban (state kept)" sh -c 'logjail list | grep -q 203.0.113.9'
check "the attacker's ping is still dropped" check_not_ping 198.51.100.2
check "a new daemon process runs the new release (pid $P1 -> $P2)" sh -c "[ -n '$P2' ] && [ '$P2' != '$P1' ]"
fail_login 203.0.113.20 4
check "the running daemon uses the user's maxretry 4: 4 failures ban 203.0.113.20" wait_until 30 in_set 203.0.113.20

step "apk del logjail"
check "apk del succeeded" apk_cmd del logjail
check "the user's edited /etc/config/logjail stays" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 4 ]'
check_not "apk no longer lists logjail" apk info -e logjail
check_not "no logjail process" pidof logjail
check_not "procd knows no logjail service" sh -c 'ubus call service list | grep -q "\"logjail\""'
check_not "no /etc/rc.d link" sh -c 'ls /etc/rc.d | grep -q logjail'
check_not "no daemon or init script left" sh -c 'ls /usr/sbin/logjail /etc/init.d/logjail'
check_not "no /lib/apk/packages/logjail.* left" sh -c 'ls /lib/apk/packages/logjail.*'
nft list ruleset | grep -n logjail
check_not "no logjail set, rule or table in the kernel" logjail_in_kernel
check "fw4's table is still loaded" nft list chain inet fw4 input_wan
check "the former attacker is answered again" ping_ok 198.51.100.2
check "fw4 reload still works" fw4 -q reload
check "firewall4 is still installed" apk info -e firewall4
summary
