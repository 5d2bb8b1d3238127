/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel Capture (quilkin.filters.capture.v1alpha1.Capture), prefix and suffix; regex stays in
 * user space. The bytes come from the payload windows (the first and last QK_FAST_WINDOW bytes as
 * received); a capture that would reach past them hands the packet to tier 1. `remove` records a
 * cut that bpf/lib/fast.h applies when the packet is sent.
 */
#ifndef QK_CAPTURE_BPF_H
#define QK_CAPTURE_BPF_H

#include "bpf/lib/fast_state.h"
#include "data-plane/filters/capture/capture_core.h"

/* Copies size bytes of a window from off (off + size <= QK_FAST_WINDOW, size <= VALUE_MAX),
 * zeroing the rest: metadata bytes past len are zero, so values compare as whole words. */
static __always_inline void qk_capture__copy(
	struct qk_fast_meta *m, const __u8 *window, __u32 off, __u32 size)
{
	__u32 i;

	/* Zero first, then copy only what was captured: a token is a few bytes of 32. */
	__builtin_memset(m->bytes, 0, sizeof(m->bytes));
	for (i = 0; i < QK_FAST_VALUE_MAX; i++) {
		if (i >= size)
			break;
		m->bytes[i] = window[(off + i) & (QK_FAST_WINDOW - 1)];
	}
	m->tag = QK_META_BYTES;
	m->len = size;
}

static __always_inline void qk_capture__step(
	struct qk_fast_state *st, const struct qk_fast_step *step)
{
	const __u32 size = step->arg;
	const __u32 view = qk_fast__view_len(st);
	const __u32 len = st->payload_len;
	const __u32 window = len < QK_FAST_WINDOW ? len : QK_FAST_WINDOW;
	struct qk_fast_meta *value, *present;
	__u32 off = 0;
	int captured;

	/* Captures run before any Concatenate (the lowering refuses the other order); the windows are
	 * there when the lowering said this direction reads the payload. */
	if (size > QK_FAST_VALUE_MAX || st->pre_len || st->post_len || !st->windows) {
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return;
	}
	value = qk_fast__meta(st, step->key);
	present = qk_fast__meta(st, step->key2);
	if (!value || !present)
		return;
	captured = qk_capture__affix(view, size, step->op == QK_STEP_CAPTURE_SUFFIX, &off);
	if (captured) {
		/* off is within the view; make it an offset into the window holding it. */
		if (step->op == QK_STEP_CAPTURE_SUFFIX) {
			__u32 start = st->cut_front + off; /* payload offset of the first byte */

			if (start < len - window) {
				qk_fast__handoff(st, QK_HANDOFF_WINDOW);
				return;
			}
			qk_capture__copy(value, st->tail, start - (len - window), size);
			if (step->flags & QK_STEP_F_REMOVE)
				st->cut_back += size;
		} else {
			if (st->cut_front + size > window) {
				qk_fast__handoff(st, QK_HANDOFF_WINDOW);
				return;
			}
			qk_capture__copy(value, st->head, st->cut_front, size);
			if (step->flags & QK_STEP_F_REMOVE)
				st->cut_front += size;
		}
	}
	__builtin_memset(present->bytes, 0, sizeof(present->bytes));
	present->tag = QK_META_BOOL;
	present->len = 1;
	present->bytes[0] = captured ? 1 : 0;
	if (!captured)
		qk_fast__drop(st, QK_DROP_CAPTURE_NO_VALUE);
}

#endif /* QK_CAPTURE_BPF_H */
