// SPDX-License-Identifier: Apache-2.0
/* Standalone test forwarder: a minimal UDP proxy on AF_XDP that uses the
 * whole layer (frame rewrite, sessions, next-hop cache, UMEM and rings)
 * with bpf/obj/xdp_redirect.bpf.o. Runs for --duration-ms or until SIGTERM,
 * prints "ready" once set up and a JSON line of counters at exit.
 *
 *   forwarder --iface IF [--iface IF2] --endpoint ADDR:PORT [...]
 *             --listen PORT --ports LO-HI --mode native|generic
 *             --bpf bpf/obj/xdp_redirect.bpf.o --duration-ms N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd.h"
#include "fwd_path.h"
#include "fwd_report.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* "10.0.0.1:7000" or "[fd00::1]:7000" */
static int parse_endpoint(const char *s, struct qk_addr *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n;

	memset(a, 0, sizeof(*a));
	if (!colon || colon == s || (n = (size_t)(colon - s)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = 0;
		a->family = QK_INET6;
		if (inet_pton(AF_INET6, host + 1, a->addr) != 1)
			return -EINVAL;
	} else {
		a->family = QK_INET4;
		if (inet_pton(AF_INET, host, a->addr) != 1)
			return -EINVAL;
	}
	a->port = (__u16)atoi(colon + 1);
	return a->port ? 0 : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct fwd_opts *o)
{
	static const struct option longopts[] = {
		{"iface", 1, 0, 'i'},
		{"endpoint", 1, 0, 'e'},
		{"listen", 1, 0, 'l'},
		{"ports", 1, 0, 'p'},
		{"mode", 1, 0, 'm'},
		{"bpf", 1, 0, 'b'},
		{"duration-ms", 1, 0, 'd'},
		{0, 0, 0, 0},
	};
	unsigned lo = 0, hi = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->xdp_flags = XDP_FLAGS_DRV_MODE;
	o->duration_ms = 10000;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'i' && o->n_ifaces < FWD_MAX_IFACES)
			o->ifnames[o->n_ifaces++] = optarg;
		else if (c == 'e' && o->n_endpoints < FWD_MAX_ENDPOINTS) {
			if (parse_endpoint(optarg, &o->endpoints[o->n_endpoints++]))
				return fprintf(stderr, "bad endpoint %s\n", optarg), -EINVAL;
		} else if (c == 'l')
			o->listen_port = (__u16)atoi(optarg);
		else if (c == 'p' && sscanf(optarg, "%u-%u", &lo, &hi) == 2)
			o->port_min = (__u16)lo, o->port_max = (__u16)hi;
		else if (c == 'm' && (!strcmp(optarg, "native") || !strcmp(optarg, "generic")))
			o->xdp_flags =
				!strcmp(optarg, "native") ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		else if (c == 'b')
			o->bpf_obj = optarg;
		else if (c == 'd')
			o->duration_ms = (__u32)atoi(optarg);
		else
			return fprintf(stderr, "bad or repeated option near argument %d\n", optind),
			       -EINVAL;
	}
	if (!o->n_ifaces || !o->n_endpoints || !o->listen_port || !o->port_min || !o->bpf_obj)
		return fprintf(stderr, "need --iface, --endpoint, --listen, --ports, --bpf\n"),
		       -EINVAL;
	return 0;
}

static void flush_tx(struct fwd *w, struct fwd_iface *f)
{
	__u32 sent = f->tx_n ? qk_xsk__tx_batch(f->xsk, f->tx, f->tx_n) : 0;

	for (__u32 k = sent; k < f->tx_n; k++) {
		qk_umem__free(f->umem, f->tx[k].addr);
		w->c.drops[QK_DROP_TX_RING_FULL]++;
	}
	w->c.tx += sent;
	f->tx_n = 0;
}

static void idle(struct fwd *w, __u64 now)
{
	struct pollfd pfds[FWD_MAX_IFACES + 1];
	int n = w->opts.n_ifaces;

	for (int i = 0; i < n; i++) {
		pfds[i] = (struct pollfd){.fd = w->ifaces[i].xsk->fd, .events = POLLIN};
		if (qk_xsk__tx_outstanding(w->ifaces[i].xsk))
			qk_xsk__kick(w->ifaces[i].xsk);
	}
	pfds[n] = (struct pollfd){.fd = qk_nhcache__fd(w->nh), .events = POLLIN};
	poll(pfds, (nfds_t)n + 1, 10);
	qk_nhcache__poll(w->nh);
	qk_sessions__expire(w->sessions, now);
}

static void run(struct fwd *w)
{
	__u64 deadline = now_ns() + (__u64)w->opts.duration_ms * 1000000ULL;
	struct qk_desc rx[FWD_BATCH];

	while (!stop) {
		__u64 now = now_ns();
		__u32 got = 0;

		if (now >= deadline)
			break;
		for (int i = 0; i < w->opts.n_ifaces; i++) {
			__u32 n = qk_xsk__rx_batch(w->ifaces[i].xsk, rx, FWD_BATCH);

			w->c.rx += n;
			got += n;
			for (__u32 k = 0; k < n; k++)
				fwd_handle(w, i, &rx[k], now);
		}
		for (int i = 0; i < w->opts.n_ifaces; i++)
			flush_tx(w, &w->ifaces[i]);
		if (!got)
			idle(w, now);
	}
}

static int setup(struct fwd *w)
{
	struct qk_session_opts so = {
		.port_min = w->opts.port_min,
		.port_max = w->opts.port_max,
		.capacity = 4096,
		.idle_ns = 60ULL * 1000000000ULL,
	};
	int err = qk_sessions__create(&w->sessions, &so);

	if (!err)
		err = qk_nhcache__create(&w->nh, 256);
	for (int i = 0; !err && i < w->opts.n_ifaces; i++) {
		snprintf(w->ifaces[i].name, sizeof(w->ifaces[i].name), "%s", w->opts.ifnames[i]);
		err = fwd_iface__open(&w->ifaces[i], &w->opts);
	}
	/* Resolve endpoints now, as a proxy does when its config arrives, so
	 * the first packets find their next hop ready. */
	for (int e = 0; !err && e < w->opts.n_endpoints; e++) {
		struct qk_nexthop nh;
		int r = qk_nhcache__resolve(
			w->nh, w->opts.endpoints[e].family, w->opts.endpoints[e].addr, 3000, &nh);

		if (r)
			fprintf(stderr, "endpoint %d: next hop not resolved yet: %s\n", e,
				strerror(-r));
	}
	return err;
}

int main(int argc, char **argv)
{
	static struct fwd w;
	int err = parse_opts(argc, argv, &w.opts);

	if (err)
		return 2;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	err = setup(&w);
	if (!err) {
		printf("ready zerocopy=%d\n", w.ifaces[0].xsk->zerocopy);
		fflush(stdout);
		run(&w);
		fwd_report(&w, stdout);
	}
	for (int i = 0; i < w.opts.n_ifaces; i++)
		fwd_iface__close(&w.ifaces[i], w.opts.xdp_flags);
	qk_nhcache__destroy(w.nh);
	qk_sessions__destroy(w.sessions);
	if (err)
		fprintf(stderr, "forwarder: setup failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}
