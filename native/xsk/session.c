// SPDX-License-Identifier: Apache-2.0
/* Session table: entries in one array, chained in two hash tables (forward
 * by client+endpoint, reverse by port+endpoint) and in last-use order on one
 * of two lists, answered sessions (LRU) or unreplied ones, all linked by
 * index so that every operation is O(1) and nothing allocates after
 * creation. Each list expires from its head with its own timeout, and the
 * unreplied list's head is the session evicted when the table is full. Ports are tracked per endpoint in a third hash table of endpoint
 * records, each with a bitmap of the ports in use towards it: a full
 * endpoint is refused from its count alone, and a free port is found by
 * scanning the bitmap a word at a time, so a flood of new clients towards a
 * full endpoint costs one lookup per packet, not one per port of the range.
 * A record lives while sessions to its endpoint do; there are never more
 * records than sessions, and a record's bitmap is allocated the first time
 * its slot is used and kept for the next endpoint that takes the slot. An
 * endpoint record also heads a list of the unreplied sessions towards it,
 * in last-use order: the one evicted when its ports are all in use. With a
 * per-source cap, a fourth hash table counts the sessions of each client
 * IP, in records that live while that IP has sessions. */
#include "session.h"

#include "keyed_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0xffffffffu

/* Doubly linked lists by entry index, least recently used first. */
struct link {
	__u32 prev, next;
};

struct list {
	__u32 head, tail;
};

enum { AGE, DEST_UNREPLIED };

struct entry {
	struct qk_session s;
	__u32 fwd_next, rev_next; /* hash chains */
	struct link age;	  /* on the LRU list when replied, else the unreplied list */
	struct link dest_un;	  /* unreplied: on its endpoint record's list */
	__u32 dest;		  /* record of s.endpoint */
	__u32 src;		  /* record of s.client's IP, or NIL without a per-source cap */
};

/* The ports in use towards one endpoint. */
struct dest {
	struct qk_addr endpoint;
	__u32 next;	       /* hash chain, or the free list */
	__u32 used;	       /* sessions, and so ports, towards endpoint */
	__u32 cursor;	       /* port offset the next search starts from */
	struct list unreplied; /* its unreplied sessions */
	__u64 *ports; /* bit per port offset, set when in use; the bits past the range stay set */
};

/* The sessions of one client IP (port 0). */
struct src {
	struct qk_addr ip;
	__u32 next;  /* hash chain, or the free list */
	__u32 count; /* its sessions */
};

struct qk_sessions {
	struct qk_session_opts opts;
	struct entry *entries;
	__u32 *fwd_heads, *rev_heads;
	__u32 mask;	 /* hash buckets - 1 */
	__u32 free_head; /* unused entries, chained by fwd_next */
	struct list lru, unreplied;
	__u32 count;
	__u32 port_cursor;  /* where a new endpoint record starts searching */
	__u32 range;	    /* ports in the range */
	__u32 words;	    /* bitmap words per endpoint record */
	struct dest *dests; /* capacity records, taken from dest_free or below dest_top */
	__u32 *dest_heads;
	__u32 dest_free, dest_top;
	struct src *srcs; /* capacity records when per_source_max is set, else NULL */
	__u32 *src_heads;
	__u32 src_free, src_top;
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

/* Keyed too, with a seed byte so that a source record and an endpoint record
 * of one address do not share a bucket index. */
static __u32 src_bucket(const struct qk_sessions *t, const struct qk_addr *ip)
{
	__u8 buf[ADDR_BYTES + 1];

	buf[0] = 's';
	pack_addr(buf + 1, ip);
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
	if (opts->per_source_max) {
		t->srcs = calloc(opts->capacity, sizeof(*t->srcs));
		t->src_heads = malloc(buckets * sizeof(__u32));
	}
	if (!t->entries || !t->fwd_heads || !t->rev_heads || !t->dests || !t->dest_heads ||
		(opts->per_source_max && (!t->srcs || !t->src_heads))) {
		qk_sessions__destroy(t);
		return -ENOMEM;
	}
	memset(t->fwd_heads, 0xff, buckets * sizeof(__u32));
	memset(t->rev_heads, 0xff, buckets * sizeof(__u32));
	memset(t->dest_heads, 0xff, buckets * sizeof(__u32));
	if (t->src_heads)
		memset(t->src_heads, 0xff, buckets * sizeof(__u32));
	for (__u32 i = 0; i < opts->capacity; i++)
		t->entries[i].fwd_next = i + 1 < opts->capacity ? i + 1 : NIL;
	t->opts = *opts;
	if (!t->opts.unreplied_ns || t->opts.unreplied_ns > t->opts.idle_ns)
		t->opts.unreplied_ns = t->opts.idle_ns;
	t->mask = buckets - 1;
	t->free_head = 0;
	t->lru.head = t->lru.tail = NIL;
	t->unreplied.head = t->unreplied.tail = NIL;
	t->range = (__u32)opts->port_max - opts->port_min + 1;
	t->words = (t->range + 63) / 64;
	t->dest_free = NIL;
	t->src_free = NIL;
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
	free(t->srcs);
	free(t->src_heads);
	free(t->entries);
	free(t->fwd_heads);
	free(t->rev_heads);
	free(t);
}

static struct link *link_of(struct qk_sessions *t, __u32 i, int which)
{
	return which == AGE ? &t->entries[i].age : &t->entries[i].dest_un;
}

static void list_unlink(struct qk_sessions *t, struct list *l, __u32 i, int which)
{
	struct link *k = link_of(t, i, which);

	if (k->prev != NIL)
		link_of(t, k->prev, which)->next = k->next;
	else
		l->head = k->next;
	if (k->next != NIL)
		link_of(t, k->next, which)->prev = k->prev;
	else
		l->tail = k->prev;
}

static void list_append(struct qk_sessions *t, struct list *l, __u32 i, int which)
{
	struct link *k = link_of(t, i, which);

	k->prev = l->tail;
	k->next = NIL;
	if (l->tail != NIL)
		link_of(t, l->tail, which)->next = i;
	else
		l->head = i;
	l->tail = i;
}

static void list_to_tail(struct qk_sessions *t, struct list *l, __u32 i, int which)
{
	if (l->tail != i) {
		list_unlink(t, l, i, which);
		list_append(t, l, i, which);
	}
}

/* The list that orders i's expiry: answered sessions and unreplied ones age apart. */
static struct list *age_list(struct qk_sessions *t, __u32 i)
{
	return t->entries[i].s.replied ? &t->lru : &t->unreplied;
}

static int idle_at(const struct qk_sessions *t, const struct qk_session *s, __u64 now_ns)
{
	return s->last_ns + (s->replied ? t->opts.idle_ns : t->opts.unreplied_ns) <= now_ns;
}

static void touch(struct qk_sessions *t, __u32 i, __u64 now_ns)
{
	struct entry *e = &t->entries[i];

	e->s.last_ns = now_ns;
	list_to_tail(t, age_list(t, i), i, AGE);
	if (!e->s.replied)
		list_to_tail(t, &t->dests[e->dest].unreplied, i, DEST_UNREPLIED);
}

/* Idle by its own stamp, and by the fast path's too: a session the XDP program carries sees
 * none of its packets here, so before it is judged idle its flows are asked (while the pass's
 * budget lasts; without budget it counts as in use and waits for the next pass). Returns 1 idle,
 * 0 in use, 2 kept alive by the fast path (now at its list's tail), -1 out of budget. */
static int idle_now(struct qk_sessions *t, __u32 i, __u64 now_ns, __u32 *budget)
{
	struct qk_session *s = &t->entries[i].s;
	__u64 seen;

	if (!idle_at(t, s, now_ns))
		return 0;
	if (!t->opts.last_used || !s->flows)
		return 1;
	if (*budget == 0)
		return -1;
	(*budget)--;
	seen = t->opts.last_used(t->opts.closed_ctx, s);
	if (seen <= s->last_ns)
		return 1;
	touch(t, i, seen > now_ns ? now_ns : seen);
	return idle_at(t, s, now_ns) ? 1 : 2;
}

/* The first reply: i leaves the unreplied lists for the LRU, and eviction. */
static void mark_replied(struct qk_sessions *t, __u32 i)
{
	struct entry *e = &t->entries[i];

	if (e->s.replied)
		return;
	list_unlink(t, &t->unreplied, i, AGE);
	list_unlink(t, &t->dests[e->dest].unreplied, i, DEST_UNREPLIED);
	e->s.replied = 1;
	list_append(t, &t->lru, i, AGE);
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
	r->unreplied.head = r->unreplied.tail = NIL;
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

static struct qk_addr ip_of(const struct qk_addr *client)
{
	struct qk_addr ip = *client;

	ip.port = 0;
	return ip;
}

/* The record of client's IP, or NIL. */
static __u32 find_src(const struct qk_sessions *t, const struct qk_addr *ip)
{
	__u32 r = t->src_heads[src_bucket(t, ip)];

	while (r != NIL && !addr_eq(&t->srcs[r].ip, ip))
		r = t->srcs[r].next;
	return r;
}

/* A new record (count 0) for ip. Called with count < capacity: records in
 * use never outnumber sessions. */
static __u32 src_create(struct qk_sessions *t, const struct qk_addr *ip)
{
	__u32 r = t->src_free != NIL ? t->src_free : t->src_top++;
	__u32 b = src_bucket(t, ip);

	if (r == t->src_free)
		t->src_free = t->srcs[r].next;
	t->srcs[r].ip = *ip;
	t->srcs[r].count = 0;
	t->srcs[r].next = t->src_heads[b];
	t->src_heads[b] = r;
	return r;
}

static void src_release(struct qk_sessions *t, __u32 r)
{
	__u32 *link;

	if (--t->srcs[r].count)
		return;
	link = &t->src_heads[src_bucket(t, &t->srcs[r].ip)];
	while (*link != r)
		link = &t->srcs[*link].next;
	*link = t->srcs[r].next;
	t->srcs[r].next = t->src_free;
	t->src_free = r;
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
	list_unlink(t, age_list(t, i), i, AGE);
	if (!s->replied)
		list_unlink(t, &t->dests[t->entries[i].dest].unreplied, i, DEST_UNREPLIED);
	dest_release(t, t->entries[i].dest, s->port);
	if (t->entries[i].src != NIL)
		src_release(t, t->entries[i].src);
	t->entries[i].fwd_next = t->free_head;
	t->free_head = i;
	t->count--;
	t->counters.expired++;
}

/* Room for a new session: the least recently used unreplied session goes. */
static void evict(struct qk_sessions *t, __u32 i, __u64 now_ns)
{
	remove_entry(t, i, now_ns);
	t->counters.evicted++;
}

static __u32 expire_list(struct qk_sessions *t, struct list *l, __u64 now_ns, __u32 *budget)
{
	__u32 n = 0;
	int idle;

	/* A session the fast path kept alive moves to the tail: each is asked once per pass. */
	while (l->head != NIL && (idle = idle_now(t, l->head, now_ns, budget)) != 0) {
		if (idle < 0)
			break;
		if (idle == 2)
			continue;
		remove_entry(t, l->head, now_ns);
		n++;
	}
	return n;
}

__u32 qk_sessions__expire(struct qk_sessions *t, __u64 now_ns)
{
	__u32 budget = QK_SESSIONS_LAST_USED_BUDGET;
	__u32 n = expire_list(t, &t->lru, now_ns, &budget);

	return n + expire_list(t, &t->unreplied, now_ns, &budget);
}

void qk_sessions__set_flows(struct qk_sessions *t, const struct qk_session *s, __u8 flows)
{
	(void)t;
	((struct qk_session *)s)->flows = flows;
}

__u32 qk_sessions__close_all(struct qk_sessions *t, __u64 now_ns)
{
	__u32 n = 0;

	while (t->lru.head != NIL) {
		remove_entry(t, t->lru.head, now_ns);
		n++;
	}
	while (t->unreplied.head != NIL) {
		remove_entry(t, t->unreplied.head, now_ns);
		n++;
	}
	return n;
}

static int insert(struct qk_sessions *t, const struct qk_addr *client,
	const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns, __u32 *index)
{
	struct qk_addr ip = ip_of(client);
	__u32 i, d, src = NIL;
	struct entry *e;
	__u16 port;
	int err;

	/* Idle sessions still hold their slot and port: free them first. */
	qk_sessions__expire(t, now_ns);
	if (t->opts.per_source_max) {
		src = find_src(t, &ip);
		if (src != NIL && t->srcs[src].count >= t->opts.per_source_max) {
			t->counters.source_limit_drops++;
			return -EDQUOT;
		}
	}
	/* O(1) whatever the range: a full endpoint is known from its count, and
	 * its least recently used unreplied session from its list. Evicting it
	 * frees a slot as well as the port. */
	d = find_dest(t, endpoint);
	if (d != NIL && t->dests[d].used == t->range) {
		if (t->dests[d].unreplied.head == NIL) {
			t->counters.port_exhausted_drops++;
			return -EADDRINUSE;
		}
		evict(t, t->dests[d].unreplied.head, now_ns);
	}
	if (t->count == t->opts.capacity) {
		if (t->unreplied.head == NIL) {
			t->counters.full_drops++;
			return -ENOSPC;
		}
		evict(t, t->unreplied.head, now_ns);
	}
	/* An eviction may have released the endpoint's or the source's record. */
	d = find_dest(t, endpoint);
	if (d == NIL) {
		err = dest_create(t, endpoint, &d);
		if (err)
			return err;
	}
	if (t->opts.per_source_max) {
		src = find_src(t, &ip);
		if (src == NIL)
			src = src_create(t, &ip);
		t->srcs[src].count++;
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
	e->s.replied = 0;
	e->s.flows = 0;
	e->dest = d;
	e->src = src;
	e->fwd_next = t->fwd_heads[fwd_bucket(t, client, endpoint)];
	t->fwd_heads[fwd_bucket(t, client, endpoint)] = i;
	e->rev_next = t->rev_heads[rev_bucket(t, port, endpoint)];
	t->rev_heads[rev_bucket(t, port, endpoint)] = i;
	list_append(t, &t->unreplied, i, AGE);
	list_append(t, &t->dests[d].unreplied, i, DEST_UNREPLIED);
	t->count++;
	t->counters.created++;
	*index = i;
	return 0;
}

int qk_sessions__for_read(struct qk_sessions *t, const struct qk_addr *client,
	const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns,
	const struct qk_session **out)
{
	__u32 i = find_fwd(t, client, endpoint), budget = 1;
	int err;

	if (i != NIL && (idle_now(t, i, now_ns, &budget) & 1) == 0) {
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
	__u32 i = find_rev(t, port, endpoint), budget = 1;

	if (i == NIL || idle_now(t, i, now_ns, &budget) == 1) {
		t->counters.write_misses++;
		return -ENOENT;
	}
	mark_replied(t, i);
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
