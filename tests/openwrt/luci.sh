#!/bin/sh
# luci-app-logjail on real LuCI (uhttpd + rpcd + LuCI from the harness), both packages
# installed with opkg; the browser part runs host-side in this network namespace
# (luci.host.sh starts tests/openwrt/luci-browser.py once /tmp/router-ready exists) and its
# PASS/FAIL lines are printed here. Before it: the rpcd exec plugin by hand (ubus call).
. /usr/share/owrt-test/lib.sh
boot
check "opkg install logjail" install_pkg
check "opkg install luci-app-logjail (architecture all)" sh -c 'opkg install /root/luci-app-logjail_*_all.ipk'
check "the service is ready" ready

step "rpcd with the exec plugin, uhttpd with LuCI"
rpcd >/tmp/rpcd.log 2>&1 &
# first boot: /etc/uci-defaults (luci-theme-bootstrap's), as /etc/init.d/boot runs them
for f in /etc/uci-defaults/*; do [ -f "$f" ] && sh "$f" && rm -f "$f"; done
check "rpcd publishes luci.logjail (exec plugin /usr/libexec/rpcd/luci.logjail)" wait_until 50 sh -c 'ubus list | grep -qx luci.logjail'
check "ubus -v list shows the methods' signatures" sh -c 'ubus -v list luci.logjail | grep -q "\"test\":{\"filter\":\"String\",\"lines\":\"String\"}"'
check "ubus call luci.logjail status: the daemon is running" sh -c "ubus call luci.logjail status | grep -q '\"running\": true'"
check "ubus call luci.logjail jails: the shipped jails" sh -c "ubus call luci.logjail jails | grep -q '\"name\": \"luci\"'"
check "ubus call luci.logjail ban" sh -c "ubus call luci.logjail ban '{\"jail\":\"dropbear\",\"address\":\"203.0.113.77\",\"time\":600}' | grep -q '\"count\": 1'"
check "the manual ban is in the kernel set" in_set 203.0.113.77
check "ubus call luci.logjail bans lists it with its origin" sh -c "ubus call luci.logjail bans | grep -A6 203.0.113.77 | grep -q '\"origin\": \"logjail\"'"
check "ubus call luci.logjail unban names it" sh -c "ubus call luci.logjail unban '{\"address\":\"203.0.113.77\"}' | grep -q 203.0.113.77"
check_not "unban lifted it from the kernel set" in_set 203.0.113.77
check "bad arguments get a JSON error, not a crash" sh -c "ubus call luci.logjail unban '{\"address\":\"1.2.3.4; reboot\"}' | grep -q '\"error\": \"unban: address'"
/etc/init.d/uhttpd start
check "procd runs uhttpd with LuCI" wait_until 50 sh -c "ubus call service list '{\"name\":\"uhttpd\"}' | grep -q uhttpd.uc"

step "the browser (host side, this network namespace)"
touch /tmp/router-ready
wait_until 2400 test -e /tmp/browser-done >/dev/null
cat /report/browser.log 2>/dev/null
check "the browser script passed every step" [ "$(cat /tmp/browser-rc 2>/dev/null)" = 0 ]
check "/etc/config/logjail holds the maxretry set in the browser" sh -c '[ "$(uci get logjail.luci.maxretry)" = 3 ]'
check "no uci changes left pending (apply confirmed, not rolled back)" sh -c '[ -z "$(uci changes logjail)" ]'
logread | grep -E 'dispatcher.uc|logjail|uhttpd|rpcd' | tail -40
summary
