// SPDX-License-Identifier: Apache-2.0
/*
 * Builds test frames field by field with explicit byte offsets, independent
 * of the BPF parser's structs, so a layout mistake in one is not repeated in
 * the other.
 */
#include "frames.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return p + 2;
}

static uint8_t *put_l2(const struct frame_spec *spec, uint8_t *p, uint16_t ethertype)
{
	static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0x99, 0x01};
	static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0x99, 0x02};

	memcpy(p, dst_mac, 6);
	memcpy(p + 6, src_mac, 6);
	p += 12;
	if (spec->l2 == L2_8021AD || spec->l2 == L2_QINQ) {
		p = put16(p, 0x88a8);
		p = put16(p, 100); /* TCI: VLAN 100 */
	}
	if (spec->l2 == L2_8021Q || spec->l2 == L2_QINQ) {
		p = put16(p, 0x8100);
		p = put16(p, 200);
	}
	return put16(p, ethertype);
}

static uint16_t ipv4_checksum(const uint8_t *hdr, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The transport header and payload; returns its length. */
static size_t put_l4(const struct frame_spec *spec, uint8_t *p)
{
	size_t len;

	switch (spec->ip_proto) {
	case 0: /* UDP */
		len = 8 + spec->payload_len;
		put16(p, 40000);
		put16(p + 2, spec->dst_port);
		put16(p + 4, (uint16_t)((int)len + spec->udp_len_delta));
		put16(p + 6, 0); /* checksum: optional over IPv4, unchecked here */
		break;
	case IPPROTO_TCP:
		len = 20 + spec->payload_len;
		memset(p, 0, 20);
		put16(p, 40000);
		put16(p + 2, spec->dst_port);
		p[12] = 5 << 4; /* data offset */
		p[13] = 0x02;	/* SYN */
		break;
	default: /* ICMP / ICMPv6 echo request */
		len = 8 + spec->payload_len;
		memset(p, 0, 8);
		p[0] = spec->ip_proto == IPPROTO_ICMP ? 8 : 128;
		break;
	}
	memset(p + len - spec->payload_len, 0xab, spec->payload_len);
	return len;
}

static int put_ipv4(const struct frame_spec *spec, uint8_t *p)
{
	size_t hdr_len = 20 + 4 * (size_t)spec->v4_opt_words;
	size_t l4_len = put_l4(spec, p + hdr_len);
	uint8_t ihl = spec->v4_ihl ? spec->v4_ihl : (uint8_t)(hdr_len / 4);

	memset(p, 0, hdr_len);
	p[0] = (uint8_t)((spec->ip_version ? spec->ip_version : 4) << 4 | (ihl & 0x0f));
	put16(p + 2, (uint16_t)(hdr_len + l4_len));
	put16(p + 6, spec->v4_frag);
	p[8] = 64;
	p[9] = spec->ip_proto ? spec->ip_proto : IPPROTO_UDP;
	inet_pton(AF_INET, "10.99.0.2", p + 12);
	if (inet_pton(AF_INET, spec->dst_ip ? spec->dst_ip : FRAME_DEFAULT_DST_V4, p + 16) != 1)
		return -1;
	memset(p + 20, 0x01, hdr_len - 20); /* NOP options */
	put16(p + 10, ipv4_checksum(p, hdr_len));
	return (int)(hdr_len + l4_len);
}

static int put_ipv6(const struct frame_spec *spec, uint8_t *p)
{
	uint8_t transport = spec->ip_proto ? spec->ip_proto : IPPROTO_UDP;
	size_t ext_len = spec->has_v6_ext ? 8 : 0;
	size_t l4_len = put_l4(spec, p + 40 + ext_len);

	memset(p, 0, 40 + ext_len);
	p[0] = (uint8_t)((spec->ip_version ? spec->ip_version : 6) << 4);
	put16(p + 4, (uint16_t)(ext_len + l4_len));
	p[6] = spec->has_v6_ext ? spec->v6_ext : transport;
	p[7] = 64;
	inet_pton(AF_INET6, "fd00:99::2", p + 8);
	if (inet_pton(AF_INET6, spec->dst_ip ? spec->dst_ip : FRAME_DEFAULT_DST_V6, p + 24) != 1)
		return -1;
	if (ext_len) {
		p[40] = transport; /* next header; length 0 = 8 bytes of padding options */
		p[42] = 1;	   /* PadN */
		p[43] = 4;
	}
	return (int)(40 + ext_len + l4_len);
}

static int put_arp(uint8_t *p)
{
	memset(p, 0, 28);
	put16(p, 1); /* Ethernet */
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, 1); /* request */
	inet_pton(AF_INET, "10.99.0.2", p + 14);
	inet_pton(AF_INET, "10.99.0.1", p + 24);
	return 28;
}

int frame__build(const struct frame_spec *spec, uint8_t *buf)
{
	static const uint16_t ethertypes[] = {
		[L3_IPV4] = 0x0800, [L3_IPV6] = 0x86dd, [L3_ARP] = 0x0806};
	uint8_t *p;
	int l3_len;

	if (spec->payload_len > FRAME_MAX - 128)
		return -1;
	memset(buf, 0, FRAME_MAX);
	p = put_l2(spec, buf, ethertypes[spec->l3]);
	if (spec->l3 == L3_IPV4)
		l3_len = put_ipv4(spec, p);
	else if (spec->l3 == L3_IPV6)
		l3_len = put_ipv6(spec, p);
	else
		l3_len = put_arp(p);
	if (l3_len < 0)
		return -1;
	return (int)(p - buf) + l3_len;
}
