// SPDX-License-Identifier: Apache-2.0
/* Prints the forwarder's counters as one JSON line, read by the mocha test. */
#include "fwd_report.h"

#include <linux/if_xdp.h>
#include <sys/resource.h>

#define U(x) ((unsigned long long)(x))

static void report_iface(const struct fwd_iface *f, FILE *out)
{
	const struct qk_xsk_counters *x = &f->xsk->counters;
	const struct qk_umem_counters *u = &f->umem->counters;
	struct xdp_statistics k;

	qk_xsk__kernel_stats(f->xsk, &k);

	fprintf(out,
		"{\"name\":\"%s\",\"zerocopy\":%d,\"rx_packets\":%llu,\"tx_packets\":%llu,"
		"\"tx_ring_full\":%llu,\"tx_kicks\":%llu,\"tx_kick_retries\":%llu,"
		"\"tx_kick_errors\":%llu,\"tx_kick_stalls\":%llu,\"rx_wakeups\":%llu,"
		"\"umem_alloc_failed\":%llu,\"fill_short\":%llu,\"completed\":%llu,"
		"\"kernel_rx_dropped\":%llu,\"kernel_rx_ring_full\":%llu,\"kernel_fill_empty\":%llu}",
		f->name, f->xsk->zerocopy, U(x->rx_packets), U(x->tx_packets), U(x->tx_ring_full),
		U(x->tx_kicks), U(x->tx_kick_retries), U(x->tx_kick_errors), U(x->tx_kick_stalls),
		U(x->rx_wakeups), U(u->alloc_failed), U(u->fill_short), U(u->completed),
		U(k.rx_dropped), U(k.rx_ring_full), U(k.rx_fill_ring_empty_descs));
}

void fwd_report(const struct fwd *w, FILE *out)
{
	const struct qk_session_counters *s = qk_sessions__counters(w->sessions);
	const struct qk_nhcache_counters *n = qk_nhcache__counters(w->nh);
	struct rusage ru;

	/* CPU seconds (user + system, which includes the TX kicks) give a
	 * per-core rate that holds even when the machine is shared. */
	getrusage(RUSAGE_SELF, &ru);

	fprintf(out,
		"{\"rx\":%llu,\"tx\":%llu,\"reads\":%llu,\"writes\":%llu,\"copies\":%llu,\"drops\":{",
		U(w->c.rx), U(w->c.tx), U(w->c.reads), U(w->c.writes), U(w->c.copies));
	for (int i = 1, first = 1; i < QK_DROP__MAX; i++) {
		if (!w->c.drops[i])
			continue;
		fprintf(out, "%s\"%d\":%llu", first ? "" : ",", i, U(w->c.drops[i]));
		first = 0;
	}
	fprintf(out,
		"},\"sessions\":{\"active\":%u,\"created\":%llu,\"read_hits\":%llu,"
		"\"write_hits\":%llu,\"write_misses\":%llu,\"expired\":%llu,\"full_drops\":%llu},",
		qk_sessions__count(w->sessions), U(s->created), U(s->read_hits), U(s->write_hits),
		U(s->write_misses), U(s->expired), U(s->full_drops));
	fprintf(out,
		"\"nexthops\":{\"hits\":%llu,\"misses\":%llu,\"triggers\":%llu,\"notifications\":%llu,"
		"\"unresolved\":%llu,\"no_route\":%llu},\"ifaces\":[",
		U(n->hits), U(n->misses), U(n->triggers), U(n->notifications), U(n->unresolved),
		U(n->no_route));
	for (int i = 0; i < w->opts.n_ifaces; i++) {
		if (i)
			fputc(',', out);
		report_iface(&w->ifaces[i], out);
	}
	fprintf(out, "],\"cpu_s\":%.3f}\n",
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}
