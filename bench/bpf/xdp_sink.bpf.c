// SPDX-License-Identifier: Apache-2.0
// Counting sink on the server side: counts IPv4 UDP packets to a range of destination ports,
// then drops them (throughput runs) or passes them to the echo server (latency runs).
// Everything else (ARP above all) passes untouched.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"

/* Ports to count and the verdict; written by the loader on every mode change. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sink_cfg);
} sink_cfg SEC(".maps");

/* Packets and bytes counted so far, per CPU; the loader sums them on request. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sink_counters);
} sink_counters SEC(".maps");

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 zero = 0;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
		ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return XDP_PASS;
	struct sink_cfg *cfg = bpf_map_lookup_elem(&sink_cfg, &zero);
	struct sink_counters *c = bpf_map_lookup_elem(&sink_counters, &zero);

	if (!cfg || !c || (__u16)(bpf_ntohs(udp->dest) - cfg->first_port) >= cfg->ports)
		return XDP_PASS;
	c->packets++;
	c->bytes += (__u64)(end - data);
	return cfg->drop ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
