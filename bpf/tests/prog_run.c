// SPDX-License-Identifier: Apache-2.0
#include "prog_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_names.h"

static int find_map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map) {
		fprintf(stderr, "map %s not found in object\n", name);
		return -ENOENT;
	}
	return bpf_map__fd(map);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct prog_run *run = ctx;

	if (size != sizeof(struct qk_xdp_event)) {
		fprintf(stderr, "event of %zu bytes, want %zu\n", size,
			sizeof(struct qk_xdp_event));
		return -EINVAL;
	}
	if (run->drained < PROG_RUN_EVENTS_KEPT)
		memcpy(&run->kept[run->drained], data, size);
	run->drained++;
	return 0;
}

static int open_maps(struct prog_run *run)
{
	int events_fd;

	run->config_fd = find_map_fd(run->obj, QK_NAME(QK_MAP_CONFIG));
	run->addrs_fd = find_map_fd(run->obj, QK_NAME(QK_MAP_LOCAL_ADDRS));
	run->xsks_fd = find_map_fd(run->obj, QK_NAME(QK_MAP_XSKS));
	run->counters_fd = find_map_fd(run->obj, QK_NAME(QK_MAP_COUNTERS));
	events_fd = find_map_fd(run->obj, QK_NAME(QK_MAP_EVENTS));
	if (run->config_fd < 0 || run->addrs_fd < 0 || run->xsks_fd < 0 || run->counters_fd < 0 ||
		events_fd < 0)
		return -ENOENT;
	run->events = ring_buffer__new(events_fd, on_event, run, NULL);
	if (!run->events)
		return -errno;
	return 0;
}

int prog_run__open(struct prog_run *run, const char *obj_path)
{
	struct bpf_program *prog;
	int err;

	memset(run, 0, sizeof(*run));
	run->obj = bpf_object__open_file(obj_path, NULL);
	if (!run->obj)
		return -errno;
	err = bpf_object__load(run->obj);
	if (err)
		goto out_close;
	prog = bpf_object__find_program_by_name(run->obj, QK_NAME(QK_PROG_XDP_REDIRECT));
	if (!prog) {
		err = -ENOENT;
		goto out_close;
	}
	run->prog_fd = bpf_program__fd(prog);
	err = open_maps(run);
	if (err)
		goto out_close;
	run->ncpus = libbpf_num_possible_cpus();
	run->percpu = calloc((size_t)run->ncpus, sizeof(*run->percpu));
	if (run->ncpus <= 0 || !run->percpu) {
		err = -ENOMEM;
		goto out_ring;
	}
	return 0;
out_ring:
	ring_buffer__free(run->events);
out_close:
	bpf_object__close(run->obj);
	run->obj = NULL;
	return err;
}

void prog_run__close(struct prog_run *run)
{
	free(run->percpu);
	ring_buffer__free(run->events);
	bpf_object__close(run->obj);
	memset(run, 0, sizeof(*run));
}

/* As the proxy does after changing qk_local_addrs, every config write starts a new local address
 * generation: the harnesses change addresses, then write the config. */
int prog_run__set_config(struct prog_run *run, const struct qk_xdp_config *config)
{
	struct qk_xdp_config next = *config;
	__u32 key = QK_CONFIG_KEY;

	next.local_addrs_gen = ++run->local_addrs_gen;
	return bpf_map_update_elem(run->config_fd, &key, &next, BPF_ANY) ? -errno : 0;
}

int prog_run__set_local_addr(struct prog_run *run, const char *addr, bool present)
{
	struct qk_local_addr_key key;
	struct qk_local_addr_value value = {0};

	memset(&key, 0, sizeof(key));
	if (inet_pton(AF_INET, addr, key.addr) == 1)
		key.family = QK_ADDR_V4;
	else if (inet_pton(AF_INET6, addr, key.addr) == 1)
		key.family = QK_ADDR_V6;
	else
		return -EINVAL;
	if (present)
		return bpf_map_update_elem(run->addrs_fd, &key, &value, BPF_ANY) ? -errno : 0;
	if (bpf_map_delete_elem(run->addrs_fd, &key) && errno != ENOENT)
		return -errno;
	return 0;
}

int prog_run__set_xsk(struct prog_run *run, uint32_t queue, int xsk_fd)
{
	return bpf_map_update_elem(run->xsks_fd, &queue, &xsk_fd, BPF_ANY) ? -errno : 0;
}

int prog_run__snapshot(struct prog_run *run, struct qk_counter *out)
{
	for (__u32 index = 0; index < QK_CNT__MAX; index++) {
		if (bpf_map_lookup_elem(run->counters_fd, &index, run->percpu))
			return -errno;
		out[index].packets = 0;
		out[index].bytes = 0;
		for (int cpu = 0; cpu < run->ncpus; cpu++) {
			out[index].packets += run->percpu[cpu].packets;
			out[index].bytes += run->percpu[cpu].bytes;
		}
	}
	return 0;
}

int prog_run__exec(struct prog_run *run, const uint8_t *frame, uint32_t len, struct xdp_md *ctx,
	uint32_t repeat, uint32_t *retval)
{
	LIBBPF_OPTS(
		bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = repeat);
	struct xdp_md run_ctx;

	if (ctx) {
		/* The kernel takes the frame bounds from the context: all of data_in. */
		run_ctx = *ctx;
		run_ctx.data = 0;
		run_ctx.data_meta = 0;
		run_ctx.data_end = len;
		opts.ctx_in = &run_ctx;
		opts.ctx_size_in = sizeof(run_ctx);
	}
	if (bpf_prog_test_run_opts(run->prog_fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

int prog_run__exec_out(struct prog_run *run, const uint8_t *frame, uint32_t len, uint8_t *out,
	uint32_t cap, uint32_t *out_len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .data_out = out,
		.data_size_out = cap, .repeat = 1);

	if (bpf_prog_test_run_opts(run->prog_fd, &opts))
		return -errno;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
}

int prog_run__drain(struct prog_run *run)
{
	int err;

	run->drained = 0;
	err = ring_buffer__consume(run->events);
	return err < 0 ? err : (int)run->drained;
}
