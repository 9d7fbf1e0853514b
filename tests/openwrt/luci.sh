#!/bin/sh
# luci-app-logjail on real LuCI (uhttpd + rpcd + LuCI from the harness), both packages
# installed with opkg, or with PKG=apk with apk-tools 3 (OpenWrt 25.12); the browser part runs
# host-side in this network namespace (luci.host.sh starts tests/openwrt/luci-browser.py once
# /tmp/router-ready exists) and its PASS/FAIL lines are printed here. Before it: the rpcd exec
# plugin by hand (ubus call). With PKG=apk the browser checks the Status page with a ban, then
# (after /tmp/browser-phase1) `apk del luci-app-logjail` removes the files and the browser
# (after /tmp/router-removed) finds no menu entry and no page.
. /usr/share/owrt-test/lib.sh
PKG=${PKG:-ipk}
boot
if [ "$PKG" = apk ]; then
	step "apk (OpenWrt 25.12): apk add logjail and luci-app-logjail"
	check "apk's database lists luci-base (the harness's LuCI) and firewall4" sh -c 'apk info -e luci-base && apk info -e firewall4'
	check "apk add logjail" sh -c 'apk add --allow-untrusted --no-cache /root/logjail-*-r1.apk'
	check "apk add luci-app-logjail" sh -c 'apk add --allow-untrusted --no-cache /root/luci-app-logjail-*.apk'
	check "apk lists luci-app-logjail 0.1.0-r1 (noarch) installed" sh -c 'apk list --installed luci-app-logjail | grep -q "^luci-app-logjail-0.1.0-r1 noarch "'
	check "apk records its dependencies logjail and luci-base" sh -c 'apk info -R luci-app-logjail | grep -qx logjail && apk info -R luci-app-logjail | grep -qx luci-base'
	check "/lib/apk/packages/luci-app-logjail.list names the menu entry and the rpcd plugin" sh -c 'grep -qx /usr/share/luci/menu.d/luci-app-logjail.json /lib/apk/packages/luci-app-logjail.list && grep -qx /usr/libexec/rpcd/luci.logjail /lib/apk/packages/luci-app-logjail.list'
	cp /lib/apk/packages/luci-app-logjail.list /tmp/luci-app.list
else
	check "opkg install logjail" install_pkg
	check "opkg install luci-app-logjail (architecture all)" sh -c 'opkg install /root/luci-app-logjail_*_all.ipk'
fi
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
echo "$PKG" >/tmp/router-ready
if [ "$PKG" = apk ]; then
	wait_until 2400 sh -c 'test -e /tmp/browser-phase1 || test -e /tmp/browser-done' >/dev/null
	step "apk del luci-app-logjail"
	check "apk del luci-app-logjail" sh -c 'apk del luci-app-logjail'
	check_not "apk no longer lists luci-app-logjail" apk info -e luci-app-logjail
	check "every file of its .list is gone ($(wc -l </tmp/luci-app.list) files)" sh -c 'while read -r f; do [ ! -e "$f" ] || { echo "left: $f"; exit 1; }; done </tmp/luci-app.list'
	check_not "no menu entry (/usr/share/luci/menu.d/luci-app-logjail.json)" ls /usr/share/luci/menu.d/luci-app-logjail.json
	check_not "no /lib/apk/packages/luci-app-logjail.* left" sh -c 'ls /lib/apk/packages/luci-app-logjail.*'
	check "logjail and luci-base stay installed" sh -c 'apk info -e logjail && apk info -e luci-base'
	check "the daemon still runs" ready
	touch /tmp/router-removed
fi
wait_until 2400 test -e /tmp/browser-done >/dev/null
cat /report/browser.log 2>/dev/null
check "the browser script passed every step" [ "$(cat /tmp/browser-rc 2>/dev/null)" = 0 ]
if [ "$PKG" != apk ]; then
	check "/etc/config/logjail holds the maxretry set in the browser" sh -c '[ "$(uci get logjail.luci.maxretry)" = 3 ]'
	check "no uci changes left pending (apply confirmed, not rolled back)" sh -c '[ -z "$(uci changes logjail)" ]'
fi
logread | grep -E 'dispatcher.uc|logjail|uhttpd|rpcd' | tail -40
summary
