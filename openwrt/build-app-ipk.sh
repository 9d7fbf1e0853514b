#!/bin/sh
# build-app-ipk.sh PKGDIR OUTDIR (or: build-ipk.sh --app PKGDIR OUTDIR)
#
# Packs a package without a binary, laid out like the LuCI applications tree (htdocs/, root/,
# a Makefile using luci.mk), into an .ipk of architecture `all`: OUTDIR/NAME_VERSION_all.ipk,
# NAME being the directory's name (luci-app-logjail). Installs what luci.mk's
# Package/install does: htdocs/* under /www, root/* under /, with luci.mk's postinst (drop
# LuCI's caches, reload rpcd so it sees the new ACL and exec plugin). Version, release and
# dependencies come from the Makefile (PKG_VERSION, PKG_RELEASE, LUCI_DEPENDS, LUCI_TITLE).
# Same ipk structure and reproducible tars as build-ipk.sh.
set -eu
umask 022
[ $# -eq 2 ] || { echo "usage: $0 PKGDIR OUTDIR" >&2; exit 2; }
pkgdir=$(CDPATH='' cd -- "$1" && pwd)
outdir=$2
name=$(basename -- "$pkgdir")
die() {
	echo "build-app-ipk: $*" >&2
	exit 1
}
mk() { sed -n "s/^$1:=\\(.*\\)\$/\\1/p" "$pkgdir/Makefile" | head -n 1; }
version=$(mk PKG_VERSION)
release=$(mk PKG_RELEASE)
title=$(mk LUCI_TITLE)
# +luci-base +logjail -> luci-base, logjail
depends=$(mk LUCI_DEPENDS | tr ' ' '\n' | sed -n 's/^+//p' | paste -sd, - | sed 's/,/, /g')
[ -n "$version" ] && [ -n "$release" ] || die "no PKG_VERSION/PKG_RELEASE in $pkgdir/Makefile"
case $version in
*[!0-9.]* | .* | *. | *..*) die "version '$version' is not digits and dots" ;;
esac
full_version=$version-r$release

mkdir -p "$outdir"
outdir=$(CDPATH='' cd -- "$outdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/logjail-app-ipk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

d=$work/data
mkdir -p "$d"
[ ! -d "$pkgdir/htdocs" ] || { mkdir -p "$d/www" && cp -pR "$pkgdir/htdocs/." "$d/www/"; }
[ ! -d "$pkgdir/root" ] || cp -pR "$pkgdir/root/." "$d/"
find "$d" -type d -exec chmod 0755 {} +
find "$d" -type f ! -perm -u+x -exec chmod 0644 {} +
find "$d" -type f -perm -u+x -exec chmod 0755 {} +

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$pkgdir" log -1 --format=%ct 2>/dev/null || date +%s)}
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	set -- --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch"
else
	set --
fi
pack() { # pack DIR TARFLAGS... > OUT.tar.gz
	dir=$1
	shift
	(cd "$dir" && tar "$@" -cf - .) | gzip -n -9
}
pack "$d" "$@" >"$work/data.tar.gz"
installed_size=$(gzip -dc "$work/data.tar.gz" | wc -c | tr -d ' ')

c=$work/control
mkdir -p "$c"
cat >"$c/control" <<CONTROL
Package: $name
Version: $full_version
Depends: $depends
Source: feeds/logjail/$name
SourceName: $name
License: MIT
Section: luci
Architecture: all
Installed-Size: $installed_size
Description: $title
CONTROL
cat >"$c/postinst" <<'POSTINST'
#!/bin/sh
[ -n "${IPKG_INSTROOT}" ] || {
	rm -f /tmp/luci-indexcache.*
	rm -rf /tmp/luci-modulecache/
	/etc/init.d/rpcd reload 2>/dev/null
	exit 0
}
POSTINST
chmod 0644 "$c/control"
chmod 0755 "$c/postinst"
pack "$c" "$@" >"$work/control.tar.gz"

printf '2.0\n' >"$work/debian-binary"
chmod 0644 "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"
ipk=$outdir/${name}_${full_version}_all.ipk
(cd "$work" && tar "$@" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) |
	gzip -n -9 >"$ipk.tmp"
mv "$ipk.tmp" "$ipk"
echo "$ipk"
if [ -n "${APK:-}" ]; then
	# The same package as an apk (OpenWrt 25.12), from the same staged files and control.
	# shellcheck source=openwrt/apk-pack.sh
	. "$(dirname -- "$0")/apk-pack.sh"
	apk_pack "$APK" "$d" "$c" "$work/apk" "$outdir" || die "no apk made"
fi
