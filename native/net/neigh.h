// SPDX-License-Identifier: Apache-2.0
/* Next-hop resolution over rtnetlink: which interface, which source
 * address and which destination MAC a forwarded frame needs. The MAC always
 * comes from the kernel's neighbour table (resolved on demand, never
 * guessed); a cache kept fresh by neighbour and route notifications keeps
 * netlink off the per-packet path. */
#ifndef QK_NET_NEIGH_H
#define QK_NET_NEIGH_H

#include <linux/types.h>

#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A synchronous rtnetlink request socket. */
struct qk_nl {
	int fd;
	__u32 seq;
};

struct qk_route {
	__u8 family;	 /* QK_INET4 or QK_INET6 */
	int oif;	 /* output interface index */
	int has_gateway; /* 0: destination is on-link */
	__u8 gateway[16];
	int has_prefsrc;
	__u8 prefsrc[16]; /* preferred source address for this route */
};

/* What a worker needs to address a frame to dst. */
struct qk_nexthop {
	__u8 family;
	int ifindex;
	__u8 mac[QK_ETH_ALEN]; /* destination MAC of the next hop */
	__u8 src[16];	       /* source address the kernel would pick */
	int has_src;
};

int qk_nl__open(struct qk_nl *nl);
void qk_nl__close(struct qk_nl *nl);

/* RTM_GETROUTE for dst (network byte order). 0, -ENETUNREACH (no route, or
 * an unreachable/blackhole/prohibit one), -EADDRNOTAVAIL (dst is local:
 * nothing to forward on a wire) or another negative errno. */
int qk_route__lookup(struct qk_nl *nl, __u8 family, const __u8 *dst, struct qk_route *out);

/* RTM_GETNEIGH for addr on ifindex. 0 with mac when usable, -EAGAIN while
 * resolution is in progress, -EHOSTUNREACH when it failed, -ENOENT when the
 * kernel has no entry. */
int qk_neigh__lookup(
	struct qk_nl *nl, __u8 family, int ifindex, const __u8 *addr, __u8 mac[QK_ETH_ALEN]);

/* Asks the kernel to resolve addr on ifindex (RTM_NEWNEIGH with NTF_USE:
 * it creates the entry if needed and sends ARP / neighbour solicitation,
 * no packet of ours goes out). 0 or negative errno. */
int qk_neigh__trigger(struct qk_nl *nl, __u8 family, int ifindex, const __u8 *addr);

/* The MAC address of an interface (our frames' source MAC). */
int qk_link__mac(int ifindex, __u8 mac[QK_ETH_ALEN]);

/* ---- the next-hop cache ---- */

struct qk_nhcache_counters {
	__u64 hits;
	__u64 misses; /* lookups that needed netlink */
	__u64 route_lookups;
	__u64 neigh_lookups;
	__u64 triggers;		/* resolutions asked of the kernel */
	__u64 notifications;	/* neighbour/route messages applied */
	__u64 no_route;		/* destination without a usable route */
	__u64 unresolved;	/* lookups answered -EAGAIN or -EHOSTUNREACH */
	__u64 mac_changes;	/* resolved next hops whose MAC changed */
	__u64 mac_changes_lost; /* of those, dropped from a full queue before anyone took them */
	__u64 flushes;		/* route change or full table: entries dropped */
	__u64 hop_moves;	/* destinations a route change sent to another next hop */
};

struct qk_nhcache;

/* capacity: destinations remembered (rounded up to a power of two). */
int qk_nhcache__create(struct qk_nhcache **out, __u32 capacity);
void qk_nhcache__destroy(struct qk_nhcache *c);

/* The notification socket, for poll/epoll by the owner thread. */
int qk_nhcache__fd(const struct qk_nhcache *c);

/* Next hop for dst. 0 when resolved. -EAGAIN while the neighbour is being
 * resolved (the kernel was asked; count a QK_DROP_NEIGHBOUR_UNRESOLVED),
 * -EHOSTUNREACH when resolution failed, -ENETUNREACH or -EADDRNOTAVAIL
 * when there is no route to forward on (QK_DROP_NO_ROUTE). Failures are
 * remembered for a second. A miss costs netlink round trips; a hit none. */
int qk_nhcache__lookup(
	struct qk_nhcache *c, __u8 family, const __u8 *dst, __u64 now_ns, struct qk_nexthop *out);

/* Applies queued neighbour/route notifications without blocking; returns
 * how many were applied or a negative errno. */
int qk_nhcache__poll(struct qk_nhcache *c);

/* Blocking helper for setup and tests: looks up dst, waiting up to
 * timeout_ms for the kernel to resolve it. */
int qk_nhcache__resolve(
	struct qk_nhcache *c, __u8 family, const __u8 *dst, int timeout_ms, struct qk_nexthop *out);

const struct qk_nhcache_counters *qk_nhcache__counters(const struct qk_nhcache *c);

/* A next hop that kept its address and changed its MAC (a router failing over, a replaced
 * server), as the notifications told it, for whoever copied the old MAC elsewhere (the XDP fast
 * path's flows). */
struct qk_mac_change {
	int ifindex;
	__u8 old_mac[QK_ETH_ALEN];
	__u8 new_mac[QK_ETH_ALEN];
};

/* Takes the oldest change not taken yet: 1, or 0 when none. The queue holds
 * QK_NHCACHE_MAC_CHANGES; older ones are dropped and counted in mac_changes_lost. */
int qk_nhcache__take_mac_change(struct qk_nhcache *c, struct qk_mac_change *out);

#define QK_NHCACHE_MAC_CHANGES 16

/* A destination whose next hop a route change moved (another gateway, interface or source
 * address, or none usable any more), for whoever copied the old one (the fast path's flows). */
struct qk_hop_move {
	__u8 family;
	__u8 dst[16];
	int resolved; /* 1: nh is the new next hop; 0: none usable now (pending, unreachable, local) */
	struct qk_nexthop nh;
};

/* After route changes (at most once per call, none when no route changed since the last one):
 * looks up again every destination that had a usable next hop and calls moved() for each whose
 * next hop is not the one it was. Costs netlink round trips per such destination, so the
 * owner calls it when someone holds copies, and not more often than it must. Returns how many
 * moved, or a negative errno. */
int qk_nhcache__follow_routes(struct qk_nhcache *c, __u64 now_ns,
	void (*moved)(void *ctx, const struct qk_hop_move *m), void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* QK_NET_NEIGH_H */
