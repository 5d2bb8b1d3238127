// SPDX-License-Identifier: Apache-2.0
#include "xsk_socket.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_xdp.h>

static int set_ring(int fd, int option, const char *what)
{
	int size = XSK_RING_SIZE;

	if (setsockopt(fd, SOL_XDP, option, &size, sizeof(size))) {
		fprintf(stderr, "AF_XDP %s ring: %s\n", what, strerror(errno));
		return -errno;
	}
	return 0;
}

static int register_umem(struct xsk_test_socket *xsk)
{
	struct xdp_umem_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.addr = (uintptr_t)xsk->umem;
	reg.len = xsk->umem_len;
	reg.chunk_size = XSK_FRAME_SIZE;
	if (setsockopt(xsk->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg))) {
		fprintf(stderr, "AF_XDP umem register: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int xsk_test_socket__open(struct xsk_test_socket *xsk, const char *ifname, uint32_t queue)
{
	struct sockaddr_xdp addr;
	int err;

	memset(xsk, 0, sizeof(*xsk));
	xsk->ifindex = if_nametoindex(ifname);
	if (!xsk->ifindex) {
		fprintf(stderr, "interface %s: %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	xsk->umem_len = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	xsk->umem = mmap(
		NULL, xsk->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (xsk->umem == MAP_FAILED)
		return -errno;
	xsk->fd = socket(AF_XDP, SOCK_RAW, 0);
	if (xsk->fd < 0) {
		err = -errno;
		fprintf(stderr, "AF_XDP socket: %s\n", strerror(errno));
		goto out_umem;
	}
	err = register_umem(xsk);
	if (!err)
		err = set_ring(xsk->fd, XDP_UMEM_FILL_RING, "fill");
	if (!err)
		err = set_ring(xsk->fd, XDP_UMEM_COMPLETION_RING, "completion");
	if (!err)
		err = set_ring(xsk->fd, XDP_RX_RING, "rx");
	if (err)
		goto out_socket;
	memset(&addr, 0, sizeof(addr));
	addr.sxdp_family = AF_XDP;
	addr.sxdp_ifindex = xsk->ifindex;
	addr.sxdp_queue_id = queue;
	addr.sxdp_flags = XDP_COPY; /* zero-copy bind fails on veth */
	if (bind(xsk->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		fprintf(stderr, "AF_XDP bind %s queue %u: %s\n", ifname, queue, strerror(errno));
		goto out_socket;
	}
	return 0;
out_socket:
	close(xsk->fd);
out_umem:
	munmap(xsk->umem, xsk->umem_len);
	memset(xsk, 0, sizeof(*xsk));
	return err;
}

void xsk_test_socket__close(struct xsk_test_socket *xsk)
{
	if (xsk->umem) {
		close(xsk->fd);
		munmap(xsk->umem, xsk->umem_len);
	}
	memset(xsk, 0, sizeof(*xsk));
}
