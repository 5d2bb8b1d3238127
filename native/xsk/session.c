// SPDX-License-Identifier: Apache-2.0
/* Session table: entries in one array, chained in two hash tables (forward
 * by client+endpoint, reverse by port+endpoint) and one LRU list, all linked
 * by index so that every operation is O(1) and nothing allocates after
 * creation. */
#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0xffffffffu

struct entry {
	struct qk_session s;
	__u32 fwd_next, rev_next; /* hash chains */
	__u32 lru_prev, lru_next; /* least recently used first */
};

struct qk_sessions {
	struct qk_session_opts opts;
	struct entry *entries;
	__u32 *fwd_heads, *rev_heads;
	__u32 mask; /* hash buckets - 1 */
	__u32 free_head; /* unused entries, chained by fwd_next */
	__u32 lru_head, lru_tail;
	__u32 count;
	__u32 port_cursor;
	struct qk_session_counters counters;
};

static __u32 mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x01000193u; /* FNV prime: cheap and spreads ports and addresses */
	return h ^ (h >> 15);
}

static __u32 hash_addr(__u32 h, const struct qk_addr *a)
{
	__u32 w;

	for (int i = 0; i < 16; i += 4) {
		memcpy(&w, a->addr + i, 4);
		h = mix(h, w);
	}
	return mix(h, (__u32)a->port << 8 | a->family);
}

static int addr_eq(const struct qk_addr *a, const struct qk_addr *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static __u32 fwd_bucket(const struct qk_sessions *t, const struct qk_addr *c, const struct qk_addr *e)
{
	return hash_addr(hash_addr(0x811c9dc5u, c), e) & t->mask;
}

static __u32 rev_bucket(const struct qk_sessions *t, __u16 port, const struct qk_addr *e)
{
	return hash_addr(mix(0x811c9dc5u, port), e) & t->mask;
}

int qk_sessions__create(struct qk_sessions **out, const struct qk_session_opts *opts)
{
	struct qk_sessions *t;
	__u32 buckets = 1;

	if (!opts->capacity || opts->port_min > opts->port_max || opts->port_min == 0)
		return -EINVAL;
	while (buckets < opts->capacity * 2 && buckets < (1u << 30))
		buckets <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->entries = calloc(opts->capacity, sizeof(*t->entries));
	t->fwd_heads = malloc(buckets * sizeof(__u32));
	t->rev_heads = malloc(buckets * sizeof(__u32));
	if (!t->entries || !t->fwd_heads || !t->rev_heads) {
		qk_sessions__destroy(t);
		return -ENOMEM;
	}
	memset(t->fwd_heads, 0xff, buckets * sizeof(__u32));
	memset(t->rev_heads, 0xff, buckets * sizeof(__u32));
	for (__u32 i = 0; i < opts->capacity; i++)
		t->entries[i].fwd_next = i + 1 < opts->capacity ? i + 1 : NIL;
	t->opts = *opts;
	t->mask = buckets - 1;
	t->free_head = 0;
	t->lru_head = t->lru_tail = NIL;
	*out = t;
	return 0;
}

void qk_sessions__destroy(struct qk_sessions *t)
{
	if (!t)
		return;
	free(t->entries);
	free(t->fwd_heads);
	free(t->rev_heads);
	free(t);
}

static void lru_unlink(struct qk_sessions *t, __u32 i)
{
	struct entry *e = &t->entries[i];

	if (e->lru_prev != NIL)
		t->entries[e->lru_prev].lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next != NIL)
		t->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
}

static void lru_append(struct qk_sessions *t, __u32 i)
{
	struct entry *e = &t->entries[i];

	e->lru_prev = t->lru_tail;
	e->lru_next = NIL;
	if (t->lru_tail != NIL)
		t->entries[t->lru_tail].lru_next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

static void touch(struct qk_sessions *t, __u32 i, __u64 now_ns)
{
	t->entries[i].s.last_ns = now_ns;
	if (t->lru_tail != i) {
		lru_unlink(t, i);
		lru_append(t, i);
	}
}

static __u32 find_fwd(const struct qk_sessions *t, const struct qk_addr *c, const struct qk_addr *e)
{
	__u32 i = t->fwd_heads[fwd_bucket(t, c, e)];

	while (i != NIL && !(addr_eq(&t->entries[i].s.client, c) && addr_eq(&t->entries[i].s.endpoint, e)))
		i = t->entries[i].fwd_next;
	return i;
}

static __u32 find_rev(const struct qk_sessions *t, __u16 port, const struct qk_addr *e)
{
	__u32 i = t->rev_heads[rev_bucket(t, port, e)];

	while (i != NIL && !(t->entries[i].s.port == port && addr_eq(&t->entries[i].s.endpoint, e)))
		i = t->entries[i].rev_next;
	return i;
}

/* Unlinks i from the chain starting at *head: the reverse chain or the
 * forward one. */
static void chain_remove(struct qk_sessions *t, __u32 *head, __u32 i, int reverse)
{
	__u32 *link = head;

	while (*link != i)
		link = reverse ? &t->entries[*link].rev_next : &t->entries[*link].fwd_next;
	*link = reverse ? t->entries[i].rev_next : t->entries[i].fwd_next;
}

static void remove_entry(struct qk_sessions *t, __u32 i)
{
	struct qk_session *s = &t->entries[i].s;

	chain_remove(t, &t->fwd_heads[fwd_bucket(t, &s->client, &s->endpoint)], i, 0);
	chain_remove(t, &t->rev_heads[rev_bucket(t, s->port, &s->endpoint)], i, 1);
	lru_unlink(t, i);
	t->entries[i].fwd_next = t->free_head;
	t->free_head = i;
	t->count--;
}

__u32 qk_sessions__expire(struct qk_sessions *t, __u64 now_ns)
{
	__u32 n = 0;

	while (t->lru_head != NIL && t->entries[t->lru_head].s.last_ns + t->opts.idle_ns <= now_ns) {
		remove_entry(t, t->lru_head);
		n++;
	}
	t->counters.expired += n;
	return n;
}

/* A port not yet used towards endpoint, searched from a rotating cursor so
 * that a freed port is not reused at once (late replies would mismatch). */
static int pick_port(struct qk_sessions *t, const struct qk_addr *endpoint, __u16 *port)
{
	__u32 range = (__u32)t->opts.port_max - t->opts.port_min + 1;

	for (__u32 n = 0; n < range; n++) {
		__u32 p = t->opts.port_min + (t->port_cursor + n) % range;

		if (find_rev(t, (__u16)p, endpoint) == NIL) {
			t->port_cursor = (t->port_cursor + n + 1) % range;
			*port = (__u16)p;
			return 0;
		}
	}
	return -EADDRINUSE;
}

static int insert(struct qk_sessions *t, const struct qk_addr *client, const struct qk_addr *endpoint,
		  const struct qk_addr *local, __u64 now_ns, __u32 *index)
{
	struct entry *e;
	__u16 port;
	__u32 i;

	/* Idle sessions still hold their slot and port: free them first. */
	qk_sessions__expire(t, now_ns);
	if (t->count == t->opts.capacity) {
		t->counters.full_drops++;
		return -ENOSPC;
	}
	if (pick_port(t, endpoint, &port)) {
		t->counters.port_exhausted_drops++;
		return -EADDRINUSE;
	}
	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->fwd_next;
	e->s.client = *client;
	e->s.endpoint = *endpoint;
	e->s.local = *local;
	e->s.port = port;
	e->s.last_ns = now_ns;
	e->fwd_next = t->fwd_heads[fwd_bucket(t, client, endpoint)];
	t->fwd_heads[fwd_bucket(t, client, endpoint)] = i;
	e->rev_next = t->rev_heads[rev_bucket(t, port, endpoint)];
	t->rev_heads[rev_bucket(t, port, endpoint)] = i;
	lru_append(t, i);
	t->count++;
	t->counters.created++;
	*index = i;
	return 0;
}

int qk_sessions__upstream(struct qk_sessions *t, const struct qk_addr *client,
			  const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns,
			  const struct qk_session **out)
{
	__u32 i = find_fwd(t, client, endpoint);
	int err;

	if (i != NIL && t->entries[i].s.last_ns + t->opts.idle_ns > now_ns) {
		touch(t, i, now_ns);
		t->counters.upstream_hits++;
		*out = &t->entries[i].s;
		return 0;
	}
	/* Absent, or idle too long: insert expires it and starts afresh. */
	err = insert(t, client, endpoint, local, now_ns, &i);
	if (err)
		return err;
	*out = &t->entries[i].s;
	return 1;
}

int qk_sessions__downstream(struct qk_sessions *t, __u16 port, const struct qk_addr *endpoint,
			    __u64 now_ns, const struct qk_session **out)
{
	__u32 i = find_rev(t, port, endpoint);

	if (i == NIL || t->entries[i].s.last_ns + t->opts.idle_ns <= now_ns) {
		t->counters.downstream_misses++;
		return -ENOENT;
	}
	touch(t, i, now_ns);
	t->counters.downstream_hits++;
	*out = &t->entries[i].s;
	return 0;
}

__u32 qk_sessions__count(const struct qk_sessions *t)
{
	return t->count;
}

const struct qk_session_counters *qk_sessions__counters(const struct qk_sessions *t)
{
	return &t->counters;
}
