/* SPDX-License-Identifier: Apache-2.0 */
/* Hand-built test frames: a small description in, the Ethernet frame out. */
#ifndef QK_TEST_FRAMES_H
#define QK_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 1024

enum frame_l2 {
	L2_PLAIN = 0, /* Ethernet II */
	L2_8021Q,     /* one 802.1Q tag */
	L2_8021AD,    /* one 802.1ad (S-)tag */
	L2_QINQ,      /* 802.1ad outer + 802.1Q inner tag */
};

enum frame_l3 {
	L3_IPV4 = 0,
	L3_IPV6,
	L3_ARP,
};

struct frame_spec {
	enum frame_l2 l2;
	enum frame_l3 l3;
	uint8_t ip_proto;     /* 0 = UDP; else IPPROTO_TCP, IPPROTO_ICMP, ... */
	uint8_t v4_opt_words; /* IPv4 options, in 4-byte words (IHL = 5 + this) */
	bool has_v6_ext;      /* an 8-byte IPv6 extension header sits before the transport */
	uint8_t v6_ext;	      /* its type (0 is hop-by-hop, hence has_v6_ext) */
	uint16_t v4_frag;     /* IPv4 flags/fragment-offset field (host order) */
	uint16_t dst_port;
	const char *dst_ip; /* NULL = the default destination of the family */
	uint16_t payload_len;
	int udp_len_delta;  /* added to the correct UDP length field */
	uint8_t ip_version; /* 0 = correct version; else written as is */
	uint8_t v4_ihl;	    /* 0 = correct IHL; else written as is */
};

#define FRAME_DEFAULT_DST_V4 "10.99.0.1"
#define FRAME_DEFAULT_DST_V6 "fd00:99::1"

/* Writes the frame into buf (FRAME_MAX bytes); returns its length, or -1 on a bad spec. */
int frame__build(const struct frame_spec *spec, uint8_t *buf);

#endif /* QK_TEST_FRAMES_H */
