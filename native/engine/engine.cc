// SPDX-License-Identifier: Apache-2.0
// Publishing generations, the worker registry, the clock and the Debug event rings.
#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "native/engine/filter.h"

namespace qk::engine {

int64_t Clock::now_ms() const {
  if (frozen_.load(std::memory_order_acquire)) return frozen_ms_.load(std::memory_order_relaxed);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Clock::freeze(int64_t at_ms) {
  frozen_ms_.store(at_ms, std::memory_order_relaxed);
  frozen_.store(true, std::memory_order_release);
}

void Clock::advance_ms(int64_t delta_ms) { frozen_ms_.fetch_add(delta_ms, std::memory_order_relaxed); }

Engine::Engine(uint32_t max_workers) : max_workers_(std::min<uint32_t>(max_workers, 64)) {}

Engine::~Engine() = default;

void Engine::publish(std::shared_ptr<const Generation> next) {
  uint64_t id = current_id_.load(std::memory_order_relaxed) + 1;
  if (next) const_cast<Generation&>(*next).id = id;  // not yet shared with any worker
  std::shared_ptr<const Generation> old;
  {
    std::lock_guard<std::mutex> lock(current_mu_);
    old = std::move(current_);
    current_ = std::move(next);
  }
  // Bumped after the pointer is stored: a worker that sees the new id loads this or a newer one.
  current_id_.store(id, std::memory_order_release);
  // `old` is released here, outside the lock; workers still holding it keep it alive.
}

std::shared_ptr<const Generation> Engine::current() const {
  std::lock_guard<std::mutex> lock(current_mu_);
  return current_;
}

void Engine::attach(Worker* w) {
  std::lock_guard<std::mutex> lock(workers_mu_);
  std::vector<bool> taken(max_workers_, false);
  for (Worker* o : workers_) taken[o->index_] = true;
  uint32_t index = 0;
  while (index < max_workers_ && taken[index]) index++;
  if (index == max_workers_) throw std::runtime_error("engine: more workers than max_workers");
  w->index_ = index;
  workers_.push_back(w);
}

static void add_counters(WorkerCounters& to, const WorkerCounters& from) {
  auto add = [](std::atomic<uint64_t>& a, const std::atomic<uint64_t>& b) {
    a.fetch_add(b.load(std::memory_order_relaxed), std::memory_order_relaxed);
  };
  add(to.read_passed, from.read_passed);
  add(to.write_passed, from.write_passed);
  for (int i = 0; i < QK_DROP__MAX; i++) {
    add(to.read_dropped[i], from.read_dropped[i]);
    add(to.write_dropped[i], from.write_dropped[i]);
  }
}

void Engine::detach(Worker* w) {
  std::lock_guard<std::mutex> lock(workers_mu_);
  workers_.erase(std::remove(workers_.begin(), workers_.end(), w), workers_.end());
  add_counters(retired_, w->counters_);
  retired_durations_.add(w->durations_);
}

void Engine::sum_filter_durations(timing::FilterDurationTotals* out) const {
  std::lock_guard<std::mutex> lock(workers_mu_);
  *out = retired_durations_;
  for (const Worker* w : workers_) out->add(w->durations_);
}

void Engine::sum_counters(uint64_t read_dropped[QK_DROP__MAX], uint64_t write_dropped[QK_DROP__MAX],
                          uint64_t* read_passed, uint64_t* write_passed) const {
  std::lock_guard<std::mutex> lock(workers_mu_);
  WorkerCounters sum;
  add_counters(sum, retired_);
  for (const Worker* w : workers_) add_counters(sum, w->counters_);
  *read_passed = sum.read_passed.load();
  *write_passed = sum.write_passed.load();
  for (int i = 0; i < QK_DROP__MAX; i++) {
    read_dropped[i] = sum.read_dropped[i].load();
    write_dropped[i] = sum.write_dropped[i].load();
  }
}

size_t Engine::drain_debug(DebugEvent* out, size_t max, uint64_t* lost) {
  std::lock_guard<std::mutex> lock(workers_mu_);
  size_t n = 0;
  *lost = 0;
  for (Worker* w : workers_) {
    DebugRing& ring = w->state_->debug;
    while (n < max && ring.pop(&out[n])) n++;
    *lost += ring.lost.load(std::memory_order_relaxed);
  }
  return n;
}

bool DebugRing::push(const DebugEvent& e) {
  uint32_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) == kSize) return false;
  slots_.get()[tail & (kSize - 1)] = e;
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool DebugRing::pop(DebugEvent* out) {
  uint32_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return false;
  *out = slots_.get()[head & (kSize - 1)];
  head_.store(head + 1, std::memory_order_release);
  return true;
}

}  // namespace qk::engine
