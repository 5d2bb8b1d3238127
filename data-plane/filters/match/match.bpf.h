/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel Match (quilkin.filters.match.v1alpha1.Match): the lowering flattens each direction
 * into MATCH, its BRANCH steps (value, target pc) and the branch bodies, each ending with a JUMP
 * past the Match, so choosing a branch is setting the pc. Values compare as the native
 * metavalue__equals does for the tags that lower: String and Bytes are both text and compare by
 * bytes, Bool by value. The matched and fallthrough counts go to two per-CPU cells, once the kernel
 * settles the packet (a handed-off one is counted by the worker's engine).
 */
#ifndef QK_MATCH_BPF_H
#define QK_MATCH_BPF_H

#include "bpf/lib/fast_state.h"

static __always_inline int qk_match__is_text(__u8 tag)
{
	return tag == QK_META_STRING || tag == QK_META_BYTES;
}

static __always_inline int qk_match__equals(
	const struct qk_fast_step *branch, const struct qk_fast_meta *value)
{
	if (qk_match__is_text(branch->op) && qk_match__is_text(value->tag)) {
		__u8 diff = 0;
		__u32 i;

		if (branch->len != value->len)
			return 0;
		/* Both are zero past len (the lowering's values, the steps' metadata), so all bytes
		 * compare, without a branch per byte for the verifier to follow. */
		for (i = 0; i < QK_FAST_VALUE_MAX; i++)
			diff |= branch->value[i] ^ value->bytes[i];
		return diff == 0;
	}
	if (branch->op == QK_META_BOOL && value->tag == QK_META_BOOL)
		return branch->value[0] == value->bytes[0];
	return 0;
}

/* Sets the pc to the chosen branch (or the fallthrough). */
static __always_inline void qk_match__step(
	struct qk_fast_state *st, const struct qk_fast_step *step, struct qk_fast_exec *at)
{
	const struct qk_fast_meta *value = qk_fast__meta(st, step->key);
	__u32 i;

	if (!value)
		return;
	if (value->tag == QK_META_ABSENT) {
		qk_fast__drop(st, QK_DROP_MATCH_NO_METADATA);
		return;
	}
	for (i = 0; i < QK_FAST_STEPS; i++) {
		__u32 pc = at->pc + 1 + i, key = at->base + pc;
		const struct qk_fast_step *branch;

		if (i >= step->count)
			break;
		branch = pc < QK_FAST_STEPS ? bpf_map_lookup_elem(&QK_MAP_FAST_STEPS, &key) : 0;
		if (!branch || branch->kind != QK_STEP_BRANCH) {
			qk_fast__handoff(st, QK_HANDOFF_CHAIN);
			return;
		}
		if (qk_match__equals(branch, value)) {
			qk_fast__cell_pending(st, step->arg);
			st->pc = branch->next;
			return;
		}
	}
	qk_fast__cell_pending(st, step->arg + 1);
	st->pc = step->next;
}

#endif /* QK_MATCH_BPF_H */
