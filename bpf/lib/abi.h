/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The binary contract between the XDP program (bpf/xdp_redirect.bpf.c) and
 * userspace (native/xsk, the N-API addon, bpf/tests). Both sides compile this
 * header, so every key and value layout is defined once. Rules: fixed-width
 * types only, explicit padding fields (always written as zero), sizes checked
 * by _Static_assert here and mirrored in bpf/abi.ts (checked by bpf/abi.test.ts).
 * Ports are stored in host byte order: userspace writes plain numbers and the
 * program converts the packet's fields instead.
 */
#ifndef QK_ABI_H
#define QK_ABI_H

#include <linux/types.h>

#include "drop_reasons.h"

/* ---- config map (array, one entry at index 0) ---- */

/* Redirect matching is active; when clear every packet is passed (QK_PASS_DISABLED). */
#define QK_CFG_F_ENABLED	  (1u << 0)
/* The local address map is non-empty: a match also needs the destination IP in it. */
#define QK_CFG_F_MATCH_LOCAL_ADDR (1u << 1)

struct qk_xdp_config {
	__u16 listen_port;	  /* game traffic port; 0 = none */
	__u16 qcmp_port;	  /* QCMP ping port; 0 = none */
	__u16 session_port_start; /* first session port, inclusive; 0 = no range */
	__u16 session_port_end;	  /* last session port, inclusive */
	__u32 flags;		  /* QK_CFG_F_* */
	/* A matched frame longer than this goes to the kernel (QK_PASS_OVERSIZE):
	 * an AF_XDP socket cannot take a frame larger than its UMEM frame, and
	 * the redirect would drop it. 0 = no limit. */
	__u32 max_frame_len;
	/* The interface whose rx queues have AF_XDP sockets. A frame tier 1 would take that arrives
	 * on another one (a forward interface: the fast path only) goes to the kernel instead
	 * (QK_PASS_FORWARD_IFACE): qk_xsks holds sockets of this interface alone, and a redirect
	 * into one from another interface would drop the frame. 0 = any interface. */
	__u32 xsk_ifindex;
	/* Bumped by userspace with every change of qk_local_addrs (after the map writes): a
	 * qk_local_hit of another generation is stale. */
	__u32 local_addrs_gen;
};

#define QK_CONFIG_KEY 0u

/* ---- local address map (hash) ---- */

#define QK_ADDR_V4 4
#define QK_ADDR_V6 6

/* IPv4 addresses sit in addr[0..3] (network byte order), addr[4..15] are zero. */
struct qk_local_addr_key {
	__u8 family; /* QK_ADDR_V4 or QK_ADDR_V6 */
	__u8 _pad[3];
	__u8 addr[16]; /* network byte order */
};

struct qk_local_addr_value {
	__u32 flags; /* reserved, zero */
};

#define QK_LOCAL_ADDRS_MAX 64

/* The local address a CPU matched last (per-CPU array, one entry; the program writes): most
 * packets go to one address, and comparing 20 bytes costs less than a hash lookup. Valid while
 * gen equals qk_xdp_config.local_addrs_gen. */
struct qk_local_hit {
	__u32 gen;
	struct qk_local_addr_key key;
};

/* ---- XSKMAP: index = NIC rx queue id, value = AF_XDP socket fd ---- */

#define QK_XSKS_MAX 128

/* ---- counters (per-CPU array, key = enum qk_counter index) ---- */

struct qk_counter {
	__u64 packets;
	__u64 bytes; /* frame bytes as seen by XDP (from the Ethernet header on) */
};

/* Why a packet went to the kernel. Append only: indices are part of the ABI. */
enum qk_pass_reason {
	QK_PASS_DISABLED = 0,	    /* config missing or QK_CFG_F_ENABLED clear */
	QK_PASS_NOT_IP = 1,	    /* ARP, LLDP, any non-IP ethertype */
	QK_PASS_VLAN = 2,	    /* 802.1Q/802.1ad tagged: the kernel's VLAN devices serve it */
	QK_PASS_TRUNCATED = 3,	    /* frame ends inside a header (parse error) */
	QK_PASS_MALFORMED = 4,	    /* bad IP version or header length (parse error) */
	QK_PASS_IPV4_FRAGMENT = 5,  /* MF set or fragment offset non-zero */
	QK_PASS_IPV6_EXT_HDR = 6,   /* IPv6 extension header before the transport */
	QK_PASS_NOT_UDP = 7,	    /* TCP, ICMP, any other transport */
	QK_PASS_OTHER_PORT = 8,	    /* UDP, not to a proxy port */
	QK_PASS_NOT_LOCAL_ADDR = 9, /* proxy port, destination IP not a local address */
	QK_PASS_NO_XSK = 10,	    /* matched, but no AF_XDP socket on this rx queue */
	QK_PASS_OVERSIZE = 11,	    /* matched, longer than max_frame_len */
	QK_PASS_FORWARD_IFACE =
		12, /* matched on a forward interface, not the fast path's: no socket */
	QK_PASS__MAX = 13,
};

/* Which proxy port a redirect candidate matched. */
enum qk_match_kind {
	QK_MATCH_LISTEN = 0,
	QK_MATCH_QCMP = 1,
	QK_MATCH_SESSION = 2,
	QK_MATCH__MAX = 3,
};

/*
 * Counter indices. Each packet moves exactly one verdict counter plus, for a
 * pass its reason, for a drop its reason, and for a port match its kind (a
 * match is counted before the redirect, so it also moves when the rx queue has
 * no socket and the verdict becomes QK_PASS_NO_XSK).
 */
enum qk_counter_index {
	QK_CNT_REDIRECT = 0, /* verdict XDP_REDIRECT */
	QK_CNT_PASS = 1,     /* verdict XDP_PASS */
	QK_CNT_DROP = 2,     /* verdict XDP_DROP */
	/* ring buffer full: events lost (packets = events, bytes = 0) */
	QK_CNT_EVENTS_LOST = 3,
	QK_CNT_TX = 4,	       /* verdict XDP_TX: the fast path sent it (fast_abi.h) */
	QK_CNT_FORWARD = 5,    /* verdict XDP_REDIRECT by the fast path: out of another interface */
	QK_CNT_MATCH_BASE = 8, /* + enum qk_match_kind */
	QK_CNT_PASS_BASE = 16, /* + enum qk_pass_reason */
	QK_CNT_DROP_BASE = 64, /* + enum qk_drop_reason (drop_reasons.h) */
	QK_CNT_DROP_SLOTS = 128, /* room for the drop table to grow */
	QK_CNT__MAX = QK_CNT_DROP_BASE + QK_CNT_DROP_SLOTS,
};

/* ---- events (ring buffer of struct qk_xdp_event) ---- */

enum qk_event_kind {
	QK_EVENT_DROP = 1,	  /* reason = enum qk_drop_reason */
	QK_EVENT_PARSE_ERROR = 2, /* reason = enum qk_pass_reason (TRUNCATED or MALFORMED) */
};

struct qk_xdp_event {
	__u64 timestamp_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 kind;	    /* enum qk_event_kind */
	__u32 reason;
	__u32 ifindex;	 /* ingress interface */
	__u32 rx_queue;	 /* ingress rx queue */
	__u32 frame_len; /* bytes from the Ethernet header to the end of the frame */
	__u16 offset;	 /* byte offset where parsing stopped */
	__u16 eth_proto; /* last ethertype seen (host byte order) */
};

#ifdef __cplusplus
#define QK_STATIC_ASSERT static_assert
#else
#define QK_STATIC_ASSERT _Static_assert
#endif

#define QK_EVENTS_BYTES (256u * 1024u) /* ring size: power of two, page multiple */

QK_STATIC_ASSERT(sizeof(struct qk_xdp_config) == 24, "qk_xdp_config layout");
QK_STATIC_ASSERT(sizeof(struct qk_local_addr_key) == 20, "qk_local_addr_key layout");
QK_STATIC_ASSERT(sizeof(struct qk_local_addr_value) == 4, "qk_local_addr_value layout");
QK_STATIC_ASSERT(sizeof(struct qk_local_hit) == 24, "qk_local_hit layout");
QK_STATIC_ASSERT(sizeof(struct qk_counter) == 16, "qk_counter layout");
QK_STATIC_ASSERT(sizeof(struct qk_xdp_event) == 32, "qk_xdp_event layout");
QK_STATIC_ASSERT(
	(int)QK_MATCH__MAX <= QK_CNT_PASS_BASE - QK_CNT_MATCH_BASE, "match counters overlap");
QK_STATIC_ASSERT((int)QK_PASS__MAX <= QK_CNT_DROP_BASE - QK_CNT_PASS_BASE, "pass counters overlap");
QK_STATIC_ASSERT(
	(int)QK_DROP__MAX <= (int)QK_CNT_DROP_SLOTS, "drop table outgrew its counter slots");

#include "fast_abi.h"

#endif /* QK_ABI_H */
