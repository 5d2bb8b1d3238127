// SPDX-License-Identifier: Apache-2.0
// quilkin_packet_jitter{event} of the native workers. Quilkin v0.9 sets one gauge per direction,
// from every receive loop, to the nanoseconds between the packet just received and the one that
// loop received before (sessions.rs, packet_router). Here each worker tracks its own receive
// times per direction and publishes the last value with the moment it was set; the reader takes
// the most recently set one over the workers, as the last writer of Quilkin's shared gauge wins.
// Packets one recvmmsg (or one AF_XDP RX batch) returns were received together: after a batch of
// two or more the last two packets are 0 ns apart. One clock read per batch, none per packet.
#pragma once

#include <atomic>
#include <cstdint>

namespace qk::timing {

// Written by one worker (relaxed stores), read by the JS thread.
struct PacketJitter {
  std::atomic<uint64_t> ns[2] = {};
  std::atomic<uint64_t> set_at_ns[2] = {};  // CLOCK_MONOTONIC; 0 = never set
};

// The reader's merge: per direction, the value set last by any worker.
struct JitterReading {
  bool has[2] = {false, false};
  uint64_t ns[2] = {0, 0};
  uint64_t set_at_ns[2] = {0, 0};
  void add(const PacketJitter& j) {
    for (int d = 0; d < 2; d++) {
      uint64_t at = j.set_at_ns[d].load(std::memory_order_acquire);
      if (at == 0 || (has[d] && at <= set_at_ns[d])) continue;
      has[d] = true;
      set_at_ns[d] = at;
      ns[d] = j.ns[d].load(std::memory_order_relaxed);
    }
  }
};

// The worker side. direction: 0 = read (from clients), 1 = write (from endpoints).
class JitterTracker {
 public:
  // `n` packets of `direction` were received together at `now_ns` (CLOCK_MONOTONIC).
  void received(int direction, uint32_t n, uint64_t now_ns, PacketJitter& out) {
    if (n == 0) return;
    uint64_t last = last_ns_[direction];
    last_ns_[direction] = now_ns;
    if (n == 1 && last == 0) return;  // the first packet ever: nothing to compare with
    uint64_t value = n > 1 ? 0 : (now_ns > last ? now_ns - last : 0);
    out.ns[direction].store(value, std::memory_order_relaxed);
    // Released after the value, so a reader that sees this moment sees its value or a newer one.
    out.set_at_ns[direction].store(now_ns, std::memory_order_release);
  }

 private:
  uint64_t last_ns_[2] = {0, 0};
};

}  // namespace qk::timing
