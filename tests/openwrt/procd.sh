#!/bin/sh
# procd: /etc/init.d/logjail enable|disable|start|stop|restart|reload, boot order after the
# firewall, respawn after kill -9 with the bans restored, the config.change trigger, a
# broken config keeping the running daemon, reload reaching a running daemon and starting a
# stopped one. With JSONFILTER=head, /usr/bin/jsonfilter is upstream HEAD (it no longer reads
# stdin, so procd.sh's procd_running is always false): reload must not depend on it.
. /usr/share/owrt-test/lib.sh
boot
if [ "$JSONFILTER" = head ]; then
	step "jsonfilter = upstream HEAD e5a07f4"
	ln -sf jsonpath-head /usr/bin/jsonfilter
fi
check "opkg install (postinst starts the service)" install_pkg
check "the service runs" ready

step "procd_running as procd.sh answers it, with this jsonfilter ($JSONFILTER)"
if [ "$JSONFILTER" = head ]; then
	check_not "premise: procd_running says the running service is not running" sh -c '. /lib/functions/procd.sh; procd_running logjail'
else
	check "premise: procd_running sees the running service" sh -c '. /lib/functions/procd.sh; procd_running logjail'
fi

step "enable / disable / boot order"
ls /etc/rc.d
check "enabled: S60logjail and K10logjail" sh -c 'test -L /etc/rc.d/S60logjail && test -L /etc/rc.d/K10logjail'
check "boot order: the firewall (S19) starts before logjail" sh -c 'ls /etc/rc.d | grep "^S" | grep -n "firewall\|logjail" | tr "\n" " " | grep -q "firewall.*logjail"'
/etc/init.d/logjail disable
check_not "disable removed the rc.d links" sh -c 'ls /etc/rc.d | grep -q logjail'
check_not "/etc/init.d/logjail enabled says no" /etc/init.d/logjail enabled
/etc/init.d/logjail enable
check "enable put S60logjail back" test -L /etc/rc.d/S60logjail
check "/etc/init.d/logjail enabled says yes" /etc/init.d/logjail enabled

step "stop / start"
/etc/init.d/logjail stop
check "stop: no logjail process" wait_until 30 sh -c '! pidof logjail >/dev/null'
check_not "stop: procd reports nothing running" svc_running
/etc/init.d/logjail start
check "start: procd reports it running" svc_running
check "start: the daemon is ready" ready
fail_login 203.0.113.9
check "a ban from logger lines (203.0.113.9)" wait_until 30 in_set 203.0.113.9

step "restart"
P1=$(lj_pid)
/etc/init.d/logjail restart
check "restart: a new process answers" ready "$P1"
P2=$(lj_pid)
echo "pid $P1 -> $P2"
check "restart: the daemon lists the ban" sh -c 'logjail list | grep -q 203.0.113.9'

step "kill -9; while it is dead, fw4 restart empties the sets; procd respawns it (5 s)"
kill -9 "$P2"
fw4 -q restart
check_not "the ban is gone from the kernel while logjail is dead" in_set 203.0.113.9
check "procd respawned logjail within 9 s" wait_until 90 new_daemon "$P2"
echo "respawned after $WAITED tenths of a second"
ready "$P2"
P3=$(lj_pid)
check "the respawned daemon restored the ban into the set" wait_until 20 in_set 203.0.113.9
check "the respawned daemon lists the ban" sh -c 'logjail list | grep -q 203.0.113.9'

step "reload of a running daemon"
N0=$(logread -e logjail | grep -c "reload asked on the control socket")
/etc/init.d/logjail reload
check "reload reached the daemon over its control socket" wait_until 20 sh -c "[ \$(logread -e logjail | grep -c 'reload asked on the control socket') -gt $N0 ]"
check "reload kept the process ($P3)" [ "$(lj_pid)" = "$P3" ]

step "the config.change event (what reload_config and LuCI send) -> procd trigger -> reload"
uci set logjail.dropbear.maxretry=3
uci commit logjail
N1=$(reloads)
ubus call service event '{"type":"config.change","data":{"package":"logjail"}}'
check "config.change reloaded the daemon" wait_until 40 sh -c "[ \$(logread -e logjail | grep -ci reload) -gt $N1 ]"
check "still the same process ($P3)" [ "$(lj_pid)" = "$P3" ]
fail_login 203.0.113.30 3
check "the new maxretry 3 is in effect: 3 failures ban 203.0.113.30" wait_until 30 in_set 203.0.113.30

step "a broken config: reload refused, the running daemon keeps going"
cp /etc/config/logjail /tmp/logjail.good
uci set logjail.dropbear.maxretry=lots
uci commit logjail
check_not "/etc/init.d/logjail reload fails" /etc/init.d/logjail reload
check "the error names file and line in logread" sh -c 'logread -e logjail | grep -q "/etc/config/logjail:[0-9]*:"'
ubus call service event '{"type":"config.change","data":{"package":"logjail"}}'
sleep 2
check "the daemon still runs, same process ($P3)" [ "$(lj_pid)" = "$P3" ]
fail_login 203.0.113.31 3
check "and still bans with its last good config" wait_until 30 in_set 203.0.113.31
cp /tmp/logjail.good /etc/config/logjail

step "reload when the control socket moved in the new file: SIGHUP through procd"
uci set logjail.main.control_socket=/var/run/logjail/moved.sock
uci commit logjail
N2=$(logread -e logjail | grep -c SIGHUP)
/etc/init.d/logjail reload
check "the daemon got SIGHUP and reloaded" wait_until 20 sh -c "[ \$(logread -e logjail | grep -c 'SIGHUP: reloading') -gt $N2 ]"
check "same process ($P3)" [ "$(lj_pid)" = "$P3" ]
cp /tmp/logjail.good /etc/config/logjail
/etc/init.d/logjail reload

step "reload when the daemon is not running starts it"
/etc/init.d/logjail stop
check "stopped" wait_until 30 sh -c '! pidof logjail >/dev/null'
/etc/init.d/logjail reload
check "reload started it" ready "$P3"
check "and it lists the bans" sh -c 'logjail list | grep -q 203.0.113.9'

step "stop: the bans stay in the kernel on their timeouts"
/etc/init.d/logjail stop
check "no logjail process" wait_until 30 sh -c '! pidof logjail >/dev/null'
check "the ban is still in the set" in_set 203.0.113.9
step "boot order in action: everything stopped, then /etc/rc.d/S* boot in order (as procd's rcS)"
fw4 -q stop
check_not "no fw4 table" nft list table inet fw4
for s in /etc/rc.d/S*; do
	echo "$s boot"
	"$s" boot >/dev/null 2>&1
done
check "the firewall came up" nft list chain inet fw4 input_wan
check "logjail came up after it" ready
check "and re-installed its bans into fw4's new table" wait_until 20 in_set 203.0.113.9
/etc/init.d/logjail stop
echo "--- logread -e logjail"
logread -e logjail | tail -30
summary
