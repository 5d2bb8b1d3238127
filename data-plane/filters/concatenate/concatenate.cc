// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/concatenate/concatenate.h"

#include <cstring>

namespace qk::filters {
using namespace qk::engine;

namespace {

enum Strategy : uint8_t { kDoNothing = 0, kAppend = 1, kPrepend = 2 };

class ConcatenateFilter : public Filter {
 public:
  ConcatenateFilter(uint32_t slot, uint8_t on_read, uint8_t on_write, std::string bytes)
      : Filter(slot), on_read_(on_read), on_write_(on_write), bytes_(std::move(bytes)) {}

  uint8_t read(FilterCtx& ctx) const override { return apply(on_read_, ctx.pkt); }
  uint8_t write(FilterCtx& ctx) const override { return apply(on_write_, ctx.pkt); }
  bool edits_payload() const override { return !bytes_.empty(); }
  uint32_t max_growth() const override { return static_cast<uint32_t>(bytes_.size()); }

 private:
  uint8_t apply(uint8_t strategy, PacketBuf& pkt) const {
    if (strategy == kDoNothing || bytes_.empty()) return QK_DROP_NONE;
    const uint32_t n = static_cast<uint32_t>(bytes_.size());
    uint8_t* at = strategy == kAppend ? pkt.push_back(n) : pkt.push_front(n);
    if (!at) return QK_DROP_TOO_LARGE;  // the worker's buffer cannot hold the grown packet
    std::memcpy(at, bytes_.data(), n);
    return QK_DROP_NONE;
  }

  uint8_t on_read_, on_write_;
  std::string bytes_;
};

}  // namespace

std::unique_ptr<Filter> concatenate__parse(ParseEnv& env, uint32_t slot) {
  DescReader& r = env.r;
  uint8_t on_read = r.u8("concatenate on_read");
  uint8_t on_write = r.u8("concatenate on_write");
  std::string bytes = r.bytes32("concatenate bytes");
  if (r.ok() && (on_read > kPrepend || on_write > kPrepend)) r.fail("unknown concatenate strategy");
  if (!r.ok()) return nullptr;
  return std::make_unique<ConcatenateFilter>(slot, on_read, on_write, std::move(bytes));
}

}  // namespace qk::filters
