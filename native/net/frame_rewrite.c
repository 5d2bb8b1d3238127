// SPDX-License-Identifier: Apache-2.0
/* In-place rewrite of a parsed frame for forwarding. Two paths: the common
 * one edits header fields and patches both checksums incrementally (RFC 1624,
 * ~10 ns); the other rebuilds minimal headers in front of the payload when
 * lengths, the payload or the address family change. */
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "frame.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define IPV4_DF	   0x4000

/* Header fields worth carrying over to a rebuilt header. */
struct l3_keep {
	__u8 tos; /* IPv4 TOS = IPv6 traffic class: game traffic often sets DSCP */
	__u8 ttl;
	__u16 id;   /* IPv4 only */
	__u16 frag; /* IPv4 DF bit only */
	__u32 flow; /* IPv6 flow label only */
};

int qk_frame__can_patch(
	const struct qk_frame *pkt, const struct qk_frame_info *fi, const struct qk_rewrite *rw)
{
	const __u8 *l3 = pkt->data + fi->l3_off;
	__u32 udp_len = fi->payload_len + QK_UDP_HLEN;
	__u32 l3_hlen = fi->family == QK_INET4 ? QK_IPV4_HLEN : QK_IPV6_HLEN;

	if (rw->flags & QK_RW_PAYLOAD_CHANGED || rw->dst.family != fi->family)
		return 0;
	if (fi->l4_off != fi->l3_off + l3_hlen)
		return 0; /* options or extension headers: rebuild without them */
	if (qk_load_be16(pkt->data + fi->l4_off + 4) != udp_len)
		return 0;
	if (fi->family == QK_INET4)
		return qk_load_be16(l3 + 2) == QK_IPV4_HLEN + udp_len;
	return qk_load_be16(l3 + 4) == udp_len;
}

static void patch_ipv4(__u8 *iph, __u8 *udp, const struct qk_rewrite *rw)
{
	__u16 ipc = qk_load_be16(iph + 10), uc = qk_load_be16(udp + 6);
	__u32 os = qk_load_be32(iph + 12), od = qk_load_be32(iph + 16);
	__u32 ns = qk_load_be32(rw->src.addr), nd = qk_load_be32(rw->dst.addr);

	ipc = qk_csum_replace32(qk_csum_replace32(ipc, os, ns), od, nd);
	if (rw->ttl) {
		__u16 old_word = qk_load_be16(iph + 8);

		iph[8] = rw->ttl;
		ipc = qk_csum_replace16(ipc, old_word, qk_load_be16(iph + 8));
	}
	qk_store_be16(iph + 10, ipc);
	qk_store_be32(iph + 12, ns);
	qk_store_be32(iph + 16, nd);
	if (uc) { /* 0 means the sender chose no checksum: keep none */
		uc = qk_csum_replace32(qk_csum_replace32(uc, os, ns), od, nd);
		uc = qk_csum_replace16(uc, qk_load_be16(udp), rw->src.port);
		uc = qk_csum_replace16(uc, qk_load_be16(udp + 2), rw->dst.port);
		qk_store_be16(udp + 6, qk_udp_csum_wire(uc));
	}
}

static void patch_ipv6(__u8 *ip6h, __u8 *udp, const struct qk_rewrite *rw)
{
	__u16 uc = qk_load_be16(udp + 6);

	uc = qk_csum_replace_addr6(uc, ip6h + 8, rw->src.addr);
	uc = qk_csum_replace_addr6(uc, ip6h + 24, rw->dst.addr);
	uc = qk_csum_replace16(uc, qk_load_be16(udp), rw->src.port);
	uc = qk_csum_replace16(uc, qk_load_be16(udp + 2), rw->dst.port);
	qk_store_be16(udp + 6, qk_udp_csum_wire(uc));
	memcpy(ip6h + 8, rw->src.addr, 16);
	memcpy(ip6h + 24, rw->dst.addr, 16);
	if (rw->ttl)
		ip6h[7] = rw->ttl;
}

static void patch(struct qk_frame *pkt, const struct qk_frame_info *fi, const struct qk_rewrite *rw)
{
	__u8 *l3 = pkt->data + fi->l3_off, *udp = pkt->data + fi->l4_off;

	if (fi->family == QK_INET4)
		patch_ipv4(l3, udp, rw);
	else
		patch_ipv6(l3, udp, rw);
	qk_store_be16(udp, rw->src.port);
	qk_store_be16(udp + 2, rw->dst.port);
	pkt->len = fi->payload_off + fi->payload_len; /* drops Ethernet padding */
}

static void read_keep(const __u8 *l3, __u8 family, struct l3_keep *k)
{
	memset(k, 0, sizeof(*k));
	if (family == QK_INET4) {
		k->tos = l3[1];
		k->id = qk_load_be16(l3 + 4);
		k->frag = qk_load_be16(l3 + 6) & IPV4_DF;
		k->ttl = l3[8];
		return;
	}
	k->tos = (__u8)((l3[0] & 0x0f) << 4 | l3[1] >> 4);
	k->flow = (__u32)(l3[1] & 0x0f) << 16 | (__u32)l3[2] << 8 | l3[3];
	k->ttl = l3[7];
}

static void write_ipv4(
	__u8 *iph, const struct l3_keep *k, const struct qk_rewrite *rw, __u32 udp_len)
{
	iph[0] = 0x45;
	iph[1] = k->tos;
	qk_store_be16(iph + 2, (__u16)(QK_IPV4_HLEN + udp_len));
	qk_store_be16(iph + 4, k->id);
	qk_store_be16(iph + 6, k->frag);
	iph[8] = k->ttl;
	iph[9] = 17;
	memcpy(iph + 12, rw->src.addr, 4);
	memcpy(iph + 16, rw->dst.addr, 4);
	qk_store_be16(iph + 10, qk_ipv4_hdr_csum(iph, QK_IPV4_HLEN));
}

static void write_ipv6(
	__u8 *ip6h, const struct l3_keep *k, const struct qk_rewrite *rw, __u32 udp_len)
{
	qk_store_be32(ip6h, 6u << 28 | (__u32)k->tos << 20 | k->flow);
	qk_store_be16(ip6h + 4, (__u16)udp_len);
	ip6h[6] = 17;
	ip6h[7] = k->ttl;
	memcpy(ip6h + 8, rw->src.addr, 16);
	memcpy(ip6h + 24, rw->dst.addr, 16);
}

static void write_udp(__u8 *udp, const __u8 *l3, const struct qk_rewrite *rw, __u32 udp_len)
{
	__u16 csum;

	qk_store_be16(udp, rw->src.port);
	qk_store_be16(udp + 2, rw->dst.port);
	qk_store_be16(udp + 4, (__u16)udp_len);
	if (rw->dst.family == QK_INET4)
		csum = qk_udp4_csum(l3 + 12, l3 + 16, udp, udp_len);
	else
		csum = qk_udp6_csum(l3 + 8, l3 + 24, udp, udp_len);
	qk_store_be16(udp + 6, csum);
}

static int rebuild(struct qk_frame *pkt, struct qk_frame_info *fi, const struct qk_rewrite *rw)
{
	__u8 l2[QK_ETH_HLEN + QK_VLAN_HLEN * QK_MAX_VLANS];
	__u32 l2_len = fi->l3_off, udp_len = fi->payload_len + QK_UDP_HLEN;
	__u32 l3_len = rw->dst.family == QK_INET4 ? QK_IPV4_HLEN : QK_IPV6_HLEN;
	__u8 *payload = pkt->data + fi->payload_off, *start;
	__u32 hdr_len = l2_len + l3_len + QK_UDP_HLEN;
	struct l3_keep keep;

	if (payload - hdr_len < pkt->data - pkt->headroom)
		return -ENOSPC;
	memcpy(l2, pkt->data, l2_len);
	read_keep(pkt->data + fi->l3_off, fi->family, &keep);
	if (fi->family == QK_INET6 && rw->dst.family == QK_INET4)
		keep.frag = IPV4_DF; /* IPv6 never fragments in flight */
	if (rw->ttl)
		keep.ttl = rw->ttl;
	start = payload - hdr_len;
	pkt->headroom = (__u32)(pkt->headroom + (start - pkt->data));
	pkt->data = start;
	memcpy(start, l2, l2_len);
	qk_store_be16(start + l2_len - 2, rw->dst.family == QK_INET4 ? ETH_P_IPV4 : ETH_P_IPV6);
	if (rw->dst.family == QK_INET4)
		write_ipv4(start + l2_len, &keep, rw, udp_len);
	else
		write_ipv6(start + l2_len, &keep, rw, udp_len);
	write_udp(start + l2_len + l3_len, start + l2_len, rw, udp_len);
	fi->family = rw->dst.family;
	fi->l4_off = (__u16)(l2_len + l3_len);
	fi->payload_off = (__u16)hdr_len;
	pkt->len = hdr_len + fi->payload_len;
	return 0;
}

int qk_frame__rewrite(struct qk_frame *pkt, struct qk_frame_info *fi, const struct qk_rewrite *rw)
{
	int err = 0;

	if (rw->src.family != rw->dst.family ||
		(rw->dst.family != QK_INET4 && rw->dst.family != QK_INET6))
		return -EINVAL;
	if (qk_frame__can_patch(pkt, fi, rw))
		patch(pkt, fi, rw);
	else
		err = rebuild(pkt, fi, rw);
	if (err)
		return err;
	memcpy(pkt->data, rw->eth_dst, QK_ETH_ALEN);
	memcpy(pkt->data + QK_ETH_ALEN, rw->eth_src, QK_ETH_ALEN);
	return 0;
}
