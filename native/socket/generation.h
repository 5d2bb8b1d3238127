// SPDX-License-Identifier: Apache-2.0
// One config generation (endpoint table + filter chain) and the slot that publishes it to
// the workers. Workers check a version number once per loop turn (one relaxed atomic load)
// and take the mutex only when it changed, so the hot path has no lock. A worker keeps the
// generation it holds alive until it picks up the next one: packets in flight finish on the
// generation they started on, and sessions (which live in the worker, not here) survive.
#pragma once
#include <netinet/in.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "native/socket/addr.h"
#include "native/socket/pipeline.h"

namespace qk::socket {

struct Endpoint {
  AddrKey addr;
  sockaddr_in6 sockaddr;  // the same address, ready for sendmmsg
  // False for a DNS name not resolved yet: packets routed to it are dropped as `io`.
  bool resolved;
};

struct Generation {
  std::vector<Endpoint> endpoints;
  // One chain instance per worker, so stateful filters (rate limits, load balancer cursors)
  // never share mutable state between threads.
  std::vector<std::unique_ptr<Pipeline>> pipelines;
};

class GenerationSlot {
 public:
  void publish(std::shared_ptr<const Generation> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
    version_.fetch_add(1, std::memory_order_release);
  }

  // Refreshes `held` if a newer generation was published since `seen`.
  void refresh(uint64_t* seen, std::shared_ptr<const Generation>* held) {
    uint64_t version = version_.load(std::memory_order_acquire);
    if (version == *seen) return;
    std::lock_guard<std::mutex> lock(mutex_);
    *held = current_;
    *seen = version_.load(std::memory_order_relaxed);
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const Generation> current_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace qk::socket
