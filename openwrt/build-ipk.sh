#!/bin/sh
# build-ipk.sh BINARY ARCH OUTDIR
#
# Packs a cross-built logjail binary and the files of openwrt/logjail/ into an .ipk that
# opkg installs: OUTDIR/logjail_VERSION_ARCH.ipk. Needs nothing but a POSIX sh, tar, gzip
# and od; with GNU tar the archives are reproducible (SOURCE_DATE_EPOCH, sorted, root-owned).
#
#   ARCH is OpenWrt's package architecture: mips_24kc, mipsel_24kc,
#   arm_cortex-a7_neon-vfpv4, aarch64_cortex-a53, x86_64, ...
#
# The ipk is what OpenWrt's ipkg-build makes: a gzipped tar of ./debian-binary ("2.0"),
# ./data.tar.gz (the files) and ./control.tar.gz (control, conffiles, postinst, prerm,
# postrm). Installed-Size is the size of the uncompressed data tar in bytes.
#
# With APK=PATH (apk-tools 3, whose `apk mkpkg` OpenWrt 25.12 uses; it also needs sha256sum)
# it also makes the .apk from the same files, control fields and scripts:
# OUTDIR/logjail-VERSION.apk, as OpenWrt's include/package-pack.mk does with CONFIG_USE_APK
# (see apk-pack.sh); it prints the ipk's path, then the apk's. The apk's name has no
# architecture, as in OpenWrt's per-arch feeds: use one OUTDIR per architecture.
set -eu
umask 022

# build-ipk.sh --app PKGDIR OUTDIR: a package without a binary (architecture all), such as
# openwrt/luci-app-logjail; see build-app-ipk.sh.
if [ "${1:-}" = --app ]; then
	shift
	exec sh "$(dirname -- "$0")/build-app-ipk.sh" "$@"
fi

usage() {
	echo "usage: $0 BINARY ARCH OUTDIR" >&2
	exit 2
}
[ $# -eq 3 ] || usage
bin=$1
arch=$2
outdir=$3

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
pkgdir=$here/logjail
root=$(dirname -- "$here")

die() {
	echo "build-ipk: $*" >&2
	exit 1
}

[ -f "$bin" ] || die "$bin: no such file"
case $arch in
'' | *[!A-Za-z0-9_.+-]*) die "'$arch' is not an OpenWrt package architecture" ;;
esac

# The binary must be for the architecture named: an aarch64 binary in a mips_24kc package
# would install fine and then not run.
elf_byte() { od -An -tu1 -j"$2" -N1 "$1" | tr -d ' '; }
[ "$(od -An -c -j1 -N3 "$bin" | tr -d ' ')" = ELF ] || die "$bin is not an ELF executable"
class=$(elf_byte "$bin" 4) # 1: 32-bit, 2: 64-bit
data=$(elf_byte "$bin" 5)  # 1: little-endian, 2: big-endian
if [ "$data" = 2 ]; then
	machine=$(($(elf_byte "$bin" 18) * 256 + $(elf_byte "$bin" 19)))
else
	machine=$(($(elf_byte "$bin" 19) * 256 + $(elf_byte "$bin" 18)))
fi
case $arch in
mips64el_*) want="2 1 8" ;;
mips64_*) want="2 2 8" ;;
mipsel_*) want="1 1 8" ;;
mips_*) want="1 2 8" ;;
arm_*) want="1 1 40" ;;
aarch64_* | aarch64) want="2 1 183" ;;
x86_64) want="2 1 62" ;;
i386_*) want="1 1 3" ;;
*) want="" ;;
esac
if [ -z "$want" ]; then
	echo "build-ipk: warning: cannot check that $bin suits '$arch'" >&2
elif [ "$class $data $machine" != "$want" ]; then
	die "$bin (ELF class $class, data $data, machine $machine) is not a binary for $arch"
fi

version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
release=$(sed -n 's/^PKG_RELEASE:=\([0-9]*\)$/\1/p' "$pkgdir/Makefile")
[ -n "$version" ] || die "no version in $root/Cargo.toml"
[ -n "$release" ] || die "no PKG_RELEASE in $pkgdir/Makefile"
grep -q "^PKG_VERSION:=$version\$" "$pkgdir/Makefile" ||
	die "PKG_VERSION in $pkgdir/Makefile is not Cargo.toml's $version"
# opkg and apk (OpenWrt 25.12) both accept digits and dots with an -rN release.
case $version in
*[!0-9.]* | .* | *. | *..*) die "version '$version' is not digits and dots" ;;
esac
full_version=$version-r$release

mkdir -p "$outdir"
outdir=$(CDPATH='' cd -- "$outdir" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/logjail-ipk.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# --- data: the files, with OpenWrt's modes (INSTALL_BIN 0755, INSTALL_CONF 0600, 0644) ---
d=$work/data
mkdir -p "$d/usr/sbin" "$d/etc/init.d" "$d/etc/config" "$d/usr/share/nftables.d"
cp "$bin" "$d/usr/sbin/logjail"
chmod 0755 "$d/usr/sbin/logjail"
cp "$pkgdir/files/logjail.init" "$d/etc/init.d/logjail"
chmod 0755 "$d/etc/init.d/logjail"
cp "$pkgdir/files/logjail.config" "$d/etc/config/logjail"
chmod 0600 "$d/etc/config/logjail"
if [ -d "$pkgdir/files/nftables.d" ]; then
	(cd "$pkgdir/files/nftables.d" && find . -type f) | while IFS= read -r f; do
		mkdir -p "$d/usr/share/nftables.d/$(dirname -- "$f")"
		cp "$pkgdir/files/nftables.d/$f" "$d/usr/share/nftables.d/$f"
		chmod 0644 "$d/usr/share/nftables.d/$f"
	done
else
	echo "build-ipk: warning: no fw4 include in $pkgdir/files/nftables.d" >&2
fi
find "$d" -type d -exec chmod 0755 {} +

# --- tar flags: reproducible and root-owned where tar is GNU tar ---
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
	set -- --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch"
else
	set --
	[ "$(id -u)" = 0 ] || echo "build-ipk: warning: not GNU tar and not root: files will not be root-owned" >&2
fi
pack() { # pack DIR TARFLAGS... > OUT.tar.gz
	dir=$1
	shift
	(cd "$dir" && tar "$@" -cf - .) | gzip -n -9
}

pack "$d" "$@" >"$work/data.tar.gz"
installed_size=$(gzip -dc "$work/data.tar.gz" | wc -c | tr -d ' ')

# --- control ---
c=$work/control
mkdir -p "$c"
cat >"$c/control" <<CONTROL
Package: logjail
Version: $full_version
Depends: firewall4
Source: feeds/logjail/logjail
SourceName: logjail
License: MIT
Section: net
Maintainer: logjail developers
Architecture: $arch
Installed-Size: $installed_size
Description: Intrusion prevention: bans hosts that fail logins, in fw4 sets.
 Reads the system log, matches failed logins of dropbear, sshd and LuCI, and bans
 offenders with kernel timeouts in fw4's sets, dropped on WAN input and forward.
CONTROL
echo /etc/config/logjail >"$c/conffiles"
for s in postinst prerm postrm; do
	cp "$pkgdir/scripts/$s" "$c/$s"
	chmod 0755 "$c/$s"
done
chmod 0644 "$c/control" "$c/conffiles"
pack "$c" "$@" >"$work/control.tar.gz"

# --- the ipk ---
printf '2.0\n' >"$work/debian-binary"
chmod 0644 "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"
ipk=$outdir/logjail_${full_version}_${arch}.ipk
(cd "$work" && tar "$@" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) |
	gzip -n -9 >"$ipk.tmp"
mv "$ipk.tmp" "$ipk"
echo "$ipk"

# --- the apk (OpenWrt 25.12): the same files, fields and scripts, packed by `apk mkpkg` ---
if [ -n "${APK:-}" ]; then
	# shellcheck source=openwrt/apk-pack.sh
	. "$here/apk-pack.sh"
	apk_pack "$APK" "$d" "$c" "$work/apk" "$outdir" || die "no apk made"
fi
