#!/bin/sh
# UCI: the shipped /etc/config/logjail edited with the real uci command line and through
# rpcd's ubus uci object (LuCI's path), then applied: `uci commit` alone applies nothing,
# `/etc/init.d/logjail reload` and a commit through rpcd (config.change -> procd) do.
. /usr/share/owrt-test/lib.sh
boot
check "opkg install" install_pkg
check "the service is ready" ready
P=$(lj_pid)

step "the shipped file as uci reads it"
check "uci show logjail parses the shipped file" uci show logjail
check "main source" sh -c '[ "$(uci get logjail.main.source)" = "logread -f" ]'
check "jail dropbear: maxretry 5" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 5 ]'
check "the shipped file carries comments" grep -q '^#' /etc/config/logjail

step "uci set + uci commit (command line): maxretry 5 -> 2"
N0=$(reloads)
uci set logjail.dropbear.maxretry=2
uci set logjail.main.loglevel=debug
uci commit logjail
check "uci commit wrote the value" grep -q "option maxretry '2'" /etc/config/logjail
check_not "uci commit dropped the comments (guidance lives in docs/ and the man pages)" grep -q '^#' /etc/config/logjail
check "logjail check accepts the rewritten file" logjail check -c /etc/config/logjail
sleep 2
check "a plain uci commit does not reload the daemon (procd sees no event)" [ "$(reloads)" = "$N0" ]
fail_login 203.0.113.40 2
sleep 1.5
check_not "so 2 failures do not ban yet (still maxretry 5)" in_set 203.0.113.40

step "/etc/init.d/logjail reload applies it"
/etc/init.d/logjail reload
check "reloaded" wait_until 20 sh -c "[ \$(logread -e logjail | grep -ci reload) -gt $N0 ]"
check "same process" [ "$(lj_pid)" = "$P" ]
fail_login 203.0.113.41 2
check "maxretry 2 in effect: 2 failures ban 203.0.113.41" wait_until 30 in_set 203.0.113.41

step "rpcd's ubus uci set + commit (what LuCI uses) -> config.change -> procd -> reload"
cp /usr/share/owrt-test/rpcd.config /etc/config/rpcd
rpcd >/tmp/rpcd.log 2>&1 &
check "rpcd registered ubus object uci" wait_until 30 sh -c 'ubus list | grep -qx uci'
N1=$(reloads)
check "ubus call uci set maxretry 3" ubus call uci set '{"config":"logjail","section":"dropbear","values":{"maxretry":"3"}}'
check "ubus call uci commit logjail" ubus call uci commit '{"config":"logjail"}'
check "rpcd's commit reloaded the daemon" wait_until 40 sh -c "[ \$(logread -e logjail | grep -ci reload) -gt $N1 ]"
check "same process" [ "$(lj_pid)" = "$P" ]
check "the file holds maxretry 3" sh -c '[ "$(uci get logjail.dropbear.maxretry)" = 3 ]'
fail_login 203.0.113.42 2
sleep 1.5
check_not "2 failures no longer ban (maxretry 3)" in_set 203.0.113.42
fail_login 203.0.113.43 3
check "3 failures ban 203.0.113.43" wait_until 30 in_set 203.0.113.43

step "reload_config"
if [ -x /sbin/reload_config ]; then
	uci set logjail.dropbear.maxretry=4
	uci commit logjail
	N2=$(reloads)
	reload_config
	check "reload_config reloaded the daemon" wait_until 40 sh -c "[ \$(logread -e logjail | grep -ci reload) -gt $N2 ]"
else
	echo "NOT CHECKED: /sbin/reload_config is not in the harness's root (base-files' script is missing)"
fi

step "an invalid value through uci: reload refused, daemon keeps its config"
uci set logjail.dropbear.findtime=soon
uci commit logjail
check_not "/etc/init.d/logjail reload refuses it" /etc/init.d/logjail reload
check "logread names the file and line" sh -c 'logread -e logjail | grep -q "/etc/config/logjail:[0-9]*: .*findtime"'
check "same process" [ "$(lj_pid)" = "$P" ]
summary
