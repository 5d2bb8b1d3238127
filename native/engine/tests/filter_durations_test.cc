// SPDX-License-Identifier: Apache-2.0
// The workers' sampled per-filter durations (native/engine/filter_durations.h): Quilkin v0.9's
// bounds, bucket selection by prom-client's rule (value <= bound), recording per direction and
// kind, kinds outside the table ignored, and summing over workers. Exits non-zero on a failure.
#include <cstdio>

#include "native/engine/filter_durations.h"

using namespace qk::timing;
using ll = long long;

namespace {

int failures = 0;

void expect_eq(const char* what, long long got, long long want) {
  if (got == want) return;
  std::fprintf(stderr, "FAIL %s: got %lld, want %lld\n", what, got, want);
  failures++;
}

void bounds() {
  // 0.000125 * 2.5^k: 125 us, 312.5 us, 781.25 us, 1.953125 ms ... 1.1920928955078125 s.
  expect_eq("first bound ns", ll(kFilterBoundsSec.s[0] * 1e9 + 0.5), 125000);
  expect_eq("fourth bound ns", ll(kFilterBoundsSec.s[3] * 1e9 + 0.5), 1953125);
  expect_eq("last bound us", ll(kFilterBoundsSec.s[kFilterBounds - 1] * 1e6 + 0.5), 1192093);
}

void buckets() {
  expect_eq("0 ns", filter_bucket(0), 0);
  expect_eq("exactly 125 us", filter_bucket(125000), 0);
  expect_eq("125 us + 1 ns", filter_bucket(125001), 1);
  expect_eq("exactly 312.5 us", filter_bucket(312500), 1);
  expect_eq("1 ms", filter_bucket(1000000), 3);  // 781.25 us < 1 ms <= 1.953125 ms
  expect_eq("2 s", filter_bucket(2000000000ull), kFilterBounds);
}

void record_and_sum() {
  static FilterDurations a, b;   // static: 3 KiB each, zeroed
  a.record(0, 1, 100);           // read, Capture, bucket 0
  a.record(0, 1, 200000);        // read, Capture, bucket 1
  a.record(1, 11, 5000);         // write, TokenRouter
  a.record(0, kFilterKinds, 1);  // outside the table: ignored
  a.record(1, 0, 1);             // unknown kind: ignored
  b.record(0, 1, 300);
  FilterDurationTotals t;
  t.add(a);
  t.add(b);
  FilterDurationTotals u;
  u.add(t);
  expect_eq("read Capture count", ll(u.count(0, 1)), 3);
  expect_eq("read Capture bucket 0", ll(u.buckets[0][1][0]), 2);
  expect_eq("read Capture bucket 1", ll(u.buckets[0][1][1]), 1);
  expect_eq("read Capture sum", ll(u.sum_ns[0][1]), 200400);
  expect_eq("write TokenRouter count", ll(u.count(1, 11)), 1);
  expect_eq("write Capture count", ll(u.count(1, 1)), 0);
  ll all = 0;
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < kFilterKinds; k++) all += ll(u.count(d, k));
  expect_eq("every recorded duration, nothing else", all, 4);
}

}  // namespace

int main() {
  bounds();
  buckets();
  record_and_sum();
  if (failures) return 1;
  std::printf("filter_durations_test: ok\n");
  return 0;
}
