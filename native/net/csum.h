// SPDX-License-Identifier: Apache-2.0
/* Internet checksum helpers (RFC 1071, RFC 1624) shared by the native AF_XDP
 * workers and the XDP programs. Header-only and free of libc calls so that
 * clang -target bpf compiles it too.
 *
 * Convention: every value handed to or returned by these helpers is a host
 * number (a 16-bit word read big-endian from the wire, an IPv4 address as
 * ntohl() would give it). Buffers are read byte by byte as big-endian words,
 * so no alignment is assumed. Store a result with qk_store_be16().
 */
#ifndef QK_NET_CSUM_H
#define QK_NET_CSUM_H

#include <linux/types.h>

#ifndef QK_INLINE
#define QK_INLINE static inline __attribute__((always_inline))
#endif

QK_INLINE __u16 qk_load_be16(const __u8 *p)
{
	return (__u16)((__u16)p[0] << 8 | p[1]);
}

QK_INLINE __u32 qk_load_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

QK_INLINE void qk_store_be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

QK_INLINE void qk_store_be32(__u8 *p, __u32 v)
{
	p[0] = (__u8)(v >> 24);
	p[1] = (__u8)(v >> 16);
	p[2] = (__u8)(v >> 8);
	p[3] = (__u8)v;
}

/* Fold a 64-bit accumulator of 16-bit words into a 16-bit ones'-complement
 * sum (end-around carry), not yet complemented. */
QK_INLINE __u16 qk_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffffULL) + (sum >> 16);
	sum = (sum & 0xffffULL) + (sum >> 16);
	sum = (sum & 0xffffULL) + (sum >> 16);
	return (__u16)sum;
}

/* Add the big-endian 16-bit words of buf to sum; an odd last byte is padded
 * with a zero byte, as RFC 1071 says. buf must start the checksummed region
 * (or an even offset in it). The bulk is summed as native 32-bit words: the
 * ones'-complement sum does not care about byte order until the end, where
 * one byte swap turns it back into a big-endian number (RFC 1071 2.B).
 * The bound keeps the BPF verifier happy: a UDP datagram is under 64 KiB. */
QK_INLINE __u64 qk_csum_add(__u64 sum, const __u8 *buf, __u32 len)
{
	__u64 acc = 0;
	__u32 i = 0;
	__u16 folded;

	if (len > 0xffff)
		len = 0xffff;
	for (; i + 4 <= len; i += 4) {
		__u32 w;

		__builtin_memcpy(&w, buf + i, 4);
		acc += w;
	}
	folded = qk_csum_fold(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = (__u16)(folded << 8 | folded >> 8);
#endif
	sum += folded;
	for (; i + 1 < len; i += 2)
		sum += qk_load_be16(buf + i);
	if (len & 1)
		sum += (__u32)buf[len - 1] << 8;
	return sum;
}

/* The checksum of a whole buffer: complemented folded sum. */
QK_INLINE __u16 qk_csum_buf(const __u8 *buf, __u32 len)
{
	return (__u16)~qk_csum_fold(qk_csum_add(0, buf, len));
}

/* IPv4 header checksum over ihl_bytes of header, skipping the checksum field
 * itself (bytes 10-11) so the caller need not zero it first. */
QK_INLINE __u16 qk_ipv4_hdr_csum(const __u8 *iph, __u32 ihl_bytes)
{
	__u64 sum = qk_csum_add(0, iph, 10);

	sum = qk_csum_add(sum, iph + 12, ihl_bytes - 12);
	return (__u16)~qk_csum_fold(sum);
}

/* Sum of the UDP header and payload without the checksum field (bytes 6-7). */
QK_INLINE __u64 qk_udp_body_sum(__u64 sum, const __u8 *udp, __u32 udp_len)
{
	sum = qk_csum_add(sum, udp, 6);
	return qk_csum_add(sum, udp + 8, udp_len - 8);
}

/* UDP over IPv4: pseudo-header (src, dst, zero, protocol 17, UDP length).
 * A computed 0 goes on the wire as 0xffff because 0 means "no checksum". */
QK_INLINE __u16 qk_udp4_csum(
	const __u8 saddr[4], const __u8 daddr[4], const __u8 *udp, __u32 udp_len)
{
	__u64 sum = qk_csum_add(0, saddr, 4);
	__u16 csum;

	sum = qk_csum_add(sum, daddr, 4);
	sum += 17 + udp_len;
	csum = (__u16)~qk_csum_fold(qk_udp_body_sum(sum, udp, udp_len));
	return csum ? csum : 0xffff;
}

/* UDP over IPv6: pseudo-header (src, dst, 32-bit length, next header 17).
 * IPv6 forbids a zero UDP checksum, so the same 0 -> 0xffff rule applies. */
QK_INLINE __u16 qk_udp6_csum(
	const __u8 saddr[16], const __u8 daddr[16], const __u8 *udp, __u32 udp_len)
{
	__u64 sum = qk_csum_add(0, saddr, 16);
	__u16 csum;

	sum = qk_csum_add(sum, daddr, 16);
	sum += (udp_len >> 16) + (udp_len & 0xffff) + 17;
	csum = (__u16)~qk_csum_fold(qk_udp_body_sum(sum, udp, udp_len));
	return csum ? csum : 0xffff;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field m -> m'. */
QK_INLINE __u16 qk_csum_replace16(__u16 csum, __u16 old, __u16 new_val)
{
	__u64 sum = (__u16)~csum;

	sum += (__u16)~old;
	sum += new_val;
	return (__u16)~qk_csum_fold(sum);
}

/* The same for a 32-bit field (an IPv4 address): two 16-bit words at once. */
QK_INLINE __u16 qk_csum_replace32(__u16 csum, __u32 old, __u32 new_val)
{
	__u64 sum = (__u16)~csum;

	sum += (__u16) ~(old >> 16);
	sum += (__u16) ~(old & 0xffff);
	sum += new_val >> 16;
	sum += new_val & 0xffff;
	return (__u16)~qk_csum_fold(sum);
}

/* The same for a byte field of even length read from memory (an IPv6
 * address is 16 bytes): subtract every old word, add every new one. */
QK_INLINE __u16 qk_csum_replace_bytes(__u16 csum, const __u8 *old, const __u8 *new_val, __u32 len)
{
	__u64 sum = (__u16)~csum;
	__u32 i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (__u16)~qk_load_be16(old + i);
		sum += qk_load_be16(new_val + i);
	}
	return (__u16)~qk_csum_fold(sum);
}

QK_INLINE __u16 qk_csum_replace_addr6(__u16 csum, const __u8 old[16], const __u8 new_val[16])
{
	return qk_csum_replace_bytes(csum, old, new_val, 16);
}

/* A UDP checksum after an incremental update: keep the "0 is none" rule
 * (IPv4) and the "never 0" rule (IPv6) by sending a computed 0 as 0xffff. */
QK_INLINE __u16 qk_udp_csum_wire(__u16 csum)
{
	return csum ? csum : 0xffff;
}

/* True when a buffer that includes its checksum field verifies: the folded
 * sum of everything is all ones. */
QK_INLINE int qk_csum_verify(__u64 sum_including_csum)
{
	return qk_csum_fold(sum_including_csum) == 0xffff;
}

#endif /* QK_NET_CSUM_H */
