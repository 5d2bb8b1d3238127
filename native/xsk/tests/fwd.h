// SPDX-License-Identifier: Apache-2.0
/* The standalone test forwarder: state shared by its setup and its loop. */
#ifndef QK_FWD_H
#define QK_FWD_H

#include <bpf/libbpf.h>
#include <net/if.h>

#include "drop_reasons.h"
#include "neigh.h"
#include "ring.h"
#include "session.h"

#define FWD_MAX_IFACES	  2
#define FWD_MAX_ENDPOINTS 4
#define FWD_BATCH	  64

struct fwd_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	__u8 mac[QK_ETH_ALEN];
	struct bpf_object *obj; /* one program instance per interface: own XSKMAP */
	int attached;
	struct qk_umem *umem;
	struct qk_xsk *xsk;
	struct qk_desc tx[FWD_BATCH * FWD_MAX_ENDPOINTS * FWD_MAX_IFACES];
	__u32 tx_n;
};

struct fwd_opts {
	const char *ifnames[FWD_MAX_IFACES];
	int n_ifaces;
	struct qk_addr endpoints[FWD_MAX_ENDPOINTS];
	int n_endpoints;
	__u16 listen_port;
	__u16 port_min, port_max;
	__u32 xdp_flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	const char *bpf_obj;
	__u32 duration_ms;
};

struct fwd_counters {
	__u64 rx;
	__u64 tx;
	__u64 reads;  /* frames received from clients (each goes to every endpoint) */
	__u64 writes; /* frames received on session ports (replies) */
	__u64 copies; /* frames copied to another interface's UMEM or fanned out */
	__u64 drops[QK_DROP__MAX];
};

struct fwd {
	struct fwd_opts opts;
	struct fwd_iface ifaces[FWD_MAX_IFACES];
	struct qk_sessions *sessions;
	struct qk_nhcache *nh;
	struct fwd_counters c;
};

/* Loads a program instance, binds the AF_XDP socket, registers it in the
 * XSKMAP, writes the config map and attaches. 0 or negative errno. */
int fwd_iface__open(struct fwd_iface *f, const struct fwd_opts *o);
void fwd_iface__close(struct fwd_iface *f, __u32 xdp_flags);

#endif /* QK_FWD_H */
