// SPDX-License-Identifier: Apache-2.0
// The per-packet pipeline around the chain (the native twin of data-plane/pipeline.ts).
#include <algorithm>
#include <stdexcept>

#include "native/engine/counter.h"
#include "native/engine/filter.h"
#include "native/engine/processing_time.h"

namespace qk::engine {

WorkerState::WorkerState(uint64_t seed, uint32_t index, const Clock& c)
    : clock(c), worker_index(index), rng_(seed ? seed : 0x9e3779b97f4a7c15ULL) {}

uint64_t WorkerState::next_random() {
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545f4914f6cdd1dULL;
}

namespace {
struct StateBuild {
  std::vector<std::shared_ptr<SlotState>>* states;
  uint32_t worker_index;
};
}  // namespace

static void make_states(const Filter& f, void* arg) {
  auto* b = static_cast<StateBuild*>(arg);
  if (f.slot() < b->states->size()) (*b->states)[f.slot()] = f.new_state(b->worker_index);
  f.for_each_nested(make_states, arg);
}

void WorkerState::on_generation(const Generation& gen) {
  dest_storage.assign(gen.max_destinations(), 0);
  if (gen.chain.get() == chain) return;  // same chain: keep every slot's state as it is
  chain = gen.chain.get();
  uint64_t bytes = 0, items = 0;
  for (const Filter* f : chain->all_filters()) {
    bytes += f->metadata_bytes();
    items += f->metadata_items();
  }
  // Beyond 1 MiB a capture drops with TOO_LARGE instead (counted), rather than a huge arena.
  meta.resize(static_cast<uint32_t>(chain->keys().size()), static_cast<uint32_t>(std::min<uint64_t>(bytes, 1 << 20)),
              static_cast<uint32_t>(std::min<uint64_t>(items, 1 << 17)));
  // A filter that inherited its state hands out the same objects the previous chain's filter did.
  states_.clear();
  states_.resize(chain->slot_count());
  StateBuild build{&states_, worker_index};
  for (const auto& f : chain->filters()) make_states(*f, &build);
}

Worker::Worker(Engine& engine, uint64_t random_seed) : engine_(engine) {
  state_ = std::make_unique<WorkerState>(random_seed, 0, engine.clock());
  engine.attach(this);  // throws when max_workers are attached
  state_->worker_index = index_;
}

Worker::~Worker() { engine_.detach(this); }

void Worker::adopt(std::shared_ptr<const Generation> next) {
  gen_ = std::move(next);
  if (gen_) state_->on_generation(*gen_);
}

const Generation& Worker::begin_batch() {
  uint64_t id = engine_.current_id();
  if (id != gen_id_) {
    adopt(engine_.current());
    gen_id_ = id;
  }
  static const Generation kEmpty;
  return gen_ ? *gen_ : kEmpty;
}

// The sampled path of Chain::read/write: the same loop over the top-level filters (reads first
// to last, writes last to first, the first drop stops), each filter timed with CLOCK_MONOTONIC
// (a vDSO call; two per filter on one packet in kSampleEvery) and recorded under its kind.
static uint8_t timed_chain(const Generation& gen, FilterCtx& ctx, bool write, timing::FilterDurations& out) {
  const auto& filters = gen.chain->filters();
  const size_t n = filters.size();
  for (size_t j = 0; j < n; j++) {
    size_t i = write ? n - 1 - j : j;
    uint64_t start = timing::monotonic_ns();
    uint8_t reason = write ? filters[i]->write(ctx) : filters[i]->read(ctx);
    out.record(write ? 1 : 0, i < gen.filter_kinds.size() ? gen.filter_kinds[i] : 0, timing::monotonic_ns() - start);
    if (reason != QK_DROP_NONE) return reason;
  }
  return QK_DROP_NONE;
}

bool Worker::timed_now(int direction) {
  if (--until_timed_[direction] != 0) return false;
  until_timed_[direction] = timing::kSampleEvery;
  return true;
}

static bool disallowed_source(const SockAddr& a) {
  if (a.family == 4)
    return (a.ip[0] >= 224 && a.ip[0] <= 239) || (a.ip[0] == 255 && a.ip[1] == 255 && a.ip[2] == 255 && a.ip[3] == 255);
  return a.family == 6 && a.ip[0] == 0xff;
}

void Worker::count_drop(bool write, uint8_t reason) {
  if (reason >= QK_DROP__MAX) reason = QK_DROP_IO;
  bump(write ? counters_.write_dropped[reason] : counters_.read_dropped[reason]);
}

ReadOutcome Worker::read(PacketBuf& pkt, const SockAddr& source) {
  state_->meta.clear();
  return read_with_metadata(pkt, source);
}

uint8_t Worker::write(PacketBuf& pkt, const SockAddr& source, const SockAddr& dest) {
  state_->meta.clear();
  return write_with_metadata(pkt, source, dest);
}

ReadOutcome Worker::read_with_metadata(PacketBuf& pkt, const SockAddr& raw_source) {
  ReadOutcome out;
  const EndpointTable* table = gen_ ? gen_->endpoints.get() : nullptr;
  const SockAddr source = sockaddr__canonical(raw_source);
  if (!table || table->endpoints.empty())
    out.reason = QK_DROP_NO_UPSTREAM_ENDPOINTS;
  else if (disallowed_source(source))
    out.reason = QK_DROP_DISALLOWED_SOURCE_IP;
  if (out.reason != QK_DROP_NONE) {
    count_drop(false, out.reason);
    return out;
  }
  WorkerState& ws = *state_;
  DestList dests{ws.dest_storage.data(), 0, static_cast<uint32_t>(ws.dest_storage.size())};
  FilterCtx ctx{pkt, ws.meta, source, nullptr, &dests, table, ws};
  out.reason = timed_now(0) ? timed_chain(*gen_, ctx, false, durations_) : gen_->chain->read(ctx);
  if (out.reason != QK_DROP_NONE) {
    count_drop(false, out.reason);
    return out;
  }
  if (dests.n == 0) {
    out.all_endpoints = true;
    for (uint32_t i = 0; i < table->endpoints.size(); i++) dests.idx[i] = i;
    dests.n = static_cast<uint32_t>(table->endpoints.size());
  }
  out.n_dest = dests.n;
  out.dest = dests.idx;
  bump(counters_.read_passed);
  return out;
}

uint8_t Worker::write_with_metadata(PacketBuf& pkt, const SockAddr& raw_source, const SockAddr& raw_dest) {
  if (!gen_) {
    count_drop(true, QK_DROP_NO_UPSTREAM_ENDPOINTS);
    return QK_DROP_NO_UPSTREAM_ENDPOINTS;
  }
  const SockAddr source = sockaddr__canonical(raw_source), dest = sockaddr__canonical(raw_dest);
  WorkerState& ws = *state_;
  FilterCtx ctx{pkt, ws.meta, source, &dest, nullptr, gen_->endpoints.get(), ws};
  uint8_t reason = timed_now(1) ? timed_chain(*gen_, ctx, true, durations_) : gen_->chain->write(ctx);
  if (reason != QK_DROP_NONE)
    count_drop(true, reason);
  else
    bump(counters_.write_passed);
  return reason;
}

}  // namespace qk::engine
