// SPDX-License-Identifier: Apache-2.0
/* Session port table: (client, endpoint) -> proxy source port, and the
 * reverse (port, endpoint) -> client for replies. Bounded, with idle expiry
 * in least-recently-used order. A session no endpoint has answered yet
 * ("unreplied", as conntrack calls it) expires sooner, and under pressure
 * (table full, or every port towards an endpoint in use) the least recently
 * used unreplied one makes way for a new session: a host spraying source
 * ports cannot lock out clients that endpoints answer. An answered session
 * is never evicted. Optionally, the sessions of one client IP are capped.
 * Not locked: a caller sharing one table between threads serialises the
 * calls. */
#ifndef QK_XSK_SESSION_H
#define QK_XSK_SESSION_H

#include <linux/types.h>

#include "frame.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qk_session;

struct qk_session_opts {
	__u16 port_min; /* proxy source ports, inclusive range */
	__u16 port_max;
	__u32 capacity; /* most sessions held at once */
	__u64 idle_ns;	/* a session unused this long is expired */
	/* A session no reply has reached, unused this long, is expired; 0 or
	 * more than idle_ns means idle_ns. */
	__u64 unreplied_ns;
	__u32 per_source_max; /* sessions per client IP (any port); 0 = no cap */
	/* Optional: called for each session as it leaves the table (expired,
	 * replaced after idling, evicted or closed), with its lifetime from
	 * creation to removal in whole seconds. */
	void (*closed)(void *ctx, const struct qk_session *s, __u32 lifetime_secs);
	void *closed_ctx;
	/* Optional, for sessions whose `flows` is non-zero: when the session
	 * last carried a packet somewhere the table does not see (the XDP fast
	 * path), in the same clock as now_ns, or 0. Asked only of a session
	 * about to be judged idle, at most QK_SESSIONS_LAST_USED_BUDGET times per
	 * expiry pass (each answer may cost a syscall). Gets closed_ctx. */
	__u64 (*last_used)(void *ctx, const struct qk_session *s);
};

#define QK_SESSIONS_LAST_USED_BUDGET 512

struct qk_session {
	struct qk_addr client;	 /* who sent to the proxy */
	struct qk_addr endpoint; /* the endpoint it is forwarded to */
	struct qk_addr local;	 /* proxy address the client used: replies come from it */
	__u16 port;		 /* proxy source port towards the endpoint */
	__u64 created_ns;
	__u64 last_ns; /* last packet in either direction */
	__u8 replied;  /* a reply from the endpoint has been seen */
	/* The caller's marks: which directions the XDP fast path carries
	 * (bit 0 read, bit 1 write); zero when the session is created. */
	__u8 flows;
};

struct qk_session_counters {
	__u64 created;
	__u64 read_hits;
	__u64 write_hits;
	__u64 write_misses;	    /* reply for no session: counted drop */
	__u64 expired;		    /* sessions removed: expired, replaced, evicted or closed */
	__u64 evicted;		    /* of those, unreplied ones removed to make room */
	__u64 full_drops;	    /* table at capacity, nothing to evict: counted drop */
	__u64 port_exhausted_drops; /* every port towards that endpoint in answered use */
	__u64 source_limit_drops;   /* the client IP holds per_source_max sessions */
};

struct qk_sessions;

/* Returns 0, -EINVAL (empty port range or capacity 0) or -ENOMEM. */
int qk_sessions__create(struct qk_sessions **out, const struct qk_session_opts *opts);
void qk_sessions__destroy(struct qk_sessions *t);

/* The session a read (client packet bound for endpoint) uses, created when new
 * (evicting the least recently used unreplied session towards that endpoint
 * when its ports are all in use, else the least recently used unreplied one
 * when the table is full). Returns 0 (existing), 1 (created), -EDQUOT (the
 * client IP holds per_source_max sessions), -ENOSPC (table full of answered
 * sessions), -EADDRINUSE (every port towards that endpoint held by answered
 * sessions) or -ENOMEM (the first session towards an endpoint found no
 * memory for its port map). Every refusal is O(1). */
int qk_sessions__for_read(struct qk_sessions *t, const struct qk_addr *client,
	const struct qk_addr *endpoint, const struct qk_addr *local, __u64 now_ns,
	const struct qk_session **out);

/* The session a write (reply from endpoint to proxy port) belongs to, now
 * marked replied: 0 or -ENOENT. */
int qk_sessions__for_write(struct qk_sessions *t, __u16 port, const struct qk_addr *endpoint,
	__u64 now_ns, const struct qk_session **out);

/* Expires sessions idle since now_ns - idle_ns, and unreplied ones idle since
 * now_ns - unreplied_ns; returns how many. */
__u32 qk_sessions__expire(struct qk_sessions *t, __u64 now_ns);

/* Sets the caller's marks of a session returned by for_read/for_write. */
void qk_sessions__set_flows(struct qk_sessions *t, const struct qk_session *s, __u8 flows);

/* Removes every session (shutdown), counted and reported as expired. */
__u32 qk_sessions__close_all(struct qk_sessions *t, __u64 now_ns);

__u32 qk_sessions__count(const struct qk_sessions *t);
const struct qk_session_counters *qk_sessions__counters(const struct qk_sessions *t);

#ifdef __cplusplus
}
#endif

#endif /* QK_XSK_SESSION_H */
