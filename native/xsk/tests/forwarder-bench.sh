#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Throughput of the test forwarder (client -> server direction, IPv4,
# 64-byte payloads) in the namespaces of topology.sh. xdp_gen sends live
# frames out of the client veth far faster than a socket could; the
# forwarder runs pinned to one CPU in native XDP mode (XDP_TX into a veth
# needs an XDP program on the peer, which the forwarder's is). Bounded: at
# most COUNT frames or SECONDS. Not a test; prints one result line.
#
# usage: forwarder-bench.sh [SECONDS=3] [COUNT=20000000] [FWD_CPU=1] [GEN_CPU=0]
set -euo pipefail

seconds="${1:-3}" count="${2:-20000000}" fwd_cpu="${3:-1}" gen_cpu="${4:-0}"
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

topology_up
start_forwarder native $(((${seconds%.*} + 10) * 1000)) "$fwd_cpu" "$(v4 2.2):9000"
pc_mac="$(ip -j -n "$ns_p" link show qkxsk-pc | sed -n 's/.*"address":"\([0-9a-f:]*\)".*/\1/p')"
gen="$(ip netns exec "$ns_c" taskset -c "$gen_cpu" "$bin/xdp_gen" "$bin/xdp_gen.bpf.o" qkxsk-c0 "$pc_mac" \
	"$(v4 1.2)" "$(v4 1.1)" 7000 "$count" "$seconds")"
sleep 0.2
kill -TERM "$fwd"
wait "$fwd"
report="$(tail -n 1 "$work/fwd")"
gen_s="$(echo "$gen" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')"
tx="$(echo "$report" | sed -n 's/^{"rx":[0-9]*,"tx":\([0-9]*\).*/\1/p')"
rx="$(echo "$report" | sed -n 's/^{"rx":\([0-9]*\).*/\1/p')"
echo "generator: $gen"
cpu_s="$(echo "$report" | sed -n 's/.*"cpu_s":\([0-9.]*\)}$/\1/p')"
echo "forwarder: rx=$rx tx=$tx over ${gen_s}s = $(awk -v t="$tx" -v s="$gen_s" 'BEGIN { printf "%.0f", t / s }') pps forwarded;" \
	"$(awk -v t="$tx" -v c="$cpu_s" 'BEGIN { printf "%.0f", t / c }') packets per CPU-second (cpu ${cpu_s}s)"
echo "$report"
