// SPDX-License-Identifier: Apache-2.0
// LoadBalancer's HASH policy core: FNV-1a 64 over the source IP bytes (4 for IPv4, 16 for IPv6)
// followed by the port in big-endian order. Plain C so the BPF variant and the TS reference can
// compute the same endpoint.
#ifndef QK_LOAD_BALANCER_CORE_H
#define QK_LOAD_BALANCER_CORE_H

#include <stdint.h>

#define QK_FNV64_OFFSET 0xcbf29ce484222325ULL
#define QK_FNV64_PRIME 0x100000001b3ULL

static inline uint64_t qk_fnv1a64(uint64_t h, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= QK_FNV64_PRIME;
	}
	return h;
}

static inline uint64_t qk_load_balancer__hash(const uint8_t *ip, uint32_t ip_len, uint16_t port)
{
	uint8_t be_port[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	uint64_t h = qk_fnv1a64(QK_FNV64_OFFSET, ip, ip_len);

	return qk_fnv1a64(h, be_port, 2);
}

#endif /* QK_LOAD_BALANCER_CORE_H */
