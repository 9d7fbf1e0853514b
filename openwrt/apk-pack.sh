# apk-pack.sh: sourced by build-ipk.sh (POSIX sh). Makes the .apk of OpenWrt 25.12 (apk-tools 3)
# from the same inputs as the .ipk: the staged files and the ipk's control directory (control,
# conffiles, postinst, prerm, postrm), the way OpenWrt's include/package-pack.mk does when
# CONFIG_USE_APK is set:
#
#   - the package info comes from the control fields: name, version (X.Y.Z-rN), arch (`all`
#     becomes `noarch`), license, origin (Source), url, maintainer, provides, depends (the
#     comma list as a space list, version constraints without spaces or parentheses), and the
#     description on one line;
#   - the maintainer scripts are wrapped as OpenWrt wraps them: post-install runs base-files'
#     default_postinst (enables and starts the package's init scripts) and then the body of
#     postinst; post-upgrade is post-install with PKG_UPGRADE=1 exported (default_postinst then
#     starts without enabling again); pre-deinstall runs default_prerm (disables and stops)
#     and then the body of prerm; postrm becomes post-deinstall; preinst, if any, becomes
#     pre-install and (with PKG_UPGRADE=1) pre-upgrade. apk runs no pre-deinstall or
#     post-deinstall on an upgrade;
#   - /lib/apk/packages/PKG.list lists the package's files and links (default_postinst and
#     default_prerm read it), /lib/apk/packages/PKG.conffiles the conffiles and
#     /lib/apk/packages/PKG.conffiles_static each existing conffile with its sha256 (what
#     sysupgrade compares to find the edited ones);
#   - `apk mkpkg` writes OUTDIR/PKG-VERSION.apk. With SOURCE_DATE_EPOCH set it stores that
#     time for every file, so the same inputs give the same bytes. File owners are recorded as
#     they are on disk: run as root (or under fakeroot, as OpenWrt does).
#
# apk keeps a user-edited file under /etc on an upgrade (its protected paths) and writes the
# new release's one beside it as FILE.apk-new.

# apk_field CONTROL NAME: the value of field NAME of the control file (first line only).
apk_field() {
	sed -n "s/^$2: //p" "$1" | head -n 1
}

# apk_description CONTROL: the Description field with its continuation lines, on one line.
apk_description() {
	awk '
		/^Description: / { on = 1; sub(/^Description: /, ""); d = $0; next }
		on && /^ / { sub(/^ +/, ""); d = d " " $0; next }
		{ on = 0 }
		END { print d }
	' "$1"
}

# apk_depends "a, b (>= 1.0)": the apk form, "a b>=1.0".
apk_depends() {
	printf '%s\n' "$1" | tr ',' '\n' | tr -d ' ()' | grep . | tr '\n' ' ' | sed 's/ $//'
}

# apk_script_body FILE: FILE without its #! line.
apk_script_body() {
	sed '/^[[:space:]]*#!/d' "$1"
}

# apk_scripts CONTROL_DIR PKG SCRIPT_DIR: writes the apk scripts of the ipk's maintainer
# scripts into SCRIPT_DIR and prints the `--script TYPE:FILE` arguments of `apk mkpkg`, one
# per line.
apk_scripts() {
	cdir=$1
	pkg=$2
	sdir=$3
	# header [noscript]: the lines OpenWrt puts before default_postinst/default_prerm.
	header() {
		echo '#!/bin/sh'
		# shellcheck disable=SC2016 # expanded when the script runs
		[ -z "${1:-}" ] || echo '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0'
		# shellcheck disable=SC2016
		printf '%s\n' '[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0' \
			'. "${IPKG_INSTROOT}/lib/functions.sh"' \
			'export root="${IPKG_INSTROOT}"' \
			"export pkgname=\"$pkg\""
	}
	if [ -f "$cdir/preinst" ]; then
		cp "$cdir/preinst" "$sdir/pre-install"
		{
			printf '#!/bin/sh\nexport PKG_UPGRADE=1\n'
			apk_script_body "$cdir/preinst"
		} >"$sdir/pre-upgrade"
		echo "pre-install:$sdir/pre-install"
		echo "pre-upgrade:$sdir/pre-upgrade"
	fi
	{
		header noscript
		printf 'add_group_and_user\ndefault_postinst\n'
		[ ! -f "$cdir/postinst" ] || apk_script_body "$cdir/postinst"
	} >"$sdir/post-install"
	{
		printf '#!/bin/sh\nexport PKG_UPGRADE=1\n'
		apk_script_body "$sdir/post-install"
	} >"$sdir/post-upgrade"
	{
		header
		printf 'default_prerm\n'
		[ ! -f "$cdir/prerm" ] || apk_script_body "$cdir/prerm"
	} >"$sdir/pre-deinstall"
	echo "post-install:$sdir/post-install"
	echo "post-upgrade:$sdir/post-upgrade"
	echo "pre-deinstall:$sdir/pre-deinstall"
	if [ -f "$cdir/postrm" ]; then
		cp "$cdir/postrm" "$sdir/post-deinstall"
		echo "post-deinstall:$sdir/post-deinstall"
	fi
	chmod 0755 "$sdir"/*
}

# apk_pack APK DATA_DIR CONTROL_DIR WORK_DIR OUTDIR: packs DATA_DIR (the files, as staged for
# the ipk; not modified) with the metadata and scripts of CONTROL_DIR into
# OUTDIR/PKG-VERSION.apk using APK (apk-tools 3), and prints its path. Runs in a subshell: it
# sets no variable of its caller.
apk_pack() (
	apk=$1
	data=$2
	cdir=$3
	awork=$4
	aout=$5
	control=$cdir/control
	"$apk" --version 2>/dev/null | grep -q '^apk-tools 3\.' ||
		{ echo "apk-pack: $apk is not apk-tools 3 (it has no mkpkg)" >&2 && return 1; }
	name=$(apk_field "$control" Package)
	aversion=$(apk_field "$control" Version)
	aarch=$(apk_field "$control" Architecture)
	[ "$aarch" != all ] || aarch=noarch
	if [ -z "$name" ] || [ -z "$aversion" ] || [ -z "$aarch" ]; then
		echo "apk-pack: $control lacks Package, Version or Architecture" >&2
		return 1
	fi

	command -v sha256sum >/dev/null || { echo "apk-pack: no sha256sum" >&2 && return 1; }

	# Called in an AND-OR list (`apk_pack ... || die`), where sh ignores `set -e`: each step
	# is checked.
	files=$awork/files
	sdir=$awork/scripts
	meta=$files/lib/apk/packages
	{
		rm -rf "$awork" && mkdir -p "$awork" "$sdir" && cp -Rp "$data" "$files" &&
			mkdir -p "$meta" && chmod 0755 "$files/lib" "$files/lib/apk" "$meta" &&
			(cd "$files" && find . \( -type f -o -type l \)) >"$awork/found" &&
			sed 's|^\.||' "$awork/found" | LC_ALL=C sort >"$meta/$name.list"
	} || { echo "apk-pack: cannot stage the files in $awork" >&2 && return 1; }
	if [ -s "$cdir/conffiles" ]; then
		cp "$cdir/conffiles" "$meta/$name.conffiles" || return 1
		while IFS= read -r f; do
			[ -f "$files/$f" ] || continue
			sum=$(sha256sum <"$files/$f") || return 1
			printf '%s %s\n' "$f" "${sum%% *}"
		done <"$cdir/conffiles" >"$meta/$name.conffiles_static" || return 1
	fi
	chmod 0644 "$meta"/* || return 1

	set -- mkpkg \
		--info "name:$name" \
		--info "version:$aversion" \
		--info "description:$(apk_description "$control")" \
		--info "arch:$aarch" \
		--info "license:$(apk_field "$control" License)" \
		--info "origin:$(apk_field "$control" Source)" \
		--info "url:$(apk_field "$control" URL)" \
		--info "maintainer:$(apk_field "$control" Maintainer)"
	provides=$(apk_field "$control" Provides)
	[ -z "$provides" ] || set -- "$@" --info "provides:$(apk_depends "$provides")"
	apk_scripts "$cdir" "$name" "$sdir" >"$awork/scripts.args" ||
		{ echo "apk-pack: cannot write the scripts in $sdir" >&2 && return 1; }
	while IFS= read -r s; do
		set -- "$@" --script "$s"
	done <"$awork/scripts.args"
	set -- "$@" --info "depends:$(apk_depends "$(apk_field "$control" Depends)")"
	out=$aout/$name-$aversion.apk
	"$apk" "$@" --files "$files" --output "$out.tmp" >&2 ||
		{ rm -f "$out.tmp" && echo "apk-pack: apk mkpkg failed" >&2 && return 1; }
	mv "$out.tmp" "$out"
	echo "$out"
)
