// SPDX-License-Identifier: Apache-2.0
/* Tiny helpers for the C unit tests: a fixed-seed PRNG so that every run
 * checks the same cases, and a CHECK macro that counts failures. */
#ifndef QK_TESTUTIL_H
#define QK_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>

static int test_failures;
static uint64_t test_rng_state = 0x9e3779b97f4a7c15ULL;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			test_failures++;                                                           \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* xorshift64*: enough randomness for header fields, identical on every run. */
static inline uint64_t test_rand(void)
{
	test_rng_state ^= test_rng_state >> 12;
	test_rng_state ^= test_rng_state << 25;
	test_rng_state ^= test_rng_state >> 27;
	return test_rng_state * 0x2545f4914f6cdd1dULL;
}

static inline void test_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)test_rand();
}

static inline int test_report(const char *name, int cases)
{
	if (test_failures) {
		fprintf(stderr, "%s: %d failure(s)\n", name, test_failures);
		return 1;
	}
	printf("%s: ok (%d cases)\n", name, cases);
	return 0;
}

#endif /* QK_TESTUTIL_H */
