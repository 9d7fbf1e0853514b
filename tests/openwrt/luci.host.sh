# Host side of the luci scenario (bash, sourced by run.sh's NS_SETUP in the router's network
# and PID namespaces before the chroot; HERE is tests/openwrt). Sets up what LuCI needs in the
# root (uhttpd's LuCI init script, a root password, a read-only LuCI user, HTTP open on the
# WAN for the attacker), then starts luci-browser.py in the background once the scenario
# touches /tmp/router-ready; it writes /tmp/browser-rc and /tmp/browser-done.
install -m 755 "$OWRT/fixtures/uhttpd-luci.init" "$ROOT/etc/init.d/uhttpd"
cp "$OWRT/fixtures/etc/config/system" "$ROOT/etc/config/"
cat "$OWRT/fixtures/firewall-allow-http.config" >>"$ROOT/etc/config/firewall"
printf 'root:%s:19000:0:99999:7:::\n' "$(openssl passwd -1 -salt owrttest root)" >"$ROOT/etc/shadow"
cp "$OWRT/fixtures/rpcd.config" "$ROOT/etc/config/rpcd"
# viewer: the ACL's read groups only (rpcd's crypt password form, not a system user)
printf "\nconfig login\n\toption username 'viewer'\n\toption password '%s'\n\tlist read '*'\n" \
	"$(openssl passwd -1 -salt owrttest viewer)" >>"$ROOT/etc/config/rpcd"
# LuCI came from build-luci.sh, not from opkg: tell opkg that luci-base is installed, as the
# harness does for firewall4, so luci-app-logjail's dependency is met.
printf 'Package: luci-base\nVersion: 26.064.00000~daf2e0b\nStatus: install user installed\nArchitecture: all\nInstalled-Time: 1700000000\n\n' >>"$ROOT/usr/lib/opkg/status"
(
	i=0
	while [ ! -e "$ROOT/tmp/router-ready" ] && [ $i -lt 1200 ]; do sleep 0.2; i=$((i + 1)); done
	brc=0
	ROOT=$ROOT OUT=$TOP/report timeout 200 /usr/bin/python3 "$HERE/luci-browser.py" >"$TOP/report/browser.log" 2>&1 || brc=$?
	echo $brc >"$ROOT/tmp/browser-rc"
	touch "$ROOT/tmp/browser-done"
) &
