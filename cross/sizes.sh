#!/bin/sh
# Reports the size of each built release binary against the budget (informational: the
# exit status is 0 even over budget; CI prints this, it does not gate on it).
#   cross/sizes.sh [TARGET...]     default: every target that has been built
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

budget_kib() {
	case $1 in
	mips-* | mipsel-*) echo 600 ;;
	armv7-* | aarch64-*) echo 450 ;;
	*) echo "" ;;
	esac
}

# shellcheck disable=SC2086 # a list of words
[ $# -gt 0 ] || set -- $LOGJAIL_TARGETS

printf '%-34s %10s %9s %8s  %s\n' target bytes KiB budget verdict
for t in "$@"; do
	bin=$(release_bin "$t")
	if [ ! -f "$bin" ]; then
		printf '%-34s %10s\n' "$t" "not built"
		continue
	fi
	bytes=$(wc -c <"$bin" | tr -d ' ')
	kib=$(((bytes + 1023) / 1024))
	budget=$(budget_kib "$t")
	if [ -z "$budget" ]; then
		verdict="-"
		budget="-"
	elif [ "$kib" -le "$budget" ]; then
		verdict=ok
	else
		verdict=OVER
	fi
	static=static
	if command -v file >/dev/null 2>&1; then
		file "$bin" | grep -q 'statically linked' || static="NOT STATIC"
	fi
	printf '%-34s %10s %9s %8s  %s (%s)\n' "$t" "$bytes" "$kib" "$budget" "$verdict" "$static"
done
