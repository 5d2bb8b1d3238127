// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/local_rate_limit/local_rate_limit.h"

#include <cstdlib>
#include <mutex>
#include <new>

#include "data-plane/filters/local_rate_limit/local_rate_limit_core.h"
#include "native/net/fnv.h"

namespace qk::filters {
using namespace qk::engine;

namespace {

constexpr int64_t kBucketTtlMs = 60000;  // Quilkin forgets a source 60 s after its last packet
constexpr uint32_t kTableSize = 16384;   // per worker and filter; power of two
constexpr uint32_t kProbe = 16;

struct Slot {
  SockAddr key;
  bool used = false;
  int64_t last_seen_ms = 0;
  qk_rl_bucket bucket{};
};

// Fixed-size open-addressing table: no allocation per packet. Expired entries count as free; when
// the probe window is full the least recently seen entry is replaced.
class BucketTable : public SlotState {
 public:
  // calloc: all-zero is the empty state, and untouched pages cost nothing until sources arrive.
  BucketTable() : slots_(static_cast<Slot*>(std::calloc(kTableSize, sizeof(Slot)))) {
    if (!slots_) throw std::bad_alloc();
  }

  // Returns the bucket for `key`, or null with *fresh set when a new one must be started in it.
  Slot& find(const SockAddr& key, int64_t now_ms, bool* fresh) {
    uint32_t h = static_cast<uint32_t>(qk_addr__hash(key.ip, key.ip_len(), key.port));
    Slot* victim = nullptr;
    for (uint32_t i = 0; i < kProbe; i++) {
      Slot& s = slots_.get()[(h + i) & (kTableSize - 1)];
      bool live = s.used && now_ms - s.last_seen_ms < kBucketTtlMs;
      if (live && s.key == key) {
        *fresh = false;
        s.last_seen_ms = now_ms;
        return s;
      }
      if (!live) {
        if (!victim || victim->used) victim = &s;
      } else if (!victim || (victim->used && s.last_seen_ms < victim->last_seen_ms)) {
        victim = &s;
      }
    }
    *fresh = true;
    victim->used = true;
    victim->key = key;
    victim->last_seen_ms = now_ms;
    return *victim;
  }

 private:
  struct Free {
    void operator()(Slot* p) const { std::free(p); }
  };
  std::unique_ptr<Slot, Free> slots_;
};

// One limiter's bucket tables, one per worker index. Owned by every chain's filter that inherited
// this limiter, so an unrelated config change hands each worker back its own table. A table is
// only ever used by the worker holding that index (one thread at a time: Engine::attach hands
// indices out under a lock), so sharing it across generations needs no per-packet
// synchronisation; the mutex only guards creating a table, once per worker and chain swap.
class LimiterState {
 public:
  static constexpr uint32_t kWorkers = 64;  // Engine's max_workers bound

  std::shared_ptr<BucketTable> table(uint32_t worker_index) {
    if (worker_index >= kWorkers) return std::make_shared<BucketTable>();  // not shareable: fresh
    std::lock_guard<std::mutex> lock(mu_);
    auto& t = tables_[worker_index];
    if (!t) t = std::make_shared<BucketTable>();
    return t;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<BucketTable> tables_[kWorkers];
};

class LocalRateLimitFilter : public Filter {
 public:
  LocalRateLimitFilter(uint32_t slot, uint64_t max_packets, uint32_t period)
      : Filter(slot), max_(max_packets), period_(period), state_(std::make_shared<LimiterState>()) {}

  uint8_t read(FilterCtx& ctx) const override {
    if (max_ == 0) return QK_DROP_RATE_LIMITED;
    auto* table = static_cast<BucketTable*>(ctx.ws.slot_state(slot()));
    int64_t now_ms = ctx.ws.clock.now_ms();
    int64_t now_s = now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000;  // floor
    bool fresh = false;
    Slot& s = table->find(ctx.source, now_ms, &fresh);
    if (fresh) {
      qk_rate_limit__start(&s.bucket, now_s);
      return QK_DROP_NONE;
    }
    return qk_rate_limit__admit(&s.bucket, now_s, max_, period_) ? QK_DROP_NONE : QK_DROP_RATE_LIMITED;
  }
  std::shared_ptr<SlotState> new_state(uint32_t worker_index) const override { return state_->table(worker_index); }
  // Same kind and encoding: same max_packets and period, so the buckets mean the same thing.
  void inherit_state(const Filter& previous) override {
    state_ = static_cast<const LocalRateLimitFilter&>(previous).state_;
  }

 private:
  uint64_t max_;
  uint32_t period_;
  std::shared_ptr<LimiterState> state_;
};

}  // namespace

std::unique_ptr<Filter> local_rate_limit__parse(ParseEnv& env, uint32_t slot) {
  uint64_t max_packets = env.r.u64("rate limit max_packets");
  uint32_t period = env.r.u32("rate limit period");
  if (env.r.ok() && period < 1) env.r.fail("rate limit period must be at least 1 second");
  if (!env.r.ok()) return nullptr;
  return std::make_unique<LocalRateLimitFilter>(slot, max_packets, period);
}

}  // namespace qk::filters
