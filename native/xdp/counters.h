// SPDX-License-Identifier: Apache-2.0
// Counters one AF_XDP worker publishes for the JS thread. The worker keeps the ring counters of
// native/xsk in plain fields and copies them here once per loop turn (a handful of relaxed
// stores), so the per-packet path never touches an atomic shared with another thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "native/engine/counter.h"
#include "native/engine/packet_jitter.h"
#include "native/engine/processing_time.h"

namespace qk::xdp {

enum Direction { kRead = 0, kWrite = 1 };

struct WorkerCounters {
  std::atomic<uint64_t> sent_packets[2] = {};  // queued on the TX ring (read: to endpoints)
  std::atomic<uint64_t> sent_bytes[2] = {};    // UDP payload bytes
  std::atomic<uint64_t> offlink[2] = {};       // sent through a kernel socket instead
  std::atomic<uint64_t> rx_packets{0}, rx_bytes{0};
  std::atomic<uint64_t> qcmp_replies{0};
  std::atomic<uint64_t> copies{0};  // frames copied for fan-out
  std::atomic<uint64_t> tx_kicks{0}, tx_kick_retries{0}, tx_kick_errors{0}, tx_ring_full{0};
  std::atomic<uint64_t> rx_wakeups{0}, fill_short{0}, umem_exhausted{0};
  // XDP_STATISTICS of the socket, read by the worker about once a second.
  std::atomic<uint64_t> k_rx_dropped{0}, k_rx_invalid{0}, k_tx_invalid{0}, k_rx_ring_full{0};
  std::atomic<uint64_t> k_fill_ring_empty{0}, k_tx_ring_empty{0};
  timing::ProcessingHistogram processing;  // quilkin_packets_processing_duration_seconds
  timing::PacketJitter jitter;             // quilkin_packet_jitter, set once per RX batch
};

}  // namespace qk::xdp
