// SPDX-License-Identifier: Apache-2.0
// The XDP ceiling: a one-endpoint UDP forwarder done entirely in XDP, attached to both
// proxy-side interfaces. It does what any proxy must do per packet (parse, pick the
// destination, rewrite addresses, fix checksums, redirect) and nothing else, so its
// packet rate is the most this box can forward through a proxy namespace.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"
#include "csum.h"

/* Addresses, MACs and interfaces of the topology; written once by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_cfg);
} fwd_cfg SEC(".maps");

/* Client source port -> client IP, learnt on the way out, used for replies. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, __be16);
	__type(value, __be32);
} fwd_clients SEC(".maps");

static __always_inline void rewrite(struct iphdr *ip, struct udphdr *udp, __be32 saddr,
	__be32 daddr, __be16 sport, __be16 dport)
{
	udp->check = qkb_udp_csum_replace32(udp->check, ip->saddr, saddr);
	udp->check = qkb_udp_csum_replace32(udp->check, ip->daddr, daddr);
	udp->check = qkb_udp_csum_replace16(udp->check, udp->source, sport);
	udp->check = qkb_udp_csum_replace16(udp->check, udp->dest, dport);
	ip->check = qkb_csum_replace32(ip->check, ip->saddr, saddr);
	ip->check = qkb_csum_replace32(ip->check, ip->daddr, daddr);
	ip->saddr = saddr;
	ip->daddr = daddr;
	udp->source = sport;
	udp->dest = dport;
}

static __always_inline int to_server(
	struct fwd_cfg *cfg, struct ethhdr *eth, struct iphdr *ip, struct udphdr *udp)
{
	__be32 *known = bpf_map_lookup_elem(&fwd_clients, &udp->source);

	if (!known || *known != ip->saddr)
		bpf_map_update_elem(&fwd_clients, &udp->source, &ip->saddr, BPF_ANY);
	rewrite(ip, udp, cfg->out_src_ip, cfg->server_ip, udp->source, cfg->server_port);
	__builtin_memcpy(eth->h_source, cfg->server_side_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, cfg->server_mac, ETH_ALEN);
	return bpf_redirect(cfg->server_ifindex, 0);
}

static __always_inline int to_client(
	struct fwd_cfg *cfg, struct ethhdr *eth, struct iphdr *ip, struct udphdr *udp)
{
	__be32 *client = bpf_map_lookup_elem(&fwd_clients, &udp->dest);

	if (!client)
		return XDP_PASS; /* not one of ours: leave it to the stack */
	rewrite(ip, udp, cfg->listen_ip, *client, cfg->listen_port, udp->dest);
	__builtin_memcpy(eth->h_source, cfg->client_side_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, cfg->client_mac, ETH_ALEN);
	return bpf_redirect(cfg->client_ifindex, 0);
}

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 zero = 0;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
		ip->protocol != IPPROTO_UDP || ip->ihl != 5 || ip->ttl <= 1)
		return XDP_PASS;
	struct fwd_cfg *cfg = bpf_map_lookup_elem(&fwd_cfg, &zero);
	if (!cfg)
		return XDP_PASS;
	if (ip->daddr == cfg->listen_ip && udp->dest == cfg->listen_port)
		return to_server(cfg, eth, ip, udp);
	if (ip->saddr == cfg->server_ip && udp->source == cfg->server_port &&
		ip->daddr == cfg->out_src_ip)
		return to_client(cfg, eth, ip, udp);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
