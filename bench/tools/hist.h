// SPDX-License-Identifier: Apache-2.0
// Round-trip-time histogram: 1 us buckets below 1 ms, 10 us buckets up to ~100 ms,
// one overflow bucket. Fixed memory, no allocation on the packet path.
#ifndef QKB_HIST_H
#define QKB_HIST_H

#include <stdint.h>

#define HIST_FINE    1000u /* 1 us buckets for 0..999 us */
#define HIST_COARSE  9900u /* 10 us buckets for 1 ms .. 100 ms */
#define HIST_BUCKETS (HIST_FINE + HIST_COARSE + 1u)

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t total;
};

static inline void hist__add(struct hist *h, uint64_t ns)
{
	uint64_t us = ns / 1000u;
	uint64_t idx = us < HIST_FINE ? us : HIST_FINE + (us - HIST_FINE) / 10u;

	if (idx >= HIST_BUCKETS)
		idx = HIST_BUCKETS - 1u;
	h->count[idx]++;
	h->total++;
}

static inline void hist__merge(struct hist *into, const struct hist *from)
{
	for (uint32_t i = 0; i < HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->total += from->total;
}

/* Lower edge, in microseconds, of the bucket holding quantile q (0..1); -1 if empty. */
static inline double hist__quantile_us(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->total)
		return -1.0;
	rank = (uint64_t)(q * (double)(h->total - 1u)) + 1u;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			return i < HIST_FINE ? (double)i
					     : (double)(HIST_FINE + (i - HIST_FINE) * 10u);
	}
	return -1.0;
}

#endif
