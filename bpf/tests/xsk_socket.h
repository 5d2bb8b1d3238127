/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The smallest real AF_XDP socket the XSKMAP accepts: a UMEM, fill and
 * completion rings, an RX ring, bound in copy mode to one queue. The harness
 * only needs bpf_redirect_map to find a socket; it never reads frames.
 */
#ifndef QK_TEST_XSK_SOCKET_H
#define QK_TEST_XSK_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#define XSK_FRAMES     64
#define XSK_FRAME_SIZE 4096
#define XSK_RING_SIZE  64 /* fill, completion and rx rings */

struct xsk_test_socket {
	int fd;
	void *umem;
	size_t umem_len;
	unsigned int ifindex;
};

int xsk_test_socket__open(struct xsk_test_socket *xsk, const char *ifname, uint32_t queue);
void xsk_test_socket__close(struct xsk_test_socket *xsk);

#endif /* QK_TEST_XSK_SOCKET_H */
