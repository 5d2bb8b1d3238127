// SPDX-License-Identifier: Apache-2.0
/*
 * Live AF_XDP receiver for the netns test: binds a copy-mode socket to
 * IFNAME queue 0, puts it in the XSKMAP of an attached program (by map id),
 * prints "ready", then counts frames whose UDP destination port is PORT until
 * it has COUNT of them or TIMEOUT_MS passes. Prints "received N"; exit 0 only
 * if N == COUNT. Proves the redirect end to end, outside BPF_PROG_RUN.
 *
 * usage: xsk_rx IFNAME XSKMAP_ID PORT COUNT TIMEOUT_MS
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_xdp.h>

#include "xsk_socket.h"

struct ring {
	__u32 *producer;
	__u32 *consumer;
	void *descs;
	void *map;
	size_t map_len;
};

static int map_ring(
	int fd, const struct xdp_ring_offset *off, size_t desc_size, off_t pgoff, struct ring *ring)
{
	ring->map_len = off->desc + XSK_RING_SIZE * desc_size;
	ring->map = mmap(
		NULL, ring->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (ring->map == MAP_FAILED)
		return -errno;
	ring->producer = (__u32 *)((char *)ring->map + off->producer);
	ring->consumer = (__u32 *)((char *)ring->map + off->consumer);
	ring->descs = (char *)ring->map + off->desc;
	return 0;
}

/* Hands every UMEM frame to the kernel through the fill ring. */
static void fill_all(struct ring *fill)
{
	__u64 *addrs = fill->descs;
	__u32 prod = *fill->producer;

	for (__u32 i = 0; i < XSK_FRAMES && i < XSK_RING_SIZE; i++)
		addrs[(prod + i) & (XSK_RING_SIZE - 1)] = (__u64)i * XSK_FRAME_SIZE;
	__atomic_store_n(fill->producer, prod + XSK_FRAMES, __ATOMIC_RELEASE);
}

/* UDP destination port of an untagged IPv4/IPv6 frame, or -1. */
static int udp_dst_port(const unsigned char *frame, __u32 len)
{
	__u32 l4;

	if (len >= 14 + 20 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 17)
		l4 = 14 + 4 * (frame[14] & 0x0f);
	else if (len >= 14 + 40 && frame[12] == 0x86 && frame[13] == 0xdd && frame[20] == 17)
		l4 = 14 + 40;
	else
		return -1;
	return l4 + 4 <= len ? (frame[l4 + 2] << 8 | frame[l4 + 3]) : -1;
}

/* Consumes the rx ring; returns matching frames, refilling what it consumed. */
static int drain_rx(struct xsk_test_socket *xsk, struct ring *rx, struct ring *fill, int port)
{
	__u32 prod = __atomic_load_n(rx->producer, __ATOMIC_ACQUIRE);
	__u32 cons = *rx->consumer;
	__u32 fill_prod = *fill->producer;
	struct xdp_desc *descs = rx->descs;
	__u64 *fill_addrs = fill->descs;
	int matched = 0;

	for (; cons != prod; cons++, fill_prod++) {
		const struct xdp_desc *d = &descs[cons & (XSK_RING_SIZE - 1)];

		if (udp_dst_port((unsigned char *)xsk->umem + d->addr, d->len) == port)
			matched++;
		fill_addrs[fill_prod & (XSK_RING_SIZE - 1)] =
			d->addr & ~(__u64)(XSK_FRAME_SIZE - 1);
	}
	__atomic_store_n(rx->consumer, cons, __ATOMIC_RELEASE);
	__atomic_store_n(fill->producer, fill_prod, __ATOMIC_RELEASE);
	return matched;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int receive(struct xsk_test_socket *xsk, int port, int count, long timeout_ms)
{
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	struct ring rx, fill;
	long deadline = now_ms() + timeout_ms;
	int got = 0, err;

	if (getsockopt(xsk->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen))
		return -errno;
	err = map_ring(xsk->fd, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, &rx);
	if (err)
		return err;
	err = map_ring(xsk->fd, &off.fr, sizeof(__u64), (off_t)XDP_UMEM_PGOFF_FILL_RING, &fill);
	if (err)
		goto out_rx;
	fill_all(&fill);
	printf("ready\n");
	fflush(stdout);
	while (got < count && now_ms() < deadline) {
		struct pollfd pfd = {.fd = xsk->fd, .events = POLLIN};

		if (poll(&pfd, 1, 100) > 0)
			got += drain_rx(xsk, &rx, &fill, port);
	}
	munmap(fill.map, fill.map_len);
out_rx:
	munmap(rx.map, rx.map_len);
	return err ? err : got;
}

int main(int argc, char **argv)
{
	struct xsk_test_socket xsk;
	__u32 queue = 0;
	int map_fd, got, err;

	if (argc != 6) {
		fprintf(stderr, "usage: %s IFNAME XSKMAP_ID PORT COUNT TIMEOUT_MS\n", argv[0]);
		return 2;
	}
	map_fd = bpf_map_get_fd_by_id((__u32)strtoul(argv[2], NULL, 10));
	if (map_fd < 0) {
		fprintf(stderr, "XSKMAP id %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	err = xsk_test_socket__open(&xsk, argv[1], queue);
	if (err)
		goto out_map;
	if (bpf_map_update_elem(map_fd, &queue, &xsk.fd, BPF_ANY)) {
		err = -errno;
		fprintf(stderr, "XSKMAP update: %s\n", strerror(errno));
		goto out_socket;
	}
	got = receive(&xsk, atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
	if (got < 0) {
		err = got;
		fprintf(stderr, "rings: %s\n", strerror(-got));
	} else {
		printf("received %d\n", got);
		err = got == atoi(argv[4]) ? 0 : -EAGAIN;
	}
	bpf_map_delete_elem(map_fd, &queue);
out_socket:
	xsk_test_socket__close(&xsk);
out_map:
	close(map_fd);
	return err ? 1 : 0;
}
