// SPDX-License-Identifier: Apache-2.0
/*
 * Passes every frame. Test topologies attach it to the peer veth: in native
 * mode a veth only delivers frames redirected or XDP_TX'd into it when its
 * receiving side has an XDP program (or GRO) enabled.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/map_names.h"

SEC("xdp")
int QK_PROG_XDP_PASS(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/* Matches the SPDX line; the program calls no GPL-only helper. */
char LICENSE[] SEC("license") = "Apache-2.0";
