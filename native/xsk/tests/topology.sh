# SPDX-License-Identifier: Apache-2.0
# Sourced by forwarder-test.sh and forwarder-bench.sh: the three-namespace
# topology, the forwarder launch, and the cleanup trap. Every name carries
# the qkxsk prefix and this shell's pid, so parallel runs never collide.
#
#   client ns             proxy ns (forwarder)                  server ns
#   qkxsk-c0 ====veth==== qkxsk-pc            qkxsk-ps ===veth=== qkxsk-s0
#   10.77.1.2 (+ .3)      10.77.1.1           10.77.2.1           10.77.2.2
#   fd00:77:1::2 (+ ::3)  fd00:77:1::1        fd00:77:2::1        fd00:77:2::2
#   (each interface has both families)

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

v4() { echo "10.77.$1"; }
v6() { echo "fd00:77:${1%%.*}::${1##*.}"; }
addr() { if [ "$1" = 4 ]; then v4 "$2"; else v6 "$2"; fi; }

topology_up() {
	local ns f plen pair
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
	# Sockets on veth hand XDP a partial checksum unless TX offload is off
	# (a real NIC delivers full ones); GRO on the peers lets XDP-sent frames in.
	ip netns exec "$ns_c" ethtool -K qkxsk-c0 tx off gro on >/dev/null
	ip netns exec "$ns_s" ethtool -K qkxsk-s0 tx off gro on >/dev/null
}

# start_forwarder MODE DURATION_MS [taskset CPU list or ""] ENDPOINT...
# Sets $fwd and returns once the forwarder printed "ready".
start_forwarder() {
	local mode="$1" duration="$2" cpus="$3" eps=() ep
	shift 3
	for ep in "$@"; do eps+=(--endpoint "$ep"); done
	local pin=()
	[ -n "$cpus" ] && pin=(taskset -c "$cpus")
	ip netns exec "$ns_p" "${pin[@]}" "$bin/forwarder" --iface qkxsk-pc --iface qkxsk-ps "${eps[@]}" \
		--listen 7000 --ports 40000-40999 --mode "$mode" --bpf "$root/bpf/obj/xdp_redirect.bpf.o" \
		--duration-ms "$duration" >"$work/fwd" 2>"$work/fwd-err" &
	fwd=$!
	pids+=("$fwd")
	for _ in $(seq 100); do
		grep -q '^ready' "$work/fwd" && return 0
		kill -0 "$fwd" 2>/dev/null || { cat "$work/fwd-err" >&2; echo "forwarder exited during setup" >&2; exit 1; }
		sleep 0.1
	done
	echo "forwarder not ready after 10 s" >&2
	exit 1
}
