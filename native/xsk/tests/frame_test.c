// SPDX-License-Identifier: Apache-2.0
/* Checks native/net/frame.{h,c}: parsing offsets and errors, the incremental
 * rewrite against full checksum recomputation, payload trims, the IPv4 <->
 * IPv6 switch through headroom, and the fan-out copy. */
#include <errno.h>
#include <string.h>

#include "../../net/csum.h"
#include "../../net/frame.h"
#include "testutil.h"

#define HEADROOM 256
#define BUF	 2048

struct spec {
	__u8 family, vlans, v4_opt_words, v6_ext;
	__u32 payload_len;
	int udp4_no_csum;
};

/* Builds a valid frame at buf + HEADROOM; returns its length. */
static __u32 build(__u8 *buf, const struct spec *s, struct qk_addr *src, struct qk_addr *dst)
{
	__u8 *f = buf + HEADROOM, *l3, *udp;
	__u32 off = 12, l3_len, udp_len = 8 + s->payload_len;

	test_fill(f, 12);
	for (int v = 0; v < s->vlans; v++, off += 4) {
		qk_store_be16(f + off, 0x8100);
		qk_store_be16(f + off + 2, (__u16)(v + 100));
	}
	qk_store_be16(f + off, s->family == QK_INET4 ? 0x0800 : 0x86dd);
	l3 = f + off + 2;
	if (s->family == QK_INET4) {
		l3_len = 20 + 4u * s->v4_opt_words;
		test_fill(l3, l3_len);
		l3[0] = (__u8)(0x40 | l3_len / 4);
		qk_store_be16(l3 + 2, (__u16)(l3_len + udp_len));
		qk_store_be16(l3 + 6, 0x4000);
		l3[9] = 17;
		memcpy(l3 + 12, src->addr, 4);
		memcpy(l3 + 16, dst->addr, 4);
		qk_store_be16(l3 + 10, qk_ipv4_hdr_csum(l3, l3_len));
	} else {
		l3_len = 40 + (s->v6_ext ? 8u : 0u);
		test_fill(l3, l3_len);
		l3[0] = (__u8)(0x60 | (l3[0] & 0x0f));
		qk_store_be16(l3 + 4, (__u16)(l3_len - 40 + udp_len));
		l3[6] = s->v6_ext ? 60 : 17;
		if (s->v6_ext) {
			l3[40] = 17;
			l3[41] = 0;
		}
		memcpy(l3 + 8, src->addr, 16);
		memcpy(l3 + 24, dst->addr, 16);
	}
	udp = l3 + l3_len;
	test_fill(udp + 8, s->payload_len);
	qk_store_be16(udp, src->port);
	qk_store_be16(udp + 2, dst->port);
	qk_store_be16(udp + 4, (__u16)udp_len);
	if (s->family == QK_INET4)
		qk_store_be16(udp + 6,
			s->udp4_no_csum ? 0 : qk_udp4_csum(l3 + 12, l3 + 16, udp, udp_len));
	else
		qk_store_be16(udp + 6, qk_udp6_csum(l3 + 8, l3 + 24, udp, udp_len));
	return (__u32)(udp + udp_len - f);
}

static void rand_addr(struct qk_addr *a, __u8 family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	test_fill(a->addr, family == QK_INET4 ? 4 : 16);
	a->port = (__u16)test_rand();
}

static void rand_rewrite(struct qk_rewrite *rw, __u8 family)
{
	memset(rw, 0, sizeof(*rw));
	test_fill(rw->eth_src, 6);
	test_fill(rw->eth_dst, 6);
	rand_addr(&rw->src, family);
	rand_addr(&rw->dst, family);
	rw->ttl = (__u8)(1 + test_rand() % 255);
}

/* Parses the rewritten frame again and checks every field and checksum. */
static void check_frame(const struct qk_frame *pkt, const struct qk_rewrite *rw,
	const __u8 *payload, __u32 payload_len, int case_no)
{
	struct qk_frame_info fi;
	struct qk_addr s, d;
	const __u8 *l3, *udp;
	__u16 want;

	CHECK(qk_frame__parse(pkt->data, pkt->len, &fi) == 0, "reparse case %d", case_no);
	if (test_failures)
		return;
	qk_frame__addrs(pkt->data, &fi, &s, &d);
	CHECK(!memcmp(&s, &rw->src, sizeof(s)) && !memcmp(&d, &rw->dst, sizeof(d)), "addrs %d",
		case_no);
	CHECK(!memcmp(pkt->data, rw->eth_dst, 6) && !memcmp(pkt->data + 6, rw->eth_src, 6),
		"macs %d", case_no);
	CHECK(fi.payload_len == payload_len && pkt->len == fi.payload_off + payload_len, "len %d",
		case_no);
	CHECK(!memcmp(pkt->data + fi.payload_off, payload, payload_len), "payload %d", case_no);
	l3 = pkt->data + fi.l3_off;
	udp = pkt->data + fi.l4_off;
	if (fi.family == QK_INET4) {
		CHECK(l3[8] == rw->ttl, "ttl %d", case_no);
		CHECK(qk_load_be16(l3 + 10) == qk_ipv4_hdr_csum(l3, (l3[0] & 15) * 4u),
			"ip csum %d", case_no);
		want = qk_udp4_csum(l3 + 12, l3 + 16, udp, payload_len + 8);
	} else {
		CHECK(l3[7] == rw->ttl, "hop limit %d", case_no);
		want = qk_udp6_csum(l3 + 8, l3 + 24, udp, payload_len + 8);
	}
	if (fi.family == QK_INET6 || qk_load_be16(udp + 6) != 0)
		CHECK(qk_load_be16(udp + 6) == want, "udp csum %d: %#x want %#x", case_no,
			qk_load_be16(udp + 6), want);
}

#include "frame_test_cases.h"

int main(void)
{
	int cases = 0;

	cases += test_parse_offsets();
	cases += test_parse_errors();
	cases += test_rewrite_random();
	cases += test_trim_and_switch();
	cases += test_copy_and_no_csum();
	cases += test_check_csum();
	return test_report("frame_test", cases);
}
