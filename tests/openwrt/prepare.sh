#!/bin/bash
# prepare.sh BINARY|--userland: build the OpenWrt userland of ../shared/openwrt into target/owrt
# and the packages the scenarios install, from BINARY (a host build of logjail):
#   target/owrt/pkgs/logjail_V-r1_ARCH.ipk   the package as openwrt/build-ipk.sh makes it
#   target/owrt/pkgs/logjail_V-r2_ARCH.ipk   the same with PKG_RELEASE 2 and a shipped config
#                                            that differs (for `opkg upgrade`)
#   target/owrt/pkgs/logjail-V-r1.apk, -r2.apk  the same as apk-tools 3 packages (APK=, made
#                                            with the harness's host `apk mkpkg`)
#   target/owrt/feed/Packages.gz, target/owrt/apk-feed/packages.adb  repositories of release 2
#   target/owrt/build/jsonpath-head/jsonpath jsonfilter at upstream HEAD (does not read stdin)
# The userland comes from shared/openwrt beside the checkout (LOGJAIL_OWRT_SHARED overrides;
# from a git worktree, beside the main checkout). OWRT_TARGET: the target directory (default
# target/). Idempotent; about 10-20 s when built. With --userland, only the userland (and its host
# apk-tools, target/owrt/build/apk-tools/src/apk, for `apk mkpkg`).
set -euo pipefail
bin=${1:?usage: prepare.sh BINARY|--userland}
repo=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "prepare.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (namespaces, chroot, nf_tables); CI runs as root"
shared=${LOGJAIL_OWRT_SHARED:-}
if [ -z "$shared" ]; then
	for c in "$repo/../shared/openwrt" \
		"$(dirname "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo /nonexistent/x)")/../shared/openwrt"; do
		[ -f "$c/build.sh" ] && { shared=$(cd "$c" && pwd); break; }
	done
fi
[ -n "$shared" ] && [ -f "$shared/build.sh" ] ||
	die "no OpenWrt userland harness: expected shared/openwrt beside the checkout ($repo/../shared/openwrt) or LOGJAIL_OWRT_SHARED"
owrt=${OWRT_TARGET:-$repo/target}/owrt
mkdir -p "$owrt"
# Refresh the scripts and sources (build.sh re-unpacks a tarball only when it is newer).
cp -r --preserve=timestamps "$shared/." "$owrt/"
chmod -R u+w "$owrt"
log=$owrt/build.log
echo "prepare.sh: building the userland from $shared (log: $log)"
"$owrt/build.sh" >"$log" 2>&1 || { tail -40 "$log"; die "build.sh failed"; }
tail -1 "$log"
[ "$bin" != --userland ] || exit 0
# jsonfilter at upstream HEAD, for the procd_running regression (as the harness's example).
jh=$owrt/build/jsonpath-head
if [ ! -x "$jh/jsonpath" ] || [ "$owrt/tarballs/jsonpath-head.tar.gz" -nt "$jh/jsonpath" ]; then
	rm -rf "$jh"
	tar -C "$owrt/build" -xzf "$owrt/tarballs/jsonpath-head.tar.gz"
	(cd "$jh" && CFLAGS="-I$owrt/root/usr/include" LDFLAGS="-L$owrt/root/usr/lib" \
		cmake -S . -B . -DCMAKE_PREFIX_PATH="$owrt/root/usr" >/dev/null &&
		make -j2 >/dev/null 2>&1) || die "jsonpath-head did not build"
fi
# The packages. With APK, build-ipk.sh makes each package as an .apk too (`apk mkpkg`).
arch=$(uname -m)
apk=$owrt/build/apk-tools/src/apk
[ -x "$apk" ] || die "build.sh made no host apk-tools ($apk)"
export APK=$apk
pk=$owrt/pkgs
rm -rf "$pk"
mkdir -p "$pk"
sh "$repo/openwrt/build-ipk.sh" "$bin" "$arch" "$pk" >/dev/null
sh "$repo/openwrt/build-ipk.sh" --app "$repo/openwrt/luci-app-logjail" "$pk" >/dev/null
v2=$owrt/pkg-r2
rm -rf "$v2"
mkdir -p "$v2"
cp "$repo/Cargo.toml" "$v2/"
cp -r "$repo/openwrt" "$v2/"
sed -i 's/^PKG_RELEASE:=.*/PKG_RELEASE:=2/' "$v2/openwrt/logjail/Makefile"
printf '\n# Shipped with release 2.\n' >>"$v2/openwrt/logjail/files/logjail.config"
sh "$v2/openwrt/build-ipk.sh" "$bin" "$arch" "$pk" >/dev/null
ls "$pk"
# A feed holding release 2, for `opkg update && opkg upgrade logjail` (Packages.gz as
# OpenWrt's ipkg-make-index.sh writes it: the control fields, Filename, Size, SHA256sum).
feed=$owrt/feed
rm -rf "$feed"
mkdir -p "$feed"
for ipk in "$pk"/*-r2_*.ipk; do
	cp "$ipk" "$feed/"
	tar -xzOf "$ipk" ./control.tar.gz | tar -xzOf - ./control | grep -v '^Installed-Size' 
	printf 'Filename: %s\nSize: %s\nSHA256sum: %s\n\n' "$(basename "$ipk")" "$(stat -c %s "$ipk")" \
		"$(sha256sum "$ipk" | cut -d' ' -f1)"
done | gzip -n >"$feed/Packages.gz"
# An apk repository holding release 2, for `apk update && apk upgrade logjail`: packages.adb
# as `apk mkndx` writes it (OpenWrt 25.12's feeds are such indexes, packages beside them).
afeed=$owrt/apk-feed
rm -rf "$afeed"
mkdir -p "$afeed"
cp "$pk"/*-r2.apk "$afeed/"
"$apk" mkndx --allow-untrusted --output "$afeed/packages.adb" "$afeed"/*.apk >/dev/null
