// SPDX-License-Identifier: Apache-2.0
// One packet-loop thread: its own SO_REUSEPORT listening socket, its session shard and
// upstream sockets, one epoll set over all of them. It never touches Napi::Env; it reports
// through WorkerCounters only.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "native/socket/counters.h"
#include "native/socket/generation.h"
#include "native/socket/mmsg_batch.h"
#include "native/socket/session_shard.h"

namespace qk::socket {

struct WorkerSettings {
  uint32_t index;
  int64_t idle_timeout_ms;
};

class Worker {
 public:
  // Takes ownership of listen_fd. Returns nullptr and sets *err (negative errno) on failure.
  static std::unique_ptr<Worker> create(const WorkerSettings& settings, int listen_fd, GenerationSlot& slot,
                                        SessionBudget& budget, int* err);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Ends the loop, joins it, closes the sessions (counted) and every fd. Idempotent; the
  // counters stay readable afterwards so the last scrape sees the final numbers.
  void stop();
  WorkerCounters& counters() { return *counters_; }
  const WorkerCounters& counters() const { return *counters_; }

 private:
  Worker(const WorkerSettings& settings, int listen_fd, int epoll_fd, int wake_fd, GenerationSlot& slot,
         SessionBudget& budget);
  void run();
  void on_downstream();
  void forward_upstream(const AddrKey& client, const uint8_t* data, uint32_t len, const Endpoint& ep, int64_t now);
  void on_upstream(uint32_t socket_index);

  WorkerSettings settings_;
  int listen_fd_;
  int epoll_fd_;
  int wake_fd_;
  GenerationSlot& slot_;
  uint64_t seen_version_ = 0;
  std::shared_ptr<const Generation> generation_;
  std::unique_ptr<WorkerCounters> counters_;
  std::unique_ptr<SessionShard> shard_;
  std::unique_ptr<RecvBatch> rx_;
  std::unique_ptr<SendBatch> tx_;
  DestList dests_;
  int64_t now_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace qk::socket
