# Host side of the luci scenario (bash, sourced by run.sh's NS_SETUP in the router's network
# and PID namespaces before the chroot; HERE is tests/openwrt). Sets up what LuCI needs in the
# root (uhttpd's LuCI init script, a root password, a read-only LuCI user, HTTP open on the
# WAN for the attacker, luci-base marked installed for opkg and apk), then starts
# luci-browser.py in the background once the scenario writes /tmp/router-ready (its package
# format, ipk or apk, passed as PKG); it writes /tmp/browser-rc and /tmp/browser-done.
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
# The same for apk (OpenWrt 25.12): a marker package luci-base, with no files, made with the
# harness's host `apk mkpkg` and added to the root's apk database, as build.sh does for firewall4.
apk_host=$OWRT/build/apk-tools/src/apk
mk=$TOP/luci-base-marker
mkdir -p "$mk/files"
"$apk_host" mkpkg --info name:luci-base --info version:26.064.00000-r1 --info arch:noarch \
	--info "description:luci-base (files installed by the harness's build-luci.sh)" \
	--files "$mk/files" --output "$mk/luci-base.apk"
"$apk_host" --root "$ROOT" --no-network --allow-untrusted --force-non-repository \
	add "$mk/luci-base.apk" >"$mk/apk-add.log" 2>&1 || cat "$mk/apk-add.log"
(
	i=0
	while [ ! -e "$ROOT/tmp/router-ready" ] && [ $i -lt 1200 ]; do sleep 0.2; i=$((i + 1)); done
	brc=0
	# The scenario writes its package format (ipk or apk) into router-ready.
	PKG=$(cat "$ROOT/tmp/router-ready" 2>/dev/null) ROOT=$ROOT OUT=$TOP/report timeout 200 /usr/bin/python3 "$HERE/luci-browser.py" >"$TOP/report/browser.log" 2>&1 || brc=$?
	echo $brc >"$ROOT/tmp/browser-rc"
	touch "$ROOT/tmp/browser-done"
) &
