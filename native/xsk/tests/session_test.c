// SPDX-License-Identifier: Apache-2.0
/* Checks the session table: fixed scenarios (ports, reverse lookups, full
 * table, port exhaustion, expiry) and a random run against a brute-force
 * model of the same rules. */
#include <errno.h>
#include <string.h>

#include "../session.h"
#include "testutil.h"

static struct qk_addr addr4(__u8 last, __u16 port)
{
	struct qk_addr a = { .family = QK_INET4, .port = port };

	a.addr[0] = 10;
	a.addr[3] = last;
	return a;
}

static int up(struct qk_sessions *t, __u8 client, const struct qk_addr *e, __u64 now,
	      const struct qk_session **s)
{
	struct qk_addr c = addr4(client, 5000), local = addr4(1, 7000);

	return qk_sessions__upstream(t, &c, e, &local, now, s);
}

static int test_scenarios(void)
{
	struct qk_session_opts o = { .port_min = 40000, .port_max = 40003, .capacity = 6, .idle_ns = 1000 };
	struct qk_addr local = addr4(1, 7000), e1 = addr4(100, 9000), e2 = addr4(101, 9000);
	const struct qk_session *s, *s2;
	struct qk_sessions *t;
	__u16 p1;

	CHECK(qk_sessions__create(&t, &o) == 0, "create");
	CHECK(qk_sessions__upstream(t, &local, &e1, &local, 0, &s) == 1, "new");
	CHECK(up(t, 2, &e1, 1, &s) == 1, "new");
	p1 = s->port;
	CHECK(p1 >= 40000 && p1 <= 40003, "port %u in range", p1);
	CHECK(up(t, 2, &e1, 2, &s2) == 0 && s2->port == p1, "hit");
	CHECK(qk_sessions__downstream(t, p1, &e1, 3, &s) == 0 && s->client.addr[3] == 2, "reverse");
	CHECK(qk_sessions__downstream(t, p1, &e2, 3, &s) == -ENOENT, "wrong endpoint");
	CHECK(up(t, 3, &e1, 4, &s) == 1, "3rd");
	CHECK(up(t, 4, &e1, 5, &s) == 1, "4th");
	CHECK(up(t, 5, &e1, 6, &s) == -EADDRINUSE, "ports");
	CHECK(up(t, 5, &e2, 7, &s) == 1, "other endpoint");
	CHECK(up(t, 6, &e2, 8, &s) == 1, "6th");
	CHECK(up(t, 7, &e2, 9, &s) == -ENOSPC, "full");
	CHECK(qk_sessions__counters(t)->full_drops == 1, "full counted");
	CHECK(qk_sessions__counters(t)->port_exhausted_drops == 1, "ports counted");
	/* Keep one alive, let the rest go idle. */
	CHECK(qk_sessions__downstream(t, p1, &e1, 900, &s) == 0, "touch");
	CHECK(qk_sessions__expire(t, 1008) == 5, "expired %u", qk_sessions__count(t));
	CHECK(qk_sessions__count(t) == 1, "one left");
	CHECK(qk_sessions__downstream(t, p1, &e1, 1899, &s) == 0, "survivor");
	CHECK(qk_sessions__downstream(t, p1, &e1, 2899, &s) == -ENOENT, "idle reply rejected");
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
		if (model[i].live && (c ? !memcmp(&model[i].c, c, sizeof(*c)) : model[i].port == port) &&
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
		r = qk_sessions__upstream(t, &c, &e, &local, now, &s);
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
		model[m] = (struct model_entry){ 1, c, e, s->port, now };
		return;
	}
	r = qk_sessions__downstream(t, (__u16)(30000 + test_rand() % 16), &e, now, &s);
	m = model_find(NULL, &e, r == 0 ? s->port : 0);
	CHECK((r == 0) == (m >= 0), "step %d reply", step);
	if (m >= 0) {
		CHECK(!memcmp(&s->client, &model[m].c, sizeof(s->client)), "step %d client", step);
		model[m].last = now;
	}
}

static int test_against_model(void)
{
	struct qk_session_opts o = { .port_min = 30000, .port_max = 30015, .capacity = MODEL_CAP, .idle_ns = 300 };
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

int main(void)
{
	int n = test_scenarios();

	n += test_against_model();
	return test_report("session_test", n);
}
