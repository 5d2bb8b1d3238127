/* SPDX-License-Identifier: Apache-2.0 */
/* In-kernel Drop (quilkin.filters.drop.v1alpha1.Drop): every packet, counted as Drop's reason. */
#ifndef QK_DROP_BPF_H
#define QK_DROP_BPF_H

#include "bpf/lib/fast_state.h"

static __always_inline void qk_drop__step(struct qk_fast_state *st, const struct qk_fast_step *step)
{
	(void)step;
	qk_fast__drop(st, QK_DROP_DROP_FILTER);
}

#endif /* QK_DROP_BPF_H */
