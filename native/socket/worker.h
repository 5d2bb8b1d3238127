// SPDX-License-Identifier: Apache-2.0
// One packet-loop thread: its own SO_REUSEPORT listening socket, its session shard and
// endpoint sockets, one epoll set over all of them, and its own engine worker (filter chain
// state is per thread). It never touches Napi::Env; it reports through counters only.
// A read comes in on the listening (client) socket and leaves on an endpoint socket; a write
// is an endpoint's reply coming back the other way.
#pragma once
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "native/engine/engine.h"
#include "native/socket/counters.h"
#include "native/socket/mmsg_batch.h"
#include "native/socket/session_shard.h"

namespace qk::socket {

struct WorkerSettings {
  uint32_t index;
  SessionTimeouts timeouts;
};

class Worker {
 public:
  // Takes ownership of listen_fd (closed on failure too). Returns nullptr with a message in
  // *error on failure.
  static std::unique_ptr<Worker> create(const WorkerSettings& settings, int listen_fd, qk::engine::Engine& engine,
                                        SessionBudget& budget, std::string* error);
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
  // An engine endpoint in the form the send path needs, rebuilt when the generation changes.
  struct Target {
    SockAddr key;
    sockaddr_in6 addr;
    bool routable;  // false: a DNS name the control plane has not resolved
  };

  Worker(const WorkerSettings& settings, int listen_fd, int epoll_fd, int wake_fd,
         std::unique_ptr<qk::engine::Worker> engine_worker, SessionBudget& budget);
  void run();
  void begin_batch();
  void on_client_socket();
  void read_packet(int i);
  void send_to_endpoint(const SockAddr& client, const uint8_t* data, uint32_t len, const Target& to);
  void on_endpoint_socket(uint32_t socket_index);
  void write_packet(int i, uint32_t socket_index);

  WorkerSettings settings_;
  int listen_fd_;
  int epoll_fd_;
  int wake_fd_;
  std::unique_ptr<qk::engine::Worker> engine_;
  uint64_t targets_generation_ = UINT64_MAX;
  std::vector<Target> targets_;
  std::unique_ptr<WorkerCounters> counters_;
  std::unique_ptr<SessionShard> shard_;
  std::unique_ptr<RecvBatch> rx_;
  std::unique_ptr<SendBatch> tx_;
  qk::timing::ProcessingTimer timer_;  // per packet, from its handling to its enqueue for sendmmsg
  qk::timing::JitterTracker jitter_;   // receive times per direction, for quilkin_packet_jitter
  int64_t now_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace qk::socket
