// SPDX-License-Identifier: Apache-2.0
// Loader of the counting sink (xdp_sink.bpf.c). Attaches to each interface given (one
// program, shared counters: the server may be reached on two links) and then
// obeys one-word commands on stdin, so the harness can switch modes and read counters
// without bpffs (fresh namespaces have none):
//   drop | pass  -> count packets to PORT (or each port of FIRST-LAST), then drop or pass them
//   read         -> prints {"packets":N,"bytes":M} (totals since attach)
// On EOF (the harness exited or died) it detaches and exits.
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_abi.h"
#include "loader.h"

struct port_range {
	uint16_t first, count;
};

/* "PORT" or "FIRST-LAST"; 0 on success. */
static int parse_ports(const char *arg, struct port_range *r)
{
	char *end;
	unsigned long first = strtoul(arg, &end, 10), last = first;

	if (*end == '-')
		last = strtoul(end + 1, &end, 10);
	if (*end || first == 0 || first > 65535 || last < first || last > 65535)
		return -1;
	r->first = (uint16_t)first;
	r->count = (uint16_t)(last - first + 1);
	return 0;
}

static int set_mode(int cfg_fd, struct port_range ports, int drop)
{
	struct sink_cfg cfg = {
		.first_port = ports.first, .ports = ports.count, .drop = (uint8_t)drop};
	uint32_t zero = 0;

	return bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

static void serve(int cfg_fd, int counters_fd, struct port_range port)
{
	char line[64];

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "drop") || !strcmp(line, "pass")) {
			int err = set_mode(cfg_fd, port, line[0] == 'd');

			printf(err ? "{\"error\":\"%s\"}\n" : "{\"ok\":true}\n", strerror(-err));
		} else if (!strcmp(line, "read")) {
			printf("{\"packets\":%lu,\"bytes\":%lu}\n",
				loader__percpu_sum_u64(counters_fd, 2, 0),
				loader__percpu_sum_u64(counters_fd, 2, 1));
		} else {
			printf("{\"error\":\"unknown command '%s'\"}\n", line);
		}
		fflush(stdout);
	}
}

#define MAX_IFS 4

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	uint8_t mac[6];
	int ifindex[MAX_IFS], nifs = 0, flags, prog_fd, cfg_fd, counters_fd, err;
	struct port_range ports;

	if (argc < 4 || argc - 3 > MAX_IFS || parse_ports(argv[1], &ports)) {
		fprintf(stderr,
			"usage: xdp_sink PORT|FIRST-LAST native|generic IFNAME [IFNAME...]\n");
		return 2;
	}
	loader__stop_on_signals();
	flags = loader__xdp_mode(argv[2]);
	for (int i = 3; i < argc; i++)
		if ((ifindex[i - 3] = loader__if(argv[i], mac)) < 0)
			return 1;
	if (flags < 0 || loader__open("xdp_sink", &obj))
		return 1;
	prog_fd = loader__prog_fd(obj, "xdp_sink");
	cfg_fd = loader__map_fd(obj, "sink_cfg");
	counters_fd = loader__map_fd(obj, "sink_counters");
	if (prog_fd < 0 || cfg_fd < 0 || counters_fd < 0 || set_mode(cfg_fd, ports, 0))
		goto out_close;
	for (; nifs < argc - 3; nifs++) {
		err = bpf_xdp_attach(ifindex[nifs], prog_fd, (uint32_t)flags, NULL);
		if (err) {
			fprintf(stderr, "attach xdp_sink to %s (%s): %s\n", argv[3 + nifs], argv[2],
				strerror(-err));
			goto out_detach;
		}
	}
	printf("{\"ready\":true}\n");
	fflush(stdout);
	serve(cfg_fd, counters_fd, ports);
	err = 0;
out_detach:
	while (nifs--)
		bpf_xdp_detach(ifindex[nifs], (uint32_t)flags, NULL);
	bpf_object__close(obj);
	return err ? 1 : 0;
out_close:
	bpf_object__close(obj);
	return 1;
}
