#!/bin/sh
# Where the bytes of the release binary go: builds TARGET (default mips-unknown-linux-musl)
# with exactly the release flags of cross/env.sh's build_release, but unstripped, then prints
#   - the stripped size (llvm-strip of a copy; what cross/sizes.sh measures, within bytes),
#   - the biggest functions and data symbols (`llvm-nm --size-sort -S -C`),
#   - totals per crate and per logjail module (logjail::cmd, logjail::lapi, std, core,
#     alloc, regex_lite, argh, postcard, nix, musl's C library…).
#   cross/size-report.sh [TARGET] [TOP]        TOP: how many symbols to list (default 40)
# The unstripped build has its own target directory (target/cross-size), so it never
# replaces the stripped binaries cross/sizes.sh reports. Needs llvm-nm and llvm-strip
# (Debian's `llvm`), which read every router ELF.
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

target=${1:-mips-unknown-linux-musl}
top=${2:-40}
NM=${NM:-$(command -v llvm-nm || command -v llvm-nm-14 || true)}
STRIP=${STRIP:-$(command -v llvm-strip || command -v llvm-strip-14 || true)}
if [ -z "$NM" ] || [ -z "$STRIP" ]; then
	echo "size-report: needs llvm-nm and llvm-strip (apt-get install llvm)" >&2
	exit 1
fi

LOGJAIL_CROSS_TARGET_DIR=${SIZE_REPORT_TARGET_DIR:-$LOGJAIL_ROOT/target/cross-size}
CARGO_TARGET_DIR=$LOGJAIL_CROSS_TARGET_DIR
export CARGO_TARGET_DIR
if [ "${SIZE_REPORT_BUILD:-1}" = 1 ]; then
	step "unstripped release build $target"
	CARGO_PROFILE_RELEASE_STRIP=false build_release "$target" >&2
fi
bin=$(release_bin "$target")
stripped=$LOGJAIL_CROSS_TARGET_DIR/$target/logjail.stripped
"$STRIP" --strip-all -o "$stripped" "$bin"
bytes=$(wc -c <"$stripped" | tr -d ' ')
echo "target:   $target"
echo "stripped: $bytes bytes ($(((bytes + 1023) / 1024)) KiB)"
echo "symbols:  $(wc -c <"$bin" | tr -d ' ') bytes unstripped"

syms=$LOGJAIL_CROSS_TARGET_DIR/$target/logjail.syms
# size, type, demangled name (decimal): text (t/T), read-only (r/R) and data (d/D/b/B) alike;
# aliases (one address, several names, as musl's weak aliases) count once.
"$NM" --size-sort -S -C --radix=d "$bin" |
	awk 'NF >= 4 && $2 + 0 > 0 && !seen[$1]++ { s = $2 + 0; $1 = ""; $2 = ""; sub(/^  /, ""); print s "\t" $0 }' >"$syms"

printf '\n== biggest %s symbols (bytes, type, name)\n' "$top"
sort -t "$(printf '\t')" -k1,1 -n -r "$syms" | head -n "$top" |
	awk -F '\t' '{ printf "%8d  %s\n", $1, $2 }'

printf '\n== per crate / module (bytes of symbols; generic code counts where it was instantiated)\n'
awk -F '\t' '
function owner(name,    n, m, parts) {
	# "<T as Trait>::f" and "<impl …>": the path of the type or trait that comes first
	n = name
	sub(/^[tTrRdDbBvVwW] /, "", n)
	gsub(/^<+(&(mut )?)?(dyn )?/, "", n)
	if (n ~ /^(logjail)::/) {
		split(n, parts, "::")
		m = parts[2]
		sub(/[<\[ ].*/, "", m)
		return "logjail::" m
	}
	if (n ~ /^[A-Za-z_][A-Za-z0-9_]*::/) { split(n, parts, "::"); return parts[1] }
	if (n ~ /^\[/) return "slices/arrays"
	if (n ~ /^\(/) return "tuples"
	if (n ~ /^_?ZN/ || n ~ /^_R/) return "(mangled)"
	return "C (musl, compiler-rt)"
}
{ size = $1 + 0; tot[owner($2)] += size; all += size }
END {
	for (k in tot) printf "%8d  %5.1f%%  %s\n", tot[k], 100 * tot[k] / all, k
	printf "%8d  100.0%%  (all symbols)\n", all
}' "$syms" | sort -k1,1 -n -r
