#!/bin/sh
# Reports the size of each built release binary against the budget.
#   cross/sizes.sh [TARGET...]     default: every target that has been built
# Informational by default (exit status 0 even over budget). With SIZE_BUDGET=enforce it
# exits 1 when any binary is over its budget, or when a target asked for by name has not been
# built; cross/ci.sh enforces (docs/size.md).
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

named=$#
# shellcheck disable=SC2086 # a list of words
[ $# -gt 0 ] || set -- $LOGJAIL_TARGETS

enforce=${SIZE_BUDGET:-report}
case $enforce in
report | enforce) ;;
*) echo "sizes: SIZE_BUDGET is 'report' or 'enforce', not '$enforce'" >&2 && exit 2 ;;
esac
over=0
printf '%-34s %10s %9s %8s  %s\n' target bytes KiB budget verdict
for t in "$@"; do
	bin=$(release_bin "$t")
	if [ ! -f "$bin" ]; then
		printf '%-34s %10s\n' "$t" "not built"
		[ "$named" -eq 0 ] || over=$((over + 1))
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
		verdict="OVER by $((kib - budget)) KiB"
		over=$((over + 1))
	fi
	static=static
	if command -v file >/dev/null 2>&1; then
		file "$bin" | grep -q 'statically linked' || static="NOT STATIC"
	fi
	printf '%-34s %10s %9s %8s  %s (%s)\n' "$t" "$bytes" "$kib" "$budget" "$verdict" "$static"
done
if [ "$over" -gt 0 ] && [ "$enforce" = enforce ]; then
	echo "sizes: $over binaries over budget or missing (SIZE_BUDGET=enforce)" >&2
	exit 1
fi
