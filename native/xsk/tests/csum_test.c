// SPDX-License-Identifier: Apache-2.0
/* Checks native/net/csum.h: full sums against a naive reference, known
 * vectors from RFC 1071/1624, and incremental updates against a full
 * recomputation over many random IPv4, UDP/IPv4 and UDP/IPv6 headers. */
#include <string.h>

#include "../../net/csum.h"
#include "testutil.h"

#define ROUNDS 20000

/* Independent reference: fold after every addition, byte by byte. */
static uint16_t ref_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++) {
		s += (i % 2 == 0) ? (uint32_t)b[i] << 8 : b[i];
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* 0x0000 and 0xffff are the same number in ones' complement. */
static int same_csum(uint16_t a, uint16_t b)
{
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

static void test_full_sum(void)
{
	uint8_t buf[1500];

	for (int i = 0; i < 2000; i++) {
		size_t n = test_rand() % sizeof(buf);

		test_fill(buf, n);
		CHECK(qk_csum_buf(buf, (__u32)n) == ref_csum(buf, n), "len %zu", n);
	}
}

static void test_known_vectors(void)
{
	const uint8_t iph[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00,
		0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

	CHECK(qk_ipv4_hdr_csum(iph, 20) == 0xb861, "got %#x", qk_ipv4_hdr_csum(iph, 20));
	/* RFC 1624 section 4: eqn. 3 gives 0x0000 where eqn. 2 gave 0xffff. */
	CHECK(qk_csum_replace16(0xdd2f, 0x5555, 0x3285) == 0x0000, "rfc1624 example");
}

static void test_ipv4_incremental(void)
{
	uint8_t h[60];

	for (int i = 0; i < ROUNDS; i++) {
		__u32 ihl = 20 + 4 * (test_rand() % 11), ns = (__u32)test_rand();
		__u32 nd = (__u32)test_rand();
		__u16 c, word;

		test_fill(h, ihl);
		h[0] = (uint8_t)(0x40 | ihl / 4);
		c = qk_ipv4_hdr_csum(h, ihl);
		c = qk_csum_replace32(c, qk_load_be32(h + 12), ns);
		c = qk_csum_replace32(c, qk_load_be32(h + 16), nd);
		word = qk_load_be16(h + 8);
		h[8] = (uint8_t)test_rand();
		c = qk_csum_replace16(c, word, qk_load_be16(h + 8));
		qk_store_be32(h + 12, ns);
		qk_store_be32(h + 16, nd);
		CHECK(same_csum(c, qk_ipv4_hdr_csum(h, ihl)), "round %d", i);
		qk_store_be16(h + 10, c);
		CHECK(qk_csum_verify(qk_csum_add(0, h, ihl)), "verify round %d", i);
	}
}

static void change_ports(uint8_t *udp, __u16 *c)
{
	__u16 sp = (__u16)test_rand(), dp = (__u16)test_rand();

	*c = qk_csum_replace16(*c, qk_load_be16(udp), sp);
	*c = qk_csum_replace16(*c, qk_load_be16(udp + 2), dp);
	qk_store_be16(udp, sp);
	qk_store_be16(udp + 2, dp);
}

static void test_udp4_incremental(void)
{
	uint8_t s[4], d[4], udp[600];

	for (int i = 0; i < ROUNDS; i++) {
		__u32 len = 8 + (__u32)(test_rand() % (sizeof(udp) - 8));
		__u32 ns = (__u32)test_rand(), nd = (__u32)test_rand();
		__u16 c;

		test_fill(s, 4);
		test_fill(d, 4);
		test_fill(udp, len);
		qk_store_be16(udp + 4, (__u16)len);
		c = qk_udp4_csum(s, d, udp, len);
		c = qk_csum_replace32(c, qk_load_be32(s), ns);
		c = qk_csum_replace32(c, qk_load_be32(d), nd);
		qk_store_be32(s, ns);
		qk_store_be32(d, nd);
		change_ports(udp, &c);
		c = qk_udp_csum_wire(c);
		CHECK(c != 0, "wire checksum 0 in round %d", i);
		CHECK(same_csum(c, qk_udp4_csum(s, d, udp, len)), "round %d", i);
	}
}

static void test_udp6_incremental(void)
{
	uint8_t s[16], d[16], ns[16], nd[16], udp[600];

	for (int i = 0; i < ROUNDS; i++) {
		__u32 len = 8 + (__u32)(test_rand() % (sizeof(udp) - 8));
		__u16 c;

		test_fill(s, 16);
		test_fill(d, 16);
		test_fill(ns, 16);
		test_fill(nd, 16);
		test_fill(udp, len);
		qk_store_be16(udp + 4, (__u16)len);
		c = qk_udp6_csum(s, d, udp, len);
		c = qk_csum_replace_addr6(c, s, ns);
		c = qk_csum_replace_addr6(c, d, nd);
		change_ports(udp, &c);
		c = qk_udp_csum_wire(c);
		CHECK(same_csum(c, qk_udp6_csum(ns, nd, udp, len)), "round %d", i);
		qk_store_be16(udp + 6, c);
		{
			__u64 sum = qk_csum_add(qk_csum_add(0, ns, 16), nd, 16) + 17 + len;

			CHECK(qk_csum_verify(qk_csum_add(sum, udp, len)), "verify round %d", i);
		}
	}
}

/* A datagram whose checksum computes to 0 must carry 0xffff: 0 is "none". */
static void test_zero_becomes_ffff(void)
{
	uint8_t s[4] = {10, 0, 0, 1}, d[4] = {10, 0, 0, 2}, udp[16];
	__u16 c;

	memset(udp, 0, sizeof(udp));
	qk_store_be16(udp, 1234);
	qk_store_be16(udp + 2, 5678);
	qk_store_be16(udp + 4, sizeof(udp));
	c = qk_udp4_csum(s, d, udp, sizeof(udp));
	qk_store_be16(udp + 14, c); /* makes the sum all ones: ~sum is 0 */
	c = qk_udp4_csum(s, d, udp, sizeof(udp));
	CHECK(c == 0xffff, "got %#x", c);
}

int main(void)
{
	test_full_sum();
	test_known_vectors();
	test_ipv4_incremental();
	test_udp4_incremental();
	test_udp6_incremental();
	test_zero_becomes_ffff();
	return test_report("csum_test", 2000 + 3 * ROUNDS + 3);
}
