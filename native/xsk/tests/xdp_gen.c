// SPDX-License-Identifier: Apache-2.0
/* Bounded load generator: sends one prebuilt UDP frame out of IFACE
 * COUNT times (or for at most SECONDS) with BPF_PROG_TEST_RUN live frames,
 * millions of packets per second where a socket manages ~100k.
 *   xdp_gen PROG.o IFACE DST_MAC SRC_IP DST_IP DST_PORT COUNT SECONDS
 * IPv4 only; the frame carries valid checksums. Prints sent count and rate. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csum.h"
#include "neigh.h"

#define PAYLOAD 64
#define CHUNK	1000000u /* packets per test-run call: keeps each call short */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int build_frame(
	__u8 *f, int ifindex, const char *dst_mac, const char *src_ip, const char *dst_ip, int port)
{
	__u8 *ip = f + 14, *udp = f + 34;
	unsigned m[6];

	memset(f, 0, 42 + PAYLOAD);
	if (sscanf(dst_mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		f[i] = (__u8)m[i];
	if (qk_link__mac(ifindex, f + 6))
		return -ENODEV;
	qk_store_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	qk_store_be16(ip + 2, 20 + 8 + PAYLOAD);
	ip[8] = 64;
	ip[9] = 17;
	if (inet_pton(AF_INET, src_ip, ip + 12) != 1 || inet_pton(AF_INET, dst_ip, ip + 16) != 1)
		return -EINVAL;
	qk_store_be16(ip + 10, qk_ipv4_hdr_csum(ip, 20));
	qk_store_be16(udp, 5555);
	qk_store_be16(udp + 2, (__u16)port);
	qk_store_be16(udp + 4, 8 + PAYLOAD);
	memset(udp + 8, 'q', PAYLOAD);
	qk_store_be16(udp + 6, qk_udp4_csum(ip + 12, ip + 16, udp, 8 + PAYLOAD));
	return 42 + PAYLOAD;
}

int main(int argc, char **argv)
{
	__u8 frame[128];
	struct bpf_object *obj;
	struct bpf_program *prog;
	unsigned long long sent = 0, count;
	double t0, seconds;
	int ifindex, len;

	if (argc != 9)
		return fprintf(stderr,
			       "usage: %s PROG.o IFACE DST_MAC SRC_IP DST_IP DST_PORT COUNT SECONDS\n",
			       argv[0]),
		       2;
	ifindex = (int)if_nametoindex(argv[2]);
	len = ifindex ? build_frame(frame, ifindex, argv[3], argv[4], argv[5], atoi(argv[6]))
		      : -ENODEV;
	if (len < 0)
		return fprintf(stderr, "frame: %s\n", strerror(-len)), 1;
	count = strtoull(argv[7], NULL, 10);
	seconds = atof(argv[8]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj) ||
		!(prog = bpf_object__find_program_by_name(obj, "qk_gen_tx")))
		return fprintf(stderr, "load %s failed\n", argv[1]), 1;
	t0 = now_s();
	while (sent < count && now_s() - t0 < seconds) {
		struct xdp_md ctx = {.data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex};
		__u32 n = count - sent < CHUNK ? (__u32)(count - sent) : CHUNK;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
			.ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
			.flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
			return fprintf(stderr, "test run: %s\n", strerror(errno)), 1;
		sent += n;
	}
	printf("sent=%llu seconds=%.3f pps=%.0f\n", sent, now_s() - t0,
		(double)sent / (now_s() - t0));
	bpf_object__close(obj);
	return 0;
}
