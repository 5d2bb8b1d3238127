// SPDX-License-Identifier: Apache-2.0
// Closed-session lifetimes (whole seconds) travel from the native workers to JS through this
// single-producer / single-consumer ring so the quilkin_session_duration_secs histogram gets exact
// observations. Shared by the socket and AF_XDP backends. One producer at a time: a socket worker
// owns its ring; the AF_XDP session table pushes under its own lock. If JS falls behind (the ring
// holds 8192), the producer counts the lifetimes it could not queue instead of blocking.
#pragma once
#include <atomic>
#include <cstdint>

#include "native/engine/counter.h"

namespace qk {

class DurationRing {
 public:
  static constexpr uint32_t kCapacity = 8192;

  void push(uint32_t seconds) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) >= kCapacity) {
      bump(lost_);  // written by the producer only
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

  uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<uint64_t> lost_{0};
  uint32_t slots_[kCapacity] = {};
};

}  // namespace qk
