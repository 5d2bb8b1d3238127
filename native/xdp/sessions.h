// SPDX-License-Identifier: Apache-2.0
// The session table of native/xsk shared by the queue workers. A reply may arrive on another rx
// queue than its request (RSS hashes the other direction differently), so one table serves all
// queues; with a single worker the lock is skipped altogether. The lifetime of every session that
// leaves goes into a ring that JS drains for quilkin_session_duration_secs; the lock makes the
// workers one producer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "native/engine/duration_ring.h"
#include "native/xdp/fast_path.h"
#include "native/xsk/session.h"

namespace qk::xdp {

// What a worker needs from a session, copied out while the table is locked.
struct SessionView {
  qk_addr client;
  qk_addr local;
  uint16_t port;
  uint8_t flows;  // qk_session.flows: the directions the fast path carries
};

// Flow bits of qk_session.flows.
constexpr uint8_t kFlowRead = 1, kFlowWrite = 2;

class SessionTable {
 public:
  // 0, or the negative errno of qk_sessions__create.
  // fast: the fast path whose flows follow the sessions (null: tier 1 only).
  static int create(qk_session_opts opts, bool shared, FastPath* fast, std::unique_ptr<SessionTable>* out) {
    std::unique_ptr<SessionTable> t(new SessionTable(shared, fast));
    opts.closed = &SessionTable::closed;
    opts.closed_ctx = t.get();
    if (fast) opts.last_used = &SessionTable::last_used;
    int err = qk_sessions__create(&t->table_, &opts);
    if (err == 0) *out = std::move(t);
    return err;
  }
  ~SessionTable() { qk_sessions__destroy(table_); }

  // 0 existing, 1 created (an unreplied session may have been evicted for it), -ENOSPC full of
  // answered sessions, -EADDRINUSE every port towards that endpoint answered, -EDQUOT the client IP
  // is at its cap, -ENOMEM (no memory for the port map of a first session towards an endpoint).
  int for_read(const qk_addr& client, const qk_addr& endpoint, const qk_addr& local, uint64_t now, uint16_t* port,
               uint8_t* flows) {
    Guard g(*this);
    const qk_session* s = nullptr;
    int r = qk_sessions__for_read(table_, &client, &endpoint, &local, now, &s);
    if (r >= 0) {
      *port = s->port;
      *flows = s->flows;
    }
    if (r != 0) snapshot();  // created, or refused after expiring what had idled
    return r;
  }
  int for_write(uint16_t port, const qk_addr& endpoint, uint64_t now, SessionView* out) {
    Guard g(*this);
    const qk_session* s = nullptr;
    int r = qk_sessions__for_write(table_, port, &endpoint, now, &s);
    if (r == 0) *out = SessionView{s->client, s->local, s->port, s->flows};
    return r;
  }
  // After a worker forwarded a read (write) of the session in place: the fast path carries the
  // session's next ones. Once per session and direction (the flows bit), not per packet.
  void carry_read(const qk_addr& client, const qk_addr& endpoint, const qk_addr& local, uint64_t now,
                  const FlowHop& hop) {
    Guard g(*this);
    const qk_session* s = nullptr;
    if (!fast_ || qk_sessions__for_read(table_, &client, &endpoint, &local, now, &s) != 0) return;
    // Marked even when the install fails (a family switch, a full map): the session stays in
    // tier 1 instead of retrying on every packet.
    if (!(s->flows & kFlowRead)) {
      fast_->install_read(*s, hop, now);
      qk_sessions__set_flows(table_, s, uint8_t(s->flows | kFlowRead));
    }
  }
  void carry_write(uint16_t port, const qk_addr& endpoint, uint64_t now, const FlowHop& hop) {
    Guard g(*this);
    const qk_session* s = nullptr;
    if (!fast_ || qk_sessions__for_write(table_, port, &endpoint, now, &s) != 0) return;
    if (!(s->flows & kFlowWrite)) {
      fast_->install_write(*s, hop, now);
      qk_sessions__set_flows(table_, s, uint8_t(s->flows | kFlowWrite));
    }
  }
  void expire(uint64_t now) {
    Guard g(*this);
    qk_sessions__expire(table_, now);
    snapshot();
  }
  // At stop, once the workers are joined: every session left ends, as the socket backend does.
  void close_all(uint64_t now) {
    Guard g(*this);
    qk_sessions__close_all(table_, now);
    snapshot();
  }
  // JS thread: the lifetimes (seconds) of the sessions closed since the last call.
  template <typename Fn>
  void drain_durations(Fn&& fn) {
    durations_.drain(fn);
  }
  uint64_t durations_lost() const { return durations_.lost(); }
  uint32_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t created() const { return created_.load(std::memory_order_relaxed); }
  uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

 private:
  SessionTable(bool shared, FastPath* fast) : shared_(shared), fast_(fast) {}
  static void closed(void* ctx, const qk_session* s, uint32_t lifetime_secs) {
    auto* t = static_cast<SessionTable*>(ctx);
    if (t->fast_ && s->flows) t->fast_->remove(*s);
    t->durations_.push(lifetime_secs);
  }
  static __u64 last_used(void* ctx, const qk_session* s) {
    return static_cast<SessionTable*>(ctx)->fast_->last_used(*s);
  }
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
    evicted_.store(c->evicted, std::memory_order_relaxed);
  }

  qk_sessions* table_ = nullptr;
  const bool shared_;
  FastPath* const fast_;
  DurationRing durations_;
  std::mutex mu_;
  std::atomic<uint32_t> count_{0};
  std::atomic<uint64_t> created_{0}, expired_{0}, evicted_{0};
};

}  // namespace qk::xdp
