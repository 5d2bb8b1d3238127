// SPDX-License-Identifier: Apache-2.0
// The AF_XDP backend as C++ sees it: our program attached to the proxy's interface (and to its
// forward interfaces, for the fast path), one worker per rx queue of the proxy's interface, a
// shared session table, and merged counters for the JS side.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "native/engine/engine.h"
#include "native/xdp/fast_path.h"
#include "native/xdp/program.h"
#include "native/xdp/sessions.h"
#include "native/xdp/worker.h"

namespace qk::xdp {

struct Totals {
  uint64_t packets[2] = {}, bytes[2] = {}, offlink[2] = {};
  uint64_t fast_packets[2] = {}, fast_bytes[2] = {};  // of packets/bytes, what the fast path sent
  uint64_t drops[2][QK_DROP__MAX] = {};
  uint64_t sessions_created = 0, sessions_closed = 0;
  uint64_t sessions_evicted = 0;  // unreplied sessions closed early to make room (also in closed)
  uint64_t durations_lost = 0;    // session lifetimes JS did not drain in time
  uint64_t rx_packets = 0, rx_bytes = 0, qcmp_replies = 0, copies = 0;
  uint64_t tx_kicks = 0, tx_kick_retries = 0, tx_kick_errors = 0, tx_ring_full = 0;
  uint64_t rx_wakeups = 0, fill_short = 0, umem_exhausted = 0;
  uint64_t k_rx_dropped = 0, k_rx_invalid = 0, k_tx_invalid = 0, k_rx_ring_full = 0, k_fill_ring_empty = 0,
           k_tx_ring_empty = 0;
};

class Backend {
 public:
  // Every step of the detection is appended to *steps; on failure returns null with *error
  // naming the step that failed, and nothing stays attached or open.
  static std::unique_ptr<Backend> start(const Settings& s, std::shared_ptr<engine::Engine> engine, StepLog* steps,
                                        std::string* error);
  ~Backend();
  void stop();  // joins the workers, detaches the program; idempotent

  const Settings& settings() const { return settings_; }
  const char* mode() const { return program_->mode(); }
  uint32_t prog_id() const { return program_->prog_id(); }
  int ifindex() const { return ifindex_; }
  uint32_t queues() const { return uint32_t(workers_.size()); }
  bool zerocopy() const;
  uint32_t session_count() const { return sessions_->count(); }
  Totals totals() const;
  // Lifetimes (whole seconds) of the sessions closed since the last call, for JS.
  void drain_durations(const std::function<void(uint32_t)>& fn);
  // quilkin_packets_processing_duration_seconds of every worker, merged; readable after stop().
  timing::ProcessingTotals processing() const;
  // quilkin_packet_jitter: the value a worker set last, per direction.
  timing::JitterReading jitter() const;
  void bpf_counters(std::vector<uint64_t>* packets, std::vector<uint64_t>* bytes) const;
  size_t drain_events(std::vector<qk_xdp_event>* out, size_t max) { return program_->drain_events(out, max); }
  std::string offlink_note() const;
  // The in-kernel fast path, or null when the object has none.
  FastPath* fast() { return fast_.get(); }
  // Follows address changes of the interface into the program's local address map.
  int sync_local_addrs(bool* changed) { return program_->sync_local_addrs(settings_, changed); }

 private:
  Backend() = default;
  int open_workers(uint32_t n, StepLog* steps, std::string* error);
  int resolve_forwards(std::vector<int>* ifindexes, std::string* error);

  // The program's counters, read at most once per kCounterReuse: one sync asks for them from
  // several places within a millisecond (quilkin_* totals, the xdp metrics, the pressure log).
  struct CounterSnapshot {
    std::chrono::steady_clock::time_point taken{};
    std::vector<uint64_t> packets, bytes;
  };
  const CounterSnapshot& program_counters() const;

  Settings settings_;
  int ifindex_ = 0;
  mutable std::mutex counters_mu_;
  mutable CounterSnapshot counters_;
  std::shared_ptr<engine::Engine> engine_;
  std::unique_ptr<Program> program_;
  std::unique_ptr<FastPath> fast_;  // after program_ (its maps), before sessions_ (their flows)
  std::unique_ptr<SessionTable> sessions_;
  WorkerEnv env_{};
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopped_ = false;
};

}  // namespace qk::xdp
