// SPDX-License-Identifier: Apache-2.0
// The native filter engine: the contract between the compiled filter chain and the packet workers
// (native/socket, native/xsk). Everything a worker calls per packet is allocation-free and never
// touches JavaScript; see native/engine/README.md for the threading and state rules.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bpf/lib/drop_reasons.h"
#include "native/engine/sock_addr.h"
#include "native/engine/filter_durations.h"
#include "native/engine/packet.h"

namespace qk::engine {

class Chain;
class WorkerState;
struct ChainStats;

// One endpoint as compiled from the config. Index order is the TS ClusterMap order
// (locality groups in config order, endpoints sorted by address inside a group).
struct Endpoint {
  SockAddr addr;     // family 0 when the config names a DNS host that was not resolved
  std::string host;  // the config's host text (DNS name or IP literal), for logs
};

// Endpoints plus the token index TokenRouter uses. Immutable once built.
class EndpointTable {
 public:
  std::vector<Endpoint> endpoints;
  // Appends to `out` (up to `cap` entries) the index of every endpoint holding exactly `token`;
  // returns how many were appended.
  uint32_t lookup_token(const uint8_t* token, uint32_t len, uint32_t* out, uint32_t cap) const;
  void add_token(uint32_t endpoint, const uint8_t* token, uint32_t len);
  void finish();  // sorts the index; call once after the last add_token

 private:
  struct TokenEntry {
    uint64_t hash;
    uint32_t endpoint;
    uint32_t offset;  // into token_bytes_
    uint32_t len;
  };
  std::vector<TokenEntry> tokens_;
  std::vector<uint8_t> token_bytes_;
};

// A compiled config: the filter chain and the endpoint table. Immutable and shared by every worker;
// a config change builds a new Generation and publishes it (Engine::publish). The chain object is
// reused from the previous generation when the chain part of the description is byte-identical;
// otherwise each unchanged top-level filter inherits its previous twin's state (README.md).
struct Generation {
  uint64_t id = 0;  // increases with every publish
  std::shared_ptr<const Chain> chain;
  std::shared_ptr<const EndpointTable> endpoints;
  // The description kind of each top-level filter, in chain order: what a worker's sampled
  // per-filter durations are recorded under (filter_durations.h). Follows the chain on reuse.
  std::vector<uint8_t> filter_kinds;
  // Upper bound of bytes the chain can add to a packet (sum of every Concatenate); a worker's
  // buffer needs this much headroom + tailroom to never hit TOO_LARGE.
  uint32_t max_growth() const;
  // Whether the chain can change a payload (Chain::edits_payload).
  bool edits_payload() const;
  // Upper bound of destinations one read can produce; sizes the worker's destination array.
  uint32_t max_destinations() const;
};

// Builds a Generation from the binary description emitted by data-plane/compiler (format in
// native/engine/description.md). `previous` (may be null) lends its chain when unchanged, and
// otherwise the state of its unchanged filters.
// Returns null and sets `error` (a precise, user-facing message) when the description is invalid.
std::shared_ptr<const Generation> generation__compile(const uint8_t* desc, size_t len, const Generation* previous,
                                                      std::string* error);

// Time source. Real by default; tests freeze and advance it (LocalRateLimit, Timestamp).
class Clock {
 public:
  int64_t now_ms() const;  // milliseconds since the Unix epoch
  void freeze(int64_t at_ms);
  void advance_ms(int64_t delta_ms);  // only meaningful once frozen

 private:
  std::atomic<bool> frozen_{false};
  std::atomic<int64_t> frozen_ms_{0};
};

// Per-worker counters, readable from any thread (relaxed atomics written by one worker only).
struct WorkerCounters {
  std::atomic<uint64_t> read_passed{0};
  std::atomic<uint64_t> write_passed{0};
  std::atomic<uint64_t> read_dropped[QK_DROP__MAX] = {};
  std::atomic<uint64_t> write_dropped[QK_DROP__MAX] = {};
};

// One Debug filter event, copied into a worker's ring; JS drains the rings (Engine::drain_debug).
struct DebugEvent {
  static constexpr uint32_t kMaxContents = 256;
  uint32_t slot;  // filter slot (compiler's depth-first filter numbering) that logged
  uint8_t write;  // 0 read, 1 write
  SockAddr source;
  SockAddr dest;  // write only
  uint32_t len;   // full packet length; contents holds the first min(len, kMaxContents) bytes
  uint8_t contents[kMaxContents];
};

class Worker;

// The engine: holds the published generation and the registry of workers (for counters, debug
// events and per-slot filter stats). One per proxy; shared by every worker thread.
class Engine {
 public:
  explicit Engine(uint32_t max_workers = 64);  // at most 64 (per-slot cells are sized by it)
  ~Engine();

  // Swaps in a new generation; workers never wait for it. Packets a worker already started finish on
  // the generation it pinned (Worker::begin_batch). Call from one control thread.
  void publish(std::shared_ptr<const Generation> next);
  std::shared_ptr<const Generation> current() const;
  uint64_t current_id() const { return current_id_.load(std::memory_order_acquire); }

  Clock& clock() { return clock_; }
  const Clock& clock() const { return clock_; }
  uint32_t max_workers() const { return max_workers_; }

  // Sums of every live worker's counters (and of workers that have exited).
  void sum_counters(uint64_t read_dropped[QK_DROP__MAX], uint64_t write_dropped[QK_DROP__MAX], uint64_t* read_passed,
                    uint64_t* write_passed) const;
  // Moves up to `max` pending Debug events into `out`; returns how many. `lost` is the total number
  // of events live workers could not queue because their ring was full (monotonic).
  size_t drain_debug(DebugEvent* out, size_t max, uint64_t* lost);
  // Sampled per-filter durations of every live worker and of workers that have exited (monotonic).
  void sum_filter_durations(timing::FilterDurationTotals* out) const;

 private:
  friend class Worker;
  void attach(Worker* w);  // sets w->index_ (under the lock, so indices never collide)
  void detach(Worker* w);

  const uint32_t max_workers_;
  Clock clock_;
  // The published generation. Workers poll current_id_ (one atomic load per batch) and take
  // current_mu_ only when it changed, to copy the pointer; publish holds it only for the swap. (Not
  // std::atomic<shared_ptr>: libstdc++ 12 implements it with an unannotated spin bit TSan rejects,
  // and a plain mutex taken once per swap is just as cheap.)
  mutable std::mutex current_mu_;
  std::shared_ptr<const Generation> current_;
  std::atomic<uint64_t> current_id_{0};
  mutable std::mutex workers_mu_;  // guards workers_ and the retired totals; never taken per packet
  std::vector<Worker*> workers_;
  WorkerCounters retired_;  // counters of detached workers
  timing::FilterDurationTotals retired_durations_;
};

// Where a read goes. Indices into the pinned generation's EndpointTable.
struct ReadOutcome {
  uint8_t reason = QK_DROP_NONE;  // enum qk_drop_reason; NONE = forward
  bool all_endpoints = false;     // the chain chose nothing: `dest` lists every endpoint
  uint32_t n_dest = 0;
  const uint32_t* dest = nullptr;  // valid until the next read on this worker
};

// Per-thread packet processor. Create one per worker thread; never share between threads.
class Worker {
 public:
  Worker(Engine& engine, uint64_t random_seed);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Pins the engine's current generation for the packets that follow (one atomic load; the
  // shared_ptr is only re-acquired when the generation id changed). Call once per batch, and before
  // the first read/write: without a pinned generation reads drop as NO_UPSTREAM_ENDPOINTS.
  const Generation& begin_batch();
  const Generation* pinned() const { return gen_.get(); }

  // Read: client -> endpoint. `source` is the client. Modifies `pkt` in place. Counts the verdict.
  ReadOutcome read(PacketBuf& pkt, const SockAddr& source);
  // Write: endpoint -> client. `source` is the endpoint that sent it, `dest` the client.
  // Returns QK_DROP_NONE to forward, else the drop reason. Counts the verdict.
  uint8_t write(PacketBuf& pkt, const SockAddr& source, const SockAddr& dest);

  // Same, but the packet starts with the metadata already in state().meta (conformance vectors
  // give metadata present before the chain); read/write clear it first.
  ReadOutcome read_with_metadata(PacketBuf& pkt, const SockAddr& source);
  uint8_t write_with_metadata(PacketBuf& pkt, const SockAddr& source, const SockAddr& dest);

  // Counts a drop that happened outside the chain (socket errors, malformed frames, ...), so every
  // drop has one counter whichever layer decided it.
  void count_drop(bool write, uint8_t reason);

  const WorkerCounters& counters() const { return counters_; }
  const timing::FilterDurations& filter_durations() const { return durations_; }
  uint32_t index() const { return index_; }
  // The metadata and filter state of the last packet (tests read them after read/write).
  WorkerState& state() { return *state_; }

 private:
  friend class Engine;
  void adopt(std::shared_ptr<const Generation> next);
  bool timed_now(int direction);  // whether this packet is the sampled one (filter_durations.h)

  Engine& engine_;
  uint32_t index_;
  std::shared_ptr<const Generation> gen_;
  uint64_t gen_id_ = UINT64_MAX;
  std::unique_ptr<WorkerState> state_;
  WorkerCounters counters_;
  // Packets left until the next timed one, per direction (read, write).
  uint32_t until_timed_[2] = {timing::kSampleEvery, timing::kSampleEvery};
  timing::FilterDurations durations_;
};

}  // namespace qk::engine
