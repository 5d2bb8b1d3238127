// SPDX-License-Identifier: Apache-2.0
// Incremental Internet checksum updates (RFC 1624: HC' = ~(~HC + ~m + m')), for the
// benchmark programs, which change a few header fields of an otherwise valid packet.
#ifndef QKB_BENCH_CSUM_H
#define QKB_BENCH_CSUM_H

#include <linux/types.h>

static __always_inline __u16 qkb_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __always_inline __u16 qkb_csum_replace16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32) new;

	return (__u16)~qkb_csum_fold(sum);
}

static __always_inline __u16 qkb_csum_replace32(__u16 check, __u32 old, __u32 new)
{
	check = qkb_csum_replace16(check, (__u16)(old >> 16), (__u16)(new >> 16));
	return qkb_csum_replace16(check, (__u16)old, (__u16) new);
}

/* A UDP checksum of zero means "none" in IPv4: keep it so, and never produce it. */
static __always_inline __u16 qkb_udp_csum_replace32(__u16 check, __u32 old, __u32 new)
{
	__u16 c;

	if (!check)
		return 0;
	c = qkb_csum_replace32(check, old, new);
	return c ? c : 0xffff;
}

static __always_inline __u16 qkb_udp_csum_replace16(__u16 check, __u16 old, __u16 new)
{
	__u16 c;

	if (!check)
		return 0;
	c = qkb_csum_replace16(check, old, new);
	return c ? c : 0xffff;
}

#endif
