// SPDX-License-Identifier: Apache-2.0
/* UMEM area and its free list. The area is registered with the kernel by
 * qk_xsk__create, because a failed zero-copy bind leaves the registration
 * unusable and the copy-mode attempt needs a fresh one. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "ring.h"
#include "xsk.h"

static __u32 or_default(__u32 v, __u32 def)
{
	return v ? v : def;
}

static int power_of_two(__u32 v)
{
	return v && !(v & (v - 1));
}

int qk_umem__create(struct qk_umem **out, const struct qk_umem_opts *opts)
{
	struct qk_umem *u;
	int err;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->opts.frame_count = or_default(opts->frame_count, 4096);
	u->opts.frame_size = or_default(opts->frame_size, XSK_UMEM__DEFAULT_FRAME_SIZE);
	u->opts.fill_size = or_default(opts->fill_size, XSK_RING_PROD__DEFAULT_NUM_DESCS);
	u->opts.comp_size = or_default(opts->comp_size, XSK_RING_CONS__DEFAULT_NUM_DESCS);
	if (!power_of_two(u->opts.frame_size) || u->opts.frame_size < 2048 ||
		!power_of_two(u->opts.fill_size) || !power_of_two(u->opts.comp_size)) {
		err = -EINVAL;
		goto out_free_struct;
	}
	u->frame_size = u->opts.frame_size;
	u->frame_count = u->opts.frame_count;
	u->size = (__u64)u->frame_size * u->frame_count;
	u->area = mmap(NULL, u->size, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (u->area == MAP_FAILED) {
		err = -errno;
		goto out_free_struct;
	}
	u->free_frames = malloc(u->frame_count * sizeof(__u64));
	if (!u->free_frames) {
		err = -ENOMEM;
		goto out_unmap;
	}
	for (__u32 i = 0; i < u->frame_count; i++)
		qk_umem__free(u, (__u64)i * u->frame_size);
	*out = u;
	return 0;

out_unmap:
	munmap(u->area, u->size);
out_free_struct:
	free(u);
	return err;
}

void qk_umem__delete(struct qk_umem *u)
{
	if (!u)
		return;
	if (u->umem)
		xsk_umem__delete(u->umem);
	free(u->free_frames);
	munmap(u->area, u->size);
	free(u);
}
