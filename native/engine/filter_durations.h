// SPDX-License-Identifier: Apache-2.0
// Per-filter durations of the native workers, for quilkin_filter_read_duration_seconds and
// quilkin_filter_write_duration_seconds{filter}: one packet in kSampleEvery per worker and
// direction runs the chain with each top-level filter timed (as the TS chain samples,
// data-plane/filters/chain.ts), the others run untimed. Cells are per worker and per filter kind
// (the description's kind, description.md), so they never change meaning when a new chain is
// published, and the scrape sums them over workers. Bounds are Quilkin v0.9's
// (filters/chain.rs): 0.125 ms times 2.5, 11 times, then +Inf.
#pragma once

#include <atomic>
#include <cstdint>

namespace qk::timing {

constexpr uint32_t kSampleEvery = 64;  // data-plane/filters/services.ts DEFAULT_DURATION_SAMPLE_EVERY
constexpr int kFilterKinds = 14;       // description kinds 1..13; 0 is never a filter
constexpr int kFilterBounds = 11;
constexpr int kFilterBuckets = kFilterBounds + 1;  // the last one is +Inf

// Upper bounds in seconds, computed as prom-client's exponentialBuckets and prometheus-rs do
// (start, then times the factor each step), so the comparisons below match the JS histogram's.
struct FilterBounds {
  double s[kFilterBounds];
  constexpr FilterBounds() : s() {
    double next = 0.000125;
    for (int k = 0; k < kFilterBounds; k++, next *= 2.5) s[k] = next;
  }
};
inline constexpr FilterBounds kFilterBoundsSec{};

// prom-client's rule: the first bound >= the value; kFilterBounds for +Inf.
inline int filter_bucket(uint64_t ns) {
  double seconds = double(ns) / 1e9;
  int k = 0;
  while (k < kFilterBounds && seconds > kFilterBoundsSec.s[k]) k++;
  return k;
}

// Written by one worker only (relaxed load+store), read by the JS thread with relaxed loads.
// Bucket counts are plain (not cumulative); a kind's count is the sum of its buckets.
struct FilterDurations {
  std::atomic<uint64_t> buckets[2][kFilterKinds][kFilterBuckets] = {};
  std::atomic<uint64_t> sum_ns[2][kFilterKinds] = {};

  // direction: 0 read, 1 write. Kind 0 (unknown) and kinds outside the table are not recorded.
  void record(int direction, uint8_t kind, uint64_t ns) {
    if (kind == 0 || kind >= kFilterKinds) return;
    bump(buckets[direction][kind][filter_bucket(ns)], 1);
    bump(sum_ns[direction][kind], ns);
  }

 private:
  static void bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

// A reader's sum over workers (and over workers that have exited).
struct FilterDurationTotals {
  uint64_t buckets[2][kFilterKinds][kFilterBuckets] = {};
  uint64_t sum_ns[2][kFilterKinds] = {};

  void add(const FilterDurations& d) {
    for (int dir = 0; dir < 2; dir++)
      for (int kind = 0; kind < kFilterKinds; kind++) {
        for (int k = 0; k < kFilterBuckets; k++)
          buckets[dir][kind][k] += d.buckets[dir][kind][k].load(std::memory_order_relaxed);
        sum_ns[dir][kind] += d.sum_ns[dir][kind].load(std::memory_order_relaxed);
      }
  }
  void add(const FilterDurationTotals& t) {
    for (int dir = 0; dir < 2; dir++)
      for (int kind = 0; kind < kFilterKinds; kind++) {
        for (int k = 0; k < kFilterBuckets; k++) buckets[dir][kind][k] += t.buckets[dir][kind][k];
        sum_ns[dir][kind] += t.sum_ns[dir][kind];
      }
  }
  uint64_t count(int dir, int kind) const {
    uint64_t n = 0;
    for (int k = 0; k < kFilterBuckets; k++) n += buckets[dir][kind][k];
    return n;
  }
};

}  // namespace qk::timing
