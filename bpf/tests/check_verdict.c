// SPDX-License-Identifier: Apache-2.0
#include "check_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct check_state {
	const char *name;
	bool ok;
	struct qk_counter before[QK_CNT__MAX];
	struct qk_counter after[QK_CNT__MAX];
};

static void fail(struct check_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "  %s: ", st->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	st->ok = false;
}

static uint64_t delta_packets(const struct check_state *st, uint32_t index)
{
	return st->after[index].packets - st->before[index].packets;
}

static uint64_t delta_bytes(const struct check_state *st, uint32_t index)
{
	return st->after[index].bytes - st->before[index].bytes;
}

/* The counter at `index` moved by `want` packets (and want * len bytes). */
static void expect_counter(
	struct check_state *st, uint32_t index, uint64_t want, uint32_t len, const char *what)
{
	uint64_t got = delta_packets(st, index);

	if (got != want)
		fail(st, "counter %s [%u]: moved by %llu packets, want %llu", what, index,
			(unsigned long long)got, (unsigned long long)want);
	else if (delta_bytes(st, index) != want * len)
		fail(st, "counter %s [%u]: moved by %llu bytes, want %llu", what, index,
			(unsigned long long)delta_bytes(st, index),
			(unsigned long long)(want * len));
}

static void expect_counters(struct check_state *st, const struct expectation *want, uint32_t len)
{
	expect_counter(st, QK_CNT_REDIRECT, want->verdict == XDP_REDIRECT, len, "redirect");
	expect_counter(st, QK_CNT_PASS, want->verdict == XDP_PASS, len, "pass");
	expect_counter(st, QK_CNT_DROP, want->verdict == XDP_DROP, len, "drop");
	expect_counter(st, QK_CNT_EVENTS_LOST, 0, 0, "events lost");
	for (uint32_t m = 0; m < QK_MATCH__MAX; m++)
		expect_counter(st, QK_CNT_MATCH_BASE + m, (int)m == want->match, len, "match");
	/* Exactly one reason moves, and only for pass/drop. */
	for (uint32_t r = 0; r < QK_PASS__MAX; r++)
		expect_counter(st, QK_CNT_PASS_BASE + r,
			want->verdict == XDP_PASS && r == want->reason, len, "pass reason");
	for (uint32_t r = 0; r < QK_CNT_DROP_SLOTS; r++)
		expect_counter(st, QK_CNT_DROP_BASE + r,
			want->verdict == XDP_DROP && r == want->reason, len, "drop reason");
}

static void expect_events(struct check_state *st, const struct check_env *env,
	const struct expectation *want, uint32_t len, int drained)
{
	const struct qk_xdp_event *ev = &env->run->kept[0];
	int want_count = want->event_kind ? 1 : 0;

	if (drained != want_count) {
		fail(st, "%d ring-buffer events, want %d", drained, want_count);
		return;
	}
	if (!want_count)
		return;
	if (ev->kind != want->event_kind || ev->reason != want->reason)
		fail(st, "event kind %u reason %u, want kind %u reason %u", ev->kind, ev->reason,
			want->event_kind, want->reason);
	if (want->event_offset && ev->offset != want->event_offset)
		fail(st, "event offset %u, want %u", ev->offset, want->event_offset);
	if (ev->frame_len != len || ev->offset > len)
		fail(st, "event frame_len %u offset %u, frame is %u bytes", ev->frame_len,
			ev->offset, len);
	if (env->ctx && (ev->ifindex != env->ctx->ingress_ifindex ||
				ev->rx_queue != env->ctx->rx_queue_index))
		fail(st, "event ifindex %u queue %u, want %u/%u", ev->ifindex, ev->rx_queue,
			env->ctx->ingress_ifindex, env->ctx->rx_queue_index);
	if (!ev->timestamp_ns)
		fail(st, "event without timestamp");
}

bool check_verdict(const struct check_env *env, const char *name, const uint8_t *frame,
	uint32_t len, const struct expectation *want)
{
	static struct check_state st;
	uint32_t retval = 0;
	int err, drained;

	memset(&st, 0, sizeof(st));
	st.name = name;
	st.ok = true;
	err = prog_run__drain(env->run);
	if (!err)
		err = prog_run__snapshot(env->run, st.before);
	if (!err)
		err = prog_run__exec(env->run, frame, len, env->ctx, 1, &retval);
	if (!err)
		err = prog_run__snapshot(env->run, st.after);
	drained = err ? err : prog_run__drain(env->run);
	if (err || drained < 0) {
		fail(&st, "BPF_PROG_RUN / map access failed: %s", strerror(-(err ? err : drained)));
		return false;
	}
	if (retval != want->verdict)
		fail(&st, "verdict %u, want %u", retval, want->verdict);
	expect_counters(&st, want, len);
	expect_events(&st, env, want, len, drained);
	return st.ok;
}
