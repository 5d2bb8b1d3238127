// SPDX-License-Identifier: Apache-2.0
// Loader of the XDP ceiling forwarder (xdp_fwd.bpf.c): writes the topology into its
// config map, attaches it to the client-side and server-side interfaces of the proxy
// namespace, prints {"ready":true}, and detaches both when stdin reaches EOF.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_abi.h"
#include "loader.h"

/* argv: client-if client-mac server-if server-mac listen-ip:port out-src-ip server-ip:port mode */
static int fill_cfg(char **argv, struct fwd_cfg *cfg)
{
	struct in_addr listen, out_src, server;
	int cif = loader__if(argv[1], cfg->client_side_mac),
	    sif = loader__if(argv[3], cfg->server_side_mac);

	if (cif < 0 || sif < 0 || loader__parse_mac(argv[2], cfg->client_mac) ||
		loader__parse_mac(argv[4], cfg->server_mac) ||
		loader__parse_ipport(argv[5], &listen, &cfg->listen_port) ||
		inet_pton(AF_INET, argv[6], &out_src) != 1 ||
		loader__parse_ipport(argv[7], &server, &cfg->server_port))
		return -EINVAL;
	cfg->client_ifindex = (uint32_t)cif;
	cfg->server_ifindex = (uint32_t)sif;
	cfg->listen_ip = listen.s_addr;
	cfg->out_src_ip = out_src.s_addr;
	cfg->server_ip = server.s_addr;
	return 0;
}

int main(int argc, char **argv)
{
	struct fwd_cfg cfg = {0};
	struct bpf_object *obj;
	uint32_t zero = 0;
	int flags, prog_fd, cfg_fd, err;
	char line[64];

	if (argc != 9) {
		fprintf(stderr,
			"usage: xdp_fwd CLIENT_IF CLIENT_MAC SERVER_IF SERVER_MAC LISTEN_IP:PORT "
			"OUT_SRC_IP SERVER_IP:PORT native|generic\n");
		return 2;
	}
	loader__stop_on_signals();
	flags = loader__xdp_mode(argv[8]);
	if (flags < 0 || fill_cfg(argv, &cfg) || loader__open("xdp_fwd", &obj))
		return 1;
	prog_fd = loader__prog_fd(obj, "xdp_fwd");
	cfg_fd = loader__map_fd(obj, "fwd_cfg");
	if (prog_fd < 0 || cfg_fd < 0 || bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
		goto out_close;
	err = bpf_xdp_attach((int)cfg.client_ifindex, prog_fd, (uint32_t)flags, NULL);
	if (err) {
		fprintf(stderr, "attach xdp_fwd to %s (%s): %s\n", argv[1], argv[8],
			strerror(-err));
		goto out_close;
	}
	err = bpf_xdp_attach((int)cfg.server_ifindex, prog_fd, (uint32_t)flags, NULL);
	if (err) {
		fprintf(stderr, "attach xdp_fwd to %s (%s): %s\n", argv[3], argv[8],
			strerror(-err));
		goto out_detach_client;
	}
	printf("{\"ready\":true}\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		; /* nothing to do until the harness closes stdin */
	bpf_xdp_detach((int)cfg.server_ifindex, (uint32_t)flags, NULL);
	bpf_xdp_detach((int)cfg.client_ifindex, (uint32_t)flags, NULL);
	bpf_object__close(obj);
	return 0;
out_detach_client:
	bpf_xdp_detach((int)cfg.client_ifindex, (uint32_t)flags, NULL);
out_close:
	bpf_object__close(obj);
	return 1;
}
