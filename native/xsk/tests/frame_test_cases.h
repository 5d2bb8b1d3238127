// SPDX-License-Identifier: Apache-2.0
/* Test cases of frame_test.c, kept apart so each file stays short. */

static int test_parse_offsets(void)
{
	static __u8 buf[BUF];
	const struct spec specs[] = {
		{QK_INET4, 0, 0, 0, 32, 0},
		{QK_INET4, 1, 0, 0, 0, 0},
		{QK_INET4, 2, 3, 0, 100, 0},
		{QK_INET6, 0, 0, 0, 32, 0},
		{QK_INET6, 1, 0, 1, 7, 0},
	};
	int n = 0;

	for (unsigned i = 0; i < sizeof(specs) / sizeof(specs[0]); i++, n++) {
		const struct spec *s = &specs[i];
		struct qk_addr src, dst, ps, pd;
		struct qk_frame_info fi;
		__u32 len, l3 = 14 + 4u * s->vlans;
		__u32 l4 = l3 + (s->family == QK_INET4 ? 20 + 4u * s->v4_opt_words
						       : 40 + (s->v6_ext ? 8u : 0u));

		rand_addr(&src, s->family);
		rand_addr(&dst, s->family);
		len = build(buf, s, &src, &dst);
		CHECK(qk_frame__parse(buf + HEADROOM, len + 6 /* padding */, &fi) == 0, "spec %u",
			i);
		CHECK(fi.l3_off == l3 && fi.l4_off == l4 && fi.payload_off == l4 + 8, "offsets %u",
			i);
		CHECK(fi.payload_len == s->payload_len && fi.vlan_count == s->vlans, "lens %u", i);
		qk_frame__addrs(buf + HEADROOM, &fi, &ps, &pd);
		CHECK(!memcmp(&ps, &src, sizeof(ps)) && !memcmp(&pd, &dst, sizeof(pd)), "addrs %u",
			i);
	}
	return n;
}

static int test_parse_errors(void)
{
	static __u8 buf[BUF];
	struct spec s4 = {QK_INET4, 0, 0, 0, 20, 0}, s6 = {QK_INET6, 0, 0, 0, 20, 0};
	struct qk_addr a, b;
	struct qk_frame_info fi;
	__u8 *f = buf + HEADROOM;
	__u32 len;

	rand_addr(&a, QK_INET4);
	rand_addr(&b, QK_INET4);
	len = build(buf, &s4, &a, &b);
	CHECK(qk_frame__parse(f, len - 1, &fi) == -EBADMSG, "truncated payload");
	CHECK(qk_frame__parse(f, 13, &fi) == -EBADMSG, "short ethernet");
	CHECK(qk_frame__parse(f, 30, &fi) == -EBADMSG, "short ip");
	f[14] = 0x44;
	CHECK(qk_frame__parse(f, len, &fi) == -EBADMSG, "ihl 4");
	f[14] = 0x45;
	qk_store_be16(f + 38, 500);
	CHECK(qk_frame__parse(f, len, &fi) == -EBADMSG, "udp length beyond ip");
	qk_store_be16(f + 38, 28);
	qk_store_be16(f + 20, 0x2000);
	CHECK(qk_frame__parse(f, len, &fi) == -EOPNOTSUPP, "fragment");
	qk_store_be16(f + 20, 0);
	f[23] = 6;
	CHECK(qk_frame__parse(f, len, &fi) == -EPROTONOSUPPORT, "tcp");
	qk_store_be16(f + 12, 0x0806);
	CHECK(qk_frame__parse(f, len, &fi) == -EPROTONOSUPPORT, "arp");
	rand_addr(&a, QK_INET6);
	rand_addr(&b, QK_INET6);
	len = build(buf, &s6, &a, &b);
	f[20] = 44;
	CHECK(qk_frame__parse(f, len, &fi) == -EOPNOTSUPP, "ipv6 fragment");
	f[20] = 17;
	qk_store_be16(f + 18, 2000);
	CHECK(qk_frame__parse(f, len, &fi) == -EBADMSG, "ipv6 payload length");
	return 10;
}

/* Headers-only rewrite (the incremental path), many random frames. */
static int test_rewrite_random(void)
{
	static __u8 buf[BUF], payload[BUF];
	int n = 0;

	for (int i = 0; i < 4000; i++, n++) {
		struct spec s = {i % 2 ? QK_INET6 : QK_INET4, (__u8)(i % 3), 0, 0,
			(__u32)(test_rand() % 1400), 0};
		struct qk_addr a, b;
		struct qk_rewrite rw;
		struct qk_frame_info fi;
		struct qk_frame pkt = {buf + HEADROOM, 0, HEADROOM};

		rand_addr(&a, s.family);
		rand_addr(&b, s.family);
		pkt.len = build(buf, &s, &a, &b);
		memcpy(payload, pkt.data + pkt.len - s.payload_len, s.payload_len);
		CHECK(qk_frame__parse(pkt.data, pkt.len, &fi) == 0, "parse %d", i);
		rand_rewrite(&rw, s.family);
		CHECK(qk_frame__rewrite(&pkt, &fi, &rw) == 0, "rewrite %d", i);
		CHECK(pkt.data == buf + HEADROOM, "incremental path moved the frame %d", i);
		check_frame(&pkt, &rw, payload, s.payload_len, i);
		if (test_failures)
			break;
	}
	return n;
}

/* Capture-with-remove shortens the payload; a family switch moves headers. */
static int test_trim_and_switch(void)
{
	static __u8 buf[BUF], payload[BUF];
	int n = 0;

	for (int i = 0; i < 400; i++, n++) {
		struct spec s = {i % 2 ? QK_INET6 : QK_INET4, (__u8)(i % 2),
			(__u8)(i % 4 == 0 ? 2 : 0), (__u8)(i % 4 == 1),
			40 + (__u32)(test_rand() % 600), 0};
		__u32 front = (__u32)(test_rand() % 8), back = (__u32)(test_rand() % 8);
		struct qk_addr a, b;
		struct qk_rewrite rw;
		struct qk_frame_info fi;
		struct qk_frame pkt = {buf + HEADROOM, 0, HEADROOM};

		rand_addr(&a, s.family);
		rand_addr(&b, s.family);
		pkt.len = build(buf, &s, &a, &b);
		CHECK(qk_frame__parse(pkt.data, pkt.len, &fi) == 0, "parse %d", i);
		memcpy(payload, pkt.data + fi.payload_off + front, s.payload_len - front - back);
		CHECK(qk_frame__trim_payload_front(&pkt, &fi, front) == 0, "trim %d", i);
		CHECK(qk_frame__set_payload_len(&pkt, &fi, fi.payload_len - back, BUF) == 0,
			"cut %d", i);
		rand_rewrite(
			&rw, i % 3 == 0 ? (s.family == QK_INET4 ? QK_INET6 : QK_INET4) : s.family);
		CHECK(qk_frame__rewrite(&pkt, &fi, &rw) == 0, "rewrite %d", i);
		check_frame(&pkt, &rw, payload, s.payload_len - front - back, i);
		if (test_failures)
			break;
	}
	return n;
}

static int test_copy_and_no_csum(void)
{
	static __u8 buf[BUF], other[BUF];
	struct spec s = {QK_INET4, 0, 0, 0, 30, 1};
	struct qk_addr a, b;
	struct qk_rewrite rw;
	struct qk_frame_info fi;
	struct qk_frame pkt = {buf + HEADROOM, 0, HEADROOM}, copy;

	rand_addr(&a, QK_INET4);
	rand_addr(&b, QK_INET4);
	pkt.len = build(buf, &s, &a, &b);
	CHECK(qk_frame__copy(&pkt, other, BUF, 100, &copy) == 0, "copy");
	CHECK(copy.data == other + 100 && copy.len == pkt.len &&
			!memcmp(copy.data, pkt.data, pkt.len),
		"copy content");
	CHECK(qk_frame__copy(&pkt, other, 60, 10, &copy) == -ENOSPC, "copy too small");
	CHECK(qk_frame__parse(pkt.data, pkt.len, &fi) == 0, "parse");
	rand_rewrite(&rw, QK_INET4);
	CHECK(qk_frame__rewrite(&pkt, &fi, &rw) == 0, "rewrite");
	CHECK(qk_load_be16(pkt.data + fi.l4_off + 6) == 0, "no checksum stays none");
	/* Growing into headroom that is not there fails cleanly. */
	pkt.headroom = 0;
	rand_rewrite(&rw, QK_INET6);
	CHECK(qk_frame__rewrite(&pkt, &fi, &rw) == -ENOSPC, "no headroom for ipv6");
	rw.src.family = QK_INET4;
	CHECK(qk_frame__rewrite(&pkt, &fi, &rw) == -EINVAL, "mixed families");
	return 7;
}

/* qk_frame__check_csum: good, none (IPv4 only), a wrong UDP or IPv4 header
 * checksum, and the partial one a sender with TX offload leaves (the folded
 * pseudo-header sum), with options and extension headers too. */
static int test_check_csum(void)
{
	static const struct spec specs[] = {
		{QK_INET4, 0, 0, 0, 31, 0},
		{QK_INET4, 1, 2, 0, 64, 0},
		{QK_INET4, 0, 0, 0, 9, 1},
		{QK_INET6, 0, 0, 0, 31, 0},
		{QK_INET6, 2, 0, 1, 64, 0},
	};
	static __u8 buf[BUF];
	int n = 0;

	for (unsigned int i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		struct qk_frame_info fi;
		struct qk_addr a, b;
		__u32 len;
		__u8 *f = buf + HEADROOM, *ucsum, *l3;
		__u16 good, partial;
		__u32 alen;
		__u64 sum;

		rand_addr(&a, s->family);
		rand_addr(&b, s->family);
		len = build(buf, s, &a, &b);
		CHECK(qk_frame__parse(f, len, &fi) == 0, "parse %u", i);
		l3 = f + fi.l3_off;
		ucsum = f + fi.l4_off + 6;
		good = qk_load_be16(ucsum);
		CHECK(qk_frame__check_csum(f, &fi) == QK_CSUM_OK, "good %u", i);
		CHECK(!qk_frame__csum_partial(f, &fi), "good is not partial %u", i);
		if (s->family == QK_INET4) {
			l3[10] ^= 0x10;
			CHECK(qk_frame__check_csum(f, &fi) == QK_CSUM_BAD, "bad ip %u", i);
			l3[10] ^= 0x10;
			n += 2;
		}
		if (good == 0) {
			n += 4;
			continue; /* IPv4 "none": nothing more to corrupt */
		}
		f[fi.payload_off] ^= 1;
		CHECK(qk_frame__check_csum(f, &fi) == QK_CSUM_BAD, "bad payload %u", i);
		f[fi.payload_off] ^= 1;
		if (s->family == QK_INET6) {
			qk_store_be16(ucsum, 0);
			CHECK(qk_frame__check_csum(f, &fi) == QK_CSUM_BAD, "ipv6 zero %u", i);
			n++;
		}
		/* The partial value: the folded pseudo-header sum, not complemented. */
		alen = s->family == QK_INET4 ? 4 : 16;
		sum = qk_csum_add(0, l3 + (s->family == QK_INET4 ? 12 : 8), 2 * alen);
		partial = qk_csum_fold(sum + 17 + fi.payload_len + 8);
		qk_store_be16(ucsum, partial);
		CHECK(qk_frame__csum_partial(f, &fi), "partial seen %u", i);
		CHECK(qk_frame__check_csum(f, &fi) == QK_CSUM_PARTIAL, "partial %u", i);
		qk_store_be16(ucsum, good);
		n += 5;
	}
	return n;
}
