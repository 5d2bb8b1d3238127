/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-kernel fast path's half of the contract (DESIGN tier 2): a lowered
 * filter chain as map data, the endpoints and tokens it routes to, and the
 * sessions the AF_XDP workers install. Included by abi.h; the same rules hold
 * (fixed-width types, explicit zero padding, sizes asserted here and mirrored
 * in bpf/abi.ts).
 *
 * Config is data: data-plane/compiler/lower.ts writes one bank (steps,
 * endpoints, tokens, firewall rules) while the program reads the other, then
 * flips qk_fast_ctl.bank with one 4-byte write. A packet reads the bank once,
 * so it sees one generation throughout.
 */
#ifndef QK_FAST_ABI_H
#define QK_FAST_ABI_H

#include <linux/types.h>

#define QK_FAST_BANKS 2
#define QK_FAST_DIRS  2	 /* 0 read (client -> endpoint), 1 write (endpoint -> client) */
#define QK_FAST_STEPS 32 /* steps per direction per bank */
#define QK_FAST_VALUE_MAX                                                                          \
	32 /* bytes of a token, a captured value, a Match value, Concatenate bytes */
#define QK_FAST_KEYS	      4 /* metadata keys one lowered chain may use */
#define QK_FAST_DESTS	      8 /* destinations a token may name before the packet needs tier 1 */
#define QK_FAST_ENDPOINTS     8192   /* endpoints per bank */
#define QK_FAST_TOKENS	      32768  /* tokens per bank */
#define QK_FAST_FW_RULES      64     /* firewall rules per bank, all Firewall filters together */
#define QK_FAST_FW_CIDRS      8	     /* sources per rule */
#define QK_FAST_FW_PORTS      8	     /* port ranges per rule */
#define QK_FAST_SESSIONS      262144 /* flows per direction */
#define QK_FAST_WINDOW	      64     /* payload bytes the chain sees at each end */
#define QK_FAST_PENDING_CELLS 8	     /* cell counts one packet may leave pending */
#define QK_FAST_CELLS	      256    /* per-CPU u64 cells the lowering hands out (step.arg) */
#define QK_FAST_IFACES	      8	     /* interfaces a flow may be redirected to */

#define QK_FAST_DIR_READ  0
#define QK_FAST_DIR_WRITE 1

/* ---- control (array, one entry) ---- */

/* The fast path runs at all (`--xdp.fast-path auto` and a lowerable chain). */
#define QK_FAST_F_ENABLED (1u << 0)
/* Test hooks for the conformance runner (never set by the proxy): metadata is seeded from
 * qk_fast_seed before the chain, and the state after it is copied to qk_fast_trace. */
#define QK_FAST_F_SEED	  (1u << 1)
#define QK_FAST_F_TRACE	  (1u << 2)

struct qk_fast_ctl {
	__u32 bank;	  /* the bank packets read: 0 or 1 (written last, on its own) */
	__u32 flags;	  /* QK_FAST_F_* */
	__u64 generation; /* config generation the active bank holds (for /config and logs) */
};

/* ---- per-bank header (array, QK_FAST_BANKS entries) ---- */

struct qk_fast_bank {
	__u32 endpoint_count; /* endpoints[0..count) of this bank; a chain starts with all of them */
	__u32 flags; /* QK_FAST_BANK_F_PAYLOAD << dir: that direction's chain reads the payload */
};

/* A direction whose chain reads payload bytes (Capture) gets the payload windows copied into the
 * state; the others skip the copy (two helper calls per packet). */
#define QK_FAST_BANK_F_PAYLOAD (1u << 0)

/* ---- chain steps (array, key = (bank * QK_FAST_DIRS + dir) * QK_FAST_STEPS + pc) ---- */

/* Step kinds. A direction's program starts at pc 0 and ends at QK_STEP_END; jumps only go
 * forward, so a program runs at most QK_FAST_STEPS steps. Append only. */
enum qk_step_kind {
	QK_STEP_END = 0,  /* the chain is done */
	QK_STEP_PASS = 1, /* Pass */
	QK_STEP_DROP = 2, /* Drop: reason QK_DROP_DROP_FILTER */
	QK_STEP_CAPTURE =
		3, /* Capture prefix/suffix: op = strategy, arg = size, key, key2 = is_present */
	QK_STEP_TOKEN_ROUTER =
		4, /* TokenRouter/HashedTokenRouter: key; destinations = token's endpoints */
	QK_STEP_FIREWALL = 5, /* arg = first rule index in the bank, count = rules */
	QK_STEP_MATCH = 6, /* key; count branches follow as QK_STEP_BRANCH; next = fallthrough pc;
				   * cells arg (matched), arg + 1 (fallthrough) */
	QK_STEP_BRANCH =
		7,	  /* only after MATCH: op = value tag, value/len; next = the branch's pc */
	QK_STEP_JUMP = 8, /* next = pc (the end of a Match branch) */
	QK_STEP_LOAD_BALANCER = 9, /* op = enum qk_lb_policy; cell arg = round-robin position */
	QK_STEP_CONCATENATE = 10,  /* op = enum qk_concat_side; value/len */
	QK_STEP__MAX = 11,
};

/* QK_STEP_CAPTURE op (matches capture_core.h) */
#define QK_STEP_CAPTURE_PREFIX 0
#define QK_STEP_CAPTURE_SUFFIX 1
/* QK_STEP_CAPTURE flags */
#define QK_STEP_F_REMOVE       (1u << 0)

enum qk_lb_policy { QK_LB_ROUND_ROBIN = 0, QK_LB_RANDOM = 1, QK_LB_HASH = 2 };
enum qk_concat_side { QK_CONCAT_APPEND = 1, QK_CONCAT_PREPEND = 2 };

/* Metadata value tags (native/engine/metadata.h MetaTag); only these three lower. */
#define QK_META_ABSENT 0xff
#define QK_META_BOOL   0
#define QK_META_STRING 2
#define QK_META_BYTES  3

struct qk_fast_step {
	__u8 kind;   /* enum qk_step_kind */
	__u8 op;     /* capture strategy, branch value tag, lb policy, concatenate side */
	__u8 flags;  /* QK_STEP_F_* */
	__u8 len;    /* bytes used in value[] */
	__u16 key;   /* metadata key index, < QK_FAST_KEYS */
	__u16 key2;  /* capture: is_present key index */
	__u16 next;  /* MATCH: fallthrough pc; BRANCH: branch pc; JUMP: pc */
	__u16 count; /* MATCH: branches; FIREWALL: rules */
	__u32 arg;   /* CAPTURE: size; FIREWALL: first rule; LOAD_BALANCER, MATCH: first cell */
	__u32 slot;  /* the filter's slot (engine numbering) */
	__u32 _pad;
	__u8 value[QK_FAST_VALUE_MAX]; /* BRANCH: value (BOOL: value[0]); CONCATENATE: bytes */
};

/* ---- endpoints (array, key = bank * QK_FAST_ENDPOINTS + index) ---- */

struct qk_fast_endpoint {
	__u8 family; /* QK_ADDR_V4 / QK_ADDR_V6; 0 = unresolved name (a send drops as `no route`) */
	__u8 _pad;
	__u16 port;    /* host byte order */
	__u8 addr[16]; /* network byte order; IPv4 in addr[0..3] */
};

/* ---- tokens (hash) ---- */

struct qk_fast_token_key {
	__u8 bank;
	__u8 len; /* 1..QK_FAST_VALUE_MAX */
	__u8 _pad[2];
	__u8 bytes[QK_FAST_VALUE_MAX]; /* zero past len */
};

struct qk_fast_token_value {
	__u16 n; /* endpoints holding the token (may exceed QK_FAST_DESTS) */
	__u16 _pad;
	__u16 idx[QK_FAST_DESTS]; /* the first of them, ascending endpoint index */
};

/* ---- firewall rules (array, key = bank * QK_FAST_FW_RULES + index) ---- */

struct qk_fast_cidr {
	__u8 family; /* 4 or 6 */
	__u8 prefix;
	__u8 ip[16];
};

struct qk_fast_port_range {
	__u16 min;
	__u16 _pad;
	__u32 end; /* exclusive */
};

struct qk_fast_fw_rule {
	__u8 allow;
	__u8 n_sources;
	__u8 n_ports;
	__u8 _pad;
	struct qk_fast_cidr sources[QK_FAST_FW_CIDRS];
	struct qk_fast_port_range ports[QK_FAST_FW_PORTS];
};

/* ---- sessions (hash, both directions; the AF_XDP workers install and remove) ---- */

/* read: a = client, b = endpoint. write: a = endpoint, port_b = session port, addr_b zero. */
struct qk_fast_flow_key {
	__u8 dir;    /* QK_FAST_DIR_* */
	__u8 family; /* of a (and b) */
	__u16 port_a;
	__u16 port_b;
	__u16 _pad;
	__u8 addr_a[16];
	__u8 addr_b[16];
};

/* How to send what matched: the new addresses and the next hop the worker resolved. */
struct qk_fast_flow {
	__u8 src_addr
		[16]; /* read: the proxy's address towards the endpoint; write: the listen address */
	__u8 dst_addr[16]; /* read: endpoint; write: client */
	__u16 src_port;	   /* read: session port; write: listen port */
	__u16 dst_port;
	__u8 family;
	__u8 _pad[3];
	__u8 eth_src[6]; /* the neighbour path's answer: used when bpf_fib_lookup has none */
	__u8 eth_dst[6];
	__u32 ifindex;	    /* where eth_src/eth_dst apply */
	__u64 last_seen_ns; /* CLOCK_MONOTONIC (coarse) of the last packet the program forwarded */
};

/* ---- per-packet state (per-CPU array, one entry; also the trace record) ---- */

struct qk_fast_meta {
	__u8 tag; /* QK_META_*; QK_META_ABSENT when unset */
	__u8 len;
	__u8 bytes[QK_FAST_VALUE_MAX];
};

/* Why a packet left the fast path for tier 1. Append only. */
enum qk_fast_handoff {
	QK_HANDOFF_NONE = 0,
	QK_HANDOFF_NO_SESSION = 1,   /* first packet of a flow: the worker installs it */
	QK_HANDOFF_FAN_OUT = 2,	     /* more than one destination */
	QK_HANDOFF_WINDOW = 3,	     /* a capture reached past the payload window */
	QK_HANDOFF_TOKEN_MANY = 4,   /* a token names more than QK_FAST_DESTS endpoints */
	QK_HANDOFF_NEXT_HOP = 5,     /* no route or neighbour the program can use */
	QK_HANDOFF_CHECKSUM = 6,     /* IPv4 without checksum whose payload changes, or IPv6 zero */
	QK_HANDOFF_IP_OPTIONS = 7,   /* IPv4 options: the rewrite needs a minimal header */
	QK_HANDOFF_CHAIN = 8,	     /* malformed chain data (a pc or index out of range) */
	QK_HANDOFF_LB_IPV6_HASH = 9, /* hash load balancing of an IPv6 source (text form) */
	QK_HANDOFF_TOO_BIG = 10,     /* the edited packet would not fit */
	QK_HANDOFF_CONCAT = 11,	     /* concatenated bytes beyond QK_FAST_VALUE_MAX per end */
	QK_HANDOFF__MAX = 12,
};

struct qk_fast_state {
	__u8 dir;
	__u8 family;
	__u16 src_port;	   /* read: client port; write: endpoint port */
	__u8 src_addr[16]; /* read: client; write: endpoint (the source Firewall checks) */
	__u32 payload_len; /* as received */
	__u32 cut_front;   /* bytes a Capture removed from the front */
	__u32 cut_back;	   /* ... from the back */
	__u32 pre_len;	   /* bytes in pre[] (prepended) */
	__u32 post_len;	   /* bytes in post[] (appended) */
	__u32 pc;
	__u32 steps;   /* steps run */
	__u32 verdict; /* enum qk_fast_verdict */
	__u32 reason;  /* drop reason (drop_reasons.h) or enum qk_fast_handoff */
	__u32 endpoint_count;
	__u16 n_dests;	/* valid when !all_dests */
	__u8 all_dests; /* every endpoint of the bank (the chain routed nothing yet) */
	__u8 windows;	/* head[] and tail[] hold this packet's payload ends */
	__u16 dests[QK_FAST_DESTS];
	struct qk_fast_meta meta[QK_FAST_KEYS];
	__u8 head[QK_FAST_WINDOW]; /* payload[0 .. min(len, WINDOW)) as received */
	__u8 tail[QK_FAST_WINDOW]; /* payload[len - min(len, WINDOW) .. len) as received */
	__u8 pre[QK_FAST_VALUE_MAX];
	__u8 post[QK_FAST_VALUE_MAX];
	__u32 bank;
	__u32 _pad2;
	__u64 seq; /* trace: packets traced so far */
	/* Scratch (the stack is too small): the headers being rewritten, the session's key. */
	__u8 hdr[64];
	struct qk_fast_flow_key flow_key;
	/* Cells a step counted into (Match): added only when the kernel settles the packet (sent or
	 * dropped), since a handed-off packet is counted again by the worker's engine. */
	__u16 pending_cells[QK_FAST_PENDING_CELLS];
	__u32 n_pending;
	__u32 _pad3;
};

enum qk_fast_verdict {
	QK_FAST_RUNNING = 0,
	QK_FAST_FORWARD = 1, /* chain done: send to dests (read) / the client (write) */
	QK_FAST_DROP = 2,    /* reason = drop reason */
	QK_FAST_HANDOFF = 3, /* reason = enum qk_fast_handoff: tier 1 serves it */
};

/* ---- test seed (array, one entry): metadata before the chain, with QK_FAST_F_SEED ---- */

struct qk_fast_seed {
	struct qk_fast_meta meta[QK_FAST_KEYS];
};

/* ---- counters: fast-path indices in qk_counters (after the baseline's) ---- */

enum qk_fast_counter_index {
	QK_CNT_FAST_BASE = 192,
	QK_CNT_FAST_TX_READ =
		QK_CNT_FAST_BASE + 0, /* forwarded client -> endpoint (bytes: payload) */
	QK_CNT_FAST_TX_WRITE = QK_CNT_FAST_BASE + 1, /* forwarded endpoint -> client */
	QK_CNT_FAST_RX_READ = QK_CNT_FAST_BASE + 2,  /* received by the chain (bytes: payload) */
	QK_CNT_FAST_RX_WRITE = QK_CNT_FAST_BASE + 3,
	QK_CNT_FAST_HANDOFF_BASE = QK_CNT_FAST_BASE + 16, /* + dir * 16 + enum qk_fast_handoff */
	QK_CNT_FAST_DROP_BASE = QK_CNT_FAST_BASE + 48,	  /* + dir * 128 + drop reason */
	QK_CNT_FAST__MAX = QK_CNT_FAST_DROP_BASE + 2 * 128,
};

QK_STATIC_ASSERT(sizeof(struct qk_fast_ctl) == 16, "qk_fast_ctl layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_bank) == 8, "qk_fast_bank layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_step) == 56, "qk_fast_step layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_endpoint) == 20, "qk_fast_endpoint layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_token_key) == 36, "qk_fast_token_key layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_token_value) == 20, "qk_fast_token_value layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_fw_rule) == 4 + 18 * 8 + 8 * 8, "qk_fast_fw_rule layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_flow_key) == 40, "qk_fast_flow_key layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_flow) == 64, "qk_fast_flow layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_cidr) == 18, "qk_fast_cidr layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_port_range) == 8, "qk_fast_port_range layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_meta) == 2 + QK_FAST_VALUE_MAX, "qk_fast_meta layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_state) == 552, "qk_fast_state layout");
QK_STATIC_ASSERT(sizeof(struct qk_fast_seed) == QK_FAST_KEYS * sizeof(struct qk_fast_meta),
	"qk_fast_seed layout");
QK_STATIC_ASSERT(QK_FAST_DESTS <= 0xffff && QK_HANDOFF__MAX <= 16, "handoff counters overlap");
QK_STATIC_ASSERT(
	(int)QK_CNT_FAST_BASE == (int)QK_CNT__MAX, "fast counters start after the baseline's");

#endif /* QK_FAST_ABI_H */
