// SPDX-License-Identifier: Apache-2.0
// LoadBalancer's HASH policy core, the same function as hashSource() in load_balancer.ts: 32-bit
// FNV-1a over the source IP's text form (dotted IPv4, RFC 5952 IPv6, as inet_ntop and node print
// them), then the port's low byte, then its high byte. Plain C.
#ifndef QK_LOAD_BALANCER_CORE_H
#define QK_LOAD_BALANCER_CORE_H

#include <stdint.h>

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
