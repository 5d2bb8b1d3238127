/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel Concatenate (quilkin.filters.concatenate.v1alpha1.Concatenate): the bytes are
 * recorded in the state's pre/post buffers (QK_FAST_VALUE_MAX each) and written when the packet
 * is sent. More than that at one end hands the packet to tier 1.
 */
#ifndef QK_CONCATENATE_BPF_H
#define QK_CONCATENATE_BPF_H

#include "bpf/lib/fast_state.h"

static __always_inline void qk_concatenate__step(
	struct qk_fast_state *st, const struct qk_fast_step *step)
{
	const __u32 n = step->len;
	__u32 i;

	if (n > QK_FAST_VALUE_MAX) {
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return;
	}
	if (step->op == QK_CONCAT_APPEND) {
		__u32 at = st->post_len;

		if (at + n > QK_FAST_VALUE_MAX) {
			qk_fast__handoff(st, QK_HANDOFF_CONCAT);
			return;
		}
		for (i = 0; i < QK_FAST_VALUE_MAX; i++) {
			if (i >= n)
				break;
			st->post[(at + i) & (QK_FAST_VALUE_MAX - 1)] = step->value[i];
		}
		st->post_len = at + n;
	} else if (step->op == QK_CONCAT_PREPEND) {
		__u32 have = st->pre_len;

		if (have + n > QK_FAST_VALUE_MAX) {
			qk_fast__handoff(st, QK_HANDOFF_CONCAT);
			return;
		}
		/* The new bytes go in front of what earlier steps prepended. */
		for (i = QK_FAST_VALUE_MAX; i > 0; i--) {
			__u32 from = i - 1;

			if (from < have)
				st->pre[(from + n) & (QK_FAST_VALUE_MAX - 1)] = st->pre[from];
		}
		for (i = 0; i < QK_FAST_VALUE_MAX; i++) {
			if (i >= n)
				break;
			st->pre[i] = step->value[i];
		}
		st->pre_len = have + n;
	}
}

#endif /* QK_CONCATENATE_BPF_H */
