#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end check of the AF_XDP layer with real sockets:
#
#   client ns             proxy ns (forwarder)                  server ns
#   qkxsk-c0 ====veth==== qkxsk-pc            qkxsk-ps ===veth=== qkxsk-s0
#   10.77.1.2 (+ .3)      10.77.1.1           10.77.2.1           10.77.2.2
#   fd00:77:1::2 (+ ::3)  fd00:77:1::1        fd00:77:2::1        fd00:77:2::2
#   (each interface has both families)
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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="$here/../build"
tag="qkxsk$$"
ns_c="$tag-c" ns_p="$tag-p" ns_s="$tag-s"
work="$(mktemp -d)"
pids=()

cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in "$ns_c" "$ns_p" "$ns_s"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

# The client's family picks the addresses it uses; the endpoint's family
# may differ (4to6, 6to4): the forwarder then switches IPv4 <-> IPv6.
case "$family" in
ipv4) cf=4 ef=4 ;;
ipv6) cf=6 ef=6 ;;
4to6) cf=4 ef=6 ;;
6to4) cf=6 ef=4 ;;
*) echo "family must be ipv4, ipv6, 4to6 or 6to4" >&2; exit 2 ;;
esac
v4() { echo "10.77.$1"; }
v6() { echo "fd00:77:${1%%.*}::${1##*.}"; }
addr() { if [ "$1" = 4 ]; then v4 "$2"; else v6 "$2"; fi; }
proxy_c="$(addr "$cf" 1.1)" near="$(addr "$ef" 1.3)" server="$(addr "$ef" 2.2)"
if [ "$ef" = 4 ]; then ep_server="$server:9000" ep_near="$near:9001"; else ep_server="[$server]:9000" ep_near="[$near]:9001"; fi

for ns in "$ns_c" "$ns_p" "$ns_s"; do
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$ns" link set lo up
done
# One rx queue per veth: the forwarder binds queue 0 of each interface.
ip link add qkxsk-c0 netns "$ns_c" numtxqueues 1 numrxqueues 1 type veth peer name qkxsk-pc netns "$ns_p" numtxqueues 1 numrxqueues 1
ip link add qkxsk-s0 netns "$ns_s" numtxqueues 1 numrxqueues 1 type veth peer name qkxsk-ps netns "$ns_p" numtxqueues 1 numrxqueues 1
for f in 4 6; do
	if [ "$f" = 4 ]; then plen=24; else plen=64; fi
	ip -n "$ns_c" addr add "$(addr $f 1.2)/$plen" dev qkxsk-c0
	ip -n "$ns_c" addr add "$(addr $f 1.3)/$plen" dev qkxsk-c0
	ip -n "$ns_p" addr add "$(addr $f 1.1)/$plen" dev qkxsk-pc
	ip -n "$ns_p" addr add "$(addr $f 2.1)/$plen" dev qkxsk-ps
	ip -n "$ns_s" addr add "$(addr $f 2.2)/$plen" dev qkxsk-s0
done
for pair in "$ns_c qkxsk-c0" "$ns_p qkxsk-pc" "$ns_p qkxsk-ps" "$ns_s qkxsk-s0"; do
	set -- $pair
	ip -n "$1" link set "$2" up
done
# Sockets on veth hand XDP a partial checksum unless TX offload is off (a
# real NIC delivers full ones); GRO on the peers lets XDP-sent frames in.
ip netns exec "$ns_c" ethtool -K qkxsk-c0 tx off gro on >/dev/null
ip netns exec "$ns_s" ethtool -K qkxsk-s0 tx off gro on >/dev/null

ip netns exec "$ns_s" "$bin/udp_peer" echo "$server" 9000 30000 >"$work/echo-server" &
pids+=($!)
ip netns exec "$ns_c" "$bin/udp_peer" echo "$near" 9001 30000 >"$work/echo-near" &
pids+=($!)
eps=(--endpoint "$ep_server")
[ "$endpoints" = both ] && eps+=(--endpoint "$ep_near")
ip netns exec "$ns_p" "$bin/forwarder" --iface qkxsk-pc --iface qkxsk-ps "${eps[@]}" --listen 7000 \
	--ports 40000-40999 --mode "$mode" --bpf "$root/bpf/obj/xdp_redirect.bpf.o" \
	--duration-ms 25000 >"$work/fwd" 2>"$work/fwd-err" &
fwd=$!
pids+=("$fwd")
for _ in $(seq 100); do
	grep -q '^ready' "$work/fwd" && break
	kill -0 "$fwd" 2>/dev/null || { cat "$work/fwd-err" >&2; echo "forwarder exited during setup" >&2; exit 1; }
	sleep 0.1
done
grep -q '^ready' "$work/fwd" || { echo "forwarder not ready after 10 s" >&2; exit 1; }

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
