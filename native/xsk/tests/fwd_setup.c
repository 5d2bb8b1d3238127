// SPDX-License-Identifier: Apache-2.0
/* Per-interface setup of the test forwarder: XDP program from bpf/obj,
 * UMEM + AF_XDP socket, XSKMAP entry, config map, attach. */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "fwd.h"
#include "map_names.h"

static int write_config(struct bpf_object *obj, const struct fwd_opts *o)
{
	struct qk_xdp_config cfg = {
		.listen_port = o->listen_port,
		.session_port_start = o->port_min,
		.session_port_end = o->port_max,
		.flags = QK_CFG_F_ENABLED,
	};
	struct bpf_map *map = bpf_object__find_map_by_name(obj, QK_NAME(QK_MAP_CONFIG));
	__u32 key = QK_CONFIG_KEY;

	if (!map)
		return -ENOENT;
	if (bpf_map_update_elem(bpf_map__fd(map), &key, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int load_program(struct fwd_iface *f, const struct fwd_opts *o, int *prog_fd)
{
	struct bpf_program *prog;
	int err;

	f->obj = bpf_object__open_file(o->bpf_obj, NULL);
	if (!f->obj) {
		err = -errno;
		fprintf(stderr, "%s: open %s: %s\n", f->name, o->bpf_obj, strerror(-err));
		return err;
	}
	err = bpf_object__load(f->obj);
	if (err) {
		fprintf(stderr, "%s: load %s: %s\n", f->name, o->bpf_obj, strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(f->obj, QK_NAME(QK_PROG_XDP_REDIRECT));
	if (!prog) {
		fprintf(stderr, "%s: no program %s\n", f->name, QK_NAME(QK_PROG_XDP_REDIRECT));
		return -ENOENT;
	}
	*prog_fd = bpf_program__fd(prog);
	err = write_config(f->obj, o);
	if (err)
		fprintf(stderr, "%s: config map: %s\n", f->name, strerror(-err));
	return err;
}

static int open_socket(struct fwd_iface *f)
{
	struct qk_umem_opts uo = {0};
	struct qk_xsk_opts xo = {0};
	struct bpf_map *xsks = bpf_object__find_map_by_name(f->obj, QK_NAME(QK_MAP_XSKS));
	int err;

	err = qk_umem__create(&f->umem, &uo);
	if (err) {
		fprintf(stderr, "%s: umem: %s\n", f->name, strerror(-err));
		return err;
	}
	err = qk_xsk__create(&f->xsk, f->umem, f->name, 0, &xo);
	if (err) {
		fprintf(stderr, "%s: AF_XDP bind (zero-copy, then copy): %s\n", f->name,
			strerror(-err));
		return err;
	}
	err = xsks ? qk_xsk__register(f->xsk, bpf_map__fd(xsks)) : -ENOENT;
	if (err)
		fprintf(stderr, "%s: XSKMAP: %s\n", f->name, strerror(-err));
	return err;
}

int fwd_iface__open(struct fwd_iface *f, const struct fwd_opts *o)
{
	int err, prog_fd = -1;

	f->ifindex = (int)if_nametoindex(f->name);
	if (!f->ifindex) {
		fprintf(stderr, "%s: no such interface\n", f->name);
		return -ENODEV;
	}
	err = qk_link__mac(f->ifindex, f->mac);
	if (err)
		return err;
	err = load_program(f, o, &prog_fd);
	if (!err)
		err = open_socket(f);
	if (err)
		return err;
	err = bpf_xdp_attach(f->ifindex, prog_fd, o->xdp_flags, NULL);
	if (err) {
		fprintf(stderr, "%s: XDP attach: %s\n", f->name, strerror(-err));
		return err;
	}
	f->attached = 1;
	return 0;
}

/* Safe on a partly opened interface: undoes what was done, in reverse. */
void fwd_iface__close(struct fwd_iface *f, __u32 xdp_flags)
{
	if (f->attached)
		bpf_xdp_detach(f->ifindex, xdp_flags, NULL);
	f->attached = 0;
	qk_xsk__delete(f->xsk);
	f->xsk = NULL;
	qk_umem__delete(f->umem);
	f->umem = NULL;
	bpf_object__close(f->obj);
	f->obj = NULL;
}
