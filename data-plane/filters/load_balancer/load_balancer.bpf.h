/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel LoadBalancer (quilkin.filters.load_balancer.v1alpha1.LoadBalancer): exactly one of all
 * endpoints replaces the destinations. RoundRobin keeps one position per CPU (the native engine
 * keeps one per filter): each CPU cycles through every endpoint in order, so the spread stays even
 * but two packets in a row on different CPUs may pick the same endpoint. Hash is the native FNV-1a
 * over the source IP's text and the port (load_balancer_core.h); the text of an IPv4 address is
 * built digit by digit here, an IPv6 source is handed to tier 1 (inet_ntop's form is too long a
 * program for what it buys).
 */
#ifndef QK_LOAD_BALANCER_BPF_H
#define QK_LOAD_BALANCER_BPF_H

#include "bpf/lib/fast_state.h"

#define QK_FNV_PRIME 0x01000193u

static __always_inline __u32 qk_load_balancer__fnv_octet(__u32 h, __u8 octet)
{
	if (octet >= 100)
		h = (h ^ (__u32)('0' + octet / 100)) * QK_FNV_PRIME;
	if (octet >= 10)
		h = (h ^ (__u32)('0' + (octet / 10) % 10)) * QK_FNV_PRIME;
	return (h ^ (__u32)('0' + octet % 10)) * QK_FNV_PRIME;
}

/* qk_load_balancer__hash(inet_ntop(ip), port) for an IPv4 address. */
static __always_inline __u32 qk_load_balancer__hash4(const __u8 *ip, __u16 port)
{
	__u32 h = 0x811c9dc5u;

	h = qk_load_balancer__fnv_octet(h, ip[0]);
	h = (h ^ '.') * QK_FNV_PRIME;
	h = qk_load_balancer__fnv_octet(h, ip[1]);
	h = (h ^ '.') * QK_FNV_PRIME;
	h = qk_load_balancer__fnv_octet(h, ip[2]);
	h = (h ^ '.') * QK_FNV_PRIME;
	h = qk_load_balancer__fnv_octet(h, ip[3]);
	h = (h ^ (port & 0xffu)) * QK_FNV_PRIME;
	return (h ^ (__u32)(port >> 8)) * QK_FNV_PRIME;
}

static __always_inline void qk_load_balancer__step(
	struct qk_fast_state *st, const struct qk_fast_step *step)
{
	const __u32 n = st->endpoint_count;
	__u32 cell = step->arg;
	__u64 *position, pick;

	if (n == 0) {
		qk_fast__drop(st, QK_DROP_NO_UPSTREAM_ENDPOINTS);
		return;
	}
	switch (step->op) {
	case QK_LB_ROUND_ROBIN:
		position = bpf_map_lookup_elem(&QK_MAP_FAST_CELLS, &cell);
		if (!position) {
			qk_fast__handoff(st, QK_HANDOFF_CHAIN);
			return;
		}
		pick = *position % n;
		*position += 1;
		break;
	case QK_LB_RANDOM:
		pick = bpf_get_prandom_u32() % n;
		break;
	case QK_LB_HASH:
		if (st->family != QK_ADDR_V4) {
			qk_fast__handoff(st, QK_HANDOFF_LB_IPV6_HASH);
			return;
		}
		pick = qk_load_balancer__hash4(st->src_addr, st->src_port) % n;
		break;
	default:
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return;
	}
	qk_fast__route_to(st, (__u16)pick);
}

#endif /* QK_LOAD_BALANCER_BPF_H */
