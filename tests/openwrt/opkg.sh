#!/bin/sh
# opkg: install (postinst reloads fw4, enables and starts the service under procd), upgrade
# to a newer release (a user-edited conffile and the active bans are kept), remove (service
# stopped, no logjail set, rule or process left).
. /usr/share/owrt-test/lib.sh
boot

step "opkg: firewall4 is installed, logjail is not"
check "opkg status lists firewall4 as installed" sh -c 'opkg status firewall4 | grep -q "Status: install user installed"'
check_not "no logjail set before install" logjail_in_kernel

step "opkg install logjail_*-r1"
check "opkg install succeeded" install_pkg 1
check "opkg lists logjail 0.1.0-r1 installed" sh -c 'opkg list-installed | grep -qx "logjail - 0.1.0-r1"'
check "postinst reloaded fw4: set logjail_v4 in inet fw4" nft list set inet fw4 logjail_v4
check "postinst reloaded fw4: set logjail_v6 in inet fw4" nft list set inet fw4 logjail_v6
check "postinst reloaded fw4: input_wan drops @logjail_v4" sh -c 'nft list chain inet fw4 input_wan | grep -q "ip saddr @logjail_v4 counter .* drop"'
check "postinst reloaded fw4: forward_wan drops @logjail_v6" sh -c 'nft list chain inet fw4 forward_wan | grep -q "ip6 saddr @logjail_v6 counter .* drop"'
check "postinst enabled the service: /etc/rc.d/S60logjail" test -L /etc/rc.d/S60logjail
check "postinst started the service: procd reports it running" wait_until 30 svc_running
check "the daemon is ready" ready
P1=$(lj_pid)
check "a logjail process runs (pid $P1)" test -n "$P1"

step "a ban through the real path: logger -> logd -> logread -f -> logjail -> fw4 set"
fail_login 203.0.113.9 5
check "203.0.113.9 banned in inet fw4 logjail_v4 within 3 s" wait_until 30 in_set 203.0.113.9
check "the attacker's ping is dropped" check_not_ping 198.51.100.2

step "the user edits the conffile (uci set + commit: maxretry 5 -> 4)"
uci set logjail.dropbear.maxretry=4
uci commit logjail
check "uci wrote the edit" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 4 ]'

step "opkg update + opkg upgrade logjail from a feed with release 2 (its shipped config differs)"
echo "src/gz logjail file:///root/feed" >>/etc/opkg.conf
check "opkg update reads the feed" opkg update
check "opkg list-upgradable offers logjail 0.1.0-r2" sh -c 'opkg list-upgradable | grep -q "^logjail - 0.1.0-r1 - 0.1.0-r2"'
opkg upgrade logjail >/tmp/opkg-upgrade.out 2>&1
r=$?
cat /tmp/opkg-upgrade.out
check "opkg upgrade succeeded" [ "$r" = 0 ]
check "opkg lists logjail 0.1.0-r2 installed" sh -c 'opkg list-installed | grep -qx "logjail - 0.1.0-r2"'
check "the user's edit is kept (maxretry 4)" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 4 ]'
check "the user's file was not replaced by the new shipped one" sh -c '! grep -q "Shipped with release 2" /etc/config/logjail'
check "the new shipped one is beside it as /etc/config/logjail-opkg" grep -q "Shipped with release 2" /etc/config/logjail-opkg
check "the service runs after the upgrade" ready "$P1"
P2=$(lj_pid)
echo "pid before upgrade $P1, after $P2"; show_ps
check "the ban is still in the set" in_set 203.0.113.9
check "the upgraded daemon lists the ban (state kept)" sh -c 'logjail list | grep -q 203.0.113.9'
check "the attacker's ping is still dropped" check_not_ping 198.51.100.2
check "a new daemon process runs the new release (pid $P1 -> $P2)" sh -c "[ -n '$P2' ] && [ '$P2' != '$P1' ]"
fail_login 203.0.113.20 4
check "the running daemon uses the user's maxretry 4: 4 failures ban 203.0.113.20" wait_until 30 in_set 203.0.113.20

step "opkg remove logjail"
opkg remove logjail >/tmp/opkg-remove.out 2>&1
r=$?
cat /tmp/opkg-remove.out
check "opkg remove succeeded" [ "$r" = 0 ]
check_not "opkg no longer lists logjail" sh -c 'opkg list-installed | grep -q "^logjail "'
check_not "no logjail process" pidof logjail
check_not "procd knows no logjail service" sh -c 'ubus call service list | grep -q "\"logjail\""'
check_not "no /etc/rc.d link" sh -c 'ls /etc/rc.d | grep -q logjail'
nft list ruleset | grep -n logjail
check_not "no logjail set, rule or table in the kernel" logjail_in_kernel
check "fw4's table is still loaded" nft list chain inet fw4 input_wan
check "the former attacker is answered again" ping_ok 198.51.100.2
check "fw4 reload still works" fw4 -q reload
summary
