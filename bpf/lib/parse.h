/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Header parsing stages for XDP programs: Ethernet (untagged), IPv4
 * (options honoured through IHL), IPv6 (fixed header only), UDP. Each stage
 * returns QK_CONTINUE or a verdict with pkt->reason set, so the entry point
 * calls them in order and stops at the first decision. Lengths are checked
 * twice: against the frame (truncation) and against the header's own length
 * fields (malformation), because userspace trusts what we redirect.
 */
#ifndef QK_PARSE_H
#define QK_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"

/* "Not decided yet": a stage found nothing that settles the packet's fate. */
#define QK_CONTINUE (-1)

#define QK_IP_MF	  0x2000
#define QK_IP_OFFSET_MASK 0x1fff

/* Parse state carried from stage to stage. */
struct qk_pkt {
	void *cur; /* next header to parse */
	void *data_end;
	/* Here, at a 4-byte aligned offset: compared as words (stage_match_addr), and stack loads
	 * must be aligned. */
	struct qk_local_addr_key dst;
	__u32 frame_len; /* data_end - data */
	__u32 off;	 /* offset of cur from the frame start */
	__u32 reason;	 /* enum qk_pass_reason or qk_drop_reason once decided */
	__u16 eth_proto; /* host byte order, after any VLAN tag */
	__u16 l4_len;	 /* IP payload length according to the IP header */
	__u16 udp_len;	 /* the UDP header's length field */
	__u16 dst_port;	 /* host byte order */
	__u8 ip_proto;
	__u8 match; /* enum qk_match_kind, valid once a port matched */
	__u8 fast;  /* the fast path decided (its drops are counted by direction, without events) */
};

QK_STATIC_ASSERT(__builtin_offsetof(struct qk_pkt, dst) % 4 == 0, "qk_pkt.dst is word aligned");

static __always_inline int qk_pass_because(struct qk_pkt *pkt, enum qk_pass_reason reason)
{
	pkt->reason = reason;
	return XDP_PASS;
}

static __always_inline int qk_drop_because(struct qk_pkt *pkt, enum qk_drop_reason reason)
{
	pkt->reason = reason;
	return XDP_DROP;
}

static __always_inline void qk_pkt__init(struct qk_pkt *pkt, struct xdp_md *ctx)
{
	pkt->cur = (void *)(long)ctx->data;
	pkt->data_end = (void *)(long)ctx->data_end;
	pkt->frame_len = ctx->data_end - ctx->data;
}

static __always_inline void qk_pkt__advance(struct qk_pkt *pkt, __u32 bytes)
{
	pkt->cur += bytes;
	pkt->off += bytes;
}

/*
 * Ethernet; only untagged IPv4 and IPv6 continue. A VLAN-tagged frame (802.1Q or 802.1ad, one
 * tag or more) goes to the kernel untouched: its VLAN devices deliver it to the proxy's sockets.
 * Redirected, the rewrite would answer it untagged or forward it with a stale inner tag.
 */
static __always_inline int qk_parse__eth(struct qk_pkt *pkt)
{
	struct ethhdr *eth = pkt->cur;
	__be16 proto;

	if ((void *)(eth + 1) > pkt->data_end)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	proto = eth->h_proto;
	pkt->eth_proto = bpf_ntohs(proto);
	qk_pkt__advance(pkt, sizeof(*eth));

	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return qk_pass_because(pkt, QK_PASS_VLAN);
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return qk_pass_because(pkt, QK_PASS_NOT_IP);
	return QK_CONTINUE;
}

static __always_inline int qk_parse__ipv4(struct qk_pkt *pkt)
{
	struct iphdr *ip = pkt->cur;
	__u32 hdr_len, tot_len;

	if ((void *)(ip + 1) > pkt->data_end)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	if (ip->version != 4 || ip->ihl < 5)
		return qk_pass_because(pkt, QK_PASS_MALFORMED);
	hdr_len = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	/* Options are skipped, but must be inside the frame. */
	if (pkt->cur + hdr_len > pkt->data_end)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	if (tot_len < hdr_len)
		return qk_pass_because(pkt, QK_PASS_MALFORMED);
	/* Frames may carry Ethernet padding after tot_len, never less. */
	if (tot_len > pkt->frame_len - pkt->off)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	if (ip->frag_off & bpf_htons(QK_IP_MF | QK_IP_OFFSET_MASK))
		return qk_pass_because(pkt, QK_PASS_IPV4_FRAGMENT);
	if (ip->protocol != IPPROTO_UDP)
		return qk_pass_because(pkt, QK_PASS_NOT_UDP);

	pkt->ip_proto = ip->protocol;
	pkt->l4_len = tot_len - hdr_len;
	pkt->dst.family = QK_ADDR_V4;
	__builtin_memcpy(pkt->dst.addr, &ip->daddr, sizeof(ip->daddr));
	qk_pkt__advance(pkt, hdr_len);
	return QK_CONTINUE;
}

/* IPv6 extension headers (RFC 8200 and the IANA list): we do not walk them. */
static __always_inline int qk_ipv6__is_ext_hdr(__u8 next)
{
	switch (next) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_ESP:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case 139: /* HIP */
	case 140: /* Shim6 */
	case 253: /* experimental */
	case 254: /* experimental */
		return 1;
	default:
		return 0;
	}
}

static __always_inline int qk_parse__ipv6(struct qk_pkt *pkt)
{
	struct ipv6hdr *ip6 = pkt->cur;
	__u32 payload_len;

	if ((void *)(ip6 + 1) > pkt->data_end)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	if (ip6->version != 6)
		return qk_pass_because(pkt, QK_PASS_MALFORMED);
	payload_len = bpf_ntohs(ip6->payload_len);
	if (sizeof(*ip6) + payload_len > pkt->frame_len - pkt->off)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	if (qk_ipv6__is_ext_hdr(ip6->nexthdr))
		return qk_pass_because(pkt, QK_PASS_IPV6_EXT_HDR);
	if (ip6->nexthdr != IPPROTO_UDP)
		return qk_pass_because(pkt, QK_PASS_NOT_UDP);

	pkt->ip_proto = ip6->nexthdr;
	pkt->l4_len = payload_len;
	pkt->dst.family = QK_ADDR_V6;
	__builtin_memcpy(pkt->dst.addr, &ip6->daddr, sizeof(ip6->daddr));
	qk_pkt__advance(pkt, sizeof(*ip6));
	return QK_CONTINUE;
}

static __always_inline int qk_parse__ip(struct qk_pkt *pkt)
{
	if (pkt->eth_proto == ETH_P_IP)
		return qk_parse__ipv4(pkt);
	return qk_parse__ipv6(pkt);
}

static __always_inline int qk_parse__udp(struct qk_pkt *pkt)
{
	struct udphdr *udp = pkt->cur;

	if ((void *)(udp + 1) > pkt->data_end)
		return qk_pass_because(pkt, QK_PASS_TRUNCATED);
	pkt->dst_port = bpf_ntohs(udp->dest);
	pkt->udp_len = bpf_ntohs(udp->len);
	return QK_CONTINUE;
}

#endif /* QK_PARSE_H */
