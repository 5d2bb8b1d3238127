// SPDX-License-Identifier: Apache-2.0
// The socket backend as C++ sees it: N workers bound to one port, all running generations
// of one filter engine (published from JS), and a merged view of their counters.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "native/engine/engine.h"
#include "native/socket/session_shard.h"
#include "native/socket/worker.h"

namespace qk::socket {

struct BackendSettings {
  uint16_t port;  // 0 = let the kernel pick one (tests); every worker then shares it
  uint32_t workers;
  SessionTimeouts timeouts;
  int64_t max_sessions;
  uint32_t max_sessions_per_source;  // 0 = no per-IP cap
};

// What the file-descriptor limit leaves for sessions: each session may need an endpoint
// socket, and admin, config, xDS and logging must keep working when sessions are full.
struct FileBudget {
  uint64_t soft_limit;    // RLIMIT_NOFILE after raising the soft limit to the hard one
  uint64_t reserved;      // kept for everything that is not a session
  int64_t session_limit;  // max sessions after both bounds (the flag and the descriptors)
};

// Raises RLIMIT_NOFILE's soft limit to the hard one and works out the session bound.
FileBudget plan_file_budget(int64_t max_sessions);

// Counter sums over all workers.
struct CounterTotals {
  uint64_t packets[2] = {};
  uint64_t bytes[2] = {};
  uint64_t drops[2][QK_DROP__MAX] = {};
  uint64_t errors[2][QK_DROP__MAX] = {};
  uint64_t passed[2] = {};  // packets the chain let through
  uint64_t sessions_created = 0;
  uint64_t sessions_closed = 0;
  uint64_t sessions_evicted = 0;
  uint64_t durations_lost = 0;
  uint64_t endpoint_sockets = 0;
};

class Backend {
 public:
  // Binds every worker's listening socket and starts the threads; config comes from what is
  // (and will be) published on `engine`. Returns nullptr with a message in *error if any
  // step fails (nothing is left open).
  static std::unique_ptr<Backend> start(const BackendSettings& settings, std::shared_ptr<qk::engine::Engine> engine,
                                        std::string* error);
  ~Backend();

  uint16_t port() const { return port_; }
  uint32_t worker_count() const { return uint32_t(workers_.size()); }
  int64_t session_count() const { return budget_.live.load(std::memory_order_relaxed); }
  const FileBudget& file_budget() const { return files_; }
  CounterTotals totals() const;
  // quilkin_packets_processing_duration_seconds of every worker, merged.
  qk::timing::ProcessingTotals processing() const;
  // quilkin_packet_jitter: the value a worker set last, per direction.
  qk::timing::JitterReading jitter() const;
  // Hands every queued session lifetime (seconds) to fn, on the calling thread.
  void drain_durations(const std::function<void(uint32_t)>& fn);
  // Joins the workers and closes every socket; idempotent.
  void stop();

 private:
  Backend() = default;

  uint16_t port_ = 0;
  std::shared_ptr<qk::engine::Engine> engine_;  // outlives the workers that attach to it
  SessionBudget budget_;
  FileBudget files_{};
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace qk::socket
