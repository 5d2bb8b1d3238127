// SPDX-License-Identifier: Apache-2.0
// LoadBalancer's HASH policy core, the same function as hashSource() in load_balancer.ts: 32-bit
// FNV-1a over the source IP's text form (dotted IPv4, RFC 5952 IPv6, as inet_ntop and node print
// them), then the port's low byte, then its high byte. Plain C. The 64-bit FNV-1a below is the
// engine's general-purpose hash (token index, rate-limit table).
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

static inline uint64_t qk_addr__hash(const uint8_t *ip, uint32_t ip_len, uint16_t port)
{
	uint8_t be_port[2] = {(uint8_t)(port >> 8), (uint8_t)port};
	uint64_t h = qk_fnv1a64(QK_FNV64_OFFSET, ip, ip_len);

	return qk_fnv1a64(h, be_port, 2);
}

static inline uint32_t qk_load_balancer__hash(const char *ip_text, uint16_t port)
{
	uint32_t h = 0x811c9dc5u;
	const char *c;

	for (c = ip_text; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x01000193u;
	h = (h ^ (port & 0xffu)) * 0x01000193u;
	return (h ^ (uint32_t)(port >> 8)) * 0x01000193u;
}

#endif /* QK_LOAD_BALANCER_CORE_H */
