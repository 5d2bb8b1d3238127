// SPDX-License-Identifier: Apache-2.0
/* Checks the session table: fixed scenarios (ports, reverse lookups, full
 * table, port exhaustion, expiry, lifetimes) and random runs against a
 * brute-force model of the same rules and against a shadow of the ports in
 * use per endpoint. */
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

static int test_scenarios(void)
{
	struct qk_session_opts o = {
		.port_min = 40000, .port_max = 40003, .capacity = 6, .idle_ns = 1000};
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000);
	const struct qk_session *s, *s2;
	struct qk_sessions *t;
	__u16 p1;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__for_read(t, &local, &e1, &local, 0, &s) == 1, "new");
	CHECK(up(t, 2, &e1, 1, &s) == 1, "new");
	p1 = s->port;
	CHECK(p1 >= 40000 && p1 <= 40003, "port %u in range", p1);
	CHECK(up(t, 2, &e1, 2, &s2) == 0 && s2->port == p1, "hit");
	CHECK(qk_sessions__for_write(t, p1, &e1, 3, &s) == 0 && s->client.addr[3] == 2, "reverse");
	CHECK(qk_sessions__for_write(t, p1, &e2, 3, &s) == -ENOENT, "wrong endpoint");
	CHECK(up(t, 3, &e1, 4, &s) == 1, "3rd");
	CHECK(up(t, 4, &e1, 5, &s) == 1, "4th");
	CHECK(up(t, 5, &e1, 6, &s) == -EADDRINUSE, "ports");
	CHECK(up(t, 5, &e2, 7, &s) == 1, "other endpoint");
	CHECK(up(t, 6, &e2, 8, &s) == 1, "6th");
	CHECK(up(t, 7, &e2, 9, &s) == -ENOSPC, "full");
	CHECK(qk_sessions__counters(t)->full_drops == 1, "full counted");
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 1, "ports counted");
	/* Keep one alive, let the rest go idle. */
	CHECK(qk_sessions__for_write(t, p1, &e1, 900, &s) == 0, "touch");
	CHECK(qk_sessions__expire(t, 1008) == 5, "expired %u", qk_sessions__count(t));
	CHECK(qk_sessions__count(t) == 1, "one left");
	CHECK(qk_sessions__for_write(t, p1, &e1, 1899, &s) == 0, "survivor");
	CHECK(qk_sessions__for_write(t, p1, &e1, 2899, &s) == -ENOENT, "idle reply rejected");
	qk_sessions__destroy(t);
	return 19;
}

#define MODEL_CAP 48

struct model_entry {
	int live;
	struct qk_addr c, e;
	__u16 port;
	__u64 last;
};

static struct model_entry model[MODEL_CAP];

static void model_expire(__u64 now, __u64 idle)
{
	for (int i = 0; i < MODEL_CAP; i++)
		if (model[i].live && model[i].last + idle <= now)
			model[i].live = 0;
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

static void random_step(struct qk_sessions *t, __u64 now, __u64 idle, int step)
{
	struct qk_addr local = addr4(1, 7000), c = addr4((__u8)(test_rand() % 40), 5000);
	struct qk_addr e = addr4((__u8)(200 + test_rand() % 4), 9000);
	const struct qk_session *s;
	int m, r;

	model_expire(now, idle);
	if (test_rand() % 3) {
		r = qk_sessions__for_read(t, &c, &e, &local, now, &s);
		m = model_find(&c, &e, 0);
		if (m >= 0) {
			CHECK(r == 0 && s->port == model[m].port, "step %d hit", step);
			model[m].last = now;
			return;
		}
		if (model_live() == MODEL_CAP) {
			CHECK(r == -ENOSPC, "step %d full: %d", step, r);
			return;
		}
		if (model_to(&e) == 16) {
			CHECK(r == -EADDRINUSE, "step %d ports: %d", step, r);
			return;
		}
		CHECK(r == 1 && s->port >= 30000 && s->port < 30016, "step %d new: %d", step, r);
		CHECK(r != 1 || model_find(NULL, &e, s->port) < 0, "step %d port reused", step);
		if (r != 1)
			return;
		for (m = 0; model[m].live; m++)
			;
		model[m] = (struct model_entry){1, c, e, s->port, now};
		return;
	}
	r = qk_sessions__for_write(t, (__u16)(30000 + test_rand() % 16), &e, now, &s);
	m = model_find(NULL, &e, r == 0 ? s->port : 0);
	CHECK((r == 0) == (m >= 0), "step %d reply", step);
	if (m >= 0) {
		CHECK(!memcmp(&s->client, &model[m].c, sizeof(s->client)), "step %d client", step);
		model[m].last = now;
	}
}

static int test_against_model(void)
{
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30015, .capacity = MODEL_CAP, .idle_ns = 300};
	struct qk_sessions *t;
	__u64 now = 1;
	int steps = 30000;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	for (int i = 0; i < steps && !test_failures; i++) {
		now += test_rand() % 8;
		random_step(t, now, o.idle_ns, i);
		/* Idle sessions may linger in the table until the next insert. */
		CHECK(qk_sessions__count(t) >= (__u32)model_live(), "step %d count", i);
	}
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

/* The default range, 61000-65535, full towards one endpoint. Finding that
 * out must not cost a probe per port: the table keeps a count per endpoint,
 * so the refusals below take one lookup each (they took 4536 before). */
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
			!seen[s->port - 61000]++)
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
	c = client_n(20001);
	CHECK(qk_sessions__for_read(t, &c, &e1, &local, 1002, &s) == -EADDRINUSE, "full again");
	qk_sessions__destroy(t);
	return 1009;
}

/* Many create/expire cycles over 3 endpoints with 8 ports each: a port is
 * never handed out twice towards one endpoint, an endpoint is refused
 * exactly when all 8 of its ports are in use, and the closed callback
 * reports every session that leaves. */
static int test_port_shadow(void)
{
	struct qk_session_opts o = {
		.port_min = 30000, .port_max = 30007, .capacity = 20, .idle_ns = 50};
	static __u8 in_use[3][8];
	struct closed_log log = {.in_use = in_use};
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
		live = 0;
		for (int p = 0; p < 8; p++)
			live += in_use[e.addr[3] - 200][p];
		if (r == 1) {
			__u8 *slot = &in_use[e.addr[3] - 200][s->port - 30000];

			CHECK(s->port >= 30000 && s->port <= 30007, "step %d port %u", i, s->port);
			CHECK(!*slot, "step %d: port %u handed out twice", i, s->port);
			*slot = 1;
			created++;
		} else if (r == -EADDRINUSE) {
			CHECK(live == 8, "step %d refused with %d ports in use", i, live);
		} else if (r == -ENOSPC) {
			CHECK(qk_sessions__count(t) == 20, "step %d full at %u", i,
				qk_sessions__count(t));
		} else {
			CHECK(r == 0 && in_use[e.addr[3] - 200][s->port - 30000], "step %d hit: %d",
				i, r);
		}
	}
	CHECK(created > 1000 && qk_sessions__counters(t)->port_exhausted_drops > 100,
		"both paths ran");
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
			n += qk_sessions__for_read(t, &c1, &e, &local, 100 + round * 20, &s) == 1;
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

int main(void)
{
	int n = test_scenarios();

	n += test_against_model();
	n += test_exhaustion();
	n += test_port_shadow();
	n += test_port_reuse();
	n += test_lifetimes();
	return test_report("session_test", n);
}
