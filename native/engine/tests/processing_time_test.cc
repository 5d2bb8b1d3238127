// SPDX-License-Identifier: Apache-2.0
// The native processing-time histogram (native/engine/processing_time.h): bucket selection for
// given tick deltas at a known tick rate (prom-client's rule, value <= bound), the published
// counts and sum, the calibration against CLOCK_MONOTONIC, and a measured cost per packet
// boundary. Exits non-zero with a message on the first failure.
#include <cstdio>
#include <cstdlib>

#include "native/engine/processing_time.h"

using namespace qk::timing;
using ll = long long;

namespace {

int failures = 0;

void expect(bool ok, const char* what, long long got, long long want) {
  if (ok) return;
  std::fprintf(stderr, "FAIL %s: got %lld, want %lld\n", what, got, want);
  failures++;
}

void expect_eq(const char* what, long long got, long long want) { expect(got == want, what, got, want); }

// 2 GHz: a tick is 0.5 ns, so bound k (250 us * 2^k) is 500000 << k ticks.
void bucket_selection() {
  TickScale s;
  s.set(0.5);
  expect_eq("limit 0", ll(s.first_limit()), 500000);
  expect_eq("0 ticks", s.bucket(0), 0);
  expect_eq("1 us", s.bucket(2000), 0);
  expect_eq("exactly 0.25 ms", s.bucket(500000), 0);
  expect_eq("0.25 ms + 1 tick", s.bucket(500001), 1);
  expect_eq("exactly 0.5 ms", s.bucket(1000000), 1);
  expect_eq("0.5 ms + 1 tick", s.bucket(1000001), 2);
  expect_eq("3 ms", s.bucket(6000000), 4);  // 2 ms < 3 ms <= 4 ms
  for (int k = 0; k < kBounds; k++) {
    uint64_t limit = 500000ull << k;
    expect_eq("bound k", s.bucket(limit), k);
    expect_eq("above bound k", s.bucket(limit + 1), k + 1);
  }
  expect_eq("exactly 1.024 s", s.bucket(2048000000ull), kBounds - 1);
  expect_eq("above 1.024 s is +Inf", s.bucket(2048000001ull), kBounds);
  expect_eq("a day is +Inf", s.bucket(172800000000000ull), kBounds);
  expect_eq("to_ns", ll(s.to_ns(2001)), 1001);  // 1000.5 rounds up

  // 1 tick = 1 ns (the clock_gettime fallback).
  s.set(1.0);
  expect_eq("1 ns/tick: 250000", s.bucket(250000), 0);
  expect_eq("1 ns/tick: 250001", s.bucket(250001), 1);
  // 3 GHz: 250 us = 750000 ticks, whatever the rounding of 1/3.
  s.set(1.0 / 3.0);
  expect_eq("3 GHz: 749999", s.bucket(749999), 0);
  expect_eq("3 GHz: 750001", s.bucket(750001), 1);
}

// Deltas through a timer with a fixed scale, then published: plain counts per bucket and the sum.
void recording_and_publish() {
  ProcessingTimer t;
  t.set_scale(0.5);
  ProcessingHistogram h;
  const uint64_t reads[] = {1000, 2000, 500000, 500001, 6000000, 5000000000ull};
  for (uint64_t dt : reads) t.record(0, dt);
  t.record(1, 4000);
  t.record(1, uint64_t(-5));  // a TSC behind the previous reading counts as 0
  ProcessingTotals before;
  before.add(h);
  expect_eq("nothing published before publish()", ll(before.count(0)), 0);
  t.publish(h);
  ProcessingTotals got;
  got.add(h);
  expect_eq("read bucket 0", ll(got.buckets[0][0]), 3);
  expect_eq("read bucket 1", ll(got.buckets[0][1]), 1);
  expect_eq("read bucket 4", ll(got.buckets[0][4]), 1);
  expect_eq("read +Inf", ll(got.buckets[0][kBounds]), 1);
  expect_eq("read count", ll(got.count(0)), 6);
  uint64_t ticks = 0;
  for (uint64_t dt : reads) ticks += dt;
  expect_eq("read sum ns", ll(got.sum_ns[0]), ll((ticks + 1) / 2));  // 0.5 ns rounds up
  expect_eq("write bucket 0", ll(got.buckets[1][0]), 2);
  expect_eq("write count", ll(got.count(1)), 2);
  expect_eq("write sum ns", ll(got.sum_ns[1]), 2000);
  // A second batch adds to the published totals; an empty publish changes nothing.
  t.record(0, 10);
  t.publish(h);
  t.publish(h);
  ProcessingTotals again;
  again.add(h);
  again.add(h);  // two workers with the same numbers
  expect_eq("two workers, read count", ll(again.count(0)), 14);
  expect_eq("two workers, read bucket 0", ll(again.buckets[0][0]), 8);
}

// The start-up calibration converts a measured interval to within 2 % of CLOCK_MONOTONIC.
void calibration() {
  ProcessingTimer t;
  ClockPair a = ClockPair::now();
  timespec pause{0, 20000000};  // 20 ms
  nanosleep(&pause, nullptr);
  ClockPair b = ClockPair::now();
  uint64_t ns = t.scale().to_ns(b.t - a.t), want = b.ns - a.ns;
  long long diff = (long long)ns - (long long)want;
  expect(std::llabs(diff) * 50 <= (long long)want, "calibrated 20 ms (ns)", (long long)ns, (long long)want);
  t.recalibrate();
  expect(t.scale().ns_per_tick() > 0, "recalibrated factor > 0", 0, 1);
}

// Cost of one packet boundary (end()); printed, and a loose ceiling so a regression shows.
void cost() {
  ProcessingTimer t;
  ProcessingHistogram h;
  constexpr int kN = 2000000;
  uint64_t start = monotonic_ns();
  t.begin();
  for (int i = 0; i < kN; i++) t.end(i & 1);
  t.publish(h);
  double per = double(monotonic_ns() - start) / kN;
  ProcessingTotals got;
  got.add(h);
  expect_eq("every boundary counted", ll(got.count(0) + got.count(1)), kN);
  std::printf("processing_time: %.1f ns per packet boundary\n", per);
  expect(per < 200, "ns per boundary (sanitizers included)", (long long)per, 200);
}

}  // namespace

int main() {
  bucket_selection();
  recording_and_publish();
  calibration();
  cost();
  if (failures) {
    std::fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  std::printf("processing_time_test: ok\n");
  return 0;
}
