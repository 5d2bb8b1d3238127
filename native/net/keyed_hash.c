// SPDX-License-Identifier: Apache-2.0
// The process's hash key (see keyed_hash.h), set once while the library loads, before any
// thread can hash with it.
#include "keyed_hash.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct qk_hash_key qk_process_hash_key;

__attribute__((constructor)) static void qk_hash_key_init(void)
{
	struct qk_hash_key key;

	if (getrandom(&key, sizeof(key), 0) == (ssize_t)sizeof(key)) {
		qk_process_hash_key = key;
		return;
	}
	/* No getrandom (pre-3.17 kernels, seccomp): a clock and pid derived key still differs per
	 * process, which is what stops precomputed collisions; it is only guessable locally. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t seed[2] = {(uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec,
		(uint64_t)getpid() << 32 ^ (uint64_t)clock()};
	struct qk_hash_key zero = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	qk_process_hash_key.k0 = qk_siphash13(&zero, seed, sizeof(seed));
	qk_process_hash_key.k1 = qk_siphash13(&zero, &qk_process_hash_key.k0, sizeof(uint64_t));
}
