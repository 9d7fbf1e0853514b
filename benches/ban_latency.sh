#!/bin/sh
# Ban latency benchmark: log line -> nf_tables set element (median/p99 over 1000 bans), and
# 10 000-element batches (daemon re-install after a table re-creation, backend block_many).
# Needs nft (nftables), ip (iproute2) and unprivileged user namespaces (`unshare -Urn`).
# Usage: benches/ban_latency.sh            (builds release binaries first)
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin logjail --example ban_latency
root=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
inc=openwrt/logjail/files/nftables.d
{
	echo 'table inet fw4 {'
	cat "$inc/table-pre/logjail.nft"
	echo '	chain input { type filter hook input priority filter; policy accept; }'
	echo '	chain input_wan {'
	cat "$inc/chain-pre/input_wan/logjail.nft"
	echo '	}'
	echo '}'
} > "$scratch/fw4.nft"
echo "kernel $(uname -r), $(nproc) CPUs, $(nft --version)"
unshare -Urn sh -c "nft -f '$scratch/fw4.nft' && '$root/target/release/examples/ban_latency' '$root/target/release/logjail' '$scratch'"
