/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every lowered filter (data-plane/filters/<name>/<name>.bpf.h) may use:
 * the fast path's maps, the per-packet state and the three ways a step ends a
 * packet's chain (forward at QK_STEP_END, drop with a reason, hand off to the
 * AF_XDP worker). Steps never touch the packet: they read the payload windows
 * copied into the state and record edits (cuts, prepended and appended bytes)
 * that bpf/lib/fast.h applies once the packet is known to leave in the kernel,
 * so a handoff gives tier 1 the frame exactly as it arrived.
 */
#ifndef QK_FAST_STATE_H
#define QK_FAST_STATE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "drop_reasons.h"
#include "map_names.h"

/* The switch: which bank packets read, the fast path's flags. Userspace writes. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_fast_ctl);
} QK_MAP_FAST_CTL SEC(".maps");

/* Per-bank header (endpoint count). Userspace writes the bank it is about to switch to. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QK_FAST_BANKS);
	__type(key, __u32);
	__type(value, struct qk_fast_bank);
} QK_MAP_FAST_BANKS SEC(".maps");

/* The lowered chains: (bank * QK_FAST_DIRS + dir) * QK_FAST_STEPS + pc. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QK_FAST_BANKS *QK_FAST_DIRS *QK_FAST_STEPS);
	__type(key, __u32);
	__type(value, struct qk_fast_step);
} QK_MAP_FAST_STEPS SEC(".maps");

/* Endpoints in the native description's order: bank * QK_FAST_ENDPOINTS + index. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QK_FAST_BANKS *QK_FAST_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct qk_fast_endpoint);
} QK_MAP_FAST_EPS SEC(".maps");

/* Token -> the endpoints holding it (TokenRouter, HashedTokenRouter). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QK_FAST_BANKS *QK_FAST_TOKENS);
	__type(key, struct qk_fast_token_key);
	__type(value, struct qk_fast_token_value);
} QK_MAP_FAST_TOKENS SEC(".maps");

/* Firewall rules of every Firewall filter of a bank: bank * QK_FAST_FW_RULES + index. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QK_FAST_BANKS *QK_FAST_FW_RULES);
	__type(key, __u32);
	__type(value, struct qk_fast_fw_rule);
} QK_MAP_FAST_FW SEC(".maps");

/* Sessions, both directions; the AF_XDP workers install them, the program stamps last_seen.
 * Not preallocated: the table is large and mostly empty. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QK_FAST_DIRS *QK_FAST_SESSIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct qk_fast_flow_key);
	__type(value, struct qk_fast_flow);
} QK_MAP_FAST_FLOWS SEC(".maps");

/* This CPU's packet: scratch that is too large for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_fast_state);
} QK_MAP_FAST_STATE SEC(".maps");

/* Test hooks (QK_FAST_F_TRACE, QK_FAST_F_SEED): the conformance runner's view of a chain. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_fast_state);
} QK_MAP_FAST_TRACE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_fast_seed);
} QK_MAP_FAST_SEED SEC(".maps");

/* The proxy's interfaces a flow may leave by when it arrived on another one (two-armed: clients
 * behind one, endpoints behind another), key = ifindex, value = ifindex; userspace writes. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, QK_FAST_IFACES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} QK_MAP_FAST_IFACES SEC(".maps");

/* Filter cells (round-robin positions, Match counts), per CPU; userspace sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QK_FAST_CELLS);
	__type(key, __u32);
	__type(value, __u64);
} QK_MAP_FAST_CELLS SEC(".maps");

static __always_inline struct qk_fast_state *qk_fast__state(void)
{
	const __u32 zero = 0;

	return bpf_map_lookup_elem(&QK_MAP_FAST_STATE, &zero);
}

static __always_inline void qk_fast__drop(struct qk_fast_state *st, __u32 reason)
{
	st->verdict = QK_FAST_DROP;
	st->reason = reason;
}

static __always_inline void qk_fast__handoff(struct qk_fast_state *st, __u32 why)
{
	st->verdict = QK_FAST_HANDOFF;
	st->reason = why;
}

/* The metadata slot of a step's key, or NULL (the chain data is bad: hand off). */
static __always_inline struct qk_fast_meta *qk_fast__meta(struct qk_fast_state *st, __u32 key)
{
	if (key >= QK_FAST_KEYS) {
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return 0;
	}
	return &st->meta[key & (QK_FAST_KEYS - 1)];
}

static __always_inline __u32 qk_fast__view_len(const struct qk_fast_state *st)
{
	return st->payload_len - st->cut_front - st->cut_back;
}

static __always_inline void qk_fast__route_to(struct qk_fast_state *st, __u16 endpoint)
{
	st->all_dests = 0;
	st->n_dests = 1;
	st->dests[0] = endpoint;
}

static __always_inline void qk_fast__cell_add(__u32 cell, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(&QK_MAP_FAST_CELLS, &cell);

	if (value)
		*value += n;
}

/* A count that only stands if the kernel settles the packet (qk_fast__cells_commit). */
static __always_inline void qk_fast__cell_pending(struct qk_fast_state *st, __u32 cell)
{
	__u32 n = st->n_pending;

	if (n < QK_FAST_PENDING_CELLS) {
		st->pending_cells[n & (QK_FAST_PENDING_CELLS - 1)] = (__u16)cell;
		st->n_pending = n + 1;
	}
}

static __always_inline void qk_fast__cells_commit(struct qk_fast_state *st)
{
	__u32 i;

	for (i = 0; i < QK_FAST_PENDING_CELLS; i++) {
		if (i >= st->n_pending)
			break;
		qk_fast__cell_add(st->pending_cells[i], 1);
	}
}

/* Where a step runs: the bank and direction's first step key, and its own pc. */
struct qk_fast_exec {
	__u32 base;
	__u32 pc;
};

#endif /* QK_FAST_STATE_H */
