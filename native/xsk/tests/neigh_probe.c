// SPDX-License-Identifier: Apache-2.0
/* Resolves the next hop of each address given, through the same cache the
 * workers use, and prints one line per address:
 *   <addr> ifindex=<n> mac=<aa:bb:..> src=<addr|->
 * or "<addr> error=<strerror>". Exit status 1 if any failed. The test
 * compares the MAC with the peer interface's real one. */
#include <arpa/inet.h>
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

int main(int argc, char **argv)
{
	struct qk_nhcache *c;
	int err, failed = 0, timeout_ms = argc > 1 ? atoi(argv[1]) : 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s TIMEOUT_MS ADDR...\n", argv[0]);
		return 2;
	}
	err = qk_nhcache__create(&c, 64);
	if (err) {
		fprintf(stderr, "nhcache: %s\n", strerror(-err));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		struct qk_nexthop nh;
		char src[INET6_ADDRSTRLEN] = "-";
		__u8 family, addr[16];

		if (parse_ip(argv[i], &family, addr)) {
			printf("%s error=not an IP address\n", argv[i]);
			failed = 1;
			continue;
		}
		err = qk_nhcache__resolve(c, family, addr, timeout_ms, &nh);
		if (err) {
			printf("%s error=%s\n", argv[i], strerror(-err));
			failed = 1;
			continue;
		}
		if (nh.has_src)
			inet_ntop(family == QK_INET4 ? AF_INET : AF_INET6, nh.src, src, sizeof(src));
		printf("%s ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x src=%s\n", argv[i], nh.ifindex,
		       nh.mac[0], nh.mac[1], nh.mac[2], nh.mac[3], nh.mac[4], nh.mac[5], src);
	}
	{
		const struct qk_nhcache_counters *k = qk_nhcache__counters(c);

		printf("counters hits=%llu misses=%llu triggers=%llu notifications=%llu\n",
		       (unsigned long long)k->hits, (unsigned long long)k->misses,
		       (unsigned long long)k->triggers, (unsigned long long)k->notifications);
	}
	qk_nhcache__destroy(c);
	return failed;
}
