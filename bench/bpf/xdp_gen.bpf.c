// SPDX-License-Identifier: Apache-2.0
// In-kernel traffic generator, run with BPF_PROG_RUN + BPF_F_TEST_XDP_LIVE_FRAMES.
// Live-frame pages are recycled between runs and whoever received them may have
// rewritten them (our own forwarder does), so every run writes the whole template
// back, then gives the packet the next session's source address and transmits it.
//
// The length needs the same care. The kernel rebuilds a recycled page's xdp_frame from
// the run's context only when the page's frame pointer or flags, or the context's bounds,
// changed. A receiver that shortens a frame in place and sends it on (XDP_TX after
// bpf_xdp_adjust_tail, as the proxy's fast path does for the Embark chain) rewrites the
// frame's length but neither of those, so the page would go out again that much shorter
// than the IP length in its headers. The loader therefore hands over one byte more than
// the template and every run trims it: the bounds always changed, the frame is always
// rebuilt, and every frame leaves with the template's length.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_abi.h"
#include "csum.h"

#define FRAME_WORDS (GEN_MAX_FRAME / 8)

/* The template and session count; written once by the loader before the first run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cfg);
} gen_cfg SEC(".maps");

/* Frames built so far (per CPU); the loader reads the sum as the offered count. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gen_sent SEC(".maps");

static __always_inline int copy_template(struct xdp_md *ctx, const struct gen_cfg *cfg)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = cfg->len, i;

	for (i = 0; i < FRAME_WORDS; i++) {
		__u64 *dst = data + i * 8;

		if (i * 8 + 8 > len || (void *)(dst + 1) > end)
			break;
		*dst = *(const __u64 *)&cfg->frame[i * 8];
	}
	for (i = i * 8; i < len && i < GEN_MAX_FRAME; i++) {
		__u8 *dst = data + i;

		if ((void *)(dst + 1) > end)
			return -1;
		*dst = cfg->frame[i];
	}
	return 0;
}

/* Session k: source port FIRST + k % per_ip on the (k / per_ip)-th consecutive IP. */
static __always_inline void set_session(struct iphdr *ip, struct udphdr *udp, __u32 k, __u32 per_ip)
{
	__u16 port = bpf_htons((__u16)(GEN_FIRST_PORT + k % per_ip));
	__u32 saddr = bpf_htonl(bpf_ntohl(ip->saddr) + k / per_ip);

	udp->check = qkb_udp_csum_replace16(udp->check, udp->source, port);
	udp->source = port;
	udp->check = qkb_udp_csum_replace32(udp->check, ip->saddr, saddr);
	ip->check = qkb_csum_replace32(ip->check, ip->saddr, saddr);
	ip->saddr = saddr;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct gen_cfg *cfg = bpf_map_lookup_elem(&gen_cfg, &zero);
	__u64 *sent = bpf_map_lookup_elem(&gen_sent, &zero);
	void *data, *end;

	if (!cfg || !sent)
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (bpf_xdp_adjust_tail(ctx, (int)cfg->len - (int)(end - data)) || copy_template(ctx, cfg))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end)
		return XDP_ABORTED;
	if (cfg->sessions > 1 && cfg->ports_per_ip)
		set_session(ip, udp, (__u32)(*sent % cfg->sessions), cfg->ports_per_ip);
	*sent += 1;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
