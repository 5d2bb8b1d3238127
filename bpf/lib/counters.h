/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-CPU counters and the event ring buffer, and the one place that turns a
 * stage's verdict into counter updates and events (qk_verdict__account), so
 * no verdict can leave the program uncounted.
 */
#ifndef QK_COUNTERS_H
#define QK_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "map_names.h"
#include "parse.h"

/* Packets/bytes by verdict, match kind, pass reason and drop reason; the program writes, userspace sums CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, QK_CNT_FAST__MAX);
	__type(key, __u32);
	__type(value, struct qk_counter);
} QK_MAP_COUNTERS SEC(".maps");

/* Drop and parse-error events (struct qk_xdp_event); the program writes, userspace drains. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, QK_EVENTS_BYTES);
} QK_MAP_EVENTS SEC(".maps");

static __always_inline void qk_count(__u32 index, __u64 bytes)
{
	struct qk_counter *counter = bpf_map_lookup_elem(&QK_MAP_COUNTERS, &index);

	/* Only an index past QK_CNT__MAX misses, and every index is a constant below it. */
	if (!counter)
		return;
	counter->packets += 1;
	counter->bytes += bytes;
}

static __always_inline void qk_event__emit(
	struct xdp_md *ctx, const struct qk_pkt *pkt, enum qk_event_kind kind)
{
	struct qk_xdp_event *event;

	event = bpf_ringbuf_reserve(&QK_MAP_EVENTS, sizeof(*event), 0);
	if (!event) {
		qk_count(QK_CNT_EVENTS_LOST, 0);
		return;
	}
	event->timestamp_ns = bpf_ktime_get_ns();
	event->kind = kind;
	event->reason = pkt->reason;
	event->ifindex = ctx->ingress_ifindex;
	event->rx_queue = ctx->rx_queue_index;
	event->frame_len = pkt->frame_len;
	event->offset = pkt->off;
	event->eth_proto = pkt->eth_proto;
	bpf_ringbuf_submit(event, 0);
}

/* Count the verdict and its reason, emit the event it calls for, return it. */
static __always_inline int qk_verdict__account(
	struct xdp_md *ctx, const struct qk_pkt *pkt, int verdict)
{
	__u64 bytes = pkt->frame_len;

	switch (verdict) {
	case XDP_REDIRECT:
		qk_count(pkt->fast ? QK_CNT_FORWARD : QK_CNT_REDIRECT, bytes);
		return XDP_REDIRECT;
	case XDP_TX:
		qk_count(QK_CNT_TX, bytes);
		return XDP_TX;
	case XDP_DROP:
		qk_count(QK_CNT_DROP, bytes);
		if (pkt->fast)
			return XDP_DROP; /* by reason and direction in the fast path's counters */
		if (pkt->reason < QK_CNT_DROP_SLOTS)
			qk_count(QK_CNT_DROP_BASE + pkt->reason, bytes);
		qk_event__emit(ctx, pkt, QK_EVENT_DROP);
		return XDP_DROP;
	default:
		/* XDP_PASS, and the fallback for anything a stage did not mean. */
		qk_count(QK_CNT_PASS, bytes);
		if (pkt->reason < QK_PASS__MAX)
			qk_count(QK_CNT_PASS_BASE + pkt->reason, bytes);
		if (pkt->reason == QK_PASS_TRUNCATED || pkt->reason == QK_PASS_MALFORMED)
			qk_event__emit(ctx, pkt, QK_EVENT_PARSE_ERROR);
		return XDP_PASS;
	}
}

#endif /* QK_COUNTERS_H */
