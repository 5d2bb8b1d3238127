// SPDX-License-Identifier: Apache-2.0
/*
 * Batch BPF_PROG_RUN driver for the conformance runner's in-kernel implementation
 * (test/conformance/bpf-implementation.ts): loads the object once, then writes maps by name and
 * runs frames as the records on stdin say, one answer line per record, so a whole test file
 * costs one process. It runs in a network namespace of its own (see main) and pins
 * itself to the CPU it starts on: the fast path keeps round-robin positions in per-CPU cells,
 * and a sequence of packets must see one CPU's.
 *
 * Records (little-endian; NAME = u8 length + bytes, BLOB = u32 length + bytes):
 *   'W' NAME key:BLOB value:BLOB  write an entry (a per-CPU map gets the value on every CPU)
 *   'D' NAME key:BLOB             delete an entry (an absent one is fine)
 *   'X' NAME                      delete every entry of a hash map
 *   'Z' NAME                      write zeros to every entry of an array map
 *   'R' u32 flags frame:BLOB      run the frame once (loopback, rx queue 0, empty XSKMAP)
 *   'Q'                           exit
 * Answers: "ok"; for 'R' "run <retval> <frame out hex|-> <trace hex|-> <counters|->", where
 * counters lists every qk_counters index that moved as idx:packets:bytes[,...]; for a record
 * that failed "err <errno> <what>" (the driver goes on). R flags: RUN_F_TRACE zeroes
 * qk_fast_trace before the run and prints it after; RUN_F_COUNTERS prints the counters.
 *
 * The first line is "ready cpu=<cpu> maps=<name>[,<name>...]". `--maps` prints only the map
 * names of the object (not loaded: no privilege needed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_names.h"
#include "prog_run.h"

#define RUN_F_TRACE    (1u << 0)
#define RUN_F_COUNTERS (1u << 1)

/* A record ended early: the runner is gone or out of step, so the driver stops. */
#define TRUNCATED (-100000)

#define BLOB_MAX  (1u << 16)
#define FRAME_OUT (BLOB_MAX + 4096) /* room for a program that grows the frame */

/* One map of the loaded object, with what a write needs to know about it. */
struct named_map {
	char name[BPF_OBJ_NAME_LEN];
	int fd;
	enum bpf_map_type type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	bool percpu;
};

struct driver {
	struct prog_run run;
	uint8_t *value_buf;	   /* one value per CPU: the widest map's */
	struct qk_counter *before; /* counters after the previous run */
	struct qk_counter *after;
	struct qk_counter *scratch; /* batch lookup: one value per CPU per counter */
	__u32 *keys;
	__u32 n_counters;
};

static uint8_t key_buf[BLOB_MAX], blob_buf[BLOB_MAX], out_buf[FRAME_OUT], trace_buf[4096];

static int read_full(void *buf, size_t len)
{
	return fread(buf, 1, len, stdin) == len ? 0 : TRUNCATED;
}

static int read_name(char *name)
{
	uint8_t len;

	if (read_full(&len, 1) || len >= BPF_OBJ_NAME_LEN || read_full(name, len))
		return TRUNCATED;
	name[len] = '\0';
	return 0;
}

static int read_blob(uint8_t *buf, uint32_t *len)
{
	if (read_full(len, 4) || *len > BLOB_MAX || read_full(buf, *len))
		return TRUNCATED;
	return 0;
}

static bool is_percpu(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* The kernel lays per-CPU values out 8-byte aligned. */
static size_t percpu_stride(__u32 value_size)
{
	return ((size_t)value_size + 7) & ~(size_t)7;
}

static int find_map(struct driver *d, const char *name, struct named_map *out)
{
	struct bpf_map *map = bpf_object__find_map_by_name(d->run.obj, name);

	if (!map)
		return -ENOENT;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->fd = bpf_map__fd(map);
	out->type = bpf_map__type(map);
	out->key_size = bpf_map__key_size(map);
	out->value_size = bpf_map__value_size(map);
	out->max_entries = bpf_map__max_entries(map);
	out->percpu = is_percpu(out->type);
	return 0;
}

/* value_buf holding `value` (NULL: zeros) once, or once per CPU for a per-CPU map. */
static void *map_value(struct driver *d, const struct named_map *m, const uint8_t *value)
{
	size_t stride = m->percpu ? percpu_stride(m->value_size) : m->value_size;
	int copies = m->percpu ? d->run.ncpus : 1;

	memset(d->value_buf, 0, stride * (size_t)copies);
	for (int cpu = 0; value && cpu < copies; cpu++)
		memcpy(d->value_buf + stride * (size_t)cpu, value, m->value_size);
	return d->value_buf;
}

static int write_entry(struct driver *d, const struct named_map *m, const uint8_t *key,
	uint32_t key_len, const uint8_t *value, uint32_t value_len)
{
	if (key_len != m->key_size || value_len != m->value_size)
		return -EMSGSIZE;
	return bpf_map_update_elem(m->fd, key, map_value(d, m, value), BPF_ANY) ? -errno : 0;
}

static int delete_entry(const struct named_map *m, const uint8_t *key, uint32_t key_len)
{
	if (key_len != m->key_size)
		return -EMSGSIZE;
	if (bpf_map_delete_elem(m->fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

static int clear_hash(const struct named_map *m)
{
	if (m->type != BPF_MAP_TYPE_HASH && m->type != BPF_MAP_TYPE_PERCPU_HASH &&
		m->type != BPF_MAP_TYPE_LRU_HASH && m->type != BPF_MAP_TYPE_LRU_PERCPU_HASH)
		return -EINVAL;
	/* Always the first key: deleting while walking would skip entries. */
	while (!bpf_map_get_next_key(m->fd, NULL, key_buf)) {
		if (bpf_map_delete_elem(m->fd, key_buf))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int zero_array(struct driver *d, const struct named_map *m)
{
	void *zero;

	if (m->type != BPF_MAP_TYPE_ARRAY && m->type != BPF_MAP_TYPE_PERCPU_ARRAY)
		return -EINVAL;
	zero = map_value(d, m, NULL);
	for (__u32 key = 0; key < m->max_entries; key++) {
		if (bpf_map_update_elem(m->fd, &key, zero, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Sums every counter over CPUs with one batch lookup. */
static int snapshot(struct driver *d, struct qk_counter *out)
{
	__u32 count = d->n_counters, out_batch = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (bpf_map_lookup_batch(
		    d->run.counters_fd, NULL, &out_batch, d->keys, d->scratch, &count, &opts) &&
		errno != ENOENT)
		return -errno;
	if (count != d->n_counters)
		return -EIO;
	for (__u32 i = 0; i < count; i++) {
		const struct qk_counter *percpu = &d->scratch[(size_t)i * d->run.ncpus];
		struct qk_counter *sum = &out[d->keys[i]];

		sum->packets = 0;
		sum->bytes = 0;
		for (int cpu = 0; cpu < d->run.ncpus; cpu++) {
			sum->packets += percpu[cpu].packets;
			sum->bytes += percpu[cpu].bytes;
		}
	}
	return 0;
}

static void print_hex(const uint8_t *buf, size_t len)
{
	if (!len)
		putchar('-');
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
}

static void print_moved_counters(struct driver *d)
{
	int moved = 0;

	for (__u32 i = 0; i < d->n_counters; i++) {
		if (d->after[i].packets == d->before[i].packets &&
			d->after[i].bytes == d->before[i].bytes)
			continue;
		printf("%s%u:%llu:%llu", moved++ ? "," : "", i,
			(unsigned long long)(d->after[i].packets - d->before[i].packets),
			(unsigned long long)(d->after[i].bytes - d->before[i].bytes));
		d->before[i] = d->after[i];
	}
	if (!moved)
		putchar('-');
}

static int run_frame(struct driver *d, uint32_t flags, const uint8_t *frame, uint32_t len)
{
	struct named_map trace;
	const __u32 zero = 0;
	uint32_t retval = 0, out_len = 0;
	int err;

	if (flags & RUN_F_TRACE) {
		err = find_map(d, QK_NAME(QK_MAP_FAST_TRACE), &trace);
		if (!err && trace.value_size > sizeof(trace_buf))
			err = -EMSGSIZE;
		if (!err)
			err = write_entry(d, &trace, (const uint8_t *)&zero, sizeof(zero), NULL,
				trace.value_size);
		if (err)
			return err;
	}
	err = prog_run__exec_out(&d->run, frame, len, out_buf, sizeof(out_buf), &out_len, &retval);
	if (!err && (flags & RUN_F_TRACE) && bpf_map_lookup_elem(trace.fd, &zero, trace_buf))
		err = -errno;
	if (!err && (flags & RUN_F_COUNTERS))
		err = snapshot(d, d->after);
	if (err)
		return err;
	printf("run %u ", retval);
	print_hex(out_buf, out_len);
	putchar(' ');
	if (flags & RUN_F_TRACE) {
		print_hex(trace_buf, trace.value_size);
	} else {
		putchar('-');
	}
	putchar(' ');
	if (flags & RUN_F_COUNTERS)
		print_moved_counters(d);
	else
		putchar('-');
	putchar('\n');
	return 0;
}

/* One record after its tag; answers "ok" itself unless it printed a "run" line. */
static int handle(struct driver *d, int tag)
{
	char name[BPF_OBJ_NAME_LEN];
	struct named_map m;
	uint32_t key_len = 0, len = 0, flags;
	int err;

	if (tag == 'R') {
		if (read_full(&flags, 4) || read_blob(blob_buf, &len))
			return TRUNCATED;
		return run_frame(d, flags, blob_buf, len);
	}
	if (!strchr("WDXZ", tag))
		return TRUNCATED; /* not a record: out of step */
	if (read_name(name))
		return TRUNCATED;
	if ((tag == 'W' || tag == 'D') && read_blob(key_buf, &key_len))
		return TRUNCATED;
	if (tag == 'W' && read_blob(blob_buf, &len))
		return TRUNCATED;
	err = find_map(d, name, &m);
	if (err)
		return err;
	if (tag == 'W')
		err = write_entry(d, &m, key_buf, key_len, blob_buf, len);
	else if (tag == 'D')
		err = delete_entry(&m, key_buf, key_len);
	else if (tag == 'X')
		err = clear_hash(&m);
	else
		err = zero_array(d, &m);
	if (!err)
		puts("ok");
	return err;
}

/* Pins to the current CPU so every run reads and writes the same per-CPU cells. */
static int pin_to_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : cpu;
}

static void print_map_names(struct bpf_object *obj)
{
	struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, obj) printf("%s%s", n++ ? "," : "", bpf_map__name(map));
}

static int list_maps(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 1;
	}
	print_map_names(obj);
	putchar('\n');
	bpf_object__close(obj);
	return 0;
}

static int driver_open(struct driver *d, const char *path)
{
	size_t widest = 0;
	struct bpf_map *map;
	int err;

	memset(d, 0, sizeof(*d));
	err = prog_run__open(&d->run, path);
	if (err)
		return err;
	bpf_object__for_each_map(map, d->run.obj)
	{
		size_t size = percpu_stride(bpf_map__value_size(map)) * (size_t)d->run.ncpus;

		widest = size > widest ? size : widest;
	}
	d->n_counters = bpf_map__max_entries(
		bpf_object__find_map_by_name(d->run.obj, QK_NAME(QK_MAP_COUNTERS)));
	d->value_buf = calloc(1, widest);
	d->before = calloc(d->n_counters, sizeof(*d->before));
	d->after = calloc(d->n_counters, sizeof(*d->after));
	d->scratch = calloc((size_t)d->n_counters * d->run.ncpus, sizeof(*d->scratch));
	d->keys = calloc(d->n_counters, sizeof(*d->keys));
	if (!d->value_buf || !d->before || !d->after || !d->scratch || !d->keys)
		return -ENOMEM;
	return snapshot(d, d->before);
}

static void driver_close(struct driver *d)
{
	free(d->value_buf);
	free(d->before);
	free(d->after);
	free(d->scratch);
	free(d->keys);
	prog_run__close(&d->run);
}

int main(int argc, char **argv)
{
	static struct driver d;
	int cpu, err, tag;

	if (argc == 3 && !strcmp(argv[2], "--maps"))
		return list_maps(argv[1]);
	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT [--maps] < records\n", argv[0]);
		return 2;
	}
	/* The runner holds both ends of our stdin: leave when it goes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	/* BPF_PROG_RUN's ingress device is this namespace's loopback: ifindex 1 on every machine
	 * (the runner's flows name it), and no host route or neighbour can leak into a run. */
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	cpu = pin_to_this_cpu();
	err = cpu < 0 ? cpu : driver_open(&d, argv[1]);
	if (err) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	printf("ready cpu=%d maps=", cpu);
	print_map_names(d.run.obj);
	putchar('\n');
	fflush(stdout);
	while ((tag = getchar()) != EOF && tag != 'Q') {
		err = handle(&d, tag);
		if (err == TRUNCATED) {
			fprintf(stderr, "bad or truncated record (tag 0x%02x)\n", tag);
			return 1;
		}
		if (err)
			printf("err %d %s\n", -err, strerror(-err));
		fflush(stdout);
	}
	driver_close(&d);
	return 0;
}
