// SPDX-License-Identifier: Apache-2.0
/* Checks the session table: fixed scenarios (ports, reverse lookups, full
 * table, port exhaustion, expiry, lifetimes, unreplied expiry, eviction
 * order, the per-source cap) and random runs against a brute-force model of
 * the same rules and against a shadow of the ports in use per endpoint. */
#include <errno.h>
#include <string.h>

#include "../session.h"
#include "testutil.h"

static struct qk_addr addr4(__u8 last, __u16 port)
{
	struct qk_addr a = {.family = QK_INET4, .port = port};

	a.addr[0] = 10;
	a.addr[3] = last;
	return a;
}

static int up(struct qk_sessions *t, __u8 client, const struct qk_addr *e, __u64 now,
	const struct qk_session **s)
{
	struct qk_addr c = addr4(client, 5000), local = addr4(1, 7000);

	return qk_sessions__for_read(t, &c, e, &local, now, s);
}

/* A new session the endpoint then answers: answered sessions are never evicted. */
static int answered(struct qk_sessions *t, __u8 client, const struct qk_addr *e, __u64 now,
	const struct qk_session **s)
{
	int r = up(t, client, e, now, s);
	const struct qk_session *w;

	if (r == 1)
		CHECK(qk_sessions__for_write(t, (*s)->port, e, now, &w) == 0 && w->replied,
			"reply to client %u", client);
	return r;
}

static int test_scenarios(void)
{
	struct qk_session_opts o = {
		.port_min = 40000, .port_max = 40003, .capacity = 6, .idle_ns = 1000};
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000);
	const struct qk_session *s, *s2;
	struct qk_sessions *t;
	__u16 p1;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &local, &e1, &local, 0, &s) == 1 && !s->replied, "new");
	CHECK(qk_sessions__for_write(t, s->port, &e1, 0, &s) == 0 && s->replied, "answered");
	CHECK(up(t, 2, &e1, 1, &s) == 1, "new");
	p1 = s->port;
	CHECK(p1 >= 40000 && p1 <= 40003, "port %u in range", p1);
	CHECK(up(t, 2, &e1, 2, &s2) == 0 && s2->port == p1, "hit");
	CHECK(qk_sessions__for_write(t, p1, &e1, 3, &s) == 0 && s->client.addr[3] == 2, "reverse");
	CHECK(qk_sessions__for_write(t, p1, &e2, 3, &s) == -ENOENT, "wrong endpoint");
	CHECK(answered(t, 3, &e1, 4, &s) == 1, "3rd");
	CHECK(answered(t, 4, &e1, 5, &s) == 1, "4th");
	CHECK(up(t, 5, &e1, 6, &s) == -EADDRINUSE, "ports");
	CHECK(answered(t, 5, &e2, 7, &s) == 1, "other endpoint");
	CHECK(answered(t, 6, &e2, 8, &s) == 1, "6th");
	CHECK(up(t, 7, &e2, 9, &s) == -ENOSPC, "full");
	CHECK(qk_sessions__counters(t)->full_drops == 1, "full counted");
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 1, "ports counted");
	/* Keep one alive, let the rest go idle. */
	CHECK(qk_sessions__for_write(t, p1, &e1, 900, &s) == 0, "touch");
	CHECK(qk_sessions__expire(t, 1008) == 5, "expired %u", qk_sessions__count(t));
	CHECK(qk_sessions__count(t) == 1, "one left");
	CHECK(qk_sessions__for_write(t, p1, &e1, 1899, &s) == 0, "survivor");
	CHECK(qk_sessions__for_write(t, p1, &e1, 2899, &s) == -ENOENT, "idle reply rejected");
	CHECK(qk_sessions__counters(t)->evicted == 0, "answered sessions never evicted");
	qk_sessions__destroy(t);
	return 21;
}

#define MODEL_CAP	 48
#define MODEL_IDLE	 300
#define MODEL_UNREPLIED	 100
#define MODEL_PER_SOURCE 3

struct model_entry {
	int live, replied;
	struct qk_addr c, e;
	__u16 port;
	__u64 last;
	__u64 seq; /* order of last use */
};

static struct model_entry model[MODEL_CAP];
static __u64 model_seq;

static void model_expire(__u64 now)
{
	for (int i = 0; i < MODEL_CAP; i++)
		if (model[i].live &&
			model[i].last + (model[i].replied ? MODEL_IDLE : MODEL_UNREPLIED) <= now)
			model[i].live = 0;
}

/* The least recently used unreplied session (towards e, when given), or -1. */
static int model_oldest_unreplied(const struct qk_addr *e)
{
	int best = -1;

	for (int i = 0; i < MODEL_CAP; i++)
		if (model[i].live && !model[i].replied &&
			(!e || !memcmp(&model[i].e, e, sizeof(*e))) &&
			(best < 0 || model[i].seq < model[best].seq))
			best = i;
	return best;
}

static int model_from(const struct qk_addr *c)
{
	int n = 0;

	for (int i = 0; i < MODEL_CAP; i++)
		n += model[i].live && !memcmp(model[i].c.addr, c->addr, sizeof(c->addr));
	return n;
}

/* The session the closed callback saw last. */
static struct qk_session last_closed;

static void on_model_closed(void *ctx, const struct qk_session *s, __u32 lifetime_secs)
{
	(void)ctx;
	(void)lifetime_secs;
	last_closed = *s;
}

static int model_find(const struct qk_addr *c, const struct qk_addr *e, __u16 port)
{
	for (int i = 0; i < MODEL_CAP; i++)
		if (model[i].live &&
			(c ? !memcmp(&model[i].c, c, sizeof(*c)) : model[i].port == port) &&
			!memcmp(&model[i].e, e, sizeof(*e)))
			return i;
	return -1;
}

static int model_live(void)
{
	int n = 0;

	for (int i = 0; i < MODEL_CAP; i++)
		n += model[i].live;
	return n;
}

static int model_to(const struct qk_addr *e)
{
	int n = 0;

	for (int i = 0; i < MODEL_CAP; i++)
		n += model[i].live && !memcmp(&model[i].e, e, sizeof(*e));
	return n;
}

static void random_step(struct qk_sessions *t, __u64 now, int step)
{
	/* Phases of 5000 steps: 40 clients, slowly (the per-source cap bites), then
	 * 120 quickly (the table fills, and unreplied sessions are evicted). */
	__u8 clients = (step / 5000) % 2 ? 120 : 40;
	struct qk_addr local = addr4(1, 7000), c = addr4((__u8)(test_rand() % clients), 5000);
	struct qk_addr e = addr4((__u8)(200 + test_rand() % 4), 9000);
	const struct qk_session *s;
	int m, r, victim = -1;

	model_expire(now);
	if (test_rand() % 3) {
		r = qk_sessions__for_read(t, &c, &e, &local, now, &s);
		m = model_find(&c, &e, 0);
		if (m >= 0) {
			CHECK(r == 0 && s->port == model[m].port, "step %d hit", step);
			model[m].last = now;
			model[m].seq = ++model_seq;
			return;
		}
		if (model_from(&c) >= MODEL_PER_SOURCE) {
			CHECK(r == -EDQUOT, "step %d source cap: %d", step, r);
			return;
		}
		/* Ports towards e first, then the table: either evicts the least
		 * recently used unreplied session, or refuses. */
		if (model_to(&e) == 16) {
			victim = model_oldest_unreplied(&e);
			if (victim < 0) {
				CHECK(r == -EADDRINUSE, "step %d ports: %d", step, r);
				return;
			}
		} else if (model_live() == MODEL_CAP) {
			victim = model_oldest_unreplied(NULL);
			if (victim < 0) {
				CHECK(r == -ENOSPC, "step %d full: %d", step, r);
				return;
			}
		}
		if (victim >= 0) {
			CHECK(last_closed.port == model[victim].port &&
					!memcmp(&last_closed.endpoint, &model[victim].e,
						sizeof(e)) &&
					!memcmp(&last_closed.client, &model[victim].c, sizeof(c)),
				"step %d evicted another session", step);
			model[victim].live = 0;
		}
		CHECK(r == 1 && s->port >= 30000 && s->port < 30016, "step %d new: %d", step, r);
		CHECK(r != 1 || model_find(NULL, &e, s->port) < 0, "step %d port reused", step);
		if (r != 1)
			return;
		for (m = 0; model[m].live; m++)
			;
		model[m] = (struct model_entry){1, 0, c, e, s->port, now, ++model_seq};
		return;
	}
	r = qk_sessions__for_write(t, (__u16)(30000 + test_rand() % 16), &e, now, &s);
	m = model_find(NULL, &e, r == 0 ? s->port : 0);
	CHECK((r == 0) == (m >= 0), "step %d reply", step);
	if (m >= 0) {
		CHECK(!memcmp(&s->client, &model[m].c, sizeof(s->client)), "step %d client", step);
		CHECK(s->replied, "step %d marked replied", step);
		model[m].last = now;
		model[m].replied = 1;
		model[m].seq = ++model_seq;
	}
}

static int test_against_model(void)
{
	struct qk_session_opts o = {.port_min = 30000,
		.port_max = 30015,
		.capacity = MODEL_CAP,
		.idle_ns = MODEL_IDLE,
		.unreplied_ns = MODEL_UNREPLIED,
		.per_source_max = MODEL_PER_SOURCE,
		.closed = on_model_closed};
	const struct qk_session_counters *k;
	struct qk_sessions *t;
	__u64 now = 1;
	int steps = 30000;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	for (int i = 0; i < steps && !test_failures; i++) {
		now += test_rand() % ((i / 5000) % 2 ? 3 : 8);
		random_step(t, now, i);
		/* Idle sessions may linger in the table until the next insert. */
		CHECK(qk_sessions__count(t) >= (__u32)model_live(), "step %d count", i);
	}
	k = qk_sessions__counters(t);
	CHECK(k->evicted > 100 && k->source_limit_drops > 30 &&
			k->port_exhausted_drops + k->full_drops > 10,
		"every path ran: %llu evicted, %llu capped, %llu ports, %llu full",
		(unsigned long long)k->evicted, (unsigned long long)k->source_limit_drops,
		(unsigned long long)k->port_exhausted_drops, (unsigned long long)k->full_drops);
	qk_sessions__destroy(t);
	return steps;
}

/* A distinct client per index (up to 2^24). */
static struct qk_addr client_n(__u32 n)
{
	struct qk_addr a = addr4((__u8)n, 5000);

	a.addr[1] = (__u8)(n >> 8);
	a.addr[2] = (__u8)(n >> 16);
	return a;
}

/* What the closed callback saw. */
struct closed_log {
	__u32 n;
	__u32 last_secs;
	__u16 last_port;
	__u8 (*in_use)[8]; /* [endpoint][port offset] of the shadow test, or NULL */
};

static void on_closed(void *ctx, const struct qk_session *s, __u32 lifetime_secs)
{
	struct closed_log *log = ctx;

	log->n++;
	log->last_secs = lifetime_secs;
	log->last_port = s->port;
	if (log->in_use) {
		__u8 *slot = &log->in_use[s->endpoint.addr[3] - 200][s->port - 30000];

		CHECK(*slot, "closed port %u was not in use", s->port);
		*slot = 0;
	}
}

/* The default range, 61000-65535, full towards one endpoint with answered
 * sessions. Finding that out must not cost a probe per port, nor a walk of
 * the sessions for one to evict: the table keeps a count per endpoint and a
 * list of its unreplied sessions, so the refusals below take one lookup
 * each (they took 4536 before). */
static int test_exhaustion(void)
{
	struct qk_session_opts o = {
		.port_min = 61000, .port_max = 65535, .capacity = 5000, .idle_ns = 1000};
	static __u8 seen[4536];
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000), c;
	const struct qk_session *s;
	struct qk_sessions *t;
	__u32 n, ok = 0;
	__u16 freed = 0;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	for (n = 0; n < 4536; n++) {
		c = client_n(n);
		if (qk_sessions__for_read(t, &c, &e1, &local, 1, &s) == 1 &&
			!seen[s->port - 61000]++ &&
			qk_sessions__for_write(t, s->port, &e1, 1, &s) == 0)
			ok++;
		if (n == 17)
			freed = s->port;
	}
	CHECK(ok == 4536, "every port once: %u", ok);
	for (n = 0; n < 1000; n++) {
		c = client_n(10000 + n);
		CHECK(qk_sessions__for_read(t, &c, &e1, &local, 2, &s) == -EADDRINUSE,
			"exhausted %u", n);
	}
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 1000, "exhaustion counted");
	/* Ports are per endpoint: the same port towards another one is free. */
	CHECK(qk_sessions__for_read(t, &c, &e2, &local, 3, &s) == 1, "other endpoint");
	CHECK(qk_sessions__count(t) == 4537, "count");
	/* Keep all but client 17 towards e1 alive; its port is the one that returns. */
	for (n = 0; n < 4536; n++) {
		c = client_n(n);
		if (n != 17)
			qk_sessions__for_read(t, &c, &e1, &local, 900, &s);
	}
	c = client_n(20000);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 1001, &s) == 1 && s->port == freed,
		"freed port back");
	CHECK(qk_sessions__counters(t)->expired == 1, "client 17 expired");
	/* The newcomer has had no reply: the next one takes its port. */
	c = client_n(20001);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 1002, &s) == 1 && s->port == freed,
		"unreplied newcomer evicted");
	CHECK(qk_sessions__counters(t)->evicted == 1, "eviction counted");
	CHECK(qk_sessions__for_write(t, freed, &e1, 1002, &s) == 0, "answered");
	c = client_n(20002);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 1003, &s) == -EADDRINUSE, "full again");
	CHECK(qk_sessions__counters(t)->evicted == 1, "an answered session is never evicted");
	qk_sessions__destroy(t);
	return 1012;
}

/* Many create/expire/evict cycles over 3 endpoints with 8 ports each, half
 * of the sessions answered: a port is never handed out twice towards one
 * endpoint, an endpoint is refused exactly when all 8 of its ports are held
 * by answered sessions, the table only when all of its sessions are
 * answered, and the closed callback reports every session that leaves. */
static int test_port_shadow(void)
{
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30007, .capacity = 20, .idle_ns = 50};
	static __u8 in_use[3][8];
	struct closed_log log = {.in_use = in_use};
	int answered_to, answered_all;
	struct qk_addr local = addr4(1, 7000), c, e;
	const struct qk_session *s;
	struct qk_sessions *t;
	__u64 now = 1, created = 0;
	int steps = 50000, r, live;

	o.closed = on_closed;
	o.closed_ctx = &log;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	for (int i = 0; i < steps && !test_failures; i++) {
		now += test_rand() % 4;
		c = client_n((__u32)(test_rand() % 64));
		e = addr4((__u8)(200 + test_rand() % 3), 9000);
		r = qk_sessions__for_read(t, &c, &e, &local, now, &s);
		live = answered_to = answered_all = 0;
		for (int p = 0; p < 8; p++) {
			live += in_use[e.addr[3] - 200][p] != 0;
			answered_to += in_use[e.addr[3] - 200][p] == 2;
			for (int d = 0; d < 3; d++)
				answered_all += in_use[d][p] == 2;
		}
		if (r == 1) {
			__u8 *slot = &in_use[e.addr[3] - 200][s->port - 30000];

			CHECK(s->port >= 30000 && s->port <= 30007, "step %d port %u", i, s->port);
			CHECK(!*slot, "step %d: port %u handed out twice", i, s->port);
			*slot = 1;
			created++;
			if (test_rand() % 2 && qk_sessions__for_write(t, s->port, &e, now, &s) == 0)
				*slot = 2;
		} else if (r == -EADDRINUSE) {
			CHECK(live == 8 && answered_to == 8,
				"step %d refused with %d ports in use, %d answered", i, live,
				answered_to);
		} else if (r == -ENOSPC) {
			CHECK(qk_sessions__count(t) == 20 && answered_all == 20,
				"step %d full at %u, %d answered", i, qk_sessions__count(t),
				answered_all);
		} else {
			CHECK(r == 0 && in_use[e.addr[3] - 200][s->port - 30000], "step %d hit: %d",
				i, r);
		}
	}
	CHECK(created > 1000 && qk_sessions__counters(t)->port_exhausted_drops > 100 &&
			qk_sessions__counters(t)->evicted > 100,
		"every path ran: %llu ports, %llu evicted",
		(unsigned long long)qk_sessions__counters(t)->port_exhausted_drops,
		(unsigned long long)qk_sessions__counters(t)->evicted);
	r = (int)qk_sessions__count(t);
	CHECK(qk_sessions__close_all(t, now) == (__u32)r && qk_sessions__count(t) == 0, "closed");
	CHECK(log.n == created, "every session reported: %u of %llu", log.n,
		(unsigned long long)created);
	qk_sessions__destroy(t);
	return steps;
}

/* Rotating ports, and endpoint records recycled: each endpoint, used once,
 * takes a record that goes when its session does. */
static int test_port_reuse(void)
{
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30007, .capacity = 8, .idle_ns = 10};
	struct qk_addr local = addr4(1, 7000), c1 = client_n(1), c2 = client_n(2),
		       e = addr4(200, 9000);
	struct closed_log log = {0};
	const struct qk_session *s;
	struct qk_sessions *t;
	__u16 p1, p2, p3;
	int n = 0;

	o.closed = on_closed;
	o.closed_ctx = &log;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &c1, &e, &local, 0, &s) == 1, "first");
	p1 = s->port;
	CHECK(qk_sessions__for_read(t, &c2, &e, &local, 5, &s) == 1, "second");
	p2 = s->port;
	CHECK(qk_sessions__expire(t, 10) == 1 && log.last_port == p1, "first expired");
	CHECK(qk_sessions__for_read(t, &c1, &e, &local, 11, &s) == 1 && s->port != p1 &&
			s->port != p2,
		"freed port %u not reused at once: got %u", p1, s->port);
	p3 = s->port;
	CHECK(qk_sessions__close_all(t, 12) == 2 && qk_sessions__count(t) == 0, "close all");
	/* The endpoint's record went with its last session; the next one
	 * still does not start from the ports just freed. */
	CHECK(qk_sessions__for_read(t, &c1, &e, &local, 13, &s) == 1 && s->port != p1 &&
			s->port != p2 && s->port != p3,
		"new record reuses port %u", s->port);
	CHECK(qk_sessions__close_all(t, 14) == 1, "close all");
	/* 8 endpoints at once, then 8 others: a record is recycled with an empty bitmap. */
	for (__u32 round = 0; round < 2000; round++) {
		for (__u32 k = 0; k < 8; k++) {
			e = addr4((__u8)k, (__u16)(9000 + round));
			n += qk_sessions__for_read(t, &c1, &e, &local, 100 + round * 20, &s) == 1 &&
			     qk_sessions__for_write(t, s->port, &e, 100 + round * 20, &s) == 0;
		}
		e = addr4(0, (__u16)(9000 + round));
		for (__u32 k = 1; k < 8; k++) {
			c2 = client_n(100 + k);
			n += qk_sessions__for_read(t, &c2, &e, &local, 100 + round * 20, &s) ==
			     -ENOSPC;
		}
	}
	CHECK(n == 2000 * 15, "recycled records: %d", n);
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 0, "no exhaustion");
	qk_sessions__destroy(t);
	return 7;
}

/* A lifetime is creation to removal, as the socket backend reports it
 * (native/socket/session_shard.cc close_session): created at 0, last used
 * at 5 s, expired by the sweep at 200 s with 60 s idle reports 200. */
static int test_lifetimes(void)
{
	const __u64 sec = 1000000000ull;
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30007, .capacity = 4, .idle_ns = 60 * sec};
	struct qk_addr local = addr4(1, 7000), c = client_n(1), e = addr4(200, 9000);
	struct closed_log log = {0};
	const struct qk_session *s;
	struct qk_sessions *t;

	o.closed = on_closed;
	o.closed_ctx = &log;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 0, &s) == 1 && s->created_ns == 0,
		"created");
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 5 * sec, &s) == 0, "touched");
	CHECK(qk_sessions__expire(t, 64 * sec) == 0, "still live");
	CHECK(qk_sessions__expire(t, 200 * sec) == 1, "expired");
	CHECK(log.n == 1 && log.last_secs == 200, "lifetime %u", log.last_secs);
	/* Replaced: idle when its client sends again, reported before the new one starts. */
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 210 * sec, &s) == 1, "new");
	CHECK(qk_sessions__for_write(t, s->port, &e, 215 * sec + sec / 2, &s) == 0, "reply");
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 300 * sec + 999, &s) == 1, "replaced");
	CHECK(log.n == 2 && log.last_secs == 90, "replaced lifetime %u", log.last_secs);
	CHECK(qk_sessions__counters(t)->expired == 2, "replaced counts as expired");
	CHECK(qk_sessions__close_all(t, 301 * sec - 1) == 1 && log.last_secs == 0, "closed: %u",
		log.last_secs);
	qk_sessions__destroy(t);
	return 11;
}

/* A session no reply has reached lives unreplied_ns unused (conntrack's
 * unreplied state), an answered one idle_ns; the shorter timeout is never
 * the longer one. */
static int test_unreplied_expiry(void)
{
	struct qk_session_opts o = {.port_min = 30000,
		.port_max = 30007,
		.capacity = 8,
		.idle_ns = 1000,
		.unreplied_ns = 100};
	struct qk_addr local = addr4(1, 7000), c1 = client_n(1), c2 = client_n(2), c3 = client_n(3),
		       e = addr4(200, 9000);
	struct closed_log log = {0};
	const struct qk_session *s;
	struct qk_sessions *t;
	__u16 pa, pb;

	o.closed = on_closed;
	o.closed_ctx = &log;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &c1, &e, &local, 0, &s) == 1 && !s->replied, "A");
	pa = s->port;
	CHECK(qk_sessions__for_read(t, &c2, &e, &local, 0, &s) == 1, "B");
	pb = s->port;
	CHECK(qk_sessions__for_write(t, pb, &e, 10, &s) == 0 && s->replied, "B answered");
	CHECK(qk_sessions__expire(t, 99) == 0, "A within its timeout");
	CHECK(qk_sessions__expire(t, 100) == 1 && log.last_port == pa, "A expired unreplied");
	CHECK(qk_sessions__for_write(t, pa, &e, 101, &s) == -ENOENT, "late reply to A refused");
	CHECK(qk_sessions__expire(t, 1009) == 0 && qk_sessions__count(t) == 1, "B lives idle_ns");
	/* A client that keeps sending without an answer stays within unreplied_ns of its
	 * last packet; idle past it, its next packet starts a new session. */
	CHECK(qk_sessions__for_read(t, &c3, &e, &local, 1500, &s) == 1, "C");
	CHECK(qk_sessions__for_read(t, &c3, &e, &local, 1599, &s) == 0, "C kept alive");
	CHECK(qk_sessions__for_read(t, &c3, &e, &local, 1699, &s) == 1, "C replaced");
	CHECK(qk_sessions__counters(t)->expired == 3 && qk_sessions__counters(t)->evicted == 0,
		"A, B and the first C expired, none evicted");
	qk_sessions__destroy(t);
	/* unreplied_ns above idle_ns means idle_ns. */
	o.idle_ns = 50;
	o.unreplied_ns = 500;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &c1, &e, &local, 0, &s) == 1, "D");
	CHECK(qk_sessions__expire(t, 50) == 1, "D expired at idle_ns");
	qk_sessions__destroy(t);
	return 15;
}

/* Under pressure the least recently used unreplied session makes way: the
 * global one when the table is full, the one towards the endpoint when its
 * ports are all in use. An answered session is never evicted; an evicted
 * session is reported like an expired one. */
static int test_eviction_order(void)
{
	struct qk_session_opts o = {.port_min = 40000,
		.port_max = 40099,
		.capacity = 4,
		.idle_ns = 1000,
		.unreplied_ns = 500};
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000), c;
	struct closed_log log = {0};
	const struct qk_session *s;
	struct qk_sessions *t;
	__u16 port[12];

	o.closed = on_closed;
	o.closed_ctx = &log;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	for (__u32 n = 0; n < 4; n++) { /* A B C D */
		c = client_n(n);
		CHECK(qk_sessions__for_read(t, &c, &e1, &local, 1 + n, &s) == 1, "%u", n);
		port[n] = s->port;
	}
	c = client_n(0);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 5, &s) == 0, "A used again: B, C, D, A");
	c = client_n(4);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 6, &s) == 1 && log.last_port == port[1],
		"E evicts B");
	port[4] = s->port;
	CHECK(log.n == 1 && qk_sessions__counters(t)->evicted == 1 && qk_sessions__count(t) == 4,
		"reported and counted");
	CHECK(qk_sessions__for_write(t, port[2], &e1, 7, &s) == 0, "C answered");
	c = client_n(5);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 8, &s) == 1 && log.last_port == port[3],
		"F evicts D, not C");
	port[5] = s->port;
	c = client_n(6);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 9, &s) == 1 && log.last_port == port[0],
		"G evicts A");
	port[6] = s->port;
	c = client_n(7);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 10, &s) == 1 && log.last_port == port[4],
		"H evicts E");
	port[7] = s->port;
	for (__u32 n = 5; n < 8; n++)
		CHECK(qk_sessions__for_write(t, port[n], &e1, 11, &s) == 0, "%u answered", n);
	c = client_n(8);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 12, &s) == -ENOSPC,
		"all answered: refused");
	CHECK(qk_sessions__counters(t)->full_drops == 1 && qk_sessions__counters(t)->evicted == 4,
		"refusal counted");
	for (__u32 n = 2; n < 8; n += n == 2 ? 3 : 1)
		CHECK(qk_sessions__for_write(t, port[n], &e1, 13, &s) == 0, "%u kept", n);
	CHECK(qk_sessions__close_all(t, 14) == 4 && log.n == 8, "every session reported");
	qk_sessions__destroy(t);

	/* Ports: 3 towards each endpoint, room for 10 sessions. */
	o.port_min = 50000;
	o.port_max = 50002;
	o.capacity = 10;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	c = client_n(20);
	CHECK(qk_sessions__for_read(t, &c, &e2, &local, 1, &s) == 1, "W towards e2, oldest");
	for (__u32 n = 0; n < 3; n++) { /* X Y Z towards e1 */
		c = client_n(n);
		CHECK(qk_sessions__for_read(t, &c, &e1, &local, 2 + n, &s) == 1, "%u", n);
		port[n] = s->port;
	}
	CHECK(qk_sessions__for_write(t, port[1], &e1, 4, &s) == 0, "Y answered");
	c = client_n(3);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 5, &s) == 1 && log.last_port == port[0] &&
			log.last_secs == 0 && s->port == port[0],
		"N1 takes X's port, W stays");
	port[3] = s->port;
	c = client_n(4);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 6, &s) == 1 && s->port == port[2],
		"N2 evicts Z");
	c = client_n(5);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 7, &s) == 1 && s->port == port[3],
		"N3 evicts N1");
	CHECK(qk_sessions__for_write(t, port[2], &e1, 8, &s) == 0 &&
			qk_sessions__for_write(t, port[3], &e1, 8, &s) == 0,
		"N2, N3 answered");
	c = client_n(6);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 9, &s) == -EADDRINUSE, "e1 all answered");
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 1 &&
			qk_sessions__counters(t)->evicted == 3,
		"counted");
	c = client_n(20);
	CHECK(qk_sessions__for_read(t, &c, &e2, &local, 10, &s) == 0, "W untouched");
	CHECK(qk_sessions__count(t) == 4, "4 left");
	qk_sessions__destroy(t);
	return 31;
}

/* With a per-source cap, a client IP holding N sessions (any ports, any
 * endpoints) gets no new one; existing ones are unaffected, nothing is
 * evicted for it, and its count falls as its sessions leave. */
static int test_source_cap(void)
{
	struct qk_session_opts o = {.port_min = 30000,
		.port_max = 30099,
		.capacity = 3,
		.idle_ns = 1000,
		.per_source_max = 2};
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000);
	struct qk_addr a1 = addr4(5, 1000), a2 = addr4(5, 1001), a3 = addr4(5, 1002),
		       b1 = addr4(6, 1000);
	const struct qk_session *s;
	struct qk_sessions *t;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &a1, &e1, &local, 0, &s) == 1, "a1");
	CHECK(qk_sessions__for_read(t, &a2, &e1, &local, 0, &s) == 1, "a2");
	CHECK(qk_sessions__for_read(t, &a3, &e1, &local, 1, &s) == -EDQUOT, "a3 capped");
	CHECK(qk_sessions__for_read(t, &a3, &e2, &local, 1, &s) == -EDQUOT, "other endpoint too");
	CHECK(qk_sessions__counters(t)->source_limit_drops == 2, "counted");
	CHECK(qk_sessions__for_read(t, &a1, &e1, &local, 1, &s) == 0, "a1 still served");
	CHECK(qk_sessions__for_read(t, &b1, &e1, &local, 2, &s) == 1, "another IP");
	CHECK(qk_sessions__for_read(t, &a3, &e1, &local, 3, &s) == -EDQUOT &&
			qk_sessions__count(t) == 3 && qk_sessions__counters(t)->evicted == 0,
		"a full table evicts nothing for a capped source");
	CHECK(qk_sessions__for_read(t, &a2, &e1, &local, 900, &s) == 0, "a2 kept alive");
	CHECK(qk_sessions__for_read(t, &b1, &e1, &local, 900, &s) == 0, "b1 kept alive");
	CHECK(qk_sessions__for_read(t, &a3, &e1, &local, 1001, &s) == 1, "a1 expired: a3 fits");
	CHECK(qk_sessions__for_read(t, &a1, &e1, &local, 1001, &s) == -EDQUOT, "capped again");
	/* Evicted to make room, the IP's session no longer counts. */
	CHECK(qk_sessions__for_read(t, &b1, &e2, &local, 1002, &s) == 1 &&
			qk_sessions__counters(t)->evicted == 1,
		"b1 towards e2 evicts the oldest unreplied (a2)");
	CHECK(qk_sessions__for_read(t, &a1, &e1, &local, 1003, &s) == 1, "a2 gone: a1 fits");
	CHECK(qk_sessions__close_all(t, 1004) == 3, "closed");
	CHECK(qk_sessions__for_read(t, &a1, &e1, &local, 1005, &s) == 1 &&
			qk_sessions__for_read(t, &a2, &e1, &local, 1005, &s) == 1 &&
			qk_sessions__for_read(t, &a3, &e1, &local, 1005, &s) == -EDQUOT,
		"counts start afresh");
	qk_sessions__destroy(t);
	return 17;
}

/* What the fast path (XDP flows) says about a session: its last packet, and how often it was asked. */
struct flows_view {
	__u64 seen;
	__u32 asked;
};

static __u64 flows_last_used(void *ctx, const struct qk_session *s)
{
	struct flows_view *v = ctx;

	(void)s;
	v->asked++;
	return v->seen;
}

/* A session the kernel carries looks idle here; last_used keeps it, and only sessions whose
 * flows bit is set are asked (each answer may cost a syscall). */
static int test_fast_path_last_used(void)
{
	const __u64 sec = 1000000000ull;
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30007, .capacity = 4, .idle_ns = 60 * sec};
	struct qk_addr local = addr4(1, 7000), c = client_n(1), c2 = client_n(2),
		       e = addr4(200, 9000);
	struct flows_view view = {0};
	const struct qk_session *s, *s2, *w;
	struct qk_sessions *t;
	__u16 port;

	o.last_used = flows_last_used;
	o.closed_ctx = &view;
	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 0, &s) == 1 && s->flows == 0,
		"created unmarked");
	port = s->port;
	CHECK(qk_sessions__for_write(t, port, &e, 0, &w) == 0, "reply");
	qk_sessions__set_flows(t, s, 3);
	CHECK(qk_sessions__for_read(t, &c2, &e, &local, 0, &s2) == 1, "second, not carried");
	CHECK(qk_sessions__for_write(t, s2->port, &e, 0, &w) == 0, "second reply");
	view.seen = 50 * sec; /* the kernel forwarded a packet at 50 s */
	CHECK(qk_sessions__expire(t, 70 * sec) == 1, "only the uncarried session expires");
	CHECK(view.asked == 1, "asked once, about the carried one (%u)", view.asked);
	CHECK(qk_sessions__count(t) == 1, "carried session lives");
	/* A packet in tier 1 after the kernel carried it: the same session and port, not a new one. */
	CHECK(qk_sessions__for_read(t, &c, &e, &local, 100 * sec, &s) == 0 && s->port == port,
		"same session after kernel traffic");
	CHECK(s->flows == 3, "marks kept");
	view.seen = 100 * sec;
	CHECK(qk_sessions__expire(t, 200 * sec) == 1, "expires once the kernel saw nothing either");
	CHECK(qk_sessions__count(t) == 0, "empty");
	qk_sessions__destroy(t);
	return 10;
}

int main(void)
{
	int n = test_scenarios();

	n += test_against_model();
	n += test_exhaustion();
	n += test_port_shadow();
	n += test_port_reuse();
	n += test_lifetimes();
	n += test_unreplied_expiry();
	n += test_eviction_order();
	n += test_source_cap();
	n += test_fast_path_last_used();
	return test_report("session_test", n);
}
