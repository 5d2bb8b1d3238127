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
#include "native/engine/counter.h"
#include "native/engine/duration_ring.h"
#include "native/engine/packet_jitter.h"
#include "native/engine/processing_time.h"

namespace qk::socket {

enum Direction : int { kRead = 0, kWrite = 1 };

using Counter = std::atomic<uint64_t>;  // native/engine/counter.h: bump() to add, counter_value() to read

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

  void error(Direction dir, uint8_t reason) { bump(errors[dir][reason < QK_DROP__MAX ? reason : uint8_t(QK_DROP_IO)]); }
  void sent(Direction dir, uint64_t len) {
    bump(packets[dir]);
    bump(bytes[dir], len);
  }
};

}  // namespace qk::socket
