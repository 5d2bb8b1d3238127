// SPDX-License-Identifier: Apache-2.0
// 64-bit FNV-1a, the engine's general-purpose unkeyed hash: the endpoint table's token index
// and the local rate limiter's bucket table. Its own header because neither owns it; plain C
// so the C and C++ parts can both include it.
#ifndef QK_NET_FNV_H
#define QK_NET_FNV_H

#include <stdint.h>

#define QK_FNV64_OFFSET 0xcbf29ce484222325ULL
#define QK_FNV64_PRIME	0x100000001b3ULL

static inline uint64_t qk_fnv1a64(uint64_t h, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= QK_FNV64_PRIME;
	}
	return h;
}

// An address (raw IP bytes, then the port big-endian) hashed with qk_fnv1a64.
static inline uint64_t qk_addr__hash(const uint8_t *ip, uint32_t ip_len, uint16_t port)
{
	uint8_t be_port[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	uint64_t h = qk_fnv1a64(QK_FNV64_OFFSET, ip, ip_len);

	return qk_fnv1a64(h, be_port, 2);
}

#endif /* QK_NET_FNV_H */
