// SPDX-License-Identifier: Apache-2.0
/*
 * BPF_PROG_RUN harness for bpf/obj/xdp_redirect.bpf.o (the committed object,
 * never a copy of its source). Runs the case table (cases.c), truncation
 * sweeps and a ring-buffer overflow check, and prints one TAP line per check.
 *
 * usage: xdp_cases OBJECT [--xsk IFNAME]
 * Without --xsk the XSKMAP is empty, so matched frames come back as XDP_PASS
 * and the harness tells them apart by the match and QK_PASS_NO_XSK counters.
 * With --xsk (run inside a namespace holding IFNAME with >= 2 rx queues) a
 * real AF_XDP socket sits at queue 0, matched frames must return
 * XDP_REDIRECT, and a frame on queue 1 must fall back to XDP_PASS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check_verdict.h"
#include "frames.h"
#include "prog_run.h"
#include "xsk_socket.h"

/* BPF_PROG_RUN rejects XDP input shorter than an Ethernet header (EINVAL). */
#define MIN_RUN_LEN 14

struct harness {
	struct prog_run run;
	struct check_env env;
	struct xdp_md ctx;
	bool has_xsk;
	int checks;
	int failures;
};

static void report(struct harness *h, bool ok, const char *name, const char *note)
{
	h->checks++;
	if (!ok)
		h->failures++;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", h->checks, name, note ? " # " : "",
		note ? note : "");
}

static int apply_config(struct harness *h, enum case_config config)
{
	struct qk_xdp_config value;
	int err;

	/* Addresses first, then the flag that makes them count: the order userspace uses. */
	for (size_t i = 0; i < case_local_addrs_count; i++) {
		err = prog_run__set_local_addr(
			&h->run, case_local_addrs[i], config == CFG_LOCAL_ADDRS);
		if (err)
			return err;
	}
	case_config__value(config, &value);
	return prog_run__set_config(&h->run, &value);
}

static void expect_outcome(const struct harness *h, enum case_outcome outcome, uint32_t reason,
	int match, struct expectation *want)
{
	want->match = match;
	want->reason = reason;
	want->event_kind = 0;
	want->event_offset = 0;
	switch (outcome) {
	case OUT_REDIRECT:
		want->verdict = h->has_xsk ? XDP_REDIRECT : XDP_PASS;
		want->reason = QK_PASS_NO_XSK;
		break;
	case OUT_DROP:
		want->verdict = XDP_DROP;
		want->event_kind = QK_EVENT_DROP;
		break;
	default:
		want->verdict = XDP_PASS;
		if (reason == QK_PASS_TRUNCATED || reason == QK_PASS_MALFORMED)
			want->event_kind = QK_EVENT_PARSE_ERROR;
		break;
	}
}

static void run_cases(struct harness *h)
{
	uint8_t frame[FRAME_MAX];
	struct expectation want;

	for (size_t i = 0; i < xdp_cases_count; i++) {
		const struct xdp_case *c = &xdp_cases[i];
		int len = frame__build(&c->frame, frame);
		bool ok = len > 0 && apply_config(h, c->config) == 0;

		if (ok && c->cut)
			len = c->cut < len ? c->cut : -1;
		if (len < MIN_RUN_LEN) {
			fprintf(stderr, "  %s: bad case (frame spec, cut or config)\n", c->name);
			ok = false;
		} else {
			expect_outcome(h, c->outcome, c->reason, c->match, &want);
			want.event_offset = c->event_offset;
			ok = check_verdict(&h->env, c->name, frame, (uint32_t)len, &want);
		}
		report(h, ok, c->name, c->note);
	}
}

static void run_sweeps(struct harness *h)
{
	uint8_t frame[FRAME_MAX];
	struct expectation want;
	char label[96];

	expect_outcome(h, OUT_PASS, QK_PASS_TRUNCATED, NO_MATCH, &want);
	for (size_t i = 0; i < truncation_sweeps_count; i++) {
		const struct truncation_sweep *s = &truncation_sweeps[i];
		int len = frame__build(&s->frame, frame);
		bool ok = len > MIN_RUN_LEN && apply_config(h, CFG_DEFAULT) == 0;

		for (int cut = MIN_RUN_LEN; ok && cut < len; cut++) {
			snprintf(label, sizeof(label), "%s cut at %d of %d", s->name, cut, len);
			ok = check_verdict(&h->env, label, frame, (uint32_t)cut, &want);
		}
		snprintf(label, sizeof(label), "every length %d..%d is TRUNCATED", MIN_RUN_LEN,
			len - 1);
		report(h, ok, s->name, label);
	}
}

static void run_ring_overflow(struct harness *h)
{
	const struct frame_spec spec = {.l3 = L3_IPV4, .dst_port = 7777};
	const uint32_t runs = QK_EVENTS_BYTES / sizeof(struct qk_xdp_event) + 100;
	struct qk_counter before[QK_CNT__MAX], after[QK_CNT__MAX];
	uint8_t frame[FRAME_MAX];
	uint32_t retval = 0;
	uint64_t lost, truncated;
	int drained, err;
	bool ok;

	frame__build(&spec, frame);
	err = apply_config(h, CFG_DEFAULT);
	if (!err)
		err = prog_run__drain(&h->run) < 0 ? -EIO : 0;
	if (!err)
		err = prog_run__snapshot(&h->run, before);
	if (!err)
		err = prog_run__exec(&h->run, frame, MIN_RUN_LEN, h->env.ctx, runs, &retval);
	if (!err)
		err = prog_run__snapshot(&h->run, after);
	drained = err ? err : prog_run__drain(&h->run);
	lost = after[QK_CNT_EVENTS_LOST].packets - before[QK_CNT_EVENTS_LOST].packets;
	truncated = after[QK_CNT_PASS_BASE + QK_PASS_TRUNCATED].packets -
		    before[QK_CNT_PASS_BASE + QK_PASS_TRUNCATED].packets;
	ok = !err && drained > 0 && lost > 0 && truncated == runs &&
	     lost + (uint64_t)drained == runs;
	if (!ok)
		fprintf(stderr,
			"  ring-overflow: err %d, %u runs, %llu counted, %d events, %llu lost\n",
			err, runs, (unsigned long long)truncated, drained,
			(unsigned long long)lost);
	report(h, ok, "ring-overflow", "a full event ring counts every lost event");
}

/* The XSKMAP index is the rx queue: a socket on queue 0 must not catch queue 1. */
static void run_other_queue(struct harness *h)
{
	const struct frame_spec spec = {.l3 = L3_IPV4, .dst_port = 7777, .payload_len = 16};
	struct xdp_md ctx = h->ctx;
	struct check_env env = h->env;
	struct expectation want;
	uint8_t frame[FRAME_MAX];
	int len = frame__build(&spec, frame);
	bool ok = apply_config(h, CFG_DEFAULT) == 0;

	ctx.rx_queue_index = 1;
	env.ctx = &ctx;
	h->has_xsk = false;
	expect_outcome(h, OUT_REDIRECT, 0, QK_MATCH_LISTEN, &want);
	h->has_xsk = true;
	ok = ok && check_verdict(&env, "xsk-other-queue", frame, (uint32_t)len, &want);
	report(h, ok, "xsk-other-queue", "queue 1 has no socket: XDP_PASS fallback");
}

static int run_all(struct harness *h, const char *xsk_ifname)
{
	struct xsk_test_socket xsk = {0};
	int err;

	if (xsk_ifname) {
		err = xsk_test_socket__open(&xsk, xsk_ifname, 0);
		if (!err)
			err = prog_run__set_xsk(&h->run, 0, xsk.fd);
		if (err) {
			fprintf(stderr, "AF_XDP socket on %s: %s\n", xsk_ifname, strerror(-err));
			xsk_test_socket__close(&xsk);
			return err;
		}
		h->has_xsk = true;
		h->ctx.ingress_ifindex = xsk.ifindex;
		h->ctx.rx_queue_index = 0;
		h->env.ctx = &h->ctx;
	}
	run_cases(h);
	run_sweeps(h);
	run_ring_overflow(h);
	if (xsk_ifname)
		run_other_queue(h);
	xsk_test_socket__close(&xsk);
	return 0;
}

int main(int argc, char **argv)
{
	static struct harness h;
	const char *xsk_ifname = NULL;
	int err;

	if (argc == 4 && strcmp(argv[2], "--xsk") == 0)
		xsk_ifname = argv[3];
	else if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT [--xsk IFNAME]\n", argv[0]);
		return 2;
	}
	err = prog_run__open(&h.run, argv[1]);
	if (err) {
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	h.env.run = &h.run;
	err = run_all(&h, xsk_ifname);
	prog_run__close(&h.run);
	if (err)
		return 1;
	printf("1..%d\n# %d checks, %d failed\n", h.checks, h.checks, h.failures);
	return h.failures ? 1 : 0;
}
