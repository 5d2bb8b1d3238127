/* SPDX-License-Identifier: Apache-2.0 */
/* In-kernel Pass (quilkin.filters.pass.v1alpha1.Pass): the packet goes on unchanged. */
#ifndef QK_PASS_BPF_H
#define QK_PASS_BPF_H

#include "bpf/lib/fast_state.h"

static __always_inline void qk_pass__step(struct qk_fast_state *st, const struct qk_fast_step *step)
{
	(void)st;
	(void)step;
}

#endif /* QK_PASS_BPF_H */
