// SPDX-License-Identifier: Apache-2.0
// Loader of the counting sink (xdp_sink.bpf.c). Attaches to one interface and then
// obeys one-word commands on stdin, so the harness can switch modes and read counters
// without bpffs (fresh namespaces have none):
//   drop | pass  -> count packets to --port, then drop or pass them
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

static int set_mode(int cfg_fd, uint16_t port, int drop)
{
	struct sink_cfg cfg = { .dst_port = htons(port), .drop = (uint8_t)drop };
	uint32_t zero = 0;

	return bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

static void serve(int cfg_fd, int counters_fd, uint16_t port)
{
	char line[64];

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "drop") || !strcmp(line, "pass")) {
			int err = set_mode(cfg_fd, port, line[0] == 'd');

			printf(err ? "{\"error\":\"%s\"}\n" : "{\"ok\":true}\n", strerror(-err));
		} else if (!strcmp(line, "read")) {
			printf("{\"packets\":%lu,\"bytes\":%lu}\n", loader__percpu_sum_u64(counters_fd, 2, 0),
			       loader__percpu_sum_u64(counters_fd, 2, 1));
		} else {
			printf("{\"error\":\"unknown command '%s'\"}\n", line);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	uint8_t mac[6];
	int ifindex, flags, prog_fd, cfg_fd, counters_fd, err;

	if (argc != 4) {
		fprintf(stderr, "usage: xdp_sink IFNAME PORT native|generic\n");
		return 2;
	}
	ifindex = loader__if(argv[1], mac);
	flags = loader__xdp_mode(argv[3]);
	if (ifindex < 0 || flags < 0 || loader__open("xdp_sink", &obj))
		return 1;
	prog_fd = loader__prog_fd(obj, "xdp_sink");
	cfg_fd = loader__map_fd(obj, "sink_cfg");
	counters_fd = loader__map_fd(obj, "sink_counters");
	if (prog_fd < 0 || cfg_fd < 0 || counters_fd < 0 || set_mode(cfg_fd, (uint16_t)atoi(argv[2]), 0))
		goto out_close;
	err = bpf_xdp_attach(ifindex, prog_fd, (uint32_t)flags, NULL);
	if (err) {
		fprintf(stderr, "attach xdp_sink to %s (%s): %s\n", argv[1], argv[3], strerror(-err));
		goto out_close;
	}
	printf("{\"ready\":true}\n");
	fflush(stdout);
	serve(cfg_fd, counters_fd, (uint16_t)atoi(argv[2]));
	bpf_xdp_detach(ifindex, (uint32_t)flags, NULL);
	bpf_object__close(obj);
	return 0;
out_close:
	bpf_object__close(obj);
	return 1;
}
