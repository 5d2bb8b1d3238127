// SPDX-License-Identifier: Apache-2.0
// The native filter interface: what a filter sees per packet and how it is built from the
// description. Filters live in data-plane/filters/<name>/<name>.{h,cc}.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/lib/drop_reasons.h"
#include "native/engine/sock_addr.h"
#include "native/engine/desc_reader.h"
#include "native/engine/engine.h"
#include "native/engine/metadata.h"
#include "native/engine/packet.h"

namespace qk::engine {

// The destinations a read has chosen so far. Routing filters replace the list (Quilkin v0.9), so it
// never holds more than every endpoint once: capacity is Generation::max_destinations().
struct DestList {
  uint32_t* idx = nullptr;
  uint32_t n = 0;
  uint32_t cap = 0;
  bool push(uint32_t i) {
    if (n == cap) return false;
    idx[n++] = i;
    return true;
  }
};

// Per-thread state a stateful filter keeps (rate-limit buckets). Handed to a worker once per chain
// (WorkerState::on_generation); shared_ptr so a filter that inherited its state (Filter::inherit_state)
// hands the worker the very table the previous chain's filter used.
class SlotState {
 public:
  virtual ~SlotState() = default;
};

// Per-slot observability cells, one per worker index: written by that worker only (relaxed
// load+store), summed by the JS thread.
struct alignas(64) SlotCell {
  static constexpr int kBuckets = 11;  // prom-client default histogram bounds, +Inf implied
  // Match: matched, fallthrough. Compress: [direction * 2 + (0 compressed, 1 decompressed)] bytes.
  std::atomic<uint64_t> counter[4] = {};
  std::atomic<uint64_t> hist_bucket[2][kBuckets + 1] = {};  // Timestamp [read|write][bucket]
  std::atomic<uint64_t> hist_count[2] = {};
  std::atomic<double> hist_sum[2] = {};
};
extern const double kHistogramBounds[SlotCell::kBuckets];

struct FilterCtx {
  PacketBuf& pkt;
  MetaStore& meta;
  const SockAddr& source;
  const SockAddr* dest;            // write only
  DestList* dests;                 // read only
  const EndpointTable* endpoints;  // read only
  WorkerState& ws;
};

class Filter {
 public:
  explicit Filter(uint32_t slot) : slot_(slot) {}
  virtual ~Filter() = default;
  virtual uint8_t read(FilterCtx&) const { return QK_DROP_NONE; }
  virtual uint8_t write(FilterCtx&) const { return QK_DROP_NONE; }
  // Bytes this filter (and its nested filters) can add to a packet in one direction, at most.
  virtual uint32_t max_growth() const { return 0; }
  // Whether this filter can change the payload's bytes or length in either direction (nested
  // filters report their own). A filter that edits the payload must say so: the AF_XDP path then
  // verifies the incoming checksums before the chain runs, since it has to compute new ones.
  virtual bool edits_payload() const { return false; }
  // The state worker `worker_index` uses for this filter, or null for stateless filters. Called on
  // that worker's thread when it adopts a new chain.
  virtual std::shared_ptr<SlotState> new_state(uint32_t worker_index) const {
    (void)worker_index;
    return nullptr;
  }
  // Takes over the behavioural state (rate-limit buckets, round-robin position) of `previous`, a
  // filter of the previous chain with the same kind and identical encoding (so the same class and
  // config). Called while building the chain, before any worker can see it. Nested filters included.
  virtual void inherit_state(const Filter& previous) { (void)previous; }
  // Per-packet metadata arena this filter needs at most (bytes copied, list items); nested included.
  virtual uint32_t metadata_bytes() const { return 0; }
  virtual uint32_t metadata_items() const { return 0; }
  // Whether this filter keeps per-slot cells (Match counters, Timestamp histogram).
  virtual bool has_cells() const { return false; }
  // Visits nested filters (Match), so state and stats reach every slot.
  virtual void for_each_nested(void (*fn)(const Filter&, void*), void* arg) const { (void)fn, (void)arg; }
  uint32_t slot() const { return slot_; }

 private:
  uint32_t slot_;
};

// Where a filter's encoding holds a position-dependent number: a metadata key index (u16, into
// the chain's key table) or a nested filter's slot (u32). The chain's filter identities replace
// them by the key name and the slot relative to the top-level filter (generation.cc), so a filter
// whose config is unchanged is recognised wherever it moved and whatever keys others added.
struct IdentityMark {
  size_t offset;  // in the description
  bool key;       // else a nested slot
};

// What parsing a filter needs: the reader, the interned keys, the slot bound and the depth.
struct ParseEnv {
  DescReader& r;
  uint32_t key_count;
  uint32_t slot_count;
  int depth;
  std::vector<IdentityMark>* marks = nullptr;  // null when no identity is wanted

  // Reads a metadata key index (the caller checks its range), noting it for the identity.
  uint16_t key_index(const char* what) {
    if (marks && r.ok()) marks->push_back({r.offset(), true});
    return r.u16(what);
  }
  // Call before filter__parse of a nested filter: its slot follows the u8 kind.
  void note_nested_filter() {
    if (marks && r.ok()) marks->push_back({r.offset() + 1, false});
  }
};

// Reads one `filter` entry (kind, slot, payload); null with r.fail() on error.
std::unique_ptr<Filter> filter__parse(ParseEnv& env);

// The compiled chain. Immutable except for the atomics it owns (round-robin counters, stats).
class Chain {
 public:
  Chain(std::vector<std::unique_ptr<Filter>> filters, std::vector<std::string> keys, uint32_t slots,
        std::string desc_bytes, uint32_t max_workers, std::vector<std::string> identities = {},
        uint32_t filters_kept = 0);
  uint8_t read(FilterCtx& ctx) const;
  uint8_t write(FilterCtx& ctx) const;

  const std::vector<std::unique_ptr<Filter>>& filters() const { return filters_; }
  const std::vector<std::string>& keys() const { return keys_; }
  uint32_t slot_count() const { return slots_; }
  const std::string& desc_bytes() const { return desc_bytes_; }
  uint32_t max_growth() const { return max_growth_; }
  // Whether any filter, nested ones included, can change the payload (Filter::edits_payload).
  bool edits_payload() const { return edits_payload_; }
  // Only slots whose filter has_cells() own cells (keeps a chain small for the fuzzer's many chains).
  SlotCell& cell(uint32_t slot, uint32_t worker) const {
    return cells_[static_cast<size_t>(cell_index_[slot]) * max_workers_ + worker];
  }
  bool has_cell(uint32_t slot) const { return slot < cell_index_.size() && cell_index_[slot] >= 0; }
  // Every filter, nested ones included, in depth-first order.
  std::vector<const Filter*> all_filters() const;
  uint32_t max_workers() const { return max_workers_; }
  // Per top-level filter: its kind and canonical encoding, what decides whether the next chain's
  // filter inherits its state (generation.cc). Empty for chains built without identities.
  const std::vector<std::string>& identities() const { return identities_; }
  // Top-level filters that inherited the state of an identical filter of the previous chain.
  uint32_t filters_kept() const { return filters_kept_; }

 private:
  std::vector<std::unique_ptr<Filter>> filters_;
  std::vector<std::string> keys_;
  uint32_t slots_;
  std::string desc_bytes_;
  std::vector<std::string> identities_;
  uint32_t filters_kept_ = 0;
  uint32_t max_workers_;
  uint32_t max_growth_ = 0;
  bool edits_payload_ = false;
  std::vector<int32_t> cell_index_;
  std::unique_ptr<SlotCell[]> cells_;
};

// A single-producer (worker) single-consumer (JS drain) ring of Debug events.
class DebugRing {
 public:
  static constexpr uint32_t kSize = 256;  // power of two
  bool push(const DebugEvent& e);         // false when full (the caller counts the loss)
  bool pop(DebugEvent* out);
  std::atomic<uint64_t> lost{0};

 private:
  // Raw storage (DebugEvent is an aggregate): untouched until events arrive.
  struct FreeRaw {
    void operator()(DebugEvent* p) const { ::operator delete(p); }
  };
  std::unique_ptr<DebugEvent, FreeRaw> slots_{static_cast<DebugEvent*>(::operator new(sizeof(DebugEvent) * kSize))};
  std::atomic<uint32_t> head_{0};  // next to pop (consumer)
  std::atomic<uint32_t> tail_{0};  // next to push (producer)
};

// Everything a worker keeps between packets: metadata, destinations, PRNG, per-slot state.
class WorkerState {
 public:
  WorkerState(uint64_t seed, uint32_t worker_index, const Clock& clock);
  void on_generation(const Generation& gen);  // sizes arrays; resets slot state if the chain changed

  MetaStore meta;
  std::vector<uint32_t> dest_storage;
  DebugRing debug;
  const Clock& clock;
  uint32_t worker_index;
  const Chain* chain = nullptr;

  uint64_t next_random();  // xorshift64*
  void reseed(uint64_t seed) { rng_ = seed ? seed : 0x9e3779b97f4a7c15ULL; }
  SlotState* slot_state(uint32_t slot) const { return slot < states_.size() ? states_[slot].get() : nullptr; }
  SlotCell& cell(uint32_t slot) const { return chain->cell(slot, worker_index); }

 private:
  uint64_t rng_;
  std::vector<std::shared_ptr<SlotState>> states_;
};

// Relaxed single-writer increment for cells only this worker writes.
inline void cell__add(std::atomic<uint64_t>& c, uint64_t v) {
  c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace qk::engine
