// SPDX-License-Identifier: Apache-2.0
/*
 * Batch BPF_PROG_RUN driver for the XDP fuzz test (test/fuzz/xdp-program.test.ts): loads the
 * object once, then reads records from stdin and answers one line per frame on stdout, so a
 * million frames cost one process and two syscalls per frame (run + counter batch read).
 *
 * Records (little-endian):
 *   'C' + struct qk_xdp_config (24 bytes)          write the config map (a new local address generation)
 *   'A' + struct qk_local_addr_key (20) + u8 add    add (1) or remove (0) a local address
 *   'F' + u16 len + len bytes                       run the frame (queue 0, empty XSKMAP)
 * Per 'F' the answer is
 *   <retval> <idx>:<packets>:<bytes>[,...] <events> [<kind>:<reason>:<offset>]
 * listing every counter index whose value moved, and the first drained event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_run.h"

static int read_full(void *buf, size_t len)
{
	return fread(buf, 1, len, stdin) == len ? 0 : -1;
}

/* Sums per-CPU values of every counter with one batch lookup (falls back to per-key). */
static int snapshot(
	struct prog_run *run, struct qk_counter *out, struct qk_counter *scratch, __u32 *keys)
{
	__u32 count = QK_CNT__MAX, out_batch = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int err;

	err = bpf_map_lookup_batch(
		run->counters_fd, NULL, &out_batch, keys, scratch, &count, &opts);
	if ((err && errno != ENOENT) || count != QK_CNT__MAX)
		return prog_run__snapshot(run, out);
	for (__u32 i = 0; i < count; i++) {
		struct qk_counter *percpu = &scratch[(size_t)i * run->ncpus];

		out[keys[i]].packets = 0;
		out[keys[i]].bytes = 0;
		for (int cpu = 0; cpu < run->ncpus; cpu++) {
			out[keys[i]].packets += percpu[cpu].packets;
			out[keys[i]].bytes += percpu[cpu].bytes;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct qk_counter before[QK_CNT__MAX], after[QK_CNT__MAX];
	static uint8_t frame[65536];
	static __u32 keys[QK_CNT__MAX];
	struct qk_counter *scratch;
	struct prog_run run;
	int err, tag;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT < records\n", argv[0]);
		return 2;
	}
	err = prog_run__open(&run, argv[1]);
	if (err) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	scratch = calloc((size_t)QK_CNT__MAX * run.ncpus, sizeof(*scratch));
	if (!scratch || snapshot(&run, before, scratch, keys))
		return 1;
	while ((tag = getchar()) != EOF) {
		if (tag == 'C') {
			struct qk_xdp_config config;

			if (read_full(&config, sizeof(config)) ||
				prog_run__set_config(&run, &config))
				goto bad;
		} else if (tag == 'A') {
			struct qk_local_addr_key key;
			struct qk_local_addr_value value = {0};
			uint8_t add;

			if (read_full(&key, sizeof(key)) || read_full(&add, 1))
				goto bad;
			if (add ? bpf_map_update_elem(run.addrs_fd, &key, &value, BPF_ANY)
				: (bpf_map_delete_elem(run.addrs_fd, &key) && errno != ENOENT))
				goto bad;
		} else if (tag == 'F') {
			uint16_t len;
			uint32_t retval = 0;
			int events, moved = 0;

			if (read_full(&len, 2) || read_full(frame, len))
				goto bad;
			err = prog_run__exec(&run, frame, len, NULL, 1, &retval);
			if (err) {
				/* BPF_PROG_RUN refuses frames under 14 bytes: say so, the model expects it. */
				printf("E%d - 0\n", -err);
				continue;
			}
			events = prog_run__drain(&run);
			if (events < 0 || snapshot(&run, after, scratch, keys))
				goto bad;
			printf("%u ", retval);
			for (int i = 0; i < QK_CNT__MAX; i++) {
				if (after[i].packets == before[i].packets &&
					after[i].bytes == before[i].bytes)
					continue;
				printf("%s%d:%llu:%llu", moved++ ? "," : "", i,
					(unsigned long long)(after[i].packets - before[i].packets),
					(unsigned long long)(after[i].bytes - before[i].bytes));
				before[i] = after[i];
			}
			if (!moved)
				putchar('-');
			printf(" %d", events);
			if (events > 0)
				printf(" %u:%u:%u", run.kept[0].kind, run.kept[0].reason,
					run.kept[0].offset);
			putchar('\n');
		} else {
			fprintf(stderr, "unknown record tag 0x%02x\n", tag);
			return 1;
		}
	}
	fflush(stdout);
	free(scratch);
	prog_run__close(&run);
	return 0;
bad:
	fprintf(stderr, "record failed: %s\n", strerror(errno));
	return 1;
}
