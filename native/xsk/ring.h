// SPDX-License-Identifier: Apache-2.0
/* Per-packet AF_XDP helpers, inline so the worker loop pays no call per
 * frame. Everything works in batches: on this machine the copy-mode TX kick
 * costs ~930 ns, so one kick must carry as many frames as possible. */
#ifndef QK_XSK_RING_H
#define QK_XSK_RING_H

#include <errno.h>
#include <sys/socket.h>

#include "xsk.h"

#ifndef QK_INLINE
#define QK_INLINE static inline __attribute__((always_inline))
#endif

/* The kernel's copy-mode TX consumes at most this many descriptors per
 * sendto and answers EAGAIN for the rest. */
#define QK_TX_KICK_BUDGET 32
/* Kicks tried beyond the minimum before declaring the TX ring stalled. */
#define QK_TX_KICK_SLACK  8

QK_INLINE __u8 *qk_umem__data(const struct qk_umem *u, __u64 addr)
{
	return (__u8 *)u->area + addr;
}

QK_INLINE __u64 qk_umem__frame_base(const struct qk_umem *u, __u64 addr)
{
	return addr & ~(__u64)(u->frame_size - 1);
}

/* A free frame's base address, or -ENOMEM (counted) when UMEM is exhausted. */
QK_INLINE int qk_umem__alloc(struct qk_umem *u, __u64 *addr)
{
	if (!u->free_count) {
		u->counters.alloc_failed++;
		return -ENOMEM;
	}
	*addr = u->free_frames[--u->free_count];
	return 0;
}

QK_INLINE void qk_umem__free(struct qk_umem *u, __u64 addr)
{
	u->free_frames[u->free_count++] = qk_umem__frame_base(u, addr);
}

/* Moves free frames to the fill ring so the kernel can receive into them. */
QK_INLINE __u32 qk_umem__fill(struct qk_umem *u)
{
	__u32 want = xsk_prod_nb_free(&u->fill, u->opts.fill_size), idx, n;

	if (!want)
		return 0;
	n = want < u->free_count ? want : u->free_count;
	if (n < want)
		u->counters.fill_short++;
	if (!n || xsk_ring_prod__reserve(&u->fill, n, &idx) != n)
		return 0;
	for (__u32 i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&u->fill, idx + i) = u->free_frames[--u->free_count];
	xsk_ring_prod__submit(&u->fill, n);
	u->counters.filled += n;
	return n;
}

/* Returns transmitted frames from the completion ring to the free list. */
QK_INLINE __u32 qk_umem__reclaim(struct qk_umem *u)
{
	__u32 idx, n = xsk_ring_cons__peek(&u->comp, u->opts.comp_size, &idx);

	for (__u32 i = 0; i < n; i++)
		qk_umem__free(u, *xsk_ring_cons__comp_addr(&u->comp, idx + i));
	if (n)
		xsk_ring_cons__release(&u->comp, n);
	u->counters.completed += n;
	return n;
}

/* Up to max received frames. The caller owns them until it transmits them
 * or returns them with qk_umem__free. Refills the fill ring first, waking
 * the kernel when it asked for it (need-wakeup). */
QK_INLINE __u32 qk_xsk__rx_batch(struct qk_xsk *x, struct qk_desc *out, __u32 max)
{
	__u32 idx, n;

	qk_umem__fill(x->umem);
	if (xsk_ring_prod__needs_wakeup(&x->umem->fill)) {
		x->counters.rx_wakeups++;
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
	n = xsk_ring_cons__peek(&x->rx, max, &idx);
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);

		out[i].addr = d->addr;
		out[i].len = d->len;
		x->counters.rx_bytes += d->len;
	}
	if (n)
		xsk_ring_cons__release(&x->rx, n);
	x->counters.rx_packets += n;
	return n;
}

/* Descriptors submitted on the TX ring that the kernel has not consumed. */
QK_INLINE __u32 qk_xsk__tx_outstanding(const struct qk_xsk *x)
{
	return *x->tx.producer - __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
}

/* Zero-copy: the driver consumes the TX ring by itself; a sendto is only
 * needed when it asked for a wakeup. Copy mode: each sendto transmits at
 * most QK_TX_KICK_BUDGET descriptors and answers EAGAIN/EBUSY for the
 * rest, so kick until the kernel consumed every submitted descriptor,
 * reclaiming completions between kicks so frames flow back. Returns 0,
 * -EAGAIN when the loop gave up (counted stall) or the sendto errno. */
QK_INLINE int qk_xsk__kick(struct qk_xsk *x)
{
	__u32 left = qk_xsk__tx_outstanding(x);
	__u32 tries = left / QK_TX_KICK_BUDGET + QK_TX_KICK_SLACK;

	if (x->zerocopy && !xsk_ring_prod__needs_wakeup(&x->tx))
		return 0;
	while (left && tries--) {
		x->counters.tx_kicks++;
		if (sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
			if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
				x->counters.tx_kick_errors++;
				return -errno;
			}
			x->counters.tx_kick_retries++;
		}
		qk_umem__reclaim(x->umem);
		if (x->zerocopy)
			return 0; /* one wakeup is enough: the driver takes it from here */
		left = qk_xsk__tx_outstanding(x);
	}
	if (left) {
		x->counters.tx_kick_stalls++;
		return -EAGAIN;
	}
	return 0;
}

/* Queues n frames on the TX ring and kicks once for the whole batch.
 * Returns how many were queued; the caller frees the rest (counted as
 * tx_ring_full). */
QK_INLINE __u32 qk_xsk__tx_batch(struct qk_xsk *x, const struct qk_desc *d, __u32 n)
{
	__u32 idx, room;

	qk_umem__reclaim(x->umem);
	room = xsk_prod_nb_free(&x->tx, n);
	if (room > n)
		room = n;
	if (room && xsk_ring_prod__reserve(&x->tx, room, &idx) == room) {
		for (__u32 i = 0; i < room; i++) {
			struct xdp_desc *td = xsk_ring_prod__tx_desc(&x->tx, idx + i);

			td->addr = d[i].addr;
			td->len = d[i].len;
			td->options = 0;
			x->counters.tx_bytes += d[i].len;
		}
		xsk_ring_prod__submit(&x->tx, room);
	} else {
		room = 0;
	}
	x->counters.tx_packets += room;
	x->counters.tx_ring_full += n - room;
	if (room)
		qk_xsk__kick(x);
	return room;
}

#endif /* QK_XSK_RING_H */
