// SPDX-License-Identifier: Apache-2.0
// Firewall's byte-level core: CIDR and half-open port-range matching, plain C so the BPF variant can
// share it.
#ifndef QK_FIREWALL_CORE_H
#define QK_FIREWALL_CORE_H

#include <stdint.h>

struct qk_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* bits */
	uint8_t ip[16]; /* IPv4 in the first 4 bytes */
};

struct qk_port_range {
	uint16_t min;
	uint32_t end; /* exclusive: a single port p is [p, p + 1) */
};

static inline int qk_firewall__prefix_eq(const uint8_t *a, const uint8_t *b, uint32_t bits)
{
	uint32_t i;

	for (i = 0; i < bits / 8; i++)
		if (a[i] != b[i])
			return 0;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
		if ((a[i] & mask) != (b[i] & mask))
			return 0;
	}
	return 1;
}

/* An IPv4 CIDR also matches IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) IPv6
 * addresses, as Quilkin's does. */
static inline int qk_cidr__contains(const struct qk_cidr *c, uint8_t family, const uint8_t *ip)
{
	if (c->family == family)
		return qk_firewall__prefix_eq(c->ip, ip, c->prefix);
	if (c->family == 4 && family == 6) {
		uint32_t i;

		for (i = 0; i < 10; i++)
			if (ip[i])
				return 0;
		if (!((ip[10] == 0xff && ip[11] == 0xff) || (ip[10] == 0 && ip[11] == 0)))
			return 0;
		return qk_firewall__prefix_eq(c->ip, ip + 12, c->prefix);
	}
	return 0;
}

static inline int qk_port_range__contains(const struct qk_port_range *r, uint16_t port)
{
	return port >= r->min && (uint32_t)port < r->end;
}

#endif /* QK_FIREWALL_CORE_H */
