// SPDX-License-Identifier: Apache-2.0
/* AF_XDP socket setup: register the UMEM, bind zero-copy or else copy mode,
 * prime the fill ring, and enter the socket in our XSKMAP. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>

#include "ring.h"
#include "xsk.h"

static int bind_socket(
	struct qk_xsk *x, const char *ifname, const struct qk_xsk_opts *opts, __u16 mode_flag)
{
	struct qk_umem *u = x->umem;
	struct xsk_umem_config ucfg = {
		.fill_size = u->opts.fill_size,
		.comp_size = u->opts.comp_size,
		.frame_size = u->frame_size,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = opts->rx_size ? opts->rx_size : XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = opts->tx_size ? opts->tx_size : XSK_RING_PROD__DEFAULT_NUM_DESCS,
		/* Our own program and XSKMAP come from bpf/: libxdp loads none. */
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (__u16)(XDP_USE_NEED_WAKEUP | mode_flag),
	};
	int err;

	err = xsk_umem__create(&u->umem, u->area, u->size, &u->fill, &u->comp, &ucfg);
	if (err)
		return err;
	err = xsk_socket__create(&x->xsk, ifname, x->queue, u->umem, &x->rx, &x->tx, &scfg);
	if (err)
		goto out_umem;
	return 0;

out_umem:
	xsk_umem__delete(u->umem);
	u->umem = NULL;
	return err;
}

int qk_xsk__create(struct qk_xsk **out, struct qk_umem *umem, const char *ifname, __u32 queue,
	const struct qk_xsk_opts *opts)
{
	struct qk_xsk *x;
	int err = -EOPNOTSUPP;

	if (umem->umem)
		return -EBUSY; /* one socket per UMEM in this layer */
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->umem = umem;
	x->queue = queue;
	if (!opts->force_copy)
		err = bind_socket(x, ifname, opts, XDP_ZEROCOPY);
	x->zerocopy = !err;
	if (err)
		err = bind_socket(x, ifname, opts, XDP_COPY);
	if (err)
		goto out_free;
	x->fd = xsk_socket__fd(x->xsk);
	qk_umem__fill(umem);
	*out = x;
	return 0;

out_free:
	free(x);
	return err;
}

void qk_xsk__delete(struct qk_xsk *x)
{
	if (!x)
		return;
	xsk_socket__delete(x->xsk);
	xsk_umem__delete(x->umem->umem);
	x->umem->umem = NULL;
	free(x);
}

int qk_xsk__kernel_stats(const struct qk_xsk *x, struct xdp_statistics *out)
{
	socklen_t len = sizeof(*out);

	memset(out, 0, sizeof(*out));
	if (getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, out, &len) < 0)
		return -errno;
	return 0;
}

int qk_xsk__register(struct qk_xsk *x, int xskmap_fd)
{
	__u32 key = x->queue;
	__u32 fd = (__u32)x->fd;

	if (bpf_map_update_elem(xskmap_fd, &key, &fd, BPF_ANY))
		return -errno;
	return 0;
}
