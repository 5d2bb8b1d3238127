// SPDX-License-Identifier: Apache-2.0
/* Load generator program for forwarder-bench.sh: run by BPF_PROG_TEST_RUN
 * with live frames, it sends every prebuilt frame out of the interface. */
#include <linux/bpf.h>

__attribute__((section("xdp"), used)) int qk_gen_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

char LICENSE[] __attribute__((section("license"), used)) = "Apache-2.0";
