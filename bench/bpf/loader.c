// SPDX-License-Identifier: Apache-2.0
#define _GNU_SOURCE
#include "loader.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <libgen.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int loader__open(const char *name, struct bpf_object **obj)
{
	char exe[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int err;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/%s.bpf.o", dirname(exe), name);
	*obj = bpf_object__open_file(path, NULL);
	if (!*obj) {
		err = -errno;
		fprintf(stderr, "open %s: %s\n", path, strerror(-err));
		return err;
	}
	err = bpf_object__load(*obj);
	if (err) {
		fprintf(stderr, "load %s: %s\n", path, strerror(-err));
		bpf_object__close(*obj);
		*obj = NULL;
	}
	return err;
}

int loader__map_fd(struct bpf_object *obj, const char *map)
{
	int fd = bpf_object__find_map_fd_by_name(obj, map);

	if (fd < 0)
		fprintf(stderr, "map %s not found in object\n", map);
	return fd;
}

int loader__prog_fd(struct bpf_object *obj, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog);

	if (!p) {
		fprintf(stderr, "program %s not found in object\n", prog);
		return -ENOENT;
	}
	return bpf_program__fd(p);
}

int loader__if(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {0};
	int fd, ifindex = (int)if_nametoindex(ifname);

	if (!ifindex) {
		fprintf(stderr, "interface %s: %s\n", ifname, strerror(errno));
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ifindex;
}

int loader__parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
		fprintf(stderr, "bad MAC '%s'\n", text);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int loader__parse_ipport(const char *text, struct in_addr *ip, uint16_t *port_be)
{
	char host[64];
	const char *colon = strrchr(text, ':');

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		goto bad;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	*port_be = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, ip) == 1 && *port_be)
		return 0;
bad:
	fprintf(stderr, "bad address '%s': expected a.b.c.d:port\n", text);
	return -EINVAL;
}

int loader__xdp_mode(const char *mode)
{
	if (!strcmp(mode, "native"))
		return XDP_FLAGS_DRV_MODE;
	if (!strcmp(mode, "generic"))
		return XDP_FLAGS_SKB_MODE;
	fprintf(stderr, "bad XDP mode '%s': native or generic\n", mode);
	return -EINVAL;
}

/* Sums one u64 field over every CPU's copy of entry 0 of a per-CPU array. */
uint64_t loader__percpu_sum_u64(int map_fd, unsigned words, unsigned word)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *vals;
	uint32_t zero = 0;

	if (ncpu <= 0 || !(vals = calloc((size_t)ncpu * words, sizeof(uint64_t))))
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &zero, vals))
		for (int c = 0; c < ncpu; c++)
			sum += vals[(size_t)c * words + word];
	free(vals);
	return sum;
}

static void on_stop_signal(int sig)
{
	(void)sig; /* only interrupts the blocking read of stdin */
}

void loader__stop_on_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}
