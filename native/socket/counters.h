// SPDX-License-Identifier: Apache-2.0
// Per-worker counters of what the engine does not count: packets and bytes sent, errors,
// sessions. (Drops, whoever decides them, go to the engine worker's counters through
// count_drop, so every drop lives in one place.) Each worker is the only writer of its own
// block, so it updates them with relaxed load+store (no read-modify-write bus lock); the JS
// thread reads them with relaxed loads when Prometheus scrapes and merges the workers.
#pragma once
#include <atomic>
#include <cstdint>

#include "bpf/lib/drop_reasons.h"

namespace qk::socket {

enum Direction : int { kRead = 0, kWrite = 1 };

// Written by one thread only.
class Counter {
 public:
  void add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Closed-session lifetimes (whole seconds) travel to JS through this single-producer /
// single-consumer ring so the histogram gets exact observations. If JS falls behind (the
// ring holds 8192), the worker counts the lifetimes it could not queue instead of blocking.
class DurationRing {
 public:
  static constexpr uint32_t kCapacity = 8192;

  void push(uint32_t seconds) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= kCapacity) {
      lost_.add(1);
      return;
    }
    slots_[head % kCapacity] = seconds;
    head_.store(head + 1, std::memory_order_release);
  }

  // Consumer side (JS thread): calls fn for each queued value.
  template <typename Fn>
  void drain(Fn&& fn) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    uint64_t head = head_.load(std::memory_order_acquire);
    for (; tail != head; tail++) fn(slots_[tail % kCapacity]);
    tail_.store(tail, std::memory_order_release);
  }

  uint64_t lost() const { return lost_.get(); }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  Counter lost_;
  uint32_t slots_[kCapacity] = {};
};

struct alignas(64) WorkerCounters {
  Counter packets[2];
  Counter bytes[2];
  Counter errors[2][QK_DROP__MAX];
  Counter sessions_created;
  Counter sessions_closed;
  Counter upstream_sockets;
  DurationRing durations;

  void error(Direction dir, uint8_t reason) { errors[dir][reason < QK_DROP__MAX ? reason : uint8_t(QK_DROP_IO)].add(1); }
  void sent(Direction dir, uint64_t len) {
    packets[dir].add(1);
    bytes[dir].add(len);
  }
};

}  // namespace qk::socket
