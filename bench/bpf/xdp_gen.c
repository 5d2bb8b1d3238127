// SPDX-License-Identifier: Apache-2.0
// Loader and driver of the in-kernel generator (xdp_gen.bpf.c): builds one IPv4/UDP
// frame template, then calls BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES in a loop
// for a bounded time, flat out or paced in 1 ms ticks (each BPF_PROG_RUN call sets up
// a page pool, so calls with a handful of frames would cap the rate; 5 ms ticks made
// bursts of 4000 frames at 800k pps, longer than a 2048-entry AF_XDP ring). Prints JSON.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_abi.h"
#include "loader.h"

struct gen_opts {
	const char *ifname;
	uint8_t dst_mac[6];
	struct in_addr src, dst;
	uint16_t dport_be;
	unsigned sessions, payload, ports_per_ip;
	int embark;
	char token[3];
	uint8_t version;
	double rate, duration;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t csum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* Ethernet + IPv4 + UDP + payload ("QKB1" then zeros, plus the Embark suffix). */
static uint32_t build_frame(const struct gen_opts *o, const uint8_t src_mac[6], uint8_t *f)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	uint8_t *payload = (uint8_t *)(udp + 1);
	uint32_t plen = o->payload + (o->embark ? 4 : 0), sum;

	memcpy(eth->h_dest, o->dst_mac, 6);
	memcpy(eth->h_source, src_mac, 6);
	eth->h_proto = htons(ETH_P_IP);
	*ip = (struct iphdr){.ihl = 5,
		.version = 4,
		.ttl = 64,
		.protocol = IPPROTO_UDP,
		.frag_off = htons(0x4000),
		.saddr = o->src.s_addr,
		.daddr = o->dst.s_addr,
		.tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*udp) + plen))};
	ip->check = htons(csum_finish(csum_add(0, ip, sizeof(*ip))));
	*udp = (struct udphdr){.source = htons(GEN_FIRST_PORT),
		.dest = o->dport_be,
		.len = htons((uint16_t)(sizeof(*udp) + plen))};
	memset(payload, 0, plen);
	memcpy(payload, "QKB1", 4);
	if (o->embark) {
		memcpy(payload + o->payload, o->token, 3);
		payload[o->payload + 3] = o->version;
	}
	sum = csum_add(0, &ip->saddr, 8) + IPPROTO_UDP + (uint32_t)(sizeof(*udp) + plen);
	sum = csum_add(sum, udp, sizeof(*udp) + plen);
	udp->check = htons(csum_finish(sum));
	if (!udp->check)
		udp->check = 0xffff;
	return (uint32_t)(sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + plen);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xdp_gen --ifname IF --dst-mac MAC --src IP --dst IP:PORT [--sessions N]\n"
		"  [--payload BYTES] [--format none|embark] [--token XYZ] [--version-byte N]\n"
		"  [--rate PPS (0 = flat out)] [--duration S] [--ports-per-ip N (default 50000)]\n");
	exit(2);
}

/* Returns 0, or -1 when an option is missing or malformed. */
static int parse_opts(struct gen_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{"ifname", 1, 0, 'i'},
		{"dst-mac", 1, 0, 'm'},
		{"src", 1, 0, 's'},
		{"dst", 1, 0, 'd'},
		{"sessions", 1, 0, 'n'},
		{"payload", 1, 0, 'p'},
		{"format", 1, 0, 'f'},
		{"token", 1, 0, 'k'},
		{"version-byte", 1, 0, 'v'},
		{"rate", 1, 0, 'r'},
		{"duration", 1, 0, 'D'},
		{"ports-per-ip", 1, 0, 'P'},
		{0, 0, 0, 0},
	};
	int c, have = 0;

	optind = 0; /* glibc: a full reset, so serve mode can parse one request after another */
	*o = (struct gen_opts){.sessions = 1,
		.payload = 64,
		.duration = 1,
		.token = {'a', 'b', 'c'},
		.version = 1,
		.ports_per_ip = GEN_PORTS_PER_IP};
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'm':
			if (loader__parse_mac(optarg, o->dst_mac))
				return -1;
			have |= 1;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o->src) != 1)
				return -1;
			have |= 2;
			break;
		case 'd':
			if (loader__parse_ipport(optarg, &o->dst, &o->dport_be))
				return -1;
			have |= 4;
			break;
		case 'n':
			o->sessions = (unsigned)atoi(optarg);
			break;
		case 'p':
			o->payload = (unsigned)atoi(optarg);
			break;
		case 'f':
			o->embark = !strcmp(optarg, "embark");
			break;
		case 'k':
			if (strlen(optarg) != 3)
				return -1;
			memcpy(o->token, optarg, 3);
			break;
		case 'v':
			o->version = (uint8_t)atoi(optarg);
			break;
		case 'r':
			o->rate = atof(optarg);
			break;
		case 'D':
			o->duration = atof(optarg);
			break;
		case 'P':
			o->ports_per_ip = (unsigned)atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (have != 7 || !o->ifname || !o->sessions || !o->ports_per_ip ||
		o->ports_per_ip > 55000 || o->payload < 8 || o->duration <= 0 ||
		o->duration > 600 || o->payload + 4 + 42 + 1 > GEN_MAX_FRAME)
		return -1;
	return 0;
}

/* Runs the program `repeat` times on live frames leaving through ifindex. The frame passed
 * is one byte longer than the template, a byte the program trims every run (xdp_gen.bpf.c). */
static int run_batch(int prog_fd, int ifindex, const uint8_t *frame, uint32_t len, uint32_t repeat)
{
	len += 1;
	struct xdp_md ctx = {.data_end = len, .ingress_ifindex = (uint32_t)ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx), .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = 64);

	return bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
}

static int generate(const struct gen_opts *o, int prog_fd, int ifindex, const struct gen_cfg *cfg)
{
	double start = now_s(), end = start + o->duration, tick = 0.001;
	double done = 0, max_burst = o->rate * 0.02 > 1 ? o->rate * 0.02 : 1;
	int err = 0;

	for (double t = start; t < end && !err; t = now_s()) {
		if (o->rate <= 0) {
			err = run_batch(prog_fd, ifindex, cfg->frame, cfg->len, 8192);
			continue;
		}
		/* Catch up with the schedule by elapsed time (sleeps overshoot on a busy box),
		 * but never in bursts longer than 20 ms worth of packets. */
		double owed = o->rate * (t - start) - done;
		if (owed >= 1) {
			uint32_t n = (uint32_t)(owed > max_burst ? max_burst : owed);

			err = run_batch(prog_fd, ifindex, cfg->frame, cfg->len, n);
			done += owed > max_burst ? owed : n; /* skipped debt is not repaid */
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(tick * 1e9)};

		nanosleep(&ts, NULL);
	}
	return err;
}

/* One request: build the template, run, print {"sent","duration_s","tx_pps","frame_bytes"}. */
static int serve_one(struct bpf_object *obj, const struct gen_opts *o)
{
	static struct gen_cfg cfg;
	uint8_t src_mac[6];
	uint32_t zero = 0;
	int ifindex = loader__if(o->ifname, src_mac), prog_fd = loader__prog_fd(obj, "xdp_gen");
	int cfg_fd = loader__map_fd(obj, "gen_cfg"), sent_fd = loader__map_fd(obj, "gen_sent"), err;

	if (ifindex < 0 || prog_fd < 0 || cfg_fd < 0 || sent_fd < 0)
		return -ENOENT;
	cfg.len = build_frame(o, src_mac, cfg.frame);
	cfg.sessions = o->sessions;
	cfg.ports_per_ip = o->ports_per_ip;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
		return -errno;
	uint64_t sent0 = loader__percpu_sum_u64(sent_fd, 1, 0);
	double t0 = now_s();
	err = generate(o, prog_fd, ifindex, &cfg);
	double secs = now_s() - t0;
	if (err) {
		fprintf(stderr, "BPF_PROG_RUN (live frames) on %s: %s\n", o->ifname,
			strerror(-err));
		return err;
	}
	uint64_t sent = loader__percpu_sum_u64(sent_fd, 1, 0) - sent0;
	printf("{\"sent\":%lu,\"duration_s\":%.4f,\"tx_pps\":%.1f,\"frame_bytes\":%u}\n", sent,
		secs, (double)sent / secs, cfg.len);
	fflush(stdout);
	return 0;
}

/* --serve: load once, then run one request per stdin line (the same options as the
 * command line); saves the object load and verification on every run. */
static int serve(struct bpf_object *obj)
{
	char line[1024], *args[64];

	while (fgets(line, sizeof(line), stdin)) {
		int n = 0;
		struct gen_opts o;

		args[n++] = "xdp_gen";
		for (char *tok = strtok(line, " \t\r\n"); tok && n < 63;
			tok = strtok(NULL, " \t\r\n"))
			args[n++] = tok;
		args[n] = NULL;
		if (parse_opts(&o, n, args)) {
			printf("{\"error\":\"bad request\"}\n");
			fflush(stdout);
			continue;
		}
		int err = serve_one(obj, &o);
		if (err) {
			printf("{\"error\":\"%s\"}\n", strerror(-err));
			fflush(stdout);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct gen_opts o;
	int err;

	if (argc == 2 && !strcmp(argv[1], "--serve")) {
		if (loader__open("xdp_gen", &obj))
			return 1;
		printf("{\"ready\":true}\n");
		fflush(stdout);
		err = serve(obj);
		bpf_object__close(obj);
		return err ? 1 : 0;
	}
	if (parse_opts(&o, argc, argv))
		usage();
	if (loader__open("xdp_gen", &obj))
		return 1;
	err = serve_one(obj, &o);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
