/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs the committed XDP object through BPF_PROG_RUN: loads it with libbpf,
 * writes its config maps the way userspace does, snapshots the per-CPU
 * counters (summed over CPUs) and drains the event ring buffer.
 */
#ifndef QK_TEST_PROG_RUN_H
#define QK_TEST_PROG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "abi.h"

#define PROG_RUN_EVENTS_KEPT 16

struct prog_run {
	struct bpf_object *obj;
	struct ring_buffer *events;
	int prog_fd;
	int config_fd;
	int addrs_fd;
	int xsks_fd;
	int counters_fd;
	int ncpus;
	__u32 local_addrs_gen; /* bumped by each config write: addresses may have changed before it */
	struct qk_counter *percpu;			/* scratch: one value per possible CPU */
	struct qk_xdp_event kept[PROG_RUN_EVENTS_KEPT]; /* first events of the last drain */
	size_t drained;					/* events seen by the last drain */
};

int prog_run__open(struct prog_run *run, const char *obj_path);
void prog_run__close(struct prog_run *run);

int prog_run__set_config(struct prog_run *run, const struct qk_xdp_config *config);
/* Adds (present) or removes one textual IPv4/IPv6 address in the local address map. */
int prog_run__set_local_addr(struct prog_run *run, const char *addr, bool present);
/* Puts an AF_XDP socket fd at rx queue `queue` in the XSKMAP. */
int prog_run__set_xsk(struct prog_run *run, uint32_t queue, int xsk_fd);

/* out must hold QK_CNT__MAX counters. */
int prog_run__snapshot(struct prog_run *run, struct qk_counter *out);
/* ctx may be NULL (loopback, queue 0). */
int prog_run__exec(struct prog_run *run, const uint8_t *frame, uint32_t len, struct xdp_md *ctx,
	uint32_t repeat, uint32_t *retval);
/* Runs once on loopback, queue 0, and copies the frame as the program left it (XDP_TX's
 * rewrite, say) into out (cap bytes); *out_len is its length. */
int prog_run__exec_out(struct prog_run *run, const uint8_t *frame, uint32_t len, uint8_t *out,
	uint32_t cap, uint32_t *out_len, uint32_t *retval);
/* Consumes every pending event; returns how many (kept[] holds the first ones). */
int prog_run__drain(struct prog_run *run);

#endif /* QK_TEST_PROG_RUN_H */
