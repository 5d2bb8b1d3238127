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
#include "native/engine/duration_ring.h"
#include "native/engine/packet_jitter.h"
#include "native/engine/processing_time.h"

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

struct alignas(64) WorkerCounters {
  Counter packets[2];
  Counter bytes[2];
  Counter errors[2][QK_DROP__MAX];
  Counter sessions_created;
  Counter sessions_closed;
  Counter sessions_evicted;  // unanswered sessions closed early to make room
  Counter endpoint_sockets;
  DurationRing durations;
  qk::timing::ProcessingHistogram processing;  // published once per batch by the worker's timer
  qk::timing::PacketJitter jitter;             // quilkin_packet_jitter, set once per batch

  void error(Direction dir, uint8_t reason) {
    errors[dir][reason < QK_DROP__MAX ? reason : uint8_t(QK_DROP_IO)].add(1);
  }
  void sent(Direction dir, uint64_t len) {
    packets[dir].add(1);
    bytes[dir].add(len);
  }
};

}  // namespace qk::socket
