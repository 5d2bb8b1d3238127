// SPDX-License-Identifier: Apache-2.0
/* Build check only: csum.h must compile for the BPF target, since the
 * XDP fast path shares it. Each helper is used once so clang emits it. */
#include <linux/bpf.h>

#include "csum.h"

__u16 sink;

__attribute__((section("xdp"), used)) int csum_check(struct xdp_md *ctx)
{
	__u8 a[16] = {1}, b[16] = {2}, udp[16] = {0};
	__u16 c;

	c = qk_csum_buf(a, 16);
	c ^= qk_ipv4_hdr_csum(udp, 16);
	c ^= qk_udp4_csum(a, b, udp, 16);
	c ^= qk_udp6_csum(a, b, udp, 16);
	c = qk_csum_replace16(c, 1, 2);
	c = qk_csum_replace32(c, 1, 2);
	c = qk_csum_replace_addr6(c, a, b);
	sink = qk_udp_csum_wire(c) + (__u16)qk_csum_verify(ctx->data);
	return 2; /* XDP_PASS */
}

char LICENSE[] __attribute__((section("license"), used)) = "Apache-2.0";
