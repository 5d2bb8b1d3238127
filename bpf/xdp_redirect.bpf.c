// SPDX-License-Identifier: Apache-2.0
/*
 * The XDP program of `quilkin proxy xdp`: UDP to the proxy's listening
 * port, QCMP port or session port range (and, when configured, to one of its
 * local addresses) is ours. With the fast path on (lib/fast.h), a lowered
 * chain settles what it can in the kernel; the rest goes to the AF_XDP socket
 * of the receiving rx queue; every other frame goes to the kernel untouched. All knobs live in maps that
 * userspace rewrites on config change, so a port change needs no reload.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/abi.h"
#include "lib/counters.h"
#include "lib/drop_reasons.h"
#include "lib/fast.h"
#include "lib/map_names.h"
#include "lib/parse.h"

/* Ports, session range and flags (struct qk_xdp_config at index 0); userspace writes on every config change. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_xdp_config);
} QK_MAP_CONFIG SEC(".maps");

/* The proxy's local IPv4/IPv6 addresses; userspace writes (empty unless QK_CFG_F_MATCH_LOCAL_ADDR). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, QK_LOCAL_ADDRS_MAX);
	__type(key, struct qk_local_addr_key);
	__type(value, struct qk_local_addr_value);
} QK_MAP_LOCAL_ADDRS SEC(".maps");

/* The local address each CPU matched last (struct qk_local_hit). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct qk_local_hit);
} QK_MAP_LOCAL_HIT SEC(".maps");

/* AF_XDP socket per rx queue (index = queue id); the userspace AF_XDP workers write. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, QK_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} QK_MAP_XSKS SEC(".maps");

static __always_inline int port_matches(__u16 port, __u16 want)
{
	return want != 0 && port == want;
}

/* Is the destination one of the proxy's ports? Counts the match kind. */
static __always_inline int stage_match_port(const struct qk_xdp_config *cfg, struct qk_pkt *pkt)
{
	__u16 port = pkt->dst_port;

	if (port_matches(port, cfg->listen_port))
		pkt->match = QK_MATCH_LISTEN;
	else if (port_matches(port, cfg->qcmp_port))
		pkt->match = QK_MATCH_QCMP;
	else if (cfg->session_port_start != 0 && port >= cfg->session_port_start &&
		 port <= cfg->session_port_end)
		pkt->match = QK_MATCH_SESSION;
	else
		return qk_pass_because(pkt, QK_PASS_OTHER_PORT);
	qk_count(QK_CNT_MATCH_BASE + pkt->match, pkt->frame_len);
	return QK_CONTINUE;
}

/* The key's five words (both keys are 4-byte aligned: the map value's, and qk_pkt's by layout). */
static __always_inline int same_local_addr(
	const struct qk_local_addr_key *a, const struct qk_local_addr_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* With a non-empty local address set, only traffic to those addresses is ours. The address this
 * CPU matched last is checked first: a hash lookup per packet was a tenth of the fast path. */
static __always_inline int stage_match_addr(const struct qk_xdp_config *cfg, struct qk_pkt *pkt)
{
	const __u32 zero = 0;
	struct qk_local_hit *hit;

	if (!(cfg->flags & QK_CFG_F_MATCH_LOCAL_ADDR))
		return QK_CONTINUE;
	hit = bpf_map_lookup_elem(&QK_MAP_LOCAL_HIT, &zero);
	if (hit && hit->gen == cfg->local_addrs_gen && same_local_addr(&hit->key, &pkt->dst))
		return QK_CONTINUE;
	if (!bpf_map_lookup_elem(&QK_MAP_LOCAL_ADDRS, &pkt->dst))
		return qk_pass_because(pkt, QK_PASS_NOT_LOCAL_ADDR);
	if (hit) {
		hit->gen = cfg->local_addrs_gen;
		hit->key = pkt->dst;
	}
	return QK_CONTINUE;
}

/* Userspace trusts the UDP length of what we hand it; the kernel would drop these too. */
static __always_inline int stage_check_udp_len(struct qk_pkt *pkt)
{
	if (pkt->udp_len < sizeof(struct udphdr) || pkt->udp_len > pkt->l4_len)
		return qk_drop_because(pkt, QK_DROP_MALFORMED);
	return QK_CONTINUE;
}

/* An AF_XDP socket takes frames up to its UMEM frame: a longer one (a jumbo
 * MTU, generic XDP's linearised skb) would be dropped by the redirect. The
 * kernel's sockets on the listen port serve it instead. */
static __always_inline int stage_check_frame_len(
	const struct qk_xdp_config *cfg, struct qk_pkt *pkt)
{
	if (cfg->max_frame_len && pkt->frame_len > cfg->max_frame_len)
		return qk_pass_because(pkt, QK_PASS_OVERSIZE);
	return QK_CONTINUE;
}

static __always_inline int stage_redirect(
	const struct qk_xdp_config *cfg, struct xdp_md *ctx, struct qk_pkt *pkt)
{
	if (cfg->xsk_ifindex && ctx->ingress_ifindex != cfg->xsk_ifindex)
		return qk_pass_because(pkt, QK_PASS_FORWARD_IFACE);
	/* The XDP_PASS fallback keeps traffic flowing while a queue has no socket yet. */
	if (bpf_redirect_map(&QK_MAP_XSKS, ctx->rx_queue_index, XDP_PASS) == XDP_REDIRECT)
		return XDP_REDIRECT;
	return qk_pass_because(pkt, QK_PASS_NO_XSK);
}

SEC("xdp")
int QK_PROG_XDP_REDIRECT(struct xdp_md *ctx)
{
	const __u32 config_key = QK_CONFIG_KEY;
	const struct qk_xdp_config *cfg;
	struct qk_pkt pkt = {};
	int verdict;

	qk_pkt__init(&pkt, ctx);
	cfg = bpf_map_lookup_elem(&QK_MAP_CONFIG, &config_key);
	if (!cfg || !(cfg->flags & QK_CFG_F_ENABLED)) {
		verdict = qk_pass_because(&pkt, QK_PASS_DISABLED);
		goto out;
	}
	verdict = qk_parse__eth(&pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = qk_parse__ip(&pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = qk_parse__udp(&pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = stage_match_port(cfg, &pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = stage_match_addr(cfg, &pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = stage_check_udp_len(&pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = stage_check_frame_len(cfg, &pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = qk_fast__run(ctx, &pkt);
	if (verdict != QK_CONTINUE)
		goto out;
	verdict = stage_redirect(cfg, ctx, &pkt);
out:
	return qk_verdict__account(ctx, &pkt, verdict);
}

/* Matches the SPDX line; the program calls no GPL-only helper. */
char LICENSE[] SEC("license") = "Apache-2.0";
