// SPDX-License-Identifier: Apache-2.0
// What the JS side decides for `quilkin proxy xdp` and hands to the native backend at start.
#pragma once

#include <cstdint>
#include <string>

namespace qk::xdp {

enum class AttachMode { kAuto, kNative, kGeneric };

struct Settings {
  std::string ifname;
  std::string bpf_object;  // absolute path of bpf/obj/xdp_redirect.bpf.o
  uint32_t queues = 0;     // 0 = every rx queue of the interface
  bool require_zerocopy = false;
  uint32_t umem_frames = 4096;  // per queue, 2 KiB each
  AttachMode attach = AttachMode::kAuto;
  uint16_t listen_port = 0;
  uint16_t qcmp_port = 0;
  uint16_t session_port_min = 0;
  uint16_t session_port_max = 0;
  uint32_t max_sessions = 0;
  uint64_t idle_timeout_ns = 0;
};

}  // namespace qk::xdp
