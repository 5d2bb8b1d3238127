// SPDX-License-Identifier: Apache-2.0
// The in-kernel fast path's maps as user space drives them (contract: bpf/lib/fast_abi.h): the
// control thread loads a lowered chain into the idle bank and switches banks; workers install the
// flows of sessions they forwarded; the session table asks flows when they were last used and
// removes them when a session ends. Map writes are syscalls and thread-safe in the kernel.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bpf/lib/abi.h"
#include "native/net/neigh.h"
#include "native/xsk/session.h"

struct bpf_object;

namespace qk::xdp {

// One map's entries, each key and value as the ABI lays them out.
struct MapEntries {
  std::vector<std::vector<uint8_t>> keys, values;
};

// One bank's worth of a lowered chain (data-plane/compiler/lower.ts LoweredImage).
struct FastImage {
  uint32_t bank = 0;
  MapEntries header, steps, endpoints, tokens, firewall;
};

// What a flow needs besides the session: the next hop the worker resolved.
struct FlowHop {
  qk_addr src;  // the proxy's address and port the packets leave from
  uint8_t eth_src[6], eth_dst[6];
  int ifindex;
};

class FastPath {
 public:
  // Null when the object has no fast-path maps (an older object): the proxy runs tier 1 only.
  static std::unique_ptr<FastPath> open(bpf_object* obj);

  // The bank the next load must be built for (the one packets do not read).
  uint32_t idle_bank() const { return bank_ ^ 1u; }
  // Writes image (built for idle_bank()) and switches packets to it. 0 or negative errno,
  // *error naming the map. On failure the active bank is untouched.
  int load(const FastImage& image, uint64_t generation, std::string* error);
  // Packets no longer enter the fast path; flows stay, so a later load resumes them.
  int disable();
  bool active() const { return active_.load(std::memory_order_relaxed); }

  // Workers: the session's read (client -> endpoint) or write (endpoint -> client) flow.
  int install_read(const qk_session& s, const FlowHop& hop, uint64_t now_ns);
  int install_write(const qk_session& s, const FlowHop& hop, uint64_t now_ns);
  // Session table hooks (under its lock).
  uint64_t last_used(const qk_session& s) const;
  void remove(const qk_session& s);
  // A next hop's MAC changed (native/net neigh.h): flows that send to old_mac on ifindex send to
  // new_mac from now on. Walks the whole flow map (MAC changes are rare). Returns flows changed.
  uint32_t retarget(int ifindex, const uint8_t old_mac[6], const uint8_t new_mac[6]);
  // A route change moved these destinations' next hops (native/net neigh.h): flows towards them
  // leave by the new one. Where none is usable, the new interface is not one of ours (mac_of
  // answers null), or a reply would leave by another interface than the proxy's (own_ifindex, as
  // tier 1 sends replies), the flow hands its packets to the workers instead. Walks the flow map
  // once. Returns flows changed.
  uint32_t reroute(const std::vector<qk_hop_move>& moves, int own_ifindex,
                   const std::function<const uint8_t*(int ifindex)>& mac_of);
  // Lets flows leave by ifindex when they arrive on another interface (two-armed). 0 or -errno.
  int add_iface(int ifindex);
  // Cells (round-robin positions, Match counts) summed over CPUs.
  void cells(std::vector<uint64_t>* out) const;

 private:
  FastPath() = default;
  // Calls edit on every flow; writes back those it changed (returned true). Returns how many.
  uint32_t edit_flows(const std::function<bool(const qk_fast_flow_key&, qk_fast_flow*)>& edit);
  int write_all(int fd, const MapEntries& m, const char* what, size_t key_size, size_t value_size, std::string* error);

  int ctl_fd_ = -1, banks_fd_ = -1, steps_fd_ = -1, eps_fd_ = -1, tokens_fd_ = -1, fw_fd_ = -1, flows_fd_ = -1,
      cells_fd_ = -1, ifaces_fd_ = -1;
  uint32_t bank_ = 0;
  std::atomic<bool> active_{false};
  std::vector<std::vector<uint8_t>> tokens_of_[QK_FAST_BANKS];  // what each bank's token map holds
  std::chrono::steady_clock::time_point switched_{};
};

}  // namespace qk::xdp
