// SPDX-License-Identifier: Apache-2.0
// What a worker asks of the filter chain for each packet. The native filter engine
// (native/engine) plugs in behind this interface; PassThrough is the chain with no filters.
#pragma once
#include <cstdint>

#include "bpf/lib/drop_reasons.h"
#include "native/socket/addr.h"

namespace qk::socket {

// A payload the chain may rewrite in place (up to `capacity` bytes).
struct PacketView {
  uint8_t* data;
  uint32_t len;
  uint32_t capacity;
};

// Endpoint indices chosen by routing filters; none chosen means "every endpoint" (Quilkin).
struct DestList {
  static constexpr uint32_t kMax = 64;
  uint32_t index[kMax];
  uint32_t count = 0;
};

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  // Client -> endpoints, filters in order. Returns QK_DROP_NONE to forward.
  virtual qk_drop_reason read(const AddrKey& client, PacketView& packet, DestList& dests) = 0;
  // Endpoint -> client, filters in reverse order. Returns QK_DROP_NONE to forward.
  virtual qk_drop_reason write(const AddrKey& endpoint, const AddrKey& client, PacketView& packet) = 0;
};

// The empty filter chain: every packet goes to every endpoint, unchanged.
class PassThrough final : public Pipeline {
 public:
  qk_drop_reason read(const AddrKey&, PacketView&, DestList&) override { return QK_DROP_NONE; }
  qk_drop_reason write(const AddrKey&, const AddrKey&, PacketView&) override { return QK_DROP_NONE; }
};

}  // namespace qk::socket
