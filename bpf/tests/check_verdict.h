/* SPDX-License-Identifier: Apache-2.0 */
/* Runs one frame and checks verdict, counters and events against an expectation. */
#ifndef QK_TEST_CHECK_VERDICT_H
#define QK_TEST_CHECK_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "prog_run.h"

struct expectation {
	uint32_t verdict;      /* XDP_PASS / XDP_DROP / XDP_REDIRECT */
	uint32_t reason;       /* pass or drop reason; unused for XDP_REDIRECT */
	int match;	       /* enum qk_match_kind or -1 */
	uint32_t event_kind;   /* 0 = no event */
	uint16_t event_offset; /* 0 = any offset inside the frame */
};

struct check_env {
	struct prog_run *run;
	struct xdp_md *ctx; /* NULL = default context (loopback, queue 0) */
	bool verbose;
};

/* Returns true if every check held; prints each failed check to stderr, prefixed by name. */
bool check_verdict(const struct check_env *env, const char *name, const uint8_t *frame,
	uint32_t len, const struct expectation *want);

#endif /* QK_TEST_CHECK_VERDICT_H */
