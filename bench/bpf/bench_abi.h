// SPDX-License-Identifier: Apache-2.0
// Map values shared by the benchmark BPF programs and their loaders (one definition,
// compiled by both clang -target bpf and gcc). All addresses and ports are in network
// byte order, as they sit in the packet.
#ifndef QKB_BENCH_ABI_H
#define QKB_BENCH_ABI_H

#include <linux/types.h>

#define GEN_MAX_FRAME	 1536
#define GEN_PORTS_PER_IP 50000 /* same session -> address mapping as bench/tools/udpgen.c */
#define GEN_FIRST_PORT	 10000

/* xdp_gen: the frame template every run rewrites into its (recycled) live-frame page. */
struct gen_cfg {
	__u32 len;	/* frame length in bytes, <= GEN_MAX_FRAME */
	__u32 sessions; /* distinct client source addresses to cycle through */
	__u32 ports_per_ip; /* sessions per source IP before the next IP (GEN_PORTS_PER_IP by default) */
	__u8 frame[GEN_MAX_FRAME];
};

/* xdp_sink: which packets to count (a range of destination ports: one endpoint, or the
 * endpoints of the sessions-over-endpoints run), and whether to drop them after counting. */
struct sink_cfg {
	__u16 first_port; /* host order: ports [first_port, first_port + ports) are counted */
	__u16 ports;
	__u8 drop;
	__u8 pad[3];
};

struct sink_counters {
	__u64 packets;
	__u64 bytes;
};

/* xdp_fwd (the XDP ceiling): a one-endpoint UDP NAT done entirely in XDP. Client
 * packets to listen_ip:listen_port go to server_ip:server_port from out_src_ip with
 * the client's source port kept; replies come back the same way reversed. */
struct fwd_cfg {
	__be32 listen_ip, out_src_ip, server_ip;
	__be16 listen_port, server_port;
	__u32 client_ifindex, server_ifindex;
	__u8 client_side_mac[6], client_mac[6]; /* our MAC and the next hop on the client side */
	__u8 server_side_mac[6], server_mac[6]; /* same on the server side */
};

#endif
