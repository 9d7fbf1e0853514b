#!/bin/sh
# Builds static release binaries for the router targets without Docker:
#   cross/build-all.sh                 all five targets
#   cross/build-all.sh TARGET...       only these (e.g. mips-unknown-linux-musl)
# Binaries land in target/cross/TARGET/release/logjail; each one is run under qemu
# (`logjail --version`, `logjail test dropbear` on cross/sample/dropbear.log) and the sizes
# are reported against the budget.
set -eu
# shellcheck source=cross/env.sh
. "$(dirname -- "$0")/env.sh"

"$LOGJAIL_ROOT/cross/install-deps.sh"

# shellcheck disable=SC2086 # a list of words
[ $# -gt 0 ] || set -- $LOGJAIL_TARGETS

for t in "$@"; do
	step "build $t"
	build_release "$t"
done
for t in "$@"; do
	step "smoke test $t"
	smoke "$t"
done

"$LOGJAIL_ROOT/cross/sizes.sh" "$@"
