// SPDX-License-Identifier: Apache-2.0
/* Frame parsing and the in-place rewrite used to forward a datagram. */
#include "frame.h"

#include <errno.h>
#include <string.h>

#include "csum.h"

#define ETH_P_IPV4	  0x0800
#define ETH_P_IPV6	  0x86dd
#define ETH_P_VLAN	  0x8100
#define ETH_P_QINQ	  0x88a8
#define IPPROTO_UDP_NUM	  17
#define IPV6_MAX_EXT_HDRS 4

static int parse_udp(const __u8 *data, __u32 end, struct qk_frame_info *fi)
{
	__u16 udp_len;

	if ((__u32)fi->l4_off + QK_UDP_HLEN > end)
		return -EBADMSG;
	udp_len = qk_load_be16(data + fi->l4_off + 4);
	/* The UDP length may be shorter than the IP payload (the kernel trims
	 * the rest) but never longer or below its own header. */
	if (udp_len < QK_UDP_HLEN || (__u32)fi->l4_off + udp_len > end)
		return -EBADMSG;
	fi->payload_off = fi->l4_off + QK_UDP_HLEN;
	fi->payload_len = udp_len - QK_UDP_HLEN;
	return 0;
}

static int parse_ipv4(const __u8 *data, __u32 len, struct qk_frame_info *fi)
{
	const __u8 *iph = data + fi->l3_off;
	__u32 ihl, tot_len;

	if ((__u32)fi->l3_off + QK_IPV4_HLEN > len || (iph[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (iph[0] & 0x0f) * 4u;
	tot_len = qk_load_be16(iph + 2);
	if (ihl < QK_IPV4_HLEN || tot_len < ihl || fi->l3_off + tot_len > len)
		return -EBADMSG;
	if (qk_load_be16(iph + 6) & 0x3fff) /* MF set or a non-zero offset */
		return -EOPNOTSUPP;
	if (iph[9] != IPPROTO_UDP_NUM)
		return -EPROTONOSUPPORT;
	fi->family = QK_INET4;
	fi->l4_off = (__u16)(fi->l3_off + ihl);
	return parse_udp(data, fi->l3_off + tot_len, fi);
}

static int parse_ipv6(const __u8 *data, __u32 len, struct qk_frame_info *fi)
{
	const __u8 *ip6h = data + fi->l3_off;
	__u32 off = fi->l3_off + QK_IPV6_HLEN, end;
	__u8 next;
	int i;

	if (off > len || (ip6h[0] >> 4) != 6)
		return -EBADMSG;
	end = off + qk_load_be16(ip6h + 4);
	if (end > len)
		return -EBADMSG;
	next = ip6h[6];
	/* Skip hop-by-hop, routing and destination options; a fragment header
	 * (44) means a fragment, which the workers do not reassemble. */
	for (i = 0; i < IPV6_MAX_EXT_HDRS && (next == 0 || next == 43 || next == 60); i++) {
		if (off + 8 > end)
			return -EBADMSG;
		next = data[off];
		off += (data[off + 1] + 1u) * 8u;
	}
	if (next == 44)
		return -EOPNOTSUPP;
	if (next != IPPROTO_UDP_NUM)
		return -EPROTONOSUPPORT;
	fi->family = QK_INET6;
	fi->l4_off = (__u16)off;
	return parse_udp(data, end, fi);
}

int qk_frame__parse(const __u8 *data, __u32 len, struct qk_frame_info *fi)
{
	__u16 proto;

	memset(fi, 0, sizeof(*fi));
	if (len < QK_ETH_HLEN || len > 0xffff)
		return -EBADMSG;
	fi->l3_off = QK_ETH_HLEN;
	proto = qk_load_be16(data + 12);
	while ((proto == ETH_P_VLAN || proto == ETH_P_QINQ) && fi->vlan_count < QK_MAX_VLANS) {
		fi->l3_off += QK_VLAN_HLEN;
		fi->vlan_count++;
		if (fi->l3_off > len)
			return -EBADMSG;
		proto = qk_load_be16(data + fi->l3_off - 2);
	}
	if (proto == ETH_P_IPV4)
		return parse_ipv4(data, len, fi);
	if (proto == ETH_P_IPV6)
		return parse_ipv6(data, len, fi);
	return -EPROTONOSUPPORT;
}

void qk_frame__addrs(
	const __u8 *data, const struct qk_frame_info *fi, struct qk_addr *src, struct qk_addr *dst)
{
	const __u8 *l3 = data + fi->l3_off, *udp = data + fi->l4_off;
	__u32 alen = fi->family == QK_INET4 ? 4 : 16;
	__u32 soff = fi->family == QK_INET4 ? 12 : 8;

	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->family = dst->family = fi->family;
	memcpy(src->addr, l3 + soff, alen);
	memcpy(dst->addr, l3 + soff + alen, alen);
	src->port = qk_load_be16(udp);
	dst->port = qk_load_be16(udp + 2);
}

int qk_frame__trim_payload_front(struct qk_frame *pkt, struct qk_frame_info *fi, __u32 n)
{
	if (n > fi->payload_len)
		return -EINVAL;
	memmove(pkt->data + n, pkt->data, fi->payload_off);
	pkt->data += n;
	pkt->headroom += n;
	pkt->len -= n;
	fi->payload_len -= n;
	return 0;
}

int qk_frame__set_payload_len(
	struct qk_frame *pkt, struct qk_frame_info *fi, __u32 new_len, __u32 cap)
{
	if ((__u32)fi->payload_off + new_len > cap || fi->payload_off + new_len > 0xffff)
		return -EINVAL;
	fi->payload_len = (__u16)new_len;
	pkt->len = fi->payload_off + new_len;
	return 0;
}

int qk_frame__copy(
	const struct qk_frame *src, __u8 *dst_buf, __u32 cap, __u32 headroom, struct qk_frame *out)
{
	if (headroom > cap || src->len > cap - headroom)
		return -ENOSPC;
	memcpy(dst_buf + headroom, src->data, src->len);
	out->data = dst_buf + headroom;
	out->len = src->len;
	out->headroom = headroom;
	return 0;
}

/* Folded pseudo-header sum of the frame's UDP datagram (RFC 768, RFC 8200
 * 8.1), not complemented: what CHECKSUM_PARTIAL leaves in the field. */
static __u16 pseudo_sum(const __u8 *data, const struct qk_frame_info *fi)
{
	const __u8 *l3 = data + fi->l3_off;
	__u32 udp_len = fi->payload_len + QK_UDP_HLEN;
	__u64 sum;

	if (fi->family == QK_INET4)
		sum = qk_csum_add(0, l3 + 12, 8);
	else
		sum = qk_csum_add(0, l3 + 8, 32);
	sum += IPPROTO_UDP_NUM + (udp_len >> 16) + (udp_len & 0xffff);
	return qk_csum_fold(sum);
}

int qk_frame__csum_partial(const __u8 *data, const struct qk_frame_info *fi)
{
	__u16 field = qk_load_be16(data + fi->l4_off + 6);

	if (field == 0)
		return 0; /* IPv4: no checksum; IPv6: invalid, qk_frame__check_csum says so */
	return field == pseudo_sum(data, fi);
}

enum qk_csum_state qk_frame__check_csum(const __u8 *data, const struct qk_frame_info *fi)
{
	const __u8 *l3 = data + fi->l3_off, *udp = data + fi->l4_off;
	__u32 udp_len = fi->payload_len + QK_UDP_HLEN;
	__u16 field = qk_load_be16(udp + 6);
	__u64 sum;

	if (fi->family == QK_INET4) {
		if (!qk_csum_verify(qk_csum_add(0, l3, fi->l4_off - fi->l3_off)))
			return QK_CSUM_BAD;
		if (field == 0)
			return QK_CSUM_OK; /* the sender chose no checksum (RFC 768) */
	} else if (field == 0) {
		return QK_CSUM_BAD; /* mandatory over IPv6 (RFC 8200 8.1) */
	}
	sum = (__u64)pseudo_sum(data, fi) + qk_csum_add(0, udp, udp_len);
	if (qk_csum_verify(sum))
		return QK_CSUM_OK;
	return field == pseudo_sum(data, fi) ? QK_CSUM_PARTIAL : QK_CSUM_BAD;
}
