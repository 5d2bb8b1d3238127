// SPDX-License-Identifier: Apache-2.0
/* The test forwarder's per-packet path: client -> endpoints through a
 * session port, endpoint -> client through the reverse lookup. Each output
 * frame is rewritten in place (the last use of a received frame on its own
 * interface) or in a copy (fan-out, or another interface's UMEM). */
#include <string.h>

#include "fwd.h"
#include "fwd_path.h"

#define TX_HEADROOM 256 /* as much as the kernel leaves in front of rx data */

static void drop(struct fwd *w, struct qk_umem *u, __u64 addr, enum qk_drop_reason why, int owned)
{
	w->c.drops[why]++;
	if (owned)
		qk_umem__free(u, addr);
}

static int iface_by_index(const struct fwd *w, int ifindex)
{
	for (int i = 0; i < w->opts.n_ifaces; i++)
		if (w->ifaces[i].ifindex == ifindex)
			return i;
	return -1;
}

static int next_hop(struct fwd *w, const struct qk_addr *to, __u64 now, struct qk_nexthop *nh)
{
	int err = qk_nhcache__lookup(w->nh, to->family, to->addr, now, nh);

	if (err == -EAGAIN || err == -EHOSTUNREACH)
		return QK_DROP_NEIGHBOUR_UNRESOLVED;
	if (err || !nh->has_src || iface_by_index(w, nh->ifindex) < 0)
		return QK_DROP_NO_ROUTE; /* or routed off the interfaces we serve */
	return 0;
}

/* Queues pkt, rewritten by rw, for TX on the interface of nh. last: the
 * received frame is not needed after this, so it may be reused in place. */
static void emit(struct fwd *w, int in, __u64 addr, const struct qk_frame *pkt,
	const struct qk_frame_info *info, struct qk_rewrite *rw, int out, int last)
{
	struct qk_umem *in_umem = w->ifaces[in].umem;
	struct fwd_iface *of = &w->ifaces[out];
	struct qk_frame work = *pkt;
	struct qk_frame_info wi = *info;
	__u64 waddr = addr;

	if (out != in || !last) {
		if (qk_umem__alloc(of->umem, &waddr)) {
			drop(w, in_umem, addr, QK_DROP_UMEM_EXHAUSTED, last);
			return;
		}
		qk_frame__copy(pkt, qk_umem__data(of->umem, waddr), of->umem->frame_size,
			TX_HEADROOM, &work);
		w->c.copies++;
		if (last)
			qk_umem__free(in_umem, addr);
	}
	memcpy(rw->eth_src, of->mac, QK_ETH_ALEN);
	if (qk_frame__rewrite(&work, &wi, rw)) {
		drop(w, of->umem, waddr, QK_DROP_TOO_LARGE, 1);
		return;
	}
	of->tx[of->tx_n].addr = (__u64)(work.data - (__u8 *)of->umem->area);
	of->tx[of->tx_n++].len = work.len;
}

static void fill_rewrite(struct qk_rewrite *rw, const struct qk_nexthop *nh,
	const struct qk_addr *src, const struct qk_addr *dst)
{
	memset(rw, 0, sizeof(*rw));
	memcpy(rw->eth_dst, nh->mac, QK_ETH_ALEN);
	rw->src = *src;
	rw->dst = *dst;
	rw->ttl = QK_DEFAULT_TTL;
}

static void read_frame(struct fwd *w, int in, __u64 addr, const struct qk_frame *pkt,
	const struct qk_frame_info *info, const struct qk_addr *client, const struct qk_addr *local,
	__u64 now)
{
	struct qk_umem *u = w->ifaces[in].umem;

	w->c.reads++;
	for (int e = 0; e < w->opts.n_endpoints; e++) {
		const struct qk_addr *ep = &w->opts.endpoints[e];
		int last = e == w->opts.n_endpoints - 1, why, r;
		const struct qk_session *s;
		struct qk_nexthop nh;
		struct qk_rewrite rw;
		struct qk_addr src;

		r = qk_sessions__for_read(w->sessions, client, ep, local, now, &s);
		if (r < 0) {
			drop(w, u, addr,
				r == -ENOSPC ? QK_DROP_SESSION_TABLE_FULL : QK_DROP_SESSION, last);
			continue;
		}
		why = next_hop(w, ep, now, &nh);
		if (why) {
			drop(w, u, addr, why, last);
			continue;
		}
		memset(&src, 0, sizeof(src));
		src.family = ep->family;
		memcpy(src.addr, nh.src, sizeof(src.addr));
		src.port = s->port;
		fill_rewrite(&rw, &nh, &src, ep);
		emit(w, in, addr, pkt, info, &rw, iface_by_index(w, nh.ifindex), last);
	}
}

static void write_frame(struct fwd *w, int in, __u64 addr, const struct qk_frame *pkt,
	const struct qk_frame_info *info, const struct qk_addr *endpoint, __u16 port, __u64 now)
{
	struct qk_umem *u = w->ifaces[in].umem;
	const struct qk_session *s;
	struct qk_nexthop nh;
	struct qk_rewrite rw;
	int why;

	w->c.writes++;
	if (qk_sessions__for_write(w->sessions, port, endpoint, now, &s)) {
		drop(w, u, addr, QK_DROP_NO_DOWNSTREAM, 1);
		return;
	}
	why = next_hop(w, &s->client, now, &nh);
	if (why) {
		drop(w, u, addr, why, 1);
		return;
	}
	fill_rewrite(&rw, &nh, &s->local, &s->client);
	emit(w, in, addr, pkt, info, &rw, iface_by_index(w, nh.ifindex), 1);
}

void fwd_handle(struct fwd *w, int in, const struct qk_desc *d, __u64 now)
{
	struct qk_umem *u = w->ifaces[in].umem;
	struct qk_frame pkt = {
		.data = qk_umem__data(u, d->addr),
		.len = d->len,
		.headroom = (__u32)(d->addr - qk_umem__frame_base(u, d->addr)),
	};
	struct qk_frame_info info;
	struct qk_addr src, dst;

	if (qk_frame__parse(pkt.data, pkt.len, &info)) {
		drop(w, u, d->addr, QK_DROP_MALFORMED, 1);
		return;
	}
	qk_frame__addrs(pkt.data, &info, &src, &dst);
	if (dst.port == w->opts.listen_port)
		read_frame(w, in, d->addr, &pkt, &info, &src, &dst, now);
	else
		write_frame(w, in, d->addr, &pkt, &info, &src, dst.port, now);
}
