// SPDX-License-Identifier: Apache-2.0
// LocalRateLimit's per-bucket decision, plain C so the BPF variant can share it.
#ifndef QK_LOCAL_RATE_LIMIT_CORE_H
#define QK_LOCAL_RATE_LIMIT_CORE_H

#include <stdint.h>

struct qk_rl_bucket {
	uint64_t count;	      /* packets seen in this window, dropped ones included */
	int64_t window_start; /* whole seconds */
};

static inline void qk_rate_limit__start(struct qk_rl_bucket *b, int64_t now_s)
{
	b->count = 1;
	b->window_start = now_s;
}

/* Counts one more packet from an existing bucket; returns 1 to pass, 0 to drop. The count goes up
 * even for drops, and a new window starts only once more than `period` whole seconds have passed
 * since the window began (strictly greater), as in Quilkin. */
static inline int qk_rate_limit__admit(
	struct qk_rl_bucket *b, int64_t now_s, uint64_t max_packets, uint32_t period)
{
	uint64_t prev = b->count;

	b->count = prev + 1;
	if (now_s - b->window_start > (int64_t)period) {
		qk_rate_limit__start(b, now_s);
		return 1;
	}
	return prev < max_packets;
}

#endif /* QK_LOCAL_RATE_LIMIT_CORE_H */
