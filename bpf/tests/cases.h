/* SPDX-License-Identifier: Apache-2.0 */
/* The BPF_PROG_RUN case table: each case is a frame, a config and the outcome. */
#ifndef QK_TEST_CASES_H
#define QK_TEST_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "frames.h"

enum case_config {
	CFG_DEFAULT = 0, /* listen 7777, qcmp 7600, sessions 61000-65535, no address filter */
	CFG_DISABLED,	 /* QK_CFG_F_ENABLED clear */
	CFG_LOCAL_ADDRS, /* CFG_DEFAULT + local addresses 10.99.0.1 and fd00:99::1 */
	CFG_MOVED,	 /* listen 9000 only: qcmp and session range off (port change, no reload) */
	CFG__COUNT,
};

enum case_outcome {
	OUT_PASS = 0, /* XDP_PASS with `reason` (enum qk_pass_reason) */
	OUT_DROP,     /* XDP_DROP with `reason` (enum qk_drop_reason) */
	/*
	 * Matched for the AF_XDP socket: XDP_REDIRECT when the rx queue has a
	 * socket, else XDP_PASS with QK_PASS_NO_XSK (the map's fallback).
	 */
	OUT_REDIRECT,
};

#define NO_MATCH (-1)

struct xdp_case {
	const char *name;
	const char *note;
	enum case_config config;
	struct frame_spec frame;
	uint16_t cut; /* truncate the frame to this many bytes; 0 = whole frame */
	enum case_outcome outcome;
	uint32_t reason;
	int match;	       /* enum qk_match_kind the program must count, or NO_MATCH */
	uint16_t event_offset; /* where the event says parsing stopped; 0 = not checked */
};

extern const struct xdp_case xdp_cases[];
extern const size_t xdp_cases_count;

/* Frames cut at every length from the Ethernet header on; each cut must pass as TRUNCATED. */
struct truncation_sweep {
	const char *name;
	struct frame_spec frame;
};

extern const struct truncation_sweep truncation_sweeps[];
extern const size_t truncation_sweeps_count;

/* The config map value each case_config stands for. */
void case_config__value(enum case_config config, struct qk_xdp_config *out);

/* The local address map's content under CFG_LOCAL_ADDRS (empty under the others). */
extern const char *const case_local_addrs[];
extern const size_t case_local_addrs_count;

#endif /* QK_TEST_CASES_H */
