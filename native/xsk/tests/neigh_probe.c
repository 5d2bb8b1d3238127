// SPDX-License-Identifier: Apache-2.0
/* Resolves the next hop of each address given, through the same cache the
 * workers use, and prints one line per address:
 *   <addr> ifindex=<n> mac=<aa:bb:..> src=<addr|->
 * or "<addr> error=<strerror>". Exit status 1 if any failed. The test
 * compares the MAC with the peer interface's real one.
 * With --watch MS first, it then applies neighbour/route notifications for
 * MS milliseconds and prints "changed <addr> mac=..." whenever a cached
 * next hop changes: proof that the cache follows the kernel by itself. */
#include <arpa/inet.h>
#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"

static int parse_ip(const char *s, __u8 *family, __u8 addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return *family = QK_INET4, 0;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return *family = QK_INET6, 0;
	return -1;
}

static void print_nexthop(const char *prefix, const char *addr, const struct qk_nexthop *nh)
{
	char src[INET6_ADDRSTRLEN] = "-";

	if (nh->has_src)
		inet_ntop(nh->family == QK_INET4 ? AF_INET : AF_INET6, nh->src, src, sizeof(src));
	printf("%s%s ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x src=%s\n", prefix, addr,
		nh->ifindex, nh->mac[0], nh->mac[1], nh->mac[2], nh->mac[3], nh->mac[4], nh->mac[5],
		src);
	fflush(stdout);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Applies notifications for ms and reports next hops that changed; lookups
 * here are cache hits unless a notification invalidated the entry. */
static void watch(struct qk_nhcache *c, char **addrs, int n, struct qk_nexthop *last, int ms)
{
	long long end = ms_now() + ms;

	while (ms_now() < end) {
		struct pollfd p = {.fd = qk_nhcache__fd(c), .events = POLLIN};

		if (poll(&p, 1, (int)(end - ms_now()) + 1) <= 0 || qk_nhcache__poll(c) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			struct qk_nexthop nh;
			__u8 family, addr[16];
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (parse_ip(addrs[i], &family, addr) ||
				qk_nhcache__lookup(c, family, addr,
					(__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec, &nh))
				continue;
			if (memcmp(nh.mac, last[i].mac, QK_ETH_ALEN))
				print_nexthop("changed ", addrs[i], &nh);
			last[i] = nh;
		}
	}
}

int main(int argc, char **argv)
{
	struct qk_nexthop last[16];
	struct qk_nhcache *c;
	int err, failed = 0, first = 2, watch_ms = 0, timeout_ms = argc > 1 ? atoi(argv[1]) : 0;

	if (argc > 3 && !strcmp(argv[2], "--watch"))
		watch_ms = atoi(argv[3]), first = 4;
	if (argc <= first || argc - first > 16) {
		fprintf(stderr, "usage: %s TIMEOUT_MS [--watch MS] ADDR... (at most 16)\n",
			argv[0]);
		return 2;
	}
	err = qk_nhcache__create(&c, 64);
	if (err) {
		fprintf(stderr, "nhcache: %s\n", strerror(-err));
		return 1;
	}
	memset(last, 0, sizeof(last));
	for (int i = first; i < argc; i++) {
		__u8 family, addr[16];

		if (parse_ip(argv[i], &family, addr)) {
			printf("%s error=not an IP address\n", argv[i]);
			failed = 1;
			continue;
		}
		err = qk_nhcache__resolve(c, family, addr, timeout_ms, &last[i - first]);
		if (err) {
			printf("%s error=%s\n", argv[i], strerror(-err));
			failed = 1;
			continue;
		}
		print_nexthop("", argv[i], &last[i - first]);
	}
	if (watch_ms)
		watch(c, argv + first, argc - first, last, watch_ms);
	{
		const struct qk_nhcache_counters *k = qk_nhcache__counters(c);

		printf("counters hits=%llu misses=%llu triggers=%llu notifications=%llu route_lookups=%llu\n",
			(unsigned long long)k->hits, (unsigned long long)k->misses,
			(unsigned long long)k->triggers, (unsigned long long)k->notifications,
			(unsigned long long)k->route_lookups);
	}
	qk_nhcache__destroy(c);
	return failed;
}
