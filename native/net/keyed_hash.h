// SPDX-License-Identifier: Apache-2.0
// SipHash-1-3 with a per-process random key, for hash tables whose keys an attacker chooses
// (client addresses and ports). With a fixed seed, colliding keys can be precomputed and
// every lookup turned into a long probe; with a secret 128-bit key they cannot. One round
// per word and three at the end (1-3) is the variant hash tables use (Rust's std, Python):
// the tables need flooding resistance, not a MAC. Plain C, shared by the C++ socket tables
// and the C session table of the AF_XDP workers. docs/adr/0004-keyed-hash.md says why it is
// written here rather than taken from a library.
#ifndef QK_NET_KEYED_HASH_H
#define QK_NET_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct qk_hash_key {
	uint64_t k0, k1;
};

#ifdef __cplusplus
extern "C" {
#endif
/* The process's key, filled from getrandom() before main() or dlopen() returns (keyed_hash.c). */
extern struct qk_hash_key qk_process_hash_key;
#ifdef __cplusplus
}
#endif

static inline uint64_t qk_rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define QK_SIP_ROUND(v0, v1, v2, v3)                                                               \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = qk_rotl64(v1, 13);                                                            \
		v1 ^= v0;                                                                          \
		v0 = qk_rotl64(v0, 32);                                                            \
		v2 += v3;                                                                          \
		v3 = qk_rotl64(v3, 16);                                                            \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = qk_rotl64(v3, 21);                                                            \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = qk_rotl64(v1, 17);                                                            \
		v1 ^= v2;                                                                          \
		v2 = qk_rotl64(v2, 32);                                                            \
	} while (0)

static inline uint64_t qk_siphash13(const struct qk_hash_key *key, const void *data, size_t len)
{
	const uint8_t *p = (const uint8_t *)data;
	uint64_t v0 = key->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key->k1 ^ 0x7465646279746573ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t m;
		memcpy(&m, p + i,
			8); /* little-endian hosts (x86-64, arm64) read words as the spec does */
		v3 ^= m;
		QK_SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t j = 0; j < len - i; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= last;
	QK_SIP_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	QK_SIP_ROUND(v0, v1, v2, v3);
	QK_SIP_ROUND(v0, v1, v2, v3);
	QK_SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The process key's hash of data. */
static inline uint64_t qk_keyed_hash(const void *data, size_t len)
{
	return qk_siphash13(&qk_process_hash_key, data, len);
}

#endif
