// SPDX-License-Identifier: Apache-2.0
// Reads and clears of a whole per-CPU array map (the program's counters, the fast path's cells)
// with one BPF_MAP_LOOKUP_BATCH / BPF_MAP_UPDATE_BATCH, where key-by-key access costs one
// syscall per entry: the 496 counters alone took the main thread ~1.5 ms a second on the CPU it
// shares with a worker. Key by key remains for a kernel without batch operations on arrays
// (before 5.6).
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace qk::xdp {

// Calls add(index, cpu_value) for every CPU's value of entries [0, n) of the per-CPU array fd
// whose values are T. An entry that cannot be read is skipped.
template <typename T, typename Add>
void percpu_array_read(int fd, uint32_t n, Add&& add) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0 || n == 0) return;
  const size_t cpus = static_cast<size_t>(ncpu);
  std::vector<uint32_t> keys(n);
  std::vector<T> values(n * cpus);
  uint32_t count = n, next = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int err = bpf_map_lookup_batch(fd, nullptr, &next, keys.data(), values.data(), &count, &opts);
  // ENOENT: the batch reached the end of the map, which is what a whole-map read does.
  if (err && errno != ENOENT) {
    count = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (bpf_map_lookup_elem(fd, &i, &values[count * cpus])) continue;
      keys[count++] = i;
    }
  }
  for (uint32_t k = 0; k < count && k < n; k++) {
    if (keys[k] >= n) continue;
    for (size_t c = 0; c < cpus; c++) add(keys[k], values[k * cpus + c]);
  }
}

// Writes zero to every CPU's value of entries [0, n). 0 or a negative errno.
template <typename T>
int percpu_array_zero(int fd, uint32_t n) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return ncpu < 0 ? ncpu : -EINVAL;
  std::vector<uint32_t> keys(n);
  for (uint32_t i = 0; i < n; i++) keys[i] = i;
  std::vector<T> zeros(n * static_cast<size_t>(ncpu), T{});
  uint32_t count = n;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  if (bpf_map_update_batch(fd, keys.data(), zeros.data(), &count, &opts) == 0) return 0;
  int err = 0;
  for (uint32_t i = 0; i < n; i++)
    if (bpf_map_update_elem(fd, &i, &zeros[i * static_cast<size_t>(ncpu)], BPF_ANY)) err = -errno;
  return err;
}

}  // namespace qk::xdp
