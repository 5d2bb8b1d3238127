// SPDX-License-Identifier: Apache-2.0
/* Next-hop cache: destination -> (interface, next-hop MAC, source address).
 * A miss asks the kernel (route, then neighbour, then a resolution trigger);
 * neighbour notifications complete pending entries and keep resolved ones
 * current; any route change flushes the table, since a route can move many
 * destinations at once and is rare. Open addressing without deletion: the
 * table is flushed as a whole when three quarters full. */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "neigh.h"

/* Neighbour states whose link-layer address may be used to send. */
#define QK_NUD_USABLE                                                                              \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)
#define RETRY_NS 1000000000ULL /* ask the kernel again after a second */

enum nh_state { NH_EMPTY = 0, NH_UNKNOWN, NH_PENDING, NH_FAILED, NH_RESOLVED };

struct nh_entry {
	__u8 family;
	__u8 state;
	__u8 dst[16];
	__u8 via[16]; /* the gateway, or dst itself when on-link */
	struct qk_nexthop nh;
	__u64 retry_ns;
	int err;	/* what a FAILED entry answers until retry_ns */
	__u8 mac_known; /* nh.mac held a usable MAC once: a different one later is a change */
};

struct qk_nhcache {
	struct qk_nl nl;
	int notify_fd;
	struct nh_entry *entries;
	__u32 mask;
	__u32 used;
	struct qk_nhcache_counters counters;
	struct qk_mac_change changes[QK_NHCACHE_MAC_CHANGES];
	__u32 changes_head, changes_n;
	int routes_changed; /* since the last qk_nhcache__follow_routes */
};

static void note_mac_change(
	struct qk_nhcache *c, int ifindex, const __u8 *old_mac, const __u8 *new_mac)
{
	struct qk_mac_change *m;

	c->counters.mac_changes++;
	if (c->changes_n == QK_NHCACHE_MAC_CHANGES) {
		c->changes_head = (c->changes_head + 1) % QK_NHCACHE_MAC_CHANGES;
		c->changes_n--;
		c->counters.mac_changes_lost++;
	}
	m = &c->changes[(c->changes_head + c->changes_n) % QK_NHCACHE_MAC_CHANGES];
	m->ifindex = ifindex;
	memcpy(m->old_mac, old_mac, QK_ETH_ALEN);
	memcpy(m->new_mac, new_mac, QK_ETH_ALEN);
	c->changes_n++;
}

int qk_nhcache__take_mac_change(struct qk_nhcache *c, struct qk_mac_change *out)
{
	if (!c->changes_n)
		return 0;
	*out = c->changes[c->changes_head];
	c->changes_head = (c->changes_head + 1) % QK_NHCACHE_MAC_CHANGES;
	c->changes_n--;
	return 1;
}

static int alen(__u8 family)
{
	return family == QK_INET4 ? 4 : 16;
}

static int open_notify(void)
{
	const int groups[] = {RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out_close;
	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(int)) <
			0)
			goto out_close;
	return fd;

out_close:
	err = -errno;
	close(fd);
	return err;
}

int qk_nhcache__create(struct qk_nhcache **out, __u32 capacity)
{
	struct qk_nhcache *c;
	__u32 slots = 16;
	int err;

	while (slots < capacity * 2 && slots < (1u << 24))
		slots <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->entries = calloc(slots, sizeof(*c->entries));
	if (!c->entries) {
		err = -ENOMEM;
		goto out_free_cache;
	}
	c->mask = slots - 1;
	err = qk_nl__open(&c->nl);
	if (err)
		goto out_free_entries;
	c->notify_fd = open_notify();
	if (c->notify_fd < 0) {
		err = c->notify_fd;
		goto out_close_nl;
	}
	*out = c;
	return 0;

out_close_nl:
	qk_nl__close(&c->nl);
out_free_entries:
	free(c->entries);
out_free_cache:
	free(c);
	return err;
}

void qk_nhcache__destroy(struct qk_nhcache *c)
{
	if (!c)
		return;
	close(c->notify_fd);
	qk_nl__close(&c->nl);
	free(c->entries);
	free(c);
}

int qk_nhcache__fd(const struct qk_nhcache *c)
{
	return c->notify_fd;
}

const struct qk_nhcache_counters *qk_nhcache__counters(const struct qk_nhcache *c)
{
	return &c->counters;
}

/* A route changed: every entry's route must be looked up again, but what each knew of its
 * neighbour stays, so a MAC change a later notification brings is still seen as one (those who
 * copied the MAC, the fast path's flows, are never asked again otherwise). */
static void forget_routes(struct qk_nhcache *c)
{
	for (__u32 i = 0; i <= c->mask; i++)
		if (c->entries[i].state != NH_EMPTY)
			c->entries[i].state = NH_UNKNOWN;
	c->counters.flushes++;
	c->routes_changed = 1;
}

static void flush(struct qk_nhcache *c)
{
	memset(c->entries, 0, (c->mask + 1) * sizeof(*c->entries));
	c->used = 0;
	c->counters.flushes++;
}

static __u32 hash(__u8 family, const __u8 *dst)
{
	__u32 h = 0x811c9dc5u ^ family;

	for (int i = 0; i < alen(family); i++)
		h = (h ^ dst[i]) * 0x01000193u;
	return h ^ (h >> 16);
}

/* The entry for dst, or the empty slot where it belongs. */
static struct nh_entry *slot(struct qk_nhcache *c, __u8 family, const __u8 *dst)
{
	__u32 i = hash(family, dst) & c->mask;

	while (c->entries[i].state != NH_EMPTY &&
		!(c->entries[i].family == family && !memcmp(c->entries[i].dst, dst, alen(family))))
		i = (i + 1) & c->mask;
	return &c->entries[i];
}

/* Route, then neighbour; when the kernel has no usable MAC yet, ask it to
 * resolve and report -EAGAIN until a notification (or the retry) says more. */
static int resolve(struct qk_nhcache *c, struct nh_entry *e, __u64 now_ns)
{
	struct qk_route r;
	int err;

	c->counters.route_lookups++;
	err = qk_route__lookup(&c->nl, e->family, e->dst, &r);
	if (err)
		return err;
	/* Another neighbour: its MAC is not a change of the old one's (which other destinations
	 * may still use). */
	if (e->nh.ifindex != r.oif ||
		memcmp(e->via, r.has_gateway ? r.gateway : e->dst, sizeof(e->via)))
		e->mac_known = 0;
	e->nh.family = e->family;
	e->nh.ifindex = r.oif;
	e->nh.has_src = r.has_prefsrc;
	memcpy(e->nh.src, r.prefsrc, sizeof(e->nh.src));
	memcpy(e->via, r.has_gateway ? r.gateway : e->dst, sizeof(e->via));
	c->counters.neigh_lookups++;
	err = qk_neigh__lookup(&c->nl, e->family, r.oif, e->via, e->nh.mac);
	if (!err) {
		e->state = NH_RESOLVED;
		e->mac_known = 1;
		return 0;
	}
	if (err != -EAGAIN && err != -ENOENT && err != -EHOSTUNREACH)
		return err;
	c->counters.triggers++;
	err = qk_neigh__trigger(&c->nl, e->family, r.oif, e->via);
	if (err)
		return err;
	e->state = NH_PENDING;
	e->retry_ns = now_ns + RETRY_NS;
	return -EAGAIN;
}

int qk_nhcache__lookup(
	struct qk_nhcache *c, __u8 family, const __u8 *dst, __u64 now_ns, struct qk_nexthop *out)
{
	struct nh_entry *e = slot(c, family, dst);
	int err;

	if (e->state == NH_RESOLVED) {
		c->counters.hits++;
		*out = e->nh;
		return 0;
	}
	if ((e->state == NH_PENDING || e->state == NH_FAILED) && now_ns < e->retry_ns) {
		err = e->state == NH_PENDING ? -EAGAIN : e->err;
		if (err == -EAGAIN || err == -EHOSTUNREACH)
			c->counters.unresolved++;
		else
			c->counters.no_route++;
		return err;
	}
	c->counters.misses++;
	if (e->state == NH_EMPTY) {
		if (c->used + 1 > (c->mask + 1) / 4 * 3) {
			flush(c);
			e = slot(c, family, dst);
		}
		memset(e, 0, sizeof(*e));
		e->family = family;
		memcpy(e->dst, dst, alen(family));
		e->state = NH_UNKNOWN;
		c->used++;
	}
	err = resolve(c, e, now_ns);
	if (err == -EAGAIN || err == -EHOSTUNREACH)
		c->counters.unresolved++;
	else if (err)
		c->counters.no_route++;
	if (err && err != -EAGAIN) { /* answer the same for a while, without syscalls */
		e->state = NH_FAILED;
		e->err = err;
		e->retry_ns = now_ns + RETRY_NS;
	}
	if (err)
		return err;
	*out = e->nh;
	return 0;
}

static int same_hop(const struct qk_nexthop *a, const struct qk_nexthop *b)
{
	return a->ifindex == b->ifindex && !memcmp(a->mac, b->mac, QK_ETH_ALEN) &&
	       a->has_src == b->has_src && !memcmp(a->src, b->src, sizeof(a->src));
}

int qk_nhcache__follow_routes(struct qk_nhcache *c, __u64 now_ns,
	void (*moved)(void *ctx, const struct qk_hop_move *m), void *ctx)
{
	int n = 0;

	if (!c->routes_changed)
		return 0;
	c->routes_changed = 0;
	for (__u32 i = 0; i <= c->mask; i++) {
		struct nh_entry *e = &c->entries[i];
		struct qk_nexthop before = e->nh;
		struct qk_hop_move m;
		int err;

		/* Only what had a usable next hop was copied anywhere. */
		if (e->state != NH_UNKNOWN || !e->mac_known)
			continue;
		err = resolve(c, e, now_ns);
		if (err && err != -EAGAIN) {
			e->state = NH_FAILED;
			e->err = err;
			e->retry_ns = now_ns + RETRY_NS;
		}
		if (!err && same_hop(&before, &e->nh))
			continue;
		memset(&m, 0, sizeof(m));
		m.family = e->family;
		memcpy(m.dst, e->dst, sizeof(m.dst));
		m.resolved = err == 0;
		m.nh = e->nh;
		c->counters.hop_moves++;
		moved(ctx, &m);
		n++;
	}
	return n;
}

/* Applies one neighbour message to every entry whose next hop it names. */
static void apply_neigh(struct qk_nhcache *c, const struct nlmsghdr *h)
{
	const struct ndmsg *ndm = NLMSG_DATA(h);
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm)));
	__u8 dst[16] = {0}, mac[QK_ETH_ALEN];
	__u8 family = ndm->ndm_family == AF_INET ? QK_INET4 : QK_INET6;
	int has_dst = 0, has_mac = 0;

	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return;
	for (const struct rtattr *a =
			(const struct rtattr *)((const char *)ndm + NLMSG_ALIGN(sizeof(*ndm)));
		RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (unsigned)alen(family))
			has_dst = 1, memcpy(dst, RTA_DATA(a), alen(family));
		else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == QK_ETH_ALEN)
			has_mac = 1, memcpy(mac, RTA_DATA(a), QK_ETH_ALEN);
	}
	if (!has_dst)
		return;
	for (__u32 i = 0; i <= c->mask; i++) {
		struct nh_entry *e = &c->entries[i];

		if (e->state == NH_EMPTY || e->family != family ||
			e->nh.ifindex != ndm->ndm_ifindex || memcmp(e->via, dst, alen(family)))
			continue;
		if (h->nlmsg_type == RTM_DELNEIGH)
			e->state = NH_UNKNOWN;
		else if (ndm->ndm_state & NUD_FAILED)
			e->state = NH_FAILED, e->err = -EHOSTUNREACH, e->retry_ns = 0;
		else if (has_mac && (ndm->ndm_state & QK_NUD_USABLE)) {
			if (e->mac_known && memcmp(e->nh.mac, mac, QK_ETH_ALEN))
				note_mac_change(c, e->nh.ifindex, e->nh.mac, mac);
			memcpy(e->nh.mac, mac, QK_ETH_ALEN);
			e->mac_known = 1;
			/* An entry whose route is being looked up again stays so: the route may
			 * have moved to another next hop. */
			if (e->state != NH_UNKNOWN)
				e->state = NH_RESOLVED;
		}
	}
}

int qk_nhcache__poll(struct qk_nhcache *c)
{
	char buf[8192] __attribute__((aligned(4)));
	int applied = 0;
	ssize_t n;

	while ((n = recv(c->notify_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (__u32)n);
			h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == RTM_NEWNEIGH || h->nlmsg_type == RTM_DELNEIGH)
				apply_neigh(c, h);
			else if (h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE)
				forget_routes(c);
			else
				continue;
			applied++;
		}
	}
	c->counters.notifications += (__u64)applied;
	if (n < 0 && errno == ENOBUFS) {
		forget_routes(c); /* notifications were lost: look everything up again */
		return applied;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return applied;
}

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

int qk_nhcache__resolve(
	struct qk_nhcache *c, __u8 family, const __u8 *dst, int timeout_ms, struct qk_nexthop *out)
{
	__u64 deadline = monotonic_ns() + (__u64)timeout_ms * 1000000ULL;
	int err;

	for (;;) {
		__u64 now = monotonic_ns();
		struct pollfd pfd = {.fd = c->notify_fd, .events = POLLIN};

		err = qk_nhcache__lookup(c, family, dst, now, out);
		if ((err != -EAGAIN && err != -EHOSTUNREACH) || now >= deadline)
			return err;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000ULL) + 1) < 0 && errno != EINTR)
			return -errno;
		err = qk_nhcache__poll(c);
		if (err < 0)
			return err;
	}
}
