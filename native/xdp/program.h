// SPDX-License-Identifier: Apache-2.0
// Our XDP program (bpf/obj/xdp_redirect.bpf.o) on the proxy's interface and its forward
// interfaces (the same program and maps on each): load, map writes in the order
// bpf/README.md prescribes, attach (native, then generic), removal of a stale attachment left by
// a killed proxy, counters and the event ring. Only the control thread calls this.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/lib/abi.h"
#include "native/xdp/settings.h"

namespace qk::xdp {

// Each detection step appends one line ("attach native: ok", "attach native: Operation not
// supported") so the JS side can log exactly what was tried and what failed.
using StepLog = std::vector<std::string>;

class Program {
 public:
  ~Program();
  // Opens and loads the object, finds the program and maps by their names in map_names.h.
  // forwards: the ifindexes of s.forward_ifnames, in order.
  static std::unique_ptr<Program> load(const Settings& s, int ifindex, const std::vector<int>& forwards, StepLog* steps,
                                       std::string* error);

  // Detaches a qk_xdp_redirect left on the interface through netlink (by a proxy version that
  // attached that way and died without cleaning up; a BPF link leaves nothing behind). The JS
  // side has already checked that no live proxy owns it. 0 or negative errno.
  int remove_stale(StepLog* steps);
  // Writes the config entry and the interfaces' addresses (addresses first, match flag second).
  int configure(const Settings& s, StepLog* steps, std::string* error);
  // Re-reads the interfaces' addresses and updates the map when they changed. 0 or negative errno.
  int sync_local_addrs(const Settings& s, bool* changed);
  int xsks_fd() const { return xsks_fd_; }
  bpf_object* object() const { return obj_; }
  // Native then generic (or only the requested mode), then each forward interface in the mode
  // that worked. Never replaces another program; on failure nothing stays attached.
  int attach(const Settings& s, StepLog* steps, std::string* error);
  void detach();
  const char* mode() const;
  uint32_t prog_id() const { return prog_id_; }

  // Sums of the per-CPU counters, indexed by enum qk_counter_index and qk_fast_counter_index
  // (one syscall).
  void counters(std::vector<uint64_t>* packets, std::vector<uint64_t>* bytes) const;
  // Moves queued events (at most max) into out.
  size_t drain_events(std::vector<qk_xdp_event>* out, size_t max);

 private:
  Program() = default;
  int write_config(uint32_t flags);
  int apply_local_addrs(const std::vector<qk_local_addr_key>& next);
  static int on_event(void* ctx, void* data, size_t len);

  int attach_one(int ifindex, uint32_t flag, int* link_fd);

  int ifindex_ = 0;
  std::vector<int> forwards_;       // forward interfaces' ifindexes
  std::vector<int> forward_links_;  // their BPF links, once attached
  bpf_object* obj_ = nullptr;
  int prog_fd_ = -1;
  int config_fd_ = -1, addrs_fd_ = -1, xsks_fd_ = -1, counters_fd_ = -1, events_fd_ = -1;
  uint32_t attach_flags_ = 0;  // XDP_FLAGS_DRV_MODE / SKB_MODE once attached
  int link_fd_ = -1;           // the BPF link that holds the attachment
  uint32_t prog_id_ = 0;
  qk_xdp_config cfg_{};
  std::vector<qk_local_addr_key> addrs_;  // what qk_local_addrs holds
  ring_buffer* ring_ = nullptr;
  std::vector<qk_xdp_event>* sink_ = nullptr;
  size_t sink_max_ = 0;
};

// The last message libbpf printed (it prints warnings with the reason an open/load failed).
std::string libbpf_last_message();

}  // namespace qk::xdp
