/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel Firewall (quilkin.filters.firewall.v1alpha1.Firewall): the rules of the packet's
 * direction, first match decides, no match denies. Rules are map data (one bank table shared by
 * every Firewall of the chain), so a rule change is a map write. Matching follows
 * firewall_core.h (an IPv4 CIDR also matches IPv4-mapped and IPv4-compatible IPv6 sources; port
 * ranges are half-open) but compares addresses a 32-bit word at a time, and walks the rules with
 * bpf_loop, so the verifier's cost does not grow with prefix lengths or rule counts.
 */
#ifndef QK_FIREWALL_BPF_H
#define QK_FIREWALL_BPF_H

#include <bpf/bpf_endian.h>

#include "bpf/lib/fast_state.h"

/* Whether the first `bits` bits of two big-endian 4-word addresses agree. */
static __always_inline int qk_firewall__prefix_eq(const __u8 *a, const __u8 *b, __u32 bits)
{
	__u32 w, x, y;

	for (w = 0; w < 4; w++) {
		__u32 left = bits > w * 32 ? bits - w * 32 : 0;
		__u32 mask = left >= 32 ? 0xffffffffu : left == 0 ? 0 : ~(0xffffffffu >> left);

		__builtin_memcpy(&x, a + w * 4, 4);
		__builtin_memcpy(&y, b + w * 4, 4);
		if ((bpf_ntohl(x) ^ bpf_ntohl(y)) & mask)
			return 0;
	}
	return 1;
}

static __always_inline int qk_firewall__contains(
	const struct qk_fast_cidr *c, __u8 family, const __u8 *ip)
{
	__u8 mapped[16] = {};
	__u32 w0, w1, w2;

	if (c->prefix > (c->family == 4 ? 32 : 128))
		return 0;
	if (c->family == family)
		return family == 4 ? qk_firewall__prefix_eq(c->ip, ip, c->prefix) &&
					     1 /* ip[4..15] are zero for IPv4 */
				   : qk_firewall__prefix_eq(c->ip, ip, c->prefix);
	if (c->family != 4 || family != 6)
		return 0;
	__builtin_memcpy(&w0, ip, 4);
	__builtin_memcpy(&w1, ip + 4, 4);
	__builtin_memcpy(&w2, ip + 8, 4);
	if (w0 || w1 || (bpf_ntohl(w2) != 0x0000ffffu && w2 != 0))
		return 0;
	__builtin_memcpy(mapped, ip + 12, 4);
	return qk_firewall__prefix_eq(c->ip, mapped, c->prefix);
}

static __always_inline int qk_firewall__rule_matches(
	const struct qk_fast_fw_rule *rule, const struct qk_fast_state *st)
{
	int ip_ok = 0;
	__u32 i;

	for (i = 0; i < QK_FAST_FW_CIDRS; i++) {
		if (i >= rule->n_sources)
			break;
		if (qk_firewall__contains(&rule->sources[i], st->family, st->src_addr)) {
			ip_ok = 1;
			break;
		}
	}
	if (!ip_ok)
		return 0;
	for (i = 0; i < QK_FAST_FW_PORTS; i++) {
		if (i >= rule->n_ports)
			break;
		if (st->src_port >= rule->ports[i].min && (__u32)st->src_port < rule->ports[i].end)
			return 1;
	}
	return 0;
}

struct qk_firewall__walk {
	__u32 first; /* bank * QK_FAST_FW_RULES + the step's first rule */
	__u32 count;
	int decided; /* 0 no rule matched yet, 1 allow, -1 deny, -2 bad chain data */
};

static long qk_firewall__rule(__u64 i, void *data)
{
	struct qk_firewall__walk *walk = data;
	const struct qk_fast_fw_rule *rule;
	struct qk_fast_state *st = qk_fast__state();
	__u32 key = walk->first + (__u32)i;

	if (!st || i >= walk->count)
		return 1;
	rule = bpf_map_lookup_elem(&QK_MAP_FAST_FW, &key);
	if (!rule) {
		walk->decided = -2;
		return 1;
	}
	if (!qk_firewall__rule_matches(rule, st))
		return 0;
	walk->decided = rule->allow ? 1 : -1;
	return 1;
}

static __always_inline void qk_firewall__step(
	struct qk_fast_state *st, const struct qk_fast_step *step)
{
	struct qk_firewall__walk walk = {
		.first = st->bank * QK_FAST_FW_RULES + step->arg,
		.count = step->count,
	};

	if (step->arg + step->count > QK_FAST_FW_RULES) {
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return;
	}
	bpf_loop(QK_FAST_FW_RULES, qk_firewall__rule, &walk, 0);
	if (walk.decided == -2)
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
	else if (walk.decided != 1)
		qk_fast__drop(
			st, QK_DROP_FIREWALL_DENIED); /* denied, or no rule matched: default deny */
}

#endif /* QK_FIREWALL_BPF_H */
