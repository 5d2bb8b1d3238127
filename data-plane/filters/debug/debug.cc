// SPDX-License-Identifier: Apache-2.0
#include "data-plane/filters/debug/debug.h"

#include <cstring>

namespace qk::filters {
using namespace qk::engine;

namespace {

class DebugFilter : public Filter {
 public:
  explicit DebugFilter(uint32_t slot) : Filter(slot) {}
  uint8_t read(FilterCtx& ctx) const override { return log(ctx, 0); }
  uint8_t write(FilterCtx& ctx) const override { return log(ctx, 1); }

 private:
  // The id string stays on the JS side (it knows the slot's config); the event carries the slot.
  uint8_t log(FilterCtx& ctx, uint8_t write) const {
    DebugEvent e;
    e.slot = slot();
    e.write = write;
    e.source = ctx.source;
    e.dest = ctx.dest ? *ctx.dest : SockAddr{};
    e.len = ctx.pkt.len;
    std::memcpy(e.contents, ctx.pkt.data(), e.len < DebugEvent::kMaxContents ? e.len : DebugEvent::kMaxContents);
    if (!ctx.ws.debug.push(e))
      ctx.ws.debug.lost.store(ctx.ws.debug.lost.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return QK_DROP_NONE;
  }
};

}  // namespace

std::unique_ptr<Filter> debug__parse(ParseEnv& env, uint32_t slot) {
  env.r.u8("debug has_id");
  env.r.str16("debug id");
  if (!env.r.ok()) return nullptr;
  return std::make_unique<DebugFilter>(slot);
}

}  // namespace qk::filters
