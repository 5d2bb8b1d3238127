// SPDX-License-Identifier: Apache-2.0
// The native quilkin_packet_jitter (native/engine/packet_jitter.h): nothing before a second
// packet, the gap between single receives, 0 after a batch of two or more, directions apart, and
// the reader taking the value set last over several workers. Exits non-zero on a failure.
#include <cstdio>

#include "native/engine/packet_jitter.h"

using namespace qk::timing;
using ll = long long;

namespace {

int failures = 0;

void expect_eq(const char* what, long long got, long long want) {
  if (got == want) return;
  std::fprintf(stderr, "FAIL %s: got %lld, want %lld\n", what, got, want);
  failures++;
}

JitterReading read(const PacketJitter& a, const PacketJitter* b = nullptr) {
  JitterReading r;
  r.add(a);
  if (b) r.add(*b);
  return r;
}

void one_worker() {
  PacketJitter out;
  JitterTracker t;
  t.received(0, 1, 1000, out);
  expect_eq("first packet: not set", read(out).has[0], 0);
  t.received(0, 1, 51000, out);
  expect_eq("second packet: set", read(out).has[0], 1);
  expect_eq("gap between single receives", ll(read(out).ns[0]), 50000);
  t.received(0, 3, 90000, out);
  expect_eq("a batch of 3: the last two arrived together", ll(read(out).ns[0]), 0);
  t.received(0, 1, 100000, out);
  expect_eq("single after a batch: gap to the batch", ll(read(out).ns[0]), 10000);
  t.received(0, 0, 200000, out);
  expect_eq("an empty batch changes nothing", ll(read(out).ns[0]), 10000);
  expect_eq("writes untouched by reads", read(out).has[1], 0);
  t.received(1, 2, 300000, out);
  expect_eq("first write batch of 2: set to 0", read(out).has[1], 1);
  expect_eq("first write batch of 2: value", ll(read(out).ns[1]), 0);
  expect_eq("reads untouched by writes", ll(read(out).ns[0]), 10000);
}

void newest_worker_wins() {
  PacketJitter a, b;
  JitterTracker ta, tb;
  ta.received(0, 1, 1000, a);
  ta.received(0, 1, 8000, a);  // 7000, set at 8000
  tb.received(0, 1, 2000, b);
  tb.received(0, 1, 5000, b);  // 3000, set at 5000
  expect_eq("a set last", ll(read(a, &b).ns[0]), 7000);
  expect_eq("order of adding does not matter", ll(read(b, &a).ns[0]), 7000);
  tb.received(0, 1, 9000, b);  // 4000, set at 9000
  expect_eq("b set last now", ll(read(a, &b).ns[0]), 4000);
}

}  // namespace

int main() {
  one_worker();
  newest_worker_wins();
  if (failures) return 1;
  std::printf("packet_jitter_test: ok\n");
  return 0;
}
