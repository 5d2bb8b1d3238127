// SPDX-License-Identifier: Apache-2.0
// Per-packet processing time of the native workers, for
// quilkin_packets_processing_duration_seconds{event}: from the start of a packet's handling to the
// end of its dispatch (filters, session lookup, rewrite/enqueue), never the wait in kernel rings.
// A worker reads a cycle counter once per packet boundary (the end of packet i is the start of
// packet i+1 in a batch), keeps the batch's counts in plain fields and publishes them once per
// batch, so a packet costs one counter read, a subtraction, a compare and two register adds.
// Bounds are the JS histogram's (runtime/metrics.ts): 0.25 ms * 2^k, k = 0..12, then +Inf.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <ctime>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "native/engine/counter.h"

namespace qk::timing {

constexpr int kBounds = 13;
constexpr int kBuckets = kBounds + 1;  // the last one is +Inf
constexpr uint64_t kFirstBoundNs = 250000;
constexpr uint64_t bound_ns(int k) { return kFirstBoundNs << k; }

inline uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// x86-64: the TSC (invariant on every CPU this runs on in practice; ~20 cycles, no syscall or
// vDSO call). arm64: the generic timer's virtual count (CNTVCT_EL0, readable from user space on
// Linux, constant rate). Elsewhere CLOCK_MONOTONIC itself, so a tick is a nanosecond. Ticks are
// calibrated against CLOCK_MONOTONIC below, whatever their rate.
inline uint64_t ticks() {
#if defined(__x86_64__)
  return __rdtsc();
#elif defined(__aarch64__)
  uint64_t count;
  asm volatile("mrs %0, cntvct_el0" : "=r"(count));
  return count;
#else
  return monotonic_ns();
#endif
}

// Ticks to nanoseconds, and each bucket's upper bound in ticks.
class TickScale {
 public:
  TickScale() { set(1.0); }
  void set(double ns_per_tick) {
    ns_per_tick_ = ns_per_tick;
    // A whole number of ticks t is <= bound/ns_per_tick exactly when t <= floor(bound/ns_per_tick).
    for (int k = 0; k < kBounds; k++) limit_[k] = uint64_t(std::floor(double(bound_ns(k)) / ns_per_tick));
  }
  double ns_per_tick() const { return ns_per_tick_; }
  uint64_t first_limit() const { return limit_[0]; }
  // The bucket of a duration (prom-client's rule: the first bound >= the value), kBounds for +Inf.
  int bucket(uint64_t dt) const {
    if (dt <= limit_[0]) return 0;  // almost every packet
    int k = 1;
    while (k < kBounds && dt > limit_[k]) k++;
    return k;
  }
  uint64_t to_ns(uint64_t t) const { return uint64_t(double(t) * ns_per_tick_ + 0.5); }

 private:
  double ns_per_tick_;
  uint64_t limit_[kBounds];
};

// One (ticks, ns) reading, the ticks taken on both sides of the clock call and averaged.
struct ClockPair {
  uint64_t t;
  uint64_t ns;
  static ClockPair now() {
    uint64_t a = ticks();
    uint64_t ns = monotonic_ns();
    uint64_t b = ticks();
    return ClockPair{a + (b - a) / 2, ns};
  }
};

// A factor from two readings; 0 when they are too close or the result is implausible (a counter
// slower than 10 MHz or faster than 100 GHz; arm64's generic timer runs at 24 MHz to 1 GHz), so
// the caller keeps the factor it had.
inline double ns_per_tick_between(const ClockPair& from, const ClockPair& to) {
  if (to.t <= from.t || to.ns <= from.ns) return 0;
  double f = double(to.ns - from.ns) / double(to.t - from.t);
  return f >= 0.01 && f <= 100.0 ? f : 0;
}

// Published per worker: written by that worker only (relaxed load+store, no bus lock), read by
// the JS thread with relaxed loads. Bucket counts are plain (not cumulative); the count is their
// sum, so a reader always sees +Inf == count even while the worker writes.
struct ProcessingHistogram {
  std::atomic<uint64_t> buckets[2][kBuckets] = {};
  std::atomic<uint64_t> sum_ns[2] = {};
};

// A reader's sum over workers.
struct ProcessingTotals {
  uint64_t buckets[2][kBuckets] = {};
  uint64_t sum_ns[2] = {};
  void add(const ProcessingHistogram& h) {
    for (int d = 0; d < 2; d++) {
      for (int k = 0; k < kBuckets; k++) buckets[d][k] += h.buckets[d][k].load(std::memory_order_relaxed);
      sum_ns[d] += h.sum_ns[d].load(std::memory_order_relaxed);
    }
  }
  uint64_t count(int d) const {
    uint64_t n = 0;
    for (int k = 0; k < kBuckets; k++) n += buckets[d][k];
    return n;
  }
};

// The worker side. direction: 0 = read (client to endpoint), 1 = write (endpoint to client).
class ProcessingTimer {
 public:
  static constexpr uint64_t kStartupWindowNs = 2000000;  // 2 ms, once per worker

  // Calibrates over kStartupWindowNs (sleeps): good to ~0.01 %, refined by recalibrate().
  ProcessingTimer() {
    anchor_ = ClockPair::now();
    timespec pause{0, long(kStartupWindowNs)};
    nanosleep(&pause, nullptr);
    recalibrate();
  }
  // Housekeeping: the factor from the creation reading to now, more exact as time goes by.
  void recalibrate() {
    double f = ns_per_tick_between(anchor_, ClockPair::now());
    if (f > 0) set_scale(f);
  }
  void set_scale(double ns_per_tick) {
    scale_.set(ns_per_tick);
    first_limit_ = scale_.first_limit();
  }
  const TickScale& scale() const { return scale_; }

  // The first packet of a batch starts now.
  void begin() { last_ = ticks(); }
  // The packet that started at the previous boundary ends now; the next one starts.
  void end(int direction) {
    uint64_t now = ticks();
    record(direction, now - last_);
    last_ = now;
  }
  // A packet that is not timed (not a read or write, such as a QCMP ping) ends now.
  void skip() { last_ = ticks(); }
  void record(int direction, uint64_t dt) {
    if (int64_t(dt) < 0) dt = 0;  // a TSC read on another core that is behind this one
    pending_sum_[direction] += dt;
    if (dt <= first_limit_) [[likely]]
      pending_[direction][0]++;
    else
      pending_[direction][scale_.bucket(dt)]++;
  }
  // Once per batch: moves the pending counts into the published histogram.
  void publish(ProcessingHistogram& out) {
    for (int d = 0; d < 2; d++) {
      for (int k = 0; k < kBuckets; k++) {
        if (!pending_[d][k]) continue;
        bump(out.buckets[d][k], pending_[d][k]);
        pending_[d][k] = 0;
      }
      if (!pending_sum_[d]) continue;
      bump(out.sum_ns[d], scale_.to_ns(pending_sum_[d]));
      pending_sum_[d] = 0;
    }
  }

 private:
  uint64_t last_ = 0;
  uint64_t first_limit_ = 0;
  uint64_t pending_[2][kBuckets] = {};
  uint64_t pending_sum_[2] = {};
  TickScale scale_;
  ClockPair anchor_{};
};

}  // namespace qk::timing
