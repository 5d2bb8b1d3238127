// SPDX-License-Identifier: Apache-2.0
/* Checks the UMEM frame allocator without a socket (no privileges): option
 * validation, allocation until exhaustion (counted), frees by any address
 * inside a frame, and that every frame is handed out exactly once. */
#include <errno.h>
#include <string.h>

#include "../ring.h"
#include "testutil.h"

static int test_options(void)
{
	struct qk_umem_opts bad_size = {.frame_count = 8, .frame_size = 3000};
	struct qk_umem_opts bad_ring = {.frame_count = 8, .fill_size = 100};
	struct qk_umem *u = NULL;

	CHECK(qk_umem__create(&u, &bad_size) == -EINVAL, "frame size not a power of two");
	CHECK(qk_umem__create(&u, &bad_ring) == -EINVAL, "fill ring not a power of two");
	return 2;
}

static int test_alloc_until_exhausted(void)
{
	struct qk_umem_opts o = {.frame_count = 16, .frame_size = 2048};
	unsigned char seen[16] = {0};
	struct qk_umem *u;
	__u64 addr = 0, first = 0;

	CHECK(qk_umem__create(&u, &o) == 0, "create");
	if (test_failures)
		return 1;
	CHECK(u->size == 16 * 2048 && u->free_count == 16, "size %llu",
		(unsigned long long)u->size);
	for (int i = 0; i < 16; i++) {
		if (qk_umem__alloc(u, &addr)) {
			CHECK(0, "alloc %d failed early", i);
			break;
		}
		CHECK(addr % 2048 == 0 && addr < u->size && !seen[addr / 2048], "frame %llu",
			(unsigned long long)addr);
		seen[addr / 2048] = 1;
		qk_umem__data(u, addr)[0] = (__u8)i; /* the area is writable */
	}
	CHECK(qk_umem__alloc(u, &addr) == -ENOMEM, "exhausted");
	CHECK(u->counters.alloc_failed == 1, "exhaustion counted");
	/* A descriptor address points inside its frame (past the headroom). */
	qk_umem__free(u, 5 * 2048 + 256);
	CHECK(qk_umem__alloc(u, &first) == 0 && first == 5 * 2048, "freed by inner address");
	CHECK(qk_umem__frame_base(u, 7 * 2048 + 1999) == 7 * 2048, "frame base");
	qk_umem__delete(u);
	return 22;
}

int main(void)
{
	int n = test_options();

	n += test_alloc_until_exhausted();
	return test_report("umem_test", n);
}
