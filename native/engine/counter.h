// SPDX-License-Identifier: Apache-2.0
// The one counter idiom of the native parts: a plain std::atomic<uint64_t> per worker, written by
// that worker only with a relaxed load+store (no read-modify-write bus lock on the packet path),
// read by the JS thread with relaxed loads and summed over the workers when metrics are scraped.
#pragma once

#include <atomic>
#include <cstdint>

namespace qk {

// Adds n to a counter only the calling thread writes.
inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Overwrites a counter only the calling thread writes (a copy of a value kept elsewhere).
inline void publish(std::atomic<uint64_t>& c, uint64_t v) { c.store(v, std::memory_order_relaxed); }

// What another thread reads.
inline uint64_t counter_value(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }

}  // namespace qk
