// SPDX-License-Identifier: Apache-2.0
// What the JS side decides for `quilkin proxy xdp` and hands to the native backend at start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qk::xdp {

enum class AttachMode { kAuto, kNative, kGeneric };

// Every worker's UMEM frame. The kernel keeps XDP_PACKET_HEADROOM (256) in front of received data
// (UMEM headroom 0), so a received frame is at most kMaxRxFrameLen long; the program passes longer
// ones to the kernel (qk_xdp_config.max_frame_len) instead of a redirect that would drop them.
constexpr uint32_t kUmemFrameSize = 2048;
constexpr uint32_t kMaxRxFrameLen = kUmemFrameSize - 256;

// Forward interfaces a proxy may attach to besides its own (qk_fast_ifaces holds QK_FAST_IFACES).
constexpr uint32_t kMaxForwardIfaces = 7;

struct Settings {
  std::string ifname;
  // Two-armed: more interfaces the program is attached to for the fast path alone (no AF_XDP
  // sockets there). A session whose endpoint routes out of one is carried between the interfaces
  // in the kernel once a worker installed its flows; until then the kernel sends its packets.
  std::vector<std::string> forward_ifnames;
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
  uint64_t unreplied_timeout_ns = 0;     // sessions no endpoint has answered yet
  uint32_t max_sessions_per_source = 0;  // 0 = no per-IP cap
};

}  // namespace qk::xdp
