#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark topology: three network namespaces joined by veth pairs.
#
#   PREFIX-c (client)              PREFIX-p (proxy)            PREFIX-s (server)
#   PREFIXbr 10.N.1.2,.3,.4
#    |- PREFIXc0 <--------------->  PREFIXpc 10.N.1.1
#    |                              PREFIXps 10.N.2.1 <------->  PREFIXs0 10.N.2.2
#    '- PREFIXcs <-------------------------------------------->  PREFIXs1 10.N.1.5/32
#
# Two-armed subjects (kernel forwarding, nginx, socket proxies, the XDP ceiling) reach
# the server at 10.N.2.2 through PREFIXps. A one-armed proxy (`proxy xdp` serves one
# interface and sends every packet back out of it) reaches the server at 10.N.1.5 on
# the client segment: PREFIXbr is a bridge in the client namespace that joins the
# proxy's PREFIXpc and the server's second interface. The server routes only the
# proxy's 10.N.1.1 through PREFIXs1, so replies to clients still cross the proxy.
#
# Usage: netns.sh up|down PREFIX N [PROXY_CPU GEN_CPU]
# Addresses exist only inside these namespaces. The proxy namespace forwards IPv4
# (the kernel-forwarding subject) and steers its receive work (RPS) to PROXY_CPU; the
# client and server namespaces steer theirs to GEN_CPU. Checksum offload is off on
# every veth (so XDP sees full checksums) and GRO is on (so XDP_TX/redirect into a
# veth without an XDP program on the peer is delivered, not silently dropped).
set -euo pipefail
action="${1:?up|down}"; P="${2:?prefix}"; N="${3:?second octet}"
proxy_cpu="${4:-0}"; gen_cpu="${5:-1}"

down() {
  for ns in "$P-c" "$P-p" "$P-s"; do
    if ip netns list | grep -qw -- "$ns"; then
      # Anything still running in our own namespaces was started by this benchmark.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  ip link del "${P}c0" 2>/dev/null || true
  ip link del "${P}ps" 2>/dev/null || true
  ip link del "${P}cs" 2>/dev/null || true
}

mac() { ip -n "$1" -br link show dev "$2" | awk '{print $3}'; }

tune() { # tune NS DEV CPU_MASK
  ip netns exec "$1" ethtool -K "$2" tx off gro on >/dev/null
  ip netns exec "$1" sh -c "echo $3 > /sys/class/net/$2/queues/rx-0/rps_cpus"
}

up() {
  down
  for ns in "$P-c" "$P-p" "$P-s"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip link add "${P}c0" netns "$P-c" type veth peer name "${P}pc" netns "$P-p"
  ip link add "${P}ps" netns "$P-p" type veth peer name "${P}s0" netns "$P-s"
  ip link add "${P}cs" netns "$P-c" type veth peer name "${P}s1" netns "$P-s"
  ip -n "$P-c" link add "${P}br" type bridge
  ip -n "$P-c" link set "${P}br" address "$(mac "$P-c" "${P}c0")"
  ip -n "$P-c" link set "${P}c0" master "${P}br"
  ip -n "$P-c" link set "${P}cs" master "${P}br"
  local pmask gmask
  pmask=$(printf '%x' $((1 << proxy_cpu))); gmask=$(printf '%x' $((1 << gen_cpu)))
  for h in 2 3 4; do ip -n "$P-c" addr add "10.$N.1.$h/24" dev "${P}br"; done
  ip -n "$P-p" addr add "10.$N.1.1/24" dev "${P}pc"
  ip -n "$P-p" addr add "10.$N.2.1/24" dev "${P}ps"
  ip -n "$P-s" addr add "10.$N.2.2/24" dev "${P}s0"
  ip -n "$P-s" addr add "10.$N.1.5/32" dev "${P}s1"
  ip -n "$P-c" link set "${P}br" up
  for pair in "$P-c ${P}c0 $gmask" "$P-c ${P}cs $gmask" "$P-p ${P}pc $pmask" "$P-p ${P}ps $pmask" \
    "$P-s ${P}s0 $gmask" "$P-s ${P}s1 $gmask"; do
    set -- $pair
    ip -n "$1" link set "$2" up
    tune "$1" "$2" "$3"
  done
  ip -n "$P-c" route add "10.$N.2.0/24" via "10.$N.1.1"
  ip -n "$P-s" route add "10.$N.1.1/32" dev "${P}s1"
  ip -n "$P-s" route add "10.$N.1.0/24" via "10.$N.2.1"
  ip netns exec "$P-s" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  ip netns exec "$P-p" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.all.send_redirects=0
  # Static neighbours: the first measured packets never wait for ARP, and the
  # generator's extra client addresses resolve without answering ARP themselves.
  local cmac pcmac psmac smac s1mac
  cmac=$(mac "$P-c" "${P}br"); pcmac=$(mac "$P-p" "${P}pc")
  psmac=$(mac "$P-p" "${P}ps"); smac=$(mac "$P-s" "${P}s0"); s1mac=$(mac "$P-s" "${P}s1")
  ip -n "$P-c" neigh replace "10.$N.1.1" lladdr "$pcmac" dev "${P}br"
  for h in 2 3 4; do ip -n "$P-p" neigh replace "10.$N.1.$h" lladdr "$cmac" dev "${P}pc"; done
  ip -n "$P-p" neigh replace "10.$N.1.5" lladdr "$s1mac" dev "${P}pc"
  ip -n "$P-p" neigh replace "10.$N.2.2" lladdr "$smac" dev "${P}ps"
  ip -n "$P-s" neigh replace "10.$N.2.1" lladdr "$psmac" dev "${P}s0"
  ip -n "$P-s" neigh replace "10.$N.1.1" lladdr "$pcmac" dev "${P}s1"
  # The bridge learns where the server's second MAC lives before the first frame for it.
  ip -n "$P-c" link set "${P}cs" type bridge_slave learning on
  ip netns exec "$P-c" bridge fdb replace "$s1mac" dev "${P}cs" master static
  ip netns exec "$P-c" bridge fdb replace "$pcmac" dev "${P}c0" master static
}

case "$action" in
  up) trap 'down' ERR; up ;;
  down) down ;;
  *) echo "usage: $0 up|down PREFIX N [PROXY_CPU GEN_CPU]" >&2; exit 2 ;;
esac
