#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end check of the AF_XDP layer with real sockets, in the
# client/proxy/server namespaces of topology.sh.
#
# The client sends to the proxy's listen port; the forwarder (AF_XDP on
# qkxsk-pc and qkxsk-ps, bpf/obj/xdp_redirect.bpf.o) rewrites each frame
# towards the endpoint, with the next hop's MAC from the neighbour table and
# checksums the receiving kernel verifies, and sends the echo back.
# endpoints=server: one endpoint behind qkxsk-ps (frames cross interfaces).
# endpoints=both: also one on the client's own link, reached back out of
# qkxsk-pc (fan-out to two endpoints; the last one reuses the received frame).
#
# usage: forwarder-test.sh ipv4|ipv6|4to6|6to4 native|generic server|both [BURST]
# Prints the forwarder's JSON counters as the last line. Exits 0 when the
# forwarder ran cleanly and every ping (one message at a time, retried) came
# back. The burst (BURST messages at once, default 200, so TX batches exceed
# the 32 descriptors of a copy-mode kick) is reported, not judged: veth may
# drop some of a burst on a loaded 2-vCPU machine (its XDP ring holds 256
# frames), so the caller checks the forwarder's own counters instead.
set -euo pipefail

family="$1" mode="$2" endpoints="${3:-server}" burst="${4:-200}"
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

# The client's family picks the addresses it uses; the endpoint's family
# may differ (4to6, 6to4): the forwarder then switches IPv4 <-> IPv6.
case "$family" in
ipv4) cf=4 ef=4 ;;
ipv6) cf=6 ef=6 ;;
4to6) cf=4 ef=6 ;;
6to4) cf=6 ef=4 ;;
*) echo "family must be ipv4, ipv6, 4to6 or 6to4" >&2; exit 2 ;;
esac
proxy_c="$(addr "$cf" 1.1)" near="$(addr "$ef" 1.3)" server="$(addr "$ef" 2.2)"
if [ "$ef" = 4 ]; then ep_server="$server:9000" ep_near="$near:9001"; else ep_server="[$server]:9000" ep_near="[$near]:9001"; fi

topology_up

ip netns exec "$ns_s" "$bin/udp_peer" echo "$server" 9000 30000 >"$work/echo-server" &
pids+=($!)
ip netns exec "$ns_c" "$bin/udp_peer" echo "$near" 9001 30000 >"$work/echo-near" &
pids+=($!)
eps=("$ep_server")
[ "$endpoints" = both ] && eps+=("$ep_near")
start_forwarder "$mode" 25000 "" "${eps[@]}"

status=0
echo "ping: $(ip netns exec "$ns_c" "$bin/udp_peer" ping "$proxy_c" 7000 20 10000)" || status=1
echo "burst: $(ip netns exec "$ns_c" "$bin/udp_peer" burst "$proxy_c" 7000 "$burst" 5000)" || true

# Where frames were lost, if any: interface drop counters of the proxy.
ip -s -n "$ns_p" link show qkxsk-pc >&2
ip -s -n "$ns_p" link show qkxsk-ps >&2
kill -TERM "$fwd"
wait "$fwd" || { echo "forwarder failed" >&2; status=1; }
cat "$work/fwd-err" >&2
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
echo "server: $(cat "$work/echo-server")"
echo "near: $(cat "$work/echo-near")"
tail -n 1 "$work/fwd"
exit "$status"
