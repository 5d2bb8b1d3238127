// SPDX-License-Identifier: Apache-2.0
/* Session table: entries in one array, chained in two hash tables (forward
 * by client+endpoint, reverse by port+endpoint) and one LRU list, all linked
 * by index so that every operation is O(1) and nothing allocates after
 * creation. Ports are tracked per endpoint in a third hash table of endpoint
 * records, each with a bitmap of the ports in use towards it: a full
 * endpoint is refused from its count alone, and a free port is found by
 * scanning the bitmap a word at a time, so a flood of new clients towards a
 * full endpoint costs one lookup per packet, not one per port of the range.
 * A record lives while sessions to its endpoint do; there are never more
 * records than sessions, and a record's bitmap is allocated the first time
 * its slot is used and kept for the next endpoint that takes the slot. */
#include "session.h"

#include "keyed_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0xffffffffu

struct entry {
	struct qk_session s;
	__u32 fwd_next, rev_next; /* hash chains */
	__u32 lru_prev, lru_next; /* least recently used first */
	__u32 dest;		  /* record of s.endpoint */
};

/* The ports in use towards one endpoint. */
struct dest {
	struct qk_addr endpoint;
	__u32 next;   /* hash chain, or the free list */
	__u32 used;   /* sessions, and so ports, towards endpoint */
	__u32 cursor; /* port offset the next search starts from */
	__u64 *ports; /* bit per port offset, set when in use; the bits past the range stay set */
};

struct qk_sessions {
	struct qk_session_opts opts;
	struct entry *entries;
	__u32 *fwd_heads, *rev_heads;
	__u32 mask;	 /* hash buckets - 1 */
	__u32 free_head; /* unused entries, chained by fwd_next */
	__u32 lru_head, lru_tail;
	__u32 count;
	__u32 port_cursor;  /* where a new endpoint record starts searching */
	__u32 range;	    /* ports in the range */
	__u32 words;	    /* bitmap words per endpoint record */
	struct dest *dests; /* capacity records, taken from dest_free or below dest_top */
	__u32 *dest_heads;
	__u32 dest_free, dest_top;
	struct qk_session_counters counters;
};

/* An address as hashed: its fields packed without padding (struct qk_addr has a hole). */
#define ADDR_BYTES 19

static __u8 *pack_addr(__u8 *out, const struct qk_addr *a)
{
	out[0] = a->family;
	memcpy(out + 1, a->addr, 16);
	memcpy(out + 17, &a->port, 2);
	return out + ADDR_BYTES;
}

static int addr_eq(const struct qk_addr *a, const struct qk_addr *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

/* Keyed (SipHash) buckets: clients choose their addresses and ports, so a fixed hash would let
 * one host precompute keys that all land in one chain. */
static __u32 fwd_bucket(
	const struct qk_sessions *t, const struct qk_addr *c, const struct qk_addr *e)
{
	__u8 buf[2 * ADDR_BYTES];

	pack_addr(pack_addr(buf, c), e);
	return (__u32)qk_keyed_hash(buf, sizeof(buf)) & t->mask;
}

static __u32 rev_bucket(const struct qk_sessions *t, __u16 port, const struct qk_addr *e)
{
	__u8 buf[2 + ADDR_BYTES];

	memcpy(buf, &port, 2);
	pack_addr(buf + 2, e);
	return (__u32)qk_keyed_hash(buf, sizeof(buf)) & t->mask;
}

static __u32 dest_bucket(const struct qk_sessions *t, const struct qk_addr *e)
{
	__u8 buf[ADDR_BYTES];

	pack_addr(buf, e);
	return (__u32)qk_keyed_hash(buf, sizeof(buf)) & t->mask;
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
	/* Untouched records cost no memory: they are used from the bottom up. */
	t->dests = calloc(opts->capacity, sizeof(*t->dests));
	t->dest_heads = malloc(buckets * sizeof(__u32));
	if (!t->entries || !t->fwd_heads || !t->rev_heads || !t->dests || !t->dest_heads) {
		qk_sessions__destroy(t);
		return -ENOMEM;
	}
	memset(t->fwd_heads, 0xff, buckets * sizeof(__u32));
	memset(t->rev_heads, 0xff, buckets * sizeof(__u32));
	memset(t->dest_heads, 0xff, buckets * sizeof(__u32));
	for (__u32 i = 0; i < opts->capacity; i++)
		t->entries[i].fwd_next = i + 1 < opts->capacity ? i + 1 : NIL;
	t->opts = *opts;
	t->mask = buckets - 1;
	t->free_head = 0;
	t->lru_head = t->lru_tail = NIL;
	t->range = (__u32)opts->port_max - opts->port_min + 1;
	t->words = (t->range + 63) / 64;
	t->dest_free = NIL;
	*out = t;
	return 0;
}

void qk_sessions__destroy(struct qk_sessions *t)
{
	if (!t)
		return;
	for (__u32 i = 0; t->dests && i < t->dest_top; i++)
		free(t->dests[i].ports);
	free(t->dests);
	free(t->dest_heads);
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

	while (i != NIL &&
		!(addr_eq(&t->entries[i].s.client, c) && addr_eq(&t->entries[i].s.endpoint, e)))
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

/* The record of endpoint, or NIL. */
static __u32 find_dest(const struct qk_sessions *t, const struct qk_addr *e)
{
	__u32 d = t->dest_heads[dest_bucket(t, e)];

	while (d != NIL && !addr_eq(&t->dests[d].endpoint, e))
		d = t->dests[d].next;
	return d;
}

/* A new record for endpoint. Called with count < capacity: records in use
 * never outnumber sessions, so a free or never-used slot remains. */
static int dest_create(struct qk_sessions *t, const struct qk_addr *e, __u32 *index)
{
	__u32 d = t->dest_free != NIL ? t->dest_free : t->dest_top;
	struct dest *r = &t->dests[d];
	__u32 tail = t->range % 64;

	if (!r->ports) {
		r->ports = calloc(t->words, sizeof(*r->ports));
		if (!r->ports)
			return -ENOMEM;
		if (tail)
			r->ports[t->words - 1] = ~0ull << tail;
	}
	if (d == t->dest_free)
		t->dest_free = r->next;
	else
		t->dest_top++;
	/* A released bitmap is back to its initial state: used reached 0. */
	r->endpoint = *e;
	r->used = 0;
	r->cursor = t->port_cursor;
	r->next = t->dest_heads[dest_bucket(t, e)];
	t->dest_heads[dest_bucket(t, e)] = d;
	*index = d;
	return 0;
}

static void dest_release(struct qk_sessions *t, __u32 d, __u16 port)
{
	struct dest *r = &t->dests[d];
	__u32 off = port - t->opts.port_min;
	__u32 *link;

	r->ports[off / 64] &= ~(1ull << (off % 64));
	if (--r->used)
		return;
	link = &t->dest_heads[dest_bucket(t, &r->endpoint)];
	while (*link != d)
		link = &t->dests[*link].next;
	*link = r->next;
	r->next = t->dest_free;
	t->dest_free = d;
}

/* A port not in use towards the record's endpoint, searched from a rotating
 * cursor so that a freed port is not reused at once (late replies would
 * mismatch). At most words + 1 words are read; the caller has checked that
 * used < range, so a clear bit exists. */
static __u16 pick_port(struct qk_sessions *t, struct dest *r)
{
	__u32 w = r->cursor / 64, off;
	__u64 avail = ~r->ports[w] & (~0ull << (r->cursor % 64));

	/* Wrapping round ends at the cursor's word again, bits below it included. */
	while (!avail) {
		w = w + 1 == t->words ? 0 : w + 1;
		avail = ~r->ports[w];
	}
	off = w * 64 + (__u32)__builtin_ctzll(avail);
	r->ports[w] |= 1ull << (off % 64);
	r->used++;
	r->cursor = off + 1 == t->range ? 0 : off + 1;
	t->port_cursor = r->cursor;
	return (__u16)(t->opts.port_min + off);
}

/* Whole seconds from creation to now, as the socket backend reports them. */
static __u32 lifetime_secs(const struct qk_session *s, __u64 now_ns)
{
	__u64 secs = now_ns > s->created_ns ? (now_ns - s->created_ns) / 1000000000ull : 0;

	return secs > 0xffffffffull ? 0xffffffffu : (__u32)secs;
}

static void remove_entry(struct qk_sessions *t, __u32 i, __u64 now_ns)
{
	struct qk_session *s = &t->entries[i].s;

	if (t->opts.closed)
		t->opts.closed(t->opts.closed_ctx, s, lifetime_secs(s, now_ns));
	chain_remove(t, &t->fwd_heads[fwd_bucket(t, &s->client, &s->endpoint)], i, 0);
	chain_remove(t, &t->rev_heads[rev_bucket(t, s->port, &s->endpoint)], i, 1);
	dest_release(t, t->entries[i].dest, s->port);
	lru_unlink(t, i);
	t->entries[i].fwd_next = t->free_head;
	t->free_head = i;
	t->count--;
	t->counters.expired++;
}

__u32 qk_sessions__expire(struct qk_sessions *t, __u64 now_ns)
{
	__u32 n = 0;

	while (t->lru_head != NIL &&
		t->entries[t->lru_head].s.last_ns + t->opts.idle_ns <= now_ns) {
		remove_entry(t, t->lru_head, now_ns);
		n++;
	}
	return n;
}

__u32 qk_sessions__close_all(struct qk_sessions *t, __u64 now_ns)
{
	__u32 n = 0;

	while (t->lru_head != NIL) {
		remove_entry(t, t->lru_head, now_ns);
		n++;
	}
	return n;
}

static int insert(struct qk_sessions *t, const struct qk_addr *client,
	const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns, __u32 *index)
{
	struct entry *e;
	__u32 i, d;
	__u16 port;
	int err;

	/* Idle sessions still hold their slot and port: free them first. */
	qk_sessions__expire(t, now_ns);
	if (t->count == t->opts.capacity) {
		t->counters.full_drops++;
		return -ENOSPC;
	}
	/* O(1) whatever the range: a full endpoint is known from its count. */
	d = find_dest(t, endpoint);
	if (d != NIL && t->dests[d].used == t->range) {
		t->counters.port_exhausted_drops++;
		return -EADDRINUSE;
	}
	if (d == NIL) {
		err = dest_create(t, endpoint, &d);
		if (err)
			return err;
	}
	port = pick_port(t, &t->dests[d]);
	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->fwd_next;
	e->s.client = *client;
	e->s.endpoint = *endpoint;
	e->s.local = *local;
	e->s.port = port;
	e->s.created_ns = now_ns;
	e->s.last_ns = now_ns;
	e->dest = d;
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

int qk_sessions__for_read(struct qk_sessions *t, const struct qk_addr *client,
	const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns,
	const struct qk_session **out)
{
	__u32 i = find_fwd(t, client, endpoint);
	int err;

	if (i != NIL && t->entries[i].s.last_ns + t->opts.idle_ns > now_ns) {
		touch(t, i, now_ns);
		t->counters.read_hits++;
		*out = &t->entries[i].s;
		return 0;
	}
	/* Idle too long: it ends here (even if the LRU order, fed by several
	 * workers' clocks, would keep it past insert's expiry) and starts afresh. */
	if (i != NIL)
		remove_entry(t, i, now_ns);
	err = insert(t, client, endpoint, local, now_ns, &i);
	if (err)
		return err;
	*out = &t->entries[i].s;
	return 1;
}

int qk_sessions__for_write(struct qk_sessions *t, __u16 port, const struct qk_addr *endpoint,
	__u64 now_ns, const struct qk_session **out)
{
	__u32 i = find_rev(t, port, endpoint);

	if (i == NIL || t->entries[i].s.last_ns + t->opts.idle_ns <= now_ns) {
		t->counters.write_misses++;
		return -ENOENT;
	}
	touch(t, i, now_ns);
	t->counters.write_hits++;
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
