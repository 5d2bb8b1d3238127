// SPDX-License-Identifier: Apache-2.0
/* Parse and rewrite Ethernet(+VLAN)/IPv4/IPv6/UDP frames in place, for the
 * AF_XDP workers that forward a datagram by editing the frame in UMEM. */
#ifndef QK_NET_FRAME_H
#define QK_NET_FRAME_H

#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QK_ETH_ALEN    6
#define QK_ETH_HLEN    14
#define QK_VLAN_HLEN   4
#define QK_MAX_VLANS   2
#define QK_IPV4_HLEN   20
#define QK_IPV6_HLEN   40
#define QK_UDP_HLEN    8
#define QK_DEFAULT_TTL 64

/* Address family tags used by this layer (the IP version number). */
enum qk_family { QK_INET4 = 4, QK_INET6 = 6 };

/* An endpoint: address in network byte order (IPv4 in addr[0..3], the rest
 * zero), port in host order. */
struct qk_addr {
	__u8 family;
	__u8 addr[16];
	__u16 port;
};

/* A frame in a buffer that may grow into headroom (family switch) or shrink. */
struct qk_frame {
	__u8 *data;	/* start of the Ethernet header */
	__u32 len;	/* bytes from data */
	__u32 headroom; /* writable bytes before data */
};

/* Offsets found by qk_frame__parse, all from the start of the frame. */
struct qk_frame_info {
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_off;
	__u16 payload_len; /* from the UDP length field */
	__u8 family;	   /* QK_INET4 or QK_INET6 */
	__u8 vlan_count;
};

#define QK_RW_PAYLOAD_CHANGED (1u << 0) /* payload bytes edited: full UDP checksum */

/* What a forwarded frame should carry. src and dst must share one family;
 * it may differ from the frame's (IPv4 <-> IPv6 switch). */
struct qk_rewrite {
	__u8 eth_src[QK_ETH_ALEN];
	__u8 eth_dst[QK_ETH_ALEN];
	struct qk_addr src;
	struct qk_addr dst;
	__u8 ttl;    /* TTL / hop limit to send with; 0 keeps the frame's */
	__u32 flags; /* QK_RW_* */
};

/* Returns 0, -EBADMSG (truncated or inconsistent lengths), -EPROTONOSUPPORT
 * (not IP or not UDP) or -EOPNOTSUPP (IP fragment). */
int qk_frame__parse(const __u8 *data, __u32 len, struct qk_frame_info *fi);

/* Source and destination endpoints of a parsed frame. */
void qk_frame__addrs(
	const __u8 *data, const struct qk_frame_info *fi, struct qk_addr *src, struct qk_addr *dst);

/* Drop n bytes from the front of the payload by moving the headers forward
 * (cheaper than moving the payload). Lengths and checksums are fixed by the
 * next qk_frame__rewrite. Returns 0 or -EINVAL when n exceeds the payload. */
int qk_frame__trim_payload_front(struct qk_frame *pkt, struct qk_frame_info *fi, __u32 n);

/* Set the payload length: shorter cuts the tail, longer needs the caller to
 * have written the bytes (cap = bytes available from pkt->data). */
int qk_frame__set_payload_len(
	struct qk_frame *pkt, struct qk_frame_info *fi, __u32 new_len, __u32 cap);

/* Rewrite MACs, addresses, ports and TTL. When only headers change, both
 * checksums are updated incrementally (RFC 1624); when the payload or its
 * length changed, the family changes, or the frame had IPv4 options / IPv6
 * extension headers, minimal headers are rebuilt and the checksums computed
 * in full. Updates pkt and fi. Returns 0, -EINVAL (mixed families) or
 * -ENOSPC (not enough headroom to grow the header). */
int qk_frame__rewrite(struct qk_frame *pkt, struct qk_frame_info *fi, const struct qk_rewrite *rw);

/* What the incoming checksums of a parsed frame say (qk_frame__check_csum). */
enum qk_csum_state {
	QK_CSUM_OK = 0,	     /* both verify (or IPv4 UDP checksum 0: none) */
	QK_CSUM_PARTIAL = 1, /* UDP field holds only the pseudo-header sum (see below) */
	QK_CSUM_BAD = 2,     /* the IPv4 header or the UDP checksum is wrong */
};

/* Verifies the IPv4 header checksum and the UDP checksum of a parsed frame
 * (one pass over the payload). A UDP checksum field that holds exactly the
 * folded pseudo-header sum is what a sender with TX checksum offload
 * (CHECKSUM_PARTIAL) leaves for the device to finish; on veth nothing
 * finishes it before XDP sees the frame, so it is QK_CSUM_PARTIAL: the data
 * never left the host, and the caller must compute the checksum in full. */
enum qk_csum_state qk_frame__check_csum(const __u8 *data, const struct qk_frame_info *fi);

/* The cheap half of the above (no pass over the payload): whether the UDP
 * checksum field is a partial one. A complete checksum equals it for 1 in
 * 65536 datagrams; treating such a one as partial only costs a full sum. */
int qk_frame__csum_partial(const __u8 *data, const struct qk_frame_info *fi);

/* Whether qk_frame__rewrite would patch this frame incrementally (only
 * header fields change) rather than rebuild its headers and compute the UDP
 * checksum in full. */
int qk_frame__can_patch(
	const struct qk_frame *pkt, const struct qk_frame_info *fi, const struct qk_rewrite *rw);

/* Copy a frame into another buffer (fan-out to several endpoints, or to the
 * UMEM of another interface), leaving headroom bytes in front. Returns 0 or
 * -ENOSPC when cap cannot hold headroom + frame. */
int qk_frame__copy(
	const struct qk_frame *src, __u8 *dst_buf, __u32 cap, __u32 headroom, struct qk_frame *out);

#ifdef __cplusplus
}
#endif

#endif /* QK_NET_FRAME_H */
