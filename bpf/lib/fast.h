/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-kernel fast path (DESIGN tier 2) of `quilkin proxy xdp`. For UDP to the listen port
 * (a read) or a session port (a write) it runs the lowered chain of the packet's direction from
 * map data, and when the chain forwards to one destination whose session an AF_XDP worker has
 * installed, rewrites the frame in place and sends it back out with XDP_TX (or, two-armed, out of
 * another of the proxy's interfaces with a redirect). Everything else
 * (a first packet, fan-out, a next hop only user space knows) is handed to the worker unchanged:
 * steps record edits instead of making them, so tier 1 sees the frame as it arrived.
 *
 * Checksums are patched incrementally, including the payload edits (only the cut and added
 * bytes are summed), so an error in the received datagram survives to the receiver as it does
 * through tier 1. A datagram whose UDP field holds only the pseudo-header sum (a local sender
 * with checksum offload over veth: CHECKSUM_PARTIAL; never one from a NIC) goes to tier 1, which
 * computes the checksum in full (summing the payload here and sending with XDP_TX delivered
 * nothing over veth in native mode; the cause is not known yet, see docs/xdp.md). The IPv4
 * header is rebuilt, so its checksum is verified first.
 */
#ifndef QK_FAST_H
#define QK_FAST_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "abi.h"
#include "counters.h"
#include "fast_state.h"
#include "parse.h"
#include "native/net/csum.h"

#include "data-plane/filters/capture/capture.bpf.h"
#include "data-plane/filters/concatenate/concatenate.bpf.h"
#include "data-plane/filters/drop/drop.bpf.h"
#include "data-plane/filters/firewall/firewall.bpf.h"
#include "data-plane/filters/hashed_token_router/hashed_token_router.bpf.h"
#include "data-plane/filters/load_balancer/load_balancer.bpf.h"
#include "data-plane/filters/match/match.bpf.h"
#include "data-plane/filters/pass/pass.bpf.h"
#include "data-plane/filters/token_router/token_router.bpf.h"

#define QK_FAST_TTL	  64 /* as tier 1 (QK_DEFAULT_TTL): a new datagram, not a routed one */
#define QK_FAST_MTU_FRAME 1514
#define QK_FAST_HDR4	  (ETH_HLEN + 20 + 8) /* Ethernet, IPv4 without options, UDP */
#define QK_FAST_HDR6	  (ETH_HLEN + 40 + 8)
/* A session's last_seen is rewritten at most this often: each write dirties a shared line. */
#define QK_FAST_STAMP_NS  100000000ull

struct qk_fast_loop {
	__u32 base; /* first step key of the bank and direction */
};

/* One step of the chain (a bpf_loop callback, so the verifier checks the interpreter once). */
static long qk_fast__step(__u64 index, void *data)
{
	const struct qk_fast_loop *loop = data;
	const struct qk_fast_step *step;
	struct qk_fast_state *st = qk_fast__state();
	struct qk_fast_exec at;
	__u32 key;

	(void)index;
	if (!st || st->verdict != QK_FAST_RUNNING)
		return 1;
	at.base = loop->base;
	at.pc = st->pc;
	/* A Match ending the last step jumps one past it: that is the end of the chain. */
	if (at.pc == QK_FAST_STEPS) {
		st->verdict = QK_FAST_FORWARD;
		return 1;
	}
	key = at.base + at.pc;
	step = at.pc < QK_FAST_STEPS ? bpf_map_lookup_elem(&QK_MAP_FAST_STEPS, &key) : 0;
	if (!step) {
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		return 1;
	}
	st->steps++;
	st->pc = at.pc + 1;
	switch (step->kind) {
	case QK_STEP_END:
		st->verdict = QK_FAST_FORWARD;
		break;
	case QK_STEP_PASS:
		qk_pass__step(st, step);
		break;
	case QK_STEP_DROP:
		qk_drop__step(st, step);
		break;
	case QK_STEP_CAPTURE:
		qk_capture__step(st, step);
		break;
	case QK_STEP_TOKEN_ROUTER:
		qk_token_router__step(st, step);
		break;
	case QK_STEP_FIREWALL:
		qk_firewall__step(st, step);
		break;
	case QK_STEP_MATCH:
		qk_match__step(st, step, &at);
		break;
	case QK_STEP_JUMP:
		st->pc = step->next;
		break;
	case QK_STEP_LOAD_BALANCER:
		qk_load_balancer__step(st, step);
		break;
	case QK_STEP_CONCATENATE:
		qk_concatenate__step(st, step);
		break;
	default: /* BRANCH is only read by MATCH; anything else is bad chain data */
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
		break;
	}
	/* Jumps go forward only, so no chain can loop. */
	if (st->verdict == QK_FAST_RUNNING && st->pc <= at.pc)
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
	return st->verdict != QK_FAST_RUNNING;
}

/* ---- checksums ---- */

/* RFC 1071 sum of bytes placed at datagram positions start, start + 1, ...: a byte at an even
 * position is the high half of its 16-bit word. */
static __always_inline __u64 qk_fast__lane_sum(
	const __u8 *buf, __u32 n, __u32 start, const __u32 cap)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < cap; i++) {
		if (i >= n)
			break;
		sum += ((start + i) & 1) ? (__u32)buf[i] : (__u32)buf[i] << 8;
	}
	return sum;
}

static __always_inline __u16 qk_fast__swab16(__u16 v)
{
	return (__u16)(v << 8 | v >> 8);
}

/* The UDP pseudo header's sum (addresses, protocol, length). */
static __always_inline __u64 qk_fast__pseudo_sum(
	int v4, const __u8 *src, const __u8 *dst, __u32 udp_len)
{
	__u64 sum = qk_csum_add(0, src, v4 ? 4 : 16);

	sum = qk_csum_add(sum, dst, v4 ? 4 : 16);
	return sum + 17 + (udp_len & 0xffff) + (udp_len >> 16);
}

/* ---- next hop ---- */

struct qk_fast_hop {
	__u8 smac[ETH_ALEN];
	__u8 dmac[ETH_ALEN];
	int action; /* XDP_TX, or XDP_REDIRECT to flow->ifindex */
};

static __always_inline int qk_fast__mac_set(const __u8 *mac)
{
	return mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5];
}

/* The next hop the worker resolved through the kernel's route and neighbour tables (native/net
 * neigh.h) when it installed the flow, and refreshes when they change. Not bpf_fib_lookup: that
 * helper is GPL-only and this program is Apache-2.0 (docs/adr). A flow leaves by the interface it
 * arrived on (XDP_TX) or, two-armed, by another of the proxy's interfaces (qk_fast_ifaces: a
 * redirect). 0, or a handoff. */
static __always_inline int qk_fast__next_hop(
	struct xdp_md *ctx, const struct qk_fast_flow *flow, struct qk_fast_hop *hop)
{
	if (!qk_fast__mac_set(flow->eth_dst))
		return QK_HANDOFF_NEXT_HOP;
	hop->action = XDP_TX;
	if (flow->ifindex != ctx->ingress_ifindex) {
		__u32 key = flow->ifindex;

		if (!bpf_map_lookup_elem(&QK_MAP_FAST_IFACES, &key))
			return QK_HANDOFF_NEXT_HOP;
		hop->action = XDP_REDIRECT;
	}
	__builtin_memcpy(hop->smac, flow->eth_src, ETH_ALEN);
	__builtin_memcpy(hop->dmac, flow->eth_dst, ETH_ALEN);
	return 0;
}

/* ---- the rewrite ---- */

/* Copies the headers between the frame and the state's scratch (8-byte aligned) in 8-byte words:
 * byte-wise copies were a tenth of the program. n is a constant. Packet loads need no alignment
 * (x86 and arm64 allow unaligned access, and so does the verifier there). */
static __always_inline void qk_fast__copy_hdr(void *dst, const void *src, const __u32 n)
{
	__u32 i;

	for (i = 0; i + 8 <= n; i += 8)
		*(__u64 *)(dst + i) = *(const __u64 *)(src + i);
	if (n & 4) {
		*(__u32 *)(dst + i) = *(const __u32 *)(src + i);
		i += 4;
	}
	if (n & 2)
		*(__u16 *)(dst + i) = *(const __u16 *)(src + i);
}

/* The IPv4 header checksum (20 bytes, the field itself skipped), from 16-bit loads of a 2-byte
 * aligned header: one pass, one fold, one swap (RFC 1071 2.B), where qk_ipv4_hdr_csum reads
 * bytes. */
static __always_inline __u16 qk_fast__ipv4_csum(const __u8 *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4] + w[6] + w[7] + w[8] + w[9];
	__u16 folded = qk_csum_fold(sum);

	return (__u16) ~(__u16)(folded << 8 | folded >> 8);
}

/* Writes n (<= QK_FAST_VALUE_MAX) bytes at frame offset off, one byte per call: a length the
 * verifier can bound does not survive the compiler here, and Concatenate's bytes are few. */
static __always_inline void qk_fast__put(struct xdp_md *ctx, __u32 off, const __u8 *src, __u32 n)
{
	__u32 i;

	for (i = 0; i < QK_FAST_VALUE_MAX; i++) {
		if (i >= n)
			break;
		bpf_xdp_store_bytes(ctx, off + i, (void *)(src + i), 1);
	}
}

/* Builds the new headers over a copy of the old ones and patches both checksums. Returns 0, or 1
 * for a CHECKSUM_PARTIAL datagram, whose payload sum nothing here knows (tier 1 computes it). */
static __always_inline int qk_fast__headers(__u8 *hdr, const struct qk_fast_state *st,
	const struct qk_fast_flow *flow, const struct qk_fast_hop *hop, __u32 new_payload)
{
	const int v4 = st->family == QK_ADDR_V4;
	const __u32 ip_len = v4 ? 20 : 40;
	__u8 *ip = hdr + ETH_HLEN, *udp = ip + ip_len;
	const __u32 old_udp_len = st->payload_len + 8, new_udp_len = new_payload + 8;
	const __u32 mid = qk_fast__view_len(st);
	const __u16 field = qk_load_be16(udp + 6);
	__u64 pseudo_old, fixed_old, sum;
	__u16 csum;

	pseudo_old = qk_fast__pseudo_sum(v4, ip + (v4 ? 12 : 8), ip + (v4 ? 16 : 24), old_udp_len);
	fixed_old = qk_csum_add(pseudo_old, udp, 6);

	__builtin_memcpy(hdr, hop->dmac, ETH_ALEN);
	__builtin_memcpy(hdr + ETH_ALEN, hop->smac, ETH_ALEN);
	if (v4) {
		qk_store_be16(ip + 2, (__u16)(20 + new_udp_len));
		ip[8] = QK_FAST_TTL;
		__builtin_memcpy(ip + 12, flow->src_addr, 4);
		__builtin_memcpy(ip + 16, flow->dst_addr, 4);
		qk_store_be16(ip + 10, qk_fast__ipv4_csum(ip));
	} else {
		qk_store_be16(ip + 4, (__u16)new_udp_len);
		ip[7] = QK_FAST_TTL;
		__builtin_memcpy(ip + 8, flow->src_addr, 16);
		__builtin_memcpy(ip + 24, flow->dst_addr, 16);
	}
	qk_store_be16(udp + 0, flow->src_port);
	qk_store_be16(udp + 2, flow->dst_port);
	qk_store_be16(udp + 4, (__u16)new_udp_len);

	if (field == 0)
		return 0; /* IPv4 without checksum stays so (RFC 768); IPv6 zero was handed off */
	/* CHECKSUM_PARTIAL: the field holds the pseudo header's sum; the payload's is unknown. */
	if (field == qk_csum_fold(pseudo_old))
		return 1;
	/* The payload's sum as received: the checksum's complement less the fixed part. */
	sum = (__u16)~field;
	sum += (__u16)~qk_csum_fold(fixed_old);
	{
		const __u32 len = st->payload_len, cut_back = st->cut_back;
		const __u32 window = len < QK_FAST_WINDOW ? len : QK_FAST_WINDOW;
		const __u32 back_at = (window - cut_back) & (QK_FAST_WINDOW - 1);
		__u16 removed_front =
			qk_csum_fold(qk_fast__lane_sum(st->head, st->cut_front, 0, QK_FAST_WINDOW));
		__u16 removed_back = 0, payload_mid;

		if (cut_back)
			removed_back = qk_csum_fold(qk_fast__lane_sum(
				st->tail + back_at, cut_back, len - cut_back, QK_FAST_WINDOW));
		sum += (__u16)~removed_front;
		sum += (__u16)~removed_back;
		payload_mid = qk_csum_fold(sum);
		/* Kept bytes that move by an odd count swap halves (RFC 1071 2.B). */
		if ((st->cut_front + st->pre_len) & 1)
			payload_mid = qk_fast__swab16(payload_mid);
		sum = payload_mid;
		sum += qk_fast__lane_sum(st->pre, st->pre_len, 0, QK_FAST_VALUE_MAX);
		sum += qk_fast__lane_sum(
			st->post, st->post_len, st->pre_len + mid, QK_FAST_VALUE_MAX);
	}
	sum += qk_fast__pseudo_sum(v4, flow->src_addr, flow->dst_addr, new_udp_len);
	sum = qk_csum_add(sum, udp, 6);
	csum = (__u16)~qk_csum_fold(sum);
	qk_store_be16(udp + 6, csum ? csum : 0xffff);
	return 0;
}

/* Rewrites the frame for flow: returns how it leaves (XDP_TX or XDP_REDIRECT), or -1 for a
 * handoff or a drop the state records (the frame is then as received). */
static __always_inline int qk_fast__emit(struct xdp_md *ctx, struct qk_fast_state *st,
	const struct qk_fast_flow *flow, __u32 frame_len)
{
	const int v4 = st->family == QK_ADDR_V4;
	const __u32 hdr_len = v4 ? QK_FAST_HDR4 : QK_FAST_HDR6;
	const __u32 mid = qk_fast__view_len(st);
	const __u32 new_payload = st->pre_len + mid + st->post_len;
	const int delta_head = (int)st->cut_front - (int)st->pre_len;
	__u8 *hdr = st->hdr;
	struct qk_fast_hop hop;
	void *data, *end;
	int why, delta_tail;

	if (hdr_len + new_payload > QK_FAST_MTU_FRAME && new_payload > st->payload_len) {
		qk_fast__handoff(st, QK_HANDOFF_TOO_BIG);
		return -1;
	}
	why = qk_fast__next_hop(ctx, flow, &hop);
	if (why) {
		qk_fast__handoff(st, why);
		return -1;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (v4) {
		if (data + QK_FAST_HDR4 > end)
			goto truncated;
		qk_fast__copy_hdr(hdr, data, QK_FAST_HDR4);
		/* The header is rebuilt, so a damaged one must not be made whole. */
		if (qk_fast__ipv4_csum(hdr + ETH_HLEN) != qk_load_be16(hdr + ETH_HLEN + 10)) {
			qk_fast__drop(st, QK_DROP_BAD_CHECKSUM);
			return -1;
		}
	} else {
		if (data + QK_FAST_HDR6 > end)
			goto truncated;
		qk_fast__copy_hdr(hdr, data, QK_FAST_HDR6);
		if (qk_load_be16(hdr + QK_FAST_HDR6 - 2) == 0) {
			qk_fast__handoff(st, QK_HANDOFF_CHECKSUM); /* invalid over IPv6 */
			return -1;
		}
	}
	if (qk_fast__headers(hdr, st, flow, &hop, new_payload)) {
		qk_fast__handoff(st, QK_HANDOFF_CHECKSUM);
		return -1;
	}

	/* Headers move to sit right before the new payload start; the kept bytes stay put. */
	if (delta_head && bpf_xdp_adjust_head(ctx, delta_head)) {
		qk_fast__handoff(st, QK_HANDOFF_TOO_BIG);
		return -1;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	delta_tail = (int)(hdr_len + new_payload) - ((int)frame_len - delta_head);
	if (delta_tail && bpf_xdp_adjust_tail(ctx, delta_tail)) {
		if (delta_head)
			bpf_xdp_adjust_head(ctx, -delta_head);
		qk_fast__handoff(st, QK_HANDOFF_TOO_BIG);
		return -1;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (v4) {
		if (data + QK_FAST_HDR4 > end)
			goto truncated;
		qk_fast__copy_hdr(data, hdr, QK_FAST_HDR4);
	} else {
		if (data + QK_FAST_HDR6 > end)
			goto truncated;
		qk_fast__copy_hdr(data, hdr, QK_FAST_HDR6);
	}
	qk_fast__put(ctx, hdr_len, st->pre, st->pre_len);
	qk_fast__put(ctx, hdr_len + st->pre_len + mid, st->post, st->post_len);
	return hop.action;
truncated:
	qk_fast__handoff(st, QK_HANDOFF_TOO_BIG);
	return -1;
}

/* ---- the stage ---- */

static __always_inline void qk_fast__key_from(
	struct qk_fast_flow_key *key, const struct qk_fast_state *st)
{
	__builtin_memset(key, 0, sizeof(*key));
	__builtin_memcpy(key->addr_a, st->src_addr, 16);
	key->port_a = st->src_port;
	key->family = st->family;
	key->dir = st->dir;
}

/* Copies the payload's ends into the state (the chain reads nothing else of the packet); only for
 * a direction whose chain reads them (QK_FAST_BANK_F_PAYLOAD). */
static __always_inline void qk_fast__load_windows(
	struct xdp_md *ctx, struct qk_fast_state *st, __u32 payload_off)
{
	__u32 len = st->payload_len, n = len < QK_FAST_WINDOW ? len : QK_FAST_WINDOW;

	st->windows = 1;
	if (n == 0 || n > QK_FAST_WINDOW)
		return;
	bpf_xdp_load_bytes(ctx, payload_off, st->head, n);
	bpf_xdp_load_bytes(ctx, payload_off + len - n, st->tail, n);
}

static __always_inline void qk_fast__init(struct qk_fast_state *st, struct xdp_md *ctx,
	const struct qk_pkt *pkt, __u32 dir, __u32 bank)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 i;

	st->dir = dir;
	st->family = pkt->dst.family;
	st->payload_len = pkt->udp_len - 8;
	st->cut_front = 0;
	st->cut_back = 0;
	st->pre_len = 0;
	st->post_len = 0;
	st->pc = 0;
	st->steps = 0;
	st->verdict = QK_FAST_RUNNING;
	st->reason = 0;
	st->n_dests = 0;
	st->all_dests = 1;
	st->bank = bank;
	st->windows = 0;
	st->endpoint_count = 0;
	st->n_pending = 0;
	for (i = 0; i < QK_FAST_KEYS; i++) {
		st->meta[i].tag = QK_META_ABSENT;
		st->meta[i].len = 0;
	}
	__builtin_memset(st->src_addr, 0, sizeof(st->src_addr));
	if (st->family == QK_ADDR_V4) {
		struct iphdr *ip = data + ETH_HLEN;

		if ((void *)(ip + 1) <= end)
			__builtin_memcpy(st->src_addr, &ip->saddr, 4);
	} else {
		struct ipv6hdr *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 1) <= end)
			__builtin_memcpy(st->src_addr, &ip6->saddr, 16);
	}
	{
		/* The caller made sure no IPv4 options come first. */
		struct udphdr *udp =
			data + (st->family == QK_ADDR_V4 ? QK_FAST_HDR4 : QK_FAST_HDR6) - 8;

		st->src_port = (void *)(udp + 1) <= end ? bpf_ntohs(udp->source) : 0;
	}
}

/*
 * Returns XDP_TX, XDP_REDIRECT or XDP_DROP when the fast path settled the packet, QK_CONTINUE to hand it to the
 * AF_XDP socket. Counts its own outcome (the baseline's verdict counters are moved by the
 * caller's qk_verdict__account).
 */
static __always_inline int qk_fast__run(struct xdp_md *ctx, struct qk_pkt *pkt)
{
	const __u32 zero = 0;
	const struct qk_fast_ctl *ctl = bpf_map_lookup_elem(&QK_MAP_FAST_CTL, &zero);
	const struct qk_fast_bank *header;
	struct qk_fast_flow *flow = 0;
	struct qk_fast_flow_key *fkey;
	struct qk_fast_state *st;
	struct qk_fast_loop loop;
	__u32 dir, bank, flags;
	int verdict = QK_CONTINUE, payload, action;

	if (!ctl || !(ctl->flags & QK_FAST_F_ENABLED))
		return QK_CONTINUE;
	if (pkt->match == QK_MATCH_LISTEN)
		dir = QK_FAST_DIR_READ;
	else if (pkt->match == QK_MATCH_SESSION)
		dir = QK_FAST_DIR_WRITE;
	else
		return QK_CONTINUE;
	flags = ctl->flags;
	bank = ctl->bank & 1;
	st = qk_fast__state();
	if (!st)
		return QK_CONTINUE;
	/* IPv4 options: the rewrite writes a minimal header, which tier 1 knows how to do. */
	if (pkt->off != (pkt->dst.family == QK_ADDR_V4 ? QK_FAST_HDR4 : QK_FAST_HDR6) - 8) {
		qk_count(QK_CNT_FAST_HANDOFF_BASE + dir * 16 + QK_HANDOFF_IP_OPTIONS, 0);
		return QK_CONTINUE;
	}
	qk_fast__init(st, ctx, pkt, dir, bank);
	qk_count(QK_CNT_FAST_RX_READ + dir, st->payload_len);
	fkey = &st->flow_key;
	header = bpf_map_lookup_elem(&QK_MAP_FAST_BANKS, &bank);
	st->endpoint_count = header ? header->endpoint_count : 0;
	payload = header && (header->flags & (QK_FAST_BANK_F_PAYLOAD << dir));
	if (dir == QK_FAST_DIR_WRITE) {
		/* A reply needs its session before anything: it says which client to answer. */
		qk_fast__key_from(fkey, st);
		fkey->port_b = pkt->dst_port;
		flow = bpf_map_lookup_elem(&QK_MAP_FAST_FLOWS, fkey);
		/* Families switch in tier 1 only (the workers install no such flow; this makes sure). */
		if (!flow || flow->family != st->family) {
			qk_fast__handoff(st, QK_HANDOFF_NO_SESSION);
			goto out;
		}
	} else if (st->endpoint_count == 0) {
		qk_fast__drop(st, QK_DROP_NO_UPSTREAM_ENDPOINTS);
		goto out;
	}
	if (payload)
		qk_fast__load_windows(
			ctx, st, st->family == QK_ADDR_V4 ? QK_FAST_HDR4 : QK_FAST_HDR6);
	if (flags & QK_FAST_F_SEED) {
		const struct qk_fast_seed *seed = bpf_map_lookup_elem(&QK_MAP_FAST_SEED, &zero);

		if (seed)
			__builtin_memcpy(st->meta, seed->meta, sizeof(st->meta));
	}
	loop.base = (bank * QK_FAST_DIRS + dir) * QK_FAST_STEPS;
	bpf_loop(QK_FAST_STEPS, qk_fast__step, &loop, 0);
	if (st->verdict == QK_FAST_RUNNING)
		qk_fast__handoff(st, QK_HANDOFF_CHAIN);
	if (st->verdict != QK_FAST_FORWARD)
		goto out;

	if (dir == QK_FAST_DIR_READ) {
		const struct qk_fast_endpoint *ep;
		__u32 index, ekey;

		if (st->all_dests ? st->endpoint_count != 1 : st->n_dests != 1) {
			qk_fast__handoff(st, QK_HANDOFF_FAN_OUT);
			goto out;
		}
		index = st->all_dests ? 0 : st->dests[0];
		ekey = bank * QK_FAST_ENDPOINTS + index;
		ep = index < QK_FAST_ENDPOINTS ? bpf_map_lookup_elem(&QK_MAP_FAST_EPS, &ekey) : 0;
		if (!ep) {
			qk_fast__handoff(st, QK_HANDOFF_CHAIN);
			goto out;
		}
		if (ep->family == 0) { /* a host name with no answer yet */
			qk_fast__drop(st, QK_DROP_NO_ROUTE);
			goto out;
		}
		qk_fast__key_from(fkey, st);
		fkey->port_b = ep->port;
		__builtin_memcpy(fkey->addr_b, ep->addr, 16);
		flow = ep->family == st->family ? bpf_map_lookup_elem(&QK_MAP_FAST_FLOWS, fkey) : 0;
		if (!flow) {
			qk_fast__handoff(st, QK_HANDOFF_NO_SESSION);
			goto out;
		}
	}
	if (!flow)
		goto out;
	action = qk_fast__emit(ctx, st, flow, pkt->frame_len);
	if (action < 0)
		goto out;
	/* The entry was there a moment ago; one removed since (the proxy stopping) drops the frame,
	 * which is rewritten already and cannot go back to tier 1. */
	if (action == XDP_REDIRECT &&
		bpf_redirect_map(&QK_MAP_FAST_IFACES, flow->ifindex, XDP_DROP) != XDP_REDIRECT) {
		qk_fast__drop(st, QK_DROP_NO_ROUTE);
		goto out;
	}
	{
		/* The coarse clock (CLOCK_MONOTONIC a tick behind, no clock read): stamps 100 ms apart
		 * for idle timeouts of seconds need no more, and the fine one costs a clock read per
		 * packet. */
		__u64 now = bpf_ktime_get_coarse_ns();

		if (now - flow->last_seen_ns > QK_FAST_STAMP_NS)
			flow->last_seen_ns = now;
	}
	qk_count(QK_CNT_FAST_TX_READ + dir, st->pre_len + qk_fast__view_len(st) + st->post_len);
	verdict = action;
	pkt->fast = 1;
out:
	if (verdict != QK_CONTINUE || st->verdict == QK_FAST_DROP)
		qk_fast__cells_commit(st);
	if (st->verdict == QK_FAST_DROP) {
		qk_count(QK_CNT_FAST_DROP_BASE + dir * 128 + (st->reason & 127), st->payload_len);
		pkt->reason = st->reason;
		pkt->fast = 1;
		verdict = XDP_DROP;
	} else if (st->verdict == QK_FAST_HANDOFF) {
		qk_count(QK_CNT_FAST_HANDOFF_BASE + dir * 16 + (st->reason & 15), st->payload_len);
	}
	if (flags & QK_FAST_F_TRACE) {
		st->seq++;
		bpf_map_update_elem(&QK_MAP_FAST_TRACE, &zero, st, BPF_ANY);
	}
	return verdict;
}

#endif /* QK_FAST_H */
