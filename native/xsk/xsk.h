// SPDX-License-Identifier: Apache-2.0
/* AF_XDP sockets and their UMEM, built on libxdp's xsk API. Setup and
 * teardown live in umem.c / xsk.c; the per-packet helpers are inline in
 * ring.h. One UMEM per socket (per NIC queue), owned by one worker thread.
 * No XDP program is loaded here: the caller attaches bpf/obj/xdp_redirect
 * and registers each socket in its XSKMAP with qk_xsk__register. */
#ifndef QK_XSK_XSK_H
#define QK_XSK_XSK_H

#include <linux/types.h>
#include <xdp/xsk.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qk_umem_opts {
	__u32 frame_count; /* UMEM frames; 0 = 4096 */
	__u32 frame_size;  /* power of two, 2048 or 4096; 0 = 4096 */
	__u32 fill_size;   /* fill ring entries (power of two); 0 = 2048 */
	__u32 comp_size;   /* completion ring entries (power of two); 0 = 2048 */
};

struct qk_umem_counters {
	__u64 alloc_failed; /* free list empty when a frame was wanted: UMEM exhausted */
	__u64 fill_short;   /* fill ring refill found fewer free frames than slots */
	__u64 filled;	    /* frames handed to the kernel on the fill ring */
	__u64 completed;    /* transmitted frames reclaimed from the completion ring */
};

struct qk_umem {
	void *area;
	__u64 size;
	__u32 frame_size;
	__u32 frame_count;
	struct qk_umem_opts opts;
	struct xsk_umem *umem; /* registered by qk_xsk__create */
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	__u64 *free_frames; /* stack of frame base addresses */
	__u32 free_count;
	struct qk_umem_counters counters;
};

struct qk_xsk_opts {
	__u32 rx_size;	/* rx ring entries; 0 = 2048 */
	__u32 tx_size;	/* tx ring entries; 0 = 2048 */
	int force_copy; /* skip the zero-copy attempt */
};

struct qk_xsk_counters {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 rx_wakeups; /* fill ring needed a wakeup */
	__u64 tx_packets; /* descriptors queued on the tx ring */
	__u64 tx_bytes;
	__u64 tx_ring_full;    /* descriptors refused: tx ring full, counted drop */
	__u64 tx_kicks;	       /* sendto calls */
	__u64 tx_kick_retries; /* EAGAIN/EBUSY/ENOBUFS: kernel took a partial batch */
	__u64 tx_kick_errors;  /* any other sendto error */
	__u64 tx_kick_stalls;  /* kick loop gave up with descriptors still queued */
};

struct qk_xsk {
	struct xsk_socket *xsk;
	int fd;
	struct qk_umem *umem;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u32 queue;
	int zerocopy; /* 1 when bound in zero-copy mode, 0 in copy mode */
	struct qk_xsk_counters counters;
};

/* A frame as the rings carry it: UMEM address of the first byte, length. */
struct qk_desc {
	__u64 addr;
	__u32 len;
};

/* Allocates the UMEM area and its free list. 0, -EINVAL or -ENOMEM. */
int qk_umem__create(struct qk_umem **out, const struct qk_umem_opts *opts);
/* Frees the area; the socket using it must be deleted first. */
void qk_umem__delete(struct qk_umem *umem);

/* Registers umem with the kernel and binds an AF_XDP socket to ifname/queue:
 * zero-copy first, then copy mode (veth supports only copy), both with
 * need-wakeup. Fills the fill ring. Returns 0 or the negative errno of the
 * last attempt. */
int qk_xsk__create(struct qk_xsk **out, struct qk_umem *umem, const char *ifname, __u32 queue,
	const struct qk_xsk_opts *opts);
void qk_xsk__delete(struct qk_xsk *xsk);

/* The kernel's own drop counters for this socket (XDP_STATISTICS): rx ring
 * full, fill ring empty, invalid descriptors. 0 or negative errno. */
struct xdp_statistics;
int qk_xsk__kernel_stats(const struct qk_xsk *xsk, struct xdp_statistics *out);

/* Puts the socket in the XSKMAP at its queue index: 0 or negative errno. */
int qk_xsk__register(struct qk_xsk *xsk, int xskmap_fd);

#ifdef __cplusplus
}
#endif

#endif /* QK_XSK_XSK_H */
