#!/bin/sh
# fw4: check/print/reload/restart/stop/start/reload-sets with the package's include files and
# OpenWrt's default /etc/config/firewall (lan + wan zones); the attacker's traffic (IPv4 and
# IPv6) dropped while neighbours are answered; bans back within 1 s of fw4 restart and start;
# then a WAN zone named otherwise, with the recipe of docs/nftables.md, and its removal.
. /usr/share/owrt-test/lib.sh
boot
check "opkg install" install_pkg
check "the service is ready" ready

step "fw4 check / print with the package's includes"
check "fw4 check passes" fw4 check
fw4 print >/tmp/fw4.nft 2>&1
check "fw4 print includes table-pre/logjail.nft" grep -q 'include "/usr/share/nftables.d/table-pre/logjail.nft"' /tmp/fw4.nft
check "fw4 print includes chain-pre/input_wan/logjail.nft" grep -q 'include "/usr/share/nftables.d/chain-pre/input_wan/logjail.nft"' /tmp/fw4.nft
check "fw4 print includes chain-pre/forward_wan/logjail.nft" grep -q 'include "/usr/share/nftables.d/chain-pre/forward_wan/logjail.nft"' /tmp/fw4.nft
check "logjail's v4 drop is input_wan's first rule" sh -c 'nft list chain inet fw4 input_wan | sed -n 3p | grep -q "ip saddr @logjail_v4 counter .* drop"'
check "logjail's v4 drop is forward_wan's first rule" sh -c 'nft list chain inet fw4 forward_wan | sed -n 3p | grep -q "ip saddr @logjail_v4 counter .* drop"'

step "before any ban, everyone is answered"
check "203.0.113.9 -> 198.51.100.2 answered" ping_ok 198.51.100.2
check "2001:db8:bad::1 -> 2001:db8:1::2 answered" ping_ok -I 2001:db8:bad::1 2001:db8:1::2

step "bans from log lines: 203.0.113.9 and 2001:db8:bad::1 (as a /64)"
fail_login 203.0.113.9
fail_login 2001:db8:bad::1
check "203.0.113.9 banned" wait_until 30 in_set 203.0.113.9
check "2001:db8:bad::/64 banned" wait_until 30 in_set 2001:db8:bad::/64 logjail_v6
traffic() { # WHEN
	check_not "$1: the attacker's ping (203.0.113.9) is dropped" ping_ok 198.51.100.2
	check "$1: the neighbour 203.0.113.10 is answered" ping_ok -I 203.0.113.10 198.51.100.2
	check_not "$1: the IPv6 attacker 2001:db8:bad::1 is dropped" ping_ok -I 2001:db8:bad::1 2001:db8:1::2
	check "$1: the IPv6 neighbour 2001:db8:beef::1 is answered" ping_ok -I 2001:db8:beef::1 2001:db8:1::2
}
traffic "banned"

step "fw4 reload: the elements are kept"
check "fw4 reload" fw4 -q reload
check "right after fw4 reload: 203.0.113.9 in the set" in_set 203.0.113.9
check "right after fw4 reload: 2001:db8:bad::/64 in the set" in_set 2001:db8:bad::/64 logjail_v6
traffic "after fw4 reload"

back_within_1s() { # WHAT
	check "$1: 203.0.113.9 back within 1 s" wait_until 10 in_set 203.0.113.9
	echo "    (after $WAITED tenths of a second)"
	check "$1: 2001:db8:bad::/64 back within 1 s" wait_until 10 in_set 2001:db8:bad::/64 logjail_v6
}
step "fw4 restart: the table is deleted and re-created, logjail re-installs its bans"
check "fw4 restart" fw4 -q restart
back_within_1s "fw4 restart"
traffic "after fw4 restart"

step "fw4 stop, then start"
check "fw4 stop" fw4 -q stop
check_not "no fw4 table while stopped" nft list table inet fw4
sleep 1
check "logjail keeps running without the table" svc_running
check "fw4 start" fw4 -q start
back_within_1s "fw4 start"
traffic "after fw4 stop/start"

step "fw4 reload-sets"
check "fw4 reload-sets" fw4 -q reload-sets
check "after reload-sets: 203.0.113.9 in the set" wait_until 10 in_set 203.0.113.9

step "/etc/init.d/firewall restart and reload (through procd)"
/etc/init.d/firewall restart
back_within_1s "/etc/init.d/firewall restart"
/etc/init.d/firewall reload
check "after /etc/init.d/firewall reload: 203.0.113.9 in the set" wait_until 10 in_set 203.0.113.9

step "a WAN zone named 'internet' (not 'wan')"
sed -i "s/^\(\toption \(name\|src\|dest\)\t*\)wan$/\1internet/" /etc/config/firewall
check "the firewall config now has zone internet and no zone wan" sh -c 'uci show firewall | grep -q "^firewall.@zone\[1\].name=.internet.$" && ! grep -q "^[[:space:]]*option.*[[:space:]]wan$" /etc/config/firewall'
check "fw4 reload" fw4 -q reload
check "chain input_internet exists" nft list chain inet fw4 input_internet
check_not "without the recipe, input_internet has no logjail rule" sh -c 'nft list chain inet fw4 input_internet | grep -q logjail'
check "without the recipe, the banned attacker is answered (the gap the recipe closes)" ping_ok 198.51.100.2
echo "recipe (docs/nftables.md): copy the chain-pre files to input_ZONE/forward_ZONE, then fw4 reload"
for c in input forward; do
	mkdir -p /usr/share/nftables.d/chain-pre/${c}_internet
	cp /usr/share/nftables.d/chain-pre/${c}_wan/logjail.nft /usr/share/nftables.d/chain-pre/${c}_internet/
done
check "fw4 check passes" fw4 check
check "fw4 reload" fw4 -q reload
check "logjail's v4 drop is input_internet's first rule" sh -c 'nft list chain inet fw4 input_internet | sed -n 3p | grep -q "ip saddr @logjail_v4 counter .* drop"'
check "logjail's v6 drop is in forward_internet" sh -c 'nft list chain inet fw4 forward_internet | grep -q "ip6 saddr @logjail_v6 counter .* drop"'
traffic "zone internet"
check "fw4 restart" fw4 -q restart
back_within_1s "zone internet, fw4 restart"
traffic "zone internet, after fw4 restart"

step "opkg remove with the recipe's copies in place"
check "opkg remove logjail" opkg remove logjail
check_not "the copies are gone too" sh -c 'ls /usr/share/nftables.d/chain-pre/*/logjail.nft'
check "fw4 reload still works" fw4 -q reload
check_not "no logjail set, rule or table in the kernel" logjail_in_kernel
check "the former attacker is answered" ping_ok 198.51.100.2
summary
