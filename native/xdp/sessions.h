// SPDX-License-Identifier: Apache-2.0
// The session table of native/xsk shared by the queue workers. A reply may arrive on another rx
// queue than its request (RSS hashes the other direction differently), so one table serves all
// queues; with a single worker the lock is skipped altogether.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "native/xsk/session.h"

namespace qk::xdp {

// What a worker needs from a session, copied out while the table is locked.
struct SessionView {
  qk_addr client;
  qk_addr local;
  uint16_t port;
};

class SessionTable {
 public:
  SessionTable(qk_sessions* table, bool shared) : table_(table), shared_(shared) {}
  ~SessionTable() { qk_sessions__destroy(table_); }

  // 0 existing, 1 created, -ENOSPC full, -EADDRINUSE no port left towards that endpoint.
  int upstream(const qk_addr& client, const qk_addr& endpoint, const qk_addr& local, uint64_t now, uint16_t* port) {
    Guard g(*this);
    const qk_session* s = nullptr;
    int r = qk_sessions__upstream(table_, &client, &endpoint, &local, now, &s);
    if (r >= 0) *port = s->port;
    if (r == 1) snapshot();
    return r;
  }
  int downstream(uint16_t port, const qk_addr& endpoint, uint64_t now, SessionView* out) {
    Guard g(*this);
    const qk_session* s = nullptr;
    int r = qk_sessions__downstream(table_, port, &endpoint, now, &s);
    if (r == 0) *out = SessionView{s->client, s->local, s->port};
    return r;
  }
  void expire(uint64_t now) {
    Guard g(*this);
    qk_sessions__expire(table_, now);
    snapshot();
  }
  uint32_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t created() const { return created_.load(std::memory_order_relaxed); }
  uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }

 private:
  struct Guard {
    explicit Guard(SessionTable& t) : t_(t) {
      if (t_.shared_) t_.mu_.lock();
    }
    ~Guard() {
      if (t_.shared_) t_.mu_.unlock();
    }
    SessionTable& t_;
  };
  void snapshot() {
    const qk_session_counters* c = qk_sessions__counters(table_);
    count_.store(qk_sessions__count(table_), std::memory_order_relaxed);
    created_.store(c->created, std::memory_order_relaxed);
    expired_.store(c->expired, std::memory_order_relaxed);
  }

  qk_sessions* table_;
  const bool shared_;
  std::mutex mu_;
  std::atomic<uint32_t> count_{0};
  std::atomic<uint64_t> created_{0}, expired_{0};
};

}  // namespace qk::xdp
