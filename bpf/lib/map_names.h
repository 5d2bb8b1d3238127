/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one table of BPF object names shared by the programs and userspace.
 * In libbpf-style BTF maps the C identifier *is* the map name, so each entry
 * is an identifier; QK_NAME() turns it into the string userspace looks up
 * (bpf_object__find_map_by_name). Names stay under 16 bytes (BPF_OBJ_NAME_LEN).
 * bpf/abi.ts mirrors this table (checked by bpf/abi.test.ts).
 */
#ifndef QK_MAP_NAMES_H
#define QK_MAP_NAMES_H

#define QK__STR(x) #x
#define QK_NAME(x) QK__STR(x)

/* X(macro id, map identifier): every map of bpf/obj/xdp_redirect.bpf.o. */
#define QK_XDP_MAPS(X)                                                                             \
	X(QK_MAP_CONFIG, qk_config)                                                                \
	X(QK_MAP_LOCAL_ADDRS, qk_local_addrs)                                                      \
	X(QK_MAP_LOCAL_HIT, qk_local_hit)                                                          \
	X(QK_MAP_XSKS, qk_xsks)                                                                    \
	X(QK_MAP_COUNTERS, qk_counters)                                                            \
	X(QK_MAP_EVENTS, qk_events)                                                                \
	X(QK_MAP_FAST_CTL, qk_fast_ctl)                                                            \
	X(QK_MAP_FAST_BANKS, qk_fast_banks)                                                        \
	X(QK_MAP_FAST_STEPS, qk_fast_steps)                                                        \
	X(QK_MAP_FAST_EPS, qk_fast_eps)                                                            \
	X(QK_MAP_FAST_TOKENS, qk_fast_tokens)                                                      \
	X(QK_MAP_FAST_FW, qk_fast_fw)                                                              \
	X(QK_MAP_FAST_FLOWS, qk_fast_flows)                                                        \
	X(QK_MAP_FAST_STATE, qk_fast_state)                                                        \
	X(QK_MAP_FAST_TRACE, qk_fast_trace)                                                        \
	X(QK_MAP_FAST_SEED, qk_fast_seed)                                                          \
	X(QK_MAP_FAST_CELLS, qk_fast_cells)                                                        \
	X(QK_MAP_FAST_IFACES, qk_fast_ifaces)

#define QK_MAP_CONFIG	   qk_config	  /* array[1] of struct qk_xdp_config; userspace writes */
#define QK_MAP_LOCAL_ADDRS qk_local_addrs /* hash qk_local_addr_key -> value; userspace writes */
#define QK_MAP_LOCAL_HIT   qk_local_hit	  /* percpu array[1] of struct qk_local_hit; BPF writes */
#define QK_MAP_XSKS	   qk_xsks	  /* xskmap rx queue -> AF_XDP fd; userspace writes */
#define QK_MAP_COUNTERS	   qk_counters	  /* percpu array of struct qk_counter; BPF writes */
#define QK_MAP_EVENTS	   qk_events	  /* ringbuf of struct qk_xdp_event; BPF writes */
/* The fast path (fast_abi.h): userspace writes config and flows, BPF writes state and cells. */
#define QK_MAP_FAST_CTL	   qk_fast_ctl	  /* array[1] of struct qk_fast_ctl */
#define QK_MAP_FAST_BANKS  qk_fast_banks  /* array[QK_FAST_BANKS] of struct qk_fast_bank */
#define QK_MAP_FAST_STEPS  qk_fast_steps  /* array of struct qk_fast_step */
#define QK_MAP_FAST_EPS	   qk_fast_eps	  /* array of struct qk_fast_endpoint */
#define QK_MAP_FAST_TOKENS qk_fast_tokens /* hash qk_fast_token_key -> qk_fast_token_value */
#define QK_MAP_FAST_FW	   qk_fast_fw	  /* array of struct qk_fast_fw_rule */
#define QK_MAP_FAST_FLOWS  qk_fast_flows  /* hash qk_fast_flow_key -> qk_fast_flow; workers write */
#define QK_MAP_FAST_STATE  qk_fast_state  /* percpu array[1] of struct qk_fast_state (scratch) */
#define QK_MAP_FAST_TRACE  qk_fast_trace /* array[1] of struct qk_fast_state; with QK_FAST_F_TRACE */
#define QK_MAP_FAST_SEED   qk_fast_seed	 /* array[1] of struct qk_fast_seed; with QK_FAST_F_SEED */
#define QK_MAP_FAST_CELLS                                                                          \
	qk_fast_cells /* percpu array[QK_FAST_CELLS] of __u64: rr positions, Match counts */

#define QK_MAP_FAST_IFACES qk_fast_ifaces /* devmap_hash ifindex -> ifindex: forward targets */

/* Program (function) names; bpf_object__find_program_by_name takes these. */
#define QK_PROG_XDP_REDIRECT qk_xdp_redirect /* in xdp_redirect.bpf.o */
#define QK_PROG_XDP_PASS     qk_xdp_pass     /* in xdp_pass.bpf.o */

/* Object files, relative to the repository root. */
#define QK_OBJ_XDP_REDIRECT "bpf/obj/xdp_redirect.bpf.o"
#define QK_OBJ_XDP_PASS	    "bpf/obj/xdp_pass.bpf.o"

#endif /* QK_MAP_NAMES_H */
